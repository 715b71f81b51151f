"""Real data without pre-processing (issue 14): per-file read options, hints that name
the file and the option, column and row selection, scikit-learn's CSV layouts."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from nncalc import forward
from nncalc.cli import app
from nncalc.errors import InputError, UsageError
from nncalc.formats import ReadOptions, open_rows, read_matrix
from nncalc.formats.spec import literal, split_options
from nncalc.formats.write import Writer
from tests.conftest import assert_one_error_line, run_nncalc
from tests.sklearn_layouts import LAYOUTS, features, write_sklearn_csv

runner = CliRunner()
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


def invoke(*args: str | Path, stdin: bytes | None = None):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], input=stdin, env=ENV)


def one_error(r, code: int, contains: str) -> None:  # type: ignore[no-untyped-def]
    """A CliRunner result that failed with exactly one error line (no traceback)."""
    lines = r.stderr.strip().splitlines()
    assert r.exit_code == code and len(lines) == 1, (r.exit_code, r.stderr)
    assert lines[0].startswith("nncalc: error: ") and contains in lines[0], lines[0]


def csv_values(text: str) -> np.ndarray:
    return read_matrix(io.BytesIO(text.encode()), "out").values


X3 = "1,2\n3,4\n5,6\n"  # three samples, no header
W_HEADERISH = "0,1\n0.5,-1\n2,0.25\n"  # column labels 0,1 on top of a 2×2 W


# -- read options belong to the file they describe ------------------------------------
def test_split_options_parses_the_suffix() -> None:
    assert split_options("w.csv?header=1&delimiter=semicolon&decimal=,&skip_rows=2") == (
        "w.csv",
        {"header": True, "delimiter": ";", "decimal": ",", "skip_rows": 2},
    )
    assert split_options("w.csv?header=no&format=tsv")[1]["header"] is False
    for bad in ("w.csv?colour=red", "w.csv?header=maybe", "w.csv?decimal=;", "w.csv?header"):
        with pytest.raises(UsageError):
            split_options(bad)


def test_a_file_that_has_the_name_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("w.csv?header=1").write_text("1\n")
    assert split_options("w.csv?header=1") == ("w.csv?header=1", {})
    Path("0.5").write_text("0.25\n")
    (tmp_path / "x.csv").write_text("1\n")
    r = invoke("forward", "x.csv", "-w", "w.csv?header=1", "-b", "0.5", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert csv_values(r.stdout).tolist() == [[1.25]]  # 1·1 + 0.25 from the file "0.5"


def test_literal_biases() -> None:
    assert literal("0.5").tolist() == 0.5
    assert literal("0.5,-0.5").tolist() == [0.5, -0.5]
    for name in ("b.csv", "1,x", "nan", "1_0", "", "1,,2"):
        assert literal(name) is None


@pytest.mark.parametrize("bias", ["0.5", "0.5,0.5", "-0.5"])
def test_b_as_numbers_on_the_command_line(tmp_path: Path, bias: str) -> None:
    (tmp_path / "x.csv").write_text(X3)
    (tmp_path / "w.csv").write_text("1,0\n0,1\n")
    r = invoke("forward", tmp_path / "x.csv", "-w", tmp_path / "w.csv", "-b", bias, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    b = np.array([float(v) for v in bias.split(",")])
    want = forward(np.array([[1, 2], [3, 4], [5, 6]]), np.eye(2), b).a
    assert csv_values(r.stdout).tobytes() == want.tobytes()


# The course's first three steps, typed as the course writes them (its printed answers).
NNFS_X = "1,2,3,2.5;2,5,-1,2;-1.5,2.7,3.3,-0.8"
NNFS_W = "0.2,0.8,-0.5,1;0.5,-0.91,0.26,-0.5;-0.26,-0.27,0.17,0.87"  # one row per neuron


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["1,2,3", "-w", "0.2,0.8,-0.5", "-b", "2"], [[2.3]]),  # a neuron
        (["1,2,3,2.5", "-w", NNFS_W, "-b", "2,3,0.5", "--layout", "out-in"],
         [[4.8, 1.21, 2.385]]),  # a layer
        ([NNFS_X, "-w", NNFS_W, "-b", "2,3,0.5", "--layout", "out-in", "--activation", "linear"],
         [[4.8, 1.21, 2.385], [8.9, -1.81, 0.2], [1.41, 1.051, 0.026]]),  # a batch
    ],
)  # fmt: skip
def test_numbers_typed_on_the_command_line(args: list[str], want: list[list[float]]) -> None:
    r = invoke("forward", *args, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    x, w, b = (literal(args[k]) for k in (0, 2, 4))
    assert x is not None and w is not None and b is not None
    ref = np.atleast_2d(x) @ np.ascontiguousarray(w.T if w.ndim == 2 else w.reshape(-1, 1)) + b
    got = csv_values(r.stdout)
    assert got.tobytes() == np.maximum(ref, 0).tobytes() or "linear" in args
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (
        "z1 = a1·w11 + a2·w21 + a3·w31 + b1\n"
        "   = (1)(0.2) + (2)(0.8) + (3)(-0.5) + 2 = 2.3 → ReLU → 2.3"
        in invoke("explain", "1,2,3", "-w", "0.2,0.8,-0.5", "-b", "2").stdout
    )


# The same, pasted from the notebook as Python lists (or as numpy prints them, or spaced).
NB_X = "[[1,2,3,2.5],[2,5,-1,2],[-1.5,2.7,3.3,-0.8]]"
NB_W = "[[0.2,0.8,-0.5,1],[0.5,-0.91,0.26,-0.5],[-0.26,-0.27,0.17,0.87]]"


@pytest.mark.parametrize(
    ("args", "want"),
    [
        (["[1,2,3,2.5]", "-w", "[0.2,0.8,-0.5,1.0]", "-b", "2"], [[4.8]]),  # a neuron
        (["1 2 3 2.5", "-w", "0.2 0.8 -0.5 1.0", "-b", "2"], [[4.8]]),
        (["[1, 2, 3, 2.5]", "-w", NB_W, "-b", "[2,3,0.5]", "--layout", "out-in"],
         [[4.8, 1.21, 2.385]]),  # a layer
        ([NB_X, "-w", NB_W, "-b", "[2, 3, 0.5]", "--layout", "out-in", "--activation", "linear"],
         [[4.8, 1.21, 2.385], [8.9, -1.81, 0.2], [1.41, 1.051, 0.026]]),  # a batch
        (["[[1. 2. 3. 2.5]\n [2. 5. -1. 2.]]", "-w", NB_W.replace(",", " "), "-b", "2 3 0.5",
          "--layout", "out-in"], [[4.8, 1.21, 2.385], [8.9, 0, 0.2]]),  # numpy's print
    ],
)  # fmt: skip
def test_numbers_pasted_from_the_notebook(args: list[str], want: list[list[float]]) -> None:
    r = invoke("forward", *args, "-f", "csv")
    assert r.exit_code == 0, r.stderr
    np.testing.assert_allclose(csv_values(r.stdout), want, rtol=1e-12, atol=1e-15)
    # the same bytes as the ';'-separated form of the same numbers
    classic = [NNFS_X if a == NB_X else NNFS_W if a == NB_W else a for a in args]
    if classic != args:
        assert invoke("forward", *classic, "-f", "csv").stdout == r.stdout


def test_notebook_lists_that_are_not_numbers() -> None:
    with pytest.raises(UsageError, match=r"rows of 1, 2 numbers; a matrix needs the same"):
        literal("[[1],[2,3]]")
    for name in ("[]", "[1,[2]]", "[[[1]]]", "[1,,2]", "[1,2", "[1,2]]", "[nan]",
                 "[x]", "[1,2],[3,4]"):  # fmt: skip
        assert literal(name) is None, name
    assert literal("[[1,2]]").shape == (1, 2) and literal("[2]").shape == (1,)


def test_a_ragged_notebook_list_is_one_error_line() -> None:
    r = run_nncalc("forward", "[[1,2],[3]]", "-w", "[1,2]", "-b", "0")
    assert_one_error_line(r, 2, "[[1,2],[3]]: rows of 2, 1 numbers")


def test_notebook_list_loses_to_a_file(tmp_path: Path) -> None:
    (tmp_path / "[1,2]").write_text("5,5\n")
    r = run_nncalc("forward", "[1,2]", "-w", "[1, 2]", "-b", "0", "-f", "csv", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == b"15.0\n", r.stderr  # [5,5]·[1,2]


@pytest.mark.slow
def test_numbers_on_the_command_line_lose_to_a_file_and_need_equal_rows(tmp_path: Path) -> None:
    (tmp_path / "1,2").write_text("5,5\n")  # a file of that name wins
    r = run_nncalc("forward", "1,2", "-w", "1,2", "-b", "0", "-f", "csv", cwd=tmp_path)
    assert r.returncode == 0 and r.stdout == b"50.0\n", r.stderr  # [5,5]·[5,5]
    r = run_nncalc("forward", "1,2;3", "-w", "1,2", "-b", "0", cwd=tmp_path)
    assert_one_error_line(r, 1, "1,2;3: no such file")  # rows of unequal length: not numbers
    r = run_nncalc("forward", "-1,2", "-w", "1,2", "-b", "0")
    assert_one_error_line(r, 2, "numbers that start with '-' as X go last, after '--'")
    r = run_nncalc("forward", "-w", "1,2", "-b", "0", "--", "-1,2")
    assert r.returncode == 0 and r.stdout == b"3.0\n", r.stderr


def test_header_for_w_no_longer_eats_a_sample(tmp_path: Path) -> None:
    """Once, --header to fix W's labels also dropped X's first sample (exit 0)."""
    (tmp_path / "x.csv").write_text(X3)
    (tmp_path / "w.csv").write_text(W_HEADERISH)
    x, w = tmp_path / "x.csv", str(tmp_path / "w.csv")
    r = invoke("forward", x, "-w", w + "?header=1", "-b", "0,0", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    want = forward(np.array([[1, 2], [3, 4], [5, 6]]), [[0.5, -1], [2, 0.25]], [0, 0]).a
    assert csv_values(r.stdout).tobytes() == want.tobytes()  # all three samples
    # --header is X's own: it can no longer reach W (W keeps its three rows, so the
    # shapes disagree and say so, rather than silently dropping X's row)
    (tmp_path / "xh.csv").write_text("f1,f2\n" + X3)
    r = invoke("forward", tmp_path / "xh.csv", "--header", "-w", w, "-b", "0,0", "-f", "csv")
    assert r.exit_code == 1
    assert f"{w}: the first row may be a header (0,1): if so, use '{w}?header=1'" in r.stderr
    proc = run_nncalc("forward", str(tmp_path / "xh.csv"), "-w", w, "-b", "0,0", "-f", "table")
    assert_one_error_line(proc, 1, "the first row may be a header (0,1)")
    r = invoke("forward", tmp_path / "xh.csv", "--header", "-w", w + "?header=1", "-b", "0,0")
    assert r.exit_code == 0, r.stderr
    assert r.stdout.splitlines()[0] == "0,1"  # W's column names head A's columns
    assert len(r.stdout.splitlines()) == 4


def test_verbose_reports_each_file_and_the_likely_header(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text(X3)
    (tmp_path / "w.csv").write_text("0,1\n0.5,-1\n")
    r = invoke("forward", tmp_path / "x.csv", "-w", tmp_path / "w.csv", "-b", "0", "-v",
               "-f", "csv")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    lines = r.stderr.splitlines()
    assert any(ln.startswith(f"nncalc: {tmp_path / 'x.csv'}: format csv") for ln in lines)
    w_line = next(ln for ln in lines if f"{tmp_path / 'w.csv'}:" in ln)
    assert "the first row may be a header (0,1)" in w_line
    assert f"'{tmp_path / 'w.csv'}?header=1'" in w_line
    assert any("0: format csv" in ln and "command line" in ln for ln in lines)


def test_semicolon_decimal_comma_x_with_an_ordinary_w(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a;b\n-0,9;1,5\n2;0,25\n")
    (tmp_path / "w.csv").write_text("0.5,1\n-1,2\n")
    x, w = tmp_path / "x.csv", tmp_path / "w.csv"
    r = invoke("forward", x, "--decimal", ",", "-w", w, "-b", "0.5,0.5", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    want = forward([[-0.9, 1.5], [2, 0.25]], [[0.5, 1], [-1, 2]], [0.5, 0.5]).a
    assert csv_values(r.stdout).tobytes() == want.tobytes()
    # without it: one line naming the option
    proc = run_nncalc("forward", str(x), "-w", str(w), "-b", "0.5")
    hint = "'-0,9' is not a number (semicolons detected: is it --decimal ,?)"
    assert_one_error_line(proc, 1, hint)


def test_decimal_comma_w_is_forced_on_its_own_name(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("1,2\n")
    (tmp_path / "w.csv").write_text("0,5;1\n-1;2\n")
    w = str(tmp_path / "w.csv")
    r = invoke("forward", tmp_path / "x.csv", "-w", w, "-b", "0")
    assert r.exit_code == 1 and f"is it '{w}?decimal=,'?" in r.stderr
    r = invoke("forward", tmp_path / "x.csv", "-w", w + "?decimal=,", "-b", "0", "-f", "csv")
    assert r.exit_code == 0 and csv_values(r.stdout).tolist() == [[0.0, 5.0]]


def test_a_mixed_first_row_is_named_a_header(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("sample,name,2020\n1,2,3\n")
    r = invoke("forward", tmp_path / "x.csv", "-p", "2", "--seed", "1")
    assert r.exit_code == 1
    assert f"(row 1 of {tmp_path / 'x.csv'} is its header (use --header))" in r.stderr


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        # a first row of numbers and one word: a header of numbered columns, or labels
        ("sample,0,1\n1,2,3\n", "(if row 1 of {x} is a header, use --header; if column 1 "
         "holds text: keep it beside A with --id-column 1, or leave it out with "
         "--drop-columns 1)"),
        ("5.1,3.5,setosa\n4.9,3,setosa\n", "if column 3 holds text: keep it beside A with "
         "--id-column 3"),
        # under a header, a text column is named by its header
        ("a,b,species\n5.1,3.5,setosa\n", "(column species holds text: keep it beside A "
         "with --id-column species, or leave it out with --drop-columns species)"),
    ],
)  # fmt: skip
def test_a_text_column_is_named_with_the_options_for_it(
    tmp_path: Path, text: str, hint: str
) -> None:
    x = tmp_path / "x.csv"
    x.write_text(text)
    one_error(invoke("forward", x, "-p", "1", "--seed", "1"), 1, hint.format(x=x))


# -- scikit-learn's layouts --------------------------------------------------------------
@pytest.mark.parametrize("name", list(LAYOUTS))
def test_sklearn_csv_with_skip_rows_and_columns(tmp_path: Path, name: str) -> None:
    path = write_sklearn_csv(tmp_path, name)
    n, _ = LAYOUTS[name]
    x, y = features(name)
    bare = invoke("forward", path, "-p", "2", "--seed", "0", "-f", "csv")
    assert bare.exit_code == 1
    assert f"row 1 of {path} is scikit-learn's preamble, 6 samples × {n} features" in bare.stderr
    assert "use --skip-rows 1" in bare.stderr
    for pick in (["--columns", f"1-{n}"], ["--drop-columns", str(n + 1)], ["--columns", f"-{n}"]):
        r = invoke("forward", path, "--skip-rows", "1", *pick, "-p", "2", "--seed", "0",
                   "-f", "csv")  # fmt: skip
        assert r.exit_code == 0, r.stderr
        rs = np.random.RandomState(0)
        w, b = rs.randn(n, 2), rs.randn(2)
        assert csv_values(r.stdout).tobytes() == forward(x, w, b).a.tobytes()
    # the target kept as the row label
    r = invoke("forward", path, "--skip-rows", "1", "--id-column", str(n + 1), "-p", "2",
               "--seed", "0", "-f", "csv")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    assert [ln.split(",")[0] for ln in r.stdout.splitlines()] == [str(t) for t in y]


def test_columns_by_name_and_position_mixed(tmp_path: Path) -> None:
    (tmp_path / "iris.csv").write_text(
        "sepal_length,sepal_width,petal_length,petal_width,species\n"
        "5.1,3.5,1.4,0.2,setosa\n6.3,3.3,6.0,2.5,virginica\n"
    )
    x = tmp_path / "iris.csv"
    picks = {
        "sepal_length,petal_width": [[5.1, 0.2], [6.3, 2.5]],
        "1-2,petal_width": [[5.1, 3.5, 0.2], [6.3, 3.3, 2.5]],
        "4,1": [[0.2, 5.1], [2.5, 6.3]],
    }
    for spec, want in picks.items():
        m = read_matrix(io.BytesIO(x.read_bytes()), str(x), ReadOptions(columns=spec))
        assert m.values.tolist() == want
    drop = ReadOptions(drop_columns="species,sepal_width")
    m = read_matrix(io.BytesIO(x.read_bytes()), str(x), drop)
    assert m.values.tolist() == [[5.1, 1.4, 0.2], [6.3, 6.0, 2.5]]
    assert m.header == ["sepal_length", "petal_length", "petal_width"]
    for spec, msg in [("7", "names column 7 but the file has 5"), ("colour", "no column named"),
                      ("3-1", "runs backwards")]:  # fmt: skip
        with pytest.raises(InputError, match=msg):
            read_matrix(io.BytesIO(x.read_bytes()), str(x), ReadOptions(columns=spec))
    with pytest.raises(InputError, match="no columns left"):
        only_id = ReadOptions(columns="5", id_column="species")
        read_matrix(io.BytesIO(x.read_bytes()), str(x), only_id)
    with pytest.raises(InputError, match="has no header"):
        read_matrix(io.BytesIO(b"1,2\n"), "x.csv", ReadOptions(columns="a"))


@pytest.mark.slow
def test_species_carried_through_the_pipe(tmp_path: Path) -> None:
    (tmp_path / "iris.csv").write_text(
        "sepal_length,petal_width,species\n5.1,0.2,setosa\n6.3,2.5,virginica\n"
    )
    (tmp_path / "w.csv").write_text("1,0\n0,1\n")
    args = ["forward", str(tmp_path / "iris.csv"), "-w", str(tmp_path / "w.csv"), "-b", "0,0",
            "--id-column", "species"]  # fmt: skip
    proc = run_nncalc(*args)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.decode() == "species,n0,n1\nsetosa,5.1,0.2\nvirginica,6.3,2.5\n"
    proc = run_nncalc(*args, "-f", "tsv")
    assert proc.stdout.decode().splitlines()[1] == "setosa\t5.1\t0.2"
    proc = run_nncalc(*args, "-f", "json")
    assert json.loads(proc.stdout) == [{"id": "setosa", "a": [5.1, 0.2]},
                                       {"id": "virginica", "a": [6.3, 2.5]}]  # fmt: skip
    assert_one_error_line(run_nncalc(*args, "-f", "parquet", "-o", str(tmp_path / "a.parquet")),
                          2, "--id-column labels rows in CSV, TSV, JSON or NDJSON")  # fmt: skip
    # through stdin as well
    proc = run_nncalc(*args[:1], "-", *args[2:], stdin=(tmp_path / "iris.csv").read_bytes())
    assert proc.stdout.decode().splitlines()[2] == "virginica,6.3,2.5"


def test_pandas_index_column_is_not_a_feature(tmp_path: Path) -> None:
    (tmp_path / "df.csv").write_text(",a,b\n0,1.5,2\n1,3,4\n")
    m = read_matrix(io.BytesIO((tmp_path / "df.csv").read_bytes()), "df.csv")
    assert m.values.tolist() == [[1.5, 2.0], [3.0, 4.0]] and m.header == ["a", "b"]
    assert "index" in m.detected()


def test_ids_follow_rows_across_blocks_and_reblocking() -> None:
    """Labels are queued per input block and taken per output block, by row count."""
    from nncalc.formats import delimited

    rows = "".join(f"{i},{i * 0.5},row{i}\n" for i in range(5000)).encode()
    old = delimited.CHUNK_BYTES
    delimited.CHUNK_BYTES = 1000  # many small chunks, parsed ahead in a thread
    try:
        reader = open_rows(io.BytesIO(rows), "x.csv", ReadOptions(id_column="3"))
        assert reader.ids is not None
        writer = Writer(__import__("nncalc").formats.Format.CSV, ids=reader.ids)
        blocks = np.concatenate(list(reader.blocks()))
        out = b"".join(writer.block(blocks[i : i + 777]) for i in range(0, 5000, 777))
    finally:
        delimited.CHUNK_BYTES = old
    lines = out.decode().splitlines()
    assert len(lines) == 5000
    assert lines[4321] == f"row4321,4321.0,{4321 * 0.5!r}"


def test_writer_quotes_labels_that_need_it() -> None:
    from collections import deque

    from nncalc.formats import Format

    w = Writer(Format.CSV, header=["a1"], ids=deque([["x,y", 'say "hi"']]), id_name="name")
    assert w.dumps(np.array([[1.0], [2.0]])) == b'name,a1\n"x,y",1.0\n"say ""hi""",2.0\n'


