"""Role x layer x export matrix: each role sees exactly its share, and nothing outside its scope."""

from __future__ import annotations

import sqlite3

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from privacy_data import (  # noqa: F401
    B_MARKERS,
    SALT,
    TOWNSHIP,
    VILLAGE_A,
    VILLAGE_B,
    fast_passwords,
    two_villages,
)

from geo.cli._main import cli
from geo.privacy.accounts import add_user
from geo.privacy.disclosure import suppressed_mask
from geo.privacy.export import export_dataset, geomask_points
from geo.privacy.roles import (
    CAPABILITIES,
    LOCAL_OPERATOR,
    ROLE_MATRIX,
    ROLES,
    User,
    analysis_view,
    dataset_for,
    filter_result,
    require,
    run_analysis,
    visible_layers,
)
from geo.store import settings
from geo.store.dataset import read_dataset, write_dataset
from geo.store.errors import PermissionDenied

PASSWORD = "correct horse battery"
SCOPES = {"admin": "", "leader": TOWNSHIP, "planner": "340123", "safety_officer": TOWNSHIP,
          "child_director": VILLAGE_A}


@pytest.fixture
def ds():
    return two_villages()


@pytest.fixture
def dataset_file(tmp_path):
    path = tmp_path / "county.gpkg"
    write_dataset(two_villages(), path)
    for role, scope in SCOPES.items():
        add_user(path, f"u_{role}", PASSWORD, role=role, scope=scope)
    return path


def _all_text(view) -> str:
    parts = []
    for name, frame in view.items():
        parts.append(name)
        parts.append(pd.DataFrame(frame).astype(str).to_csv())
    return "\n".join(parts)


def _file_text(path) -> str:
    """Every value of every table of a GeoPackage, as text (what anyone opening it could read)."""
    con = sqlite3.connect(path)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        out = []
        for t in tables:
            out.append(t)
            for row in con.execute(f'SELECT * FROM "{t}"'):
                out.extend(str(v) for v in row if not isinstance(v, bytes))
        return "\n".join(out)
    finally:
        con.close()


@pytest.mark.parametrize("role", ROLES)
def test_role_view_holds_exactly_the_matrix_layers(ds, role):
    view = dataset_for(User("u", role, SCOPES[role]), ds)
    assert set(view) == set(visible_layers(role))
    assert "users" not in view and "dataset_settings" not in view
    assert "pseudonym_salt" not in view.settings
    assert view.role_view.role == role


def test_leader_sees_aggregates_with_small_counts_suppressed(ds):
    view = dataset_for(User("lead", "leader", TOWNSHIP), ds)
    assert not {"households", "children", "visits", "audit_log"} & set(view)
    counts = view["area_counts"].set_index("code")
    hidden = suppressed_mask(counts)
    # B has 2 households and 2 children: hidden; A (6 and 7) is hidden too, or the township
    # (8 households, 9 children) minus A would give B back
    assert hidden.loc[VILLAGE_B, "households"] and hidden.loc[VILLAGE_A, "households"]
    assert hidden.loc[VILLAGE_A, "left_behind"]  # 2 left-behind in A
    assert counts.loc[TOWNSHIP, "children"] == 9 and not hidden.loc[TOWNSHIP, "children"]
    assert pd.isna(counts.loc[VILLAGE_B, "households"])  # a number column with a hole, no "<5"
    assert pd.api.types.is_numeric_dtype(counts["households"])
    hexes = view["hex_counts"]
    assert len(hexes) and set(hexes.geom_type) == {"Polygon"}
    shown = hexes["children"].dropna()
    assert (shown >= settings.small_count_threshold).all()
    assert pd.api.types.is_numeric_dtype(hexes["children"])


