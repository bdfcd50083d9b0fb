"""The maps' JavaScript and CSS kept on this machine: ``geogroup assets`` downloads the
pinned npm tarballs, refuses any whose SHA-512 differs, keeps only the listed files, and
maps inline them by default (``assets='auto'``).

The downloads here come from a registry served on 127.0.0.1 with tarballs made by the
tests (the real registry is used by ``tests/browser/setup.sh``, whose files the browser
tests inline: :func:`test_the_browser_assets_are_a_complete_download` checks them).
"""

from __future__ import annotations

import base64
import hashlib
import http.server
import io
import re
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import folium.plugins
import pytest
from click.testing import CliRunner

import geogroup as gg
from geogroup.cli import main
from geogroup.errors import InputError
from geogroup.present import _fetch, assets_dir, cached_assets, download_assets, plan_map
from geogroup.present._fetch import Package, linked_files, packages

ROOT = Path(__file__).resolve().parents[1]
LINK_TAGS = re.compile(r"<(?:script|link)\b[^>]*?(?:src|href)=\"([^\"]+)\"", re.I)


def tarball(files: dict[str, bytes], top: str = "package") -> bytes:
    """An npm-style .tgz holding ``files`` (path inside the package -> bytes)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


class Registry:
    """An npm registry on 127.0.0.1 serving ``files`` by path; counts the requests."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.requests: list[str] = []
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                registry.requests.append(self.path)
                data = registry.files.get(self.path)
                self.send_response(200 if data is not None else 404)
                self.end_headers()
                self.wfile.write(data or b"not found")

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def publish(self, package: Package, data: bytes) -> None:
        self.files[package.tarball_url("")] = data


@pytest.fixture
def registry() -> Iterator[Registry]:
    served = Registry()
    yield served
    served.server.shutdown()
    served.server.server_close()


@pytest.fixture
def pinned(registry: Registry, monkeypatch: pytest.MonkeyPatch) -> list[Package]:
    """Two made-up packages pinned to the tarballs the registry serves (one scoped)."""
    contents = [
        {"dist/lib.js": b"var lib = 1;", "dist/lib.css": b".a{}", "README.md": b"unused"},
        {"css/all.css": b".b{}", "webfonts/f.woff2": b"\x00font"},
    ]
    made = []
    for (name, files), content in zip(
        [("lib", {"lib.js": "dist/lib.js", "lib.css": "dist/lib.css"}),
         ("@scope/fonts", {"all.css": "css/all.css", "f.woff2": "webfonts/f.woff2"})],
        contents,
        strict=True,
    ):  # fmt: skip
        data = tarball(content)
        package = Package(name, "1.0.0", integrity(data), files)
        registry.publish(package, data)
        made.append(package)
    monkeypatch.setattr(_fetch, "_manifest", lambda: (tuple(made), {}))
    return made


# --- the pinned list ---------------------------------------------------------------------------


def test_the_pinned_list_covers_every_file_a_map_links(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GEOGROUP_ASSETS", str(tmp_path))  # empty: the map links the CDNs
    plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    urls = LINK_TAGS.findall(plan_map(plan).get_root().render())
    assert urls and set(urls) <= set(linked_files())
    kept = {name for p in packages() for name in p.files}
    assert set(linked_files().values()) <= kept
    for package in packages():
        assert re.fullmatch(r"sha512-[A-Za-z0-9+/]{86}==", package.integrity), package.name


def test_tarball_urls_follow_the_registry_layout() -> None:
    leaflet = next(p for p in packages() if p.name == "leaflet")
    assert leaflet.tarball_url() == "https://registry.npmjs.org/leaflet/-/leaflet-1.9.3.tgz"
    fonts = next(p for p in packages() if p.name.startswith("@fortawesome/"))
    assert fonts.tarball_url("https://registry.npmmirror.com/") == (
        "https://registry.npmmirror.com/@fortawesome/fontawesome-free/-/fontawesome-free-6.2.0.tgz"
    )


def test_the_browser_assets_are_a_complete_download() -> None:
    """tests/browser/setup.sh filled the folder with `geogroup assets` from the real
    registry: every pinned package is there, checked."""
    folder = ROOT / "tests" / "browser" / "assets"
    assert cached_assets(folder) == folder, "run: bash tests/browser/setup.sh"


# --- downloading -------------------------------------------------------------------------------


def test_download_keeps_the_listed_files_and_skips_them_next_time(
    registry: Registry, pinned: list[Package], tmp_path: Path
) -> None:
    lines: list[str] = []
    folder = download_assets(tmp_path / "libs", mirror=registry.url, log=lines.append)
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["lib.js", "lib.css", "all.css", "f.woff2", "geogroup-assets.json"]
    )
    assert (folder / "lib.js").read_bytes() == b"var lib = 1;"
    assert (folder / "f.woff2").read_bytes() == b"\x00font"
    assert registry.requests == ["/lib/-/lib-1.0.0.tgz", "/@scope/fonts/-/fonts-1.0.0.tgz"]
    assert cached_assets(folder) == folder
    assert lines == [
        "  lib@1.0.0: 2 file(s), SHA-512 checked",
        "  @scope/fonts@1.0.0: 2 file(s), SHA-512 checked",
    ]

    download_assets(folder, mirror=registry.url)
    assert len(registry.requests) == 2  # nothing downloaded again
    (folder / "lib.css").unlink()
    assert cached_assets(folder) is None
    download_assets(folder, mirror=registry.url)
    assert registry.requests[2:] == ["/lib/-/lib-1.0.0.tgz"] and cached_assets(folder) == folder
    download_assets(folder, mirror=registry.url, force=True)
    assert len(registry.requests) == 5


