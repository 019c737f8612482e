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

    Incremental: a run rewrites the reports of the page versions whose reports are new, no
    longer quarantined or whose superseded flag changed (found by comparing per page version the
    count and flag of the reports that belong here with those stored), and the post-hook deletes
    what the gate has quarantined since; the evidence of history is not rewritten. After
    changing a seed, run with --full-refresh. -#}

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

{% if is_incremental() %}

    expected_pages as (

        -- Per page version, how many of its reports belong here and whether they are
        -- superseded (a flag of the page version): ~100k rows compared instead of ~1M reports.
        select
            reports.page_version_id,
            reports.is_superseded,
            count(*) as n_reports
        -- the model itself, not the CTE: a second reference makes DuckDB materialize every
        -- column of ~1M reports
        from {{ ref('int_indicator_reports') }} as reports
        anti join quarantined on reports.report_id = quarantined.mention_id
        group by reports.page_version_id, reports.is_superseded

    ),

    stored_pages as (

        select
            page_version_id,
            is_superseded,
            count(*) as n_reports
        from {{ this }}
        group by page_version_id, is_superseded

    ),

    changed_pages as (

        -- New reports, a flipped superseded flag, or a report released from quarantine.
        select expected_pages.page_version_id
        from expected_pages
        anti join stored_pages
            on
                expected_pages.page_version_id = stored_pages.page_version_id
                and expected_pages.is_superseded = stored_pages.is_superseded
                and expected_pages.n_reports = stored_pages.n_reports

    ),

{% endif %}

final as (

    select
        ---------- ids
        reports.report_id,
        md5(
            concat_ws(
                '|',
                lookup.region_key,
                reports.period_key,
                reports.indicator_key,
                reports.level,
                reports.measure
            )
        ) as fact_id,
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
        reports.fetched_at

    from reports
    inner join lookup
        on
            reports.region_name = lookup.region_name
            and reports.region_code is not distinct from lookup.region_code
    anti join quarantined on reports.report_id = quarantined.mention_id
    {% if is_incremental() %}
        semi join changed_pages on reports.page_version_id = changed_pages.page_version_id
    {% endif %}

)

select * from final
