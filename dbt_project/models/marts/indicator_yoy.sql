{#- Year-over-year series for BI: every reconciled fact whose period is a year, half year,
    quarter or month, next to the same region, indicator, level and measure one year earlier. -#}

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

series as (

    select
        facts.*,
        periods.period_grain,
        periods.period_year,
        cast(periods.period_year - 1 as varchar) || substr(facts.period_key, 5) as previous_period_key
    from facts
    inner join periods on facts.period_key = periods.period_key
    where periods.period_grain in ('year', 'half_year', 'quarter', 'month')

),

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
        end as yoy_change_pct

    from series
    left join facts as previous
        on
            series.region_key = previous.region_key
            and series.indicator_key = previous.indicator_key
            and series.level = previous.level
            and series.measure = previous.measure
            and series.previous_period_key = previous.period_key

)

select * from compared
