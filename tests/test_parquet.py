"""Parquet in and out on the local engine (polars), bit for bit."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from typer.testing import CliRunner

from nncalc.cli import app
from nncalc.errors import InputError
from nncalc.formats import Format, read_matrix, sniff
from nncalc.formats.parquet import read_parquet, write_parquet
from nncalc.formats.write import Writer
from tests.conftest import assert_one_error_line, run_nncalc
from tests.strategies import any_finite


@given(st.tuples(st.integers(1, 30), st.integers(1, 5)).flatmap(
    lambda s: arrays(np.float64, s, elements=any_finite)))  # fmt: skip
def test_write_then_read_is_bit_exact(a: np.ndarray) -> None:
    data = write_parquet(a)
    assert sniff(data) is Format.PARQUET
    m = read_matrix(io.BytesIO(data), "x.parquet")
    assert m.values.tobytes() == a.astype(np.float64).tobytes()
    assert m.header == [f"a{j}" for j in range(a.shape[1])]


def test_columns_are_named_by_the_header() -> None:
    a = np.arange(6.0).reshape(3, 2)
    frame = pl.read_parquet(io.BytesIO(Writer(Format.PARQUET, header=["p", "q"]).dumps(a)))
    assert frame.columns == ["p", "q"] and frame.to_numpy().tobytes() == a.tobytes()


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pl.DataFrame({"f1": [1.0, None]}), "column 'f1', row 2: no value (null)"),
        (pl.DataFrame({"f1": ["a"]}), "column 'f1' holds String values"),
        (pl.DataFrame({"f1": [1.0, float("inf")]}), "row 2: inf is not a finite number"),
    ],
)
def test_bad_cells_are_one_error_naming_column_and_row(frame: pl.DataFrame, message: str) -> None:
    buf = io.BytesIO()
    frame.write_parquet(buf)
    buf.seek(0)
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_parquet(buf, "x.parquet")


@pytest.mark.slow
def test_cli_reads_and_writes_parquet(tmp_path: Path, samples: Path) -> None:
    x = np.random.default_rng(2).standard_normal((50, 3))
    pl.DataFrame({f"c{j}": x[:, j] for j in range(3)}).write_parquet(tmp_path / "x.parquet")
    w, b = samples / "batch" / "weights.csv", samples / "batch" / "biases.csv"
    csv_in = tmp_path / "x.csv"
    csv_in.write_text("c0,c1,c2\n" + "".join(",".join(map(repr, map(float, r))) + "\n" for r in x))
    expected = run_nncalc("forward", str(csv_in), "-w", str(w), "-b", str(b), "-f", "csv")
    got = run_nncalc(
        "forward", str(tmp_path / "x.parquet"), "-w", str(w), "-b", str(b), "-f", "csv"
    )
    assert got.returncode == 0 and got.stdout == expected.stdout
    out = run_nncalc("forward", str(csv_in), "-w", str(w), "-b", str(b), "-o",
                     str(tmp_path / "a.parquet"))  # fmt: skip
    assert out.returncode == 0, out.stderr
    want = read_matrix(io.BytesIO(expected.stdout), "a.csv")
    frame = pl.read_parquet(tmp_path / "a.parquet")
    assert frame.columns == want.header
    assert frame.to_numpy().tobytes() == want.values.tobytes()


def test_cli_damaged_parquet_is_one_line(tmp_path: Path, samples: Path) -> None:
    (tmp_path / "x.parquet").write_bytes(b"PAR1 not really")
    proc = run_nncalc("forward", str(tmp_path / "x.parquet"), "--neurons", "2", "--seed", "0",
                      "-f", "csv")  # fmt: skip
    assert_one_error_line(proc, 1, "not a readable Parquet file")


@pytest.mark.slow
def test_argmax_to_parquet_is_one_column_of_classes(tmp_path: Path, samples: Path) -> None:
    args = [str(samples / "batch" / "inputs.csv"), "-w", str(samples / "batch" / "weights.csv"),
            "-b", str(samples / "batch" / "biases.csv"), "--classes", "p,q"]  # fmt: skip
    as_csv = run_nncalc("forward", *args, "-f", "csv")
    out = run_nncalc("forward", *args, "-o", str(tmp_path / "c.parquet"))
    assert out.returncode == 0, out.stderr
    frame = pl.read_parquet(tmp_path / "c.parquet")
    lines = as_csv.stdout.decode().split()
    want = lines[1:] if lines[0] == "class" else lines
    assert frame.columns == ["class"] and frame.get_column("class").to_list() == want


def test_a_parquet_file_streams_in_slices_bit_identical_to_csv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nncalc.formats import parquet as parquet_mod

    monkeypatch.setattr(parquet_mod, "SLICE_ROWS", 100)  # 10 slices, decoded one ahead
    rng = np.random.default_rng(5)
    x = rng.standard_normal((1000, 3))
    pl.DataFrame({f"c{j}": x[:, j] for j in range(3)}).write_parquet(tmp_path / "x.parquet")
    np.savetxt(tmp_path / "x.csv", x, delimiter=",", fmt="%.17g")
    args = ["--neurons", "4,2", "--seed", "2", "-f", "csv"]
    from_parquet = CliRunner().invoke(app, ["forward", str(tmp_path / "x.parquet"), *args])
    from_csv = CliRunner().invoke(app, ["forward", str(tmp_path / "x.csv"), *args])
    assert from_parquet.exit_code == 0, from_parquet.stderr
    body = from_parquet.stdout.split("\n", 1)[1]  # Parquet names its columns: a header line
    assert body == from_csv.stdout
    col = [*x[:, 1]]
    col[750] = None
    pl.DataFrame({"c0": x[:, 0], "c1": col, "c2": x[:, 2]}).write_parquet(tmp_path / "bad.parquet")
    bad = CliRunner().invoke(app, ["forward", str(tmp_path / "bad.parquet"), *args])
    assert bad.exit_code == 1 and "column 'c1', row 751: no value (null)" in bad.stderr