def test_suppression_threshold_is_a_setting(ds, monkeypatch):
    monkeypatch.setattr(settings, "small_count_threshold", 3)
    counts = dataset_for(User("lead", "leader", TOWNSHIP), ds)["area_counts"].set_index("code")
    hidden = suppressed_mask(counts)
    assert hidden.loc[VILLAGE_B, "households"]  # 2 < 3
    assert hidden.loc[VILLAGE_A, "left_behind"]  # 2 < 3
    assert not hidden.loc[TOWNSHIP, "households"]
    monkeypatch.setattr(settings, "small_count_threshold", 2)
    counts = dataset_for(User("lead", "leader", TOWNSHIP), ds)["area_counts"].set_index("code")
    assert not suppressed_mask(counts).loc[VILLAGE_B, "households"]  # 2 is not below 2


def test_planner_sees_household_points_and_counts_only(ds):
    view = dataset_for(User("plan", "planner", "340123"), ds)
    hh = view["households"].set_index("household_id")
    assert len(hh) == 8
    assert hh["caregiver"].isna().all()
    assert hh.loc["hA1", ["children", "left_behind", "in_difficulty", "under_6"]].tolist() == [2, 1, 1, 1]
    assert hh.loc["hA2", "children"] == 1 and hh.loc["hA2", "left_behind"] == 1
    assert "children" not in view and "visits" not in view
    assert view["area_counts"].set_index("code").loc[VILLAGE_B, "households"] == 2


def test_safety_officer_sees_no_households_or_children(ds):
    view = dataset_for(User("so", "safety_officer", TOWNSHIP), ds)
    assert set(view) == {"admin_units", "water_bodies", "safety_kits", "stations", "roads",
                         "inspections"}
    assert len(view["water_bodies"]) == 2 and len(view["safety_kits"]) == 2


def test_child_director_of_a_sees_full_records_of_a_and_nothing_of_b(ds):
    view = dataset_for(User("dirA", "child_director", VILLAGE_A), ds)
    assert sorted(view["households"]["household_id"]) == [f"hA{i}" for i in range(1, 7)]
    assert len(view["children"]) == 7 and "guardianship" in view["children"]
    assert list(view["visits"]["visit_id"]) == ["vA1"]
    text = _all_text(view)
    for marker in B_MARKERS:
        assert marker not in text, marker


def test_admin_sees_everything_but_secrets(ds):
    view = dataset_for(User("root", "admin", ""), ds)
    for name in ("households", "children", "visits", "inspections"):
        assert len(view[name]) == len(ds[name])
    assert view.settings == {"visit_preset": "national"}


def test_dataset_for_does_not_change_its_input(ds):
    before = {n: f.copy() for n, f in ds.items()}
    dataset_for(User("p", "planner"), ds)
    for n, f in before.items():
        pd.testing.assert_frame_equal(pd.DataFrame(ds[n]), pd.DataFrame(f))


def test_require_and_capabilities():
    assert require(User("a", "admin"), "manage_users").role == "admin"
    with pytest.raises(PermissionDenied):
        require(User("l", "leader"), "view_personal")
    with pytest.raises(PermissionDenied, match="sign in"):
        require(None, "analyse")
    assert set(CAPABILITIES) == set(ROLES) == set(ROLE_MATRIX)
    with pytest.raises(PermissionDenied, match="unknown role"):
        User("x", "superuser")
    with pytest.raises(PermissionDenied, match="admin-code prefix"):
        User("x", "leader", "34a")


# --- analysis outputs ------------------------------------------------------------------------


def _children_near_sites(view) -> pd.DataFrame:
    """A toy analysis needing child rows: children per village (as a risk ranking would)."""
    hh = view["households"][["household_id", "village_code"]]
    merged = view["children"].merge(pd.DataFrame(hh), on="household_id")
    return merged.groupby("village_code").size().rename("children_near").reset_index()


