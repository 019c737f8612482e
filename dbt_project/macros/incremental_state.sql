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

{#- This run's loaded_at, the stamp an incremental model puts on every row it writes: the dbt
    invocation's start (UTC), or just after the latest stamp stored in `this` should the clock be
    behind it. A model downstream reads only the rows loaded after its own latest stamp, which
    holds because one invocation's models run after the previous invocation's (the warehouse
    lock serialises them). `has_column`: whether `this` has loaded_at yet. -#}
{% macro kw_load_stamp(has_column) %}
    {#- sqlfluff's jinja templater has no run_started_at -#}
    {%- set started = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as timestamp)"
        if run_started_at is defined else "cast(current_timestamp as timestamp)" -%}
    {%- if has_column -%}
        greatest({{ started }}, (select max(t.loaded_at) + interval 1 microsecond from {{ this }} as t))
    {%- else -%}
        {{ started }}
    {%- endif -%}
{% endmacro %}

{#- The rows of `relation` loaded after this model's own latest loaded_at (all of them while this
    table is empty: a mart may have no row yet, e.g. no platform figures so far). -#}
{% macro kw_loaded_since_this(relation) %}
    {{ relation }}.loaded_at > (
        select coalesce(max(t.loaded_at), cast('-infinity' as timestamp)) from {{ this }} as t
    )
{% endmacro %}
