"""The JavaScript and CSS of the maps, kept on this machine: downloaded once, then inlined.

The files come from the npm registry (or a mirror of it) as the tarballs of the packages
pinned in ``static/assets.toml``, by version and SHA-512: a tarball whose hash differs is
refused, so a mirror cannot change a byte. No Node.js or npm is involved: the tarball is
fetched over HTTPS and the listed files are read out of it (nothing else of it is
written, and no path inside it decides where a file goes).

The folder is, in order: the ``folder`` argument (``geogroup assets --dir``), the
``GEOGROUP_ASSETS`` environment variable, or the user cache (``~/.cache/geogroup/assets`` on
Linux, from :mod:`platformdirs`). A file ``geogroup-assets.json`` there records the
packages it holds; maps inline the folder's files when it holds all of them
(:func:`cached_assets`).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import json
import os
import tarfile
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from geogroup.errors import InputError
from geogroup.outputs import atomic_write

__all__ = [
    "ASSETS_ENV",
    "REGISTRY",
    "Package",
    "assets_dir",
    "cached_assets",
    "download_assets",
    "linked_files",
    "packages",
]

ASSETS_ENV = "GEOGROUP_ASSETS"
"""The environment variable that names the folder of the maps' JS/CSS."""

REGISTRY = "https://registry.npmjs.org"
"""Where the tarballs come from unless a mirror is given (in China, for example,
``https://registry.npmmirror.com``)."""

STAMP = "geogroup-assets.json"
_MAX_TARBALL = 64 * 1024 * 1024  # the largest pinned tarball is under 5 MB


@dataclass(frozen=True)
class Package:
    """An npm package pinned by version and tarball hash, and the files taken from it
    (name in the folder -> path inside the package)."""

    name: str
    version: str
    integrity: str
    files: dict[str, str]

    def tarball_url(self, registry: str = REGISTRY) -> str:
        """The tarball's address on ``registry`` (npm's layout, which mirrors keep).

        Examples
        --------
        >>> Package("@fortawesome/fontawesome-free", "6.2.0", "", {}).tarball_url()
        'https://registry.npmjs.org/@fortawesome/fontawesome-free/-/fontawesome-free-6.2.0.tgz'
        """
        base = self.name.rsplit("/", 1)[-1]
        return f"{registry.rstrip('/')}/{self.name}/-/{base}-{self.version}.tgz"


@functools.cache
def _manifest() -> tuple[tuple[Package, ...], dict[str, str]]:
    text = (resources.files("geogroup.present") / "static" / "assets.toml").read_text("utf-8")
    table = tomllib.loads(text)
    pinned = tuple(
        Package(p["name"], p["version"], p["integrity"], dict(p["files"])) for p in table["package"]
    )
    return pinned, dict(table["links"])


def packages() -> tuple[Package, ...]:
    """The pinned packages, in the order they are downloaded.

    Examples
    --------
    >>> [p.name for p in packages()][:2]
    ['leaflet', 'jquery']
    """
    return _manifest()[0]


def linked_files() -> dict[str, str]:
    """The URLs that folium links, each with the file of the folder that stands for it.

    Examples
    --------
    >>> linked_files()["https://code.jquery.com/jquery-3.7.1.min.js"]
    'jquery-3.7.1.min.js'
    """
    return _manifest()[1]


def assets_dir(folder: str | os.PathLike[str] | None = None) -> Path:
    """The folder of the maps' JS/CSS: ``folder``, else ``$GEOGROUP_ASSETS``, else the user
    cache.

    Examples
    --------
    >>> assets_dir("/tmp/libs").as_posix()
    '/tmp/libs'
    """
    if folder is not None and str(folder) != "":
        return Path(folder).expanduser()
    from_env = os.environ.get(ASSETS_ENV, "").strip()
    if from_env:
        return Path(from_env).expanduser()
    import platformdirs

    return platformdirs.user_cache_path("geogroup") / "assets"


