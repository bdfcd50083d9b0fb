"""Tests of the ``districts`` method: contiguous 学区 zones on an adjacency graph."""

from __future__ import annotations

import itertools
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point, box

from geogroup.datasets import toy_schools
from geogroup.errors import InfeasibleError, InputError, PolicyError
from geogroup.group import METHODS, DistrictGrouper, propose
from geogroup.locate import delaunay_edges, graph_from_edge_list, metric_crs
from geogroup.policy import Policy
from tests import oracle

LON0, LAT0 = 122.5, 40.85
KM_LON = 1 / 84.3  # degrees of longitude per km at 40.85° N (about)
KM_LAT = 1 / 111.0


def _frame(rows: list[tuple[str, float, float, float, str]]) -> gpd.GeoDataFrame:
    """Schools from (id, x_km, y_km, quality, area) on a local km grid near Haicheng."""
    ids, xs, ys, qs, areas = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {
            "name": [f"school {i}" for i in ids],
            "quality": np.asarray(qs, dtype=float),
            "area": pd.array(areas, dtype=object),
            "level": pd.array(["primary"] * len(ids), dtype=object),
        },
        geometry=[Point(LON0 + x * KM_LON, LAT0 + y * KM_LAT) for x, y in zip(xs, ys, strict=True)],
        index=pd.Index(ids, name="school_id"),
        crs="EPSG:4326",
    )


def _two_clusters() -> gpd.GeoDataFrame:
    """Two 3 x 5 grids of schools 1 km apart, 30 km from each other (15 + 15 schools).

    The best school of the west (W07, 95) and of the east (E07, 92) sit at the centres; they
    are the only two of the top 6 % by quality, so they lead. Every other school is rural.
    """
    rows = []
    rng = np.random.default_rng(7)
    for prefix, x0 in (("W", 0.0), ("E", 30.0)):
        for k, (row, col) in enumerate(itertools.product(range(3), range(5))):
            quality = float(rng.uniform(40, 80))
            area = "rural"
            if k == 7:
                quality, area = (95.0 if prefix == "W" else 92.0), "urban"
            rows.append((f"{prefix}{k:02d}", x0 + col, float(row), quality, area))
    return _frame(rows)


CLUSTERS = Policy(name="clusters", members=(10, 16), leads="top:0.06", balance_weight=1.0)


def _zones_of(plan) -> dict[str, set[str]]:
    grouped = plan.schools[plan.schools["role"] != "unassigned"]
    return {gid: set(g.index) for gid, g in grouped.groupby("group_id")}


def _assert_valid(grouper: DistrictGrouper, schools: gpd.GeoDataFrame, policy: Policy) -> None:
    """Every district connected in the graph used, and no policy rule broken."""
    plan = grouper.plan_
    for gid, zone in _zones_of(plan).items():
        assert nx.is_connected(grouper.graph_.subgraph(zone)), gid
    assert oracle.violations(plan.schools, policy) == set()


# --- grouping ------------------------------------------------------------------------------


def test_two_clusters_become_two_districts() -> None:
    schools = _two_clusters()
    grouper = DistrictGrouper(policy=CLUSTERS).fit(schools)
    zones = sorted(_zones_of(grouper.plan_).values(), key=min)
    assert zones == [{f"E{k:02d}" for k in range(15)}, {f"W{k:02d}" for k in range(15)}]
    leads = grouper.plan_.schools.query("role == 'lead'").index
    assert sorted(leads) == ["E07", "W07"]
    _assert_valid(grouper, schools, CLUSTERS)


def test_districts_are_connected_and_within_the_rules_on_toy_data() -> None:
    schools = toy_schools()
    policy = Policy(members=(2, 2), leads="top:0.34")
    grouper = DistrictGrouper(policy=policy).fit(schools)
    assert sorted(map(sorted, _zones_of(grouper.plan_).values())) == [
        ["A", "B", "C"],
        ["D", "E", "F"],
    ]
    _assert_valid(grouper, schools, policy)


