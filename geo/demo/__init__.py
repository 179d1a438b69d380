"""The synthetic demo county (and province-size instances): every analysis runs on it for real.

Modules, and the public functions a caller starts from:

- ``make``: ``make_demo``, ``write_demo``

Its internals (``_county``, ``_geometry``, ``_people``) are used by ``make`` only.
"""
