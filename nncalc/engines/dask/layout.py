"""What is decided once per input, on the client, before any task runs: its layout
(delimiter, header, column count, from the first line; Parquet from its footer) and its
cut into blocks."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from nncalc.core import Network
from nncalc.errors import InputError, ShapeError, UsageError
from nncalc.formats import Format, Peekable, ReadOptions, format_from_name

from .records import Block, Layout
from .storage import is_local


def layout_of(fs: Any, path: str, name: str, options: ReadOptions) -> Layout:
    """Delimiter, header and column count from the input's first line, read exactly as
    the local reader reads it (only the first lines are fetched)."""
    from nncalc.formats.delimited import DelimitedReader

    fmt = options.format or format_from_name(name) or Format.CSV
    if fmt is Format.PARQUET:
        return parquet_layout(fs, path, name, options)
    if fmt not in (Format.CSV, Format.TSV):
        raise UsageError(f"{name} is {fmt.value}: --engine dask reads CSV, TSV and Parquet inputs")
    if fmt is Format.TSV and options.delimiter is None:
        options = options._replace(delimiter="\t")
    try:
        f = fs.open(path, "rb")
    except FileNotFoundError:
        raise InputError("no such file", source=name, expected="an existing file") from None
    except IsADirectoryError:
        raise InputError("is a directory", source=name, expected="a file") from None
    with f:
        src = Peekable(f)
        from nncalc.formats import check_binary

        check_binary(src, name)
        reader = DelimitedReader(src, name, options, fmt)
        if reader.header is not None:
            ncols, first = len(reader.header), reader.lineno
        elif reader._first is not None:
            first = reader._first[0]
            ncols = len(reader._split(reader._first[1]))
        else:
            raise InputError("no numbers (empty input)", source=name,
                             expected="at least one row of numbers")  # fmt: skip
    return Layout(options, reader.delimiter, ncols, first, reader.header)


def parquet_frame(fs: Any, path: str, first: int | None = None, rows: int | None = None) -> Any:
    """Rows ``first…`` of a Parquet file as a polars frame (its schema alone when
    ``rows`` is 0).  Local files are scanned, so only the row groups needed are read;
    remote ones are fetched whole by fsspec (polars' own cloud access would need its
    own credentials setup)."""
    import polars as pl

    if is_local(fs):
        frame = pl.scan_parquet(path)
    else:
        with fs.open(path, "rb") as f:
            frame = pl.read_parquet(io.BytesIO(f.read())).lazy()
    if first is not None:
        frame = frame.slice(first, rows)
    return frame


def parquet_layout(fs: Any, path: str, name: str, options: ReadOptions) -> Layout:
    """Columns and row count from a Parquet file's footer."""
    import polars as pl

    try:
        frame = parquet_frame(fs, path)
        columns = list(frame.collect_schema().names())
        rows = int(frame.select(pl.len()).collect().item())
    except FileNotFoundError:
        raise InputError("no such file", source=name, expected="an existing file") from None
    except Exception as e:  # polars raises several kinds for a damaged file
        raise InputError(f"not a readable Parquet file ({type(e).__name__})", source=name,
                         expected="a Parquet file") from None  # fmt: skip
    if not columns or not rows:
        raise InputError("no numbers (empty input)", source=name,
                         expected="at least one row of numbers")  # fmt: skip
    return Layout(options._replace(format=Format.PARQUET), None, len(columns), 1, columns, rows)


def cut(i: int, fs: Any, path: str, blocksize: int, layout: Layout | None = None) -> list[Block]:
    """Byte blocks at line starts; for Parquet, row ranges of about ``blocksize`` bytes of
    float64 values (``offset``/``length`` count rows)."""
    if layout is not None and layout.rows is not None:
        m, step = layout.rows, max(1, blocksize // (8 * layout.ncols))
        return [Block(i, k, fs, path, a, min(step, m - a), 1, a, min(step, m - a), m)
                for k, a in enumerate(range(0, m, step))]  # fmt: skip
    size = fs.size(path)
    return [Block(i, k, fs, path, off, min(blocksize, size - off))
            for k, off in enumerate(range(0, max(size, 1), blocksize))]  # fmt: skip


def shape_check(net: Network, name: str, rows: int, ncols: int) -> None:
    if ncols != net.n:
        try:
            net.layers[0].apply(np.broadcast_to(np.zeros(1), (rows, ncols)))
        except ShapeError as e:
            raise ShapeError(f"{name}: {e}") from None
