"""Exports that leave the system: exactly a role's view, optionally geomasked, watermarked, logged.

:func:`export_dataset` writes :func:`geo.privacy.roles.dataset_for` of the requested role and scope to a
GeoPackage or an Excel workbook. It never writes internal tables (``users``,
``dataset_settings``) or secrets. Household points can be *geomasked* with donut displacement:
each point moves by a distance between ``settings.geomask_inner_fraction * radius`` and
``radius`` metres, in a random direction, uniform over the ring's area (Hampton et al. 2010,
"Mapping health data: improved privacy protection with donut method geomasking", Am J
Epidemiol 172(9)). The displacement of a point is a function of the dataset's persistent
secret mask key (kept beside the file, :mod:`geo.store.keys`) and the point's id, so the same
household moves the same way in every export (repeated exports cannot be averaged back to the
true place); no user-given seed is accepted. Every file carries a watermark (who, role, scope,
when) and every export is in the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
from datetime import datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.privacy.audit import log_event, now_utc
from geo.privacy.roles import User, check_role, check_scope, dataset_for, require
from geo.store import settings
from geo.store.dataset import Dataset, write_layers
from geo.store.errors import PermissionDenied, ValidationError

logger = logging.getLogger(__name__)

FORMATS = (".gpkg", ".xlsx")
#: Point layers holding where people live: the ones geomasking moves.
PERSONAL_POINT_LAYERS = ("households",)


def geomask_points(frame: gpd.GeoDataFrame, *, radius_m: float, seed: str | int,
                   key: str | None = None, inner_m: float | None = None) -> gpd.GeoDataFrame:
    """Move each point by a donut displacement (between ``inner_m`` and ``radius_m`` metres).

    Parameters
    ----------
    frame
        Points in any CRS (other geometry types raise).
    radius_m
        Largest displacement, metres.
    seed
        Secret seed; the same seed and key give the same displacement.
    key
        Column naming each point (default: the row's position).
    inner_m
        Smallest displacement, metres (default ``settings.geomask_inner_fraction * radius_m``).

    Returns
    -------
    GeoDataFrame
        A copy in the input CRS with moved points.
    """
    if radius_m <= 0:
        raise ValidationError("the geomask radius must be more than 0 metres")
    inner = radius_m * float(settings.geomask_inner_fraction) if inner_m is None else inner_m
    if not 0 <= inner < radius_m:
        raise ValidationError("the geomask inner radius must be between 0 and the radius")
    if not len(frame):
        return frame.copy()
    kinds = set(frame.geom_type.dropna())
    if kinds - {"Point"}:
        raise ValidationError(f"geomasking moves points only, not {', '.join(sorted(kinds))}")
    from geo.store.projection import metric_crs_for

    lonlat = frame.to_crs("EPSG:4326")
    metric_crs = metric_crs_for(tuple(lonlat.total_bounds))
    metric = lonlat.to_crs(metric_crs)
    ids = frame[key].astype(str).tolist() if key else [str(i) for i in range(len(frame))]
    u = np.array([_uniforms(str(seed), i) for i in ids])
    r = np.sqrt(u[:, 0] * (radius_m**2 - inner**2) + inner**2)
    theta = 2 * np.pi * u[:, 1]
    x = metric.geometry.x.to_numpy() + r * np.cos(theta)
    y = metric.geometry.y.to_numpy() + r * np.sin(theta)
    moved = metric.copy()
    valid = metric.geometry.notna().to_numpy()
    geoms = np.array(metric.geometry.to_numpy(), dtype=object)
    geoms[valid] = shapely.points(x[valid], y[valid])
    moved = moved.set_geometry(gpd.GeoSeries(geoms, index=metric.index, crs=metric_crs))
    return moved.to_crs(frame.crs)


def _uniforms(seed: str, key: str) -> tuple[float, float]:
    digest = hmac.new(seed.encode(), key.encode(), hashlib.sha256).digest()
    a = int.from_bytes(digest[:8], "big") / 2**64
    b = int.from_bytes(digest[8:16], "big") / 2**64
    return a, b


def dataset_geomask_seed(path: str | os.PathLike) -> str:
    """The mask seed of the dataset ``path``: its persistent secret ``geomask`` key.

    Made once (:func:`geo.store.keys.dataset_key`) and kept beside a dataset file, never in it,
    or by a server dataset in its own settings table (which no area login may read), and never
    in any export: every export of the dataset moves a household the same way, so 12
    exports averaged give the 12 same points back, not the home (a fresh random seed per
    export let the average converge to a 35 m median error).
    """
    from geo.store.location import is_url

    if is_url(path):
        from geo.store.pg_security import server_key
        from geo.store.postgis import PostgisStore

        key = server_key(PostgisStore(str(path)), "geomask")
    else:
        from geo.store.keys import dataset_key

        key = dataset_key(path, "geomask")
    assert key is not None
    return hmac.new(key, b"childsafe-geomask", hashlib.sha256).hexdigest()


def export_view_user(actor: User, role: str | None, scope: str | None) -> User:
    """The role and scope an export is made for, checked against what ``actor`` may give out.

    An admin may export any role inside their own scope; other roles only their own role and
    a scope inside theirs.
    """
    require(actor, "export")
    role = check_role(role or actor.role)
    scope = check_scope(actor.scope if scope is None else scope)
    if not scope.startswith(actor.scope):
        raise PermissionDenied(
            f"{actor.username} may export only inside their scope {actor.scope or '*'}"
        )
    if actor.role != "admin" and role != actor.role:
        raise PermissionDenied(f"{actor.username} ({actor.role}) may not export as {role}")
    return User(actor.username, role, scope)


def watermark_line(wm: dict, lang: str = "en") -> str:
    """The one-line watermark text (in ``lang``: an Excel export is in the user's language)."""
    if lang == "zh":
        from geo.store.labels import value_label

        mask = f"地理掩蔽 {wm['geomask_m']} 米" if wm["geomask_m"] else "无地理掩蔽"
        return (f"童安地图导出 · 导出人 {wm['exported_by']}（{value_label(wm['role'], 'zh', 'role')}，"
                f"范围 {wm['scope'] or '全部'}）· {wm['exported_at']} UTC · {mask} · 内部资料，请勿外传")
    return (
        f"ChildSafe Map export for {wm['exported_by']} ({wm['role']}, scope {wm['scope'] or '*'}) "
        f"at {wm['exported_at']} UTC; geomask {wm['geomask_m'] or 'none'}; "
        "confidential: do not pass on"
    )


def export_dataset(dataset: Dataset, out: str | os.PathLike, *, actor: User,
                   role: str | None = None, scope: str | None = None,
                   geomask_m: float | None = None,
                   now: datetime | None = None, source: str | os.PathLike | None = None) -> Path:
    """Write what ``role`` in ``scope`` may see of ``dataset`` to ``out`` (.gpkg or .xlsx).

    Parameters
    ----------
    dataset
        The full dataset as read from disk.
    out
        Target file; its suffix chooses the format.
    actor
        Who exports (watermark and audit log); must have the ``export`` capability.
    role, scope
        The view to export (default: the actor's); see :func:`export_view_user`.
    geomask_m
        Displace household points within this radius (metres); ``None``: no geomask. The
        displacement comes from the dataset's own secret mask key
        (:func:`dataset_geomask_seed`); no caller chooses it.
    source
        The dataset file whose audit log records the export (default ``dataset.path``).

    Returns
    -------
    Path
        The written file.
    """
    out = Path(out)
    if out.suffix.lower() not in FORMATS:
        raise ValidationError(f"export to {', '.join(FORMATS)} only, not {out.suffix or 'no suffix'!r}")
    target = export_view_user(actor, role, scope)
    view = dataset_for(target, dataset)
    if geomask_m:
        key_of = source or dataset.path
        if key_of is None:
            raise ValidationError("地理掩蔽需要数据集文件（其掩蔽密钥在文件旁）。/ geomasking needs "
                                  "the dataset file (its mask key is kept beside it)")
        seed = dataset_geomask_seed(key_of)
        for name in PERSONAL_POINT_LAYERS:
            if name in view:
                view[name] = geomask_points(view[name], radius_m=float(geomask_m), seed=seed,
                                            key="household_id")
    when = now or now_utc()
    wm = {
        "exported_by": actor.username, "role": target.role, "scope": target.scope,
        "exported_at": when.strftime("%Y-%m-%d %H:%M:%S"),
        "geomask_m": f"{float(geomask_m):g}" if geomask_m else "",
        "source": Path(source or dataset.path or "").name,
    }
    wm["note"] = watermark_line(wm)
    layers = {name: frame for name, frame in view.items()}
    if out.suffix.lower() == ".gpkg":
        layers["watermark"] = pd.DataFrame([wm]).astype("string")
        out.parent.mkdir(parents=True, exist_ok=True)
        write_layers(out, layers)
    else:
        _write_excel(out, layers, wm)
    rows = ", ".join(f"{n} {len(f)}" for n, f in view.items() if len(f))
    log_path = source or dataset.path
    if log_path is not None:
        log_event(log_path, actor, "export",
                  f"{out.name}: role={target.role} scope={target.scope or '*'} "
                  f"geomask={wm['geomask_m'] or 'none'}; {rows}")
    logger.info("exported %s for %s: %s", out.name, target.label, rows)
    return out


def _write_excel(out: Path, layers: dict[str, pd.DataFrame], wm: dict) -> None:
    """One sheet per layer through the one table writer (geo.privacy.tables), watermarked."""
    from geo.privacy.tables import write_table
    from geo.store import settings

    note = watermark_line(wm, settings.language)  # the file's language (the CLI's --lang)
    sheets = {"watermark": pd.DataFrame({"watermark": [note],
                                         **{k: [v] for k, v in wm.items() if k != "note"}})}
    sheets.update(layers)
    write_table(out, sheets, watermark=note, places=layers.get("admin_units"))
