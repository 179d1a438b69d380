"""Personal data in imported files: find ID-card and mobile numbers, and make salted pseudonyms.

A dataset never stores a person's name, phone number or ID-card number (SCHEMA.md). An ID-card
number may still serve as a key: it is replaced by ``HMAC-SHA256(salt, number)``, cut to 16 hex
digits (64 bits), so the same number always gives the same id in one dataset (the households
ledger and the children ledger still join) while the number cannot be recovered without the
salt, and a different dataset (another salt) gives different ids. The salt is 32 random bytes
from :mod:`secrets`, kept in the dataset's key file beside it (:class:`SaltSource`,
:mod:`geo.store.keys`), not in the file; it is never printed or logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import numpy as np
import pandas as pd

SALT_KEY = "pseudonym_salt"

#: full-width digits and separators as ASCII (one character for one: positions stay).
_FOLD = str.maketrans({**{chr(0xFF10 + i): str(i) for i in range(10)}, "\u3000": " ",
                       "－": "-", "．": ".", "＋": "+", "（": "(", "）": ")", "—": "-",
                       "–": "-", "Ｘ": "X", "ｘ": "x", "·": "."})
_SEPARATORS = r"[\s\-.()/]"
#: ID-card numbers: 18 digits (the last may be X) or the old 15, with a plausible birth date;
#: the check digit is NOT required (a number with a wrong one is still someone's number).
_ID18 = r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
_ID15 = r"[1-9]\d{5}\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}"
_ID = re.compile(f"(?:{_ID18}|{_ID15})")
#: phones: mainland mobiles (1[3-9] and 9 digits) and landlines (area code 0xx/0xxx and 7-8
#: digits), with an optional +86/0086.
_MOBILE = re.compile(r"(?:\+?86|0086)?1[3-9]\d{9}")
_LANDLINE = re.compile(r"(?:\+?86|0086)?0[1-9]\d{1,2}\d{7,8}")
_S = r"[\s\-.]?"
_ID_IN_TEXT = re.compile(
    rf"(?<![\dA-Za-z])[1-9](?:{_S}\d){{16}}{_S}[\dXx](?![\dXx])|(?<![\dA-Za-z])[1-9](?:{_S}\d){{14}}(?![\dXx])")
_MOBILE_IN_TEXT = re.compile(rf"(?<![\d])(?:(?:\+|00)?86{_S})?1[3-9]\d(?:{_S}\d){{8}}(?!\d)")
_LANDLINE_IN_TEXT = re.compile(
    rf"(?<![\d])(?:\(0[1-9]\d{{1,2}}\)|0[1-9]\d{{1,2}}){_S}\d{{3,4}}{_S}\d{{4}}(?!\d)")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def fold_digits(value: object) -> str:
    """``value`` as text with full-width digits and separators in ASCII (same length)."""
    return str(value).translate(_FOLD)


def _compact(value: object) -> str:
    return re.sub(_SEPARATORS, "", fold_digits(value).strip())


def id_check_digit_ok(value: object) -> bool:
    """Whether an 18-digit ID-card number's check digit is right (GB 11643)."""
    text = _compact(value).upper()
    if not re.fullmatch(_ID18, text):
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == text[17]


def is_id_card(value: object) -> bool:
    """Whether ``value`` looks like a resident ID-card number: 18 or 15 digits with a birth date.

    Full-width digits, spaces, dashes and dots between digits are allowed; the check digit is
    not checked (a mistyped number is still personal data).
    """
    return bool(_ID.fullmatch(_compact(value)))


def is_mobile(value: object) -> bool:
    """Whether ``value`` is a mainland mobile number (any separators, +86, full-width digits)."""
    return bool(_MOBILE.fullmatch(_compact(value)))


def is_phone(value: object) -> bool:
    """Whether ``value`` is a mobile or landline number (``0551-6234 5678``, ``(010)12345678``)."""
    text = _compact(value)
    return bool(_MOBILE.fullmatch(text) or _LANDLINE.fullmatch(text))


