{{
    config(
        materialized='incremental',
        unique_key='coverage_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ kw_delete_tombstones('n_reports') }}"]
    )
}}

{#- BI: who reports what — one row per publisher (portal) × indicator with how many current
    reports, regions, periods and reconciled facts it contributes, how often its figure was the
    chosen one, how many of its facts are in conflict, and when it last reported. The
    region × indicator view of the same question is marts.region_indicator_coverage.

    Incremental: a row depends on the publisher's current reports of the indicator and on the
    facts they support, whose choice and conflict depend on every current report of the fact. A
    run recomputes the rows of the reports kw_touched_reports names and of every publisher with
    a current report of a touched fact, each from all its current reports; a row left without
    any leaves a tombstone that the post-hook deletes. reports_signature fingerprints a row's
    current reports (bit_xor of their ids' hashes). Labels come from dim_source / dim_indicator:
    after changing raw.portals or a seed, run with --full-refresh. -#}

{%- set incremental = kw_incremental_with('loaded_at') %}
{{ kw_touched_reports_depends_on() }}
with

all_reports as (

    select * from {{ ref('fct_indicator_reports') }}
    where not is_superseded

),

{% if incremental %}

    touched as (

        {{ kw_touched_reports() }}

    ),

    changed as (

        select
            touched.portal_id,
            touched.indicator_key
        from touched
        union
        -- the model itself, not the CTE all_reports: a CTE referenced more than once is
        -- materialized by DuckDB with every column (quotes included) of ~1M reports
        select
            supporting.portal_id,
            supporting.indicator_key
        from {{ ref('fct_indicator_reports') }} as supporting
        semi join touched on supporting.fact_id = touched.fact_id
        where not supporting.is_superseded

    ),

    reports as (

        select all_reports.*
        from all_reports
        semi join changed
            on
                all_reports.portal_id = changed.portal_id
                and all_reports.indicator_key = changed.indicator_key

    ),

{% else %}

    reports as (

        select * from all_reports

    ),

{% endif %}

facts as (

    select
        fact_id,
        chosen_report_id,
        has_conflict
    from {{ ref('fct_contracts') }}
    union all
    select
        fact_id,
        chosen_report_id,
        has_conflict
    from {{ ref('fct_enterprises') }}
    union all
    select
        fact_id,
        chosen_report_id,
        has_conflict
    from {{ ref('fct_platforms') }}

),

sources as (

    select * from {{ ref('dim_source') }}

),

indicators as (

    select * from {{ ref('dim_indicator') }}

),

periods as (

    select * from {{ ref('dim_period') }}

),

coverage as (

    select
        ---------- ids
        md5(concat_ws('|', reports.portal_id, reports.indicator_key)) as coverage_id,
        reports.portal_id,
        reports.indicator_key,

        ---------- counts
        count(*) as n_reports,
        count(distinct reports.region_key) as n_regions,
        count(distinct reports.period_key) as n_periods,
        count(distinct reports.fact_id) as n_facts,
        count(distinct facts.fact_id) filter (
            where facts.chosen_report_id = reports.report_id
        ) as n_facts_chosen,
        count(distinct facts.fact_id) filter (where facts.has_conflict) as n_conflicting_facts,

        ---------- range
        min(periods.start_date) as first_period_start_date,
        max(periods.end_date) as last_period_end_date,
        max(reports.published_at) as last_published_at,
        max(reports.fetched_at) as last_fetched_at,
        bit_xor(hash(reports.report_id)) as reports_signature

    from reports
    left join facts on reports.fact_id = facts.fact_id
    left join periods on reports.period_key = periods.period_key
    group by reports.portal_id, reports.indicator_key

),

labelled as (

    select
        ---------- ids
        coverage.coverage_id,
        coverage.portal_id,
        coverage.indicator_key,

        ---------- labels
        coalesce(sources.portal_name, coverage.portal_id) as portal_name,
        coalesce(sources.publisher_type, 'unknown') as publisher_type,
        sources.region_name as publisher_region_name,
        coalesce(sources.is_official_publisher, false) as is_official_publisher,
        coalesce(indicators.indicator_name_zh, coverage.indicator_key) as indicator_name_zh,
        indicators.fact_family,

        ---------- counts and range
        coverage.n_reports,
        coverage.n_regions,
        coverage.n_periods,
        coverage.n_facts,
        coverage.n_facts_chosen,
        coverage.n_conflicting_facts,
        coverage.first_period_start_date,
        coverage.last_period_end_date,
        coverage.last_published_at,
        coverage.last_fetched_at,
        coverage.reports_signature,

        ---------- lineage
        {{ kw_load_stamp(incremental) }} as loaded_at

    from coverage
    left join sources on coverage.portal_id = sources.portal_id
    left join indicators on coverage.indicator_key = indicators.indicator_key

),

{% if is_incremental() %}

    tombstones as (

        -- the changed rows left without current reports (on the first run after loaded_at was
        -- added, every stored row)
        select md5(concat_ws('|', gone.portal_id, gone.indicator_key)) as coverage_id
        from {{ 'changed' if incremental else this }} as gone
        anti join coverage
            on
                gone.portal_id = coverage.portal_id
                and gone.indicator_key = coverage.indicator_key

    ),

{% endif %}

final as (

    {{ kw_with_tombstones('labelled') }}

)

select * from final
