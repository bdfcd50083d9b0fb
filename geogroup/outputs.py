"""Output files: their names, kept inside the output folder, and how a set of them is written.

A policy's ``[output]`` names are checked when the policy is made (:func:`output_problems`,
in :mod:`geogroup.output_names`: nothing absolute, ``..``, control characters, clashes
letter case aside) and against the
folder before anything is written (:func:`output_paths`: no link out, no folder in the way).

:func:`write_set` changes a set of files as a whole or not at all: its writers write into a
hidden stage ``.geogroup-<pid>-<host>-<n>`` of the output folder (moves are then renames);
under an exclusive ``flock`` of the folder (released by the kernel when a process dies) the
list of moves is written (the commit point), the files moved in and the stage removed; an
error while moving puts the previous files back. Two runs into one folder at once leave the
whole set of one of them. A killed run leaves its stage: the next run removes it (its
process is gone, or it is :data:`STALE_SECONDS` old) or, killed while moving, completes it.
``timings.json`` alone differs from run to run. A file that cannot be written raises
:class:`OutputError`, naming the path and what to do; single files are written atomically.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import shutil
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from geogroup.errors import GeogroupError, PolicyError
from geogroup.output_names import (
    OUTPUT_NAMES,
    TIMINGS_NAME,
    _clashes,
    _files,
    _path_problem,
    _shown,
    output_problems,
)

try:  # POSIX; elsewhere the set is written without the lock
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

__all__ = [
    "OUTPUT_NAMES",
    "STALE_SECONDS",
    "TIMINGS_NAME",
    "OutputError",
    "atomic_path",
    "atomic_write",
    "check_targets",
    "clean_stale",
    "move_outputs",
    "output_paths",
    "output_problems",
    "staging_folder",
    "write_set",
]

STALE_SECONDS = 30 * 60  # a staging folder untouched this long is left over, whoever made it


class OutputError(GeogroupError):
    """An output that cannot be written; the message names the path and what to do."""


# --- names (checked in geogroup.output_names) and the folder -------------------------------


def output_paths(out_dir: str | Path, output: Mapping[str, str]) -> dict[str, Path]:
    """Where each output file goes: its default name (``'plan.csv'``, ``'map.html'``, …)
    mapped to its path inside ``out_dir``, after checking that no name, followed through
    symbolic links, leads outside ``out_dir`` and that no folder stands where a file goes
    (:func:`check_targets`). Nothing is written.

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
    check_targets(paths.values())
    return paths


def _resolve(path: Path, where: str, shown: str) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:  # a symbolic link loop (RuntimeError before 3.13)
        raise PolicyError(
            f"policy {where}: {shown!r} cannot be resolved ({exc}); remove the symbolic link "
            "loop, or choose another name or --out"
        ) from None


def check_targets(targets: Any) -> None:
    """Raise :class:`OutputError` when a file of ``targets`` cannot take its place: a folder
    (or anything but a file) stands at its name, or a file where one of its folders goes.
    Checked before anything is written, and again under the lock just before the move."""
    for target in map(Path, targets):
        if target.is_symlink() or target.is_file():
            continue
        blocked = target if target.exists() else None
        for parent in target.parents if blocked is None else ():
            if parent.exists():
                blocked = None if parent.is_dir() else parent
                break
        if blocked is not None:
            raise OutputError(
                f"cannot write {str(target)!r}: {str(blocked)!r} is in the way (a "
                f"{'folder' if blocked == target else 'file'} of that name); remove it, or "
                "choose another name or output folder"
            )


# --- errors of writing -------------------------------------------------------------------------

_DENIED = "the folder refuses writes; choose a folder you can write to, or ask for permission"
_ADVICE = {
    errno.ENOSPC: "the disk is full; free some space there, or choose a folder on another disk",
    errno.EFBIG: "the file is too large for the disk or a limit; free space, or choose another disk",
    errno.EDQUOT: "your disk quota is used up; free some space, or choose another folder",
    errno.EACCES: _DENIED,
    errno.EPERM: _DENIED,
    errno.EROFS: "the disk is read-only; choose an output folder on another disk",
}


