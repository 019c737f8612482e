with

source as (

    select * from {{ source('audit', 'quarantined_mentions') }}

),

renamed as (

    select
        ---------- ids
        cast(mention_id as varchar) as mention_id,
        cast(page_version_id as varchar) as page_version_id,
        cast(gate_run_id as varchar) as gate_run_id,

        ---------- text
        cast(expectation as varchar) as expectation,
        cast(reason as varchar) as reason,
        cast(severity as varchar) as severity,

        ---------- timestamps
        cast(quarantined_at as timestamp) as quarantined_at

    from source

)

select * from renamed
