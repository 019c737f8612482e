{#- One row per portal: who publishes (bureau, department, zone, trade repost ...), for which
    region, and how authoritative it is (1 = the bureau itself). Portals that landed pages but
    are missing from raw.portals appear as "unknown" so no document loses its source. -#}

with

portals as (

    select * from {{ ref('stg_raw__portals') }}

),

pages as (

    select * from {{ ref('stg_raw__pages') }}

),

seen_only as (

    select distinct pages.portal_id
    from pages
    anti join portals on pages.portal_id = portals.portal_id

),

sources as (

    select
        portal_id,
        portal_name,
        publisher_type,
        region_code,
        region_name,
        base_url,
        coalesce(authority_rank, 99) as authority_rank,
        publisher_type in (
            'city_bureau', 'provincial_department', 'hitech_zone', 'county_bureau', 'national_site'
        ) as is_official_publisher,
        updated_at
    from portals

    union all

    select
        portal_id,
        portal_id as portal_name,
        'unknown' as publisher_type,
        cast(null as varchar) as region_code,
        cast(null as varchar) as region_name,
        cast(null as varchar) as base_url,
        99 as authority_rank,
        false as is_official_publisher,
        cast(null as timestamp) as updated_at
    from seen_only

)

select * from sources
