"""The score pass: each block is parsed by nncalc's own reader (delimiter, header and
column count decided once, from the input's first line), forwarded with
:meth:`Network.apply_at` — the row groups a local run would multiply, however the block
was cut — and written to a temporary name, then moved to ``part-NNNNN``.  Tasks are pure
and their writes idempotent, so Dask's retry after a lost worker gives the same parts."""

from __future__ import annotations

import functools
import io
from collections.abc import Iterator
from typing import Any

import numpy as np

from nncalc.core import Network
from nncalc.engines.blocks import line_count
from nncalc.engines.local import blas_cap, check_finite
from nncalc.errors import InputError, NncalcError
from nncalc.formats import Format, Peekable

from .layout import parquet_frame
from .records import Block, Job, Layout
from .storage import block_bytes, join, out_name, part_file


def parse_chunks(data: bytes, block: Block, name: str, layout: Layout) -> Iterator[np.ndarray]:
    """The block's rows in chunks, read by nncalc's CSV reader as a whole read would read
    them (large blocks are parsed one chunk ahead in a thread); errors carry whole-file
    line numbers."""
    from nncalc.formats.delimited import DelimitedReader

    fmt = Format.TSV if layout.delimiter == "\t" else Format.CSV
    holds_first = block.first_line <= layout.first_line < block.first_line + line_count(data)
    if holds_first:
        opts = layout.options  # detects the header from the same first line
    else:
        delimiter = "" if layout.delimiter is None else layout.delimiter
        opts = layout.options._replace(delimiter=delimiter, header=False)
    try:
        reader = DelimitedReader(Peekable(io.BytesIO(data)), name, opts, fmt)
        if reader.ncols is None:
            reader.ncols = layout.ncols
        if block.rows:
            yield from reader.blocks()
    except InputError as e:
        if e.line is not None:
            e.line += block.first_line - 1
            e.args = (str(e),)
        raise


def block_rows(block: Block, name: str, layout: Layout) -> Iterator[np.ndarray]:
    if layout.rows is None:
        yield from parse_chunks(block_bytes(block), block, name, layout)
        return
    from nncalc.formats.parquet import frame_to_matrix

    frame = parquet_frame(block.fs, block.path, block.first_row, block.rows).collect()
    yield frame_to_matrix(frame, name, layout.options.allow_nonfinite, block.first_row)


def score_block(
    block: Block, name: str, layout: Layout, job: Job, out_fs: Any, folder: str
) -> tuple[int, str | None]:
    """Parse, forward and write one block, chunk by chunk (parsing, computing and writing
    overlap as in a local run): (rows, None), or (0, the error's one line)."""
    from threadpoolctl import threadpool_limits

    from nncalc.formats.write import LabelWriter, Writer

    fmt = Format(job.fmt)
    first = block.index == 0 or fmt is Format.PARQUET  # Parquet names every part's columns
    header = job.out_header if first else None
    row = block.first_row

    def outputs() -> Iterator[np.ndarray]:
        nonlocal row
        for x in block_rows(block, name, layout):
            check = functools.partial(check_finite, job.network) if job.finite else None
            with np.errstate(all="ignore"):
                a = job.network.apply_at(x, row, block.total_rows, job.upto, check)
            row += len(x)
            yield np.argmax(a, axis=1) if job.argmax else a

    path = join(folder, f"part-{block.index:05d}.{out_name(job.fmt)}")
    try:
        with part_file(out_fs, path) as write:
            with threadpool_limits(limits=job.blas_threads, user_api="blas"):
                if job.argmax:
                    encoded = LabelWriter(fmt, job.classes, header).encode(outputs())
                else:
                    encoded = Writer(fmt, header=header).encode(outputs())
                for data in encoded:
                    write(data)
            got = row - block.first_row
            if got != block.rows:  # pragma: no cover - the count pass and the reader disagree
                raise RuntimeError(f"{name} block {block.index}: {got} rows, {block.rows} counted")
    except NncalcError as e:
        return 0, str(e.located(name) if isinstance(e, InputError) else e)
    return block.rows, None


def score(
    block: Block, name: str, layout: Layout, job: Job, network: Network, out_fs: Any, folder: str
) -> tuple[int, str | None]:
    """:func:`score_block` with the network sent apart (scattered to every worker once)."""
    return score_block(block, name, layout, job._replace(network=network), out_fs, folder)


def blas_threads() -> int | None:
    """The BLAS thread count this process computes with (None: no BLAS found)."""
    from threadpoolctl import threadpool_info

    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


def submit(
    client: Any,
    inputs: list[tuple[str, Any, str]],
    layouts: dict[int, Layout],
    placed: dict[int, list[Block]],
    template: Job,
    out_header: Any,
    out_fs: Any,
    folders: list[str],
) -> dict[int, list[Any]]:
    """One score task per placed block, the network scattered once to every worker."""
    network = template.network
    [net_future] = client.scatter([network], broadcast=True)
    per_input: dict[int, list[Any]] = {}
    for i, bl in placed.items():
        lay = layouts[i]
        # the thread count a local run uses: one for small networks, else this machine's
        threads = blas_cap(network) or blas_threads()
        job = template._replace(out_header=out_header(lay), blas_threads=threads)
        args = (inputs[i][0], lay, job._replace(network=None), net_future, out_fs, folders[i])
        per_input[i] = [client.submit(score, b, *args, pure=False) for b in bl]
    return per_input
