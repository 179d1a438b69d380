"""Who the stations reach: the road network, access, coverage, gaps and the location-allocation engine for siting.

Modules, and the public functions a caller starts from:

- ``roads``: ``network_for_dataset``, ``build_network``
- ``noding``: ``node_lines`` (junctions of road layers digitised elsewhere)
- ``health``: ``network_health``, ``near_misses``, ``dead_ends``, ``health_features``
- ``network``: ``Network``, ``Snap``, ``snap_points``
- ``access``: ``child_access``, ``household_access``, ``service_standards``, ``stations_of_level``
- ``coverage``: ``coverage_by_unit``, ``coverage_summary``, ``service_areas``
- ``gaps``: ``gap_areas``, ``vulnerability``
- ``siting``: ``site_stations``, ``siting_curve``, ``SitingResult``, ``read_candidates``
- ``places``: ``place_of``
- ``allocation``: ``MaximalCovering``, ``SetCovering``, ``coverage_matrix``, ``lagrangian_bound``
"""
