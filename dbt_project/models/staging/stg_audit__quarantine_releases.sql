with

source as (

    select * from {{ source('audit', 'quarantine_releases') }}

),

renamed as (

    select
        ---------- ids
        cast(mention_id as varchar) as mention_id,
        cast(page_version_id as varchar) as page_version_id,
        cast(gate_run_id as varchar) as gate_run_id,

        ---------- text
        cast(expectation as varchar) as expectation,

        ---------- timestamps
        cast(quarantined_at as timestamp) as quarantined_at,
        cast(released_at as timestamp) as released_at

    from source

)

select * from renamed
