"""The score pass: each block is parsed by nncalc's own reader (delimiter, header and
column count decided once, from the input's first line), then run through the one step
every engine runs (:func:`nncalc.engines.step.encode`: a row's bits depend only on the
row, so a block cut anywhere gives a local run's bytes) and written as ``part-NNNNN``.
Tasks are pure and their writes idempotent, so Dask's retry after a lost worker gives
the same parts."""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from itertools import chain
from typing import Any

import numpy as np

from nncalc.core import Network
from nncalc.engines.blocks import line_count
from nncalc.engines.local import blas_cap
from nncalc.errors import InputError, NncalcError
from nncalc.formats import Format, Peekable

from .parquet import block_frame
from .records import Block, InputLayout, Parsed, TaskSpec, replace
from .storage import block_bytes, block_span, join, open_input, out_name, part_file


def parse_block(block: Block, name: str, layout: InputLayout) -> Parsed:
    """A CSV/TSV block read and parsed once, by nncalc's own reader, its rows kept on
    the worker for its score task.  Parsed before anything says where the block sits
    in the file: lines are numbered within the block (the client makes them whole-file
    ones), and the block that holds the input's first line (known by its byte offset)
    parses from it with the user's options, as a whole read decides the header there."""
    from nncalc.formats.delimited import DelimitedReader

    start, data = block_span(block)
    lines = line_count(data)
    first = layout.first_offset
    if start + len(data) <= first:  # before the first line: comments, blanks, skipped rows
        return Parsed([], lines)
    if start <= first:
        before = data.count(b"\n", 0, first - start)
        data = data[first - start :]
        opts = layout.options._replace(skip_rows=0)
    else:
        before = 0
        delimiter = "" if layout.delimiter is None else layout.delimiter
        rest = layout.options if layout.rest is None else layout.rest
        opts = rest._replace(delimiter=delimiter, header=False, skip_rows=0)
    fmt = Format.TSV if layout.delimiter == "\t" else Format.CSV
    chunks: list[np.ndarray] = []
    try:
        reader = DelimitedReader(Peekable(io.BytesIO(data)), name, opts, fmt)
        if reader.ncols is None:
            reader.ncols = layout.ncols
        chunks.extend(reader.blocks())
    except InputError as e:
        if not chunks and e.message.endswith("(empty input)"):
            return Parsed([], lines)  # no rows in this block; the input may have others
        line = None if e.line is None else e.line + before
        return Parsed([], lines, (e.message, line, e.col, e.expected))
    except NncalcError as e:
        return Parsed([], lines, (str(e), None, None, None))
    return Parsed(chunks, lines, ids=None if reader.ids is None else list(reader.ids))


def summary(parsed: Parsed) -> tuple[int, int, Any]:
    """What the client needs of a parsed block: (lines, rows, error)."""
    return parsed.lines, parsed.rows, parsed.error


def read_rows(block: Block, name: str, layout: InputLayout) -> Iterator[np.ndarray]:
    """The block's rows, read by the reader a local run uses for its format."""
    if layout.fmt is Format.PARQUET:
        from nncalc.formats.parquet import frame_to_matrix

        frame = block_frame(block, layout)
        yield frame_to_matrix(frame, name, layout.options.allow_nonfinite, block.first_row)
    elif layout.fmt is Format.JSON:
        from nncalc.formats import open_rows

        with open_input(block.fs, block.path) as f:
            yield np.atleast_2d(open_rows(f, name, layout.options).read_all().values)
    elif layout.fmt is Format.NDJSON:
        from nncalc.formats.jsonio import NdjsonReader

        within = (layout.header, layout.ncols, block.first_line - 1, block.first_row)
        reader = NdjsonReader(Peekable(io.BytesIO(block_bytes(block))), name, layout.options,
                              within)  # fmt: skip
        if block.rows:
            yield from reader.blocks()
    else:  # pragma: no cover - CSV/TSV blocks are parsed by parse_block
        yield from parse_block(block, name, layout).chunks


def json_part(
    pieces: Iterator[bytes | memoryview], block: Block, labels: bool
) -> Iterator[bytes | memoryview]:
    """A block's share of the one JSON document a local run writes: the opening bracket
    only in the first part, the closing one only in the part with the last row, and a
    comma before the first row of every part that follows rows.  The parts, joined in
    name order, are that document byte for byte.  ``labels``: the rows are --argmax's
    bare classes (without ids; with ids they are objects, separated as rows of A are)."""
    first, last = (
        block.number == 0,
        block.rows > 0 and block.first_row + block.rows == block.total_rows,
    )
    opening = next(pieces)
    if first:
        yield opening
    joined = block.first_row == 0
    held: bytes | memoryview | None = None
    for piece in pieces:
        if held is not None:
            yield held
        if not joined and len(piece):
            # a local run's writer puts "\n" before its first row and ",\n" (labels: ",")
            # before every later one
            piece = b"," + bytes(piece) if labels else b",\n" + bytes(piece)[1:]
            joined = True
        held = piece
    if held is not None and last:
        yield held  # the closing bracket


class Counted:
    """The rows that went by: a task reports how many it wrote."""

    def __init__(self) -> None:
        self.n = 0

    def of(self, blocks: Iterable[np.ndarray]) -> Iterator[np.ndarray]:
        for x in blocks:
            self.n += len(x)
            yield x


