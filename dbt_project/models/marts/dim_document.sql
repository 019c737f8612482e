{{
    config(
        materialized='incremental',
        unique_key='page_version_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{#- One row per page version: where it was found, what it is called, when it was published and
    fetched, whether it is a near-identical copy of another page version (duplicate_of; its
    figures are not counted again) and what the extractor made of it.

    Incremental: a page version never changes once landed and is extracted once, so a run
    writes the page versions this table has not seen, and those it saw before their
    extraction (status pending, e.g. after building the marts alone). -#}

with

pages as (

    select * from {{ ref('stg_raw__pages') }}
    {% if is_incremental() %}
        where page_version_id not in (
            select existing.page_version_id from {{ this }} as existing
            where existing.extraction_status <> 'pending'
        )
    {% endif %}

),

extractions as (

    select * from {{ ref('int_page_extractions') }}

),

documents as (

    select
        pages.page_version_id,
        pages.portal_id,
        pages.duplicate_of,
        pages.url,
        pages.title,
        pages.source_line,
        pages.content_hash,
        pages.encoding,
        pages.is_decoded_ok,
        pages.duplicate_of is not null as is_duplicate,
        coalesce(extractions.extraction_status, 'pending') as extraction_status,
        extractions.extraction_error,
        coalesce(extractions.n_facts, 0) as n_extracted_facts,
        pages.published_at,
        cast(pages.published_at as date) as published_date,
        pages.fetched_at
    from pages
    left join extractions on pages.page_version_id = extractions.page_version_id

)

select * from documents
