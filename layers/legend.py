"""Map legend: a fixed box in a corner of the map listing each overlay's classes, escaped.

The box is never cut off: when its sections are taller than the map leaves room for, they flow
into more columns (a section is never split), sized again whenever the map's box changes; only
a legend too big for the map's width as well scrolls inside the box.
"""

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
        # one block per section: a column break falls between sections, never inside one
        part = ['<div class="childsafe-legend-section" style="break-inside:avoid;padding-bottom:4px">']
        if name:
            part.append(f'<div style="font-weight:600">{html.escape(name)}</div>')
        part += [f'<div style="white-space:nowrap">{_swatch(c, s)} {html.escape(lbl)}</div>'
                 for c, lbl, s in items]
        out.append("".join(part) + "</div>")
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
                + 'font:12px/1.5 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);overflow:auto;column-gap:14px;'
                + 'box-sizing:content-box';
            div.innerHTML = {{ this.html_js }};
            L.DomEvent.disableClickPropagation(div);
            L.DomEvent.disableScrollPropagation(div);
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        (function (map, div) {
            // as many columns as the map's height needs (room left for the zoom buttons and scale)
            function fit() {
                var size = map.getSize(), room = Math.max(size.y - 130, 120);
                div.style.columnCount = ''; div.style.width = ''; div.style.maxHeight = '';
                var height = div.scrollHeight, width = div.offsetWidth;
                var most = Math.max(1, Math.floor((size.x - 60) / Math.max(width, 1)));
                div.style.maxHeight = room + 'px';
                // a section is never split, so balanced columns may need one more than the height says
                for (var n = Math.min(Math.ceil(height / room), most); n > 1 && n <= most; n++) {
                    div.style.columnCount = n;
                    div.style.width = (n * (width - 16) + (n - 1) * 14) + 'px';  // content box: padding 8+8
                    if (div.scrollHeight <= div.clientHeight + 1) break;
                }
            }
            // again whenever the map's box or the frame changes: the frame (streamlit-folium's) is
            // sized after this script runs, and a check at the first frames catches a late layout
            fit();
            map.on('resize', fit);
            window.addEventListener('resize', fit);
            if (window.ResizeObserver) new ResizeObserver(fit).observe(map.getContainer());
            [100, 500, 1500].forEach(function (ms) { setTimeout(fit, ms); });
        })({{ this._parent.get_name() }}, {{ this.get_name() }}.getContainer());
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
