{#- Period keys follow the vocabulary: YYYY, YYYYH1/H2, YYYYQ1..Q4, YYYY-MM,
    asof:YYYY-MM-DD, unknown. These macros turn a key into its grain and date range. -#}

{% macro period_grain(period_key) -%}
    case
        when regexp_full_match({{ period_key }}, '\d{4}') then 'year'
        when regexp_full_match({{ period_key }}, '\d{4}H[12]') then 'half_year'
        when regexp_full_match({{ period_key }}, '\d{4}Q[1-4]') then 'quarter'
        when regexp_full_match({{ period_key }}, '\d{4}-(0[1-9]|1[0-2])') then 'month'
        when regexp_full_match({{ period_key }}, 'asof:\d{4}-\d{2}-\d{2}')
            and try_cast(substr({{ period_key }}, 6) as date) is not null then 'as_of_date'
        else 'unknown'
    end
{%- endmacro %}

{% macro period_start_date(period_key) -%}
    case {{ period_grain(period_key) }}
        when 'year' then make_date(try_cast({{ period_key }} as integer), 1, 1)
        when 'half_year'
            then make_date(
                try_cast(substr({{ period_key }}, 1, 4) as integer),
                case substr({{ period_key }}, 6, 1) when '1' then 1 else 7 end,
                1
            )
        when 'quarter'
            then make_date(
                try_cast(substr({{ period_key }}, 1, 4) as integer),
                try_cast(substr({{ period_key }}, 6, 1) as integer) * 3 - 2,
                1
            )
        when 'month' then try_cast({{ period_key }} || '-01' as date)
        when 'as_of_date' then try_cast(substr({{ period_key }}, 6) as date)
    end
{%- endmacro %}

{% macro period_end_date(period_key) -%}
    case {{ period_grain(period_key) }}
        when 'year' then make_date(try_cast({{ period_key }} as integer), 12, 31)
        when 'half_year'
            then last_day(
                make_date(
                    try_cast(substr({{ period_key }}, 1, 4) as integer),
                    case substr({{ period_key }}, 6, 1) when '1' then 6 else 12 end,
                    1
                )
            )
        when 'quarter'
            then last_day(
                make_date(
                    try_cast(substr({{ period_key }}, 1, 4) as integer),
                    try_cast(substr({{ period_key }}, 6, 1) as integer) * 3,
                    1
                )
            )
        when 'month' then last_day(try_cast({{ period_key }} || '-01' as date))
        when 'as_of_date' then try_cast(substr({{ period_key }}, 6) as date)
    end
{%- endmacro %}
