{{
    config(
        materialized='incremental',
        unique_key='page_version_id',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- A page version never changes once landed (its id hashes url and content), so new rows are
    exactly the ids this table has not seen. The raw HTML stays in raw.pages: nothing
    downstream reads it and it is most of the bytes. -#}

with

source as (

    select * from {{ source('raw', 'pages') }}
    {% if is_incremental() %}
        where page_version_id not in (select t.page_version_id from {{ this }} as t)
    {% endif %}

),

renamed as (

    select
        ---------- ids
        cast(page_version_id as varchar) as page_version_id,
        cast(portal_id as varchar) as portal_id,
        cast(run_id as varchar) as crawl_run_id,
        cast(duplicate_of as varchar) as duplicate_of,

        ---------- text
        cast(url as varchar) as url,
        cast(content_hash as varchar) as content_hash,
        cast(encoding as varchar) as encoding,
        cast(title as varchar) as title,
        cast(source as varchar) as source_line,
        cast(body_text as varchar) as body_text,
        cast(etag as varchar) as etag,
        cast(last_modified as varchar) as last_modified,

        ---------- booleans
        coalesce(cast(decode_ok as boolean), true) as is_decoded_ok,

        ---------- timestamps
        cast(fetched_at as timestamp) as fetched_at,
        cast(published_at as timestamp) as published_at

    from source

)

select * from renamed