def test_json_output_untouched_by_selection(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("a,b,c\n1,2,3\n")
    r = invoke("forward", tmp_path / "x.csv", "--columns", "a,c", "-w", "1,0", "-b", "0",
               "-f", "json")  # fmt: skip
    assert r.exit_code == 0 and json.loads(r.stdout) == [[1.0]]  # W typed in: [1, 0]
    (tmp_path / "w.csv").write_text("1\n1\n")
    r = invoke("forward", tmp_path / "x.csv", "--columns", "a,c", "-w", tmp_path / "w.csv",
               "-b", "0", "-f", "json")  # fmt: skip
    assert r.exit_code == 0 and json.loads(r.stdout) == [[4.0]]


# -- the files people have -----------------------------------------------------------------
def _compressors() -> dict[str, object]:
    import bz2
    import gzip
    import lzma

    from nncalc.formats.compressed import _zstd

    zstd = _zstd()
    assert zstd is not None, "the test extra installs backports.zstd: .zst must be tested"
    return {".gz": gzip.compress, ".bz2": bz2.compress, ".xz": lzma.compress,
            ".zst": zstd.compress}  # fmt: skip


@pytest.mark.parametrize("suffix", [".gz", ".bz2", ".xz", ".zst"])
def test_compressed_inputs_by_file_and_stdin(tmp_path: Path, suffix: str) -> None:
    squeeze = _compressors()[suffix]
    x = "a,b\n" + "".join(f"{i},{-i / 7!r}\n" for i in range(3000))
    path = tmp_path / f"x.csv{suffix}"
    path.write_bytes(squeeze(x.encode()))  # type: ignore[operator]
    (tmp_path / "w.csv").write_text("1,2\n3,4\n")
    w = tmp_path / "w.csv"
    plain = invoke("forward", "-", "-w", w, "-b", "0.5", "-f", "csv", stdin=x.encode())
    by_file = invoke("forward", path, "-w", w, "-b", "0.5", "-v", "-f", "csv")
    by_pipe = run_nncalc("forward", "-", "-w", str(w), "-b", "0.5", stdin=path.read_bytes())
    assert plain.exit_code == by_file.exit_code == by_pipe.returncode == 0, by_file.stderr
    assert by_file.stdout == by_pipe.stdout.decode() == plain.stdout
    kind = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}[suffix]
    assert f"{kind}-compressed" in by_file.stderr


