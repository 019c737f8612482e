{#- A generic test: every row satisfies a boolean SQL expression (no dbt_utils needed offline). -#}
{% test kw_expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not coalesce(({{ expression }}), false)

{% endtest %}
