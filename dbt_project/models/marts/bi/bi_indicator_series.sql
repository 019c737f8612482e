{{
    config(
        materialized='incremental',
        unique_key='fact_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} where fact_id not in (
                select fact_id from {{ ref('fct_contracts') }}
                union all select fact_id from {{ ref('fct_enterprises') }}
                union all select fact_id from {{ ref('fct_platforms') }})"
        ]
    )
}}

{#- BI: one row per reconciled fact of the three families, flattened with everything a dashboard
    filters or labels by (indicator name, region name and level, period dates and grain, source
    portal) and the previous year's value, so a BI tool plots a time series per region ×
    indicator without joins. Column keys are stable English; Chinese labels are in
    _bi__models.yml and in the bi_column_labels table.

    Incremental: a row is a function of its fact's chosen report (whose evidence never changes),
    its support figures and its year-over-year values, and of the dimensions (seeds and
    raw.portals: after changing them, run with --full-refresh). A run compares those narrow
    columns with this table and rewrites only the facts that are new or differ; the post-hook
    deletes the rows of facts that are gone. -#}

with

all_facts as (

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

yoy as (

    select * from {{ ref('indicator_yoy') }}

),

{% if is_incremental() %}

    fact_figures as (

        -- narrow columns read from the models themselves: a second reference to all_facts would
        -- make DuckDB materialize every column of every fact
        {%- for family_model in ['fct_contracts', 'fct_enterprises', 'fct_platforms'] %}
            select
                fact_id,
                chosen_report_id,
                value,
                unit,
                qualifier,
                n_reports,
                n_sources,
                has_conflict,
                value_spread
            from {{ ref(family_model) }}
            {{ "union all" if not loop.last }}
        {%- endfor %}

    ),

    changed as (

        select
            fact_figures.fact_id,
            fact_figures.chosen_report_id,
            fact_figures.value,
            fact_figures.unit,
            fact_figures.qualifier,
            fact_figures.n_reports,
            fact_figures.n_sources,
            fact_figures.has_conflict,
            fact_figures.value_spread,
            yoy.previous_value,
            yoy.yoy_change_pct
        from fact_figures
        left join yoy on fact_figures.fact_id = yoy.fact_id
        except
        select
            existing.fact_id,
            existing.chosen_report_id,
            existing.value,
            existing.unit,
            existing.qualifier,
            existing.n_reports,
            existing.n_sources,
            existing.has_conflict,
            existing.value_spread,
            existing.previous_value,
            existing.yoy_change_pct
        from {{ this }} as existing

    ),

    facts as (

        select all_facts.*
        from all_facts
        semi join changed on all_facts.fact_id = changed.fact_id

    ),

{% else %}

    facts as (

        select * from all_facts

    ),

{% endif %}

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
