"""The plan editor as one self-contained HTML file: move schools by hand, see the check.

The page holds its scripts, its styles and its data: it opens from a file with no network.
A planner clicks a school, moves it to a nearby group (or to the group of a lead clicked on
the map), makes a member the lead, starts a new group, locks a school, undoes and redoes;
after every edit the page recomputes the policy check and the figures of the plan -- with the
inputs the rulebook computed (:mod:`geogroup.present._editor_data`) and the rules written
again in ``static/editor_rules.js``, which names the Python function each part mirrors -- and
exports the edited plan as CSV, XLSX and JSON, which :func:`geogroup.read_plan` reads back.
"""

from __future__ import annotations

import os
import re
import tomllib
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from geogroup.errors import InputError
from geogroup.outputs import atomic_write
from geogroup.plan import Plan
from geogroup.policy import Policy
from geogroup.present._editor_data import SavedPlan, editor_data
from geogroup.present._labels import LABELS, LANGS
from geogroup.present._text import script_json

__all__ = [
    "EDITOR_SCRIPTS",
    "editor_css",
    "editor_html",
    "editor_labels",
    "editor_script",
    "page_data",
    "save_editor",
]

EDITOR_SCRIPTS = (
    "editor_rules.js",
    "editor_figures.js",
    "editor_engine.js",
    "editor_state.js",
    "editor_export.js",
    "editor_map.js",
    "editor_view.js",
)
"""The page's scripts, in the order they load (each needs the ones before)."""


def _static(name: str) -> str:
    return (resources.files("geogroup.present") / "static" / name).read_text(encoding="utf-8")


@cache
def editor_script() -> str:
    """The editor's JavaScript: the rules, the edits, the exports, the map and the page."""
    return "\n".join(_static(name) for name in EDITOR_SCRIPTS)


@cache
def editor_css() -> str:
    return _static("editor.css")


@cache
def _ui_labels() -> dict[str, dict[str, str]]:
    path = resources.files("geogroup.present") / "labels" / "editor.toml"
    tables = tomllib.loads(path.read_text(encoding="utf-8"))
    return {lang: dict(tables[lang]) for lang in LANGS}


def editor_labels(lang: str) -> dict[str, dict[str, str]]:
    """The page's labels in ``lang``: its own (``labels/editor.toml``) and the report's."""
    if lang not in LANGS:
        raise InputError(f"lang: expected one of {', '.join(LANGS)}, got {lang!r}")
    return {"ui": _ui_labels()[lang], "report": dict(LABELS[lang])}


def page_data(
    plan: Plan,
    *,
    policy: str | Policy | None = None,
    lang: str = "zh",
    title: str | None = None,
    tiles: str | None = None,
    file_stem: str = "plan-edited",
    saved: SavedPlan | None = None,
) -> dict[str, Any]:
    """What the page reads: the plan's data, its labels and options."""
    labels = editor_labels(lang)
    data = editor_data(plan, policy, saved=saved)
    data |= {
        "lang": lang,
        "labels": labels,
        "title": title or labels["ui"]["title"],
        "tiles": tiles,
        "fileStem": file_stem,
        "unassignedReason": labels["ui"]["unassigned_reason"],
    }
    return data


def _no_script_end(text: str) -> str:
    # "</script" would end the element early; "<\/script" is the same JavaScript.
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


def _render(data: dict[str, Any]) -> str:
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("geogroup.present", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        keep_trailing_newline=True,
    )
    return env.get_template("editor.html.j2").render(
        lang=data["lang"],
        title=data["title"],
        css=re.sub(r"</(style)", r"<\\/\1", editor_css(), flags=re.IGNORECASE),
        data=script_json(data),
        js=_no_script_end(editor_script()),
    )


def editor_html(
    plan: Plan,
    *,
    policy: str | Policy | None = None,
    lang: str = "zh",
    title: str | None = None,
    tiles: str | None = None,
    state: dict[str, Any] | None = None,
) -> str:
    """The editor page of ``plan`` as HTML text (see :func:`save_editor`).

    ``state`` (as :meth:`geogroup.PlanEditor.state` gives it) opens the page on edits already
    made, shown against the proposal.

    Examples
    --------
    >>> import geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> page = editor_html(plan, lang="en")
    >>> page.startswith("<!DOCTYPE html>"), "window.geogroupEditor" in page
    (True, True)
    """
    data = page_data(plan, policy=policy, lang=lang, title=title, tiles=tiles)
    if state is not None:
        data["current"] = state
    return _render(data)


def save_editor(
    plan: Plan,
    path: str | os.PathLike[str],
    *,
    policy: str | Policy | None = None,
    lang: str = "zh",
    title: str | None = None,
    tiles: str | None = None,
    state: dict[str, Any] | None = None,
) -> Path:
    """Write the editor of ``plan`` as one HTML file that opens offline; returns its path.

    The page checks the plan against ``policy`` (default: the plan's own) after every edit,
    and exports the edited plan as ``plan-edited.csv`` with ``plan-edited.json`` beside it
    (save both in one folder: :func:`geogroup.read_plan` reads the pair, policy included),
    and as ``plan-edited.xlsx``. ``tiles`` (a URL template ``…/{z}/{x}/{y}.png``) draws a
    basemap under the schools when the network allows; without it the page needs none.

    Parameters
    ----------
    plan
        A :class:`~geogroup.Plan` (from :func:`~geogroup.propose` or
        :func:`~geogroup.read_plan`).
    path
        The HTML file to write (atomically).
    policy
        A policy, preset name or TOML path to check against; the plan's own when None.
    lang
        ``'zh'`` or ``'en'``.
    title
        The page's title (default: the editor's, in ``lang``).
    tiles
        Optional tile URL template.
    state
        Edits already made (:meth:`geogroup.PlanEditor.state`).

    Examples
    --------
    >>> import tempfile, geogroup as gg
    >>> plan = gg.propose(gg.toy_schools(), gg.Policy(members=(2, 2), leads="top:0.34"))
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = save_editor(plan, Path(tmp) / "editor.html", lang="en")
    ...     path.stat().st_size > 10_000
    True
    """
    html = editor_html(plan, policy=policy, lang=lang, title=title, tiles=tiles, state=state)
    path = Path(path)
    if path.is_dir():
        raise InputError(f"out: {str(path)!r} is a folder; give the HTML file to write")
    atomic_write(path, html.encode("utf-8"))
    return path
