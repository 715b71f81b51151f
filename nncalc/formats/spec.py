"""Read options that belong to one file: ``weights.csv?header=1&delimiter=;&decimal=,``.

X's options come from the command line (``--header``, ``--delimiter``…); W and b are
always detected on their own, and a suffix on their file name forces what detection got
wrong, so fixing W can never change how X is read.  A file that really has that name
wins.  ``-b 0.5`` and ``-b 0.5,0.5`` are numbers, unless a file of that name exists.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from nncalc import i18n, limits
from nncalc.errors import UsageError

from . import Format, Matrix, ReadOptions, format_from_name, read_matrix

DELIMITERS = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "space": "",
              "whitespace": "", " ": ""}  # fmt: skip
TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off"}
KEYS = ("header", "delimiter", "decimal", "format", "skip_rows")


def split_options(name: str) -> tuple[str, dict[str, Any]]:
    """``(path, overrides)`` for a file name that may end in ``?key=value&…``.

    >>> split_options("w.csv?header=1&delimiter=;&decimal=,")
    ('w.csv', {'header': True, 'delimiter': ';', 'decimal': ','})
    >>> split_options("w.csv")
    ('w.csv', {})
    """
    if "?" not in name or os.path.exists(name):
        return name, {}
    path, _, query = name.rpartition("?")
    out: dict[str, Any] = {}
    for item in filter(None, query.split("&")):
        key, eq, value = item.partition("=")
        key = key.strip().lower().replace("-", "_")
        if not eq:
            raise UsageError(
                i18n._("{name}: {item} needs a value (like ?header=1)").format(
                    name=name, item=repr(item)
                )
            )
        if key == "header":
            if value.lower() not in TRUE | FALSE:
                raise UsageError(
                    i18n._("{name}: header={value} must be 1 or 0").format(name=name, value=value)
                )
            out["header"] = value.lower() in TRUE
        elif key == "delimiter":
            d = DELIMITERS.get(value.lower(), value)
            if len(d) > 1:
                raise UsageError(
                    i18n._("{name}: delimiter={value} must be one character or tab/space").format(
                        name=name, value=value
                    )
                )
            out["delimiter"] = d
        elif key == "decimal":
            if value not in (".", ","):
                raise UsageError(
                    i18n._("{name}: decimal={value} must be '.' or ','").format(
                        name=name, value=value
                    )
                )
            out["decimal"] = value
        elif key == "skip_rows":
            if not (value.isascii() and value.isdigit()):
                raise UsageError(
                    i18n._("{name}: skip_rows={value} must be a whole number").format(
                        name=name, value=value
                    )
                )
            out["skip_rows"] = int(value)
        elif key == "format":
            try:
                out["format"] = Format(value.lower())
            except ValueError:
                known = ", ".join(f.value for f in Format)
                raise UsageError(
                    i18n._("{name}: format={value} is not one of {known}").format(
                        name=name, value=value, known=known
                    )
                ) from None
        else:
            raise UsageError(
                i18n._("{name}: unknown read option {key}; known: {known}").format(
                    name=name, key=repr(key), known=", ".join(KEYS)
                )
            )
    return path, out


def literal(name: str) -> np.ndarray | None:
    """Numbers typed in, as a number, a vector or a matrix; None when ``name`` is not numbers
    alone.  Rows are ``;``-separated (``1,2;3,4``) or written as Python/numpy lists
    (``[[1,2],[3,4]]``, ``[[1. 2.] [3. 4.]]``); values are separated by commas or spaces, so
    a notebook's ``[1,2,3,2.5]`` or a printed ``1 2 3 2.5`` can be pasted as it is.

    >>> literal("0.5,-1").tolist(), literal("0.5").tolist(), literal("b.csv")
    ([0.5, -1.0], 0.5, None)
    >>> literal("1,2;3,4").tolist(), literal("1,2;3")
    ([[1.0, 2.0], [3.0, 4.0]], None)
    >>> literal("[1, 2, 3, 2.5]").tolist(), literal("[[1,2],[3,4]]").tolist()
    ([1.0, 2.0, 3.0, 2.5], [[1.0, 2.0], [3.0, 4.0]])
    >>> literal("1 2 3").tolist(), literal("[[1. 2.] [3. 4.]]").tolist(), literal("[2]").tolist()
    ([1.0, 2.0, 3.0], [[1.0, 2.0], [3.0, 4.0]], [2.0])
    """
    text = name.strip()
    if text.startswith("["):
        return _bracketed(text)
    rows = [_numbers(row) for row in text.split(";")]
    if any(r is None for r in rows) or len({len(r) for r in rows if r is not None}) != 1:
        return None
    if len(rows) > 1:
        return np.array(rows, dtype=np.float64)
    values = rows[0]
    assert values is not None
    one = len(values) == 1 and "," not in text
    return np.array(values[0] if one else values, np.float64)


_VALUE = re.compile(r"\s*,\s*|\s+")
_TOKEN = re.compile(r"\[|\]|,|[^\s\[\],]+")


def _numbers(text: str) -> list[float] | None:
    """``1,2,3``, ``1 2 3`` or ``1, 2, 3`` as floats; None for anything else (an empty
    value, ``1_0``, a word, nan or inf)."""
    parts = _VALUE.split(text.strip())
    try:
        values = [float(v) for v in parts]
    except ValueError:
        return None
    if any("_" in v for v in parts):
        return None
    return values if all(np.isfinite(values)) else None


def _bracketed(text: str) -> np.ndarray | None:
    """``[…]`` or ``[[…], […]]`` (commas optional, as numpy prints), equal rows, finite."""
    tokens = _TOKEN.findall(text)
    if "".join(tokens) != re.sub(r"\s+", "", text):
        return None
    pos = 0

    def items() -> list[Any] | None:
        nonlocal pos
        if pos >= len(tokens) or tokens[pos] != "[":
            return None
        pos += 1
        out: list[Any] = []
        while pos < len(tokens) and tokens[pos] != "]":
            tok = tokens[pos]
            if tok == ",":
                if not out or tokens[pos - 1] == ",":
                    return None
                pos += 1
            elif tok == "[":
                inner = items()
                if inner is None:
                    return None
                out.append(inner)
            else:
                value = _numbers(tok)
                if value is None:
                    return None
                out.append(value[0])
                pos += 1
        if pos >= len(tokens):
            return None
        pos += 1
        return out

    value = items()
    if value is None or pos != len(tokens) or not value:
        return None
    if all(isinstance(v, float) for v in value):
        return np.array(value, np.float64)
    if not all(isinstance(v, list) and v and all(isinstance(u, float) for u in v)
               for v in value):  # fmt: skip
        return None
    lengths = [len(v) for v in value]
    if len(set(lengths)) != 1:  # numbers, but not a matrix: say so rather than "no such file"
        counts = ", ".join(str(k) for k in lengths)
        raise UsageError(
            i18n._(
                "{text}: rows of {counts} numbers; a matrix needs the same number in every row"
            ).format(text=text, counts=counts)
        )
    return np.array(value, np.float64)


LITERAL_NOTE = "numbers given on the command line"


def literal_matrix(name: str, value: np.ndarray, role: str = "X") -> Matrix:
    """Numbers from the command line as a Matrix, named by their role and shape
    (``W (3×4)``, ``b (3,)``, ``b = 2``): the text typed would be long and is on the
    command line already."""
    if value.ndim == 0:
        shown = f"{role} = {float(value):g}"
    elif value.ndim == 1:
        shown = f"{role} ({value.shape[0]},)"
    else:
        shown = f"{role} ({'×'.join(str(d) for d in value.shape)})"
    return Matrix(value, shown, Format.CSV, ",", note=LITERAL_NOTE)


def read_param(
    name: str, role: str, base: ReadOptions, opener: Callable[[str], BinaryIO]
) -> Matrix:
    """W or b as named on the command line: numbers (``-w 0.2,0.8,-0.5 -b 2``; a file of
    that name wins), or a file read with its own options (detected, unless its name's
    suffix forces them).  Of X's options only ``allow_nonfinite`` carries over; ``opener``
    opens a path (or ``-``)."""
    if not os.path.exists(name):
        value = literal(name)
        if value is not None:
            return literal_matrix(name, value, {"w": "W", "b": "b"}.get(role, role))
    path, overrides = split_options(name)
    check_size(path, role, overrides.get("format"))
    options = ReadOptions(allow_nonfinite=base.allow_nonfinite, role=role, origin=path)
    shown = "stdin" if path == "-" else path
    return read_matrix(opener(path), shown, options._replace(**overrides))


TEXT_PARAM_FACTOR = 2  # a W as text, held as float64 blocks and then joined: ~2× its text
# for values of 8 characters or more (12.5 % of the budget per value-byte beyond that is
# caught while reading, block by block)


def check_size(path: str, role: str, forced: Format | None) -> None:
    """Refuse a W or b text file by its size before any of it is parsed: W is held whole,
    so a 200 MB CSV must not be read into 500 MB before the budget says no.  Binary and
    JSON files are bounded by their own readers (a .npy by its header)."""
    if path == "-":
        return
    try:
        size = os.stat(path).st_size if os.path.isfile(path) else 0
    except OSError:
        return
    fmt = forced or format_from_name(path)
    if fmt not in (None, Format.CSV, Format.TSV):
        return
    need = size * TEXT_PARAM_FACTOR
    if need > limits.budget():
        what = "W" if role == "w" else "b"
        raise limits.refuse(
            i18n._("{operand} from a {size} text file").format(
                operand=what, size=limits.human(size)), need, path,
            why=i18n._("{operand} is held whole (about {factor}× its text)").format(
                operand=what, factor=TEXT_PARAM_FACTOR),
        )  # fmt: skip
