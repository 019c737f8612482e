{#- Every (region name, region code) pair the reports use, mapped to a region_key of dim_region.
    Order of resolution: the extractor's GB/T 2260 code when the seed knows it; a full name or
    short name or alias that matches exactly one division; a zone name (高新区, 开发区 ...) whose leading
    words name a city, which becomes a zone row under that city; otherwise the text itself
    becomes an "unresolved:" key, so such facts stay visible instead of being dropped. -#}

with

divisions as (

    select
        code as region_code,
        name,
        short_name,
        level,
        parent_code,
        string_split(coalesce(aliases, ''), '|') as aliases
    from {{ ref('region_divisions') }}

),

names as (

    select distinct
        region_name,
        region_code
    from {{ ref('int_indicator_reports') }}

),

by_code as (

    select
        names.region_name,
        names.region_code,
        divisions.region_code as resolved_code
    from names
    inner join divisions on names.region_code = divisions.region_code

),

name_candidates as (

    select
        names.region_name,
        names.region_code,
        divisions.region_code as candidate_code
    from names
    inner join divisions
        on
            names.region_name = divisions.name
            or names.region_name = divisions.short_name
            or list_contains(divisions.aliases, names.region_name)

),

by_name as (

    -- Only an unambiguous name resolves (several counties share a name across China).
    select
        region_name,
        region_code,
        min(candidate_code) as resolved_code
    from name_candidates
    group by region_name, region_code
    having count(distinct candidate_code) = 1

),

zone_parents as (

    select
        names.region_name,
        names.region_code,
        divisions.region_code as parent_code
    from names
    inner join divisions
        on
            divisions.level = 'city'
            and regexp_matches(names.region_name, '(高新|开发|经开|自贸|园|新)区$|高新技术产业开发区$')
            and (
                starts_with(names.region_name, divisions.short_name)
                or starts_with(names.region_name, divisions.name)
            )
    qualify row_number() over (
        partition by names.region_name, names.region_code
        order by length(divisions.short_name) desc, divisions.region_code
    ) = 1

),

resolved as (

    select
        names.region_name,
        names.region_code,
        case
            when by_code.resolved_code is not null then by_code.resolved_code
            when by_name.resolved_code is not null then by_name.resolved_code
            when names.region_name = 'unknown' then 'unknown'
            when zone_parents.parent_code is not null then 'zone:' || names.region_name
            else 'unresolved:' || names.region_name
        end as region_key,
        case
            when by_code.resolved_code is not null then 'code'
            when by_name.resolved_code is not null then 'name'
            when names.region_name = 'unknown' then 'unknown'
            when zone_parents.parent_code is not null then 'zone'
            else 'unresolved'
        end as resolution,
        zone_parents.parent_code as zone_parent_code
    from names
    left join by_code
        on
            names.region_name = by_code.region_name
            and names.region_code is not distinct from by_code.region_code
    left join by_name
        on
            names.region_name = by_name.region_name
            and names.region_code is not distinct from by_name.region_code
    left join zone_parents
        on
            names.region_name = zone_parents.region_name
            and names.region_code is not distinct from zone_parents.region_code

)

select distinct * from resolved
