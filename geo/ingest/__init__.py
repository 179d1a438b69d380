"""Bringing data in: ledgers and maps read, headers mapped, personal data removed, rows checked, bad rows quarantined.

Modules, and the public functions a caller starts from:

- ``imports``: ``import_file``, ``prepare_import``, ``ImportResult``
- ``saving``: ``references``, ``store_rows`` (the save step of an import, inside one write)
- ``readers``: ``read_file``, ``read_table``, ``decode_text``
- ``headers``: ``default_mapping``, ``read_mapping``, ``extend_mapping``, ``normalize_header``, ``normalize_value``
- ``geometry``: ``geometry_from_columns``, ``geometry_from_file``, ``geometry_problems``, ``repair_geometry``, ``dataset_area``
- ``pseudonym``: ``pseudonymize``, ``personal_mask``, ``redact_text``, ``is_id_card``, ``is_mobile``, ``is_phone``, ``SaltSource``
- ``personal``: ``remove_personal_content``, ``is_id_column``
- ``names``: ``remove_names``, ``redact_names``, ``is_person_name``
- ``osm``: ``read_osm``
- ``quarantine``: ``write_quarantine``, ``default_quarantine_path``
"""
