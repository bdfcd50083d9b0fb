"""Where a map's JavaScript and CSS come from: folium's CDN, a mirror, or a local folder.

From a folder every file is inlined (CSS with its images and fonts as data URIs), which
makes one self-contained HTML file that opens offline, tiles aside.
``tests/browser/setup.sh`` fills such a folder from npm.
"""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from geogroup.errors import InputError

if TYPE_CHECKING:
    import folium

__all__ = ["asset_source", "check_assets", "rewrite_links"]

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


def asset_source(assets: str | os.PathLike[str]) -> str | Path:
    """'cdn', a mirror base URL (no trailing slash), or an existing folder."""
    if isinstance(assets, str) and (assets == "cdn" or assets.startswith(("http://", "https://"))):
        return assets.rstrip("/")
    folder = Path(assets)
    if not folder.is_dir():
        raise InputError(
            f"assets: expected 'cdn', a base URL (https://…) or a folder of JS/CSS files, got "
            f"{str(assets)!r}, which is not a folder; fill one with tests/browser/setup.sh"
        )
    return folder


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


def _inline(url: str, folder: Path, is_js: bool) -> str:
    text = (folder / _file_name(url)).read_text(encoding="utf-8")
    if is_js:
        # "</script" would end the element early; "<\/script" is the same JavaScript.
        return "<script>" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.I) + "</script>"
    css = _inline_css_urls(text, folder)
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", css, flags=re.I) + "</style>"


def rewrite_links(header: Any, source: str | Path, raw: type, link_types: tuple[type, ...]) -> None:
    """Point every JS/CSS link of the page at a mirror, or inline it from a folder.

    ``raw`` makes an element of literal HTML; ``link_types`` are branca's JavaScript and CSS
    link classes, in that order (branca is imported only when a map is drawn).
    """
    if source == "cdn":
        return
    links = {k: c for k, c in header._children.items() if isinstance(c, link_types)}
    if isinstance(source, str):
        for child in links.values():
            child.url = f"{source}/{_file_name(child.url)}"
        return
    _require_files(source, [c.url for c in links.values()])
    for key, child in links.items():
        header._children[key] = raw(_inline(child.url, source, isinstance(child, link_types[0])))


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
            + "; copy them there (tests/browser/setup.sh copies, from npm, those that "
            "geogroup's own maps use) or use assets='cdn'"
        )


def check_assets(m: folium.Map, source: str | Path) -> None:
    """Refuse a folder that lacks a file the map links, before the map is rendered."""
    if isinstance(source, Path):
        _require_files(source, _asset_urls(m))
