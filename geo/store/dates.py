"""The one rule for reading dates typed in ledgers (docs/import.md, "Dates").

Read:

- ISO ``2024-01-05``, also with a time (``2024-01-05 08:30``, ``2024-01-05T08:30:00``) and an
  offset (``+08:00``, ``Z``): a time with an offset is turned into the county's local time
  (``settings.local_timezone``) before its date is taken; plain dates are local dates;
- year first with ``/`` or ``.`` (``2024/1/5``, ``2024.1.5``), ``2024年1月5日``, ``20240105``;
- month names with a year (``5 Jan 2024``, ``January 5, 2024``);
- Excel serial dates (``45296`` = 2024-01-05, the 1900 date system, 5 digits) and real Excel
  date cells (the reader gives them as ISO text);
- day and month with the year last (``25/01/2024``) only when just one reading is a date.

Not read, with the reason (the row is quarantined, nothing is guessed):

- ``ambiguous``: day and month cannot be told apart (``05/01/2024`` is 5 January or 1 May),
  or a two-digit year (``24/1/5``);
- ``partial``: no day or no year (``2024-01``, ``2024年1月``, ``Jan 5``, ``1月5日``);
- ``bad``: anything else, or a day that does not exist (``2024-02-30``).

Checked afterwards (:mod:`geo.store.validate`): before 1990 (``too_old``) or after today
(``future_date``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

#: dates before this are flagged (a typing error: the ledgers this project reads start later).
EARLIEST = date(1990, 1, 1)
#: Excel serial numbers of 1990-01-01 and 2099-12-31 (1900 date system, origin 1899-12-30).
_EXCEL_ORIGIN = date(1899, 12, 30)
_SERIAL_MIN, _SERIAL_MAX = 10000, 73050

_MONTHS = {m: i + 1 for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[t ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
                  r"\s*(z|[+-]\d{2}:?\d{2})?)?")
_YMD = re.compile(r"(\d{4})\s*[/.年]\s*(\d{1,2})\s*[/.月]\s*(\d{1,2})\s*日?"
                  r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DMY = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{1,2}|\d{4})")
_SERIAL = re.compile(r"\d{5}(?:\.\d+)?")
_NAMED_DMY = re.compile(r"(\d{1,2})\s+([a-z]{3,9})\.?,?\s+(\d{4})")
_NAMED_MDY = re.compile(r"([a-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})")
_PARTIAL = re.compile(
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*月?"            # 2024-01, 2024年1月
    r"|\d{4}\s*年?"                                # 2024, 2024年
    r"|\d{6}"                                      # 202401
    r"|\d{1,2}\s*月\s*\d{1,2}\s*日?"               # 1月5日
    r"|\d{1,2}\s*[/.\-]\s*\d{1,2}"                 # 1/5
    r"|[a-z]{3,9}\.?\s+\d{1,2}(?:st|nd|rd|th)?"    # Jan 5
    r"|\d{1,2}\s+[a-z]{3,9}"                       # 5 Jan
    r"|[a-z]{3,9}\.?\s+\d{4}")                     # Jan 2024


def _month(name: str) -> int | None:
    return _MONTHS.get(name[:3]) if name[:3] in _MONTHS else None


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(value: object, tz: str | None = None) -> tuple[date | None, str | None]:
    """Read one date by the module's rule.

    Returns ``(date, None)``, ``(None, None)`` for an empty value, or ``(None, reason)`` with
    reason ``ambiguous``, ``partial`` or ``bad``.
    """
    if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value):
        return None, None
    if isinstance(value, datetime):
        return value.date(), None
    if isinstance(value, date):
        return value, None
    text = str(value).strip().lower().replace("\u3000", " ")
    if not text or text in ("nan", "nat", "none", "null"):
        return None, None
    text = text.translate(str.maketrans("０１２３４５６７８９／－．：", "0123456789/-.:"))
    if m := _ISO.fullmatch(text):
        y, mo, d = int(m[1]), int(m[2]), int(m[3])
        day = _make(y, mo, d)
        if day is None:
            return None, "bad"
        if m[7] and m[4]:
            offset = "+00:00" if m[7] == "z" else m[7]
            stamp = pd.Timestamp(f"{day.isoformat()}T{int(m[4]):02d}:{m[5]}:{m[6] or '00'}{offset}")
            local = stamp.tz_convert(ZoneInfo(tz or _local_tz()))
            return local.date(), None
        return day, None
    if m := _YMD.fullmatch(text):
        day = _make(int(m[1]), int(m[2]), int(m[3]))
        return (day, None) if day else (None, "bad")
    if m := _COMPACT.fullmatch(text):
        day = _make(int(m[1]), int(m[2]), int(m[3]))
        if day is not None:
            return day, None
    if _SERIAL.fullmatch(text):
        serial = float(text)
        if _SERIAL_MIN <= serial <= _SERIAL_MAX:
            return _EXCEL_ORIGIN + timedelta(days=int(serial)), None
        return None, "bad"
    if m := _DMY.fullmatch(text):
        a, b, year = int(m[1]), int(m[2]), str(m[3])
        if len(year) <= 2:
            return None, "ambiguous"
        day_first, month_first = _make(int(year), b, a), _make(int(year), a, b)
        if day_first and month_first and day_first != month_first:
            return None, "ambiguous"
        found = day_first or month_first
        return (found, None) if found else (None, "bad")
    for pattern, order in ((_NAMED_DMY, "dmy"), (_NAMED_MDY, "mdy")):
        if m := pattern.fullmatch(text):
            d_txt, mo_txt = (m[1], m[2]) if order == "dmy" else (m[2], m[1])
            month = _month(mo_txt)
            if month is None:
                return None, "bad"
            day = _make(int(m[3]), month, int(d_txt))
            return (day, None) if day else (None, "bad")
    if _PARTIAL.fullmatch(text):
        return None, "partial"
    return None, "bad"


def _local_tz() -> str:
    from geo.store import settings

    return settings.local_timezone


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Read a column of dates by the rule.

    Returns the dates (``datetime64[ms]`` at midnight, NaT where empty or unread) and, per
    row, the reason a non-empty value was not read (``ambiguous``, ``partial``, ``bad``) or
    ``<NA>``.
    """
    tz = _local_tz()
    out: list[object] = []
    why: list[object] = []
    cache: dict[object, tuple[date | None, str | None]] = {}
    for v in values.tolist():
        key = v if isinstance(v, (str, int, float)) and v is not pd.NA else repr(v)
        if key not in cache:
            cache[key] = parse_date(v, tz)
        day, reason = cache[key]
        out.append(pd.Timestamp(day) if day is not None else pd.NaT)
        why.append(reason if reason is not None else pd.NA)
    dates = pd.Series(pd.to_datetime(pd.Series(out, dtype="object")), index=values.index)
    return dates.astype("datetime64[ms]"), pd.Series(why, index=values.index, dtype="string")


def year_of(value: object) -> object:
    """The year of a birth date (a year alone, or year and month, is enough); the value
    unchanged when no year can be read (so the check names it)."""
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return pd.NA
    text = str(value).strip()
    if not text:
        return pd.NA
    day, _ = parse_date(text)
    if day is not None:
        return str(day.year)
    m = re.fullmatch(r"(\d{4})(?:\s*[-/.年]\s*\d{1,2}\s*月?|\d{2})?", text)
    return m[1] if m else text
