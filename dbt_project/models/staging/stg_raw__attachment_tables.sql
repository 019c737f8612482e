{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

with

source as (

    select * from {{ source('raw', 'attachment_tables') }}
    {% if is_incremental() %}
        where attachment_id not in (select t.attachment_id from {{ this }} as t)
    {% endif %}

),

renamed as (

    select
        ---------- ids
        cast(attachment_id as varchar) as attachment_id,
        cast(table_index as integer) as table_index,

        ---------- text
        cast(sheet_name as varchar) as sheet_name,

        ---------- numerics
        cast(header_rows as integer) as header_rows,

        ---------- json
        cast(grid as json) as grid

    from source

)

select * from renamed
