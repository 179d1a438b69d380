"""The report's maps, drawn offline with matplotlib: coverage, water risk and hot spots, overdue visits.

Each function returns a PNG (bytes) with a title, a legend, a scale bar (matplotlib-scalebar, in
the metric CRS the frames are in) and a north arrow; Chinese text uses the CJK font the project
installs (``fonts-noto-cjk``, found by :func:`cjk_font`). Choropleths colour units by an indicator
of the *released* table (what the reader may see): a suppressed unit is drawn hatched grey, so a
map never shows what its table hides. No household or child is ever drawn.
"""

from __future__ import annotations

import io
import logging

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.store.errors import ChildSafeError

logger = logging.getLogger(__name__)

#: classes of a share (upper bounds) and their colours, red (behind) to green (met).
SHARE_BREAKS = (0.5, 0.7, 0.9, 0.999999, 1.000001)
SHARE_COLOURS = ("#d7191c", "#fdae61", "#ffffbf", "#a6d96a", "#1a9641")
KIT_COLOURS = {"complete": "#1a9641", "partial": "#fdae61", "none": "#d7191c"}
_FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK TC", "Noto Sans CJK JP", "WenQuanYi Zen Hei",
                  "Source Han Sans SC")

_TEXT = {
    "no_data": ("无数据", "No data"), "suppressed": ("已隐藏（人数过少）", "Hidden (small count)"),
    "complete": ("“四个一”齐全", "Four ones complete"), "partial": ("不全", "Partial"),
    "none": ("缺失", "None"), "hotspot": ("风险热点（Gi* 99%）", "Hot spot (Gi* 99%)"),
    "stations": ("村级阵地", "Village stations"), "north": ("北", "N"),
}


class FontMissing(ChildSafeError):
    """No CJK font is installed (the PDF and maps could not show Chinese)."""


def _t(key: str, lang: str) -> str:
    zh, en = _TEXT[key]
    return zh if lang == "zh" else en


def cjk_font() -> str:
    """The family name of an installed CJK font (``fonts-noto-cjk``; ``scripts/setup.sh`` installs it).

    Raises
    ------
    FontMissing
        None is installed.
    """
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    for fam in _FONT_FAMILIES:
        if fam in names:
            return fam
    raise FontMissing("没有安装中文字体（fonts-noto-cjk）：请运行 bash scripts/setup.sh / no CJK font is "
                      "installed (fonts-noto-cjk): run bash scripts/setup.sh")


def _figure(title: str):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["font.family"] = [cjk_font(), "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    fig, ax = plt.subplots(figsize=(7.2, 6.2), dpi=150)
    ax.set_title(title, fontsize=12)
    ax.set_axis_off()
    ax.set_aspect("equal")
    return fig, ax


def _finish(fig, ax, handles, lang: str) -> bytes:
    import matplotlib.pyplot as plt
    from matplotlib_scalebar.scalebar import ScaleBar

    ax.add_artist(ScaleBar(1.0, "m", location="lower right", box_alpha=0.7, font_properties={"size": 8}))
    ax.annotate(_t("north", lang), xy=(0.04, 0.95), xytext=(0.04, 0.86), xycoords="axes fraction",
                ha="center", va="center", fontsize=10,
                arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.2})
    if handles:
        ax.legend(handles=handles, loc="lower left", fontsize=7.5, frameon=True, framealpha=0.85)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def share_colour(share) -> str | None:
    """Colour of a share (0-1), ``None`` when missing."""
    if share is None or pd.isna(share):
        return None
    i = int(np.searchsorted(SHARE_BREAKS, float(share), side="left"))
    return SHARE_COLOURS[min(i, len(SHARE_COLOURS) - 1)]


def share_legend(lang: str) -> list:
    """Legend patches of the share classes."""
    from matplotlib.patches import Patch

    labels = ("< 50%", "50–70%", "70–90%", "90–<100%", "100%")
    out = [Patch(facecolor=c, edgecolor="#616161", label=text) for c, text in zip(SHARE_COLOURS, labels, strict=True)]
    out.append(Patch(facecolor="#eeeeee", edgecolor="#9e9e9e", hatch="///", label=_t("suppressed", lang)))
    out.append(Patch(facecolor="white", edgecolor="#9e9e9e", label=_t("no_data", lang)))
    return out


