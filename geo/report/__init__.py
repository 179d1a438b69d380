"""Leaders' indicators, snapshots and the yearly report: progress against the plan, and the report that goes up.

Modules, and the public functions a caller starts from:

- ``indicators``: ``Indicator``, ``Target``, ``status``, ``definitions``, ``check_preset``
- ``facts``: ``unit_facts``, ``UnitFacts``
- ``rollup``: ``sources_from``, ``facts_for``, ``indicator_table``, ``aggregate``, ``register_source``, ``scope_data``
- ``snapshots``: ``take_snapshot``, ``read_snapshots``, ``nearest_snapshot``, ``trend``
- ``maps``: ``choropleth``, ``water_map``, ``cjk_font``
- ``document``: ``build_report``, ``Report``, ``release_table``
- ``render``: ``write_report``, ``report_html``, ``report_json``
- ``spotcheck``: ``draw_spot_check``, ``record_spot_check``, ``read_spot_checks``
"""
