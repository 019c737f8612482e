{{
    config(
        materialized='incremental',
        unique_key='fact_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=["{{ kw_delete_tombstones('n_reports') }}"]
    )
}}

{#- One row per region × period × indicator × level × measure of the platform family, with the
    value chosen among its reports; the rule is documented in macros/reconcile_facts.sql. -#}

{{ reconcile_facts('platform') }}
