"""What the writer promises about each float's text (README, "Piped output"): the
shortest digits that read back exactly, plain decimals inside a fixed range of decimal
exponents, an exponent without leading zeros outside it."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from nncalc.formats.write import delimited_rows

PLAIN = re.compile(r"-?\d+\.\d+")
EXPONENT = re.compile(r"-?\d(\.\d+)?e[+-][1-9]\d*")
RANGES = {np.float64: (1e-5, 1e16), np.float32: (1e-6, 1e13)}


def texts(values: np.ndarray) -> list[str]:
    return bytes(delimited_rows(values.reshape(1, -1))).decode().strip().split(",")


@given(st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1,
                max_size=20), st.sampled_from([np.float64, np.float32]))  # fmt: skip
def test_notation_goes_by_the_decimal_exponent(values: list[float], dtype: type) -> None:
    with np.errstate(over="ignore"):
        a = np.array(values, dtype=dtype)
    a = a[np.isfinite(a)]
    if not len(a):
        return
    low, high = RANGES[dtype]
    for v, text in zip(a.tolist(), texts(a), strict=True):
        assert dtype(float(text)) == dtype(v)  # reads back exactly
        if v == 0 or low <= abs(v) < high:
            assert PLAIN.fullmatch(text), text
        else:
            assert EXPONENT.fullmatch(text), text


def test_the_readme_examples() -> None:
    a = np.array([1.0546147851907328e-5, 1.0188724520840059e-6, 1e-7, 1e15, 1e16, 0.1])
    assert texts(a) == ["0.000010546147851907328", "1.0188724520840059e-6", "1e-7",
                        "1000000000000000.0", "1e+16", "0.1"]  # fmt: skip
    f = np.array([9.9e-6, 1e13], dtype=np.float32)
    assert texts(f) == ["0.0000099", "1e+13"]


def test_digits_are_the_shortest_that_round_trip() -> None:
    rs = np.random.RandomState(0)
    a = rs.randn(2000) * 10.0 ** rs.randint(-20, 20, 2000)
    for v, text in zip(a.tolist(), texts(a), strict=True):
        digits = len(re.sub(r"e.*|[-.]", "", text).strip("0"))
        assert digits == len(repr(v).split("e")[0].replace("-", "").replace(".", "").strip("0"))
