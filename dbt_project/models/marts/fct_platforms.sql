{#- One row per region × period × indicator × level × measure of the platform family, with the
    value chosen among its reports; the rule is documented in macros/reconcile_facts.sql. -#}

{{ reconcile_facts('platform') }}
