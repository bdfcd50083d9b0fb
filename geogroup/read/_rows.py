"""Row checks of :func:`geogroup.read.read_schools`: every field of every row of a loaded file.

:class:`_Fields` carries what the checks find: the parsed fields (positional, one value per
row of the file), the problems that reject a row, the flags that only mark a kept row, and
the notes and derivations for the report. The checks run in two passes: first on every row
(ids, name and quality, coordinates, study area, far points, optional fields), then on the
rows still kept (all at one point, shared names and points, odd quality values, a
lead-candidate column that marks nobody), since those compare a school with the others kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geogroup import schema
from geogroup.errors import InputError
from geogroup.read._area import FAR_FACTOR, far_from_the_rest, inside
from geogroup.read._coords import to_wgs84
from geogroup.read._fields import (
    MAX_COUNT,
    PLACEHOLDERS,
    CellPairs,
    ProblemLog,
    as_text,
    display_values,
    missing_mask,
    normalise_area,
    normalise_id,
    normalise_level,
    parse_bool,
    parse_coordinate,
    parse_count,
    parse_float,
)
from geogroup.read._headers import LAT, LON
from geogroup.read._loading import _Loaded

#: The largest quality magnitude used: beyond it, sums over a few schools lose every digit
#: of the smaller values and products overflow (1e307 * 10 is inf).
MAX_QUALITY = 1e15

# --------------------------------------------------------------------------- checking rows


@dataclass
class _Fields:
    """Contract fields parsed from every row (positional), and what was found on the way."""

    loaded: _Loaded
    column_map: dict[str, str]
    log: ProblemLog = field(default_factory=ProblemLog)  # rows rejected
    flags: ProblemLog = field(default_factory=ProblemLog)  # rows kept, worth a look
    values: dict[str, pd.Series] = field(default_factory=dict)
    derived: dict[str, str] = field(default_factory=dict)
    mapped: dict[str, str] = field(default_factory=dict)  # field -> value mapping applied
    area_values: dict[str, str] | None = None  # label -> 'urban' / 'rural', from the caller
    notes: list[str] = field(default_factory=list)
    # Coordinates: which rows have usable ones, the same in WGS-84, and how to show them.
    coords_ok: np.ndarray | None = None
    wgs: tuple[np.ndarray, np.ndarray] | None = None
    coord_column: str = ""
    coord_cells: CellPairs | None = None

    def raw(self, field_name: str) -> pd.Series:
        return self.loaded.frame[self.column_map[field_name]]

    def kept(self) -> np.ndarray:
        """Rows with no problem so far."""
        keep = np.ones(len(self.loaded.frame), dtype=bool)
        keep[self.log.positions()] = False
        return keep

    def bad_cells(self, field_name: str, mask: pd.Series, outcome: str) -> None:
        """Note cells that could not be read, with a few examples, without rejecting rows."""
        if not mask.any():
            return
        header = self.column_map[field_name]
        rows = self.loaded.rows[mask.to_numpy()]
        cells = display_values(self.raw(field_name)[mask]).iloc[:5]
        examples = ", ".join(f"row {r}: {v!r}" for r, v in zip(rows[:5], cells, strict=True))
        more = ", …" if len(rows) > 5 else ""
        self.notes.append(
            f"{field_name} (column {header!r}): {len(rows):,} cells {outcome} ({examples}{more})."
        )


def _check_ids(f: _Fields) -> None:
    rows = pd.Series(f.loaded.rows)
    if schema.SCHOOL_ID not in f.column_map:
        width = max(5, len(str(int(rows.max()) - 1)))
        f.values[schema.SCHOOL_ID] = ("S" + (rows - 1).astype("str").str.zfill(width)).astype("str")
        f.derived[schema.SCHOOL_ID] = (
            f"no id column: generated S{1:0{width}d}, S{2:0{width}d}, "
            "… from the spreadsheet row (row 2 is the first)."
        )
        return
    header, raw = f.column_map[schema.SCHOOL_ID], f.raw(schema.SCHOOL_ID)
    ids = normalise_id(raw)
    f.values[schema.SCHOOL_ID] = ids
    f.log.add(ids.isna(), header, raw, "missing school id")
    repeated = ids.notna() & ids.duplicated(keep="first")
    if repeated.any():
        first_row = rows[~ids.duplicated(keep="first") & ids.notna()]
        first_row.index = ids[first_row.index]
        reason = "duplicate school id; first at row " + ids.map(first_row).astype("str")
        f.log.add(repeated, header, raw, reason)


def _check_name_and_quality(f: _Fields) -> None:
    # A name is shown as written (第①中学, （分校）): only the test for "missing" normalises.
    raw_names = f.raw(schema.NAME)
    names = raw_names.astype("str").str.strip()
    absent = names.isna() | as_text(raw_names).str.casefold().isin(PLACEHOLDERS)
    f.values[schema.NAME] = names.where(~absent)
    f.log.add(absent, f.column_map[schema.NAME], raw_names, "missing name")
    header, raw = f.column_map[schema.QUALITY], f.raw(schema.QUALITY)
    quality = parse_float(raw)
    f.values[schema.QUALITY] = quality.values
    f.log.add(quality.missing, header, raw, "missing quality")
    f.log.add(quality.bad, header, raw, "quality is not a number")
    read = ~quality.missing & ~quality.bad
    infinite = read & ~np.isfinite(quality.values)
    f.log.add(infinite, header, raw, "quality is not finite")
    huge = read & ~infinite & (quality.values.abs() > MAX_QUALITY)
    f.log.add(
        huge,
        header,
        raw,
        f"quality too large to use (beyond ±{MAX_QUALITY:.0e}); rescale the column "
        "(e.g. to thousands)",
    )


def _coordinate_cells(f: _Fields) -> tuple[pd.Series, pd.Series, str, str, CellPairs]:
    """Longitude and latitude of every row (NaN where unusable), with the problems logged."""
    points = f.loaded.points
    if points is not None:
        lon, lat = points.x.astype(float), points.y.astype(float)
        # NaN coordinates: no geometry, an empty one, or one the reprojection could not place.
        gone = lon.isna() | lat.isna()
        f.log.add(gone, "geometry", pd.Series("", index=points.index), "missing geometry")
        return lon, lat, "geometry", "geometry", CellPairs(lon, lat)
    lon_col, lat_col = f.column_map[LON], f.column_map[LAT]
    cells = {}
    for axis, header, word in ((LON, lon_col, "longitude"), (LAT, lat_col, "latitude")):
        parsed = parse_coordinate(f.raw(axis), axis)
        f.log.add(parsed.missing, header, f.raw(axis), f"missing {word}")
        f.log.add(parsed.bad, header, f.raw(axis), f"{word} not understood")
        cells[axis] = parsed.values
    return cells[LON], cells[LAT], lon_col, lat_col, CellPairs(f.raw(LON), f.raw(LAT))


def _check_coordinates(f: _Fields, coords: str) -> None:
    lon, lat, lon_col, lat_col, shown = _coordinate_cells(f)
    pair = lon_col if lon_col == lat_col else f"{lon_col}, {lat_col}"
    both = lon.notna() & lat.notna()
    zero = both & (lon == 0) & (lat == 0)
    f.log.add(zero, pair, shown, "coordinates 0, 0 (a placeholder)")
    # |lat| in (90, 180] with |lon| <= 90 is a swap; |lat| in the millions is a lost decimal.
    swapped = both & lat.abs().gt(90) & lat.abs().le(180) & lon.abs().le(90)
    if coords != "wgs84":
        # Chinese web-map systems: a latitude that looks like a Chinese longitude and back.
        swapped |= both & lat.between(73, 135) & lon.between(18, 54)
    f.log.add(swapped, pair, shown, "latitude and longitude probably swapped")
    f.log.add(
        lon.notna() & ~swapped & ~lon.abs().le(180), lon_col, shown, "longitude outside [-180, 180]"
    )
    f.log.add(
        lat.notna() & ~swapped & ~lat.abs().le(90), lat_col, shown, "latitude outside [-90, 90]"
    )
    f.values[LON], f.values[LAT] = lon, lat
    ok = (both & ~zero & ~swapped & lon.abs().le(180) & lat.abs().le(90)).to_numpy(dtype=bool)
    wlon, wlat = np.full(len(ok), np.nan), np.full(len(ok), np.nan)
    wlon[ok], wlat[ok] = to_wgs84(
        lon.to_numpy(dtype=float)[ok], lat.to_numpy(dtype=float)[ok], coords
    )
    f.coords_ok, f.wgs, f.coord_column, f.coord_cells = ok, (wlon, wlat), pair, shown


def _check_study_area(f: _Fields, area: gpd.GeoSeries | None) -> None:
    """Reject rows whose point lies outside the study area, saying when a swap would fix it."""
    if area is None:
        return
    lon, lat = f.wgs
    outside = f.coords_ok.copy()
    outside[f.coords_ok] = ~inside(lon[f.coords_ok], lat[f.coords_ok], area)
    if not outside.any():
        return
    swap = outside & (np.abs(lon) <= 90)
    fits_swapped = np.zeros(len(outside), dtype=bool)
    if swap.any():
        fits_swapped[swap] = inside(lat[swap], lon[swap], area)
    reason = pd.Series(
        np.where(
            fits_swapped,
            "outside the study area; inside it with latitude and longitude swapped",
            "outside the study area",
        )
    )
    f.log.add(outside, f.coord_column, f.coord_cells, reason)


def _check_far(f: _Fields, keep: np.ndarray, reject: bool) -> None:
    """Flag (or reject) kept schools far from all the others (:func:`far_from_the_rest`)."""
    pos = np.flatnonzero(keep)
    lon, lat = f.wgs[0][pos], f.wgs[1][pos]
    far, km, limit = far_from_the_rest(lon, lat)
    if not far.any():
        return
    centre = f"{np.median(lon):.2f}, {np.median(lat):.2f}"
    reasons = pd.Series("", index=range(len(keep)), dtype="str")
    reasons.iloc[pos[far]] = [
        f"far from all the other schools; {d:,.0f} km from their median point ({centre}), "
        f"more than {limit:,.0f} km ({FAR_FACTOR:g} times their median distance from it)"
        for d in km[far]
    ]
    mask = np.zeros(len(keep), dtype=bool)
    mask[pos[far]] = True
    (f.log if reject else f.flags).add(mask, f.coord_column, f.coord_cells, reasons)


def _read_optional(f: _Fields) -> None:
    n = len(f.loaded.frame)
    missing_text = pd.Series(np.nan, index=range(n), dtype="str")
    _read_area(f, missing_text)
    f.values[schema.LEVEL] = (
        normalise_level(f.raw(schema.LEVEL)) if schema.LEVEL in f.column_map else missing_text
    )
    f.values[schema.FIXED_GROUP] = (
        normalise_id(f.raw(schema.FIXED_GROUP))
        if schema.FIXED_GROUP in f.column_map
        else missing_text
    )
    for name in (schema.STUDENTS, schema.TEACHERS, schema.KEY_TEACHERS):
        if name not in f.column_map:
            if name != schema.KEY_TEACHERS:  # a column only when the file has one
                f.values[name] = pd.Series(pd.NA, index=range(n), dtype="Int64")
            continue
        f.values[name], bad = parse_count(f.raw(name))
        f.bad_cells(
            name, bad, f"are not whole numbers from 0 to {MAX_COUNT:,} and were left missing"
        )
    _read_lead_candidate(f, n)


def _read_area(f: _Fields, missing_text: pd.Series) -> None:
    """Urban/rural from the area column, through ``area_values`` when given; a label neither
    says is an error (read as missing, it would be replaced by a guess in silence)."""
    if schema.AREA not in f.column_map:
        if f.area_values:
            raise InputError(
                f"{f.loaded.label}: area_values= was given, but no column was read as area. "
                f"Name it with columns={{'area': '<header>'}} (headers: "
                f"{', '.join(map(repr, f.loaded.frame.columns[:30]))})."
            )
        f.values[schema.AREA] = missing_text
        return
    raw = f.raw(schema.AREA)
    area, unknown = normalise_area(raw, f.area_values)
    if unknown.any():
        raise _unknown_area(f, raw, unknown)
    f.values[schema.AREA] = area
    if f.area_values:
        _note_area_mapping(f, raw)


def _labels(raw: pd.Series, mask: pd.Series) -> pd.DataFrame:
    """The distinct labels under ``mask``, compared as ``area_values`` compares them: each
    as first written, its count and first position, the most frequent first."""
    written = raw.astype("str").str.strip()[mask]
    key = as_text(raw).str.casefold()[mask]
    table = pd.DataFrame({"label": written, "pos": np.flatnonzero(mask.to_numpy())})
    table = table.groupby(key.to_numpy(), sort=False).agg(
        label=("label", "first"), size=("pos", "size"), pos=("pos", "min")
    )
    return table.sort_values("size", ascending=False, kind="stable")


def _label_items(f: _Fields, table: pd.DataFrame) -> list[str]:
    """``['Bandar' (12 rows, first row 2), …]`` for a table of :func:`_labels`."""
    shown = [
        f"{label!r} ({_rows(size)}, {'first ' if size > 1 else ''}row {f.loaded.rows[pos]})"
        for label, size, pos in table.head(20).itertuples(index=False)
    ]
    return shown + ([f"… ({len(table) - 20:,} more)"] if len(table) > 20 else [])


def _label_counts(f: _Fields, table: pd.DataFrame) -> str:
    return ", ".join(_label_items(f, table))


def _unknown_area(f: _Fields, raw: pd.Series, unknown: pd.Series) -> InputError:
    header = f.column_map[schema.AREA]
    table = _labels(raw, unknown)
    template = ", ".join(f"{label!r}: '<urban or rural>'" for label in table["label"].head(4))
    known = ~unknown & ~missing_mask(raw)
    also = (
        f" The column's other labels are read: {_label_counts(f, _labels(raw, known))}."
        if known.any()
        else ""
    )
    return InputError(
        f"{f.loaded.label}: column {header!r} (read as area, urban or rural) holds labels that "
        f"are neither: {_label_counts(f, table)}.{also} Known without help: urban, "
        "rural, 城区, 城镇, 城市, 市区, 县城, 镇区 (urban), 乡村, 农村, 乡镇, 村 (rural), and the "
        "statistical codes 1xx (urban) and 2xx (rural). Say what each label means with "
        f"area_values={{{template}}}; or blank those cells, and the area is derived; or, if "
        f"{header!r} is not urban/rural at all, leave it out with columns={{'area': None}}.",
        code="read.area_labels",
        values={
            "rest_label": f.loaded.label,
            "header": repr(header),
            "rest_labels": _label_items(f, table),
            "rest_also": also.strip(),
            "template": f"{{{template}}}",
        },
    )


def _rows(n: int) -> str:
    return f"{n:,} row{'' if n == 1 else 's'}"


def _note_area_mapping(f: _Fields, raw: pd.Series) -> None:
    """Say which of the caller's labels were used, how often, and which matched nothing."""
    keys = as_text(raw).str.casefold()
    written = raw.astype("str").str.strip()
    counts = keys[keys.isin(list(f.area_values))].value_counts()
    used = [
        f"{written[keys == label].iloc[0]!r} -> {meaning} ({_rows(int(counts[label]))})"
        for label, meaning in f.area_values.items()
        if label in counts.index
    ]
    f.mapped[schema.AREA] = (
        f"column {f.column_map[schema.AREA]!r} read through area_values: "
        f"{', '.join(used) or 'no label matched'}."
    )
    unused = [label for label in f.area_values if label not in counts.index]
    if unused:
        f.notes.append(
            f"area_values: {', '.join(map(repr, unused))} matched no cell of column "
            f"{f.column_map[schema.AREA]!r} (labels are compared ignoring case and spaces)."
        )


