"""What every page shares: language, the current dataset, the current user, errors, the map.

Streamlit lives here and in the page modules only; analyses come from ``geo`` and map layers
from ``layers``. Cached functions read only their arguments.

The map, for any page::

    from layers.kits import kits_layer
    from views import _common

    ds = _common.current_dataset()
    m = _common.base_map(ds)                      # fitted, offline assets, basemap from sidebar
    groups = [kits_layer(ds["safety_kits"], lang=lang())]   # your own FeatureGroups
    _common.show_map(m, groups, key="kits_map")   # st_folium with a fixed key, layer control

- :func:`base_map` gives a ``folium.Map`` with no tiles (the user may pick an online basemap in
  the sidebar), ``max_zoom`` set, ``prefer_canvas=True``, and Leaflet/jQuery served by this app.
- :func:`show_map` draws it. Overlays passed as ``overlays`` (named ``folium.FeatureGroup``s,
  built with ``layers``' helpers: one GeoJson layer per overlay, never one marker per feature)
  are updated without reloading the map when they change; add fixed things (a legend) to the
  map itself. ``returned_objects`` defaults to none, so panning or clicking never reruns the
  script; pass e.g. ``["last_object_clicked"]`` to get clicks back.
- Asset links must stay local: an element needing a CDN file (``folium.Icon``, most plugins)
  raises :class:`layers.assets.OfflineAssetError` instead of drawing a blank map offline.
- Reruns stay fast when the overlay GeoJSON is cached on its input frames:
  ``data = cached_call(kits.kits_features, ds["safety_kits"], lang=lang())`` then
  ``layers.geojson_layer(name, data)`` (see :func:`cached_call`; docs/app.md).
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from pathlib import Path

import folium
import geopandas as gpd
import pandas as pd
import shapely
import streamlit as st
import streamlit.components.v1 as components
from streamlit_folium import st_folium

from geo.store import settings
from geo.store.dataset import Dataset, read_dataset
from geo.store.errors import ChildSafeError
from layers import assets as _assets
from layers import basemap as _basemap
from views.session import (
    current_user,
    dataset_files,
    dataset_name,
    dataset_path,
    default_dataset_path,
    lang,
    tr,
)


@st.cache_data(show_spinner=False, max_entries=4)
def _read(path: str, mtime: float) -> Dataset:
    return read_dataset(path)


@st.cache_data(show_spinner=False, max_entries=4)
def _read_metric(path: str, mtime: float) -> Dataset:
    return read_dataset(path).metric()  # cached pickled: every layer projected once here


def _mtime(path: Path | str) -> float:
    """The dataset's version (a cache key): a file's modification time, a server's newest
    audit event and minute (:meth:`geo.store.writer.Store.version`)."""
    from geo.store.stores import open_store

    return open_store(path).version()


def raw_dataset() -> Dataset:
    """The whole dataset in EPSG:4326 (before role filtering: use :func:`current_dataset`)."""
    path = dataset_path()
    return _read(str(path), _mtime(path))


@st.cache_data(show_spinner=False, max_entries=8)
def _role_view(path: str, mtime: float, role: str, scope: str, metric: bool) -> Dataset:
    from geo.privacy.roles import User, dataset_for

    full = (_read_metric if metric else _read)(path, mtime)
    return dataset_for(User("view", role, scope), full)


def current_dataset(*, metric: bool = False) -> Dataset:
    """The dataset as the current user may see it (EPSG:4326, or the metric CRS).

    This is ``geo.privacy.roles.dataset_for(current_user(), ...)``: only the layers, rows and columns
    the user's role and scope allow (docs/security.md). Never save it over the dataset file.
    """
    from geo.store.errors import PermissionDenied

    user = current_user()
    if user is None:
        raise PermissionDenied("sign in first")
    path = dataset_path()
    view = _role_view(str(path), _mtime(path), user.role, user.scope, metric)
    _log_personal_view(path, user, view)
    return view


def analysis_dataset(*, metric: bool = True) -> Dataset:
    """The scope-clipped full data for running an analysis in the engine (never show it).

    Pass every output through :func:`role_result` before showing or offering it for download.
    """
    from geo.privacy.roles import analysis_view

    path = dataset_path()
    full = (_read_metric if metric else _read)(str(path), _mtime(path))
    return analysis_view(current_user(), full)


def analysis_key() -> tuple[str, float, str, str]:
    """Cache key of an analysis of the current dataset for the current user.

    (file path, its modification time, role, scope): a cached analysis is recomputed when the
    file changes, and never shared between roles or areas.
    """
    path = dataset_path()
    user = current_user()
    return str(path), _mtime(path), getattr(user, "role", "") or "", getattr(user, "scope", "") or ""


@st.cache_data(show_spinner=False, max_entries=8)
def _population(path: str, mtime: float, scope: str):
    from geo.privacy.disclosure import population_context
    from geo.privacy.roles import clip_to_scope

    return population_context(clip_to_scope(_read(path, mtime), scope))


def population_context():
    """The disclosure decisions on the current scope's counts of people (cached per file, scope).

    ``geo.privacy.disclosure.release`` takes it so every table hides the same cells.
    """
    path, mtime, _, scope = analysis_key()
    return _population(path, mtime, scope)


def role_result(name: str, result):
    """What the current user may see of an analysis output (a frame, or a dict/tuple of frames).

    The output must be computed on :func:`analysis_dataset`; counts of people come back
    released by ``geo.privacy.disclosure`` (hidden cells ``NaN``, a ``suppressed`` column).
    """
    from geo.privacy.roles import filter_outputs

    return filter_outputs(current_user(), name, result, context=population_context())


def released(name: str, fn, *args, metric: bool = False, **kwargs):
    """``fn(full data of the user's scope, *args, **kwargs)`` as the current user may receive it.

    The one way a page counts people: the output is computed on :func:`analysis_dataset` (never
    on the role view, where a leader's children are absent and every count would be 0) and
    released by :func:`role_result` (``name`` picks its disclosure rules, e.g. ``"staffing"``).
    """
    return role_result(name, fn(analysis_dataset(metric=metric), *args, **kwargs))


def screen_table(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy for ``st.dataframe``: datetime columns without a time of day shown as dates."""
    out = pd.DataFrame(frame).drop(columns="geometry", errors="ignore").copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_datetime64_any_dtype(values):
            stamps = pd.to_datetime(values)
            if (stamps.dropna() == stamps.dropna().dt.normalize()).all():
                out[col] = stamps.dt.date
    return out


def log_download(what: str, filename: str) -> None:
    """Record a page download in the audit log, like ``childsafe export`` (not in demo mode)."""
    user = current_user()
    if user is None or user.demo:
        return
    from geo.privacy.audit import log_event

    try:
        log_event(dataset_path(), user, "export", f"app download {what}: {filename}")
    except ChildSafeError as exc:  # the file is read-only: the download still works, say so
        st.warning(tr(f"未能写入操作日志：{exc}", f"Could not write the audit log: {exc}"))


def download_button(label: str, data: bytes, filename: str, *, key: str, what: str,
                    mime: str | None = None) -> None:
    """A download button for a page export: the bytes from :func:`download_bytes` (watermarked),
    the click recorded in the audit log (:func:`log_download`)."""
    mimes = {".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
             ".csv": "text/csv", ".gpkg": "application/geopackage+sqlite3", ".html": "text/html"}
    st.download_button(label, data, filename, mime or mimes.get(Path(filename).suffix, "application/octet-stream"),
                       key=key, on_click=log_download, args=(what, filename))


def download_bytes(tables, fmt: str = ".xlsx", *, labels=None, admin_units=None) -> bytes:
    """A page download (``.xlsx`` or ``.csv``) through the one table writer, watermarked.

    ``tables`` is a frame or sheet name -> frame, as released for the current user; text
    stays text (no formulas), numbers numbers, dates dates, hidden cells empty and noted.
    Headers, sheet names and values are in the UI language from ``geo.store.labels``, by the
    writer as for the CLI's files (``labels`` overrides headers: see
    ``geo.privacy.tables.header_label``); with ``admin_units``, village and township names go
    next to their codes.
    """
    from geo.privacy.tables import table_bytes, watermark_text

    language = lang()
    frames = tables if isinstance(tables, dict) else {"table": tables}
    plain = {name: pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
             for name, frame in frames.items()}
    return table_bytes(plain if isinstance(tables, dict) else plain["table"], fmt, lang=language,
                       labels=labels, places=admin_units,
                       watermark=watermark_text(current_user(), lang=language))


def _log_personal_view(path: Path, user, view: Dataset) -> None:
    """Record once per session and dataset that ``user`` saw personal rows."""
    if user.demo or not ({"children", "households"} & {n for n in view if n in view}):
        return
    if "children" not in view and user.role != "planner":
        return
    key = f"_audit_viewed::{path}"
    if st.session_state.get(key):
        return
    from geo.privacy.audit import log_event

    log_event(path, user, "view_personal",
              f"households {len(view['households'])}, children {len(view['children'])}")
    st.session_state[key] = True


def sidebar() -> None:
    """Draw the shared sidebar controls: dataset file and basemap (``app.py`` calls this)."""
    files = [str(f) for f in dataset_files()]
    current = st.session_state.get("dataset_path", str(default_dataset_path()))
    if current not in files:
        files.insert(0, current)
    st.session_state.setdefault("dataset_path", current)
    st.selectbox(tr("数据集", "Dataset"), files, key="dataset_path",
                 format_func=dataset_name,
                 help=tr("服务器启动时的数据集、示范县，以及登录后您有账户的数据集",
                         "The server's dataset, the demo county, and once signed in the "
                         "datasets where you have an account"))
    st.session_state.setdefault(BASEMAP_KEY, "none")
    st.selectbox(tr("底图", "Basemap"), list(_basemap.BASEMAPS), key=BASEMAP_KEY,
                 format_func=lambda b: _basemap.BASEMAPS[b][lang()],
                 help=tr("默认无底图，离线可用；在线底图需要联网。",
                         "No basemap by default, works offline; online basemaps need internet."))
    if st.session_state[BASEMAP_KEY] == "tianditu":
        st.text_input(tr("天地图密钥", "Tianditu key"), key=TIANDITU_KEY, type="password")
    if st.session_state[BASEMAP_KEY] == "amap":
        st.caption(tr("高德底图为 GCJ-02 坐标，图层已自动纠偏显示。",
                      "AMap tiles are in GCJ-02: overlays are shifted to match."))


def relabel_widgets() -> None:
    """After a language switch, give every widget its value again (the language radio's ``on_change``).

    Streamlit keeps a radio's or dropdown's choice in the browser as the *shown* text of the option
    (中文); once the words change to English that text matches no option and the radio shows
    nothing chosen. Setting each kept value again makes Streamlit send it in the new words.
    Widgets whose value cannot be set (buttons, uploads) are left as they are.
    """
    from streamlit.errors import StreamlitAPIException

    def choice(value) -> bool:  # what a radio, dropdown or multiselect holds (option keys); not a
        # button's bool, a number or a date (shown the same in both languages)
        # an empty list may be a multi-file uploader's (setting it crashes the page); an empty
        # multiselect reads the same in both languages, so it needs nothing either
        if isinstance(value, list | tuple):
            return bool(value) and all(isinstance(v, str) for v in value)
        return isinstance(value, str)

    for key in list(st.session_state.keys()):
        if key == "lang" or str(key).startswith(("_", "$$")):
            continue
        try:
            value = st.session_state[key]
            if choice(value):
                st.session_state[key] = value
        except (StreamlitAPIException, KeyError):
            continue


#: Streamlit's uploader messages (its English, as its frontend writes them) -> a WIDGET_LABELS key;
#: a group of the pattern fills the label's ``{size}`` or ``{type}``.
_UPLOADER_MESSAGES = (
    (r"^Drag and drop (?:files|a file|directories) here$", "upload_drop", None),
    (r"^File must be (.+) or smaller\.$", "upload_too_large", "size"),
    (r"^(.+) files are not allowed\.$", "upload_wrong_type", "type"),
    (r"^File type not allowed\.$", "upload_type_refused", None),
    (r"^Only one file is allowed\.$", "upload_one_file", None),
    (r"^File size is too small\.$", "upload_too_small", None),
    (r"^Unexpected error\. Please try again\.$", "upload_unexpected", None),
    (r"^Upload failed$", "upload_failed", None),
    (r"^Error:$", "upload_error", None),
    (r"^Click to retry upload$", "upload_retry", None),
)
_MARKER = "childsafe-zh-widget-words"
#: translates the uploader's own messages in place while the Chinese marker is on the page:
#: drag-over text, a refused file's error (chip, alert and tooltip), retry hints. Fixed code: it
#: reads no user data and writes text nodes only (``textContent``), never markup.
_WIDGET_JS = """<script>
(() => {
  const rules = %(rules)s.map(([p, zh, slot]) => [new RegExp(p), zh, slot]);
  const size = s => s.replace(/^([0-9.]+)\\s*([KMGT]?B)$/, (m, n, u) => `${parseFloat(n)} ${u}`);
  const word = text => {
    const t = text.trim();
    for (const [re, zh, slot] of rules) {
      const m = t.match(re);
      if (m) return slot ? zh.replace(`{${slot}}`, slot === 'size' ? size(m[1]) : m[1]) : zh;
    }
    return null;
  };
  const fix = root => {
    if (!document.getElementById('%(marker)s')) return;  // the UI is not (or no longer) Chinese
    for (const scope of root.querySelectorAll('[data-testid="stFileUploader"], [role="tooltip"]')) {
      const walk = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
      for (let n = walk.nextNode(); n; n = walk.nextNode()) {
        const zh = word(n.textContent);
        if (zh !== null && zh !== n.textContent) n.textContent = zh;
      }
      for (const el of scope.querySelectorAll('[title]')) {
        const zh = word(el.getAttribute('title'));
        if (zh !== null) el.setAttribute('title', zh);
      }
    }
  };
  if (window.__childsafeWidgetWords) { fix(document.body); return; }
  // one pass per batch of changes, before the browser paints them (no flash of English)
  window.__childsafeWidgetWords = new MutationObserver(() => fix(document.body));
  window.__childsafeWidgetWords.observe(document.body, {childList: true, subtree: true, characterData: true});
  fix(document.body);
})();
</script>"""


def widget_words() -> None:
    """Streamlit's own words of the upload widget in the UI language (Streamlit has no Chinese).

    The button's "Upload" and the "50MB per file" line are replaced by CSS (the text nodes are
    hidden, the Chinese shown in their place); the messages Streamlit writes later (the drag-over
    text, a refused file's "File must be 50.0MB or smaller.") are translated in place by a small
    fixed script while the Chinese UI is on. The words are ``geo.store.labels.WIDGET_LABELS``;
    ``app.py`` calls this on every run.
    """
    if lang() != "zh":
        return
    from geo.store.labels import WIDGET_LABELS

    def zh(key: str, **kw) -> str:
        return WIDGET_LABELS[key][0].format(**kw) if kw else WIDGET_LABELS[key][0]

    limit = int(st.get_option("server.maxUploadSize") or settings.max_upload_mb)
    limit = min(limit, int(settings.max_upload_mb))
    zone = '[data-testid="stFileUploaderDropzone"]'
    rules = json.dumps([[p, WIDGET_LABELS[k][0], slot] for p, k, slot in _UPLOADER_MESSAGES],
                       ensure_ascii=False).replace("</", "<\\/")
    st.html(f"""<style>
{zone} button [data-testid="stMarkdownContainer"] p {{ font-size: 0; }}
{zone} button [data-testid="stMarkdownContainer"] p::after {{ content: {json.dumps(zh("upload_button"), ensure_ascii=False)}; font-size: 0.875rem; }}
[data-testid="stFileUploaderDropzoneInstructions"] span {{ display: none; }}
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {{
  content: {json.dumps(zh("upload_hint", limit=limit), ensure_ascii=False)}; font-size: 0.875rem; }}
[data-testid="stElementContainer"]:has(#{_MARKER}) {{ display: none; }}
</style><span id="{_MARKER}" hidden></span>""" + _WIDGET_JS % {"rules": rules, "marker": _MARKER},
            unsafe_allow_javascript=True)


@st.cache_resource(show_spinner=False)
def app_icon():
    """The browser-tab icon, drawn here (a ``:material/…:`` icon would be fetched from Google)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.ellipse((4, 4, 60, 60), fill=(21, 101, 192, 255))
    draw.ellipse((22, 12, 42, 32), fill=(255, 255, 255, 255))
    draw.rounded_rectangle((18, 34, 46, 54), radius=8, fill=(255, 255, 255, 255))
    return img


_ABS_PATH = re.compile(r"(?<![\w.:/])(?:/[^\s/'\"]+)+/([^\s/'\"]*)")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:^=&])")


def no_paths(text: str) -> str:
    """``text`` with every absolute server path cut to its last part (``/tmp/x/y.csv`` -> ``y.csv``)."""
    return _ABS_PATH.sub(lambda m: m.group(1) or "…", str(text))


def md_text(text: object) -> str:
    """``text`` (from a user, a file or an error) safe to show in Streamlit Markdown.

    Every Markdown, HTML and Streamlit directive character is backslash-escaped (CommonMark
    lets any ASCII punctuation be escaped), so ``![b](http://…)`` shows as those characters and
    fetches nothing, ``<img>`` is text, ``$x$`` is no formula, ``:red[x]`` no colour; server
    paths are cut to their file name (:func:`no_paths`); line breaks are kept.
    """
    escaped = _MD_SPECIAL.sub(r"\\\1", no_paths(str(text)))
    return "  \n".join(escaped.splitlines()) if "\n" in escaped else escaped


def show_error(exc: ChildSafeError) -> None:
    """Show a domain error to the user (bugs are not caught and crash loudly).

    The message may hold text from the user's file (a header, a value): it is shown escaped,
    never as Markdown or HTML, and without server paths (:func:`md_text`).
    """
    st.error(md_text(str(exc)))


def upload_refusal(files: list[tuple[str, bytes]], kinds: tuple[str, ...] | list[str],
                   language: str | None = None) -> str | None:
    """Why ``files`` (``[(name, bytes), ...]``) may not be read, in the UI language; ``None`` if they may.

    Every file is checked by :func:`geo.privacy.security.upload_problems` (size ``settings.max_upload_mb``,
    the suffixes ``kinds``, content matching the suffix); all problems are listed at once.
    """
    from geo.privacy.security import upload_problem_text, upload_problems

    language = language or lang()
    lines = [upload_problem_text(code, details, language)
             for name, data in files for code, details in upload_problems(name, data, kinds=kinds)]
    if not lines:
        return None
    head = "上传被拒绝，文件未被读取：" if language == "zh" else "Upload refused; the file was not read:"
    return head + "\n" + "\n".join(f"- {line}" for line in lines)


def checked_uploads(files: list[tuple[str, bytes]], kinds: tuple[str, ...] | list[str]) -> bool:
    """Show the refusal and return False when any of ``files`` fails the upload checks.

    Call it before anything reads an upload (docs/security.md).
    """
    refusal = upload_refusal(files, kinds)
    if refusal is not None:
        st.error(md_text(refusal))  # file names come from the browser
        return False
    return True


# --- the map ------------------------------------------------------------------------------
# Each asset folder is registered as a custom component that is never rendered: Streamlit then
# serves its files at /component/<name>/<file> with the right MIME types (the static folder
# served .js as text/plain on 1.45; see shared/notes/offline-map.md).
_ASSET_COMPONENTS = {
    package: components.declare_component(f"assets_{package}", path=str(folder))
    for package, folder in _assets.ASSET_DIRS.items()
}
#: session-state keys the sidebar sets and the map helpers read.
BASEMAP_KEY = "basemap"
TIANDITU_KEY = "tianditu_key"


def asset_urls() -> dict[str, str]:
    """URL prefix of each local asset package, as served by this Streamlit server."""
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    prefix = f"/{base}" if base else ""
    return {pkg: f"{prefix}/component/{comp.name}" for pkg, comp in _ASSET_COMPONENTS.items()}


def scope_bounds(ds: Dataset) -> tuple[float, float, float, float] | None:
    """Bounds (EPSG:4326) a map of ``ds`` opens on: the signed-in user's area, else the whole data.

    A role view holds the admin units above the user's scope too (the county around a
    village), so the dataset's own bounds would show a village director their village as a speck.
    """
    from shapely.geometry import box

    if ds.crs is None:
        return None
    user = current_user()
    scope = getattr(user, "scope", "") or ""
    units = ds["admin_units"]
    if scope and len(units):
        from geo.privacy.roles import in_scope

        mine = units[in_scope(units["code"], scope).to_numpy()]
        mine = mine[mine.geometry.notna().to_numpy()]
        if len(mine):
            return tuple(mine.to_crs("EPSG:4326").total_bounds)
    whole = ds.total_bounds()
    if whole is None:
        return None
    return tuple(gpd.GeoSeries([box(*whole)], crs=ds.crs).to_crs("EPSG:4326").total_bounds)


def base_map(dataset: Dataset | None = None, *, basemap: str | None = None) -> folium.Map:
    """Return a folium map fitted to the user's scope in ``dataset`` (the current one by default).

    Parameters
    ----------
    dataset
        The dataset to fit; :func:`current_dataset` when ``None``.
    basemap
        A key of :data:`layers.basemap.BASEMAPS`; the sidebar's choice when ``None`` (``"none"``,
        no tiles, by default).
    """
    ds = current_dataset() if dataset is None else dataset
    bounds = scope_bounds(ds)
    choice = basemap or st.session_state.get(BASEMAP_KEY, "none")
    key = st.session_state.get(TIANDITU_KEY) or None
    if choice == "tianditu" and not key:
        st.warning(tr("天地图需要密钥：请在侧栏输入，暂不显示底图。",
                      "Tianditu needs a key: enter it in the sidebar. No basemap for now."))
        choice = "none"
    m = _basemap.base_map(bounds, basemap=choice, tianditu_key=key, asset_urls=asset_urls(), lang=lang())
    m.childsafe_basemap = choice  # type: ignore[attr-defined]
    return m


def show_map(
    m: folium.Map | None = None,
    overlays: list[folium.FeatureGroup] | tuple[folium.FeatureGroup, ...] = (),
    *,
    key: str,
    height: int = 600,
    layer_control: bool = True,
    returned_objects: list[str] | tuple[str, ...] = (),
) -> dict:
    """Draw ``m`` with ``overlays`` through streamlit-folium; return what the map sends back.

    Parameters
    ----------
    m
        A map from :func:`base_map` (a fresh one for the current dataset when ``None``).
    overlays
        Named ``folium.FeatureGroup``s; changing them does not reload the map (the view keeps
        its zoom), and the layer control lists them.
    key
        A fixed key, unique per page (``"overview_map"``).
    height
        Map height, pixels.
    layer_control
        Add Leaflet's layer control listing the overlays.
    returned_objects
        What the map returns (keys of streamlit-folium's result, e.g. ``"last_object_clicked"``,
        ``"bounds"``, ``"zoom"``); empty by default so map interaction never reruns the script.

    Raises
    ------
    layers.assets.OfflineAssetError
        An element would load a file from the internet.
    """
    m = base_map() if m is None else m
    overlays = list(overlays)
    urls = asset_urls()
    _assets.localize(m, urls)
    for group in overlays:
        _assets.localize(group, urls)
    if getattr(m, "childsafe_basemap", "none") == "amap":
        _basemap.shift_to_gcj02(m)
        for group in overlays:
            _basemap.shift_to_gcj02(group)
    control = folium.LayerControl(collapsed=False) if layer_control and overlays else None
    # streamlit-folium draws every group it is handed, whatever its ``show``: overlays hidden
    # by default go on the map itself, where Leaflet's layer control honours ``show=False``.
    hidden = [g for g in overlays if getattr(g, "show", True) is False]
    for group in hidden:
        group.add_to(m)
    visible = [g for g in overlays if g not in hidden]
    return st_folium(
        m,
        key=key,
        height=height,
        use_container_width=True,
        feature_group_to_add=visible or None,
        layer_control=control,
        returned_objects=list(returned_objects),
    ) or {}


# --- caching analyses and overlay data on the frames they read ---------------------------------
def frame_fingerprint(frame: pd.DataFrame) -> str:
    """A digest of ``frame``'s rows, columns and geometries (same data -> same digest)."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr((len(frame), [str(c) for c in frame.columns])).encode())
    if len(frame):
        plain = frame
        if isinstance(frame, gpd.GeoDataFrame):
            plain = pd.DataFrame(frame.drop(columns=frame.geometry.name))
            h.update(b"".join(w or b"" for w in shapely.to_wkb(frame.geometry.values)))
        h.update(pd.util.hash_pandas_object(plain, index=True).to_numpy().tobytes())
    return h.hexdigest()


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_call(name: str, keys: tuple, options: str, _fn, _frames: tuple, _frame_options: dict):
    return _fn(*_frames, **_frame_options, **ast.literal_eval(options))


def cached_call(fn, *frames: pd.DataFrame, **options):
    """Call ``fn(*frames, **options)`` once per distinct input and cache its (picklable) result.

    Frames (positional, or keyword options that are frames) are keyed by
    :func:`frame_fingerprint`, so a role-filtered view and the full data never share a result;
    the other options must be plain literals (str, numbers, bools, tuples). Use it for overlay
    data (``layers.water.water_features``) and small analyses; the result is copied on each hit.
    """
    frame_opts = {k: v for k, v in options.items() if isinstance(v, pd.DataFrame)}
    plain = {k: v for k, v in options.items() if k not in frame_opts}
    keys = (tuple(frame_fingerprint(f) for f in frames)
            + tuple((k, frame_fingerprint(v)) for k, v in sorted(frame_opts.items())))
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached_call(name, keys, repr(dict(sorted(plain.items()))), fn, frames, frame_opts)
