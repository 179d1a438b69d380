"""Past one machine: multi-county runs as county tasks, in one process or on a Dask cluster.

Modules, and the public functions a caller starts from:

- ``partitions``: ``partitions``, ``read_partition``, ``outside_counties``, ``Partition``
- ``tasks``: ``water_layers``, ``coverage_layers``, ``release``, ``TASKS``
- ``runner``: ``run_counties``, ``county_task``, ``dask_client``, ``dataset_hash``, ``RunReport``
"""
