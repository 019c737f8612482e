{{
    config(
        materialized='incremental',
        unique_key='latest_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} where fact_id not in (select fact_id from {{ ref('bi_indicator_series') }})"
        ]
    )
}}

{#- BI: the latest known value per region × indicator × level × measure — the newest period
    (latest end date; at the same end date the longer period, e.g. the year over its December),
    with the series' period count, for "latest figures" tiles and maps. Periods whose dates are
    unknown are used only when the series has nothing else.

    Incremental: the choice of the latest fact runs on narrow columns of every series; a run rewrites only the
    series whose latest fact, period count or that fact's value, support or year-over-year
    figures differ from this table, and the post-hook deletes series that are gone. -#}

with

series as (

    select * from {{ ref('bi_indicator_series') }}

),

latest_facts as (

    -- arg_min over a tuple, not a window: one hash aggregate instead of two sorts of every
    -- fact. The tuple orders by end date desc, start date asc, publish time desc (unknown
    -- dates last), then fact id.
    select
        md5(concat_ws('|', region_key, indicator_key, level, measure)) as latest_id,
        arg_min(
            fact_id,
            (
                period_end_date is null,
                -coalesce(epoch(period_end_date), 0),
                period_start_date is null,
                coalesce(epoch(period_start_date), 0),
                published_at is null,
                -coalesce(epoch(published_at), 0),
                fact_id
            )
        ) as fact_id,
        count(*) as n_periods
    -- the model itself, not the CTE series: a CTE referenced more than once is materialized
    -- by DuckDB with every column (quotes included) of ~650k facts
    from {{ ref('bi_indicator_series') }}
    group by region_key, indicator_key, level, measure

),

{% if is_incremental() %}

    changed as (

        select
            latest_facts.latest_id,
            latest_facts.fact_id,
            latest_facts.n_periods,
            series.chosen_report_id,
            series.value,
            series.unit,
            series.qualifier,
            series.has_conflict,
            series.previous_value,
            series.yoy_change_pct
        from latest_facts
        inner join {{ ref('bi_indicator_series') }} as series
            on latest_facts.fact_id = series.fact_id
        except
        select
            existing.latest_id,
            existing.fact_id,
            existing.n_periods,
            existing.chosen_report_id,
            existing.value,
            existing.unit,
            existing.qualifier,
            existing.has_conflict,
            existing.previous_value,
            existing.yoy_change_pct
        from {{ this }} as existing

    ),

{% endif %}

latest as (

    select
        ---------- ids
        latest_facts.latest_id,
        series.fact_id,
        series.region_key,
        series.indicator_key,
        series.period_key as latest_period_key,

        ---------- labels
        series.fact_family,
        series.indicator_name_zh,
        series.region_name,
        series.region_level,
        series.province_code,
        series.level,
        series.measure,

        ---------- the value
        series.period_grain,
        series.period_end_date,
        series.value,
        series.unit,
        series.qualifier,
        series.value_yi_yuan,
        series.previous_value,
        series.yoy_change_pct,
        latest_facts.n_periods,
        series.has_conflict,

        ---------- evidence
        series.chosen_report_id,
        series.source_portal_name,
        series.evidence_quote,
        series.evidence_url,
        series.published_at,
        series.fetched_at

    from latest_facts
    inner join series on latest_facts.fact_id = series.fact_id
    {% if is_incremental() %}
        semi join changed on latest_facts.latest_id = changed.latest_id
    {% endif %}

)

select * from latest
