"""The map page's own JavaScript and CSS: files in ``static/``, and the scripts that name
the page's layers (built when the map renders, once folium has named them).

``static/page.js`` builds the popups by joining strings that Python escaped before it
embedded them (names, ids, reasons, notes, labels); numbers are numbers.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from geogroup.present._text import escape, script_json

__all__ = ["labels_js", "layer_js", "notice_js", "page_css", "page_js", "registry_js"]


@functools.cache
def _static(name: str) -> str:
    return (resources.files("geogroup.present") / "static" / name).read_text(encoding="utf-8")


def page_css() -> str:
    """The ``<style>`` element of popups and legend."""
    return f"<style>\n{_static('map.css')}</style>"


def page_js(labels: dict[str, str]) -> str:
    """The ``<script>`` element of popups and tooltips, with the labels it shows (escaped)."""
    escaped = {k: escape(v) for k, v in labels.items()}
    return f"<script>\nvar geogroup_text = {script_json(escaped)};\n{_static('page.js')}</script>"


def layer_js(data: str, kind: str, table: str | None, *, interactive: bool = True) -> str:
    """The expression of a layer of ``kind`` ('school', 'area', 'link', 'boundary', …) from
    ``data`` (GeoJSON text, or the schools' columns: :func:`geogroup.present._features.school_columns`),
    with the groups and styles of the script element named ``table``. The data sits on a
    line of its own (tests read it back)."""
    groups, styles = (f"{table}_groups", f"{table}_styles") if table else ("null", "[]")
    return (
        f"geogroupLayer(\n{data}\n, '{kind}', {groups}, {styles}, "
        f"{'true' if interactive else 'false'})"
    )


def labels_js(items: list[list[Any]], collide: bool) -> str:
    """The expression of a layer of text labels ``[lon, lat, text, colour, short text]``,
    the texts already escaped HTML; with ``collide`` a label shows only where it does not
    overlap one placed before it (``static/page.js``)."""
    return f"geogroupLabels({script_json(items)}, {'true' if collide else 'false'})"


def notice_js(labels: dict[str, str]) -> str:
    """The ``<script>`` element that tells, in the page, when the map's scripts could not
    load (the CDNs unreachable): plain DOM code, run before any library, that needs none.

    It looks when the page has loaded (every script loaded or failed) and again after 15 s
    (a script still waiting for a network that drops it), and takes the notice away when
    the map has come up after all."""
    text = {k: labels[f"offline_{k}"] for k in ("title", "why", "fix", "command")}
    return f"""<script>
(function () {{
  var text = {script_json(text)}, box = null;
  function ready() {{ return typeof window.L !== 'undefined' && window.geogroup !== undefined; }}
  function line(tag, content, css) {{
    var el = document.createElement(tag);
    el.textContent = content;
    el.style.cssText = css;
    return el;
  }}
  function check() {{
    if (ready()) {{ if (box) {{ box.parentNode.removeChild(box); box = null; }} return; }}
    if (box) return;
    box = document.createElement('div');
    box.id = 'geogroup-offline';
    box.setAttribute('role', 'alert');
    box.style.cssText = 'position:fixed;top:12px;left:50%;transform:translateX(-50%);'
      + 'z-index:100000;width:min(600px,92vw);box-sizing:border-box;background:#fff8e1;'
      + 'border:2px solid #c62828;border-radius:6px;padding:12px 16px;color:#222;'
      + 'font:14px/1.55 system-ui,"PingFang SC","Microsoft YaHei",sans-serif;'
      + 'box-shadow:0 2px 10px rgba(0,0,0,.35)';
    box.appendChild(line('div', text.title, 'font-weight:700;font-size:16px;color:#b71c1c'));
    box.appendChild(line('p', text.why, 'margin:6px 0'));
    box.appendChild(line('p', text.fix, 'margin:6px 0'));
    box.appendChild(line('code', text.command, 'display:block;background:#263238;color:#fff;'
      + 'padding:6px 10px;border-radius:4px;font:14px/1.4 ui-monospace,Consolas,monospace'));
    (document.body || document.documentElement).appendChild(box);
  }}
  window.addEventListener('load', check);
  setTimeout(check, 15000);
}})();
</script>"""


def registry_js(map_name: str, plans: list[dict[str, Any]]) -> str:
    """``window.geogroup``: the map and each plan's layers (for tests and for scripting);
    and, when a layer is switched back on, the draw order restored (areas at the back,
    schools on top) so that schools stay clickable on the shared canvas.

    ``plans`` maps, per plan, 'label' to its label and each layer kind to the layer's
    JavaScript name.
    """
    entries = ", ".join(
        "{"
        + ", ".join(
            f"{k}: {v if isinstance(v, str) and k != 'label' else script_json(v)}"
            for k, v in plan.items()
        )
        + "}"
        for plan in plans
    )
    return (
        f"window.geogroup = {{map: {map_name}, plans: [{entries}]}};\n"
        f"{map_name}.on('overlayadd', function () {{\n"
        "  var map = window.geogroup.map;\n"
        "  window.geogroup.plans.forEach(function (p) {\n"
        "    [p.areas, p.boundary].forEach(function (l) { if (l && map.hasLayer(l)) l.bringToBack(); });\n"
        "    [p.links, p.unassigned, p.schools, p.highlight].forEach(function (l) {\n"
        "      if (l && map.hasLayer(l)) l.bringToFront(); });\n"
        "  });\n"
        "});"
    )
