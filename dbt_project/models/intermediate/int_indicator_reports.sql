-- depends_on: {{ ref('int_page_extractions') }}
{{
    config(
        materialized='incremental',
        unique_key='report_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns'
    )
}}

{#- Every report of a figure, whatever its evidence: statements extracted from page text
    (int_indicator_mentions) and counts of enterprise lists in tables
    (int_enterprise_list_counts), with what the marts need to choose between reports: the
    publisher's type and authority and whether a later version of the same URL superseded
    the page version. Quarantine is applied in the marts, after the facts gate has run.

    Incremental: a run (re)writes only the reports that are new or whose is_superseded flag
    changed (a newer version of their URL arrived), found per page version for text mentions
    and per report for list counts; the wide evidence columns of history are not rewritten.
    Every row written carries the run's loaded_at, by which fct_indicator_reports takes them.
    Portal attributes are read when a report is written: after changing raw.portals, run with
    --full-refresh. -#}

{#- Text reports carry their page's extracted_at; a table built before that column existed
    compares every page state once (the branch below) and gains it. -#}
{%- set by_watermark = kw_incremental_with('extracted_at') %}

with

mentions as (

    select
        *,
        'text' as evidence_kind,
        cast(null as varchar) as attachment_id,
        cast(null as integer) as table_index
    from {{ ref('int_indicator_mentions') }}

),

list_counts as (

    select * from {{ ref('int_enterprise_list_counts') }}

),

unioned as (

    select * from mentions
    union all by name
    select * from list_counts

),

pages as (

    select * from {{ ref('stg_raw__pages') }}

),

portals as (

    select * from {{ ref('stg_raw__portals') }}

),

{% if by_watermark %}

    watermark as (

        select coalesce(max(extracted_at), cast('-infinity' as timestamp)) as extracted_at
        from {{ this }}
        where evidence_kind = 'text'

    ),

    new_extractions as (

        -- The page versions extracted since this model last ran, with facts or without: their
        -- reports are new, and a new version of a URL may supersede the earlier ones.
        select extractions.page_version_id
        from {{ ref('int_page_extractions') }} as extractions
        where extractions.extracted_at > (select watermark.extracted_at from watermark)

    ),

    scoped_urls as (

        select pages.url
        from pages
        semi join new_extractions on pages.page_version_id = new_extractions.page_version_id

        union

        -- enterprise lists are few and compared report by report below
        select pages.url
        from pages
        semi join list_counts on pages.page_version_id = list_counts.page_version_id

    ),

    version_pages as (

        -- every version of those URLs, so the newest of each is known
        select pages.*
        from pages
        semi join scoped_urls on pages.url = scoped_urls.url

    ),

{% endif %}

latest_versions as (

    -- An edit of a page is a new page version of the same URL; the newest one speaks for it.
    select
        page_version_id,
        row_number() over (
            partition by url order by fetched_at desc, page_version_id desc
        ) = 1 as is_latest_version
    from {{ 'version_pages' if by_watermark else 'pages' }}
    where duplicate_of is null

),

{% if is_incremental() %}

    page_states as (

        -- Whether each page version is superseded now: ~100k narrow rows, not ~1M reports
        -- (with the watermark, only the versions of the URLs this run may change).
        select
            pages.page_version_id,
            not coalesce(latest_versions.is_latest_version, true) as is_superseded
        from {{ 'version_pages' if by_watermark else 'pages' }} as pages
        left join latest_versions on pages.page_version_id = latest_versions.page_version_id

    ),

    stored_text_pages as (

        select distinct
            stored.page_version_id,
            stored.is_superseded
        from {{ this }} as stored
        {% if by_watermark %}
            semi join page_states on stored.page_version_id = page_states.page_version_id
        {% endif %}
        where stored.evidence_kind = 'text'

    ),

    changed_text_pages as (

        -- int_indicator_mentions appends all the text mentions of a page version at once, so
        -- the pages whose text reports are new or whose superseded flag changed are found by
        -- comparing page states, not every report.
        select page_states.page_version_id
        from page_states
        anti join stored_text_pages
            on
                page_states.page_version_id = stored_text_pages.page_version_id
                and page_states.is_superseded = stored_text_pages.is_superseded

    ),

    stored_list_reports as (

        select
            report_id,
            is_superseded
        from {{ this }}
        where evidence_kind <> 'text'

    ),

    changed as (

        -- the model itself, not the CTE: a second reference makes DuckDB materialize every
        -- column of ~1M mentions
        select mentions.mention_id
        from {{ ref('int_indicator_mentions') }} as mentions
        semi join changed_text_pages
            on mentions.page_version_id = changed_text_pages.page_version_id

        union all

        -- Counts of enterprise lists are few (and an attachment may come after its page):
        -- compared report by report.
        select list_counts.mention_id
        from list_counts
        left join page_states on list_counts.page_version_id = page_states.page_version_id
        anti join stored_list_reports
            on
                list_counts.mention_id = stored_list_reports.report_id
                and stored_list_reports.is_superseded = coalesce(page_states.is_superseded, false)

    ),

{% endif %}

reports as (

    select
        ---------- ids
        unioned.mention_id as report_id,
        unioned.page_version_id,
        unioned.portal_id,
        unioned.attachment_id,
        unioned.table_index,

        ---------- the statement
        unioned.fact_family,
        unioned.indicator_key,
        unioned.level,
        unioned.measure,
        unioned.value,
        unioned.unit,
        unioned.qualifier,
        -- A figure whose region the extractor could not name is taken to be about the
        -- publisher's own region (as 我市/全市 are); trade sites have none and stay unknown.
        case
            when coalesce(nullif(trim(unioned.region_name), ''), 'unknown') <> 'unknown'
                then trim(unioned.region_name)
            else coalesce(nullif(trim(portals.region_name), ''), 'unknown')
        end as region_name,
        case
            when coalesce(nullif(trim(unioned.region_name), ''), 'unknown') <> 'unknown'
                then nullif(trim(unioned.region_code), '')
            else nullif(trim(portals.region_code), '')
        end as region_code,
        coalesce(nullif(trim(unioned.region_name), ''), 'unknown') = 'unknown'
        and portals.region_name is not null as is_region_from_publisher,
        coalesce(nullif(trim(unioned.period_key), ''), 'unknown') as period_key,

        ---------- evidence
        unioned.evidence_kind,
        unioned.quote,
        unioned.quote_start,
        unioned.quote_end,
        unioned.url,
        pages.title as page_title,
        unioned.content_hash,
        unioned.fetched_at,
        unioned.published_at,

        ---------- publisher
        coalesce(portals.publisher_type, 'unknown') as publisher_type,
        coalesce(portals.authority_rank, 99) as authority_rank,
        coalesce(
            portals.publisher_type in (
                'city_bureau', 'provincial_department', 'hitech_zone', 'county_bureau', 'national_site'
            ),
            false
        ) as is_official_publisher,
        not coalesce(latest_versions.is_latest_version, true) as is_superseded,

        ---------- lineage
        unioned.extracted_at,
        {{ kw_load_stamp(kw_incremental_with('loaded_at')) }} as loaded_at

    from unioned
    left join pages on unioned.page_version_id = pages.page_version_id
    left join portals on unioned.portal_id = portals.portal_id
    left join latest_versions on unioned.page_version_id = latest_versions.page_version_id
    {% if is_incremental() %}
        semi join changed on unioned.mention_id = changed.mention_id
    {% endif %}

)

select * from reports
