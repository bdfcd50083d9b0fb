"""Road distances kept on disk, so that a rerun on the same inputs does not search again.

An entry is keyed by a hash of everything the distances depend on: the schools (ids,
coordinates, units, who may lead), the roads (the content of the file and of a
Shapefile's side files, or the lines of a frame), every parameter and the version of the
routing code. A changed input is a new key; old entries are never trusted blindly.

The folder is ``$GEOGROUP_CACHE_DIR`` when set, else the user's cache folder
(``$XDG_CACHE_HOME/geogroup`` or ``~/.cache/geogroup``; ``%LOCALAPPDATA%\\geogroup\\cache``
on Windows), subfolder ``roads``. Entries are ``.npz`` files written atomically; delete the
folder to clear the cache.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "CACHE_ENV",
    "ROUTING_VERSION",
    "cache_folder",
    "file_fingerprint",
    "key_of",
    "load",
    "save",
]

CACHE_ENV = "GEOGROUP_CACHE_DIR"
ROUTING_VERSION = "1"  # raised whenever the distances computed from the same input change
_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def cache_folder(folder: str | os.PathLike[str] | None = None) -> Path:
    """Where road distances are cached: ``folder``, ``$GEOGROUP_CACHE_DIR``, or the user's
    cache folder (subfolder ``roads``)."""
    if folder is not None:
        return Path(folder)
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]) / "roads"
    if sys.platform == "win32" and os.environ.get("LOCALAPPDATA"):
        return Path(os.environ["LOCALAPPDATA"]) / "geogroup" / "cache" / "roads"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "geogroup" / "roads"


def file_fingerprint(path: Path) -> bytes:
    """A digest of the file's content (and, for a Shapefile, of its side files)."""
    digest = hashlib.blake2b(digest_size=32)
    files = [path]
    if path.suffix.lower() == ".shp":
        files = [path.with_suffix(s) for s in _SIDECARS if path.with_suffix(s).exists()]
    for f in files:
        with f.open("rb") as handle:
            digest.update(f.suffix.lower().encode())
            digest.update(hashlib.file_digest(handle, "blake2b").digest())
    return digest.digest()


def _code_version() -> str:
    try:
        return metadata.version("geogroup")
    except metadata.PackageNotFoundError:  # run from a source tree
        return "source"


def key_of(parts: Iterable[bytes | str]) -> str:
    """The cache key of the parts (with the routing code's version)."""
    digest = hashlib.sha256()
    for part in (f"roads/{ROUTING_VERSION}/{_code_version()}", *parts):
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "little"))
        digest.update(data)
    return digest.hexdigest()


def load(folder: Path, key: str) -> dict[str, NDArray] | None:
    """The arrays of an entry, or None when there is none (or it cannot be read)."""
    path = folder / f"{key}.npz"
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, EOFError):  # a damaged entry is recomputed
        return None


def save(folder: Path, key: str, arrays: dict[str, NDArray]) -> Path | None:
    """Write an entry atomically; a folder that cannot be written costs only the cache."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".npz")
        with os.fdopen(handle, "wb") as out:
            np.savez(out, **arrays)
        path = folder / f"{key}.npz"
        os.replace(tmp, path)
        return path
    except OSError:
        return None
