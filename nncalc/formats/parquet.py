"""Parquet in and out, through polars (already a dependency; imported only here and in
:mod:`.fastcsv`, on first use).

A Parquet input is a table of numeric columns, one row per sample; its column names are
the header.  Output columns are named by the output header, or ``a0…a{p-1}``.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import numpy as np

from nncalc import i18n
from nncalc.errors import InputError

from . import Matrix, Peekable, RowReader

MAGIC = b"PAR1"


def _polars() -> Any:
    import polars as pl

    return pl


def frame_to_matrix(
    frame: Any, source: str, allow_nonfinite: bool = False, first_row: int = 0
) -> np.ndarray:
    """A polars DataFrame's numeric columns as an m×n float64 array; any other column, a
    null or (unless allowed) a non-finite value is one error naming the column and the
    row (1-based, counted from ``first_row`` when the frame is a piece of a file)."""
    nulls = frame.null_count().row(0) if frame.width else ()  # one call, not one a column
    for name, dtype, null in zip(frame.columns, frame.dtypes, nulls, strict=True):
        if not (dtype.is_numeric() or str(dtype) == "Boolean"):
            raise InputError(
                i18n._("column {name} holds {dtype} values").format(name=repr(name), dtype=dtype),
                source=source,
                expected=i18n._("numeric columns"),
            )
        if null:
            row = first_row + int(frame.get_column(name).is_null().arg_true()[0]) + 1
            raise InputError(
                i18n._("column {name}, row {row}: no value (null)").format(
                    name=repr(name), row=row
                ),
                source=source,
                expected=i18n._("a number in every cell"),
            )
    # row-major from polars directly: a column-major array copied to row order took three
    # times as long (24 vs 7 ms for 65,536×32), on the thread that bounds a Parquet run
    x = np.ascontiguousarray(frame.to_numpy(order="c"), dtype=np.float64)
    x = x.reshape(frame.height, -1)
    if not allow_nonfinite and not np.isfinite(x).all():
        row, col = (int(i) for i in np.argwhere(~np.isfinite(x))[0])
        raise InputError(
            i18n._("column {name}, row {row}: {value} is not a finite number").format(
                name=repr(frame.columns[col]), row=first_row + row + 1, value=x[row, col]
            ),
            source=source,
            expected=i18n._("a finite number; --allow-nonfinite lets nan/inf through"),
        )
    return x


def read_parquet(fp: BinaryIO, source: str, allow_nonfinite: bool = False) -> Matrix:
    """A whole Parquet file as a :class:`Matrix` whose header is its column names."""
    from . import Format

    pl = _polars()
    try:
        frame = pl.read_parquet(io.BytesIO(fp.read()))
    except Exception as e:  # polars raises several kinds for a damaged file
        raise InputError(
            i18n._("not a readable Parquet file ({error})").format(error=type(e).__name__),
            source=source,
            expected=i18n._("a Parquet file"),
        ) from None
    if frame.width == 0 or frame.height == 0:
        raise InputError(
            i18n._("no numbers (empty input)"),
            source=source,
            expected=i18n._("at least one row of numbers"),
        )
    x = frame_to_matrix(frame, source, allow_nonfinite)
    return Matrix(x, source, Format.PARQUET, None, list(frame.columns))


SLICE_ROWS = 1 << 16  # rows per block read from a Parquet file (16 MiB at 32 columns)
SLICE_SHARE = 16  # a slice takes at most 1/16 of the memory budget (see slice_rows)


class ParquetReader(RowReader):
    """Rows of a Parquet input in slices of :data:`SLICE_ROWS`: a file on disk is scanned
    slice by slice (polars reads only the row groups a slice touches), so memory holds one
    slice whatever the file's size; a pipe cannot be scanned, so stdin is read whole first
    (its compressed bytes, not its rows)."""

    def __init__(self, src: Peekable, source: str, allow_nonfinite: bool = False) -> None:
        from . import Format

        self.source, self.format = source, Format.PARQUET
        self.allow_nonfinite = allow_nonfinite
        pl = _polars()
        path = getattr(src.fp, "name", None)
        try:
            if isinstance(path, str) and os.path.isfile(path):
                self.lazy = pl.scan_parquet(path)
            else:
                self.lazy = pl.scan_parquet(io.BytesIO(src.read()))
            self.header = list(self.lazy.collect_schema().names())
            self.rows = int(self.lazy.select(pl.len()).collect().item())
        except Exception as e:  # polars raises several kinds for a damaged file
            raise _unreadable(e, source) from None
        if not self.header or not self.rows:
            raise InputError(
                i18n._("no numbers (empty input)"),
                source=source,
                expected=i18n._("at least one row of numbers"),
            )

    def slice_rows(self) -> int:
        """Rows per slice: :data:`SLICE_ROWS`, or fewer for a wide file, so that the slices
        in flight (polars' frame and its numpy copy, two slices at once) stay within a
        sixteenth of the memory budget each: a file of 3,000 columns in one row group held
        1.1 GB at --max-memory 64M when sliced by 65,536 rows (polars decodes only the
        rows a slice asks for, even inside one row group)."""
        from nncalc import limits

        width = max(1, len(self.header or ())) * 8
        return max(1, min(SLICE_ROWS, limits.budget() // SLICE_SHARE // width))

    def blocks(self) -> Iterator[np.ndarray]:
        """Slices in order; from the second on, slice k+1 is decoded in a worker thread
        (polars releases the GIL) while the caller computes and writes slice k."""
        starts = range(0, self.rows, self.slice_rows())
        if len(starts) == 1:
            yield self._slice(0)
            return
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(1, thread_name_prefix="nncalc-parquet")
        try:
            pending = pool.submit(self._slice, starts[0])
            for start in starts[1:]:
                ahead = pool.submit(self._slice, start)
                yield pending.result()
                pending = ahead
            yield pending.result()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

    def _slice(self, start: int) -> np.ndarray:
        try:
            frame = self.lazy.slice(start, self.slice_rows()).collect()
        except Exception as e:  # damaged pages show up only when they are read
            raise _unreadable(e, self.source) from None
        return frame_to_matrix(frame, self.source, self.allow_nonfinite, start)


def _unreadable(e: Exception, source: str) -> InputError:
    return InputError(
        i18n._("not a readable Parquet file ({error})").format(error=type(e).__name__),
        source=source,
        expected=i18n._("a Parquet file"),
    )


def column_names(header: Sequence[str] | None, p: int) -> list[str]:
    return list(header) if header and len(header) == p else [f"a{j}" for j in range(p)]


def write_parquet(a: np.ndarray, header: Sequence[str] | None = None) -> bytes:
    """An m×p matrix as Parquet bytes (float64 columns, named by ``header`` or a0…)."""
    pl = _polars()
    a = np.atleast_2d(a)
    names = column_names(header, a.shape[1])
    frame = pl.DataFrame(
        {n: a[:, j] for j, n in enumerate(names)}, schema=dict.fromkeys(names, pl.Float64)
    )
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()


def write_labels(values: Sequence[int] | Sequence[str], name: str = "class") -> bytes:
    """One column of class indices (int64) or names (strings) as Parquet bytes."""
    pl = _polars()
    strings = bool(values) and isinstance(values[0], str)
    frame = pl.DataFrame({name: list(values)}, schema={name: pl.String if strings else pl.Int64})
    buf = io.BytesIO()
    frame.write_parquet(buf)
    return buf.getvalue()
