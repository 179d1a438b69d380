"""Column coercion: the fast path for text read through GDAL's Arrow stream gives what the
general path gives for the same values."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo.store.frames import coerce_column

_SPACES = [" ", "\t", "\n", "\u3000", "\u00a0", "\u2003", "\x1f", "\r\n"]
_WORDS = ["", "a", "村", "留守儿童", "C341199-000001", "0", "1.0", "nan", "None"]


def _texts():
    word = st.one_of(st.sampled_from(_WORDS), st.text(max_size=6))
    padded = st.tuples(st.lists(st.sampled_from(_SPACES), max_size=2), word,
                       st.lists(st.sampled_from(_SPACES), max_size=2)).map(
        lambda t: "".join(t[0]) + t[1] + "".join(t[2]))
    return st.lists(st.one_of(padded, st.none()), max_size=12)


@hsettings(max_examples=300, deadline=None)
@given(_texts())
def test_arrow_text_is_coerced_as_any_text(values):
    general, bad_general = coerce_column(pd.Series(values, dtype=object, name="x"), "text")
    for dtype in ("str", "string[pyarrow]"):
        fast, bad_fast = coerce_column(pd.Series(values, dtype=dtype, name="x"), "text")
        pd.testing.assert_series_equal(fast, general)
        assert not bad_fast.any() and not bad_general.any()


@pytest.mark.parametrize("values, expected", [
    ([" a ", "\u3000村\u3000", "", "  ", None], ["a", "村", pd.NA, pd.NA, pd.NA]),
    ([], []),
])
def test_arrow_text_is_stripped_and_blank_is_missing(values, expected):
    out, bad = coerce_column(pd.Series(values, dtype="str", index=range(10, 10 + len(values))), "text")
    assert str(out.dtype) == "string" and list(out.index) == list(range(10, 10 + len(values)))
    assert out.tolist() == expected and not bad.any()
