"""China's public holidays and make-up working days (调休), official where published, else estimated.

Official days come from the State Council General Office's yearly notices on holiday arrangements
(国务院办公厅关于…年部分节假日安排的通知) as carried, offline, by the ``chinesecalendar``
package (``chinese_calendar.holidays`` / ``workdays``; it is updated each year when the notice
appears, usually in November). A make-up working day is a weekend day that the notice makes a
working day, and so a school day.

A year past the package's data gets an **estimate**, flagged ``estimated`` "until the State Council
publishes the year's schedule": the statutory days of the 2024 revision of the national holiday
rules (全国年节及纪念日放假办法), with the lunar ones computed by ``lunar_python``:

- New Year's Day (1 Jan), Qingming (the solar term 清明), Dragon Boat (lunar 5/5) and Mid-Autumn
  (lunar 8/15): the day itself; on a Monday or Friday it joins the weekend, on a Saturday or Sunday
  the Monday or Friday next to it is off (as every notice since 2008 has arranged them);
- Spring Festival: New Year's Eve (除夕) to the 7th day of the first lunar month (8 days, the
  shortest block the notices of 2024-2026 gave);
- Labour Day 1-5 May and National Day 1-7 October (to 8 October when Mid-Autumn falls in it).

Make-up working days cannot be estimated (they depend on how the notice bridges the holidays): an
estimated year has none, so its weekends stay days off.

API
---
``holiday_schedule(years)``
    -> DataFrame ``date, kind ("holiday" | "makeup_workday"), name, estimated``.
``estimated_years(years)``
    The years among ``years`` whose schedule is estimated.
``official_years()``
    The years the holiday package carries.
"""

from __future__ import annotations

import datetime as _dt
import functools
import logging
from collections.abc import Iterable

import pandas as pd

logger = logging.getLogger(__name__)

#: holiday names (the package's English names, and those of the estimates)
SPRING_FESTIVAL = "Spring Festival"
COLUMNS = ["date", "kind", "name", "estimated"]


@functools.cache
def _official() -> tuple[dict[_dt.date, str], dict[_dt.date, str], frozenset[int]]:
    import chinese_calendar

    holidays = {d: str(n) for d, n in chinese_calendar.holidays.items()}
    workdays = {d: str(n) for d, n in chinese_calendar.workdays.items()}
    years = frozenset(d.year for d in holidays)
    return holidays, workdays, years


def official_years() -> frozenset[int]:
    """The years whose State Council schedule the holiday package carries."""
    return _official()[2]


def estimated_years(years: Iterable[int]) -> list[int]:
    """The years among ``years`` whose holidays are estimated (no published schedule in the data)."""
    known = official_years()
    return sorted({int(y) for y in years} - known)


def _lunar(year: int, month: int, day: int) -> _dt.date:
    from lunar_python import Lunar

    s = Lunar.fromYmd(year, month, day).getSolar()
    return _dt.date(s.getYear(), s.getMonth(), s.getDay())


def _qingming(year: int) -> _dt.date:
    from lunar_python import Lunar

    s = Lunar.fromYmd(year, 3, 1).getJieQiTable()["清明"]
    return _dt.date(s.getYear(), s.getMonth(), s.getDay())


def _one_day(day: _dt.date) -> list[_dt.date]:
    """A one-day holiday with its weekend (Mon/Fri join it; on a weekend the Fri/Mon is off)."""
    wd = day.weekday()
    one = _dt.timedelta(days=1)
    if wd == 0:  # Monday: Sat-Mon
        return [day - 2 * one, day - one, day]
    if wd == 4:  # Friday: Fri-Sun
        return [day, day + one, day + 2 * one]
    if wd == 5:  # Saturday: Fri-Sun
        return [day - one, day, day + one]
    if wd == 6:  # Sunday: Sat-Mon
        return [day - one, day, day + one]
    return [day]


@functools.cache
def _estimate(year: int) -> tuple[tuple[_dt.date, str], ...]:
    def span(a: _dt.date, n: int) -> list[_dt.date]:
        return [a + _dt.timedelta(days=k) for k in range(n)]

    out: dict[_dt.date, str] = {}
    mid_autumn = _lunar(year, 8, 15)
    national = span(_dt.date(year, 10, 1), 7)
    if _dt.date(year, 10, 1) <= mid_autumn <= _dt.date(year, 10, 8):
        national = span(_dt.date(year, 10, 1), 8)
    eve = _lunar(year, 1, 1) - _dt.timedelta(days=1)
    blocks = [
        ("New Year's Day", _one_day(_dt.date(year, 1, 1))),
        (SPRING_FESTIVAL, span(eve, 8)),
        ("Tomb-sweeping Day", _one_day(_qingming(year))),
        ("Labour Day", span(_dt.date(year, 5, 1), 5)),
        ("Dragon Boat Festival", _one_day(_lunar(year, 5, 5))),
        ("Mid-autumn Festival", [] if mid_autumn in national else _one_day(mid_autumn)),
        ("National Day", national),
    ]
    for name, days in blocks:
        for d in days:
            out.setdefault(d, name)
    return tuple(sorted(out.items()))


def holiday_schedule(years: Iterable[int]) -> pd.DataFrame:
    """Holidays and make-up working days of ``years``, official where published, else estimated.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`: ``date`` (datetime64), ``kind`` (``"holiday"`` for a day off,
        ``"makeup_workday"`` for a weekend working day), ``name`` (the holiday's English name),
        ``estimated`` (True for days of a year without a published schedule).
    """
    holidays, workdays, known = _official()
    wanted = sorted({int(y) for y in years})
    rows: list[tuple[_dt.date, str, str, bool]] = []
    for year in wanted:
        if year in known:
            rows += [(d, "holiday", n, False) for d, n in holidays.items() if d.year == year]
            rows += [(d, "makeup_workday", n, False) for d, n in workdays.items()
                     if d.year == year and d.weekday() >= 5]
        else:
            logger.warning("holidays: no State Council schedule for %d in the holiday data; "
                           "using estimated holidays (lunar calendar) and no make-up working days",
                           year)
            rows += [(d, "holiday", n, True) for y in (year, year + 1) if y not in known
                     for d, n in _estimate(y) if d.year == year]
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["date"] = pd.to_datetime(frame["date"])
    frame["estimated"] = frame["estimated"].astype(bool)
    return frame.sort_values(["date", "kind"], ignore_index=True)
