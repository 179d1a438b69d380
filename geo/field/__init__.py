"""Field work: patrols and their proof, the patrol calendar, inspections, visits, staffing and visit presets.

Modules, and the public functions a caller starts from:

- ``patrols``: ``plan_patrols``, ``PatrolPlan``, ``routes_to_gpx``
- ``patrolcheck``: ``check_track``, ``read_gpx_track``, ``check_summary``, ``store_checks``, ``local_times``
- ``trackproof``: ``track_flags``, ``flag_text``, ``track_in``
- ``calendar``: ``patrol_schedule``, ``day_calendar``, ``public_holidays``, ``schedule_summary``
- ``holidays``: ``holiday_schedule``, ``estimated_years`` (official schedules, lunar estimates)
- ``inspections``: ``record_inspection``, ``store_inspection``, ``inspection_history``
- ``visits``: ``visit_schedule``, ``overdue_by_village``, ``record_visit``, ``store_visit``
- ``staffing``: ``village_staffing``, ``directors_needed``
- ``presets``: ``get_preset``, ``get_patrol_preset``, ``VisitPreset``, ``PatrolPreset``
"""
