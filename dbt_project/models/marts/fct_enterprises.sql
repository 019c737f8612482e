{#- One row per region × period × indicator × level × measure of the enterprise family, with the
    value chosen among its reports; the rule is documented in macros/reconcile_facts.sql. -#}

{{ reconcile_facts('enterprise') }}
