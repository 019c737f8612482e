{#- One row per conformed grain (region × period × indicator × level × measure) of one fact
    family, from the reports in fct_indicator_reports that are not superseded by a later
    version of the same page.

    Choice of the value (first difference wins):
      1. an official publisher (bureau, department, zone, county, national site) over a repost;
      2. the more authoritative portal (authority_rank, 1 = the bureau itself);
      3. an exact figure over an approximate one (约/近), then "over"/"under" bounds;
      4. the later revision: the later publish date, then the later fetch;
      5. the report id, so the choice is deterministic.

    Agreement: exact and approximate figures agree when they are equal once rounded to the
    coarsest rounding unit among them (5.75亿 and 5.8亿 agree; 254 and 255 do not; an
    approximate figure counts as shown to its leading digit). A lower bound ("超1300家")
    conflicts with any smaller figure, an upper bound ("不足") with any larger one.
    value_spread is max - min of all supporting values.

    Incremental by load stamp: a run recomputes the grains with a report that
    fct_indicator_reports loaded after this table's latest loaded_at (a new report, or one
    superseded now) and the grains of quarantined reports (few; fct_indicator_reports dropped
    them), each from all its current reports. A grain left without any current report yields a
    tombstone row (n_reports = 0) that replaces the stored row and that the post-hook deletes
    in the same transaction (kw_delete_tombstones). reports_signature fingerprints a grain's
    supporting reports (bit_xor of their ids' hashes). -#}
{% macro reconcile_facts(fact_family) %}

{#- A table built before loaded_at existed is recomputed in full once, then incrementally
    (macros/incremental_state.sql). -#}
{%- set incremental = kw_incremental_with('loaded_at') %}
{{ kw_touched_reports_depends_on() }}
with

current_reports as (

    select * from {{ ref('fct_indicator_reports') }}
    where fact_family = '{{ fact_family }}' and not is_superseded

),

{% if incremental %}

    changed as (

        select distinct touched.fact_id from ({{ kw_touched_reports(fact_family) }}) as touched

    ),

    reports as (

        select current_reports.*
        from current_reports
        semi join changed on current_reports.fact_id = changed.fact_id

    ),

{% else %}

    reports as (

        select * from current_reports

    ),

{% endif %}

ranked as (

    select
        reports.*,
        row_number() over (
            partition by fact_id
            order by
                is_official_publisher desc,
                authority_rank asc,
                case qualifier when 'exact' then 0 when 'approx' then 1 else 2 end asc,
                published_at desc nulls last,
                fetched_at desc nulls last,
                report_id asc
        ) as preference_rank,
        case
            when qualifier = 'approx' and value <> 0
                then greatest(
                    {{ value_precision('value') }},
                    pow(10, floor(log10(abs(value))))
                )
            when qualifier in ('exact', 'approx') then {{ value_precision('value') }}
        end as rounding_unit
    from reports

),

grain_units as (

    select
        fact_id,
        max(rounding_unit) as grain_rounding_unit
    from ranked
    group by fact_id

),

support as (

    select
        ranked.fact_id,
        count(*) as n_reports,
        count(distinct ranked.portal_id) as n_sources,
        count(distinct ranked.page_version_id) as n_documents,
        max(ranked.value) - min(ranked.value) as value_spread,
        min(ranked.value) as min_value,
        max(ranked.value) as max_value,
        min(round(ranked.value / grain_units.grain_rounding_unit)) filter (
            where ranked.qualifier in ('exact', 'approx')
        ) as min_rounded,
        max(round(ranked.value / grain_units.grain_rounding_unit)) filter (
            where ranked.qualifier in ('exact', 'approx')
        ) as max_rounded,
        min(ranked.value) filter (where ranked.qualifier in ('exact', 'approx')) as min_point,
        max(ranked.value) filter (where ranked.qualifier in ('exact', 'approx')) as max_point,
        max(ranked.value) filter (where ranked.qualifier = 'over') as max_lower_bound,
        min(ranked.value) filter (where ranked.qualifier = 'under') as min_upper_bound,
        bit_xor(hash(ranked.report_id)) as reports_signature
    from ranked
    inner join grain_units on ranked.fact_id = grain_units.fact_id
    group by ranked.fact_id

),

chosen as (

    select * from ranked where preference_rank = 1

),

final as (

    select
        ---------- ids
        chosen.fact_id,
        chosen.region_key,
        chosen.period_key,
        chosen.indicator_key,
        chosen.report_id as chosen_report_id,
        chosen.page_version_id as chosen_page_version_id,
        chosen.portal_id as chosen_portal_id,

        ---------- grain
        chosen.level,
        chosen.measure,

        ---------- the chosen value
        chosen.value,
        chosen.unit,
        chosen.qualifier,

        ---------- support and conflict
        support.n_reports,
        support.n_sources,
        support.n_documents,
        coalesce(
            support.min_rounded <> support.max_rounded
            or support.min_point < support.max_lower_bound
            or support.max_point > support.min_upper_bound
            or support.max_lower_bound >= support.min_upper_bound,
            false
        ) as has_conflict,
        support.value_spread,
        support.min_value,
        support.max_value,
        support.reports_signature,

        ---------- chosen evidence
        chosen.evidence_kind,
        chosen.quote,
        chosen.url,
        chosen.page_title,
        chosen.publisher_type,
        chosen.is_official_publisher,
        chosen.published_at,
        chosen.fetched_at,

        ---------- lineage
        {{ kw_load_stamp(incremental) }} as loaded_at

    from chosen
    inner join support on chosen.fact_id = support.fact_id

),

{% if is_incremental() %}

    tombstones as (

        -- the recomputed grains left without a current report (the first run after loaded_at
        -- was added recomputes every grain, so every stored one is a candidate)
        select
            gone.fact_id,
            0 as n_reports
        from {{ 'changed' if incremental else this }} as gone
        anti join chosen on gone.fact_id = chosen.fact_id

    ),

{% endif %}

facts as (

    {{ kw_with_tombstones('final') }}

)

select * from facts

{% endmacro %}
