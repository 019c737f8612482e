{{
    config(
        materialized='incremental',
        unique_key='mention_id',
        incremental_strategy='append',
        on_schema_change='append_new_columns'
    )
}}

{#- Enterprise counts from lists: a page table or an attachment sheet whose header has a
    name column (企业名称 / 单位名称 ...) is a list of named enterprises; its count of non-empty
    names is one report. The indicator comes from the vocabulary term found in the page title,
    file name or sheet name (longest term wins), the region is the publisher's, the period the
    year in the title (else the publish year). Same columns as int_indicator_mentions plus
    where the list came from. -#}

with

page_tables as (

    select * from {{ ref('stg_raw__page_tables') }}

),

attachment_tables as (

    select * from {{ ref('stg_raw__attachment_tables') }}

),

attachments as (

    select * from {{ ref('stg_raw__attachments') }}

),

pages as (

    select * from {{ ref('stg_raw__pages') }}
    where duplicate_of is null

),

portals as (

    select * from {{ ref('stg_raw__portals') }}

),

vocabulary_terms as (

    select
        indicator_key,
        unnest(list_distinct(list_prepend(name_zh, string_split(coalesce(variants, ''), '|')))) as term
    from {{ ref('indicator_vocabulary') }}
    where fact_family = 'enterprise'

),

all_tables as (

    select
        'page_table' as evidence_kind,
        page_version_id,
        cast(null as varchar) as attachment_id,
        table_index,
        cast(null as varchar) as sheet_name,
        cast(null as varchar) as filename,
        coalesce(header_rows, 1) as header_rows,
        grid
    from page_tables

    union all

    select
        'attachment_table' as evidence_kind,
        attachments.page_version_id,
        attachment_tables.attachment_id,
        attachment_tables.table_index,
        attachment_tables.sheet_name,
        attachments.filename,
        coalesce(attachment_tables.header_rows, 1) as header_rows,
        attachment_tables.grid
    from attachment_tables
    inner join attachments on attachment_tables.attachment_id = attachments.attachment_id

),

new_tables as (

    select all_tables.*
    from all_tables
    {% if is_incremental() %}
        where all_tables.page_version_id not in (select t.page_version_id from {{ this }} as t)
    {% endif %}

),

grids as (

    select
        new_tables.*,
        try_cast(new_tables.grid as varchar[][]) as grid_rows
    from new_tables

),

name_columns as (

    select
        grids.*,
        list_position(
            list_transform(
                grids.grid_rows[greatest(grids.header_rows, 1)],
                lambda cell: regexp_matches(coalesce(cell, ''), '(企业|单位|公司|机构)(名称|全称)')  -- noqa: RF03
            ),
            true
        ) as name_column
    from grids
    where len(grids.grid_rows) > greatest(grids.header_rows, 1)

),

lists as (

    select
        name_columns.*,
        len(
            list_filter(
                name_columns.grid_rows[greatest(name_columns.header_rows, 1) + 1:],
                lambda table_row: coalesce(trim(table_row[name_columns.name_column]), '') <> ''  -- noqa: RF03
            )
        ) as n_named
    from name_columns
    where name_columns.name_column > 0

),

described as (

    select
        lists.*,
        pages.portal_id,
        pages.url,
        pages.fetched_at,
        pages.published_at,
        pages.content_hash,
        portals.region_name as publisher_region_name,
        portals.region_code as publisher_region_code,
        concat_ws(' / ', pages.title, lists.filename, lists.sheet_name) as list_caption
    from lists
    inner join pages on lists.page_version_id = pages.page_version_id
    left join portals on pages.portal_id = portals.portal_id

),

matched as (

    select
        described.*,
        vocabulary_terms.indicator_key
    from described
    inner join vocabulary_terms
        on contains(described.list_caption, vocabulary_terms.term)
    qualify row_number() over (
        partition by described.page_version_id, described.attachment_id, described.table_index
        order by length(vocabulary_terms.term) desc, vocabulary_terms.indicator_key
    ) = 1

),

reports as (

    select
        ---------- ids
        md5(
            concat_ws(
                '|',
                'list',
                page_version_id,
                coalesce(attachment_id, ''),
                table_index,
                indicator_key
            )
        ) as mention_id,
        page_version_id,
        portal_id,
        attachment_id,
        table_index,

        ---------- document evidence
        url,
        fetched_at,
        published_at,
        content_hash,
        evidence_kind,

        ---------- the statement
        'enterprise' as fact_family,
        indicator_key,
        case
            when regexp_matches(list_caption, '国家级|国家') then 'national'
            when regexp_matches(list_caption, '省级|省') then 'provincial'
            when regexp_matches(list_caption, '市级') then 'municipal'
            when regexp_matches(list_caption, '县级|区级') then 'district'
            else 'unspecified'
        end as level,
        case
            when regexp_matches(list_caption, '拟|推荐|申报') then 'applied'
            else 'new'
        end as measure,
        cast(n_named as double) as value,
        'count' as unit,
        'exact' as qualifier,
        coalesce(publisher_region_name, 'unknown') as region_name,
        publisher_region_code as region_code,
        coalesce(
            nullif(regexp_extract(list_caption, '(20\d{2})年', 1), ''),
            cast(year(published_at) as varchar),
            'unknown'
        ) as period_key,
        left(list_caption, 300) as quote,
        cast(null as integer) as quote_start,
        cast(null as integer) as quote_end
    from matched
    where n_named > 0

)

select * from reports
