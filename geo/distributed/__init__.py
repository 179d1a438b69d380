"""Past one machine: multi-county runs as county tasks, in one process or on a Dask cluster.

Modules, and the public functions a caller starts from:

- ``partitions``: ``partitions``, ``read_partition``, ``outside_counties``, ``Partition``
- ``tasks``: ``water_layers``, ``coverage_layers``, ``station_layers``, ``kit_layers``,
  ``visit_layers``, ``staffing_layers``, ``patrol_layers``, ``release``, ``TASKS``
- ``runner``: ``run_counties``, ``county_task``, ``dask_client``, ``open_dashboard``, ``dataset_hash``,
  ``write_report``, ``RunReport``
- ``budget``: ``shared_budget``, ``allocate``, ``read_curve``
- ``demo``: ``run_demo``, ``demo_task``
"""