def _read_lead_candidate(f: _Fields, n: int) -> None:
    if schema.LEAD_CANDIDATE not in f.column_map:
        f.values[schema.LEAD_CANDIDATE] = pd.Series(False, index=range(n))
        f.derived[schema.LEAD_CANDIDATE] = (
            "no column: False for every school (the policy chooses leads by quality)."
        )
        return
    flags, bad = parse_bool(f.raw(schema.LEAD_CANDIDATE))
    f.values[schema.LEAD_CANDIDATE] = flags
    f.bad_cells(
        schema.LEAD_CANDIDATE,
        bad,
        "are not yes/no (1/0, true/false, 是/否) and were taken as False",
    )


# --------------------------------------------------------------------------- kept schools


def _refuse_one_point(f: _Fields, keep: np.ndarray) -> None:
    """Every school at one point: the coordinates cannot be real, and grouping by nearness
    would be meaningless; say so instead of grouping by quality alone in silence."""
    pos = np.flatnonzero(keep)
    if len(pos) < 3:
        return
    lon, lat = f.wgs[0][pos], f.wgs[1][pos]
    if np.ptp(lon) > 0 or np.ptp(lat) > 0:
        return
    rows = f.loaded.rows[pos]
    point = f.coord_cells.iloc[pos[:1]].iloc[0]
    raise InputError(
        f"{f.loaded.label}: all {len(pos):,} schools (rows {rows[0]}-{rows[-1]}) are at one "
        f"point, {point} in column(s) {f.coord_column!r}, so every "
        "distance between them is 0 and no grouping by nearness is possible. The coordinates "
        "were probably filled with one place (a town centre or the bureau's address): give "
        "each school its own coordinates (geocode the addresses) and read again.",
        code="read.one_point",
        values={
            "rest_label": f.loaded.label,
            "n": f"{len(pos):,}",
            "first": rows[0],
            "last": rows[-1],
            "point": point,
            "column": repr(f.coord_column),
        },
    )


