{#- One row per period key the reports use: its grain, first and last day, and whether it is a
    flow period (a figure accumulated over the period) or a stock date (a figure as of a day). -#}

with

keys as (

    select distinct period_key from {{ ref('int_indicator_reports') }}

),

periods as (

    select
        period_key,
        {{ period_grain('period_key') }} as period_grain,
        {{ period_start_date('period_key') }} as start_date,
        {{ period_end_date('period_key') }} as end_date
    from keys

)

select
    period_key,
    period_grain,
    start_date,
    end_date,
    case
        when period_grain = 'as_of_date' then 'stock'
        when period_grain = 'unknown' then 'unknown'
        else 'flow'
    end as period_type,
    year(start_date) as period_year
from periods
