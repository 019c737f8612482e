{{
    config(
        materialized='incremental',
        unique_key='mention_id',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- One row per indicator statement found by the extractor (the fact candidates the facts gate
    validates). Incremental on page version: only page versions not yet unnested are read. -#}

with

extractions as (

    select * from {{ ref('int_page_extractions') }}
    where
        extraction_status = 'extracted'
        and n_facts > 0
        {% if is_incremental() %}
            and page_version_id not in (select t.page_version_id from {{ this }} as t)
        {% endif %}

),

pages as (

    select * from {{ ref('stg_raw__pages') }}

),

unnested as (

    select
        extractions.page_version_id,
        unnest(
            from_json(
                extractions.facts_json,
                '[{"fact_family": "VARCHAR", "indicator_key": "VARCHAR", "level": "VARCHAR",
                   "measure": "VARCHAR", "value": "DOUBLE", "unit": "VARCHAR",
                   "qualifier": "VARCHAR", "region_name": "VARCHAR", "region_code": "VARCHAR",
                   "period_key": "VARCHAR", "quote": "VARCHAR", "quote_start": "INTEGER",
                   "quote_end": "INTEGER"}]'
            )
        ) as fact
    from extractions

),

mentions as (

    select
        ---------- ids
        md5(
            concat_ws(
                '|',
                unnested.page_version_id,
                unnested.fact.quote_start,
                unnested.fact.quote_end,
                unnested.fact.indicator_key,
                unnested.fact.measure
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
        unnested.fact.fact_family as fact_family,
        unnested.fact.indicator_key as indicator_key,
        unnested.fact.level as level,
        unnested.fact.measure as measure,
        unnested.fact.value as value,
        unnested.fact.unit as unit,
        unnested.fact.qualifier as qualifier,
        unnested.fact.region_name as region_name,
        unnested.fact.region_code as region_code,
        unnested.fact.period_key as period_key,
        unnested.fact.quote as quote,
        unnested.fact.quote_start as quote_start,
        unnested.fact.quote_end as quote_end

    from unnested
    inner join pages on unnested.page_version_id = pages.page_version_id

),

deduplicated as (

    -- The id hashes the span, indicator and measure; should the extractor return the same span
    -- twice (e.g. two levels), keep one row deterministically so the grain holds.
    select * from mentions
    qualify row_number() over (
        partition by mention_id order by level, value, region_name, period_key
    ) = 1

)

select * from deduplicated
