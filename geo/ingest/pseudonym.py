"""Personal data in imported files: find ID-card and mobile numbers, and make salted pseudonyms.

A dataset never stores a person's name, phone number or ID-card number (SCHEMA.md). An ID-card
number may still serve as a key: it is replaced by ``HMAC-SHA256(salt, number)``, cut to 16 hex
digits (64 bits), so the same number always gives the same id in one dataset (the households
ledger and the children ledger still join) while the number cannot be recovered without the
salt, and a different dataset (another salt) gives different ids. The salt is 32 random bytes
from :mod:`secrets`, kept in ``dataset.settings["pseudonym_salt"]``; it is never printed or
logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import numpy as np
import pandas as pd

SALT_KEY = "pseudonym_salt"

_ID18 = re.compile(r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_ID_IN_TEXT = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_MOBILE_IN_TEXT = re.compile(r"(?<![\d])(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def is_id_card(value: object) -> bool:
    """Whether ``value`` is an 18-digit resident ID-card number with a valid check digit (GB 11643)."""
    text = str(value).strip()
    if not _ID18.fullmatch(text):
        return False
    total = sum(int(d) * w for d, w in zip(text[:17], _WEIGHTS, strict=True))
    return _CHECK[total % 11] == text[17].upper()


def is_mobile(value: object) -> bool:
    """Whether ``value`` is an 11-digit mainland mobile number (1[3-9]xxxxxxxxx)."""
    text = re.sub(r"[\s-]", "", str(value).strip())
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return bool(_MOBILE.fullmatch(text))


def personal_mask(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Return masks of the values that are ID-card numbers and that are mobile numbers."""
    text = values.astype("string").fillna("").str.strip()
    candidates = text.str.fullmatch(_ID18.pattern).fillna(False).to_numpy(dtype=bool)
    ids = np.zeros(len(text), dtype=bool)
    if candidates.any():
        ids[candidates] = [is_id_card(v) for v in text[candidates]]
    phones = np.zeros(len(text), dtype=bool)
    maybe = text.str.len().between(11, 17).to_numpy(dtype=bool)  # 11 digits, maybe +86/-/spaces
    if maybe.any():
        compact = text[maybe].str.replace(r"[\s-]", "", regex=True).str.replace(
            r"^\+?86(?=1\d{10}$)", "", regex=True)
        phones[maybe] = compact.str.fullmatch(_MOBILE.pattern).fillna(False).to_numpy(dtype=bool)
    return ids, phones


def redact_text(values: pd.Series) -> tuple[pd.Series, int]:
    """Remove ID-card and mobile numbers inside free text; return the text and cells changed."""
    text = values.astype("string")

    def _id(m: re.Match) -> str:
        return "[removed]" if is_id_card(m.group(0)) else m.group(0)

    out = text.str.replace(_ID_IN_TEXT, _id, regex=True)
    out = out.str.replace(_MOBILE_IN_TEXT, "[removed]", regex=True)
    changed = int((out.fillna("") != text.fillna("")).sum())
    return out, changed


def ensure_salt(settings: dict[str, str]) -> str:
    """Return the dataset's pseudonym salt, creating it (32 random bytes) on first use."""
    salt = settings.get(SALT_KEY)
    if not salt:
        salt = secrets.token_hex(32)
        settings[SALT_KEY] = salt
    return salt


def pseudonym(value: object, salt: str, *, prefix: str = "") -> str:
    """Return the salted pseudonym of an identifier (an ID-card number: upper-cased, trimmed)."""
    text = str(value).strip().upper()
    digest = hmac.new(salt.encode(), text.encode(), hashlib.sha256).hexdigest()
    return f"{prefix}{digest[:16]}"


def pseudonymize(values: pd.Series, salt: str, *, prefix: str = "") -> pd.Series:
    """Replace every ID-card number in ``values`` by its pseudonym; other values stay."""
    ids, _ = personal_mask(values)
    out = values.astype("string").copy()
    if ids.any():
        out[ids] = [pseudonym(v, salt, prefix=prefix) for v in out[ids]]
    return out