def test_more_districts_than_clusters_stay_contiguous_and_sized() -> None:
    schools = _two_clusters()
    policy = Policy(members=(3, 6), leads="top:0.3", balance_weight=2.0)
    grouper = DistrictGrouper(policy=policy, random_state=3).fit(schools)
    sizes = grouper.plan_.schools.groupby("group_id").size()
    assert sizes.between(4, 7).all()
    assert len(sizes) >= 5
    for zone in _zones_of(grouper.plan_).values():  # a district never spans both clusters
        assert len({sid[0] for sid in zone}) == 1
    _assert_valid(grouper, schools, policy)


def test_distance_cap_is_kept() -> None:
    schools = _two_clusters()
    policy = CLUSTERS.replace(max_distance_km=3.0)
    grouper = DistrictGrouper(policy=policy).fit(schools)
    assert grouper.plan_.schools["distance_km"].max() <= 3.0
    _assert_valid(grouper, schools, policy)


def _line_with_detour() -> tuple[gpd.GeoDataFrame, nx.Graph]:
    """L leads; A is 3 km east of it, B 6 km; C is 1 km west of L but linked only to B."""
    schools = _frame(
        [
            ("L", 0, 0, 90, "urban"),
            ("A", 3, 0, 50, "rural"),
            ("B", 6, 0, 50, "rural"),
            ("C", -1, 0, 40, "rural"),
        ]
    )
    graph = nx.Graph([("L", "A"), ("A", "B"), ("B", "C")])
    return schools, graph


def test_school_only_reachable_beyond_the_cap_raises_naming_the_rule() -> None:
    schools, graph = _line_with_detour()
    policy = Policy(members=(0, 3), leads=("L",), max_distance_km=4.0)
    with pytest.raises(InfeasibleError, match="max_distance_km"):
        DistrictGrouper(policy=policy, graph=graph).fit(schools)


def test_school_only_reachable_beyond_the_cap_is_left_out_with_a_reason() -> None:
    schools, graph = _line_with_detour()
    policy = Policy(members=(0, 3), leads=("L",), max_distance_km=4.0, allow_unassigned=True)
    plan = DistrictGrouper(policy=policy, graph=graph).fit(schools).plan_
    assert plan.schools.loc["A", "lead_id"] == "L"
    assert plan.schools.loc["C", "role"] == "unassigned"
    assert "max_distance_km" in plan.schools.loc["C", "reason"]
    assert "C" not in "".join(plan.zones.index)  # no zone of its own


def test_locked_schools_stay_with_their_lead_in_a_connected_district() -> None:
    schools = _two_clusters()
    schools["fixed_group"] = pd.array([None] * len(schools), dtype=object)
    schools.loc[["W07", "W00", "W14"], "fixed_group"] = "old group"
    grouper = DistrictGrouper(policy=CLUSTERS).fit(schools)
    plan = grouper.plan_
    assert (plan.schools.loc[["W00", "W14"], "lead_id"] == "W07").all()
    _assert_valid(grouper, schools, CLUSTERS)


def test_urban_rural_pairing_and_weak_quota_are_met() -> None:
    schools = _two_clusters()
    policy = Policy(
        members=(3, 6), leads="top:0.3", pair_urban_rural=True, min_weak_per_group=1, weak_share=0.3
    )
    schools.loc[schools.index[::3], "area"] = "urban"
    grouper = DistrictGrouper(policy=policy, random_state=1).fit(schools)
    _assert_valid(grouper, schools, policy)


def test_exact_number_of_districts() -> None:
    schools = _two_clusters()
    policy = Policy(members=(2, 12), n_groups=4, leads="top:0.4")
    grouper = DistrictGrouper(policy=policy).fit(schools)
    assert grouper.plan_.schools["group_id"].nunique() == 4
    _assert_valid(grouper, schools, policy)


def test_same_seed_same_result_and_input_untouched() -> None:
    schools = _two_clusters()
    before = schools.copy()
    policy = Policy(members=(3, 6), leads="top:0.3")
    a = DistrictGrouper(policy=policy, random_state=5).fit(schools).plan_
    b = DistrictGrouper(policy=policy, random_state=5).fit(schools).plan_
    pd.testing.assert_frame_equal(pd.DataFrame(a.schools), pd.DataFrame(b.schools))
    assert a.zones.geometry.geom_equals(b.zones.geometry).all()
    pd.testing.assert_frame_equal(schools, before)


