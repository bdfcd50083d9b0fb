"""Where a map's JavaScript and CSS come from: folium's CDNs, a mirror, or files inlined.

``'auto'`` (the default) inlines the files that ``geogroup assets`` downloaded
(:func:`~geogroup.present._fetch.download_assets`) when the folder holds them all, and
links the CDNs otherwise. A folder given by name is inlined whole (it must hold every file
the map links, found by the file name of each URL). Inlined CSS has its images and fonts
as data URIs: the page is one self-contained HTML file that opens offline, tiles aside.
"""

from __future__ import annotations

import base64
import functools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from geogroup.errors import InputError
from geogroup.present._fetch import cached_assets, linked_files

if TYPE_CHECKING:
    import folium

__all__ = ["AssetSource", "asset_source", "check_assets", "rewrite_links"]

_MIME = {
    ".png": "image/png",
    ".gif": "image/gif",
    ".svg": "image/svg+xml",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".ttf": "font/ttf",
    ".eot": "application/vnd.ms-fontobject",
}
_CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]+?)\1\s*\)""")
# Leaflet finds its default marker images through this one URL in its CSS: left as it is.
_KEEP_CSS_URLS = {"marker-icon.png"}


@dataclass(frozen=True)
class AssetSource:
    """Where the page's JS/CSS come from: ``kind`` is ``'cdn'``, ``'mirror'`` (``where`` its
    base URL), ``'folder'`` (a folder given by name, inlined whole) or ``'cache'`` (the
    downloaded files, inlined for the URLs they stand for)."""

    kind: str
    where: str | Path | None = None

    @property
    def inlined(self) -> bool:
        return self.kind in ("folder", "cache")


def asset_source(assets: str | os.PathLike[str]) -> AssetSource:
    """``'auto'``, ``'cdn'``, a mirror base URL, or an existing folder, as an
    :class:`AssetSource`; ``'auto'`` is the cache of ``geogroup assets`` when complete."""
    if isinstance(assets, str) and assets == "auto":
        cached = cached_assets()
        return AssetSource("cdn") if cached is None else AssetSource("cache", cached)
    if isinstance(assets, str) and assets == "cdn":
        return AssetSource("cdn")
    if isinstance(assets, str) and assets.startswith(("http://", "https://")):
        return AssetSource("mirror", assets.rstrip("/"))
    folder = Path(assets)
    if str(assets) == "" or not folder.is_dir():
        raise InputError(
            f"assets: expected 'auto', 'cdn', a base URL (https://…) or a folder of JS/CSS "
            f"files, got {str(assets)!r}, which is not a folder; fill one with "
            "`geogroup assets --dir FOLDER`"
        )
    return AssetSource("folder", folder)


def _file_name(url: str) -> str:
    return urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]


def _data_uri(path: Path) -> str:
    mime = _MIME.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def _inline_css_urls(css: str, folder: Path) -> str:
    def replace(match: re.Match[str]) -> str:
        target = match.group(2).strip()
        name = _file_name(target.split("#", 1)[0])
        if target.startswith(("data:", "#", "http:", "https:")) or name in _KEEP_CSS_URLS:
            return match.group(0)
        path = folder / name
        return f'url("{_data_uri(path)}")' if path.is_file() else match.group(0)

    return _CSS_URL.sub(replace, css)


@functools.lru_cache(maxsize=64)
def _inline_file(path: Path, is_js: bool, stamp: tuple[int, int]) -> str:
    """The element that inlines ``path`` (``stamp``, its mtime and size, renews the cache
    when the file changes: the same files are inlined into every map of a session)."""
    text = path.read_text(encoding="utf-8")
    if is_js:
        # "</script" would end the element early; "<\/script" is the same JavaScript.
        return "<script>" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.I) + "</script>"
    css = _inline_css_urls(text, path.parent)
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", css, flags=re.I) + "</style>"


def _inline(path: Path, is_js: bool) -> str:
    info = path.stat()
    return _inline_file(path, is_js, (info.st_mtime_ns, info.st_size))


def _cached_file(url: str, folder: Path) -> Path | None:
    """The downloaded file that stands for ``url``, if the pinned list has it."""
    name = linked_files().get(url)
    return None if name is None or not (folder / name).is_file() else folder / name


def rewrite_links(
    header: Any, source: AssetSource, raw: type, link_types: tuple[type, ...]
) -> None:
    """Point every JS/CSS link of the page at a mirror, or inline it from a folder.

    ``raw`` makes an element of literal HTML; ``link_types`` are branca's JavaScript and CSS
    link classes, in that order (branca is imported only when a map is drawn). From the
    cache, a link whose URL the pinned list lacks (a plugin added by the user) stays a link.
    """
    if source.kind == "cdn":
        return
    links = {k: c for k, c in header._children.items() if isinstance(c, link_types)}
    if source.kind == "mirror":
        for child in links.values():
            child.url = f"{source.where}/{_file_name(child.url)}"
        return
    folder = Path(str(source.where))
    if source.kind == "folder":
        _require_files(folder, [c.url for c in links.values()])
    for key, child in links.items():
        path = folder / _file_name(child.url) if source.kind == "folder" else None
        path = path or _cached_file(child.url, folder)
        if path is not None:
            header._children[key] = raw(_inline(path, isinstance(child, link_types[0])))


def _asset_urls(root: Any) -> list[str]:
    """The JS/CSS URLs that the elements of a figure will link."""
    urls, stack = [], [root]
    while stack:
        element = stack.pop()
        for _, url in [*getattr(element, "default_js", []), *getattr(element, "default_css", [])]:
            urls.append(url)
        stack.extend(element._children.values())
    return urls


def _require_files(folder: Path, urls: Iterable[str]) -> None:
    missing = sorted({u for u in urls if not (folder / _file_name(u)).is_file()})
    if missing:
        raise InputError(
            f"assets folder {str(folder)!r} lacks {len(missing)} file(s) the map uses: "
            + "; ".join(f"{_file_name(u)} (from {u})" for u in missing)
            + "; fill it with `geogroup assets --dir FOLDER` (the files geogroup's maps "
            "use), copy the others there, or use assets='cdn'"
        )


def check_assets(m: folium.Map, source: AssetSource) -> None:
    """Refuse a folder that lacks a file the map links, before the map is rendered."""
    if source.kind == "folder":
        _require_files(Path(str(source.where)), _asset_urls(m))