def _io_error(path: str | Path, exc: OSError) -> OutputError:
    """The user's error of an ``OSError`` while writing ``path``."""
    advice = _ADVICE.get(exc.errno, "check that the folder can be written, or choose another")
    reason = exc.strerror or str(exc)
    return OutputError(f"cannot write {str(path)!r}: {reason}; {advice}")


def _writer_error(target: Path, stage: Path, exc: Exception) -> Exception:
    """A writer's ``OSError`` as an :class:`OutputError` about ``target``; so too a library's
    own error (GDAL: "disk I/O error") when the disk refuses a probe of 1 MiB beside it.
    Any other exception is returned as it is: a bug."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__
    if isinstance(cause, OSError) or isinstance(exc, GeogroupError):
        return _io_error(target, cause) if isinstance(cause, OSError) else exc
    probe = stage / ".probe"
    try:
        with probe.open("wb") as handle:
            handle.write(bytes(1 << 20))
            os.fsync(handle.fileno())  # a disk may say it is full only when flushed
    except OSError as refused:
        return _io_error(target, refused)
    finally:
        probe.unlink(missing_ok=True)
    return exc


# --- the lock and the stages ---------------------------------------------------------------

_STAGE_PREFIX = ".geogroup-"
_STAGE_NAME = re.compile(r"\.geogroup-(\d+)-([0-9a-f]{8})-[0-9a-f]+")
_TEMP_NAME = re.compile(r"\..+\.[0-9a-f]{8}\.tmp(\.[^.]*)?")  # atomic_path's temporary files
_MANIFEST = ".moves.json"  # in a stage: the commit point
_BACKUP = ".previous"  # in a stage: the files being replaced, until the move is done
_LOCK_SECONDS = 120.0
_HOST = hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]
_ACTIVE: set[str] = set()  # this process's stages


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold the exclusive lock of the output ``folder``: the folder itself, so that no lock
    file is left in it, or a hidden lock file where a folder cannot be locked (NFS)."""
    if fcntl is None:  # pragma: no cover - Windows: moved without the lock
        yield
        return
    try:
        fd = _lock(folder, os.O_RDONLY, folder)
    except OSError as exc:
        if exc.errno not in (errno.EBADF, errno.ENOLCK, errno.EINVAL, errno.ENOTSUP):
            raise
        fd = _lock(folder / ".geogroup.lock", os.O_RDWR | os.O_CREAT, folder)
    try:
        yield
    finally:
        os.close(fd)  # releases the lock


def _lock(path: Path, flags: int, folder: Path) -> int:
    """An open descriptor of ``path`` holding its exclusive lock, waited for."""
    fd = os.open(path, flags, 0o644)
    deadline = time.monotonic() + _LOCK_SECONDS
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return fd
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OutputError(
                        f"another program has been writing into {str(folder)!r} for over "
                        f"{_LOCK_SECONDS:.0f} s; wait for it to finish, or choose another folder"
                    ) from None
                time.sleep(0.02)
    except BaseException:
        os.close(fd)
        raise


def _new_stage(out: Path) -> Path:
    try:
        out.mkdir(parents=True, exist_ok=True)
        stage = out / f"{_STAGE_PREFIX}{os.getpid()}-{_HOST}-{secrets.token_hex(6)}"
        stage.mkdir(mode=0o700)
    except OSError as exc:  # a file of that name (checked before) or no permission
        raise _io_error(out, exc) from None
    _ACTIVE.add(stage.name)
    return stage


def _is_stale(path: Path) -> bool:
    """A stage whose process is gone (known on this machine only), or a stage or
    temporary file untouched for :data:`STALE_SECONDS`."""
    match = _STAGE_NAME.fullmatch(path.name)
    if match and match.group(2) == _HOST and _process_gone(int(match.group(1))):
        return True
    with contextlib.suppress(OSError):
        inside = list(path.iterdir()) if path.is_dir() else []
        return time.time() - max(p.lstat().st_mtime for p in [path, *inside]) > STALE_SECONDS
    return False


