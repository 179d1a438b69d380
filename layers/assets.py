"""Offline map assets: Leaflet, jQuery and markercluster from the XStatic packages.

folium points its maps at public CDNs (jsDelivr, code.jquery.com, cdnjs); with no network the
map silently does not draw. The XStatic packages (``xstatic-leaflet`` 1.9.3, ``xstatic-jquery``
3.7.1, ``xstatic-leaflet-markercluster`` 1.4.1) hold the same files; :func:`localize` rewrites
every asset link of a folium element tree to local URLs (served by the app, see
``views/_common.py``) or, with no URLs given, inlines the files as ``data:`` URIs so a saved HTML
map opens offline. Bootstrap and Font Awesome are dropped: the layers never use ``folium.Icon``.
"""

from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol, cast

import folium
import xstatic.pkg.jquery as _xjquery
import xstatic.pkg.leaflet as _xleaflet
import xstatic.pkg.leaflet_markercluster as _xcluster
from branca.element import Element

logger = logging.getLogger(__name__)

#: asset folder of each package (each is served as one URL prefix).
ASSET_DIRS: dict[str, Path] = {
    "leaflet": Path(_xleaflet.BASE_DIR),
    "jquery": Path(_xjquery.BASE_DIR),
    "markercluster": Path(_xcluster.BASE_DIR),
}
#: package versions, for the docs and the about box.
ASSET_VERSIONS: dict[str, str] = {
    "leaflet": _xleaflet.VERSION,
    "jquery": _xjquery.VERSION,
    "markercluster": _xcluster.VERSION,
}

# folium's asset names -> (package, file). Names from folium/folium.py and folium/plugins.
_KNOWN: dict[str, tuple[str, str]] = {
    "leaflet": ("leaflet", "leaflet.js"),
    "jquery": ("jquery", "jquery.min.js"),
    "leaflet_css": ("leaflet", "leaflet.css"),
    "markerclusterjs": ("markercluster", "leaflet.markercluster.js"),
    "markerclustercss": ("markercluster", "MarkerCluster.css"),
    "markerclusterdefaultcss": ("markercluster", "MarkerCluster.Default.css"),
}
# what a folium.Map needs when no folium.Icon / awesome marker is used
_MAP_JS = ("leaflet", "jquery")
_MAP_CSS = ("leaflet_css",)
_MIME = {".js": "text/javascript", ".css": "text/css"}


class OfflineAssetError(ValueError):
    """A map element asks for a remote asset that has no local copy."""


def asset_path(name: str) -> Path:
    """Return the local file of folium asset ``name`` (``"leaflet"``, ``"markerclusterjs"`` …)."""
    package, file = _KNOWN[name]
    return ASSET_DIRS[package] / file


@functools.lru_cache(maxsize=16)
def _data_uri(name: str) -> str:
    path = asset_path(name)
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    return f"data:{_MIME[path.suffix]};base64,{payload}"


def asset_url(name: str, base_urls: Mapping[str, str] | None) -> str:
    """Return the URL of folium asset ``name``.

    Parameters
    ----------
    name
        A folium asset name (a key of ``default_js``/``default_css``), e.g. ``"leaflet"``.
    base_urls
        URL prefix per package (``{"leaflet": "/component/x.leaflet", …}``); ``None`` inlines
        the file as a ``data:`` URI.
    """
    if base_urls is None:
        return _data_uri(name)
    package, file = _KNOWN[name]
    return f"{base_urls[package].rstrip('/')}/{file}"


class _HasAssets(Protocol):
    """An element that loads scripts and styles (folium's JSCSSMixin and look-alikes)."""

    default_js: list[tuple[str, str]]
    default_css: list[tuple[str, str]]


def _walk(element: Element) -> Iterator[Element]:
    yield element
    for child in list(getattr(element, "_children", {}).values()):
        yield from _walk(child)


def _local(links, base_urls, owner: str) -> list[tuple[str, str]]:
    out, missing = [], []
    for name, url in links:
        if not str(url).startswith(("http:", "https:", "//")):
            out.append((name, url))
        elif name in _KNOWN:
            out.append((name, asset_url(name, base_urls)))
        else:
            missing.append(f"{owner}: {name} ({url})")
    if missing:
        raise OfflineAssetError(
            "these map assets would come from the internet and have no local copy: "
            + "; ".join(missing)
            + ". Use another element, or add the files to layers/assets.py."
        )
    return out


def localize(element: Element, base_urls: Mapping[str, str] | None = None) -> Element:
    """Point every asset link in ``element``'s tree at local files; return ``element``.

    A :class:`folium.Map` keeps only Leaflet (JS and CSS) and jQuery; any other element with
    ``default_js``/``default_css`` (a plugin) gets its known assets rewritten. Works in place,
    on instance attributes (the classes keep folium's CDN lists).

    Parameters
    ----------
    element
        A folium map, feature group or any element.
    base_urls
        URL prefix per package (keys of :data:`ASSET_DIRS`); ``None`` inlines the files as
        ``data:`` URIs (for an HTML file that must open offline).

    Raises
    ------
    OfflineAssetError
        An element needs a remote asset with no local copy (e.g. ``folium.Icon``'s Bootstrap).
    """
    for el in _walk(element):
        if isinstance(el, folium.Map):
            el.default_js = [(n, asset_url(n, base_urls)) for n in _MAP_JS]
            el.default_css = [(n, asset_url(n, base_urls)) for n in _MAP_CSS]
        elif isinstance(el, folium.Icon):
            raise OfflineAssetError(
                "folium.Icon needs Bootstrap and Font Awesome from the internet; "
                "use a CircleMarker or a DivIcon instead"
            )
        else:
            owner = type(el).__name__
            # duck-typed: any element carrying asset lists, not only JSCSSMixin subclasses
            assets = cast(_HasAssets, el)
            if getattr(el, "default_js", None):
                assets.default_js = _local(assets.default_js, base_urls, owner)
            if getattr(el, "default_css", None):
                assets.default_css = _local(assets.default_css, base_urls, owner)
    return element


def remote_links(element: Element) -> list[str]:
    """Return every asset link in ``element``'s tree that points off this machine."""
    links = []
    for el in _walk(element):
        for _, url in [*getattr(el, "default_js", []), *getattr(el, "default_css", [])]:
            if str(url).startswith(("http:", "https:", "//")):
                links.append(str(url))
    return links