def test_a_damaged_gzip_is_one_error_line(tmp_path: Path) -> None:
    import gzip

    data = gzip.compress(b"1,2\n3,4\n" * 1000)
    (tmp_path / "cut.csv.gz").write_bytes(data[: len(data) // 2])
    proc = run_nncalc("forward", str(tmp_path / "cut.csv.gz"), "-p", "2", "--seed", "1")
    assert_one_error_line(proc, 1, "gzip stream ends early")


def test_sklearn_diabetes_and_digits_gz(tmp_path: Path) -> None:
    from tests.sklearn_layouts import diabetes, digits

    path, x = diabetes(tmp_path)  # space-separated, compressed
    r = invoke("forward", path, "-p", "3", "--seed", "2", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    rs = np.random.RandomState(2)
    assert csv_values(r.stdout).tobytes() == forward(x, rs.randn(10, 3), rs.randn(3)).a.tobytes()
    path, x = digits(tmp_path)  # 64 pixels and the digit
    proc = run_nncalc("forward", "-", "--columns", "1-64", "--id-column", "65", "-p", "2",
                      "--seed", "2", stdin=path.read_bytes())  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.decode().splitlines()
    assert [ln.split(",")[0] for ln in lines] == [str(int(v)) for v in x[:, 64]]
    rs = np.random.RandomState(2)
    want = forward(x[:, :64], rs.randn(64, 2), rs.randn(2)).a
    got = np.array([[float(v) for v in ln.split(",")[1:]] for ln in lines])
    assert got.tobytes() == want.tobytes()


def test_npy_inputs_and_weights(tmp_path: Path) -> None:
    x = np.array([[1.0, -2.0], [0.5, 3.0]])
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "w.npy", np.asfortranarray([[1.0, 2.0], [3.0, 4.0]]))
    np.save(tmp_path / "b.npy", np.array([0.5, -0.5], dtype=np.float32))
    r = invoke("forward", tmp_path / "x.npy", "-w", tmp_path / "w.npy", "-b",
               tmp_path / "b.npy", "-f", "csv")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    want = forward(x, [[1.0, 2.0], [3.0, 4.0]], [0.5, -0.5]).a
    assert csv_values(r.stdout).tobytes() == want.tobytes()
    proc = run_nncalc("forward", "-", "-w", str(tmp_path / "w.npy"), "-b", "0,0",
                      stdin=(tmp_path / "x.npy").read_bytes())  # fmt: skip
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.array([{"a": 1}], dtype=object), "holds object values"),
        (np.array(["1.5"]), "holds <U3 values"),
        (np.zeros((2, 2, 2)), "3-D array"),
        (np.array([1.0, np.nan]), "not a finite number"),
    ],
)
def test_npy_refusals_never_unpickle(tmp_path: Path, array: np.ndarray, message: str) -> None:
    np.save(tmp_path / "x.npy", array, allow_pickle=True)
    one_error(invoke("forward", tmp_path / "x.npy", "-p", "1", "--seed", "1"), 1, message)