def test_registered_and_reachable_through_propose() -> None:
    assert METHODS["districts"] is DistrictGrouper
    plan = propose(toy_schools(), Policy(members=(2, 2), leads="top:0.34"), method="districts")
    assert plan.method == "districts"
    assert plan.zones is not None


# --- zone polygons -------------------------------------------------------------------------


def _metric(frame: gpd.GeoDataFrame | gpd.GeoSeries, crs) -> gpd.GeoSeries:
    return (frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame).to_crs(crs)


def test_zone_polygons_cover_their_schools_and_do_not_overlap() -> None:
    schools = _two_clusters()
    plan = DistrictGrouper(policy=Policy(members=(3, 6), leads="top:0.3")).fit(schools).plan_
    zones = plan.zones
    assert zones.crs == "EPSG:4326"
    assert zones.index.name == "group_id"
    assert set(zones.index) == set(plan.schools["group_id"].dropna())
    assert zones.is_valid.all() and not zones.is_empty.any()
    for gid, zone in zones.geometry.items():
        points = plan.schools.geometry[plan.schools["group_id"] == gid]
        assert points.within(zone).all(), gid
    crs = metric_crs(schools)
    shapes = list(_metric(zones, crs))
    overlap = sum(a.intersection(b).area for a, b in itertools.combinations(shapes, 2))
    assert overlap < 1.0  # square metres: shared edges only
    groups = plan.groups
    assert groups.geometry.geom_equals(zones.geometry.reindex(groups.index)).all()


def test_zones_are_clipped_to_a_given_boundary() -> None:
    schools = _two_clusters()
    outline = box(LON0 - 2 * KM_LON, LAT0 - 2 * KM_LAT, LON0 + 36 * KM_LON, LAT0 + 4 * KM_LAT)
    plan = DistrictGrouper(policy=CLUSTERS, boundary=outline).fit(schools).plan_
    crs = metric_crs(schools)
    area = _metric(gpd.GeoSeries([outline], crs="EPSG:4326"), crs).iloc[0]
    zones = _metric(plan.zones, crs)
    assert all(z.difference(area.buffer(1.0)).area < 1.0 for z in zones)
    assert shapely.union_all(list(zones)).area == pytest.approx(area.area, rel=1e-6)
    assert plan.zones["area_km2"].sum() == pytest.approx(area.area / 1e6, rel=1e-3)


def test_boundary_from_a_file_and_default_hull(tmp_path: Path) -> None:
    schools = toy_schools()
    policy = Policy(members=(2, 2), leads="top:0.34")
    outline = gpd.GeoDataFrame(geometry=[box(122.4, 40.8, 122.8, 40.9)], crs="EPSG:4326")
    path = tmp_path / "boundary.geojson"
    outline.to_file(path)
    from_file = DistrictGrouper(policy=policy, boundary=path).fit(schools).plan_.zones
    crs = metric_crs(schools)
    assert shapely.union_all(list(_metric(from_file, crs))).area == pytest.approx(
        _metric(outline, crs).iloc[0].area, rel=1e-6
    )
    default = DistrictGrouper(policy=policy).fit(schools).plan_.zones
    hull = shapely.MultiPoint(list(_metric(schools, crs))).convex_hull.buffer(2000.0)
    assert shapely.union_all(list(_metric(default, crs))).area == pytest.approx(hull.area, rel=1e-6)


def test_unassigned_schools_get_no_zone_but_keep_their_cell_blank() -> None:
    schools, graph = _line_with_detour()
    policy = Policy(members=(0, 3), leads=("L",), max_distance_km=4.0, allow_unassigned=True)
    plan = DistrictGrouper(policy=policy, graph=graph).fit(schools).plan_
    zone = plan.zones.geometry.iloc[0]
    assert list(plan.zones.index) == [plan.schools.loc["L", "group_id"]]
    assert not plan.schools.geometry["C"].within(zone)


