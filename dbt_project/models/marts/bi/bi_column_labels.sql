{#- BI: table.column → 中文标签 for every published table. Built from the dbt graph at run time,
    so the labels live in one place, the YAML: a column's own `meta: {label_zh: ...}` (every
    bi_* column has one), else the label of its column name in this model's
    `meta.common_labels` (shared names such as region_key or fact_id used by the fct_/dim_
    tables), plus `meta.extra_tables` for the tables the publisher adds (publication_manifest,
    quarantined_mentions). A column with neither is listed with an empty label, so gaps show. -#}

{%- set rows = [] -%}
{%- if execute and model is defined and graph is defined -%}
    {%- set common = model.config.meta.get('common_labels', {}) -%}
    {%- set extra = model.config.meta.get('extra_tables', {}) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.schema == this.schema -%}
        {%- for column in node.columns.values() -%}
            {%- set own = column.get('meta', {}).get('label_zh')
                or column.get('config', {}).get('meta', {}).get('label_zh') -%}
            {%- do rows.append({
                'table_name': node.name,
                'column_name': column.name,
                'label_zh': own or common.get(column.name, ''),
                'label_source': 'column' if own else ('common' if column.name in common else 'missing'),
                'description': (column.description or '') | replace('\n', ' ') | trim,
                'position': loop.index,
            }) -%}
        {%- endfor -%}
    {%- endfor -%}
    {#- no tuple unpacking: sqlfluff's jinja templater lints this file without a dbt graph -#}
    {%- for table_name in extra -%}
        {%- set columns = extra[table_name] -%}
        {%- for column_name in columns -%}
            {%- do rows.append({
                'table_name': table_name,
                'column_name': column_name,
                'label_zh': columns[column_name],
                'label_source': 'publisher',
                'description': '',
                'position': loop.index,
            }) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif -%}

with

labels as (

    select
        cast(null as varchar) as table_name,
        cast(null as varchar) as column_name,
        cast(null as varchar) as label_zh,
        cast(null as varchar) as label_source,
        cast(null as varchar) as description,
        cast(null as integer) as column_position
    where false
    {%- for row in rows %}
        union all
        select
            '{{ row.table_name | replace("'", "''") }}',
            '{{ row.column_name | replace("'", "''") }}',
            '{{ row.label_zh | replace("'", "''") }}',
            '{{ row.label_source }}',
            '{{ row.description | replace("'", "''") }}',
            {{ row.position }}
    {%- endfor %}

)

select
    ---------- ids
    table_name || '.' || column_name as column_key,
    table_name,
    column_name,

    ---------- labels
    label_zh,
    label_source,
    description,
    column_position
from labels
