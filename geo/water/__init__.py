"""Water safety: sites, "four ones" kits, drowning risk, hot spots and kit placement.

Modules, and the public functions a caller starts from:

- ``pipeline``: ``water_sites``, ``site_explanation``, ``reference_date``
- ``sites``: ``sites_from_water``, ``cut_lines``
- ``kits``: ``kit_status``, ``apply_inspections``
- ``risk``: ``site_risk``, ``child_vulnerability``, ``decay_weight``
- ``hotspots``: ``hotspots``, ``gi_star``, ``risk_to_hexagons``
- ``kitplacement``: ``place_kits``, ``KitPlan``
"""
