with

source as (

    select * from {{ source('raw', 'portals') }}

),

renamed as (

    select
        ---------- ids
        cast(portal_id as varchar) as portal_id,
        cast(region_code as varchar) as region_code,

        ---------- text
        cast(name as varchar) as portal_name,
        cast(publisher_type as varchar) as publisher_type,
        cast(region_name as varchar) as region_name,
        cast(base_url as varchar) as base_url,
        cast(config_hash as varchar) as config_hash,

        ---------- numerics
        cast(authority_rank as integer) as authority_rank,

        ---------- timestamps
        cast(updated_at as timestamp) as updated_at

    from source

)

select * from renamed
