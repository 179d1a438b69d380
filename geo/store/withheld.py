"""Counts of people only on data that holds the people: the guard every such analysis calls.

A role view (``geo.privacy.roles.dataset_for``) holds no children for a leader, and only
household points for a planner; it marks those layers in ``Dataset.withheld``. Aggregates for
roles that may not see children are computed on the scope's full data and then released by
``geo.privacy.disclosure``; computed on the role view they would count nobody (a leader's
staffing with 0 children in every village). :func:`require_full` refuses that.
"""

from __future__ import annotations

from geo.store.dataset import Dataset
from geo.store.errors import WithheldRowsError


def require_full(dataset: Dataset, *layers: str, task: str) -> None:
    """Refuse to count people on a dataset that does not hold their rows in full.

    Called first by every analysis that counts people (staffing, visit schedules, coverage,
    children near water, population tables).

    Raises
    ------
    WithheldRowsError
        One of ``layers`` is among ``dataset.withheld``.
    """
    missing = [name for name in layers if name in dataset.withheld]
    if missing:
        raise WithheldRowsError(missing, task)