def _flag_shared(f: _Fields, keep: np.ndarray) -> None:
    """Flag kept schools that share a name, a name and a point, or a point with 2 others."""
    pos = np.flatnonzero(keep)
    table = pd.DataFrame(
        {
            "name": f.values[schema.NAME].iloc[pos].str.casefold().to_numpy(),
            "lon": f.wgs[0][pos],
            "lat": f.wgs[1][pos],
            "row": f.loaded.rows[pos],
        }
    )
    same_name = table.groupby("name", sort=False)["row"].transform("first").to_numpy()
    same_both = table.groupby(["name", "lon", "lat"], sort=False)["row"].transform("first")
    by_point = table.groupby(["lon", "lat"], sort=False)["row"]
    point_first = by_point.transform("first").to_numpy()
    point_size = by_point.transform("size").to_numpy()
    rows = table["row"].to_numpy()
    twice = same_both.to_numpy() != rows
    named = (same_name != rows) & ~twice
    crowded = (point_first != rows) & (point_size >= 3) & ~twice
    name_header, name_cells = f.column_map[schema.NAME], f.raw(schema.NAME)
    _flag(
        f,
        pos,
        twice,
        name_header,
        name_cells,
        [
            f"same name and point as another school; first at row {r}: probably entered twice"
            for r in same_both.to_numpy()[twice]
        ],
    )
    _flag(
        f,
        pos,
        named,
        name_header,
        name_cells,
        [
            f"name used by another school; first at row {r}: kept (ids differ); tell them apart "
            "by id"
            for r in same_name[named]
        ],
    )
    _flag(
        f,
        pos,
        crowded,
        f.coord_column,
        f.coord_cells,
        [
            f"point shared by several schools; {k} at this point, first at row {r}: check their "
            "coordinates"
            for k, r in zip(point_size[crowded], point_first[crowded], strict=True)
        ],
    )


