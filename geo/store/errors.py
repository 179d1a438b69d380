"""Domain exceptions: what the app and the CLI catch and show to users.

Each error carries every problem found in one input, so a user fixes them in one pass.
Bugs are not wrapped: they still crash loudly.
"""

from __future__ import annotations

from collections.abc import Iterable


class ChildSafeError(Exception):
    """Base of the errors a user can act on (bad file, bad setting, missing layer)."""


class DatasetError(ChildSafeError, ValueError):
    """A dataset file cannot be read or does not follow the dataset contract (SCHEMA.md)."""

    def __init__(self, path: object, problems: Iterable[str]):
        self.path = str(path)
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{self.path}: the dataset cannot be used:\n{lines}")


class ValidationError(ChildSafeError, ValueError):
    """Input rows break the dataset rules; ``problems`` lists (row, column, reason)."""

    def __init__(self, message: str, problems: Iterable[tuple[object, str, str]] = ()):
        self.problems = list(problems)
        super().__init__(message)


class MissingLayerError(ChildSafeError, ValueError):
    """An analysis needs a layer the dataset does not have (or has empty)."""

    def __init__(self, needed: Iterable[str], task: str):
        self.needed = list(needed)
        self.task = task
        names = ", ".join(self.needed)
        super().__init__(
            f"{task} needs the layer(s) {names}, which the dataset lacks or holds empty; "
            f"import them with `childsafe import`"
        )


class CRSError(ChildSafeError, ValueError):
    """Inputs without a CRS, or in different CRSs where one is required."""


class SettingsError(ChildSafeError, ValueError):
    """A setting or a preset name is not valid."""


class PermissionDenied(ChildSafeError, PermissionError):
    """The current user's role or area scope does not allow this."""


class StoreError(ChildSafeError, OSError):
    """A dataset cannot be written or opened: disk full, read-only, locked, not a GeoPackage.

    The message says it in Chinese first, then in English; the dataset is left as it was.
    ``kind`` is one of ``disk_full``, ``read_only``, ``locked``, ``not_gpkg``, ``missing``,
    ``refused`` (an output that would overwrite a dataset), ``io``.
    """

    def __init__(self, kind: str, zh: str, en: str):
        self.kind = kind
        self.zh = zh
        self.en = en
        super().__init__(f"{zh}\n{en}")

    def __str__(self) -> str:
        return f"{self.zh}\n{self.en}"


class WithheldRowsError(ChildSafeError, RuntimeError):
    """A count of people was asked of a role view that does not hold the people's rows.

    Aggregates for roles that may not see children are computed on the scope's full data
    (``geo.privacy.roles.analysis_view``) and then released by ``geo.privacy.disclosure``;
    computed on a role view they would count nobody (a leader's staffing with no children).
    """

    def __init__(self, layers: Iterable[str], task: str):
        self.layers = list(layers)
        self.task = task
        names = ", ".join(self.layers)
        super().__init__(
            f"{task}：需要在完整数据上计算后再按角色发布，当前数据是不含 {names} 明细的角色视图 / "
            f"{task} counts people: compute it on the scope's full data and release it by role; "
            f"this is a role view without the rows of {names}"
        )
