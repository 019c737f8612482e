{{
    config(
        materialized='incremental',
        unique_key='mention_id',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- One row per indicator statement found by the extractor (the fact candidates the facts gate
    validates). Incremental on page version: only the page versions extracted after the latest
    extracted_at stored here are read (one extraction run stamps all its rows alike, later runs
    later), so neither the ~1M stored mentions nor the facts JSON of history is scanned. A table
    built before extracted_at existed compares page ids once and gains the column. -#}

with

extractions as (

    select * from {{ ref('int_page_extractions') }}
    where
        extraction_status = 'extracted'
        and n_facts > 0
        {% if kw_incremental_with('extracted_at') %}
            and extracted_at > (
                select coalesce(max(t.extracted_at), cast('-infinity' as timestamp)) from {{ this }} as t
            )
        {% elif is_incremental() %}
            -- distinct first: a hash of ~100k page ids, not of every mention's
            and page_version_id not in (select distinct t.page_version_id from {{ this }} as t)
        {% endif %}

),

pages as (

    select * from {{ ref('stg_raw__pages') }}

),

unnested as (

    -- One row per fact, the JSON objects' fields becoming columns (so unnest has no alias).
    select
        extractions.page_version_id,
        extractions.extracted_at,
        unnest(  -- noqa: AL03
            from_json(
                extractions.facts_json,
                '[{"fact_family": "VARCHAR", "indicator_key": "VARCHAR", "level": "VARCHAR",
                   "measure": "VARCHAR", "value": "DOUBLE", "unit": "VARCHAR",
                   "qualifier": "VARCHAR", "region_name": "VARCHAR", "region_code": "VARCHAR",
                   "period_key": "VARCHAR", "quote": "VARCHAR", "quote_start": "INTEGER",
                   "quote_end": "INTEGER"}]'
            ),
            recursive := true
        )
    from extractions

),

mentions as (

    select
        ---------- ids
        md5(
            concat_ws(
                '|',
                unnested.page_version_id,
                unnested.quote_start,
                unnested.quote_end,
                unnested.indicator_key,
                unnested.measure,
                unnested.level,
                unnested.period_key
            )
        ) as mention_id,
        unnested.page_version_id,
        pages.portal_id,

        ---------- document evidence
        pages.url,
        pages.fetched_at,
        pages.published_at,
        pages.content_hash,

        ---------- the statement
        unnested.fact_family,
        unnested.indicator_key,
        unnested.level,
        unnested.measure,
        unnested.value,
        unnested.unit,
        unnested.qualifier,
        unnested.region_name,
        unnested.region_code,
        unnested.period_key,
        unnested.quote,
        unnested.quote_start,
        unnested.quote_end,
        unnested.extracted_at

    from unnested
    inner join pages on unnested.page_version_id = pages.page_version_id

),

deduplicated as (

    -- The id hashes the span, indicator, measure, level and period: one span can state two
    -- levels (国家级和省级…各N家) or two periods (平台数量由34个提升至40个: 2022 and now).
    -- Should the extractor still return one twice, keep one row deterministically so the
    -- grain holds.
    select * from mentions
    qualify row_number() over (
        partition by mention_id order by level, value, region_name, period_key
    ) = 1

)

select * from deduplicated
