"""Output file names, kept inside the output folder.

``geogroup propose`` writes a plan, its report and its map into ``--out``. A policy's
``[output]`` table may rename them; the names are checked twice: when the policy is made
(:func:`output_problems`: no absolute path, drive letter, ``..``, backslash, control
character or over-long name) and against the real folder before anything is written
(:func:`output_paths`: no symbolic link leading out of it).

The stems and suffixes below are the names :meth:`~geogroup.plan.Plan.write` and
:func:`~geogroup.present.write_report` use; :func:`move_outputs` renames their files.

Every output file is written atomically, through :func:`atomic_write` (bytes or text) or
:func:`atomic_path` (a library that writes a path itself: GDAL, openpyxl), so that a reader,
or a run killed half-way, finds the previous file or the new one, never half a file.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from geogroup.errors import PolicyError

__all__ = [
    "OUTPUT_NAMES",
    "atomic_path",
    "atomic_write",
    "move_outputs",
    "output_paths",
    "output_problems",
    "staging_folder",
]

OUTPUT_NAMES: dict[str, str] = {"plan": "plan", "report": "report", "map": "map.html"}
"""The ``[output]`` keys and their defaults: today's file names."""

# A stem gets these suffixes; "map" is a whole file name.
_SUFFIXES: dict[str, tuple[str, ...]] = {
    "plan": (".csv", ".json", ".gpkg"),
    "report": (".html", ".xlsx"),
    "map": (),
}
_FIXED_NAMES = ("groups.csv", "summary.json", "metrics.json")  # written under these names always
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
    return problems or _clashes(output)


def _name_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot name the ``key`` output, or None."""
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
    return _suffix_problem(key, parts[-1])


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


def _clashes(output: Mapping[str, str]) -> list[str]:
    seen: dict[str, str] = {}
    for default, (_, name) in _files(output).items():
        if name in seen:
            return [
                f"policy [output]: {seen[name]} and {default} would both be written to {name!r}; "
                "give the outputs different names"
            ]
        seen[name] = default
    return []


def output_paths(out_dir: str | Path, output: Mapping[str, str]) -> dict[str, Path]:
    """Where each output file goes: its default name (``'plan.csv'``, ``'map.html'``, …)
    mapped to its path inside ``out_dir``, after checking that no name, followed through
    symbolic links, leads outside ``out_dir``. Nothing is written.

    Examples
    --------
    >>> paths = output_paths("out", {"plan": "plan-2024", "map": "maps/haicheng.html"})
    >>> str(paths["plan.gpkg"]), str(paths["map.html"]), str(paths["groups.csv"])
    ('out/plan-2024.gpkg', 'out/maps/haicheng.html', 'out/groups.csv')
    >>> output_paths("out", {"map": "/etc/x.html"})
    Traceback (most recent call last):
    ...
    geogroup.errors.PolicyError: policy [output] key 'map' = '/etc/x.html': an absolute path ...
    """
    problems = output_problems(output)
    if problems:
        raise PolicyError("; ".join(problems))
    out = Path(out_dir)
    root = _resolve(out, "--out", str(out))
    paths = {}
    for default, (key, name) in _files(output).items():
        where = (
            f"[output] key {key!r} = {_shown(output[key])}" if key in output else f"file {name!r}"
        )
        path = out / name
        real = _resolve(path, where, str(path))
        if not real.is_relative_to(root):
            raise PolicyError(
                f"policy {where}: {str(path)!r} resolves to {str(real)!r}, outside the output "
                f"folder {str(out)!r}, through a symbolic link; remove the link, or choose "
                "another name or --out"
            )
        paths[default] = path
    return paths


def _resolve(path: Path, where: str, shown: str) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic link loop (RuntimeError before 3.13)
        raise PolicyError(
            f"policy {where}: {shown!r} cannot be resolved ({exc}); remove the symbolic link "
            "loop, or choose another name or --out"
        ) from None


@contextlib.contextmanager
def staging_folder(out_dir: str | Path) -> Iterator[Path]:
    """A hidden temporary folder inside ``out_dir`` (made if needed), removed afterwards.

    Files written there are moved into place with :func:`move_outputs`: on the same file
    system, so each move is atomic.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=".geogroup-", dir=out))
    try:
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def move_outputs(stage: Path, paths: Mapping[str, Path]) -> list[Path]:
    """Move every file written into ``stage`` to ``paths[its name]`` (default: the same name
    beside ``stage``); returns the new paths, in the order of ``paths`` then by name."""
    order = {name: k for k, name in enumerate(paths)}
    staged = sorted(stage.iterdir(), key=lambda p: (order.get(p.name, len(order)), p.name))
    moved = []
    for path in staged:
        target = paths.get(path.name, stage.parent / path.name)
        target.parent.mkdir(parents=True, exist_ok=True)
        path.replace(target)
        moved.append(target)
    return moved


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path`` through: renamed over ``path`` when the block ends
    without an exception, removed when it raises.

    The temporary file is hidden, lies in the same folder (so the rename is atomic: the same
    file system) and ends in the same suffix (GDAL picks its driver by the extension); it does
    not exist yet, and its name is new for each call, so two writers never share it.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "plan.csv"
    ...     with atomic_path(target) as tmp:
    ...         hidden = tmp.name.startswith(".plan.") and tmp.suffix == ".csv"
    ...         _ = tmp.write_text("id\\n")
    ...     hidden, target.read_text(), [p.name for p in Path(folder).iterdir()]
    (True, 'id\\n', ['plan.csv'])
    """
    path = Path(path)
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8, line ends as given) to ``path`` through
    :func:`atomic_path`; returns the path.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     atomic_write(Path(folder) / "summary.json", "{}\\n").read_bytes()
    b'{}\\n'
    """
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(raw)
    return path