def _polygons(units: gpd.GeoDataFrame, codes) -> gpd.GeoDataFrame:
    polys = units[units.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    polys = polys[polys["code"].astype(str).isin(set(map(str, codes)))]
    return polys.drop_duplicates("code")


def choropleth(units: gpd.GeoDataFrame, table: pd.DataFrame, column: str, *, title: str,
               lang: str = "zh", suppressed: pd.Series | None = None, outline: gpd.GeoDataFrame | None = None,
               points: gpd.GeoDataFrame | None = None, points_label: str = "") -> bytes:
    """A PNG of ``units`` coloured by the share ``table[column]`` (rows by ``code``).

    ``suppressed`` marks the rows whose value is hidden (drawn hatched); ``outline`` draws
    boundaries above (townships over villages); ``points`` are drawn as small dots.
    """
    from matplotlib.lines import Line2D

    fig, ax = _figure(title)
    rows = table.set_index(table["code"].astype(str))
    polys = _polygons(units, rows.index)
    if not len(polys):
        ax.text(0.5, 0.5, _t("no_data", lang), ha="center", transform=ax.transAxes)
        return _finish(fig, ax, [], lang)
    vals = rows[column].reindex(polys["code"].astype(str)).to_numpy(dtype=float)
    hidden = (suppressed.reindex(polys["code"].astype(str)).fillna(False).to_numpy(bool)
              if suppressed is not None else np.zeros(len(polys), bool))
    colours = [("#eeeeee" if h else (share_colour(v) or "white")) for v, h in zip(vals, hidden, strict=True)]
    polys.plot(ax=ax, color=colours, edgecolor="#757575", linewidth=0.3)
    if hidden.any():
        polys[hidden].plot(ax=ax, facecolor="none", edgecolor="#9e9e9e", hatch="///", linewidth=0.3)
    if outline is not None and len(outline):
        outline.boundary.plot(ax=ax, color="#424242", linewidth=0.9)
    handles = share_legend(lang)
    if points is not None and len(points):
        points.plot(ax=ax, color="#1565c0", markersize=6, marker="^", zorder=5)
        handles.append(Line2D([], [], marker="^", color="#1565c0", linestyle="", markersize=5, label=points_label))
    return _finish(fig, ax, handles, lang)


def water_map(units: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *, title: str, lang: str = "zh",
              outline_level: str = "township") -> bytes:
    """A PNG of the risky water sites (children within 500 m) by "four ones" status, hot spots ringed."""
    from matplotlib.lines import Line2D

    fig, ax = _figure(title)
    outline = units[(units["level"].astype("string") == outline_level).to_numpy()
                    & units.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()]
    if len(outline):
        outline.plot(ax=ax, facecolor="#fafafa", edgecolor="#616161", linewidth=0.6)
    handles = []
    if len(sites):
        risky = sites[sites["children_500m"].to_numpy(float) > 0]
        pts = risky.copy()
        from geo.water.pipeline import site_points

        pts = gpd.GeoDataFrame(pts.drop(columns="geometry"), geometry=list(site_points(risky)), crs=sites.crs)
        size = 2.0 if len(pts) > 20_000 else 5.0
        for status in ("complete", "partial", "none"):
            part = pts[pts["kit_status"] == status]
            if len(part):
                part.plot(ax=ax, color=KIT_COLOURS[status], markersize=size, zorder=3, rasterized=True)
                handles.append(Line2D([], [], marker="o", color=KIT_COLOURS[status], linestyle="",
                                      markersize=5, label=f"{_t(status, lang)} ({len(part):,})"))
        hot = pts[pts["gi_bin"].to_numpy(float) >= 3]
        if len(hot):
            hot.plot(ax=ax, facecolor="none", edgecolor="#6a1b9a", markersize=size * 6, linewidth=0.7,
                     zorder=4, rasterized=True)
            handles.append(Line2D([], [], marker="o", markerfacecolor="none", markeredgecolor="#6a1b9a",
                                  linestyle="", markersize=7, label=f"{_t('hotspot', lang)} ({len(hot):,})"))
    return _finish(fig, ax, handles, lang)
