"""What is decided once per input, on the client, before any task runs: its layout
(delimiter, header, column count, from the first line; Parquet from its footer) and its
cut into blocks."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from nncalc.core import Network
from nncalc.errors import InputError, ShapeError, UsageError, cannot_open
from nncalc.formats import (
    Format,
    Peekable,
    ReadOptions,
    check_binary,
    format_from_name,
    sniff,
)
from nncalc.i18n import _

from .parquet import parquet_blocks, parquet_layout
from .records import Block, InputLayout, replace
from .storage import open_input


def layout_of(fs: Any, path: str, name: str, options: ReadOptions) -> InputLayout:
    """Format, delimiter, header and column count, decided as the local reader decides
    them: from the first lines of a CSV/TSV or NDJSON input (only those are fetched),
    from a Parquet footer, from a whole JSON document (read whole, as locally)."""
    fmt = options.format or format_from_name(name)
    if fmt is Format.PARQUET:
        return parquet_layout(fs, path, name, options)
    try:
        f = open_input(fs, path)
    except (FileNotFoundError, IsADirectoryError) as e:
        raise cannot_open(e, name) from None
    size = getattr(getattr(f, "raw", f), "size", None)  # an fsspec file knows it
    with f:
        src = Peekable(f)
        head = src.head
        from nncalc.formats.compressed import detect

        kind = detect(src.head)
        if kind is not None:
            raise UsageError(_("{name} is {kind}-compressed: --engine dask cuts inputs into "
                               "blocks, which a compressed stream cannot be; decompress it, "
                               "or use --engine local").format(name=name, kind=kind))  # fmt: skip
        fmt = fmt or sniff(src.head)
        if fmt is Format.JSON:
            return replace(json_layout(src, name, options), size=size)
        if fmt not in (Format.CSV, Format.TSV, Format.NDJSON):
            raise UsageError(_("{name} is {format}: --engine dask reads CSV, TSV, NDJSON, "
                               "JSON and Parquet inputs")
                             .format(name=name, format=fmt.value))  # fmt: skip
        check_binary(src, name)
        if fmt is Format.NDJSON:
            return replace(ndjson_layout(src, name, options), size=size)
        lay = delimited_layout(src, name, options, fmt)
    return replace(lay, first_offset=line_start(fs, path, head, lay.first_line), size=size)


def delimited_layout(src: Peekable, name: str, options: ReadOptions, fmt: Format) -> InputLayout:
    from nncalc.formats.delimited import DelimitedReader

    if fmt is Format.TSV and options.delimiter is None:
        options = options._replace(delimiter="\t")
    reader = DelimitedReader(src, name, options, fmt)
    if reader.header is not None:
        first = reader.lineno
    elif (row := reader.first_row()) is not None:
        first = row[0]
    else:
        raise InputError(_("no numbers (empty input)"), source=name,
                         expected=_("at least one row of numbers"))  # fmt: skip
    rest = options
    if reader.keep is not None or reader.id_index is not None:
        # the blocks after the first have no header line: the columns the first line
        # chose (by name, or an index column left out) are given them by position
        assert reader.ncols is not None
        keep = reader.keep if reader.keep is not None else range(reader.ncols)
        ident = reader.id_index
        rest = options._replace(columns=",".join(str(i + 1) for i in keep if i != ident),
                                drop_columns=None,
                                id_column=None if ident is None else str(ident + 1))  # fmt: skip
    ncols = len(reader.keep) if reader.keep is not None else reader.ncols
    assert ncols is not None
    return InputLayout(options=options, delimiter=reader.delimiter, ncols=ncols,
                       first_line=first, header=reader.header, fmt=fmt,
                       detected=reader.detected(), rest=rest,
                       id_name=reader.id_name)  # fmt: skip


def line_start(fs: Any, path: str, head: bytes, line: int) -> int:
    """The byte where (1-based) ``line`` starts: within the first bytes already read,
    but for a first line behind more comment lines than those hold."""
    at, seen = 0, 0
    while seen < line - 1:
        nl = head.find(b"\n", at)
        if nl < 0:
            break
        at, seen = nl + 1, seen + 1
    if seen == line - 1:
        return at
    with open_input(fs, path) as f:  # pragma: no cover - a preamble over 64 KiB
        at = 0
        for _line in range(line - 1):
            at += len(f.readline())
        return at


def ndjson_layout(src: Peekable, name: str, options: ReadOptions) -> InputLayout:
    """The first row (its keys, for records, and its width) read by nncalc's NDJSON
    reader from the lines up to the first that is not blank."""
    from nncalc.formats import read_line
    from nncalc.formats.jsonio import NdjsonReader

    head, line = [], 0
    while True:
        raw = read_line(src, name, line + 1)
        head.append(raw)
        line += 1
        if not raw or raw.strip():
            break
    reader = NdjsonReader(Peekable(io.BytesIO(b"".join(head))), name, options)
    ncols = next(iter(reader.blocks())).shape[1]  # "empty input" when there is no row
    return InputLayout(options=options, delimiter=None, ncols=ncols, first_line=line,
                       header=reader.header, fmt=Format.NDJSON,
                       detected=reader.detected())  # fmt: skip


def json_layout(src: Peekable, name: str, options: ReadOptions) -> InputLayout:
    """A JSON document is one value, read whole here as a local run reads it (within
    the JSON memory budget); its rows are one block."""
    from nncalc.formats import open_rows

    # --id-column on a JSON input is refused by the caller (forward: that input's error,
    # as a local batch says it; evaluate: its own usage line), not by the reader here
    reader = open_rows(src, name, options._replace(format=Format.JSON, id_column=None))
    values = reader.read_all().values
    x = np.atleast_2d(values)
    return InputLayout(options=options._replace(format=Format.JSON), delimiter=None,
                       ncols=x.shape[1], first_line=1, header=reader.header, rows=len(x),
                       fmt=Format.JSON, detected=reader.detected(),
                       one_row=values.ndim < 2)  # fmt: skip


def cut(
    i: int, fs: Any, path: str, blocksize: int, layout: InputLayout | None = None
) -> list[Block]:
    """Byte blocks of text at line starts; a JSON document whole; Parquet at row groups
    (:func:`parquet.parquet_blocks`)."""
    if layout is not None and layout.fmt is Format.JSON:  # one document, one block
        m = layout.rows or 0
        size = fs.size(path) if layout.size is None else layout.size
        return [Block(input=i, number=0, fs=fs, path=path, offset=0, length=size, rows=m,
                      total_rows=m)]  # fmt: skip
    if layout is not None and layout.fmt is Format.PARQUET:
        return parquet_blocks(i, fs, path, blocksize, layout)
    size = fs.size(path) if layout is None or layout.size is None else layout.size
    # blocks of even size, as dask.bytes.read_bytes cuts them (no short last block)
    n = max(1, -(-size // blocksize))
    step = -(-size // n) if size else 1
    return [Block(input=i, number=k, fs=fs, path=path, offset=off, length=min(step, size - off),
                  size=size)
            for k, off in enumerate(range(0, max(size, 1), step))]  # fmt: skip


def shape_check(net: Network, name: str, rows: int, ncols: int) -> None:
    if ncols != net.n:
        try:
            net.layers[0].apply(np.broadcast_to(np.zeros(1), (rows, ncols)))
        except ShapeError as e:
            raise ShapeError(f"{name}: {e}") from None
