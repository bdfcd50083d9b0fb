"""Distances between schools that are not straight lines: along roads, or given by a planner.

A :class:`DistanceTable` holds, for some pairs of school ids, the distance in km (and,
when known, the travel time in minutes) from one school to the other. It is sparse by
design: a road network gives each school the distances to its candidate leads only (its
nearest, within the cap), never an n × n matrix. Every method, cap and metric reads a pair
from it when it is given; a pair it lacks cannot be a member and its lead.

Read one with :func:`read_distance_table` (CSV: from id, to id, km, optional minutes), or
build one from a road network (:func:`geogroup.locate.network_distances`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from geogroup.errors import InputError

__all__ = ["DistanceTable", "UnitDistances", "read_distance_table"]


@dataclass
class DistanceTable:
    """Directed distances between school ids (a missing pair: no known way).

    Attributes
    ----------
    pairs
        Columns ``from_id``, ``to_id`` (strings), ``km`` and, when known, ``minutes``.
    source
        Where the distances come from, in words (shown in plans and reports).
    """

    pairs: pd.DataFrame
    source: str = "distance table"

    @property
    def has_minutes(self) -> bool:
        return "minutes" in self.pairs and self.pairs["minutes"].notna().any()

    def for_unit(self, ids: NDArray[np.object_]) -> UnitDistances:
        """The pairs among ``ids``, on their positions (both directions kept)."""
        pos = pd.Series(np.arange(len(ids)), index=pd.Index([str(i) for i in ids]))
        a = pos.reindex(self.pairs["from_id"].to_numpy()).to_numpy()
        b = pos.reindex(self.pairs["to_id"].to_numpy()).to_numpy()
        keep = ~(np.isnan(a) | np.isnan(b))
        a, b = a[keep].astype(np.int64), b[keep].astype(np.int64)
        km = self.pairs["km"].to_numpy(dtype=float)[keep]
        minutes = self.pairs["minutes"].to_numpy(dtype=float)[keep] if self.has_minutes else None
        return UnitDistances(len(ids), a, b, km, minutes)


class UnitDistances:
    """A unit's table on school positions: ``km(a, b)``, ``minutes(a, b)`` and each
    school's nearest candidates; a pair is looked up in either direction (the first
    direction given wins)."""

    def __init__(
        self,
        n: int,
        a: NDArray[np.int64],
        b: NDArray[np.int64],
        km: NDArray[np.float64],
        minutes: NDArray[np.float64] | None,
    ) -> None:
        rows, cols = np.concatenate([a, b]), np.concatenate([b, a])
        order = np.lexsort((np.arange(len(rows)), cols, rows))
        first = order[np.r_[True, np.diff(rows[order] * n + cols[order]) != 0]]
        self.n = n
        self._rows, self._cols = rows[first], cols[first]
        self._km = self._matrix(np.concatenate([km, km])[first])
        self._minutes = (
            None if minutes is None else self._matrix(np.concatenate([minutes, minutes])[first])
        )

    def _matrix(self, values: NDArray[np.float64]) -> sp.csr_matrix:
        # stored as value + 1: a pair 0 km apart (one site) stays apart from "no entry"
        return sp.csr_matrix((values + 1.0, (self._rows, self._cols)), shape=(self.n, self.n))

    @property
    def has_minutes(self) -> bool:
        return self._minutes is not None

    def pairs(self) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """Every pair of positions the table knows (both directions)."""
        return self._rows.copy(), self._cols.copy()

    @staticmethod
    def _lookup(matrix: sp.csr_matrix, a, b) -> NDArray[np.float64]:
        a = np.asarray(a, dtype=np.int64).ravel()
        b = np.asarray(b, dtype=np.int64).ravel()
        if not len(a):
            return np.zeros(0)
        found = np.asarray(matrix[a, b]).ravel()
        out = np.where(found > 0, found - 1.0, np.inf)
        out[a == b] = 0.0
        return out

    def km(self, a, b) -> NDArray[np.float64]:
        """Distance in km from a to b (position arrays); inf where the table has none."""
        return self._lookup(self._km, a, b)

    def minutes(self, a, b) -> NDArray[np.float64]:
        """Travel time in minutes; inf where unknown."""
        if self._minutes is None:
            return np.full(len(np.asarray(a).ravel()), np.inf)
        return self._lookup(self._minutes, a, b)

    def nearest(
        self, rows: NDArray[np.int64], heads: NDArray[np.int64], k: int
    ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Each row's ``k`` nearest of ``heads`` by the table: (positions into ``heads``, km),
        shape ``(len(rows), k)``, padded with -1 and inf where fewer are known; a head is
        its own nearest, at 0 km."""
        heads = np.asarray(heads, dtype=np.int64)
        k = max(1, min(k, len(heads)))
        col_of = np.full(self.n, -1, dtype=np.int64)
        col_of[heads] = np.arange(len(heads))
        idx = np.full((len(rows), k), -1, dtype=np.int64)
        dist = np.full((len(rows), k), np.inf)
        m = self._km
        for r, row in enumerate(np.asarray(rows, dtype=np.int64).tolist()):
            seg = slice(m.indptr[row], m.indptr[row + 1])
            cand, cand_d = col_of[m.indices[seg]], m.data[seg] - 1.0
            cand_d, cand = cand_d[cand >= 0], cand[cand >= 0]
            if col_of[row] >= 0:
                cand, cand_d = np.r_[col_of[row], cand], np.r_[0.0, cand_d]
            order = np.lexsort((cand, cand_d))[:k]
            idx[r, : len(order)] = cand[order]
            dist[r, : len(order)] = cand_d[order]
        return idx, dist


