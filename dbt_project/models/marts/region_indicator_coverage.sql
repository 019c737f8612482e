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
                    and reports.region_key = existing.region_key
                    and reports.indicator_key = existing.indicator_key)"
        ]
    )
}}

{#- What each region's publishers report: one row per region × indicator with how many reports,
    reconciled facts, periods and sources there are, the first and last period covered, and
    which portals reported it.

    Incremental: a row depends only on the current reports of its region × indicator (a fact's
    grain includes both, so its conflict flag does too). reports_signature fingerprints them
    (bit_xor of their ids' hashes); a run recomputes only the rows whose fingerprint changed or
    that are new, and the post-hook deletes rows left without any current report. -#}

{%- set incremental = kw_incremental_with('reports_signature') %}

with

all_reports as (

    select * from {{ ref('fct_indicator_reports') }}
    where not is_superseded

),

signatures as (

    select
        region_key,
        indicator_key,
        bit_xor(hash(report_id)) as reports_signature
    -- the model itself, not the CTE all_reports: a CTE referenced more than once is
    -- materialized by DuckDB with every column (quotes included) of ~1M reports
    from {{ ref('fct_indicator_reports') }}
    where not is_superseded
    group by region_key, indicator_key

),

{% if incremental %}

    {{ kw_reports_of_changed_grains('all_reports', 'signatures', ['region_key', 'indicator_key']) }}

{% else %}

    reports as (

        select * from all_reports

    ),

{% endif %}

periods as (

    select * from {{ ref('dim_period') }}

),

facts as (

    select
        fact_id,
        has_conflict
    from {{ ref('fct_contracts') }}
    union all
    select
        fact_id,
        has_conflict
    from {{ ref('fct_enterprises') }}
    union all
    select
        fact_id,
        has_conflict
    from {{ ref('fct_platforms') }}

),

coverage as (

    select
        ---------- ids
        md5(concat_ws('|', reports.region_key, reports.indicator_key)) as coverage_id,
        reports.region_key,
        reports.indicator_key,

        ---------- counts
        min(reports.fact_family) as fact_family,
        count(*) as n_reports,
        count(distinct reports.fact_id) as n_facts,
        count(distinct reports.period_key) as n_periods,
        count(distinct reports.portal_id) as n_sources,
        count(distinct reports.fact_id) filter (where facts.has_conflict) as n_conflicting_facts,

        ---------- range
        min(periods.start_date) as first_period_start,
        max(periods.end_date) as last_period_end,
        string_agg(distinct reports.portal_id, ',' order by reports.portal_id) as reporting_portals

    from reports
    inner join periods on reports.period_key = periods.period_key
    left join facts on reports.fact_id = facts.fact_id
    group by reports.region_key, reports.indicator_key

),

final as (

    select
        coverage.*,
        signatures.reports_signature
    from coverage
    inner join signatures
        on
            coverage.region_key = signatures.region_key
            and coverage.indicator_key = signatures.indicator_key

)

select * from final
