"""The ``assets`` command: keep the maps' JavaScript and CSS on this machine."""

from __future__ import annotations

import click

from geogroup.cli._errors import user_errors
from geogroup.cli._text import echo

__all__ = ["assets"]


@click.command()
@click.option(
    "--dir",
    "folder",
    type=click.Path(file_okay=False),
    default=None,
    help="Where to keep them (default: $GEOGROUP_ASSETS, else the user cache, "
    "~/.cache/geogroup/assets on Linux).",
)
@click.option(
    "--mirror",
    default=None,
    metavar="URL",
    help="An npm registry mirror to download from, e.g. https://registry.npmmirror.com "
    "(in China); every file is checked against its pinned SHA-512 all the same.",
)
@click.option("--force", is_flag=True, help="Download again what the folder already holds.")
@user_errors
def assets(folder: str | None, mirror: str | None, force: bool) -> None:
    """Download the JavaScript and CSS of the maps (Leaflet and its plugins) once, so that
    every map made afterwards carries them inside its HTML file and opens without the
    internet. Needs neither Node.js nor npm: the pinned npm packages are fetched over HTTPS
    and checked against their SHA-512."""
    from geogroup.present import ASSETS_ENV, assets_dir, download_assets

    target = assets_dir(folder)
    echo(f"Downloading the maps' JS/CSS into {target}")
    where = download_assets(folder, mirror=mirror, force=force, log=echo)
    echo(f"Done: maps made from now on inline the files of {where} (--assets auto).")
    if folder is not None and assets_dir() != where:
        echo(
            f"This is not the default folder: set {ASSETS_ENV}={where} for maps to find it, "
            f"or give --assets {where} to geogroup map."
        )
