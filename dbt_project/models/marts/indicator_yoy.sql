{{
    config(
        materialized='incremental',
        unique_key='fact_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ kw_delete_tombstones('period_year') }}"]
    )
}}

{#- Year-over-year series for BI: every reconciled fact whose period is a year, half year,
    quarter or month, next to the same region, indicator, level and measure one year earlier.

    Incremental: a row depends only on its fact's value and on the value of the fact one year
    earlier. A run recomputes the facts of the grains kw_touched_reports names (new, changed or
    gone) and the facts one year after them; a gone fact leaves a tombstone that the post-hook
    deletes. Every row written carries the run's loaded_at, by which bi_indicator_series finds
    the facts whose previous year changed. -#}

{%- set incremental = kw_incremental_with('loaded_at') %}
{{ kw_touched_reports_depends_on() }}
with

facts as (

    select
        fact_id,
        region_key,
        period_key,
        indicator_key,
        level,
        measure,
        value,
        unit
    from {{ ref('fct_contracts') }}
    union all
    select
        fact_id,
        region_key,
        period_key,
        indicator_key,
        level,
        measure,
        value,
        unit
    from {{ ref('fct_enterprises') }}
    union all
    select
        fact_id,
        region_key,
        period_key,
        indicator_key,
        level,
        measure,
        value,
        unit
    from {{ ref('fct_platforms') }}

),

periods as (

    select * from {{ ref('dim_period') }}

),

all_series as (

    select
        facts.*,
        periods.period_grain,
        periods.period_year,
        cast(periods.period_year - 1 as varchar) || substr(facts.period_key, 5) as previous_period_key
    from facts
    inner join periods on facts.period_key = periods.period_key
    where periods.period_grain in ('year', 'half_year', 'quarter', 'month')

),

{% if incremental %}

    touched as (

        select distinct touched.fact_id from ({{ kw_touched_reports() }}) as touched

    ),

    changed as (

        -- The grains of the touched facts, whether they are still here or gone.
        select
            all_series.region_key,
            all_series.indicator_key,
            all_series.level,
            all_series.measure,
            all_series.period_key
        from all_series
        semi join touched on all_series.fact_id = touched.fact_id
        union
        select
            existing.region_key,
            existing.indicator_key,
            existing.level,
            existing.measure,
            existing.period_key
        from {{ this }} as existing
        semi join touched on existing.fact_id = touched.fact_id

    ),

    affected as (

        -- The changed facts themselves, and the facts whose previous year changed.
        select all_series.fact_id
        from all_series
        semi join changed
            on
                all_series.region_key = changed.region_key
                and all_series.indicator_key = changed.indicator_key
                and all_series.level = changed.level
                and all_series.measure = changed.measure
                and all_series.period_key = changed.period_key
        union
        select all_series.fact_id
        from all_series
        semi join changed
            on
                all_series.region_key = changed.region_key
                and all_series.indicator_key = changed.indicator_key
                and all_series.level = changed.level
                and all_series.measure = changed.measure
                and all_series.previous_period_key = changed.period_key

    ),

    series as (

        select all_series.*
        from all_series
        semi join affected on all_series.fact_id = affected.fact_id

    ),

{% else %}

    series as (

        select * from all_series

    ),

{% endif %}

compared as (

    select
        ---------- ids
        series.fact_id,
        series.region_key,
        series.period_key,
        series.indicator_key,
        series.previous_period_key,

        ---------- grain
        series.level,
        series.measure,
        series.period_grain,
        series.period_year,

        ---------- values
        series.value,
        series.unit,
        previous.value as previous_value,
        series.value - previous.value as yoy_change,
        case
            when previous.value <> 0
                then round(100.0 * (series.value - previous.value) / abs(previous.value), 2)
        end as yoy_change_pct,

        ---------- lineage
        {{ kw_load_stamp(incremental) }} as loaded_at

    from series
    left join facts as previous
        on
            series.region_key = previous.region_key
            and series.indicator_key = previous.indicator_key
            and series.level = previous.level
            and series.measure = previous.measure
            and series.previous_period_key = previous.period_key

),

{% if is_incremental() %}

    tombstones as (

        -- the touched facts that are gone (on the first run after loaded_at was added, every
        -- stored fact that is gone)
        select gone.fact_id
        from {{ 'touched' if incremental else this }} as gone
        anti join all_series on gone.fact_id = all_series.fact_id

    ),

{% endif %}

final as (

    {{ kw_with_tombstones('compared') }}

)

select * from final
