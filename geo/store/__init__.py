"""The dataset store, the ground floor: datasets, their contract, settings, CRSs, checks and errors (imports nothing else of ``geo``).

Modules, and the public functions a caller starts from:

- ``dataset``: ``Dataset``, ``read_dataset``, ``write_dataset``, ``write_layers``, ``empty_layer``, ``coerce_layer`` (a GeoPackage path, or a ``postgresql://`` URL for PostGIS)
- ``withheld``: ``require_full`` (counts of people never on a role view)
- ``frames``: ``Dataset``, ``empty_layer``, ``coerce_layer``, ``coerce_column`` (a dataset in memory)
- ``postgis``: ``PostgisStore``, ``read_dataset``, ``write_dataset``, ``dataset_schemas`` (one schema per county on a PostgreSQL server)
- ``pgurl``: ``parse_url``, ``schema_url``, ``names_every_schema`` (its ``postgresql://…?schema=`` URLs)
- ``pg_security``: ``grant_area_login``, ``revoke_area_login``, ``secure`` (PostgreSQL row-level security by area)
- ``location``: ``is_url``, ``redact``, ``shown`` (a path or a URL; never a password shown)
- ``copying``: ``copy_dataset``, ``secrets_of`` (GeoPackage ↔ PostGIS, every table, the secrets too)
- ``schema``: ``Layer``, ``Column``
- ``labels``: ``label``, ``layer_label``, ``column_label``, ``value_label``, ``weekday_label``, ``place_names``, ``place_text``, ``with_place_names``, ``label_values``, ``label_frame``, ``schema_words``, ``english_schema_words``
- ``places``: ``place_names``, ``place_text``, ``with_place_names`` (names of places next to their codes; the label tables re-export them)
- ``settings``: the defaults every analysis reads at call time
- ``projection``: ``metric_crs_for``, ``is_metric``, ``check_same_crs``, ``union_bounds``
- ``coords``: ``to_wgs84``, ``geometry_to_wgs84``, ``wgs84_to_gcj02``, ``gcj02_to_wgs84``, ``wgs84_to_bd09``, ``bd09_to_wgs84``, ``distance_m``
- ``codes``: ``normalize``, ``level_of``, ``short_form``, ``parent_of``, ``official_counties``, ``is_synthetic_county``, ``county_known``, ``synthetic_allowed``
- ``dates``: ``parse_date``, ``parse_dates``, ``year_of``
- ``geometry``: ``check_geometry``, ``repaired``, ``layer_geometry_problems``
- ``validate``: ``dataset_problems``, ``validate_rows``, ``coordinate_problems``, ``Problem``
- ``errors``: ``ChildSafeError``, ``DatasetError``, ``ValidationError``, ``MissingLayerError``, ``CRSError``, ``SettingsError``, ``PermissionDenied``, ``WithheldRowsError``, ``StoreError``
- ``sqlite``: ``transaction``, ``connect``, ``dataset_lock``, ``check_geopackage``, ``lock_path``, ``refuse_url``
- ``keys``: ``dataset_key``, ``dataset_secret``, ``key_path``, ``read_keys`` (the dataset's secrets, kept beside it)
- ``auditlog``: ``append_event``, ``append_server_event``, ``link``, ``public_settings`` (the audit log's hash chain, file and server)
- ``writer``: ``Store``, ``Writer``, ``AuditEvent`` (the write and read interface every store implements)
- ``stores``: ``open_store``, ``check_dataset``, ``append``, ``replace``, ``upsert``
- ``gpkg``: ``GeoPackageStore``, ``GeoPackageWriter``, ``geometry_blobs``, ``blob_envelope``, ``gpkg_time``
- ``files``: ``check_output``, ``is_childsafe_dataset``, ``temp_beside``, ``replace_durably``, ``remove_stale_temps``, ``stale_temps``, ``file_mode``, ``fault``, ``holders``
- ``progress``: ``stage``, ``report``, ``set_reporter``

The rule of the house: ``store`` imports nothing else of ``geo``; see docs/architecture.md.
"""
