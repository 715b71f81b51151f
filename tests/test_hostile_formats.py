"""Cells, names and options as hostile text (issue 23, items 14, 18, 21): one error line,
never a traceback; quotes mean what CSV says they mean; control characters escaped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from nncalc.errors import InputError, UsageError, printable
from nncalc.formats import ReadOptions, read_matrix
from nncalc.formats.select import resolve
from nncalc.formats.spec import split_options
from tests.conftest import assert_one_error_line, run_nncalc

SUPERSCRIPTS = ["⁵", "¹", "²", "1-²", "²-3", "١"]


# -- item 14: digits int() does not take -------------------------------------------------------
@pytest.mark.parametrize("option", ["--columns", "--id-column", "--drop-columns"])
@pytest.mark.parametrize("value", SUPERSCRIPTS)
def test_superscripts_in_column_options_are_one_line(
    tmp_path: Path, option: str, value: str
) -> None:
    (tmp_path / "x.csv").write_text("a,b,c\n1,2,3\n")
    proc = run_nncalc("forward", "x.csv", "-w", "1", option, value, cwd=tmp_path)
    assert_one_error_line(proc, 1)


@pytest.mark.parametrize("value", SUPERSCRIPTS)
def test_superscripts_resolve_as_names(value: str) -> None:
    with pytest.raises(InputError):
        resolve(value, ["a", "b"], 2, "x.csv", "--columns")
    assert resolve(value, ["a", value], 2, "x.csv", "--columns") == [1]


@pytest.mark.parametrize("first", ["⁵,1", "⁰,¹", "¹,²,³", "1,⁵"])
def test_superscripts_in_a_first_row_are_one_line(tmp_path: Path, first: str) -> None:
    (tmp_path / "x.csv").write_text(f"{first}\n1,2\n")
    proc = run_nncalc("forward", "x.csv", "-w", "1,2", "-b", "0", cwd=tmp_path)
    assert "Traceback" not in proc.stderr.decode()
    assert proc.returncode in (0, 1), proc.stderr


@pytest.mark.parametrize("value", ["⁵", "١", "x", "-1"])
def test_skip_rows_in_a_file_spec_is_one_line(tmp_path: Path, value: str) -> None:
    (tmp_path / "w.csv").write_text("1\n2\n")
    proc = run_nncalc("forward", "1,2", "-w", f"w.csv?skip_rows={value}", cwd=tmp_path)
    assert_one_error_line(proc, 2, "must be a whole number")
    with pytest.raises(UsageError):
        split_options(f"w.csv?skip_rows={value}")


def test_columns_env_of_superscripts_is_ignored(tmp_path: Path) -> None:
    proc = run_nncalc("forward", "1,2", "-w", "1,2", "-b", "0", env={"COLUMNS": "²"})
    assert (proc.returncode, proc.stdout) == (0, b"5.0\n"), proc.stderr


# -- item 18: quotes ---------------------------------------------------------------------------
def test_quoted_ids_keep_their_quotes_meaning(tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text('id,v\n"a""",1\n"b,c",2\n"""",3\nd,4\n')
    proc = run_nncalc("forward", "x.csv", "--id-column", "id", "-w", "2", "-b", "0",
                      cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    import csv

    ids = [r[0] for r in csv.reader(io.StringIO(proc.stdout.decode()))][1:]
    assert ids == ['a"', "b,c", '"', "d"]


@pytest.mark.parametrize("cell", ['1"', '""1""', '"1', '1""', '"1"x'])
@pytest.mark.parametrize("delimiter", [",", " "])
def test_malformed_quoted_numbers_are_refused(cell: str, delimiter: str) -> None:
    text = f"2{delimiter}{cell}\n".encode()
    with pytest.raises(InputError, match="is not a number|never closed"):
        read_matrix(io.BytesIO(text), "x.csv", ReadOptions(header=False))


@pytest.mark.parametrize(
    ("text", "want"), [('"1","2"\n', [[1.0, 2.0]]), ('"1" "2"\n', [[1.0, 2.0]]),
                       ('1, "2"\n', [[1.0, 2.0]])]
)  # fmt: skip
def test_well_quoted_numbers_still_read(text: str, want: list[list[float]]) -> None:
    got = read_matrix(io.BytesIO(text.encode()), "x.csv", ReadOptions(header=False)).values
    assert got.tolist() == want


def test_a_malformed_quoted_number_in_a_large_file_is_refused(tmp_path: Path) -> None:
    """Past the fast parser's threshold (polars takes no chunk holding a quote)."""
    rows = "1.5,2.5\n" * 700_000
    (tmp_path / "x.csv").write_text(rows + '3,1"\n' + rows)
    proc = run_nncalc("forward", "x.csv", "-w", "1,1", "-b", "0", "-o", "a.csv", cwd=tmp_path)
    assert_one_error_line(proc, 1, "x.csv:700001:3: '1\"' is not a number")
    assert not (tmp_path / "a.csv").exists()


# -- item 21: control characters in file names -----------------------------------------------
def test_a_file_name_with_an_escape_sequence_is_escaped(tmp_path: Path) -> None:
    name = "a\x1b[31mred\x07.csv"
    (tmp_path / name).write_text("1,x\n")
    for args in (["forward", name, "-w", "1,2"], ["forward", "nope\x1b[2J.csv", "-w", "1"],
                 ["forward", "1,2", "-w", "nope\x1b]0;title\x07.csv"]):  # fmt: skip
        proc = run_nncalc(*args, cwd=tmp_path)
        line = assert_one_error_line(proc, proc.returncode)
        assert "\x1b" not in line and "\x07" not in line and "\\x1b" in line, line


def test_printable_keeps_text_and_escapes_controls() -> None:
    assert printable("naïve 3×2 → ok") == "naïve 3×2 → ok"
    assert printable("a\x1b[2J\x9bb\u202e") == "a\\x1b[2J\\x9bb\\u202e"
    assert str(InputError("bad", source="x\x1by.csv")) == "x\\x1by.csv: bad"
