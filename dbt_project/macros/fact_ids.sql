{#- A fact's id: the hash of its conformed grain (region, period, indicator, level, measure).
    `region_key` is the resolved region's key, `report` a relation with the other columns. -#}
{% macro kw_fact_id(region_key, report) %}
    md5(
        concat_ws(
            '|',
            {{ region_key }},
            {{ report }}.period_key,
            {{ report }}.indicator_key,
            {{ report }}.level,
            {{ report }}.measure
        )
    )
{% endmacro %}

{#- The reports a mart must look at again since its last run, with their grain columns
    (fact_id, region_key, indicator_key, level, measure, portal_id): those fct_indicator_reports
    loaded after this model's latest loaded_at (new, superseded now, released from quarantine),
    and the quarantined ones (few), which fct_indicator_reports drops without a trace, so their
    grains are recomputed on every run. `fact_family`: only that family's. -#}
{% macro kw_touched_reports(fact_family=none) %}
    select
        loaded.fact_id,
        loaded.region_key,
        loaded.indicator_key,
        loaded.level,
        loaded.measure,
        loaded.portal_id
    from {{ ref('fct_indicator_reports') }} as loaded
    where
        {{ kw_loaded_since_this('loaded') }}
        {%- if fact_family %}
            and loaded.fact_family = '{{ fact_family }}'
        {%- endif %}

    union

    select
        {{ kw_fact_id('lookup.region_key', 'reports') }} as fact_id,
        lookup.region_key,
        reports.indicator_key,
        reports.level,
        reports.measure,
        reports.portal_id
    from {{ ref('int_indicator_reports') }} as reports
    inner join {{ ref('int_region_lookup') }} as lookup
        on
            reports.region_name = lookup.region_name
            and reports.region_code is not distinct from lookup.region_code
    semi join {{ ref('stg_audit__quarantined_mentions') }} as quarantined
        on reports.report_id = quarantined.mention_id
    {%- if fact_family %}
        where reports.fact_family = '{{ fact_family }}'
    {%- endif %}
{% endmacro %}

{#- What kw_touched_reports reads, for a model that calls it only in its incremental branch:
    dbt's parser renders the other one and would miss these refs. -#}
{% macro kw_touched_reports_depends_on() %}
-- depends_on: {{ ref('fct_indicator_reports') }}, {{ ref('int_indicator_reports') }}
-- depends_on: {{ ref('int_region_lookup') }}, {{ ref('stg_audit__quarantined_mentions') }}
{% endmacro %}

{#- Post-hook of an incremental mart: the tombstones (rows standing for a key left without any
    current report, which replaced the stored row by delete+insert) go in the run's own
    transaction, so no reader sees them. `column` is null or 0 only in a tombstone. -#}
{% macro kw_delete_tombstones(column) %}
    delete from {{ this }} where coalesce({{ column }}, 0) = 0
{% endmacro %}

{#- The rows a mart writes: `rows`, plus on an incremental run the CTE `tombstones` (keys left
    without any current report, which kw_delete_tombstones removes after they replaced the
    stored rows). -#}
{% macro kw_with_tombstones(rows) %}
    select * from {{ rows }}
    {%- if is_incremental() %}
        union all by name
        select * from tombstones
    {%- endif %}
{% endmacro %}
