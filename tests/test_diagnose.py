"""When no grouping exists, the error names the rules that bind, with their numbers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geogroup import Policy, propose
from geogroup import schema as S
from geogroup.errors import InfeasibleError
from tests.helpers import random_schools


def _schools(xy_km: list[tuple[float, float]], areas: list[str], quality=None) -> gpd.GeoDataFrame:
    """Schools at (x, y) km east/north of 122.75 E, 40.85 N."""
    n = len(xy_km)
    lon = 122.75 + np.array([x for x, _ in xy_km]) / 84.3
    lat = 40.85 + np.array([y for _, y in xy_km]) / 111.0
    return gpd.GeoDataFrame(
        {
            S.NAME: [f"学校{k}" for k in range(n)],
            S.QUALITY: np.linspace(90, 40, n) if quality is None else quality,
            S.AREA: areas,
        },
        geometry=gpd.points_from_xy(lon, lat),
        index=pd.Index([f"S{k:02d}" for k in range(n)], name=S.SCHOOL_ID),
        crs=S.WGS84,
    )


def _message(schools, policy, method="fast") -> str:
    with pytest.raises(InfeasibleError) as info:
        propose(schools, policy, method=method, time_limit=20)
    return str(info.value)


@pytest.mark.parametrize("method", ["fast", "exact", "kmeans"])
def test_a_city_district_with_one_rural_school_names_pairing_not_the_cap(method):
    rng = np.random.default_rng(1)
    schools = _schools([tuple(p) for p in rng.uniform(0, 8, (57, 2))], ["urban"] * 56 + ["rural"])
    policy = Policy(name="shandong-like", members=(1, 6), pair_urban_rural=True, leads="top:0.2")
    text = _message(schools, policy, method)
    assert "'pair_urban_rural'" in text
    assert "56 urban and 1 rural" in text and "at least 9 groups" in text
    assert "max_distance_km" not in text  # the policy has no cap: never advise raising one


def test_weak_schools_too_few_for_the_groups():
    text = _message(
        random_schools(25, seed=2),
        Policy(members=(1, 3), min_weak_per_group=2, weak_share=0.2, leads="top:0.5"),
    )
    assert "'min_weak_per_group' = 2" in text and "needs 14 weak members" in text
    assert "makes 5 weak" in text


def test_leads_that_cannot_be_spaced():
    rng = np.random.default_rng(3)
    schools = _schools([tuple(p) for p in rng.uniform(0, 3, (40, 2))], ["urban"] * 40)
    text = _message(schools, Policy(members=(1, 4), leads="top:1.0", min_lead_spacing_km=2.5))
    assert "'min_lead_spacing_km' = 2.5" in text and "at least 8 groups" in text
    assert "allows at most" in text


def test_sizes_that_never_add_up():
    text = _message(random_schools(7, seed=1), Policy(members=(3, 3), leads="top:1.0"))
    assert "7 schools with 3-3 members" in text and "'members'" in text


def test_schools_beyond_the_cap_are_named_with_their_distance():
    schools = _schools([(0, 0), (1, 0), (0, 1), (40, 0)], ["urban", "rural", "rural", "rural"])
    text = _message(schools, Policy(members=(1, 3), max_distance_km=10, leads="top:0.25"))
    assert "S03" in text and "max_distance_km' = 10" in text and "km away" in text


@pytest.mark.parametrize("method", ["fast", "exact"])
def test_rules_that_bind_only_together_are_named(method):
    # Five schools here, three 50 km east; groups of exactly four, members within 10 km:
    # the sizes alone allow it (8 = 4 + 4), the cap alone too, not both.
    here = [(0, 0), (1, 0), (0, 1), (1, 1), (0.5, 0.5)]
    there = [(50, 0), (51, 0), (50, 1)]
    schools = _schools(here + there, ["urban"] * 8)
    text = _message(schools, Policy(members=(3, 3), max_distance_km=10, leads="top:1.0"), method)
    assert "'max_distance_km' (= 10)" in text
    assert "the minimum of 'members' (3)" in text