def _process_gone(pid: int) -> bool:
    if os.name != "posix":  # elsewhere os.kill(pid, 0) is no question: it signals
        return False
    if pid == os.getpid():
        return True  # this process's stages are skipped: an earlier process had its number
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # another user's process: alive
        pass
    return False


def _recover(out: Path) -> list[Path]:
    """Under the lock: finish the moves of runs killed after their commit point (oldest
    first; no live run can be there, it would hold the lock), then remove the leftovers."""
    found = [p for p in out.iterdir() if p.name not in _ACTIVE and not p.is_symlink()]
    stages = [p for p in found if p.name.startswith(_STAGE_PREFIX) and p.is_dir()]
    committed = sorted(
        (p for p in stages if (p / _MANIFEST).is_file()),
        key=lambda p: (p / _MANIFEST).stat().st_mtime,
    )
    root = out.resolve()
    for stage in committed:
        with contextlib.suppress(OSError, ValueError):
            for name, relative in json.loads((stage / _MANIFEST).read_text(encoding="utf-8")):
                target = out / relative
                if (stage / name).is_file() and target.resolve().is_relative_to(root):
                    target.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(stage / name, target)
    temps = [p for p in found if _TEMP_NAME.fullmatch(p.name) and p.is_file()]
    stale = [p for p in stages + temps if p not in committed and _is_stale(p)]
    for path in committed + stale:
        with contextlib.suppress(OSError):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return committed + stale


def clean_stale(out_dir: str | Path) -> list[Path]:
    """Tidy ``out_dir`` after killed runs (:func:`write_set` calls it first): finish sets whose
    move was interrupted, remove stages whose process is gone or :data:`STALE_SECONDS` old."""
    if not Path(out_dir).is_dir():
        return []
    with _locked(Path(out_dir)):
        return _recover(Path(out_dir))


@contextlib.contextmanager
def staging_folder(out_dir: str | Path) -> Iterator[Path]:
    """A hidden staging folder in ``out_dir`` (made if needed), removed afterwards, for
    :func:`move_outputs`; what killed runs left there is cleaned first (:func:`clean_stale`)."""
    stage = _new_stage(Path(out_dir))
    try:
        clean_stale(out_dir)
        yield stage
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        _ACTIVE.discard(stage.name)


# --- moving a set in -----------------------------------------------------------------------


def _keep_previous(target: Path, backup: Path) -> Path | None:
    """A second name for the file ``target`` is about to replace, to put it back."""
    if not (target.exists() or target.is_symlink()):
        return None
    backup.parent.mkdir(exist_ok=True)
    try:
        os.link(target, backup, follow_symlinks=False)
    except (OSError, NotImplementedError):  # no hard links: move it aside (under the lock)
        os.replace(target, backup)
    return backup


def _commit(out: Path, stage: Path, moves: list[tuple[str, Path]]) -> list[Path]:
    """Move the staged files ``moves`` (name in the stage, target) into place as one."""
    with _locked(out):
        _recover(out)
        check_targets(target for _, target in moves)
        # the link itself, not where it leads: the move replaces the link
        manifest = [
            [n, os.path.relpath(t.parent.resolve() / t.name, out.resolve())] for n, t in moves
        ]
        atomic_write(stage / _MANIFEST, json.dumps(manifest, ensure_ascii=False))
        done: list[tuple[Path, Path | None]] = []
        try:
            for number, (name, target) in enumerate(moves):
                done.append((target, _keep_previous(target, stage / _BACKUP / str(number))))
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(stage / name, target)
        except OSError as exc:
            for target_done, backup in reversed(done):  # put the previous set back
                with contextlib.suppress(OSError):
                    if backup is None:
                        target_done.unlink(missing_ok=True)
                    else:
                        os.replace(backup, target_done)
            raise _io_error(target, exc) from None
        finally:
            (stage / _MANIFEST).unlink(missing_ok=True)
            shutil.rmtree(stage / _BACKUP, ignore_errors=True)
    return [target for _, target in moves]


