"""``childsafe demo``: writes the synthetic county; same seed, same bytes."""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner

from geo.cli._main import cli
from geo.store.dataset import read_dataset


def _sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_demo_twice_gives_identical_files(tmp_path):
    a, b = tmp_path / "a.gpkg", tmp_path / "b.gpkg"
    for out in (a, b):
        res = CliRunner().invoke(cli, ["demo", "--out", str(out), "--seed", "7", "--scale", "0.1"])
        assert res.exit_code == 0, res.output
        assert "synthetic" in res.output
    assert _sha(a) == _sha(b)
    ds = read_dataset(a)
    assert ds.counts()["households"] > 500
    res = CliRunner().invoke(cli, ["info", str(a)])
    assert "validation: no problems found" in res.output


def test_demo_json_and_other_seed(tmp_path):
    out = tmp_path / "c.gpkg"
    res = CliRunner().invoke(cli, ["demo", "--out", str(out), "--seed", "8", "--scale", "0.05",
                                   "--json"])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert data["seed"] == 8 and data["layers"]["children"] > 0
    assert data["layers"]["audit_log"] == 0


def test_demo_bad_scale_is_a_usage_error(tmp_path):
    res = CliRunner().invoke(cli, ["demo", "--out", str(tmp_path / "x.gpkg"), "--scale", "0"])
    assert res.exit_code == 2
    assert "scale" in res.output
    assert not (tmp_path / "x.gpkg").exists()
