{#- Every province, city and county of China (GB/T 2260, from the generated seed
    region_divisions), the zones the seed knows, plus what the reports named that the seed does
    not hold: zones seen in the data (mapped to their parent city), unresolved place names and
    "unknown". Key: the GB/T code for seed rows, "zone:<name>", "unresolved:<name>", "unknown". -#}

with

divisions as (

    select * from {{ ref('region_divisions') }}

),

lookup as (

    select * from {{ ref('int_region_lookup') }}

),

seed_regions as (

    select
        code as region_key,
        code as region_code,
        name as region_name,
        short_name,
        level as region_level,
        nullif(parent_code, '') as parent_code,
        'seed' as resolution,
        true as is_resolved
    from divisions

),

data_regions as (

    select distinct
        lookup.region_key,
        cast(null as varchar) as region_code,
        lookup.region_name,
        cast(null as varchar) as short_name,
        case lookup.resolution when 'zone' then 'zone' else 'unresolved' end as region_level,
        lookup.zone_parent_code as parent_code,
        lookup.resolution,
        lookup.resolution = 'zone' as is_resolved
    from lookup
    where lookup.resolution in ('zone', 'unresolved', 'unknown')

),

unioned as (

    select * from seed_regions
    union all
    select * from data_regions

),

with_province as (

    -- The province a region belongs to: GB/T codes share the first two digits.
    select
        unioned.*,
        left(coalesce(unioned.region_code, unioned.parent_code), 2) || '0000' as province_code
    from unioned

)

select * from with_province
