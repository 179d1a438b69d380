"""The app's pages, one module per view; ``app.py`` builds the navigation from ``PAGES``.

Each page module defines ``render() -> None``. A page entry is
``(module, zh_title, en_title, icon, roles)`` where ``roles`` lists the roles that may open it
(``None``: every signed-in role).
"""

from __future__ import annotations

PAGES: list[tuple[str, str, str, str, tuple[str, ...] | None]] = [
    ("views.overview", "总览地图", "Overview map", ":material/map:", None),
    ("views.progress", "规划进展", "Progress", ":material/insights:", ("admin", "leader", "planner")),
    ("views.admin", "用户与审计", "Users and audit", ":material/admin_panel_settings:", ("admin",)),
    ("views.visits", "村级关爱与走访", "Villages & visits", ":material/family_restroom:",
     ("admin", "leader", "planner", "child_director")),
    ("views.coverage", "站点覆盖", "Stations & coverage", ":material/hub:", ("admin", "leader", "planner")),
    ("views.water", "水域安全", "Water safety", ":material/pool:", ("admin", "leader", "safety_officer", "planner")),
    ("views.patrols", "巡查", "Patrols", ":material/directions_walk:", ("admin", "safety_officer", "leader")),
    ("views.data_import", "数据导入", "Import data", ":material/upload_file:", ("admin", "planner", "child_director")),
]
