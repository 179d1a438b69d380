"""Privacy and access: roles and scopes, accounts, the audit log, upload and path checks, exports.

Modules, and the public functions a caller starts from:

- ``roles``: ``User``, ``dataset_for``, ``analysis_view``, ``filter_result``, ``filter_outputs``, ``clip_to_scope``, ``can``, ``require``
- ``accounts``: ``add_user``, ``authenticate``, ``access_mode``, ``password_problems``, ``has_users``, ``list_users``, ``disable_user``, ``enable_user``, ``set_password``
- ``audit``: ``log_event``, ``read_audit``, ``save_dataset``, ``verify_audit``
- ``security``: ``safe_dataset_path``, ``upload_problems``, ``check_upload``
- ``export``: ``export_dataset``, ``geomask_points``
- ``disclosure``: ``release``, ``population_context``, ``suppressed_mask``, ``display_frame``, ``rollup``, ``figure``, ``band``, ``recoverable_cells``
- ``tables``: ``write_table``, ``table_bytes``, ``read_table``, ``watermark_text``, ``neutralise``
"""
