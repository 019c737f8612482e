{#- The CTEs `changed` and `reports` of an incremental mart kept per grain: `changed` holds the
    grains (`grain` columns) whose reports signature in `signatures` differs from the stored one,
    `reports` the rows of `all_reports` of those grains only, so an increment recomputes just the
    grains new reports touched (delete+insert on the grain replaces them). -#}
{% macro kw_reports_of_changed_grains(all_reports, signatures, grain) %}
    changed as (

        select
            {%- for column in grain %}
            {{ signatures }}.{{ column }}{{ "," if not loop.last }}
            {%- endfor %}
        from {{ signatures }}
        anti join {{ this }} as existing
            on
                {%- for column in grain %}
                {{ signatures }}.{{ column }} = existing.{{ column }} and
                {%- endfor %}
                {{ signatures }}.reports_signature = existing.reports_signature

    ),

    reports as (

        select {{ all_reports }}.*
        from {{ all_reports }}
        semi join changed
            on
                {%- for column in grain %}
                {{ all_reports }}.{{ column }} = changed.{{ column }}{{ " and" if not loop.last }}
                {%- endfor %}

    ),
{% endmacro %}