def test_levels_same_draws_each_level_on_its_own() -> None:
    schools = _two_clusters()
    schools.loc[schools.index[1::2], "level"] = "middle"
    schools.loc[["W06", "E06"], "quality"] = [94.0, 93.0]  # a strong middle school per cluster
    policy = Policy(members=(2, 10), leads="top:0.14", levels="same")
    grouper = DistrictGrouper(policy=policy).fit(schools)
    plan = grouper.plan_
    for zone in _zones_of(plan).values():
        assert nx.is_connected(grouper.graph_.subgraph(zone))
        assert len(set(schools.loc[list(zone), "level"])) == 1
    for gid, zone in plan.zones.geometry.items():
        assert plan.schools.geometry[plan.schools["group_id"] == gid].within(zone).all()


# --- graphs --------------------------------------------------------------------------------


def _grid_edges(schools: gpd.GeoDataFrame) -> list[tuple[str, str]]:
    """4-neighbour links within each 3 x 5 grid (a 'road network')."""
    edges = []
    for prefix in "WE":
        for k in range(15):
            row, col = divmod(k, 5)
            if col < 4:
                edges.append((f"{prefix}{k:02d}", f"{prefix}{k + 1:02d}"))
            if row < 2:
                edges.append((f"{prefix}{k:02d}", f"{prefix}{k + 5:02d}"))
    return edges


def test_user_graph_and_edge_list_file_are_used(tmp_path: Path) -> None:
    schools = _two_clusters()
    graph = nx.Graph(_grid_edges(schools))
    by_graph = DistrictGrouper(policy=CLUSTERS, graph=graph).fit(schools)
    assert set(by_graph.graph_.edges) == set(graph.edges)
    _assert_valid(by_graph, schools, CLUSTERS)
    path = tmp_path / "roads.csv"
    pd.DataFrame(_grid_edges(schools), columns=["from", "to"]).assign(length_km=1.0).to_csv(
        path, index=False
    )
    by_file = DistrictGrouper(policy=CLUSTERS, graph=path).fit(schools)
    assert set(map(frozenset, by_file.graph_.edges)) == set(map(frozenset, graph.edges))
    pd.testing.assert_frame_equal(
        pd.DataFrame(by_file.plan_.schools), pd.DataFrame(by_graph.plan_.schools)
    )


def test_delaunay_graph_holds_every_school_and_bridges_a_gap_once() -> None:
    schools = _two_clusters()
    grouper = DistrictGrouper(policy=CLUSTERS).fit(schools)
    graph = grouper.graph_
    assert set(graph.nodes) == set(schools.index)
    assert nx.is_connected(graph)  # the minimum spanning tree is kept
    across = [e for e in graph.edges if e[0][0] != e[1][0]]
    assert len(across) == 1  # the 30 km gap: one link, not a fan of hull edges


def test_long_delaunay_edges_are_kept_on_request() -> None:
    xy = np.array(
        [[0, 0], [1000, 0], [0, 1000], [30_000, 0], [31_000, 0], [30_000, 1000]], dtype=float
    )
    pruned = delaunay_edges(xy)
    full = delaunay_edges(xy, long_edge=None)
    assert len(full) > len(pruned)
    # the shortest bridge: (1000, 0) to (30000, 0)
    assert [e for e in pruned.tolist() if (e[0] < 3) != (e[1] < 3)] == [[1, 3]]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda s: nx.Graph([*_grid_edges(s), ("W00", "NOPE")]),
            "not ids of the school list: NOPE",
        ),
        (lambda s: nx.Graph([*_grid_edges(s)[:-3], ("E14", "W00")]), None),
        (lambda s: nx.Graph([(1, 2)]), "not ids of the school list: 1, 2"),
        (
            lambda s: nx.Graph([e for e in _grid_edges(s) if "E14" not in e]),
            "not in the graph: E14",
        ),
    ],
)
def test_user_graph_is_checked_against_the_school_ids(make, message) -> None:
    schools = _two_clusters()
    graph = make(schools)
    if message is None:  # a valid graph: no error
        DistrictGrouper(policy=CLUSTERS, graph=graph).fit(schools)
        return
    with pytest.raises(InputError, match=message):
        DistrictGrouper(policy=CLUSTERS, graph=graph).fit(schools)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("from,to\nW00,W01\nW01,GHOST\n", "not ids of the school list: GHOST"),
        ("a,b\nW00,W01\n", "lacks column"),
        ("from,to\nW00,\n", r"empty school id \(rows 2\)"),
        ("from,to,length_km\nW00,W01,far\n", r"length_km that is not a number >= 0 \(rows 2\)"),
    ],
)
def test_edge_list_file_errors_name_the_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "edges.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        DistrictGrouper(policy=CLUSTERS, graph=path).fit(_two_clusters())


