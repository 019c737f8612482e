{#- BI: the latest known value per region × indicator × level × measure — the newest period
    (latest end date; at the same end date the longer period, e.g. the year over its December),
    with the series' period count, for "latest figures" tiles and maps. Periods whose dates are
    unknown are used only when the series has nothing else. -#}

with

series as (

    select * from {{ ref('bi_indicator_series') }}

),

ranked as (

    select
        series.*,
        count(*) over (
            partition by series.region_key, series.indicator_key, series.level, series.measure
        ) as n_periods,
        row_number() over (
            partition by series.region_key, series.indicator_key, series.level, series.measure
            order by
                series.period_end_date desc nulls last,
                series.period_start_date asc nulls last,
                series.published_at desc nulls last,
                series.fact_id asc
        ) as recency_rank
    from series

),

latest as (

    select
        ---------- ids
        md5(concat_ws('|', region_key, indicator_key, level, measure)) as latest_id,
        fact_id,
        region_key,
        indicator_key,
        period_key as latest_period_key,

        ---------- labels
        fact_family,
        indicator_name_zh,
        region_name,
        region_level,
        province_code,
        level,
        measure,

        ---------- the value
        period_grain,
        period_end_date,
        value,
        unit,
        qualifier,
        value_yi_yuan,
        previous_value,
        yoy_change_pct,
        n_periods,
        has_conflict,

        ---------- evidence
        chosen_report_id,
        source_portal_name,
        evidence_quote,
        evidence_url,
        published_at,
        fetched_at

    from ranked
    where recency_rank = 1

)

select * from latest
