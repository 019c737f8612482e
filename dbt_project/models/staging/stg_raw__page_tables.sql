{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

with

source as (

    select * from {{ source('raw', 'page_tables') }}
    {% if is_incremental() %}
        where page_version_id not in (select t.page_version_id from {{ this }} as t)
    {% endif %}

),

renamed as (

    select
        ---------- ids
        cast(page_version_id as varchar) as page_version_id,
        cast(table_index as integer) as table_index,

        ---------- numerics
        cast(header_rows as integer) as header_rows,
        cast(n_rows as integer) as n_rows,
        cast(n_cols as integer) as n_cols,

        ---------- json
        cast(grid as json) as grid

    from source

)

select * from renamed