def test_analyses_run_on_full_data_and_only_outputs_are_filtered(ds):
    plan = run_analysis(User("p", "planner", TOWNSHIP), ds, "children_near", _children_near_sites)
    assert dict(zip(plan["village_code"], plan["children_near"], strict=True)) == {VILLAGE_A: 7, VILLAGE_B: 2}
    # the matrix gives safety officers no counts per area: withheld, not exact
    so = run_analysis(User("so", "safety_officer", TOWNSHIP), ds, "children_near", _children_near_sites)
    assert so["children_near"].isna().all() and (so["suppressed"] == "children_near").all()
    # leaders: B (2) hidden, and A too, since the total of the scope (9) is known
    lead = run_analysis(User("l", "leader", TOWNSHIP), ds, "children_near", _children_near_sites)
    assert lead["children_near"].isna().all()
    director = run_analysis(User("d", "child_director", VILLAGE_A), ds, "children_near",
                            _children_near_sites)
    assert list(director["village_code"]) == [VILLAGE_A]


@pytest.mark.parametrize("role", ["leader", "safety_officer", "planner"])
def test_per_child_outputs_refused_without_view_personal(ds, role):
    per_child = analysis_view(User("a", "admin"), ds)["children"]
    with pytest.raises(PermissionDenied, match="per-child"):
        filter_result(User("u", role, SCOPES[role]), "overdue", per_child)


def test_per_household_outputs(ds):
    hh = pd.DataFrame(ds["households"][["household_id", "village_code", "caregiver"]])
    planner = filter_result(User("p", "planner"), "unreached", hh)
    assert "caregiver" not in planner and len(planner) == 8
    with pytest.raises(PermissionDenied, match="per-household"):
        filter_result(User("l", "leader"), "unreached", hh)
    director = filter_result(User("d", "child_director", VILLAGE_A), "unreached", hh)
    assert set(director["village_code"]) == {VILLAGE_A}


def test_analysis_view_needs_the_capability_and_hides_secrets(ds):
    view = analysis_view(User("so", "safety_officer", VILLAGE_A), ds)
    assert len(view["children"]) == 7  # engine input, scope-clipped
    assert "pseudonym_salt" not in view.settings


# --- exports ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("suffix", [".gpkg", ".xlsx"])
def test_export_holds_exactly_the_role_view(ds, tmp_path, role, suffix):
    out = export_dataset(ds, tmp_path / f"{role}{suffix}", actor=LOCAL_OPERATOR, role=role,
                         scope=SCOPES[role])
    if suffix == ".gpkg":
        import pyogrio

        layers = {str(r[0]) for r in pyogrio.list_layers(out)}
        text = _file_text(out)
    else:
        import openpyxl

        from geo.store.labels import layer_label

        wb = openpyxl.load_workbook(out)  # sheets named in words (settings.language: zh)
        names = {layer_label(n, "zh"): n for n in [*visible_layers(role), "watermark"]}
        layers = {names.get(s, s) for s in wb.sheetnames}
        text = "\n".join(str(c) for ws in wb for row in ws.iter_rows(values_only=True) for c in row)
    assert layers == set(visible_layers(role)) | {"watermark"}
    assert SALT not in text and "$argon2" not in text
    assert "users" not in layers and "dataset_settings" not in layers
    if role == "child_director":
        for marker in B_MARKERS:
            assert marker not in text, marker


def test_export_refuses_wider_views_than_the_actor(ds, tmp_path):
    director = User("d", "child_director", VILLAGE_A)
    with pytest.raises(PermissionDenied):
        export_dataset(ds, tmp_path / "x.gpkg", actor=director, role="admin")
    with pytest.raises(PermissionDenied):
        export_dataset(ds, tmp_path / "x.gpkg", actor=director, scope=VILLAGE_B)
    with pytest.raises(PermissionDenied):
        export_dataset(ds, tmp_path / "x.gpkg", actor=User("a", "admin", VILLAGE_A), scope="")


def test_geomask_moves_points_within_the_donut_deterministically(ds):
    pts = ds["households"]
    moved = geomask_points(pts, radius_m=200, seed=1, key="household_id")
    again = geomask_points(pts, radius_m=200, seed=1, key="household_id")
    other = geomask_points(pts, radius_m=200, seed=2, key="household_id")
    metric = "EPSG:32650"
    d = moved.to_crs(metric).distance(pts.to_crs(metric))
    assert (d >= 200 * settings.geomask_inner_fraction - 0.01).all() and (d <= 200.01).all()
    assert moved.geom_equals(again).all()
    assert not moved.geom_equals(other).any()
    assert list(moved["household_id"]) == list(pts["household_id"])
    with pytest.raises(Exception, match="points only"):
        geomask_points(ds["water_bodies"], radius_m=100, seed=1)