def read_distance_table(path: str | Path, *, ids: NDArray | None = None) -> DistanceTable:
    """Read a CSV of distances: columns ``from_id``, ``to_id``, ``km`` and optionally
    ``minutes`` (also ``from``/``to``, ``distance_km``, ``time_min``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"distances: file {str(path)!r} does not exist")
    try:
        frame = pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(f"distances: {str(path)!r} cannot be read as CSV ({exc})") from None
    names = {str(c).strip().lower(): c for c in frame.columns}
    wanted = {
        "from_id": ("from_id", "from", "origin", "起点"),
        "to_id": ("to_id", "to", "destination", "终点"),
        "km": ("km", "distance_km", "distance", "距离"),
        "minutes": ("minutes", "time_min", "min", "时间"),
    }
    found = {k: next((names[a] for a in v if a in names), None) for k, v in wanted.items()}
    missing = [k for k in ("from_id", "to_id", "km") if found[k] is None]
    if missing:
        raise InputError(
            f"distances: {str(path)!r} lacks column(s) {', '.join(missing)}; expected from_id, "
            f"to_id, km[, minutes] (it has {', '.join(map(str, frame.columns))})"
        )
    pairs = pd.DataFrame(
        {
            "from_id": frame[found["from_id"]].astype(str).str.strip(),
            "to_id": frame[found["to_id"]].astype(str).str.strip(),
            "km": pd.to_numeric(frame[found["km"]], errors="coerce"),
        }
    )
    if found["minutes"] is not None:
        pairs["minutes"] = pd.to_numeric(frame[found["minutes"]], errors="coerce")
    bad = pairs["km"].isna() | (pairs["km"] < 0) | ~np.isfinite(pairs["km"])
    if bad.any():
        rows = (np.flatnonzero(bad.to_numpy())[:5] + 2).tolist()
        raise InputError(
            f"distances: {str(path)!r}: {int(bad.sum())} row(s) have no distance >= 0 in column "
            f"{found['km']!r} (rows {', '.join(map(str, rows))}); fix or drop them"
        )
    if ids is not None:
        known = set(map(str, ids))
        unknown = sorted((set(pairs["from_id"]) | set(pairs["to_id"])) - known)[:5]
        if unknown:
            raise InputError(
                f"distances: {str(path)!r} names school ids not in the school list (e.g. "
                f"{', '.join(unknown)}); the ids must be the schools' ids"
            )
    return DistanceTable(pairs, source=f"table {path.name}")
