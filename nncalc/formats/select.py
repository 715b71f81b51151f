"""Choosing columns by 1-based position, range or header name, as ``cut -f`` does.

``1-4``, ``2,5-``, ``-3``, ``sepal_length,petal_width`` and mixes of them.  A token that
looks like a position or range is one (a header named ``3`` is reached as column 3).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from nncalc import i18n
from nncalc.errors import InputError

from . import RowReader

if TYPE_CHECKING:
    from . import Matrix, ReadOptions

RANGE = re.compile(r"^\s*(\d*)\s*-\s*(\d*)\s*$", re.ASCII)


def resolve(spec: str, header: list[str] | None, ncols: int, source: str, option: str) -> list[int]:
    """0-based column indices named by ``spec``, in the order given, without repeats.

    >>> resolve("1-2,d", ["a", "b", "c", "d"], 4, "x.csv", "--columns")
    [0, 1, 3]
    >>> resolve("3-", None, 5, "x.csv", "--columns")
    [2, 3, 4]
    """
    out: list[int] = []
    for token in (t.strip() for t in spec.split(",")):
        if not token:
            continue
        if token.isascii() and token.isdigit():
            picked = [_position(int(token), ncols, source, option)]
        elif (m := RANGE.match(token)) and (m.group(1) or m.group(2)):
            lo = _position(int(m.group(1) or 1), ncols, source, option)
            hi = _position(int(m.group(2) or ncols), ncols, source, option)
            if hi < lo:
                raise InputError(
                    i18n._("{option} {token}: the range runs backwards").format(
                        option=option, token=token
                    ),
                    source=source,
                    expected=i18n._("a range like 1-4"),
                )
            picked = list(range(lo, hi + 1))
        else:
            picked = [_name(token, header, source, option)]
        out.extend(i for i in picked if i not in out)
    return out


def _position(k: int, ncols: int, source: str, option: str) -> int:
    if not 1 <= k <= ncols:
        raise InputError(
            i18n._("{option} names column {k} but the file has {ncols}").format(
                option=option, k=k, ncols=ncols
            ),
            source=source,
            expected=i18n._("positions 1 to {ncols}").format(ncols=ncols),
        )
    return k - 1


def _name(token: str, header: list[str] | None, source: str, option: str) -> int:
    name = token.strip('"')
    if header is None:
        raise InputError(
            i18n._("{option} names column {name} but the file has no header").format(
                option=option, name=repr(name)
            ),
            source=source,
            expected=i18n._("1-based positions (like 1-4), or --header"),
        )
    if name not in header:
        shown = ", ".join(h or i18n._("(empty)") for h in header[:12])
        raise InputError(
            i18n._("{option}: no column named {name}").format(option=option, name=repr(name)),
            source=source,
            expected=i18n._("one of {names}").format(
                names=shown + (", …" if len(header) > 12 else "")
            ),
        )
    return header.index(name)


def choose(
    header: list[str] | None,
    ncols: int,
    source: str,
    columns: str | None,
    drop: str | None,
    id_column: str | None,
) -> tuple[list[int], int | None, bool]:
    """(numeric columns kept, the id column or None, whether an index column was
    dropped).  A pandas index (an empty first header cell) is never a feature."""
    index = bool(header) and header is not None and header[0].strip() == "" and ncols > 1
    keep = resolve(columns, header, ncols, source, "--columns") if columns else list(range(ncols))
    if index and not columns:
        keep = keep[1:]
    ident = None
    if id_column:
        ident = resolve(id_column, header, ncols, source, "--id-column")
        if len(ident) != 1:
            raise InputError(
                i18n._("--id-column {spec} names {count} columns").format(
                    spec=id_column, count=len(ident)
                ),
                source=source,
                expected=i18n._("one column"),
            )
    dropped = set(resolve(drop, header, ncols, source, "--drop-columns")) if drop else set()
    if ident:
        dropped.add(ident[0])
    keep = [i for i in keep if i not in dropped]
    if not keep:
        raise InputError(
            i18n._("no columns left to read"),
            source=source,
            expected=i18n._("at least one numeric column (check --columns/--drop-columns)"),
        )
    return keep, (ident[0] if ident else None), index


class Selected(RowReader):
    """--columns/--drop-columns over a reader that cannot skip cells as it parses (JSON,
    NDJSON, npy): columns are chosen once the first block (and any keys) are known."""

    def __init__(self, inner: RowReader, options: ReadOptions) -> None:
        self.inner, self.options = inner, options
        self.source, self.format = inner.source, inner.format
        self.delimiter = inner.delimiter
        self.notes = inner.notes
        self.keep: list[int] | None = None

    def detected(self) -> str:
        return self.inner.detected()

    def blocks(self) -> Iterator[np.ndarray]:
        for block in self.inner.blocks():
            if block.ndim != 2:
                raise InputError(
                    i18n._("is not a matrix: columns cannot be chosen"),
                    source=self.source,
                    expected=i18n._("rows of numbers with --columns/--drop-columns"),
                )
            if self.keep is None:
                o = self.options
                ncols = block.shape[1]
                names = self.inner.header
                self.keep, _, _ = choose(names, ncols, self.source, o.columns, o.drop_columns, None)
                self.header = [names[i] for i in self.keep] if names else None
            yield block[:, self.keep]

    def read_all(self) -> Matrix:
        from . import Matrix

        parts = list(self.blocks())
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        m = self.inner
        note = "; ".join(m.notes) or None
        return Matrix(values, self.source, self.format, self.delimiter, self.header, note)
