"""Map legend: a fixed box in a corner of the map listing each overlay's classes, escaped."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence

from branca.element import MacroElement
from jinja2 import Template

Item = tuple[str, str, str]  # (css colour, label, shape: "point", "circle", "line", "area")


def _swatch(colour: str, shape: str) -> str:
    c = html.escape(colour, quote=True)
    if shape == "line":
        css = f"display:inline-block;width:18px;height:0;border-top:3px solid {c};vertical-align:middle"
    elif shape == "area":
        css = f"display:inline-block;width:14px;height:10px;background:{c};opacity:.7;border:1px solid {c}"
    elif shape == "circle":
        css = f"display:inline-block;width:12px;height:12px;border-radius:50%;border:1.5px solid {c};background:{c}55"
    else:
        css = f"display:inline-block;width:10px;height:10px;border-radius:50%;background:{c}"
    return f'<span style="{css}"></span>'


def legend_html(title: str, sections: Sequence[tuple[str, Sequence[Item]]]) -> str:
    """Return the legend's HTML: ``title``, then per section its name and rows (all escaped)."""
    out = [f'<div style="font-weight:600;margin-bottom:2px">{html.escape(title)}</div>']
    for name, items in sections:
        if not items:
            continue
        if name:
            out.append(f'<div style="margin-top:4px;font-weight:600">{html.escape(name)}</div>')
        out += [f'<div style="white-space:nowrap">{_swatch(c, s)} {html.escape(lbl)}</div>'
                for c, lbl, s in items]
    return "".join(out)


class Legend(MacroElement):
    """A Leaflet control holding the legend's HTML (added to the map like any element).

    Parameters
    ----------
    title
        Heading of the box.
    sections
        ``(section name, [(colour, label, shape), …])`` in display order.
    position
        Leaflet control position (``"bottomright"`` …).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: {{ this.position_js }}});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create('div', 'childsafe-legend');
            div.style.cssText = 'background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;'
                + 'font:12px/1.5 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-height:70vh;overflow:auto';
            div.innerHTML = {{ this.html_js }};
            L.DomEvent.disableClickPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, title: str, sections: Sequence[tuple[str, Sequence[Item]]], *,
                 position: str = "bottomright"):
        super().__init__()
        self._name = "Legend"
        self.html = legend_html(title, sections)
        # JSON string literals, with "</" broken so the text can never close the script tag
        self.html_js = json.dumps(self.html).replace("</", "<\\/")
        self.position_js = json.dumps(position)
