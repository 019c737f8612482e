{{
    config(
        materialized='incremental',
        unique_key='fact_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook=[
            "delete from {{ this }} where fact_id not in
                (select fact_id from {{ ref('fct_indicator_reports') }}
                 where fact_family = 'enterprise' and not is_superseded)"
        ]
    )
}}

{#- One row per region × period × indicator × level × measure of the enterprise family, with the
    value chosen among its reports; the rule is documented in macros/reconcile_facts.sql. -#}

{{ reconcile_facts('enterprise') }}
