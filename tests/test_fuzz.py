"""Random and near-valid bytes at every reader: a result or one clean error, never a crash."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.errors import InputError
from nncalc.formats import Format, ReadOptions, read_matrix
from nncalc.formats.jsonio import read_params
from tests.conftest import run_nncalc

FORMATS = [None, Format.CSV, Format.TSV, Format.JSON, Format.NDJSON, Format.NPZ]

csv_tokens = st.sampled_from(
    [
        "1",
        "-2.5",
        "3e4",
        " ",
        ",",
        ";",
        "\t",
        "\n",
        "\r\n",
        '"',
        "#",
        "nan",
        "inf",
        "x",
        "",
        "\ufeff",
        "1_0",
        ".",
        "-",
        "e",
        "1e999",
        "0x1",
        "[",
        "]",
    ]
)
near_csv = st.lists(csv_tokens, max_size=40).map(lambda t: "".join(t).encode())
json_values = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.floats(allow_nan=False), st.integers(), st.text(max_size=3)
    ),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=20,
)
near_json = json_values.map(lambda v: json.dumps(v).encode()) | st.builds(
    lambda v, cut: json.dumps(v).encode()[:cut], json_values, st.integers(0, 50)
)


def outcome(data: bytes, fmt: Format | None, name: str = "fuzz") -> None:
    try:
        m = read_matrix(io.BytesIO(data), name, ReadOptions(format=fmt))
    except InputError as e:
        assert "\n" not in str(e)
        return
    assert m.values.dtype == np.float64 and m.values.ndim <= 2 and m.values.size >= 1


@settings(max_examples=300)
@given(st.binary(max_size=200), st.sampled_from(FORMATS))
def test_random_bytes(data: bytes, fmt: Format | None) -> None:
    outcome(data, fmt)


@settings(max_examples=300)
@given(near_csv, st.sampled_from([None, Format.CSV, Format.TSV]))
def test_near_valid_csv(data: bytes, fmt: Format | None) -> None:
    outcome(data, fmt)


@pytest.mark.slow
@settings(max_examples=300)
@given(near_json, st.sampled_from([None, Format.JSON, Format.NDJSON]))
def test_near_valid_json(data: bytes, fmt: Format | None) -> None:
    outcome(data, fmt)
    try:
        read_params(io.BytesIO(data), "p.json")
    except InputError as e:
        assert "\n" not in str(e)


@pytest.mark.slow
@settings(max_examples=15)
@given(near_csv | near_json | st.binary(max_size=80))
def test_through_the_cli(data: bytes) -> None:
    proc = run_nncalc("forward", "-", "-p", "2", "--seed", "1", stdin=data)
    err = proc.stderr.decode()
    assert "Traceback" not in err
    if proc.returncode == 0:
        assert proc.stdout
    else:
        assert proc.returncode in (1, 2)
        assert err.count("\n") == 1 and err.startswith("nncalc: error: ")
