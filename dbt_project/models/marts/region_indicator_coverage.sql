{{
    config(
        materialized='incremental',
        unique_key='coverage_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ kw_delete_tombstones('n_reports') }}"]
    )
}}

{#- What each region's publishers report: one row per region × indicator with how many reports,
    reconciled facts, periods and sources there are, the first and last period covered, and
    which portals reported it.

    Incremental: a row depends only on the current reports of its region × indicator (a fact's
    grain includes both, so its conflict flag does too). A run recomputes the cells of the
    reports kw_touched_reports names, each from all its current reports; a cell left without
    any leaves a tombstone that the post-hook deletes. reports_signature fingerprints a cell's
    current reports (bit_xor of their ids' hashes). -#}

{%- set incremental = kw_incremental_with('loaded_at') %}
{{ kw_touched_reports_depends_on() }}
with

all_reports as (

    select * from {{ ref('fct_indicator_reports') }}
    where not is_superseded

),

{% if incremental %}

    changed as (

        select distinct
            touched.region_key,
            touched.indicator_key
        from ({{ kw_touched_reports() }}) as touched

    ),

    reports as (

        select all_reports.*
        from all_reports
        semi join changed
            on
                all_reports.region_key = changed.region_key
                and all_reports.indicator_key = changed.indicator_key

    ),

{% else %}

    reports as (

        select * from all_reports

    ),

{% endif %}

periods as (

    select * from {{ ref('dim_period') }}

),

facts as (

    select
        fact_id,
        has_conflict
    from {{ ref('fct_contracts') }}
    union all
    select
        fact_id,
        has_conflict
    from {{ ref('fct_enterprises') }}
    union all
    select
        fact_id,
        has_conflict
    from {{ ref('fct_platforms') }}

),

coverage as (

    select
        ---------- ids
        md5(concat_ws('|', reports.region_key, reports.indicator_key)) as coverage_id,
        reports.region_key,
        reports.indicator_key,

        ---------- counts
        min(reports.fact_family) as fact_family,
        count(*) as n_reports,
        count(distinct reports.fact_id) as n_facts,
        count(distinct reports.period_key) as n_periods,
        count(distinct reports.portal_id) as n_sources,
        count(distinct reports.fact_id) filter (where facts.has_conflict) as n_conflicting_facts,

        ---------- range
        min(periods.start_date) as first_period_start,
        max(periods.end_date) as last_period_end,
        string_agg(distinct reports.portal_id, ',' order by reports.portal_id) as reporting_portals,
        bit_xor(hash(reports.report_id)) as reports_signature,

        ---------- lineage
        {{ kw_load_stamp(incremental) }} as loaded_at

    from reports
    inner join periods on reports.period_key = periods.period_key
    left join facts on reports.fact_id = facts.fact_id
    group by reports.region_key, reports.indicator_key

),

{% if is_incremental() %}

    tombstones as (

        -- the changed cells left without current reports (on the first run after loaded_at was
        -- added, every stored cell)
        select md5(concat_ws('|', gone.region_key, gone.indicator_key)) as coverage_id
        from {{ 'changed' if incremental else this }} as gone
        anti join coverage
            on
                gone.region_key = coverage.region_key
                and gone.indicator_key = coverage.indicator_key

    ),

{% endif %}

final as (

    {{ kw_with_tombstones('coverage') }}

)

select * from final
