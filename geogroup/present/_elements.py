"""geogroup's folium elements: raw HTML, scripts made at render time, the legend, the
asset rewriter, layers made by the page's own JavaScript, and the school search.

The classes are made on first use (:func:`elements`), because folium is imported only when
a map is drawn: importing geogroup does not import it.

Scripts that carry data from the input (``Script``, ``JsLayer``) put their text into the
page as it is. folium's own elements put a rendered script into the page as a new Jinja
template, which would read ``{{ … }}`` or ``{% … %}`` in a school's name as template code
(and spend a second tokenising a province's data).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from geogroup.present._assets import AssetSource, rewrite_links

__all__ = ["elements"]


@functools.cache
def _search_elements() -> SimpleNamespace:
    """The school search: ``LayerUnion`` (the layers it looks in) and ``SchoolSearch``."""
    from folium import FeatureGroup
    from folium.plugins import Search
    from folium.template import Template

    class LayerUnion(FeatureGroup):
        """A group of other layers, never on the map itself: what the search looks in."""

        _template = Template(
            "{% macro script(this, kwargs) %}var {{ this.get_name() }} = L.featureGroup(["
            "{% for layer in this.members %}{{ layer.get_name() }}, {% endfor %}]);"
            "{% endmacro %}"
        )

        def __init__(self) -> None:
            super().__init__(name="search", control=False, show=False)
            self.members: list[Any] = []

    class SchoolSearch(Search):
        """folium's Search over the school layers, matching the names as typed.

        The page derives each school's ``label`` ("name (id)") by un-escaping its escaped
        name and id, so "St Mary's" and "A&B" are found as typed; tips are written with
        ``textContent`` (``buildTip``), so the raw label never reaches HTML.
        """

        _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new L.Control.Search({
            layer: {{ this.layer.get_name() }},
            propertyName: 'label',
            initial: false,
            collapsed: false,
            zoom: {{ this.search_zoom|tojson }},
            position: {{ this.position|tojson }},
            textPlaceholder: {{ this.placeholder|tojson }},
            textErr: {{ this.text_err|tojson }},
            hideMarkerOnCollapse: true,
            buildTip: function (text) {
                var tip = L.DomUtil.create('li', '');
                tip.textContent = text;
                return tip;
            }
        });
        {{ this.get_name() }}.on('search:locationfound', function (e) {
            if (e.layer && e.layer._popup) e.layer.openPopup();
        });
        {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """)

        def __init__(self, layer: Any, placeholder: str, text_err: str) -> None:
            super().__init__(
                layer,
                search_label="label",
                search_zoom=15,
                position="topleft",
                placeholder=placeholder,
                collapsed=False,
            )
            self.text_err = text_err

        def render(self, **kwargs: Any) -> None:
            if self.layer.members:
                super().render(**kwargs)

    return SimpleNamespace(LayerUnion=LayerUnion, SchoolSearch=SchoolSearch)


@functools.cache
def _raw() -> type:
    from branca.element import Element

    class Raw(Element):
        """Literal HTML, not a template (so ``{{`` in a library's code stays as it is)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

        def render(self, **kwargs: Any) -> str:
            return self.text

    return Raw


@functools.cache
def _script_elements() -> SimpleNamespace:
    """``Script`` (code made at render time) and ``JsLayer`` (a layer made by code), both
    written into the page's script as literal text."""
    from branca.element import MacroElement
    from folium.map import Layer
    from folium.template import Template

    raw = _raw()

    class Script(MacroElement):
        """A script whose code is made at render time by ``make()``."""

        def __init__(self, make: Callable[[], str]) -> None:
            super().__init__()
            self._name = "geogroup_script"
            self.make = make

        def render(self, **kwargs: Any) -> None:
            self.get_root().script.add_child(raw(self.make()), name=self.get_name())

    class JsLayer(Layer):
        """A layer made by a JavaScript expression (``code``, geogroup's own text: its data
        is escaped JSON), listed in the layer control as ``name`` (escaped HTML)."""

        _template = Template("")

        def __init__(self, code: str, name: str, *, show: bool = True) -> None:
            super().__init__(name=name, overlay=True, control=True, show=show)
            self._name = "geogroup_layer"
            self.code = code

        def render(self, **kwargs: Any) -> None:
            text = f"var {self.get_name()} = {self.code};"
            self.get_root().script.add_child(raw(text), name=self.get_name())
            super().render(**kwargs)  # adds the layer to the map when shown

    return SimpleNamespace(Script=Script, JsLayer=JsLayer)


@functools.cache
def elements() -> SimpleNamespace:
    """geogroup's element classes by name (``Raw``, ``Script``, ``Legend``, ``Assets``,
    ``JsLayer``, ``LayerUnion``, ``SchoolSearch``) and ``links``, branca's JS and CSS link
    classes."""
    from branca.element import CssLink, Element, JavascriptLink

    raw = _raw()

    class Legend(Element):
        """The legend box; ``title`` and ``sections`` are HTML made of escaped text
        (``_legend``)."""

        def __init__(self) -> None:
            super().__init__()
            self.title = ""
            self.sections: list[str] = []

        def render(self, **kwargs: Any) -> str:
            body = "".join(f'<div class="gg-sec">{s}</div>' for s in self.sections)
            return (
                f'<div class="geogroup-legend" id="geogroup-legend"><details open>'
                f"<summary>{self.title}</summary>{body}</details></div>"
            )

    class Assets(Element):
        """Rewrites the page's JS/CSS links after the map has rendered (see ``_assets.rewrite_links``)."""

        def __init__(self, source: AssetSource) -> None:
            super().__init__()
            self.source = source

        def render(self, **kwargs: Any) -> str:
            rewrite_links(self.get_root().header, self.source, raw, (JavascriptLink, CssLink))
            return ""

    return SimpleNamespace(
        Raw=raw,
        Legend=Legend,
        Assets=Assets,
        links=(JavascriptLink, CssLink),
        **vars(_script_elements()),
        **vars(_search_elements()),
    )
