{#- What each region's publishers report: one row per region × indicator with how many reports,
    reconciled facts, periods and sources there are, the first and last period covered, and
    which portals reported it. -#}

with

reports as (

    select * from {{ ref('fct_indicator_reports') }}
    where not is_superseded

),

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

)

select * from coverage
