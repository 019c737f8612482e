-- depends_on: {{ ref('stg_audit__quarantine_releases') }}
{{
    config(
        materialized='incremental',
        unique_key='report_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} where report_id in
                (select mention_id from {{ ref('stg_audit__quarantined_mentions') }})"
        ]
    )
}}

{#- The audit trail: one row per reported figure (a statement in a page's text, or a counted
    enterprise list), with its evidence (document, quote and offsets, URL, fetch time, content
    hash) and its keys into every dimension. Reports the facts gate quarantined are left out
    (they stay listed in audit.quarantined_mentions with the reason).

    Incremental by load stamp: a run (re)writes the reports int_indicator_reports loaded after
    this table's latest loaded_at (new reports, and reports whose superseded flag changed) and
    the reports the facts gate released from quarantine that are not here; the post-hook
    deletes what the gate has quarantined since. Every row written carries the run's loaded_at,
    by which the fact families and coverage marts find what changed; the evidence of history is
    not rewritten. A table built before loaded_at existed is rewritten once. After changing a
    seed, run with --full-refresh. -#}

{%- set by_stamp = kw_incremental_with('loaded_at') %}

with

reports as (

    select * from {{ ref('int_indicator_reports') }}

),

lookup as (

    select * from {{ ref('int_region_lookup') }}

),

quarantined as (

    select distinct mention_id from {{ ref('stg_audit__quarantined_mentions') }}

),

{% if by_stamp %}

    changed as (

        -- the model itself, not the CTE: a second reference makes DuckDB materialize every
        -- column of ~1M reports
        select loaded.report_id
        from {{ ref('int_indicator_reports') }} as loaded
        where {{ kw_loaded_since_this('loaded') }}

        union

        -- released reports that are not back yet (releases are few, ids compared one by one)
        select releases.mention_id as report_id
        from {{ ref('stg_audit__quarantine_releases') }} as releases
        where not exists (
            select 1 from {{ this }} as stored
            where stored.report_id = releases.mention_id
        )

    ),

{% endif %}

final as (

    select
        ---------- ids
        reports.report_id,
        {{ kw_fact_id('lookup.region_key', 'reports') }} as fact_id,
        lookup.region_key,
        reports.period_key,
        reports.indicator_key,
        reports.page_version_id,
        reports.portal_id,
        reports.attachment_id,
        reports.table_index,

        ---------- the statement
        reports.fact_family,
        reports.level,
        reports.measure,
        reports.value,
        reports.unit,
        reports.qualifier,
        reports.region_name,
        reports.region_code,
        lookup.resolution as region_resolution,
        reports.is_region_from_publisher,

        ---------- evidence
        reports.evidence_kind,
        reports.quote,
        reports.quote_start,
        reports.quote_end,
        reports.url,
        reports.page_title,
        reports.content_hash,
        reports.publisher_type,
        reports.authority_rank,
        reports.is_official_publisher,
        reports.is_superseded,
        reports.published_at,
        reports.fetched_at,

        ---------- lineage
        {{ kw_load_stamp(by_stamp) }} as loaded_at

    from reports
    inner join lookup
        on
            reports.region_name = lookup.region_name
            and reports.region_code is not distinct from lookup.region_code
    anti join quarantined on reports.report_id = quarantined.mention_id
    {% if by_stamp %}
        semi join changed on reports.report_id = changed.report_id
    {% endif %}

)

select * from final