def _flag(
    f: _Fields,
    pos: np.ndarray,
    mask: np.ndarray,
    column: str,
    cells: pd.Series | CellPairs,
    reasons: list[str],
) -> None:
    """Flag the kept rows ``pos[mask]`` with one reason each."""
    if not mask.any():
        return
    full = np.zeros(len(f.loaded.frame), dtype=bool)
    full[pos[mask]] = True
    text = pd.Series("", index=range(len(full)), dtype="str")
    text.iloc[pos[mask]] = reasons
    f.flags.add(full, column, cells, text)


def _flag_quality(f: _Fields, keep: np.ndarray) -> None:
    """A few negative values on a scale otherwise >= 0 are likely codes for 'missing'
    (-99, -999); a quality equal for every school ranks nothing."""
    header, quality = f.column_map[schema.QUALITY], f.values[schema.QUALITY]
    kept = quality[keep]
    negative = keep & (quality < 0).to_numpy()
    n_neg = int(negative.sum())
    if n_neg and n_neg <= max(1, 0.1 * len(kept)) and int((kept >= 0).sum()) >= 2:
        f.flags.add(
            negative,
            header,
            f.raw(schema.QUALITY),
            "negative quality where the other schools' are >= 0; a code such as -99 "
            "may mean 'missing': blank it if so",
        )
    if len(kept) >= 2 and kept.nunique() == 1:
        f.notes.append(
            f"quality (column {header!r}) is {kept.iloc[0]:g} for all {len(kept):,} schools: "
            "it cannot rank them, so a policy taking the top share by quality as leads "
            "(leads = 'top:…') would pick them arbitrarily, and balancing quality means "
            "nothing. Check that the right column is read as quality (columns={'quality': …} "
            "/ --column quality=…)."
        )


def _note_no_lead_candidate(f: _Fields, keep: np.ndarray) -> None:
    if schema.LEAD_CANDIDATE in f.column_map and not f.values[schema.LEAD_CANDIDATE][keep].any():
        f.notes.append(
            f"lead_candidate (column {f.column_map[schema.LEAD_CANDIDATE]!r}) marks no school: "
            "a policy with leads = 'column:lead_candidate' will find no lead. Mark the lead "
            "schools (1 / 是), or let the policy choose leads by quality."
        )
