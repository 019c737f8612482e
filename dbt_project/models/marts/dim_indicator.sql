{#- The indicator vocabulary (seed), plus any key the extractor used that the vocabulary does
    not know, flagged, so a fact never loses its dimension row and the gap is visible. -#}

with

vocabulary as (

    select * from {{ ref('indicator_vocabulary') }}

),

used as (

    select distinct
        indicator_key,
        fact_family,
        unit
    from {{ ref('int_indicator_reports') }}

),

known as (

    select
        indicator_key,
        fact_family,
        name_zh as indicator_name_zh,
        string_split(coalesce(variants, ''), '|') as name_variants,
        unit,
        true as is_in_vocabulary
    from vocabulary

),

unknown as (

    select
        used.indicator_key,
        min(used.fact_family) as fact_family,
        used.indicator_key as indicator_name_zh,
        cast([] as varchar[]) as name_variants,
        min(used.unit) as unit,
        false as is_in_vocabulary
    from used
    anti join vocabulary on used.indicator_key = vocabulary.indicator_key
    group by used.indicator_key

)

select * from known
union all
select * from unknown
