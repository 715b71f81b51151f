"""Read options that belong to one file: ``weights.csv?header=1&delimiter=;&decimal=,``.

X's options come from the command line (``--header``, ``--delimiter``…); W and b are
always detected on their own, and a suffix on their file name forces what detection got
wrong, so fixing W can never change how X is read.  A file that really has that name
wins.  ``-b 0.5`` and ``-b 0.5,0.5`` are numbers, unless a file of that name exists.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, BinaryIO

import numpy as np

from nncalc import i18n
from nncalc.errors import UsageError

from . import Format, Matrix, ReadOptions, read_matrix

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
            if not value.isdigit():
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
    """``0.5``, ``0.5,-1`` or rows ``1,2;3,4`` as numbers (a number, a vector, a matrix),
    or None when ``name`` is not numbers alone.

    >>> literal("0.5,-1").tolist(), literal("0.5").tolist(), literal("b.csv")
    ([0.5, -1.0], 0.5, None)
    >>> literal("1,2;3,4").tolist(), literal("1,2;3")
    ([[1.0, 2.0], [3.0, 4.0]], None)
    """
    rows = [_numbers(row) for row in name.split(";")]
    if any(r is None for r in rows) or len({len(r) for r in rows if r is not None}) != 1:
        return None
    if len(rows) > 1:
        return np.array(rows, dtype=np.float64)
    values = rows[0]
    assert values is not None
    return np.array(values[0] if len(values) == 1 and "," not in name else values, np.float64)


def _numbers(text: str) -> list[float] | None:
    parts = text.split(",")
    try:
        values = [float(v) for v in parts if v.strip()]
    except ValueError:
        return None
    if not values or len(values) != len(parts) or any("_" in v for v in parts):
        return None
    return values if all(np.isfinite(values)) else None


LITERAL_NOTE = "numbers given on the command line"


def literal_matrix(name: str, value: np.ndarray) -> Matrix:
    """Numbers from the command line as a Matrix, named by them (shortened when long, so
    a message that names W three times stays readable)."""
    shown = name if len(name) <= 24 else name[:21] + "…"
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
            return literal_matrix(name, value)
    path, overrides = split_options(name)
    options = ReadOptions(allow_nonfinite=base.allow_nonfinite, role=role, origin=path)
    shown = "stdin" if path == "-" else path
    return read_matrix(opener(path), shown, options._replace(**overrides))