def test_bad_graph_argument() -> None:
    with pytest.raises(InputError, match="does not exist"):
        DistrictGrouper(policy=CLUSTERS, graph="no/such/roads.csv").fit(_two_clusters())
    with pytest.raises(PolicyError, match="graph: expected 'delaunay'"):
        DistrictGrouper(policy=CLUSTERS, graph=42).fit(_two_clusters())


def test_edge_list_reader_keeps_lengths(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_text("\ufefffrom,to,length_km\nA,B,1.5\nB,B,0\n", encoding="utf-8")
    graph = graph_from_edge_list(path)
    assert list(graph.edges(data=True)) == [("A", "B", {"length_km": 1.5})]


@pytest.mark.parametrize(
    ("xy", "edges"),
    [
        ([], []),
        ([[0, 0]], []),
        ([[0, 0], [5, 5]], [[0, 1]]),
        ([[0, 0], [2000, 0], [1000, 0], [3000, 0]], [[0, 2], [1, 2], [1, 3]]),  # on a line
        ([[0, 0], [0, 0], [1000, 0]], [[0, 1], [0, 2], [1, 2]]),  # two at one spot
        ([[0, 0], [1000, 0], [0, 1000], [1200, 900]], [[0, 1], [0, 2], [1, 2], [1, 3], [2, 3]]),
    ],
)
def test_delaunay_edges_in_degenerate_cases(xy, edges) -> None:
    assert delaunay_edges(np.asarray(xy, dtype=float).reshape(-1, 2)).tolist() == edges


def test_previous_plan_of_the_same_districts_moves_nobody() -> None:
    schools = _two_clusters()
    policy = Policy(members=(3, 6), leads="top:0.3")
    first = DistrictGrouper(policy=policy).fit(schools).plan_
    again = DistrictGrouper(policy=policy, random_state=9).fit(schools, previous=first).plan_
    assert again.moved == 0
    assert set(again.zones.index) == set(first.zones.index)


def test_demo_county_districts_from_the_cli_lie_inside_its_boundary_in_one_piece(
    tmp_path: Path,
) -> None:
    from click.testing import CliRunner

    from geogroup.cli import main

    root = Path(__file__).resolve().parents[1]
    boundary_file = root / "data" / "demo_county_boundary.geojson"
    out = tmp_path / "out"
    args = ["propose", str(root / "data" / "demo_county.csv"), "--policy", "shanxi-xuequ"]
    result = CliRunner().invoke(main, [*args, "--boundary", str(boundary_file), "--out", str(out)])
    assert result.exit_code == 0, result.output
    zones = gpd.read_file(out / "plan.gpkg", layer="groups")
    boundary = gpd.read_file(boundary_file).to_crs("EPSG:4326")
    crs = metric_crs(gpd.GeoDataFrame(geometry=zones.geometry.representative_point()))
    area = shapely.union_all(list(boundary.to_crs(crs).geometry))
    shapes = list(zones.to_crs(crs).geometry)
    assert len(shapes) >= 10
    assert all(s.geom_type == "Polygon" for s in shapes)  # each district in one piece
    assert all(s.difference(area.buffer(1.0)).area < 1.0 for s in shapes)  # inside, to 1 m
    # together they cover the county (the zones tile it; slivers of Voronoi rounding aside)
    assert shapely.union_all(shapes).area == pytest.approx(area.area, rel=1e-3)
