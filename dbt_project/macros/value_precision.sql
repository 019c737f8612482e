{#- The rounding unit a reported figure shows: 575000000 (5.75亿) -> 1e6, 254 -> 1, 250 -> 10,
    49.8 -> 0.1. Two reports "agree within rounding" when they are equal once both are rounded
    to the coarser unit of the two (see fct_* reconciliation). Zero is treated as exact. -#}
{% macro value_precision(value) -%}
    case
        when {{ value }} is null then null
        when {{ value }} = 0 then 1.0
        when abs({{ value }} - round({{ value }})) < 1e-9
            then pow(
                10,
                list_max(
                    list_filter(
                        range(0, 13),
                        lambda e: round(abs({{ value }}))::bigint % pow(10, e)::bigint = 0
                    )
                )
            )
        when abs({{ value }} * 10 - round({{ value }} * 10)) < 1e-6 then 0.1
        when abs({{ value }} * 100 - round({{ value }} * 100)) < 1e-6 then 0.01
        else 0.001
    end
{%- endmacro %}
