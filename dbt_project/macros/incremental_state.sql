{#- True when this model runs incrementally AND its existing table already has `column`: a table
    built before the column existed is recomputed in full once (delete+insert replaces every
    row and on_schema_change adds the column), then incrementally. Outside dbt (sqlfluff's
    jinja templater has no adapter) the incremental branch is the one linted. -#}
{% macro kw_incremental_with(column) %}
    {%- if not is_incremental() -%}
        {{ return(false) }}
    {%- endif -%}
    {%- if adapter is not defined -%}
        {{ return(true) }}
    {%- endif -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name') | list -%}
    {{ return(column in existing) }}
{% endmacro %}
