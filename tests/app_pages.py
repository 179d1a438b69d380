"""Helpers for AppTest page tests: run one page function on a dataset file, read its map."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

from streamlit.testing.v1 import AppTest

#: the password of the accounts :func:`sign_in` creates (passes the password rules).
TEST_PASSWORD = "amber river crossing 42"


def sign_in(at: AppTest, path: Path, monkeypatch, role: str = "admin", scope: str = "") -> dict:
    """Give ``at`` a signed-in session of an account ``t-<role>`` of ``path`` (created once).

    A dataset without accounts opens only as the shipped demo (fail closed), so page tests on
    their own datasets sign in as a real account; the sign-in form is tested in test_login.
    """
    from argon2 import PasswordHasher

    import geo.privacy.accounts as accounts
    from geo.store import settings

    assert Path(path).resolve() != Path(settings.demo_dataset).resolve(), \
        "never add accounts to the shipped demo (copy it first)"

    monkeypatch.setattr(accounts, "_hasher", PasswordHasher(time_cost=1, memory_cost=64,
                                                            parallelism=1))
    name = f"t-{role}"
    if not accounts.has_account(path, name):
        accounts.add_user(path, name, TEST_PASSWORD, role=role, scope=scope)
    auth = {"path": str(Path(path).resolve()), "user": accounts.get_user(path, name),
            "seen": time.time()}
    at.session_state["auth"] = auth
    return auth


def run_page(page: Callable[[], None], monkeypatch, path: Path, language: str = "en",
             role: str | None = "admin") -> AppTest:
    """Run ``page`` (a self-contained function that renders one page) on the dataset ``path``.

    ``role``: sign in as an account of that role first (``None``: nobody signed in).
    """
    monkeypatch.setenv("CHILDSAFE_DATASET", str(path))
    at = AppTest.from_function(page, default_timeout=90)
    at.session_state["dataset_path"] = str(path)
    at.session_state["lang"] = language
    if role is not None:
        sign_in(at, path, monkeypatch, role)
    return at.run()


def map_args(at: AppTest) -> dict:
    """The arguments of the page's one ``st_folium`` map (asserts there is exactly one)."""
    comps = [e for e in at.main if getattr(getattr(e, "proto", None), "component_name", "")
             == "streamlit_folium.st_folium"]
    assert len(comps) == 1
    return json.loads(comps[0].proto.json_args)
