{{
    config(
        materialized='incremental',
        unique_key='latest_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ kw_delete_tombstones('n_periods') }}"]
    )
}}

{#- BI: the latest known value per region × indicator × level × measure — the newest period
    (latest end date; at the same end date the longer period, e.g. the year over its December),
    with the series' period count, for "latest figures" tiles and maps. Periods whose dates are
    unknown are used only when the series has nothing else.

    Incremental: a run recomputes the series with a fact bi_indicator_series loaded since this
    table's latest loaded_at and the series of the grains kw_touched_reports names (a fact of
    theirs may be gone); a series left without facts leaves a tombstone that the post-hook
    deletes. -#}

{%- set incremental = kw_incremental_with('loaded_at') %}
{{ kw_touched_reports_depends_on() }}
with

series as (

    select * from {{ ref('bi_indicator_series') }}

),

{% if incremental %}

    changed as (

        select
            loaded.region_key,
            loaded.indicator_key,
            loaded.level,
            loaded.measure
        from {{ ref('bi_indicator_series') }} as loaded
        where {{ kw_loaded_since_this('loaded') }}
        union
        select
            touched.region_key,
            touched.indicator_key,
            touched.level,
            touched.measure
        from ({{ kw_touched_reports() }}) as touched

    ),

{% endif %}

latest_facts as (

    -- arg_min over a tuple, not a window: one hash aggregate instead of two sorts of every
    -- fact. The tuple orders by end date desc, start date asc, publish time desc (unknown
    -- dates last), then fact id.
    select
        md5(concat_ws('|', facts.region_key, facts.indicator_key, facts.level, facts.measure)) as latest_id,
        arg_min(
            facts.fact_id,
            (
                facts.period_end_date is null,
                -coalesce(epoch(facts.period_end_date), 0),
                facts.period_start_date is null,
                coalesce(epoch(facts.period_start_date), 0),
                facts.published_at is null,
                -coalesce(epoch(facts.published_at), 0),
                facts.fact_id
            )
        ) as fact_id,
        count(*) as n_periods
    -- the model itself, not the CTE series: a CTE referenced more than once is materialized
    -- by DuckDB with every column (quotes included) of ~650k facts
    from {{ ref('bi_indicator_series') }} as facts
    {% if incremental %}
        semi join changed
            on
                facts.region_key = changed.region_key
                and facts.indicator_key = changed.indicator_key
                and facts.level = changed.level
                and facts.measure = changed.measure
    {% endif %}
    group by facts.region_key, facts.indicator_key, facts.level, facts.measure

),

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
        series.fetched_at,

        ---------- lineage
        {{ kw_load_stamp(incremental) }} as loaded_at

    from latest_facts
    inner join series on latest_facts.fact_id = series.fact_id

),

{% if is_incremental() %}

    {% if incremental %}

        changed_series as (

            select
                md5(
                    concat_ws('|', changed.region_key, changed.indicator_key, changed.level, changed.measure)
                ) as latest_id
            from changed

        ),

    {% endif %}

    tombstones as (

        -- the changed series left without facts (on the first run after loaded_at was added,
        -- every stored series)
        select gone.latest_id
        from {{ 'changed_series' if incremental else this }} as gone
        anti join latest_facts on gone.latest_id = latest_facts.latest_id

    ),

{% endif %}

final as (

    {{ kw_with_tombstones('latest') }}

)

select * from final
