-- The landing contract between the crawler (writer) and dbt (reader).
-- Grain of each table in its comment. Idempotent: run on every write connection.
create schema if not exists raw;
create schema if not exists audit;

-- [portal] the registry as it was at the last crawl, so dbt needs no YAML.
create table if not exists raw.portals (
    portal_id        varchar primary key,
    name             varchar not null,
    publisher_type   varchar not null,   -- city_bureau | provincial_department | hitech_zone | county_bureau | trade_repost | forum | national_site | newspaper
    region_code      varchar,            -- GB/T 2260, null for trade sites
    region_name      varchar,
    base_url         varchar,
    authority_rank   integer,            -- 1 = most authoritative (the bureau itself)
    config_hash      varchar,
    updated_at       timestamp
);

-- [crawl run]
create table if not exists raw.crawl_runs (
    run_id             varchar primary key,
    started_at         timestamp not null,
    finished_at        timestamp,
    trigger            varchar,          -- schedule | manual | event | cli
    portals_attempted  integer,
    outcome            varchar           -- ok | partial | failed
);

-- [crawl run x portal] why a portal succeeded, partly succeeded or failed.
create table if not exists raw.crawl_run_portals (
    run_id          varchar not null,
    portal_id       varchar not null,
    status          varchar not null,    -- ok | partial | failed
    reason          varchar,
    fetches         integer,
    errors          integer,
    pages_landed    integer,
    started_at      timestamp,
    finished_at     timestamp,
    primary key (run_id, portal_id)
);

-- [HTTP attempt] every request, including robots.txt, 304s, blocks and errors.
create table if not exists raw.fetches (
    fetch_id        varchar primary key,
    run_id          varchar,
    portal_id       varchar not null,
    url             varchar not null,
    kind            varchar not null,    -- robots | list | article | attachment
    requested_at    timestamp not null,
    status          integer,             -- null when no response (timeout, connection error)
    bytes           bigint,
    elapsed_ms      double,
    content_type    varchar,
    etag            varchar,
    last_modified   varchar,
    encoding        varchar,
    error           varchar,             -- cause, for anything that is not a usable 2xx/304
    blocked_reason  varchar              -- js_challenge_521 | waf_412 | robots_disallow | ...
);

-- [page version] one row per distinct content of a URL; an edit is a new version.
create table if not exists raw.pages (
    page_version_id  varchar primary key, -- sha256(url || content_hash)[:24]
    url              varchar not null,
    portal_id        varchar not null,
    run_id           varchar,
    fetched_at       timestamp not null,
    content_hash     varchar not null,    -- sha256 of the decoded, normalised body text
    html             varchar not null,    -- decoded HTML
    encoding         varchar,             -- encoding used to decode
    decode_ok        boolean,             -- false when the text still looks garbled
    title            varchar,
    published_at     timestamp,           -- Asia/Shanghai wall time
    source           varchar,             -- 来源 line
    body_text        varchar,
    etag             varchar,
    last_modified    varchar,
    duplicate_of     varchar              -- page_version_id of the earliest near-identical copy
);

-- [table of a page version] spans expanded into a rectangular grid.
create table if not exists raw.page_tables (
    page_version_id  varchar not null,
    table_index      integer not null,
    header_rows      integer,
    n_rows           integer,
    n_cols           integer,
    grid             json,                -- list of rows, each a list of cell strings
    primary key (page_version_id, table_index)
);

-- [attachment file]
create table if not exists raw.attachments (
    attachment_id    varchar primary key, -- sha256(url || content_hash)[:24]
    page_version_id  varchar not null,
    url              varchar not null,
    filename         varchar,
    mime             varchar,
    bytes            bigint,
    content_hash     varchar,
    content          blob,
    fetched_at       timestamp,
    parse_status     varchar,             -- parsed | unsupported | failed | too_large
    parse_error      varchar,
    text             varchar
);

-- [table of an attachment]
create table if not exists raw.attachment_tables (
    attachment_id    varchar not null,
    table_index      integer not null,
    sheet_name       varchar,
    header_rows      integer,
    grid             json,
    primary key (attachment_id, table_index)
);

-- [fact candidate] rows the quality gate moved out of the marts, with the reason.
create table if not exists audit.quarantined_mentions (
    mention_id       varchar not null,
    page_version_id  varchar,
    expectation      varchar not null,
    reason           varchar,
    severity         varchar not null,    -- error | warning
    gate_run_id      varchar not null,
    quarantined_at   timestamp not null,
    primary key (mention_id, expectation)
);

-- [fact candidate] quarantine entries the facts gate released (the mention passes again), so the
-- marts take the report back without comparing every report id.
create table if not exists audit.quarantine_releases (
    mention_id       varchar not null,
    page_version_id  varchar,
    expectation      varchar not null,
    quarantined_at   timestamp not null,
    released_at      timestamp not null,
    gate_run_id      varchar not null
);

-- ---- crawler extensions (issue 5); ALTERs keep warehouses created before them working ----
-- list pages: hash of the body, and whether every article it links was resolved (landed, or
-- permanently gone), so an unchanged *and complete* list page lets the next run stop there.
alter table raw.fetches add column if not exists content_hash varchar;
alter table raw.fetches add column if not exists links_complete boolean;
-- how the page was parsed (generic | selectors | mixed) and the title the list page gave it
alter table raw.pages add column if not exists parse_method varchar;
alter table raw.pages add column if not exists list_title varchar;
-- column names joined from multi-row headers ("技术合同/成交额（万元）") and cells parsed as numbers
alter table raw.page_tables add column if not exists caption varchar;
alter table raw.page_tables add column if not exists columns json;
alter table raw.page_tables add column if not exists numeric json;
alter table raw.attachments add column if not exists portal_id varchar;
alter table raw.attachments add column if not exists run_id varchar;
alter table raw.attachments add column if not exists name varchar;          -- link text
alter table raw.attachments add column if not exists kind varchar;          -- sniffed: xlsx | pdf | …
alter table raw.attachments add column if not exists served_content_type varchar;
alter table raw.attachment_tables add column if not exists n_rows integer;
alter table raw.attachment_tables add column if not exists n_cols integer;
alter table raw.attachment_tables add column if not exists caption varchar;
alter table raw.attachment_tables add column if not exists columns json;
alter table raw.attachment_tables add column if not exists numeric json;

-- [page version] MinHash signature of the body, for repost detection across portals.
create table if not exists raw.page_signatures (
    page_version_id  varchar primary key,
    signature        ubigint[] not null
);
-- the figures of the body: a repost keeps every figure, template news with new dates does not
alter table raw.page_signatures add column if not exists numbers varchar[];