def test_geomask_is_uniform_over_the_ring_area():
    n = 4000
    pts = gpd.GeoDataFrame({"k": [str(i) for i in range(n)]},
                           geometry=gpd.points_from_xy(np.full(n, 117.0), np.full(n, 31.6)),
                           crs="EPSG:4326")
    moved = geomask_points(pts, radius_m=100, seed="s", key="k", inner_m=0)
    d = moved.to_crs("EPSG:32650").distance(pts.to_crs("EPSG:32650"))
    # uniform over the disc: P(d < 50) = 1/4
    assert abs((d < 50).mean() - 0.25) < 0.03


def test_exported_households_are_geomasked(ds, tmp_path):
    source = tmp_path / "county.gpkg"  # the mask key is the dataset file's (kept beside it)
    write_dataset(ds, source)
    out = export_dataset(ds, tmp_path / "p.gpkg", actor=LOCAL_OPERATOR, role="planner",
                         geomask_m=300, source=source)
    got = read_dataset(out, layers=["households"])["households"].to_crs("EPSG:32650")
    true = ds["households"].to_crs("EPSG:32650")
    d = got.distance(true)
    assert (d > 300 * settings.geomask_inner_fraction - 0.5).all() and (d < 300.5).all()


# --- the CLI: every command that reads a dataset through open_dataset -------------------------


def _leaf_commands(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from _leaf_commands(cmd, (*prefix, name))
        else:
            yield (*prefix, name)


def test_open_dataset_gives_the_role_view(dataset_file, monkeypatch):
    import click

    from geo.cli._main import open_dataset

    monkeypatch.setenv("CHILDSAFE_PASSWORD", PASSWORD)
    with click.Context(cli) as ctx:
        ctx.meta["childsafe.user"] = "u_child_director"
        view = open_dataset(str(dataset_file))
        engine = open_dataset(str(dataset_file), analysis=True)
    for marker in B_MARKERS:
        assert marker not in _all_text(view), marker
        assert marker not in _all_text(engine), marker
    with click.Context(cli) as ctx:
        ctx.meta["childsafe.user"] = None
        full = open_dataset(str(dataset_file))
    assert len(full["children"]) == 9


def test_every_cli_command_gives_a_child_director_nothing_of_another_village(dataset_file, tmp_path):
    runner = CliRunner()
    env = {"CHILDSAFE_PASSWORD": PASSWORD, "CHILDSAFE_NEW_PASSWORD": "another password"}
    outputs = []
    for words in _leaf_commands(cli):
        for extra in ([], ["--json"]):
            out_file = tmp_path / f"{'_'.join(words)}.gpkg"
            args = ["--user", "u_child_director", *words, str(dataset_file), *extra]
            result = runner.invoke(cli, [*args, "--out", str(out_file)], env=env)
            if result.exit_code == 2 and "No such option: --out" in result.output:
                result = runner.invoke(cli, args, env=env)
            outputs.append(result.output)
            if out_file.exists():
                outputs.append(_file_text(out_file))
    text = "\n".join(outputs)
    for marker in B_MARKERS:
        assert marker not in text, marker
    assert "hA1" in text or "7" in text  # the commands did run for village A


def test_cli_export_for_the_child_director(dataset_file, tmp_path):
    runner = CliRunner()
    out = tmp_path / "dirA.gpkg"
    result = runner.invoke(cli, ["export", str(dataset_file), "--user", "u_child_director",
                                 "--out", str(out)], env={"CHILDSAFE_PASSWORD": PASSWORD})
    assert result.exit_code == 0, result.output
    view = read_dataset(out)
    assert sorted(view["households"]["household_id"]) == [f"hA{i}" for i in range(1, 7)]
    text = _file_text(out)
    for marker in B_MARKERS:
        assert marker not in text, marker
