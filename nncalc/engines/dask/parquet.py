"""Parquet inputs on the cluster, cut at row groups: the footer says how many rows each
group holds and how many bytes it takes, so blocks of about ``--blocksize`` bytes are
runs of whole groups, and a task reads only its own groups.

polars (nncalc's Parquet reader) exposes no row-group metadata, so the footer is read
with pyarrow (the ``dask`` extra); it reads only the footer, through an fsspec file too.
Without pyarrow, blocks are row ranges of about ``--blocksize`` bytes of float64 values
(the numbers are the same either way; only the reading is less economical).
"""

from __future__ import annotations

import io
from typing import Any

from nncalc.errors import InputError, cannot_open
from nncalc.formats import Format, ReadOptions, detection
from nncalc.i18n import _

from .records import Block, InputLayout
from .storage import is_local


def row_groups(fs: Any, path: str) -> tuple[tuple[int, int], ...] | None:
    """(rows, bytes on disk) of every row group, from the footer; None without pyarrow."""
    try:
        import pyarrow.parquet as pq
    except ImportError:
        return None
    with fs.open(path, "rb") as f:
        meta = pq.ParquetFile(f).metadata
        groups = [meta.row_group(k) for k in range(meta.num_row_groups)]
        return tuple(
            (g.num_rows, sum(g.column(c).total_compressed_size for c in range(g.num_columns)))
            for g in groups
        )


def parquet_frame(fs: Any, path: str, first: int | None = None, rows: int | None = None) -> Any:
    """Rows ``first…`` of a Parquet file as a polars frame (its schema alone when
    ``rows`` is 0).  Local files are scanned, so only the row groups needed are read;
    remote ones are fetched whole by fsspec (polars' own cloud access would need its
    own credentials setup) unless the block knows its row groups."""
    import polars as pl

    if is_local(fs):
        frame = pl.scan_parquet(path)
    else:
        with fs.open(path, "rb") as f:
            frame = pl.read_parquet(io.BytesIO(f.read())).lazy()
    if first is not None:
        frame = frame.slice(first, rows)
    return frame


def parquet_layout(fs: Any, path: str, name: str, options: ReadOptions) -> InputLayout:
    """Columns and row count from a Parquet file's footer, and its row groups."""
    import polars as pl

    try:
        groups = row_groups(fs, path)
        if groups is not None and not is_local(fs):
            import pyarrow.parquet as pq

            with fs.open(path, "rb") as f:  # the footer only, not the whole object
                pf = pq.ParquetFile(f)
                columns, rows = list(pf.schema_arrow.names), pf.metadata.num_rows
        else:
            frame = parquet_frame(fs, path)
            columns = list(frame.collect_schema().names())
            rows = int(frame.select(pl.len()).collect().item())
    except FileNotFoundError as e:
        raise cannot_open(e, name) from None
    except Exception as e:  # polars and pyarrow raise several kinds for a damaged file
        raise InputError(_("not a readable Parquet file ({error})").format(error=type(e).__name__),
                         source=name, expected=_("a Parquet file")) from None  # fmt: skip
    if not columns or not rows:
        raise InputError(_("no numbers (empty input)"), source=name,
                         expected=_("at least one row of numbers"))  # fmt: skip
    detected = detection(name, Format.PARQUET, None, columns)
    return InputLayout(options=options._replace(format=Format.PARQUET), delimiter=None,
                       ncols=len(columns), first_line=1, header=columns, rows=rows,
                       fmt=Format.PARQUET, detected=detected, groups=groups)  # fmt: skip


def parquet_blocks(i: int, fs: Any, path: str, blocksize: int, layout: InputLayout) -> list[Block]:
    """Runs of whole row groups of about ``blocksize`` bytes on disk (a group larger
    than that is a block of its own); ``offset``/``length`` count groups.  Without the
    footer's groups, row ranges (``offset``/``length`` count rows)."""
    m = layout.rows or 0
    if layout.groups is None:
        step = max(1, blocksize // (8 * layout.ncols))
        return [Block(input=i, number=k, fs=fs, path=path, offset=a, length=min(step, m - a),
                      first_row=a, rows=min(step, m - a), total_rows=m)
                for k, a in enumerate(range(0, m, step))]  # fmt: skip
    runs: list[list[int]] = []  # [first group, groups, first row, rows, bytes]
    row = 0
    for g, (rows, size) in enumerate(layout.groups):
        if not runs or runs[-1][4] + size > blocksize:
            runs.append([g, 0, row, 0, 0])
        run = runs[-1]
        run[1] += 1
        run[3] += rows
        run[4] += size
        row += rows
    return [Block(input=i, number=k, fs=fs, path=path, offset=g, length=n, first_row=first,
                  rows=rows, total_rows=m)
            for k, (g, n, first, rows, _rest) in enumerate(runs)]  # fmt: skip


def block_frame(block: Block, layout: InputLayout) -> Any:
    """A block's rows as a polars frame: locally a scan of its rows (polars reads only
    the groups they lie in), remotely its row groups fetched by pyarrow."""
    import polars as pl

    if layout.groups is None or is_local(block.fs):
        return parquet_frame(block.fs, block.path, block.first_row, block.rows).collect()
    import pyarrow.parquet as pq

    with block.fs.open(block.path, "rb") as f:
        groups = range(block.offset, block.offset + block.length)
        table = pq.ParquetFile(f).read_row_groups(groups)
    return pl.from_arrow(table)
