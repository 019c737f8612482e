{#- BI: one row per reconciled fact of the three families, flattened with everything a dashboard
    filters or labels by (indicator name, region name and level, period dates and grain, source
    portal) and the previous year's value, so a BI tool plots a time series per region ×
    indicator without joins. Column keys are stable English; Chinese labels are in
    _bi__models.yml and in the bi_column_labels table. -#}

with

facts as (

    select
        *,
        'contract' as fact_family
    from {{ ref('fct_contracts') }}
    union all by name
    select
        *,
        'enterprise' as fact_family
    from {{ ref('fct_enterprises') }}
    union all by name
    select
        *,
        'platform' as fact_family
    from {{ ref('fct_platforms') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

regions as (

    select * from {{ ref('dim_region') }}

),

periods as (

    select * from {{ ref('dim_period') }}

),

sources as (

    select * from {{ ref('dim_source') }}

),

yoy as (

    select * from {{ ref('indicator_yoy') }}

),

series as (

    select
        ---------- ids
        facts.fact_id,
        facts.indicator_key,
        facts.region_key,
        facts.period_key,

        ---------- indicator
        facts.fact_family,
        coalesce(indicators.indicator_name_zh, facts.indicator_key) as indicator_name_zh,
        facts.level,
        facts.measure,

        ---------- region
        coalesce(regions.region_name, facts.region_key) as region_name,
        coalesce(regions.region_level, 'unknown') as region_level,
        regions.region_code,
        regions.parent_code as region_parent_code,
        regions.province_code,
        coalesce(regions.is_resolved, false) as is_region_resolved,

        ---------- period
        coalesce(periods.period_grain, 'unknown') as period_grain,
        coalesce(periods.period_type, 'unknown') as period_type,
        periods.start_date as period_start_date,
        periods.end_date as period_end_date,
        periods.period_year,

        ---------- value
        facts.value,
        facts.unit,
        facts.qualifier,
        case facts.unit
            when 'yuan' then facts.value / 1e8
        end as value_yi_yuan,
        yoy.previous_value,
        yoy.yoy_change_pct,

        ---------- support
        facts.n_reports,
        facts.n_sources,
        facts.has_conflict,
        facts.value_spread,

        ---------- evidence of the chosen value
        facts.chosen_report_id,
        facts.chosen_portal_id as source_portal_id,
        coalesce(sources.portal_name, facts.chosen_portal_id) as source_portal_name,
        facts.is_official_publisher as is_official_source,
        facts.quote as evidence_quote,
        facts.page_title as evidence_page_title,
        facts.url as evidence_url,
        facts.published_at,
        facts.fetched_at

    from facts
    left join indicators on facts.indicator_key = indicators.indicator_key
    left join regions on facts.region_key = regions.region_key
    left join periods on facts.period_key = periods.period_key
    left join sources on facts.chosen_portal_id = sources.portal_id
    left join yoy on facts.fact_id = yoy.fact_id

)

select * from series