def test_truncated_npy(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.arange(100.0))
    data = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "x.npy").write_bytes(data[:-8])
    assert_one_error_line(run_nncalc("forward", str(tmp_path / "x.npy"), "-p", "1"), 1,
                          "ends early")  # fmt: skip


def test_json_records_and_ndjson_objects(tmp_path: Path) -> None:
    (tmp_path / "r.json").write_text('[{"a": 1, "b": 2}, {"b": 4, "a": 3}]')
    (tmp_path / "r.ndjson").write_text('{"a": 1, "b": 2}\n{"b": 4, "a": 3}\n')
    (tmp_path / "piped").write_text('{"a": 1, "b": 2}\n{"b": 4, "a": 3}\n')
    for name in ("r.json", "r.ndjson", "piped"):
        m = read_matrix(io.BytesIO((tmp_path / name).read_bytes()), name)
        assert m.values.tolist() == [[1.0, 2.0], [3.0, 4.0]], name
        assert m.header == ["a", "b"] and "keys a, b" in m.detected()
    r = invoke("forward", tmp_path / "r.ndjson", "--columns", "b", "-w", "1", "-b", "0",
               "-f", "csv")  # fmt: skip
    assert r.exit_code == 0 and r.stdout == "n0\n2.0\n4.0\n"  # "-w 1": W is the number 1
    (tmp_path / "w.csv").write_text("2\n")
    r = invoke("forward", tmp_path / "r.ndjson", "--columns", "b", "-w", tmp_path / "w.csv",
               "-b", "0", "-f", "csv")  # fmt: skip
    assert r.exit_code == 0 and r.stdout == "n0\n4.0\n8.0\n"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("r.json", '[{"a": 1, "b": 2}, {"a": 3}]', "r.json: record [1] has no 'b'"),
        ("r.json", '[{"a": 1}, {"a": "x"}]', "record [1]['a'] is \"x\", not a number"),
        ("r.ndjson", '{"a": 1, "b": 2}\n{"a": 3}\n', "r.ndjson:2: record 2 has no 'b'"),
        ("r.ndjson", '{"a": 1}\n{"a": 3, "c": 4}\n', "record 2 has 'c', which the first"),
        ("r.ndjson", '{"a": 1}\n[3]\n', "record 2 is not an object"),
        ("r.ndjson", "{}\n{}\n", "record 1 is an empty object"),
    ],
)
def test_records_errors_name_the_record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, text: str, message: str
) -> None:
    (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    one_error(invoke("forward", name, "-p", "1", "--seed", "1"), 1, message)


# -- options that contradict each other ------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("extra", [["--seed", "3"], ["--neurons", "2"], ["-p", "2", "--seed", "1"]])
def test_drawing_options_with_both_w_and_b_are_refused(extra: list[str]) -> None:
    from tests.conftest import SAMPLES

    d = SAMPLES / "batch"
    proc = run_nncalc("forward", str(d / "inputs.csv"), "-w", str(d / "weights.csv"),
                      "-b", str(d / "biases.csv"), *extra)  # fmt: skip
    assert_one_error_line(proc, 2, "are both given: drop")


@pytest.mark.parametrize("command", ["forward", "shapes"])
def test_w_without_b_says_b_was_drawn_every_time(tmp_path: Path, command: str) -> None:
    (tmp_path / "x.csv").write_text("1,2\n3,4\n")
    (tmp_path / "w.csv").write_text("1,0\n0,1\n")
    proc = run_nncalc(command, str(tmp_path / "x.csv"), "-w", str(tmp_path / "w.csv"),
                      "--seed", "5")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.decode().splitlines() == [
        "nncalc: no -b given: b drawn, init randn, seed 5: np.random.seed(5); "
        "b = np.random.randn(2)"
    ]


@pytest.mark.parametrize("recipe", ["randn", "nnfs", "he", "xavier", "torch", "uniform"])
@pytest.mark.parametrize(("n", "p"), [(3, 2), (3, 3)])
def test_out_in_draws_w_in_the_layout_asked(tmp_path: Path, recipe: str, n: int, p: int) -> None:
    """The printed recipe is the one used: exec it, and W, b and A match bit for bit."""
    x = np.random.RandomState(9).randn(4, n)
    (tmp_path / "x.csv").write_text("".join(",".join(map(repr, r)) + "\n" for r in x.tolist()))
    saved = tmp_path / "params.json"
    r = invoke("forward", tmp_path / "x.csv", "--layout", "out-in", "-p", str(p), "--seed", "11",
               "--init", recipe, "--show-recipe", "--save-params", saved, "-f", "csv")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    line = r.stderr.strip().split(": ")[-1]
    assert "W = (" in line or ".T;" in line
    scope: dict[str, object] = {"np": np}
    exec(line, scope)
    w, b = np.asarray(scope["W"]), np.asarray(scope["b"])
    assert w.shape == (n, p)
    params = json.loads(saved.read_text())
    assert np.array(params["weights"]).tobytes() == w.tobytes()
    assert np.array(params["biases"]).tobytes() == b.tobytes()
    assert csv_values(r.stdout).tobytes() == forward(x, w, b).a.tobytes()


# -- small things a newcomer trips on ---------------------------------------------------------
@pytest.mark.slow
def test_bare_nncalc_prints_help_and_exits_2_without_an_empty_error() -> None:
    proc = run_nncalc()
    assert proc.returncode == 2
    assert b"Usage: nncalc" in proc.stdout
    assert proc.stderr == b""


@pytest.mark.slow
def test_debug_works_after_the_subcommand_too() -> None:
    for args in (["--debug", "forward", "/no/such.csv", "-p", "1"],
                 ["forward", "/no/such.csv", "-p", "1", "--debug"]):  # fmt: skip
        proc = run_nncalc(*args)
        assert proc.returncode == 1 and b"Traceback" in proc.stderr, args
    assert_one_error_line(run_nncalc("forward", "/no/such.csv", "-p", "1"), 1, "no such file")


@pytest.mark.slow
def test_shell_completion_is_offered_and_completes() -> None:
    assert b"--install-completion" in run_nncalc("--help").stdout
    script = run_nncalc("--show-completion", "bash", env={"SHELL": "/bin/bash"})
    assert script.returncode == 0 and b"_NNCALC_COMPLETE" in script.stdout
    env = {"_NNCALC_COMPLETE": "complete_bash", "COMP_WORDS": "nncalc forward --col",
           "COMP_CWORD": "2"}  # fmt: skip
    done = run_nncalc(env=env)
    assert done.returncode == 0 and done.stdout.split() == [b"--columns"]


@pytest.mark.parametrize("fmt", ["csv", "tsv", "json", "ndjson"])
def test_float32_runs_print_float32_forms_everywhere(tmp_path: Path, fmt: str) -> None:
    (tmp_path / "x.csv").write_text("0.1,0.2,0.3\n-1.5,2.25,0.7\n")
    saved = tmp_path / "p.json"
    r = invoke("forward", tmp_path / "x.csv", "-p", "3", "--seed", "4", "--dtype", "float32",
               "-f", fmt, "--save-params", saved)  # fmt: skip
    assert r.exit_code == 0, r.stderr
    text = r.stdout
    cells = text.replace("[", " ").replace("]", " ").replace(",", " ").split()
    assert cells
    params = json.loads(saved.read_text())
    rs = np.random.RandomState(4)
    w32, b32 = rs.randn(3, 3).astype(np.float32), rs.randn(3).astype(np.float32)
    x32 = np.array([[0.1, 0.2, 0.3], [-1.5, 2.25, 0.7]], dtype=np.float32)
    a32 = np.maximum(x32 @ w32 + b32, 0)
    # every number, in the output and in the saved file, is float32's shortest form:
    # the value numpy's float32 repr names (0.22, not 0.2199999988079071)
    assert np.array(cells, dtype=np.float32).tobytes() == a32.ravel().tobytes()
    assert [float(c) for c in cells] == [float(str(v)) for v in a32.ravel()]
    saved_w = np.array(params["weights"]).ravel()
    assert saved_w.astype(np.float32).tobytes() == w32.ravel().tobytes()
    assert saved_w.tolist() == [float(str(v)) for v in w32.ravel()]


@pytest.mark.slow
def test_readme_random_weights_example_shows_what_it_prints() -> None:
    """The README's random-weights example has non-zero output, printed beside it."""
    import re

    from tests.conftest import ROOT

    text = (ROOT / "README.md").read_text()
    cmd = re.search(r"```sh\n(nncalc forward \S+ --neurons 2 --seed 1 --format csv)", text)
    shown = re.search(r"prints\n\n```text\n(.*?)```", text, re.S)
    assert cmd and shown
    proc = run_nncalc(*cmd.group(1).split()[1:])
    assert proc.returncode == 0 and proc.stdout.decode() == shown.group(1)
    assert any(float(v) != 0 for ln in shown.group(1).split() for v in ln.split(","))


def test_readme_bias_shapes_are_what_nncalc_does(tmp_path: Path) -> None:
    from tests.conftest import SAMPLES

    d = SAMPLES / "batch"
    (tmp_path / "col.csv").write_text("0.5\n0.5\n")  # p×1: accepted, as the README says
    (tmp_path / "mxp.csv").write_text("0.5,0.5\n0.5,0.5\n0.5,0.5\n")  # m×p: refused
    args = ["forward", d / "inputs.csv", "-w", d / "weights.csv", "-f", "csv", "-b"]
    ok = invoke(*args, tmp_path / "col.csv")
    row = invoke(*args, d / "biases.csv")
    assert ok.exit_code == 0 and ok.stdout == row.stdout
    one_error(invoke(*args, tmp_path / "mxp.csv"), 1, "biases are a vector")


def test_output_never_overwrites_w_named_with_options(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("1,2\n")
    (tmp_path / "w.csv").write_text("0,1\n1,0\n0,1\n")
    w = str(tmp_path / "w.csv")
    proc = run_nncalc("forward", str(tmp_path / "x.csv"), "-w", w + "?header=1", "-b", "0",
                      "-o", w)  # fmt: skip
    assert_one_error_line(proc, 2, "is also an input")
    assert (tmp_path / "w.csv").read_text() == "0,1\n1,0\n0,1\n"


@pytest.mark.slow
def test_fast_parser_with_columns_equals_the_line_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    from nncalc.formats import delimited, fastcsv

    rs = np.random.RandomState(3)
    x = rs.randn(20000, 6)
    data = "".join(",".join(map(repr, r)) + "\n" for r in x.tolist()).encode()
    opts = ReadOptions(columns="2-4,6")
    slow = read_matrix(io.BytesIO(data), "x.csv", opts).values
    calls: list[bool] = []
    real = fastcsv.parse

    def spy(*args: object) -> np.ndarray | None:
        out = real(*args)  # type: ignore[arg-type]
        calls.append(out is not None)
        return out

    monkeypatch.setattr(fastcsv, "parse", spy)
    monkeypatch.setattr(delimited, "FAST_MIN_BYTES", 0)
    monkeypatch.setattr(delimited, "CHUNK_BYTES", 64 << 10)
    fast = read_matrix(io.BytesIO(data), "x.csv", opts).values
    assert calls and all(calls)  # polars took every chunk
    assert fast.tobytes() == slow.tobytes() == np.ascontiguousarray(x[:, [1, 2, 3, 5]]).tobytes()


@pytest.mark.parametrize("option", ["id_column", "drop_columns"])
def test_fast_parser_with_a_label_column(monkeypatch: pytest.MonkeyPatch, option: str) -> None:
    """A text column (with underscores, as class_0) no longer sends every chunk to the
    line parser; numbers and labels are the line parser's, bit for bit."""
    from nncalc.formats import delimited, fastcsv

    rs = np.random.RandomState(4)
    x = rs.randn(20000, 3)
    labels = [f"class_{k}" for k in rs.randint(0, 3, len(x))]
    data = "a,b,c,label\n" + "".join(
        ",".join(map(repr, r)) + f",{t}\n" for r, t in zip(x.tolist(), labels, strict=True)
    )
    opts = ReadOptions(**{option: "label"})

    def run() -> tuple[np.ndarray, list[str]]:
        reader = open_rows(io.BytesIO(data.encode()), "x.csv", opts)
        values = np.concatenate(list(reader.blocks()))
        return values, [i for block in reader.ids or [] for i in block]

    slow, slow_ids = run()
    calls: list[bool] = []
    for name in ("parse", "parse_with_labels"):
        real = getattr(fastcsv, name)

        def spy(*args: object, real: object = real) -> object:
            out = real(*args)  # type: ignore[operator]
            calls.append(out is not None)
            return out

        monkeypatch.setattr(fastcsv, name, spy)
    monkeypatch.setattr(delimited, "FAST_MIN_BYTES", 0)
    monkeypatch.setattr(delimited, "CHUNK_BYTES", 64 << 10)
    fast, fast_ids = run()
    assert len(calls) > 3 and all(calls)
    assert fast.tobytes() == slow.tobytes() == x.tobytes()
    assert fast_ids == slow_ids == (labels if option == "id_column" else [])


@given(
    st.integers(1, 6),
    st.integers(1, 5),
    st.lists(st.integers(1, 6), min_size=1, max_size=6),
    st.booleans(),
)
def test_columns_select_like_numpy(m: int, k: int, picks: list[int], header: bool) -> None:
    picks = [p for p in picks if p <= k] or [1]
    x = np.arange(m * k, dtype=np.float64).reshape(m, k) / 4
    names = [f"c{j}" for j in range(k)]
    text = (",".join(names) + "\n" if header else "") + "".join(
        ",".join(map(repr, r)) + "\n" for r in x.tolist()
    )
    spec = ",".join(names[p - 1] if header and p % 2 else str(p) for p in picks)
    got = read_matrix(io.BytesIO(text.encode()), "x.csv", ReadOptions(columns=spec)).values
    order = list(dict.fromkeys(p - 1 for p in picks))
    assert got.tobytes() == np.ascontiguousarray(x[:, order]).tobytes()


@given(st.binary(max_size=200), st.sampled_from(["gzip", "bz2", "lzma"]))
def test_compressed_reads_like_plain(payload: bytes, kind: str) -> None:
    """Whatever the bytes, a compressed input reads exactly as the plain one does."""
    import importlib

    from nncalc.errors import NncalcError

    squeeze = importlib.import_module(kind).compress

    def outcome(data: bytes) -> object:
        try:
            return read_matrix(io.BytesIO(data), "x").values.tobytes()
        except NncalcError as e:
            return type(e).__name__

    plain = outcome(payload)
    if detect_compression(payload) is None:
        assert outcome(squeeze(payload)) == plain


def detect_compression(data: bytes) -> str | None:
    from nncalc.formats.compressed import detect

    return detect(data)


def test_id_column_labels_the_rows_of_the_tables(tmp_path: Path) -> None:
    (tmp_path / "iris.csv").write_text(
        "sepal_length,petal_width,species\n5.1,0.2,setosa\n6.3,2.5,virginica\n"
    )
    r = invoke("forward", tmp_path / "iris.csv", "--id-column", "species", "-w", "1,0",
               "-b", "0", "-f", "table")  # fmt: skip
    assert r.exit_code == 0 and "s1 virginica" in r.stdout  # W typed in: [1, 0]
    (tmp_path / "w.csv").write_text("1\n1\n")
    r = invoke("forward", tmp_path / "iris.csv", "--id-column", "species", "-w",
               tmp_path / "w.csv", "-b", "0", "-f", "table", "--show", "x,a")  # fmt: skip
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert sum("s0 setosa" in ln for ln in lines) == 2  # in X and in A
    assert any("s1 virginica" in ln and "8.8" in ln for ln in lines)
