"""Distances along roads: a river crossed by one bridge keeps each bank's schools together.

The road network is built here with networkx and its shortest paths computed here, apart
from geogroup: geogroup only receives the resulting table (from id, to id, km, minutes).
"""

from __future__ import annotations

import itertools

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pytest

from geogroup import InputError, Policy, PolicyError, check_plan, propose
from geogroup import schema as S
from geogroup.evaluate import distance_to_lead
from geogroup.locate import DistanceTable, read_distance_table
from tests import oracle

LON0, LAT0 = 122.75, 40.85
KM_LON, KM_LAT = 1 / 84.3, 1 / 111.0  # degrees per km here (about)
SPEED_KMH = 30.0


def _river_town() -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Schools on two banks of an east-west river (y = 0), the only bridge at x = 0: a
    strong school near the river on the north bank, the south bank's strong school far
    south; south-bank schools near the river are nearer the north lead in a straight line."""
    rng = np.random.default_rng(7)
    north = [(x, y) for x, y in zip(rng.uniform(-6, 6, 14), rng.uniform(0.3, 5, 14), strict=True)]
    south = [(x, y) for x, y in zip(rng.uniform(-6, 6, 14), rng.uniform(-5, -0.3, 14), strict=True)]
    north[0], south[0] = (4.0, 0.6), (-4.0, -4.5)  # the two strong schools
    xy = north + south
    n = len(xy)
    quality = np.r_[95.0, rng.uniform(40, 70, 13), 92.0, rng.uniform(40, 70, 13)]
    ids = [f"N{k:02d}" for k in range(14)] + [f"S{k:02d}" for k in range(14)]
    schools = gpd.GeoDataFrame(
        {
            S.NAME: ids,
            S.QUALITY: quality,
            S.AREA: ["urban"] * n,
            "bank": ["north"] * 14 + ["south"] * 14,
        },
        geometry=gpd.points_from_xy(
            LON0 + np.array([p[0] for p in xy]) * KM_LON,
            LAT0 + np.array([p[1] for p in xy]) * KM_LAT,
        ),
        index=pd.Index(ids, name=S.SCHOOL_ID),
        crs=S.WGS84,
    )
    graph = nx.Graph()
    for sid, (x, y) in zip(ids, xy, strict=True):  # each school joins its bank at the bridge's side
        bank = "n" if y > 0 else "s"
        graph.add_edge(sid, f"{bank}-hub", km=float(np.hypot(x, y - (0.1 if y > 0 else -0.1))))
    for a, b in itertools.combinations(ids, 2):  # same bank: a straight street
        pa, pb = xy[ids.index(a)], xy[ids.index(b)]
        if (pa[1] > 0) == (pb[1] > 0):
            graph.add_edge(a, b, km=float(np.hypot(pa[0] - pb[0], pa[1] - pb[1])))
    graph.add_edge("n-hub", "s-hub", km=0.2)  # the bridge
    rows = []
    for a in ids:
        lengths = nx.single_source_dijkstra_path_length(graph, a, weight="km")
        rows += [(a, b, lengths[b], lengths[b] / SPEED_KMH * 60.0) for b in ids if b != a]
    table = pd.DataFrame(rows, columns=["from_id", "to_id", "km", "minutes"])
    return schools, table


POLICY = Policy(name="river", members=(1, 13), n_groups=2, leads="top:0.08", balance_weight=0.0)


def _across(plan) -> int:
    grouped = plan.schools[plan.schools[S.ROLE] == S.MEMBER]
    lead_bank = plan.schools["bank"].reindex(grouped[S.LEAD_ID]).to_numpy()
    return int((grouped["bank"].to_numpy() != lead_bank).sum())


@pytest.mark.parametrize("method", ["exact", "fast"])
def test_the_road_network_keeps_each_bank_together(method):
    schools, table = _river_town()
    straight = propose(schools, POLICY, method=method)
    roads = propose(schools, POLICY, method=method, distances=DistanceTable(table, "test roads"))
    assert _across(straight) > 0  # a straight line jumps the river
    assert _across(roads) == 0
    assert roads.params["distances"] == "test roads"
    # the plan's distances are the roads': the evaluation measures them too
    members = (roads.schools[S.ROLE] == S.MEMBER).to_numpy()
    lookup = table.set_index(["from_id", "to_id"])["km"]
    expected = [lookup[(s, lead)] for s, lead in roads.schools.loc[members, S.LEAD_ID].items()]
    assert np.allclose(distance_to_lead(roads)[members], expected)
    assert np.allclose(roads.schools.loc[members, S.DISTANCE_KM], expected, atol=5e-4)
    assert check_plan(roads).empty
    assert oracle.violations(roads.schools, POLICY, None, table) == set()


def test_a_travel_time_cap_is_kept_and_judged():
    schools, table = _river_town()
    policy = POLICY.replace(n_groups=None, members=(0, 13), max_travel_min=12.0, leads="top:0.3")
    plan = propose(schools, policy, method="fast", distances=DistanceTable(table))
    minutes = table.set_index(["from_id", "to_id"])["minutes"]
    members = plan.schools[plan.schools[S.ROLE] == S.MEMBER]
    assert all(minutes[(s, lead)] <= 12.0 + 1e-9 for s, lead in members[S.LEAD_ID].items())
    assert oracle.violations(plan.schools, policy, None, table) == set()
    # the same plan judged under a tighter cap breaks it, by the table's minutes
    tighter = policy.replace(max_travel_min=3.0)
    assert "max_travel_min" in set(check_plan(plan, tighter)["rule"])
    assert "max_travel_min" in oracle.broken_rules(plan.schools, tighter, None, table)


def test_a_travel_time_cap_needs_travel_times():
    schools, table = _river_town()
    with pytest.raises(PolicyError, match=r"max_travel_min.*needs travel times"):
        propose(schools, POLICY.replace(max_travel_min=10.0), method="fast")
    with pytest.raises(PolicyError, match="needs travel times"):
        propose(
            schools,
            POLICY.replace(max_travel_min=10.0),
            method="fast",
            distances=DistanceTable(table.drop(columns="minutes")),
        )


def test_a_distance_table_file_is_read(tmp_path):
    schools, table = _river_town()
    path = tmp_path / "d.csv"
    table.rename(columns={"from_id": "from", "to_id": "to"}).to_csv(path, index=False)
    read = read_distance_table(path, ids=schools.index)
    assert read.has_minutes and len(read.pairs) == len(table)
    bad = tmp_path / "bad.csv"
    bad.write_text("from,to,km\nN00,N01,abc\n", encoding="utf-8")
    with pytest.raises(InputError, match="no distance >= 0"):
        read_distance_table(bad)