def personal_mask(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return masks of the values that are ID-card numbers and that are phone numbers."""
    text = values.astype("string").fillna("").map(_compact, na_action="ignore").astype("string")
    ids = text.str.fullmatch(_ID.pattern).fillna(False).to_numpy(dtype=bool)
    phones = (text.str.fullmatch(_MOBILE.pattern).fillna(False)
              | text.str.fullmatch(_LANDLINE.pattern).fillna(False)).to_numpy(dtype=bool)
    return ids, phones & ~ids


def _redact_one(text: str) -> str:
    folded = fold_digits(text)  # same length: spans found in it are spans of ``text``
    spans = []
    for pattern in (_ID_IN_TEXT, _MOBILE_IN_TEXT, _LANDLINE_IN_TEXT):
        spans += [m.span() for m in pattern.finditer(folded)]
    if not spans:
        return text
    out, last = [], 0
    for start, end in sorted(spans):
        if start < last:
            continue
        out += [text[last:start], "[removed]"]
        last = end
    return "".join(out) + text[last:]


def redact_text(values: pd.Series) -> tuple[pd.Series, int]:
    """Remove ID-card and phone numbers inside free text; return the text and cells changed."""
    text = values.astype("string")
    out = text.map(_redact_one, na_action="ignore").astype("string")
    changed = int((out.fillna("") != text.fillna("")).sum())
    return out, changed


class SaltSource:
    """Where an import gets the pseudonym key: the dataset's key file, made on first need.

    ``path``: the dataset file; its key lives beside it (:mod:`geo.store.keys`), never in it.
    A salt found in ``settings`` (an older file) is adopted there and removed from ``settings``,
    so the ids it made stay the same and the saved file no longer holds it. Without a path (a
    dataset only in memory) the salt is kept in ``settings`` as before.
    """

    def __init__(self, settings: dict[str, str], path=None):
        from geo.store.location import is_url

        self.settings = settings
        # a server dataset keeps its salt in its settings table, which no area login may read
        # (geo.store.pg_security); the key file is a GeoPackage's
        self.path = None if path is None or is_url(path) else path
        path = self.path
        if path is not None:
            from geo.store.keys import has_key

            if SALT_KEY in settings and not has_key(path, "pseudonym"):
                self.salt()
            elif has_key(path, "pseudonym"):
                settings.pop(SALT_KEY, None)

    def salt(self) -> str:
        if self.path is None:
            salt = self.settings.get(SALT_KEY)
            if not salt:
                salt = secrets.token_hex(32)
                self.settings[SALT_KEY] = salt
            return salt
        from geo.store.keys import dataset_secret

        salt = dataset_secret(self.path, "pseudonym", adopt=self.settings.get(SALT_KEY) or None)
        self.settings.pop(SALT_KEY, None)
        return salt


def ensure_salt(source: dict[str, str] | SaltSource) -> str:
    """Return the dataset's pseudonym salt, creating it (32 random bytes) on first use."""
    if isinstance(source, SaltSource):
        return source.salt()
    return SaltSource(source).salt()


def pseudonym(value: object, salt: str, *, prefix: str = "") -> str:
    """Return the salted pseudonym of an identifier (an ID-card number: upper-cased, trimmed)."""
    text = _compact(value).upper()  # "3411 9920…", full-width digits: the same id
    digest = hmac.new(salt.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"{prefix}{digest[:16]}"


def pseudonymize(values: pd.Series, salt: str, *, prefix: str = "") -> pd.Series:
    """Replace every ID-card number in ``values`` by its pseudonym; other values stay."""
    ids, _ = personal_mask(values)
    out = values.astype("string").copy()
    if ids.any():
        out[ids] = [pseudonym(v, salt, prefix=prefix) for v in out[ids]]
    return out


def pseudonymize_personal(values: pd.Series, mask, salt: str, *, prefix: str = "") -> pd.Series:
    """Replace the values under ``mask`` (ID-card or phone numbers) by their pseudonyms."""
    out = values.astype("string").copy()
    mask = np.asarray(mask, dtype=bool)
    if mask.any():
        out[mask] = [pseudonym(v, salt, prefix=prefix) for v in out[mask]]
    return out