def score_block(
    block: Block,
    name: str,
    layout: InputLayout,
    job: TaskSpec,
    out_fs: Any,
    folder: str,
    xs: Iterator[np.ndarray] | None = None,
    ids: list[list[str]] | None = None,
) -> tuple[int, str | None]:
    """Forward and write one block, chunk by chunk (for a format read here, parsing,
    computing and writing overlap as in a local run; ``xs``: its rows parsed already,
    ``ids``: their --id-column labels, one list per chunk): (rows, None), or (0, the
    error's one line)."""
    from threadpoolctl import threadpool_limits

    from nncalc.engines.step import Encoding, encode

    if block.whole:
        return score_whole(block, name, layout, job, out_fs, folder)
    network = job.network
    assert network is not None, "score_input gives every block its input's network"
    fmt = Format(job.fmt)
    first = block.number == 0 or fmt is Format.PARQUET  # Parquet names every part's columns
    # a row's bits depend only on the row (core), so the block is the local engine's own
    # step over its rows; only the rows' place in the input (for error lines) and a JSON
    # part's share of the one document are the block's own.  With --id-column every part
    # writes its rows' labels, and the first part the id column's name, even when its
    # block holds no row (a preamble longer than a block)
    labelled = layout.options.id_column is not None
    how = Encoding(fmt=fmt, header=job.out_header if first else None, one_row=layout.one_row,
                   upto=job.upto, argmax=job.argmax,
                   classes=None if job.classes is None else tuple(job.classes),
                   finite=job.finite, threshold=job.threshold,
                   ids=deque(ids or []) if labelled else None, id_name=layout.id_name,
                   first_row=block.first_row)  # fmt: skip
    rows = Counted()
    path = join(folder, f"part-{block.number:05d}.{out_name(job.fmt)}")
    try:
        with ExitStack() as stack:
            write = stack.enter_context(part_file(out_fs, path))
            stack.enter_context(threadpool_limits(limits=job.blas_threads, user_api="blas"))
            stack.enter_context(np.errstate(all="ignore"))
            xs = rows.of(read_rows(block, name, layout) if xs is None else xs)
            encoded = encode(xs, network, how, stack, name)
            if fmt is Format.JSON:
                encoded = json_part(encoded, block, job.argmax and not labelled)
            for data in encoded:
                write(data)
            if rows.n != block.rows:  # pragma: no cover - the count pass and the reader disagree
                raise RuntimeError(
                    f"{name} block {block.number}: {rows.n} rows, {block.rows} counted"
                )
    except NncalcError as e:
        return 0, str(e.located(name) if isinstance(e, InputError) else e)
    return block.rows, None


def score_whole(
    block: Block, name: str, layout: InputLayout, job: TaskSpec, out_fs: Any, folder: str
) -> tuple[int, str | None]:
    """The one block of an input that fits in one: the local engine's own step
    (:func:`nncalc.engines.step.encode`) over the file read by the local reader, so
    nothing needs counting first and the part is a local run's output by construction."""
    from threadpoolctl import threadpool_limits

    from nncalc.engines.step import Encoding, encode
    from nncalc.formats import open_rows

    assert job.network is not None
    rows = Counted()
    path = join(folder, f"part-{block.number:05d}.{out_name(job.fmt)}")
    try:
        with ExitStack() as stack:
            f = stack.enter_context(open_input(block.fs, block.path, 8 << 20))
            write = stack.enter_context(part_file(out_fs, path))
            stack.enter_context(threadpool_limits(limits=job.blas_threads, user_api="blas"))
            stack.enter_context(np.errstate(all="ignore"))
            reader = open_rows(f, name, layout.options._replace(format=layout.fmt))
            blocks = iter(reader.blocks())
            first = next(blocks)
            how = Encoding(fmt=Format(job.fmt), header=job.out_header, one_row=first.ndim < 2,
                           upto=job.upto, argmax=job.argmax,
                           classes=None if job.classes is None else tuple(job.classes),
                           finite=job.finite, threshold=job.threshold, ids=reader.ids,
                           id_name=reader.id_name)  # fmt: skip
            xs = rows.of(chain([np.atleast_2d(first)], blocks))
            for data in encode(xs, job.network, how, stack, name):
                write(data)
    except NncalcError as e:
        return 0, str(e.located(name) if isinstance(e, InputError) else e)
    return rows.n, None


def score(
    block: Block,
    name: str,
    layout: InputLayout,
    job: TaskSpec,
    network: Network,
    out_fs: Any,
    folder: str,
) -> tuple[int, str | None]:
    """:func:`score_block` with the network sent apart (scattered to every worker once)."""
    return score_block(block, name, layout, replace(job, network=network), out_fs, folder)


def score_parsed(
    parsed: Parsed,
    block: Block,
    name: str,
    layout: InputLayout,
    job: TaskSpec,
    network: Network,
    out_fs: Any,
    folder: str,
) -> tuple[int, str | None]:
    """:func:`score_block` of a block :func:`parse_block` read, now placed in its file."""
    job = replace(job, network=network)
    return score_block(block, name, layout, job, out_fs, folder, iter(parsed.chunks),
                       parsed.ids)  # fmt: skip


def blas_threads() -> int | None:
    """The BLAS thread count this process computes with (None: no BLAS found)."""
    from threadpoolctl import threadpool_info

    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


def shared(template: TaskSpec, network: Network, out_header: list[str] | None) -> TaskSpec:
    """What every score task of one input shares, without the network (scattered to
    every worker once, and sent apart)."""
    # the thread count a local run uses: one for small networks, else this machine's
    threads = blas_cap(network) or blas_threads()
    return replace(template, network=None, out_header=out_header, blas_threads=threads)
