{{
    config(
        materialized='incremental',
        unique_key='attachment_id',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- Attachment ids hash url and content, so a landed attachment never changes. The file bytes
    stay in raw.attachments. -#}

with

source as (

    select * from {{ source('raw', 'attachments') }}
    {% if is_incremental() %}
        where attachment_id not in (select t.attachment_id from {{ this }} as t)
    {% endif %}

),

renamed as (

    select
        ---------- ids
        cast(attachment_id as varchar) as attachment_id,
        cast(page_version_id as varchar) as page_version_id,

        ---------- text
        cast(url as varchar) as url,
        cast(filename as varchar) as filename,
        cast(mime as varchar) as mime_type,
        cast(content_hash as varchar) as content_hash,
        cast(parse_status as varchar) as parse_status,
        cast(parse_error as varchar) as parse_error,

        ---------- numerics
        cast(bytes as bigint) as size_bytes,

        ---------- timestamps
        cast(fetched_at as timestamp) as fetched_at

    from source

)

select * from renamed
