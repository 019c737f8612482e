{{
    config(
        materialized='incremental',
        unique_key='coverage_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} as existing where not exists (
                select 1 from {{ ref('fct_indicator_reports') }} as reports
                where not reports.is_superseded
                    and reports.portal_id = existing.portal_id
                    and reports.indicator_key = existing.indicator_key)"
        ]
    )
}}

{#- BI: who reports what — one row per publisher (portal) × indicator with how many current
    reports, regions, periods and reconciled facts it contributes, how often its figure was the
    chosen one, how many of its facts are in conflict, and when it last reported. The
    region × indicator view of the same question is marts.region_indicator_coverage.

    Incremental: a row depends on the publisher's current reports of the indicator and on the
    facts they support, whose choice and conflict depend on every current report of the same
    region × indicator. reports_signature fingerprints the fingerprints of those region ×
    indicator report sets; a run recomputes the rows whose fingerprint changed or that are new
    (a superset of what changed), and the post-hook deletes rows left without any current
    report. Labels come from dim_source / dim_indicator: after changing raw.portals or a seed,
    run with --full-refresh. -#}

{%- set incremental = kw_incremental_with('reports_signature') %}

with

all_reports as (

    select * from {{ ref('fct_indicator_reports') }}
    where not is_superseded

),

region_signatures as (

    select
        region_key,
        indicator_key,
        bit_xor(hash(report_id)) as region_signature
    -- the model itself, not the CTE all_reports: a CTE referenced more than once is
    -- materialized by DuckDB with every column (quotes included) of ~1M reports
    from {{ ref('fct_indicator_reports') }}
    where not is_superseded
    group by region_key, indicator_key

),

portal_regions as (

    select distinct
        portal_id,
        indicator_key,
        region_key
    from {{ ref('fct_indicator_reports') }}
    where not is_superseded

),

signatures as (

    select
        portal_regions.portal_id,
        portal_regions.indicator_key,
        bit_xor(
            hash(portal_regions.region_key, region_signatures.region_signature)
        ) as reports_signature
    from portal_regions
    inner join region_signatures
        on
            portal_regions.region_key = region_signatures.region_key
            and portal_regions.indicator_key = region_signatures.indicator_key
    group by portal_regions.portal_id, portal_regions.indicator_key

),

{% if incremental %}

    {{ kw_reports_of_changed_grains('all_reports', 'signatures', ['portal_id', 'indicator_key']) }}

{% else %}

    reports as (

        select * from all_reports

    ),

{% endif %}

facts as (

    select
        fact_id,
        chosen_report_id,
        has_conflict
    from {{ ref('fct_contracts') }}
    union all
    select
        fact_id,
        chosen_report_id,
        has_conflict
    from {{ ref('fct_enterprises') }}
    union all
    select
        fact_id,
        chosen_report_id,
        has_conflict
    from {{ ref('fct_platforms') }}

),

sources as (

    select * from {{ ref('dim_source') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

periods as (

    select * from {{ ref('dim_period') }}

),

coverage as (

    select
        ---------- ids
        md5(concat_ws('|', reports.portal_id, reports.indicator_key)) as coverage_id,
        reports.portal_id,
        reports.indicator_key,

        ---------- counts
        count(*) as n_reports,
        count(distinct reports.region_key) as n_regions,
        count(distinct reports.period_key) as n_periods,
        count(distinct reports.fact_id) as n_facts,
        count(distinct facts.fact_id) filter (
            where facts.chosen_report_id = reports.report_id
        ) as n_facts_chosen,
        count(distinct facts.fact_id) filter (where facts.has_conflict) as n_conflicting_facts,

        ---------- range
        min(periods.start_date) as first_period_start_date,
        max(periods.end_date) as last_period_end_date,
        max(reports.published_at) as last_published_at,
        max(reports.fetched_at) as last_fetched_at

    from reports
    left join facts on reports.fact_id = facts.fact_id
    left join periods on reports.period_key = periods.period_key
    group by reports.portal_id, reports.indicator_key

),

labelled as (

    select
        ---------- ids
        coverage.coverage_id,
        coverage.portal_id,
        coverage.indicator_key,

        ---------- labels
        coalesce(sources.portal_name, coverage.portal_id) as portal_name,
        coalesce(sources.publisher_type, 'unknown') as publisher_type,
        sources.region_name as publisher_region_name,
        coalesce(sources.is_official_publisher, false) as is_official_publisher,
        coalesce(indicators.indicator_name_zh, coverage.indicator_key) as indicator_name_zh,
        indicators.fact_family,

        ---------- counts and range
        coverage.n_reports,
        coverage.n_regions,
        coverage.n_periods,
        coverage.n_facts,
        coverage.n_facts_chosen,
        coverage.n_conflicting_facts,
        coverage.first_period_start_date,
        coverage.last_period_end_date,
        coverage.last_published_at,
        coverage.last_fetched_at,
        signatures.reports_signature

    from coverage
    inner join signatures
        on
            coverage.portal_id = signatures.portal_id
            and coverage.indicator_key = signatures.indicator_key
    left join sources on coverage.portal_id = sources.portal_id
    left join indicators on coverage.indicator_key = indicators.indicator_key

)

select * from labelled
