{#- A generic test: the given columns together identify a row (no dbt_utils needed offline). -#}
{% test kw_unique_combination(model, columns) %}

select
    {{ columns | join(', ') }},
    count(*) as n_rows
from {{ model }}
group by {{ columns | join(', ') }}
having count(*) > 1

{% endtest %}