def test_a_tarball_whose_hash_differs_is_refused(
    registry: Registry, pinned: list[Package], tmp_path: Path
) -> None:
    registry.publish(pinned[0], tarball({"dist/lib.js": b"alert('changed')", "dist/lib.css": b""}))
    with pytest.raises(InputError, match=r"SHA-512 is sha512-.*pinned to sha512-.*Nothing of it"):
        download_assets(tmp_path, mirror=registry.url)
    assert list(tmp_path.iterdir()) == [] and cached_assets(tmp_path) is None


def test_only_listed_regular_files_leave_the_tarball(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as tar:
        for name, data in (("package/../../evil.js", b"evil"), ("package/dist/ok.js", b"ok")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        link = tarfile.TarInfo("package/dist/lib.js")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        tar.addfile(link)
    data = out.getvalue()
    package = Package(
        "lib", "1.0.0", integrity(data), {"ok.js": "dist/ok.js", "lib.js": "dist/lib.js"}
    )
    registry.publish(package, data)
    monkeypatch.setattr(_fetch, "_manifest", lambda: ((package,), {}))
    folder = tmp_path / "libs"
    with pytest.raises(InputError, match=r"lib@1\.0\.0 has no file 'dist/lib\.js'"):
        download_assets(folder, mirror=registry.url)
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["libs"]


def test_a_registry_out_of_reach_says_what_to_do(
    registry: Registry, pinned: list[Package], tmp_path: Path
) -> None:
    with pytest.raises(InputError, match=r"could not download http://127\.0\.0\.1:9/.*--mirror"):
        download_assets(tmp_path, mirror="http://127.0.0.1:9", timeout=5)
    registry.files.clear()  # a mirror that lacks the package
    with pytest.raises(InputError, match=r"could not download .*lib-1\.0\.0\.tgz \(Not Found\)"):
        download_assets(tmp_path, mirror=registry.url)


@pytest.mark.parametrize("mirror", ["ftp://mirror.example", "registry.npmmirror.com", "http://"])
def test_a_mirror_must_be_an_http_address(mirror: str, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="mirror: expected the base URL"):
        download_assets(tmp_path / "x", mirror=mirror)
    assert not (tmp_path / "x").exists()


def test_where_the_files_are_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("GEOGROUP_ASSETS", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert assets_dir() == tmp_path / "cache" / "geogroup" / "assets"
    monkeypatch.setenv("GEOGROUP_ASSETS", str(tmp_path / "env"))
    assert assets_dir() == tmp_path / "env"
    assert assets_dir(tmp_path / "given") == tmp_path / "given"


# --- maps inline them by default ----------------------------------------------------------------


def _fake_download(folder: Path) -> None:
    """Every pinned file, each naming itself, and the record of a complete download."""
    folder.mkdir(parents=True, exist_ok=True)
    for package in packages():
        for name in package.files:
            text = f"/* {name} */ var s = 1;" if name.endswith(".js") else f"/* {name} */"
            (folder / name).write_text(text, encoding="utf-8")
    _fetch._write_stamp(folder, {p.name: p.integrity for p in packages()})


def test_maps_inline_the_downloaded_files_by_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    monkeypatch.setenv("GEOGROUP_ASSETS", str(tmp_path))
    assert LINK_TAGS.findall(plan_map(plan).get_root().render())  # nothing there: CDN links
    _fake_download(tmp_path)
    html = plan_map(plan).get_root().render()
    assert LINK_TAGS.findall(html) == []
    assert "/* leaflet.js */ var s = 1;" in html and "/* Control.MiniMap.css */" in html
    # a plugin the pinned list lacks stays a link; the others are inlined all the same
    m = plan_map(plan)
    folium.plugins.Draw().add_to(m)
    urls = LINK_TAGS.findall(m.get_root().render())
    assert urls and all("leaflet.draw" in u for u in urls)
    # an incomplete download is not used
    (tmp_path / "leaflet.js").unlink()
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in LINK_TAGS.findall(
        plan_map(plan).get_root().render()
    )
    assert "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js" in LINK_TAGS.findall(
        plan_map(plan, assets="cdn").get_root().render()
    )


# --- the command ---------------------------------------------------------------------------------


def test_cli_assets_downloads_and_says_where(
    registry: Registry, pinned: list[Package], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEOGROUP_ASSETS", str(tmp_path / "default"))
    runner = CliRunner()
    args = ["assets", "--dir", str(tmp_path / "libs"), "--mirror", registry.url]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "@scope/fonts@1.0.0: 2 file(s), SHA-512 checked" in result.output
    assert f"set GEOGROUP_ASSETS={tmp_path / 'libs'}" in result.output
    assert cached_assets(tmp_path / "libs") == tmp_path / "libs"
    result = runner.invoke(main, ["assets", "--mirror", registry.url])
    assert result.exit_code == 0 and "GEOGROUP_ASSETS=" not in result.output
    assert cached_assets() == tmp_path / "default"
    result = runner.invoke(main, ["assets", "--mirror", "ftp://x.example", "--dir", str(tmp_path)])
    assert result.exit_code == 1 and "Error: mirror: expected the base URL" in result.output
