"""Parameter types shared by the commands."""

from __future__ import annotations

import click


class _DatasetParam(click.ParamType):
    """A dataset argument: an existing GeoPackage, or a ``postgresql://`` URL (the PostGIS store)."""

    name = "DATASET"

    def convert(self, value, param, ctx):
        from geo.store.location import is_url

        if is_url(value):
            return value
        return click.Path(exists=True, dir_okay=False).convert(value, param, ctx)


#: the type of a dataset argument that must exist (a file or a server's URL)
EXISTING_DATASET = _DatasetParam()
