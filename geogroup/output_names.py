"""Output file names: the defaults, what a policy's ``[output]`` table may name, and the
checks of those names (:func:`output_problems`), before anything is written.

A stem (``plan``, ``report``, ``summary``) gets its suffixes; ``map`` is a whole file name.
Every name stays inside the output folder: nothing absolute, no ``..``, no control
character, no two outputs under one name (letter case aside), no file where another's
folder goes. :mod:`geogroup.outputs` checks them against the folder and writes the files.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any

__all__ = ["OUTPUT_NAMES", "TIMINGS_NAME", "output_problems"]

OUTPUT_NAMES: dict[str, str] = {  # defaults
    "plan": "plan",
    "report": "report",
    "map": "map.html",
    "summary": "summary",
}

TIMINGS_NAME = "timings.json"  # the one output that differs from run to run

# A stem gets these suffixes; "map" is a whole file name.
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "plan": (".csv", ".json", ".gpkg"),
    "report": (".html", ".xlsx"),
    "map": (),
    "summary": (".pdf", ".png"),
}
# written under these names always
_FIXED_NAMES = ("groups.csv", "summary.json", "metrics.json", TIMINGS_NAME)
_MAX_PART_BYTES = 200  # leaves room under the usual 255-byte limit for suffixes and temp names
_MAX_BYTES = 1000


def output_problems(output: Any) -> list[str]:
    """Every problem of an ``[output]`` table, each naming its key and value.

    Examples
    --------
    >>> output_problems({"plan": "plans/2024", "map": "haicheng_map.html"})
    []
    >>> output_problems({"plan": "../plan"})
    ["policy [output] key 'plan' = '../plan': ...; give a name inside the output folder, e.g. 'plan'"]
    """
    if not isinstance(output, Mapping):
        return [f"policy [output]: expected a table of file names, got {output!r}"]
    problems = []
    unknown = sorted(set(output) - set(OUTPUT_NAMES), key=str)
    if unknown:
        problems.append(
            f"policy [output]: unknown key(s) {', '.join(map(repr, unknown))}; "
            f"known keys: {', '.join(sorted(OUTPUT_NAMES))}"
        )
    for key, value in output.items():
        problem = _name_problem(key, value) if key in OUTPUT_NAMES else None
        if problem:
            problems.append(
                f"policy [output] key {key!r} = {_shown(value)}: {problem}; "
                f"give a name inside the output folder, e.g. {OUTPUT_NAMES[key]!r}"
            )
    return problems or _clashes({d: n for d, (_, n) in _files(output).items()})


def _name_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot name the ``key`` output, or None."""
    return _path_problem(value) or _suffix_problem(key, value.replace("\\", "/").split("/")[-1])


def _path_problem(value: Any) -> str | None:
    """Why ``value`` cannot name a file inside the output folder, or None."""
    if not isinstance(value, str):
        return "expected a file name in quotes"
    if not value.strip():
        return "the name is empty"
    if any(ord(c) < 32 or c == "\x7f" for c in value):
        return "the name holds a control character (such as NUL or a line break)"
    windows = PureWindowsPath(value)
    if PurePosixPath(value).is_absolute() or windows.drive or windows.root:
        return "an absolute path or drive letter leads outside the output folder"
    parts = value.replace("\\", "/").split("/")
    if ".." in parts:
        return "a '..' component leads outside the output folder"
    if "\\" in value:
        return "a backslash is not a folder separator on every system (use '/')"
    if parts[-1] in ("", "."):
        return "the name ends in a folder, not a file"
    if len(value.encode()) > _MAX_BYTES or any(len(p.encode()) > _MAX_PART_BYTES for p in parts):
        return f"the name is too long (at most {_MAX_PART_BYTES} bytes between slashes)"
    return None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:60] + "…"


def _suffix_problem(key: str, name: str) -> str | None:
    suffixes = _SUFFIXES[key]
    if not suffixes and not name.lower().endswith((".html", ".htm")):
        return "expected a file name ending in .html"
    if name.lower().endswith(suffixes):
        return f"expected a stem: {', '.join(suffixes)} are added to it"
    return None


def _files(output: Mapping[str, str]) -> dict[str, tuple[str | None, str]]:
    """Each file's default name, mapped to its ``[output]`` key (None for a fixed name) and
    its name inside the output folder."""
    out: dict[str, tuple[str | None, str]] = {}
    for key, default in OUTPUT_NAMES.items():
        value = output.get(key, default)
        for suffix in _SUFFIXES[key] or ("",):
            out[default + suffix] = (key, value + suffix)
    return out | {name: (None, name) for name in _FIXED_NAMES}


def _clashes(names: Mapping[str, str]) -> list[str]:
    """Two files under one name, letter case aside, or a file's name used as a folder."""
    seen: dict[tuple[str, ...], str] = {}
    for default, name in names.items():
        # as a case-insensitive file system (macOS, Windows) compares names
        folded = unicodedata.normalize("NFC", name).casefold().split("/")
        key = tuple(p for p in folded if p not in ("", "."))
        if key in seen:
            return [
                f"policy [output]: {seen[key]} and {default} would both be written to {name!r}"
                " (letter case aside); give the outputs different names"
            ]
        seen[key] = default
    for key, default in seen.items():
        for depth in range(1, len(key)):
            if key[:depth] in seen:
                return [
                    f"policy [output]: {names[default]!r} ({default}) would need "
                    f"{names[seen[key[:depth]]]!r} ({seen[key[:depth]]}) as a folder; "
                    "give the outputs different names"
                ]
    return []
