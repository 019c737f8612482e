{{
    config(
        materialized='incremental',
        unique_key='fact_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ kw_delete_tombstones('n_reports') }}"]
    )
}}

{#- BI: one row per reconciled fact of the three families, flattened with everything a dashboard
    filters or labels by (indicator name, region name and level, period dates and grain, source
    portal) and the previous year's value, so a BI tool plots a time series per region ×
    indicator without joins. Column keys are stable English; Chinese labels are in
    _bi__models.yml and in the bi_column_labels table.

    Incremental: a row is a function of its fact's chosen report (whose evidence never changes),
    its support figures and its year-over-year values, and of the dimensions (seeds and
    raw.portals: after changing them, run with --full-refresh). A run rewrites the facts of the
    grains kw_touched_reports names and the facts indicator_yoy loaded since this table's latest
    loaded_at (their previous year changed); a gone fact leaves a tombstone that the post-hook
    deletes. -#}

{%- set incremental = kw_incremental_with('loaded_at') %}
{{ kw_touched_reports_depends_on() }}
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

{% if incremental %}

    changed as (

        select touched.fact_id from ({{ kw_touched_reports() }}) as touched
        union
        select loaded.fact_id
        from {{ ref('indicator_yoy') }} as loaded
        where {{ kw_loaded_since_this('loaded') }}

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
        facts.fetched_at,

        ---------- lineage
        {{ kw_load_stamp(incremental) }} as loaded_at

    from facts
    left join indicators on facts.indicator_key = indicators.indicator_key
    left join regions on facts.region_key = regions.region_key
    left join periods on facts.period_key = periods.period_key
    left join sources on facts.chosen_portal_id = sources.portal_id
    left join yoy on facts.fact_id = yoy.fact_id

),

{% if is_incremental() %}

    present_facts as (

        -- read from the models: a second reference to all_facts would make DuckDB materialize
        -- every column of every fact
        {%- for family_model in ['fct_contracts', 'fct_enterprises', 'fct_platforms'] %}
            select fact_id from {{ ref(family_model) }}
            {{ "union all" if not loop.last }}
        {%- endfor %}

    ),

    tombstones as (

        -- the changed facts that are gone (on the first run after loaded_at was added, every
        -- stored fact that is gone)
        select gone.fact_id
        from {{ 'changed' if incremental else this }} as gone
        anti join present_facts on gone.fact_id = present_facts.fact_id

    ),

{% endif %}

final as (

    {{ kw_with_tombstones('series') }}

)

select * from final
