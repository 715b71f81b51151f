"""The CSV/TSV writer's bytes, value by value, against the reference: orjson's own text
for each float (Ryu shortest round trip), rows joined by hand.  Guards every speed-up of
the vectorised writer: whatever it does, the bytes must be these."""

from __future__ import annotations

import numpy as np
import orjson
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nncalc.formats import Format
from nncalc.formats import write as write_mod
from nncalc.formats.write import Writer, delimited_rows

EDGES = [
    0.0, -0.0, 1e-7, -1e-7, 1.5e300, -1.5e300, 5e-324, -5e-324, 2.5e-320, 2.2250738585072014e-308,
    2.225073858507201e-308, 1.7976931348623157e308, 0.05999999999999989, 0.1, 1e-5, 1e-6, 1e15,
    1e16, 1e21, 1e22, 9007199254740993.0, 123456789.125, 1.0, 100.0,
]  # fmt: skip
NONFINITE = [float("nan"), float("inf"), float("-inf")]

float64s = st.one_of(st.floats(width=64), st.sampled_from(EDGES))  # nan, ±inf, subnormals
F32_EDGES = [0.0, -0.0, 1e-7, 0.1, 1e-40, -1e-45, 1.1754942e-38, 3.4028235e38, 16777217.0, 1e-5]
float32s = st.one_of(st.floats(width=32), st.sampled_from(F32_EDGES))  # 1e-40: subnormal


def reference_cell(v: float, single: bool = False) -> bytes:
    if v != v:
        return b"nan"
    if v in (float("inf"), float("-inf")):
        return b"inf" if v > 0 else b"-inf"
    if single:  # float32's own shortest form (0.22, not 0.2199999988079071)
        return orjson.dumps(np.array([v], dtype=np.float32), option=orjson.OPT_SERIALIZE_NUMPY)[
            1:-1
        ]
    return orjson.dumps(v)


def reference(a: np.ndarray, delimiter: bytes = b",") -> bytes:
    """Every value as orjson spells it (a Python float, or a float32 in float32's shortest
    form, as the writer does since float32 runs print float32 text), one line per row."""
    single = a.dtype == np.float32
    rows = np.atleast_2d(a)
    return b"".join(
        delimiter.join(reference_cell(float(v), single) for v in row) + b"\n" for row in rows
    )


def shapes(dtype: type, elements: st.SearchStrategy[float]) -> st.SearchStrategy[np.ndarray]:
    return st.tuples(st.integers(1, 40), st.integers(1, 9)).flatmap(
        lambda s: arrays(dtype, s, elements=elements)
    )


@given(shapes(np.float64, float64s), st.sampled_from([",", "\t"]))
def test_float64_rows_are_the_reference_bytes(a: np.ndarray, delimiter: str) -> None:
    assert bytes(delimited_rows(a, delimiter)) == reference(a, delimiter.encode())


@given(shapes(np.float32, float32s))
def test_float32_rows_are_the_reference_bytes(a: np.ndarray) -> None:
    assert bytes(delimited_rows(a)) == reference(a)


@given(shapes(np.float64, float64s))
def test_writer_blocks_join_to_the_reference(a: np.ndarray) -> None:
    cut = len(a) // 2
    w = Writer(Format.CSV)
    assert b"".join(bytes(x) for x in w.encode([a[:cut], a[cut:]])) == reference(a)


def test_every_edge_value_in_one_row() -> None:
    row = np.array([EDGES + NONFINITE])
    assert bytes(delimited_rows(row)) == reference(row)
    assert bytes(delimited_rows(row)).split(b",")[:4] == [b"0.0", b"-0.0", b"1e-7", b"-1e-7"]
    assert b",1.5e+300," in bytes(delimited_rows(row))


TEXT_FORMATS = [Format.CSV, Format.TSV, Format.JSON, Format.NDJSON]


@given(shapes(np.float64, float64s), st.integers(1, 30), st.sampled_from(TEXT_FORMATS))
def test_pieces_of_a_block_are_the_whole_blocks_bytes(
    a: np.ndarray, piece: int, fmt: Format
) -> None:
    """Large blocks are formatted PIECE_VALUES values at a time (bounded scratch memory);
    the bytes must not depend on it, in any text format."""
    whole = Writer(fmt).dumps(a)
    saved = write_mod.PIECE_VALUES
    write_mod.PIECE_VALUES = piece
    try:
        pieces = Writer(fmt).dumps(a)
    finally:
        write_mod.PIECE_VALUES = saved
    assert pieces == whole
    if fmt in (Format.CSV, Format.TSV):
        assert whole == reference(a, b"\t" if fmt is Format.TSV else b",")
