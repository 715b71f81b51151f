"""The labels reader: every form a label takes, and one precise error for each bad one."""

from __future__ import annotations

import io
from collections import deque

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nncalc.errors import InputError
from nncalc.formats.labels import (
    Labels,
    Parser,
    _texts,
    column_labels,
    lines_parsed,
    parse,
    parsed_ahead,
)

NAMES = ["setosa", "versicolor", "virginica"]


def labels_of(text: str, parser: Parser) -> Labels:
    chunks = parsed_ahead(io.BytesIO(text.encode()), "y.txt", parser)
    return Labels(parser, "y.txt", lambda: next(chunks, None))


def read(text: str, parser: Parser, rows: int, step: int = 2) -> np.ndarray:
    lab = labels_of(text, parser)
    parts = []
    for start in range(0, rows, step):
        got = lab.take(min(step, rows - start))
        if got is not None:
            parts.append(got)
    lab.finish(rows)
    return np.concatenate(parts)


@pytest.mark.parametrize(
    "text",
    [
        "0\n2\n1\n2\n",
        "setosa\nvirginica\nversicolor\nvirginica\n",
        "1,0,0\n0,0,1\n0,1,0\n0,0,1\n",
        "\ufeff0\r\n 2 \r\n\r\n1.0\r\nvirginica",  # BOM, CRLF, a blank line, spaces, 1.0
        "1 0 0\n0\t0\t1\n0;1;0\n0, 0, 1\n",
    ],
)
def test_every_class_form_reads_the_same(text: str) -> None:
    got = read(text, Parser(3, NAMES), 4)
    np.testing.assert_array_equal(got, [0, 2, 1, 2])
    assert got.dtype == np.int64


def test_numbers_for_regression() -> None:
    np.testing.assert_array_equal(read("1.5\n-2e3\n151\n", Parser(None), 3), [[1.5], [-2e3], [151]])
    two = read("1,2\n3 4\n", Parser(None, width=2), 2)
    np.testing.assert_array_equal(two, [[1, 2], [3, 4]])


@pytest.mark.parametrize(
    ("text", "parser", "line", "says"),
    [
        ("0\n1\n3\n", Parser(3), 3, "class index 3 is out of range for 3 classes"),
        ("0\n\nsetosa\nrose\n", Parser(3, NAMES), 4, "'rose' is not a class name in --classes"),
        ("0\nsetosa\n", Parser(3), 2, "'setosa' is not a class index (names need --classes)"),
        ("0\n1.5\n", Parser(3), 2, "'1.5' is not a class index"),
        ("0\n1,1,0\n", Parser(3), 2, "'1,1,0' is not one-hot"),
        ("0\n1,0\n", Parser(3), 2, "a one-hot row of 2 values for 3 classes"),
        ("1.5\nabc\n", Parser(None), 2, "'abc' is not a number"),
        ("1.5\nnan\n", Parser(None), 2, "'nan' is not a finite number"),
        ("1,2\n3\n", Parser(None, width=2), 2, "1 values where the output has 2"),
    ],
)
def test_a_bad_label_names_its_line(text: str, parser: Parser, line: int, says: str) -> None:
    with pytest.raises(InputError) as e:
        read(text, parser, len(text.split()), step=8)
    assert str(e.value).startswith(f"y.txt:{line}: {says}"), str(e.value)


def test_fewer_and_more_labels_say_both_counts() -> None:
    with pytest.raises(InputError, match=r"^y.txt: 2 labels for 5 rows"):
        read("0\n1\n", Parser(3), 5)
    with pytest.raises(InputError, match=r"^y.txt:4: 5 labels for 3 rows"):
        read("0\n1\n2\n0\n1\n", Parser(3), 3)
    # a bad label after the rows' last one: the counts are what is wrong
    with pytest.raises(InputError, match=r"^y.txt:4: 6 labels for 3 rows"):
        read("0\n1\n2\nrose\n1\n2\n", Parser(3, NAMES), 3)


def test_a_label_column_names_the_row() -> None:
    cells = deque([["setosa", "virginica"], ["tulip"]])
    lab = column_labels(Parser(3, NAMES), "x.csv", cells)
    np.testing.assert_array_equal(lab.take(2), [0, 2])
    with pytest.raises(InputError, match=r"^x.csv: row 3: 'tulip' is not a class name"):
        lab.take(1)


@given(st.lists(st.integers(0, 2), min_size=1, max_size=60), st.integers(1, 9))
def test_any_take_size_gives_the_same_labels(y: list[int], step: int) -> None:
    text = "".join(f"{NAMES[i] if i % 2 else i}\n" for i in y)
    np.testing.assert_array_equal(read(text, Parser(3, NAMES), len(y), step), y)


LABEL_TEXTS = st.sampled_from(
    ["0", "1", "2", "01", "1.0", "setosa", "versicolor", "virginica", "virgin", "3", "", " 1",
     "0,0,1", "ünï", "-1", "1e0"]
)  # fmt: skip


@given(st.lists(LABEL_TEXTS, min_size=1, max_size=40), st.booleans())
def test_a_chunk_looked_up_at_once_reads_as_line_by_line(texts: list[str], named: bool) -> None:
    """The vectorised lookup of plain indices and names gives what parsing each line gives,
    and steps aside (None) for anything else, which the line parser then reads."""
    parser = Parser(3, [*NAMES[:2], "ünï"] if named else None)
    data = "\n".join(texts).encode()
    fast = lines_parsed(parser, data, 1)
    slow = parse(Parser(3, parser.names), *_texts(data, 1))
    np.testing.assert_array_equal(fast.values, slow.values)
    np.testing.assert_array_equal(fast.where, slow.where)
    assert (fast.bad, fast.size) == (slow.bad, slow.size)


@pytest.mark.parametrize(
    ("text", "names", "classes"),
    [
        ("0\n2\n1\n1", None, [0, 2, 1, 1]),  # one digit each: the 2-D view
        ("setosa\nvirginica\n1\nversicolor", NAMES, [0, 2, 1, 1]),  # lengths differ
        ("10\n2\n11", None, [10, 2, 11]),
        ("2\n0", ["x", "2", "y"], [1, 0]),  # a name before an index, as a line's parse does
    ],
)
def test_plain_labels_are_looked_up_at_once(text: str, names: list[str] | None,
                                            classes: list[int]) -> None:  # fmt: skip
    k = 12 if names is None else len(names)
    found = Parser(k, names).vocabulary().lookup(text.encode())
    assert found is not None
    np.testing.assert_array_equal(found, classes)
    assert Parser(3, NAMES).vocabulary().lookup(b"setosa\nrose") is None
