"""Statistical division codes (统计用区划代码) as the state writes them, stored in one form.

A code names a county (6 digits, ``340121``), a township (9, ``340121100``) or a village (12,
``340121100201``). Ledgers also write every level in 12 digits padded with zeros
(``340121000000`` is the county, ``340121100000`` the township): both are read, and a code is
stored in its short form (6/9/12 digits by level). The level of a 12-digit code follows from
its zeros (no township or village part is ``000`` in the statistics office's scheme).

County codes are checked against the official list shipped in ``geo/store/data``
(:data:`COUNTY_LIST`); a code that is not in it is flagged unless it is *synthetic*
(:func:`is_synthetic_county`) and the dataset or ``settings.allow_synthetic_codes`` allows
synthetic codes (the demo county ``341199`` is one).
"""

from __future__ import annotations

import csv
import unicodedata
from functools import lru_cache
from pathlib import Path

#: digits of a code by level.
DIGITS = {"county": 6, "township": 9, "village": 12}
#: the official list: file, source and date (geo/store/data/README.md).
COUNTY_FILE = Path(__file__).with_name("data") / "county_codes_2023.csv"
COUNTY_LIST = {
    "file": str(COUNTY_FILE),
    "source": "国家统计局 2023年统计用区划代码和城乡划分代码 (NBS statistical division codes 2023)",
    "as_of": "2023-06-30",
}
#: the dataset setting that allows synthetic county codes (written by the demo generator).
SYNTHETIC_SETTING = "synthetic_codes"


def clean(code: object) -> str:
    """A code as typed, made plain: NFKC (full-width digits), no spaces; ``""`` for empty."""
    if code is None:
        return ""
    text = unicodedata.normalize("NFKC", str(code)).strip()
    if text.lower() in ("", "nan", "<na>", "none"):
        return ""
    return "".join(text.split())


def level_of(code: str) -> str | None:
    """The level a code of 6, 9 or 12 digits names (``None`` when it is not such a code).

    12 digits: ``xxxxxx000000`` is a county (or a province/city: None when digits 3-6 are
    ``0000`` or digits 5-6 are ``00``), ``xxxxxxxxx000`` a township, anything else a village.
    """
    if not code.isdigit() or not code.isascii():
        return None
    if len(code) == 12:
        if code[6:] == "000000":
            return level_of(code[:6])
        if code[9:] == "000":
            return "township"
        return "village"
    if len(code) == 9:
        return "township" if code[6:] != "000" and level_of(code[:6]) else None
    if len(code) == 6:
        return "county" if code[4:] != "00" and code[2:4] != "00" else None
    return None


def short_form(code: str) -> str:
    """The stored form of a valid code: 6/9/12 digits by its level (``340121000000`` ->
    ``340121``); any other text is returned unchanged."""
    level = level_of(code)
    return code[: DIGITS[level]] if level else code


def normalize(code: object, level: str | None = None) -> tuple[str, str | None]:
    """Read a code: ``(stored form, problem)`` where problem is ``None``, ``not_a_code`` (not 6,
    9 or 12 digits, or zeros where a level's digits must be) or ``wrong_level`` (a valid code
    of another level than ``level``)."""
    text = clean(code)
    if not text:
        return "", None
    found = level_of(text)
    if found is None:
        return text, "not_a_code"
    if level is not None and found != level:
        return short_form(text), "wrong_level"
    return short_form(text), None


def parent_of(code: str) -> str | None:
    """The code one level up (a village's township, a township's county), or None."""
    level = level_of(code)
    if level == "village":
        return code[:9]
    if level == "township":
        return code[:6]
    return None


@lru_cache(maxsize=1)
def official_counties() -> dict[str, str]:
    """The official county-level divisions: code -> name (:data:`COUNTY_LIST`)."""
    with open(COUNTY_FILE, encoding="utf-8", newline="") as f:
        return {row["code"]: row["name"] for row in csv.DictReader(f)}


def is_synthetic_county(code: str) -> bool:
    """Whether a county code is of the synthetic form, never assigned in the official list:
    the city part (digits 3-4) is 81-89 or 91-99, or the county part (digits 5-6) is 99.

    (In the 2023 list no city part is above 70 except 90, the province-administered counties,
    and no county part is 90 or above.)
    """
    if len(code) != 6 or not code.isdigit():
        return False
    city, county = int(code[2:4]), int(code[4:])
    return 81 <= city <= 99 and city != 90 or county == 99


def county_known(code: str, *, synthetic_ok: bool = False) -> bool:
    """Whether the county of a code (its first 6 digits) is in the official list, or is a
    synthetic one when ``synthetic_ok``; codes of settings.extra_county_codes count as known."""
    from geo.store import settings

    county = code[:6]
    if county in official_counties() or county in set(settings.extra_county_codes):
        return True
    return synthetic_ok and is_synthetic_county(county)


def synthetic_allowed(dataset_settings: dict[str, str] | None) -> bool:
    """Whether synthetic county codes are allowed: ``settings.allow_synthetic_codes``, or the
    dataset says so (its ``synthetic_codes`` setting, written by the demo generator, or the
    demo's own ``demo = synthetic…`` mark)."""
    from geo.store import settings

    if settings.allow_synthetic_codes:
        return True
    own = dataset_settings or {}
    return own.get(SYNTHETIC_SETTING, "") == "allowed" or own.get("demo", "").startswith("synthetic")