def move_outputs(stage: Path, paths: Mapping[str, Path]) -> list[Path]:
    """Move every visible file of ``stage`` to ``paths[its name]`` (default: beside ``stage``),
    all or none, under the folder's lock; returns the paths, in the order of ``paths``."""
    order = {name: k for k, name in enumerate(paths)}
    staged = sorted(
        (p.name for p in stage.iterdir() if not p.name.startswith(".")),
        key=lambda n: (order.get(n, len(order)), n),
    )
    return _commit(stage.parent, stage, [(n, Path(paths.get(n, stage.parent / n))) for n in staged])


def _targets(out: Path, names: Any, output: Mapping[str, str] | None) -> dict[str, Path]:
    """Each file's path; names besides the ``[output]`` ones are plain, visible file names."""
    paths = output_paths(out, output or {})
    extra = {n: out / n for n in names if n not in paths}
    for name in extra:
        if not isinstance(name, str) or name[:1] in "./" or "/" in name or _path_problem(name):
            raise ValueError(f"write_set: {name!r} is not a plain file name")
    clash = _clashes({n: p.relative_to(out).as_posix() for n, p in (paths | extra).items()})
    if clash:
        raise PolicyError(clash[0])
    check_targets(extra.values())
    return {name: (paths | extra)[name] for name in names}


def write_set(
    out_dir: str | Path,
    writers: Mapping[str, Callable[[Path], object]],
    output: Mapping[str, str] | None = None,
) -> dict[str, Path]:
    """Write a set of files into ``out_dir`` as a whole, or not at all.

    Parameters
    ----------
    out_dir
        The output folder; made when missing.
    writers
        Each file's default name (``'plan.csv'``, ``'map.html'``, …, or another plain name)
        mapped to a function that writes that one file at the path it is given.
    output
        A policy's ``[output]`` table: the names the files get (:func:`output_paths`).

    Returns
    -------
    dict
        Each name of ``writers`` mapped to the path of its file.

    Raises
    ------
    PolicyError, OutputError
        A name leads outside ``out_dir`` or two clash (before anything is written); a file
        cannot be written (a full disk, no permission): ``out_dir`` keeps the previous set.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = write_set(folder, {"groups.csv": lambda p: p.write_text("id\\n")})
    ...     paths["groups.csv"].read_text(), sorted(p.name for p in Path(folder).iterdir())
    ('id\\n', ['groups.csv'])
    """
    out = Path(out_dir)
    targets = _targets(out, writers, output)
    with staging_folder(out) as stage:
        for name, writer in writers.items():
            try:
                writer(stage / name)
            except Exception as exc:
                error = _writer_error(targets[name], stage, exc)
                if error is exc:
                    raise
                raise error from exc
            if not (stage / name).is_file():
                raise RuntimeError(f"write_set: the writer of {name!r} wrote no file")
        _commit(out, stage, list(targets.items()))
    return targets


# --- single files ------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path`` through: renamed over ``path`` when the block ends
    without an exception, removed when it raises (an ``OSError`` becomes an
    :class:`OutputError` naming ``path``).

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
    if not path.name:  # '' or a folder's '.': nothing to name the file by
        raise OutputError(f"cannot write {str(path)!r}: no file name; give the name of a file")
    tmp = path.with_name(f".{path.stem}.{secrets.token_hex(4)}.tmp{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except OSError as exc:
        raise _io_error(path, exc) from exc
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


def atomic_write(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` (text as UTF-8, line ends as given) to ``path`` through
    :func:`atomic_path`; returns the path."""
    path = Path(path)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_path(path) as tmp:
        tmp.write_bytes(raw)
    return path