def _stamp(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    held = data.get("packages") if isinstance(data, dict) else None
    return held if isinstance(held, dict) else {}


def _complete(folder: Path, package: Package, held: dict[str, str]) -> bool:
    return held.get(package.name) == package.integrity and all(
        (folder / name).is_file() for name in package.files
    )


def cached_assets(folder: str | os.PathLike[str] | None = None) -> Path | None:
    """The folder (:func:`assets_dir`) when it holds every pinned package's files, else None.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as empty:
    ...     print(cached_assets(empty))
    None
    """
    where = assets_dir(folder)
    held = _stamp(where)
    if not held:
        return None
    return where if all(_complete(where, p, held) for p in packages()) else None


def _registry(mirror: str | None) -> str:
    if mirror is None or mirror == "":
        return REGISTRY
    if not mirror.startswith(("https://", "http://")) or len(mirror) < 10:
        raise InputError(
            f"mirror: expected the base URL of an npm registry mirror, such as "
            f"https://registry.npmmirror.com, got {mirror!r}"
        )
    return mirror.rstrip("/")


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"User-Agent": "geogroup"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data = response.read(_MAX_TARBALL + 1)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", None) or exc
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()  # it holds the response open
        raise InputError(
            f"could not download {url} ({reason}); check the network (or proxy: "
            "HTTPS_PROXY), or use a mirror of the npm registry, e.g. "
            "--mirror https://registry.npmmirror.com"
        ) from None
    if len(data) > _MAX_TARBALL:
        raise InputError(f"{url}: larger than {_MAX_TARBALL // 2**20} MB, not a pinned tarball")
    return data


def _verify(package: Package, data: bytes, url: str) -> None:
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode("ascii")
    if got != package.integrity:
        raise InputError(
            f"{url}: the download's SHA-512 is {got}, but {package.name}@{package.version} is "
            f"pinned to {package.integrity}; the file was changed on the way or by the mirror. "
            "Nothing of it was kept: try again, or another mirror"
        )


def _files(package: Package, data: bytes, url: str) -> dict[str, bytes]:
    """The package's listed files, read from the tarball in memory (by name, regular files
    only: the archive's own paths never reach the file system)."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        members = {}
        for member in tar.getmembers():
            inside = member.name.split("/", 1)[-1]  # npm tarballs have one top folder
            if member.isfile():
                members[inside] = member
        out = {}
        for name, inside in package.files.items():
            member = members.get(inside)
            reader = tar.extractfile(member) if member is not None else None
            if reader is None:
                raise InputError(
                    f"{url}: {package.name}@{package.version} has no file {inside!r}; "
                    "the pinned list (static/assets.toml) names a file the package lacks"
                )
            out[name] = reader.read()
    return out


def _write_stamp(folder: Path, held: dict[str, str]) -> None:
    text = json.dumps({"packages": held}, indent=2, sort_keys=True) + "\n"
    atomic_write(folder / STAMP, text)


def download_assets(
    folder: str | os.PathLike[str] | None = None,
    *,
    mirror: str | None = None,
    force: bool = False,
    timeout: float = 60.0,
    log: Callable[[str], None] | None = None,
) -> Path:
    """Download the maps' JS/CSS into ``folder`` (:func:`assets_dir` when None), so that
    every map made afterwards inlines them and opens without the internet.

    Each pinned package (``static/assets.toml``) is fetched as an npm tarball from
    ``mirror`` (default :data:`REGISTRY`), checked against its pinned SHA-512, and its
    listed files are written. Packages the folder already holds are skipped unless
    ``force``. ``log`` receives a line per package. Returns the folder.

    Raises
    ------
    InputError
        A bad mirror URL, a download that fails, or a tarball whose hash is not the pinned
        one (its files are then not written).

    Examples
    --------
    ``download_assets()`` needs the registry; a mirror must be an HTTP(S) address:

    >>> download_assets("unused", mirror="ftp://registry.example")
    Traceback (most recent call last):
    ...
    geogroup.errors.InputError: mirror: expected the base URL of an npm registry mirror, ...
    """
    registry = _registry(mirror)
    where = assets_dir(folder)
    if where.exists() and not where.is_dir():
        raise InputError(f"assets folder {str(where)!r} is a file; give a folder")
    where.mkdir(parents=True, exist_ok=True)
    held = {} if force else _stamp(where)
    say = log or (lambda _: None)
    for package in packages():
        label = f"{package.name}@{package.version}"
        if not force and _complete(where, package, held):
            say(f"  {label}: already there")
            continue
        url = package.tarball_url(registry)
        data = _fetch(url, timeout)
        _verify(package, data, url)
        for name, content in _files(package, data, url).items():
            atomic_write(where / name, content)
        held[package.name] = package.integrity
        _write_stamp(where, held)
        say(f"  {label}: {len(package.files)} file(s), SHA-512 checked")
    return where
