"""Import page: upload a ledger or map, preview it, see every problem, import, download bad rows."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from geo.ingest.headers import default_mapping, extend_mapping
from geo.ingest.imports import KINDS, ColumnsNeeded, allowed_columns, import_file, prepare_import
from geo.ingest.quarantine import default_quarantine_path, write_quarantine
from geo.ingest.readers import OSM, SPATIAL, TABULAR
from geo.store.errors import ChildSafeError
from geo.store.labels import column_label
from views import _common, session
from views.session import lang, tr

#: session key of files staged for import as ``[(name, bytes), ...]`` (set by the uploader, or
#: by another page handing a file over).
STAGED = "import_files"
#: upload suffixes the importer reads, with the shapefile sidecars.
UPLOAD_KINDS = (*TABULAR, *SPATIAL, *OSM, ".dbf", ".shx", ".prj", ".cpg")
#: session key of the column mapping chosen in the mapping step: ``{header: column or "-"}``.
MAPPING = "import_mapping"
_LEAVE_OUT = "-"
_PSEUDO = {"_lon": ("经度", "longitude"), "_lat": ("纬度", "latitude"), "_wkt": ("几何（WKT）", "geometry (WKT)"),
           "_birth_date": ("出生日期（只保留年份）", "birth date (year kept)")}
_KIND_ZH = {
    "admin_units": "行政区划", "households": "户", "children": "儿童", "water_bodies": "水体",
    "safety_kits": "“四个一”设施", "stations": "关爱阵地", "roads": "道路",
    "child_directors": "儿童主任", "visits": "走访记录", "inspections": "检查记录",
    "osm": "OpenStreetMap（道路和水体）",
}
_COORDS = {"wgs84": ("WGS-84（GPS）", "WGS-84 (GPS)"), "cgcs2000": ("CGCS2000（国家2000）", "CGCS2000"),
           "gcj02": ("GCJ-02（高德、腾讯、微信）", "GCJ-02 (AMap, Tencent, WeChat)"),
           "bd09": ("BD-09（百度）", "BD-09 (Baidu)"), "epsg": ("EPSG 代码（投影坐标）", "EPSG code (projected)")}


def main_files(files: list[tuple[str, bytes]]) -> list[str]:
    """The names among ``files`` that can be imported themselves (not shapefile sidecars)."""
    return [Path(name).name for name, _ in files if Path(name).suffix.lower() in TABULAR + SPATIAL + OSM]


def _stage(files: list[tuple[str, bytes]], folder: Path, main_name: str | None = None) -> Path | None:
    """Write the uploaded files to ``folder`` (private, removed after the run); return the main file.

    ``main_name`` picks the file to import when several could be (default: the last uploaded).
    """
    for name, data in files:
        safe = Path(name).name  # never a path from the browser
        (folder / safe).write_bytes(data)
    mains = main_files(files)
    if not mains:
        return None
    return folder / (main_name if main_name in mains else mains[-1])


def _pick_main(files: list[tuple[str, bytes]]) -> str | None:
    """With several importable files uploaded (an earlier upload kept by the widget), ask which one."""
    mains = main_files(files)
    if len(mains) <= 1:
        return mains[0] if mains else None
    st.warning(tr(f"已上传 {len(mains)} 个可导入的文件（之前上传的文件仍在列表中）：请选择要检查和导入的文件，"
                  "不需要的可在上方点 × 移除。",
                  f"{len(mains)} importable files are uploaded (an earlier upload is still listed): choose "
                  "the one to check and import, and remove the others with × above."))
    return st.selectbox(tr("要导入的文件", "File to import"), mains, index=len(mains) - 1, key="import_main")


def _options() -> tuple[str, str, str | None, str]:
    zh = lang() == "zh"  # bound now: format functions also run outside the script (AppTest)
    c = st.columns(4)
    kind = c[0].selectbox(tr("导入为", "Import as"), KINDS, key="import_kind",
                          format_func=lambda k: _KIND_ZH[k] if zh else k,
                          help=tr("数据集的图层。命令行导入（childsafe import --kind）用其英文名："
                                  + "；".join(f"{_KIND_ZH[k]} {k}" for k in KINDS),
                                  "The dataset's layer (the same name as childsafe import --kind)."))
    system = c[1].selectbox(tr("坐标系", "Coordinates"), list(_COORDS), key="import_coords",
                            format_func=lambda s: _COORDS[s][0 if zh else 1])
    if system == "epsg":
        code = c[1].text_input("EPSG", value="4527", key="import_epsg").strip()
        system = f"EPSG:{code.removeprefix('EPSG:').removeprefix('epsg:')}"
    sheet = c[2].text_input(tr("工作表/图层（可选）", "Sheet / layer (optional)"), key="import_sheet").strip() or None
    modes = {"append": tr("追加（按编号更新）", "Append (ids update)"),
             "replace": tr("替换整层", "Replace layer")}
    mode = c[3].radio(tr("方式", "Mode"), list(modes), key="import_mode", horizontal=True,
                      format_func=modes.__getitem__)
    return kind, system, sheet, mode


def _show_result(result) -> None:
    c = st.columns(3)
    c[0].metric(tr("读取行数", "Rows read"), f"{result.rows_read:,}")
    c[1].metric(tr("可导入", "Good rows"), f"{result.imported:,}")
    c[2].metric(tr("隔离", "Quarantined"), f"{result.quarantined:,}")
    notices = result.notice_texts(lang())
    if notices:
        st.subheader(tr("提示", "Notices"))
        st.dataframe(pd.DataFrame({tr("提示", "notice"): notices}), hide_index=True, width="stretch")
    if result.problems:
        st.subheader(tr("发现的问题", "Problems found"))
        table = result.problem_rows(lang()).rename(columns={
            "row": tr("行", "row"), "column": tr("列", "column"),
            "severity": tr("级别", "severity"), "reason": tr("原因", "reason")})
        st.dataframe(table, hide_index=True, width="stretch")
    if result.preview is not None and len(result.preview):
        st.subheader(tr("预览（将导入的行）", "Preview (rows to import)"))
        preview = pd.DataFrame(result.preview.drop(columns="geometry", errors="ignore"))
        if "geometry" in result.preview:
            pts = result.preview.geometry.representative_point()
            preview["lon"], preview["lat"] = pts.x.round(6), pts.y.round(6)
        st.dataframe(preview.head(200), hide_index=True, width="stretch")


def _target_label(column: str) -> str:
    if column == _LEAVE_OUT:
        return tr("不导入", "leave out")
    if column in _PSEUDO:
        return tr(*_PSEUDO[column])
    return f"{column_label(column, lang())} ({column})"


def _mapping_step(unmatched: dict[str, list[str]], kind: str) -> bool:
    """The column-mapping step: columns that match nothing but look like dataset columns, with
    the likely column preselected (others: "leave out"); the user confirms or changes each and
    applies. Returns whether nothing is pending."""
    if not unmatched:
        return True
    st.subheader(tr("列对应（请确认）", "Column mapping (please confirm)"))
    st.caption(tr("以下列的表头未能直接识别，但看起来对应数据规范中的列。请逐列确认对应关系，"
                  "或选择“不导入”，然后点击“应用对应”。",
                  "These headers match no dataset column by name but look like one. Confirm or "
                  "change what each holds, or leave it out, then apply."))
    targets = [_LEAVE_OUT, *sorted(allowed_columns(kind))]
    labels = {c: _target_label(c) for c in targets}
    table = pd.DataFrame({
        "header": list(unmatched),
        "suggested": [", ".join(labels.get(c, c) for c in likely) for likely in unmatched.values()],
        "map_to": [labels.get(likely[0], labels[_LEAVE_OUT]) if likely else labels[_LEAVE_OUT]
                   for likely in unmatched.values()],
    })
    edited = st.data_editor(
        table, hide_index=True, key="import_mapping_editor", width="stretch",
        disabled=["header", "suggested"],
        column_config={
            "header": st.column_config.TextColumn(tr("文件中的表头", "Header in the file")),
            "suggested": st.column_config.TextColumn(tr("可能对应", "Likely")),
            "map_to": st.column_config.SelectboxColumn(tr("对应到", "Map to"), options=list(labels.values()),
                                                       required=True),
        })
    if st.button(tr("应用对应", "Apply mapping"), key="import_map_apply"):
        by_label = {v: k for k, v in labels.items()}
        chosen = dict(st.session_state.get(MAPPING, {}))
        chosen.update({str(h): by_label.get(str(t), _LEAVE_OUT)
                       for h, t in zip(edited["header"], edited["map_to"], strict=True)})
        st.session_state[MAPPING] = chosen
        st.rerun()
    st.warning(tr("请先确认列对应，再导入。", "Confirm the column mapping before importing."))
    return False


def _download(result, main: Path) -> None:
    if not result.quarantined:
        return
    path = default_quarantine_path(main)
    path = path.with_name(f"download-{path.name}")
    write_quarantine(result.quarantine, path)
    st.download_button(tr("下载隔离的行", "Download quarantined rows"), path.read_bytes(),
                       file_name=path.name.removeprefix("download-"), key="import_download")


def render() -> None:
    """Draw the page."""
    st.title(tr("数据导入", "Import data"))
    st.caption(tr("支持 CSV（UTF-8/GBK）、Excel、GeoJSON、Shapefile（连同 .dbf/.shx/.prj/.cpg 一起上传）、"
                  "GeoPackage、OSM。姓名、电话、身份证号不会保存。问题行写入隔离文件，修改后可再次导入。",
                  "CSV (UTF-8/GBK), Excel, GeoJSON, Shapefile (upload .dbf/.shx/.prj/.cpg with it), "
                  "GeoPackage, OSM. Names, phones and ID numbers are never stored. Bad rows go to a "
                  "quarantine file; fix them and import it again."))
    user = session.current_user()
    kind, system, sheet, mode = _options()
    uploads = st.file_uploader(tr("选择文件", "Choose file(s)"), accept_multiple_files=True,
                               key="import_upload")
    files = [(u.name, u.getvalue()) for u in uploads] if uploads else st.session_state.get(STAGED)
    if not files or not _common.checked_uploads(files, UPLOAD_KINDS):
        return
    # the uploaded ledger may hold personal data: it lives on disk only during this run
    chosen = _pick_main(files)
    with tempfile.TemporaryDirectory(prefix="childsafe-import-") as folder:
        _check_and_import(files, Path(folder), user, kind, system, sheet, mode, chosen)


def _check_and_import(files, folder: Path, user, kind: str, system: str, sheet: str | None,
                      mode: str, chosen: str | None = None) -> None:
    from geo.privacy.roles import can

    main = _stage(files, folder, chosen)
    if main is None:
        st.warning(tr("未找到可导入的文件。", "No importable file among the uploads."))
        return
    mapping = extend_mapping(default_mapping(), dict(st.session_state.get(MAPPING, {})))
    try:
        dataset = _common.current_dataset()
        result = prepare_import(kind, main, dataset=dataset, coords=system, sheet=sheet,
                                mode=mode, lang=lang(), mapping=mapping)
    except ColumnsNeeded as exc:  # a required column under a header we do not know: ask
        st.error(tr(f"缺少必填列：{', '.join(exc.missing)}。请在下表中指出文件里对应的列。",
                    f"Required column(s) missing: {', '.join(exc.missing)}. Say below which "
                    "column of the file holds them."))
        asked = exc.unmatched
        _mapping_step({h: asked.get(h, []) for h in sorted(exc.headers, key=lambda h: h not in asked)},
                      kind)
        return
    except ChildSafeError as exc:
        _common.show_error(exc)
        return
    mapped = _mapping_step(result.unmatched, kind)
    _show_result(result)
    _download(result, main)
    allowed = user is not None and can(user, "import")
    if not allowed:
        st.info(tr("您的角色可以检查文件，但只有管理员可以导入。",
                   "Your role can check files; only an administrator can import them."))
    if st.button(tr("导入", "Import"), type="primary",
                 disabled=not allowed or not result.imported or not mapped, key="import_go"):
        try:
            done = import_file(kind, main, into=session.dataset_path(), dataset=dataset,
                               coords=system, sheet=sheet, mode=mode, lang=lang(), user=user,
                               mapping=mapping)
        except ChildSafeError as exc:
            _common.show_error(exc)
            return
        st.success(_common.md_text(done.summary(lang())))
