"""The Dask engine: inputs cut into byte blocks, each block forwarded through the same
Network on a cluster and written as one part file; the parts of an input, joined in name
order, are byte for byte what the local engine writes.

The only module that imports dask, distributed and fsspec (ruff's banned-api keeps it so).

Two passes over every input, both as cluster tasks:

1. count: each block (cut at line starts, like ``dask.bytes.read_bytes``) reports its
   lines and data rows, so every block learns the whole-file number of its first line
   (for error messages) and of its first row, and the input's row count;
2. score: each block is parsed by nncalc's own reader (delimiter, header and column count
   decided once, from the input's first line), forwarded with
   :meth:`Network.apply_at` — the row groups a local run would multiply, however the
   block was cut — and written to a temporary name, then moved to ``part-NNNNN``.

``_SUCCESS`` is written last, when every part of an input is in place.  A block that
fails reports one line (input name, whole-file line); an input with a failed block keeps
no parts, the other inputs still finish.  Tasks are pure and their writes idempotent, so
Dask's own retry after a lost worker gives the same parts.
"""

from __future__ import annotations

import contextlib
import functools
import glob as globlib
import io
import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import PurePosixPath
from typing import Any, NamedTuple

import numpy as np

from nncalc.core import Network
from nncalc.errors import InputError, NncalcError, ShapeError, UsageError
from nncalc.formats import Format, Peekable, ReadOptions, format_from_name

from .blocks import line_count, row_count
from .local import blas_cap, check_finite

DEFAULT_BLOCKSIZE = 64 << 20
OUTPUT_FORMATS = (Format.CSV, Format.TSV, Format.NDJSON, Format.PARQUET)
SUCCESS = "_SUCCESS"


class Settings(NamedTuple):
    """Where and how to run; ``scheduler=None`` starts a LocalCluster of ``workers``."""

    scheduler: str | None = None
    workers: int | None = None
    blocksize: int = DEFAULT_BLOCKSIZE
    storage_options: dict[str, Any] | None = None


class Outcome(NamedTuple):
    """One input's result, for the batch table."""

    name: str
    rows: int
    parts: int
    seconds: float
    error: str | None = None


class Layout(NamedTuple):
    """What every block of one input needs to parse itself the way a whole read would."""

    options: ReadOptions  # the user's
    delimiter: str | None  # decided from the first line (None: whitespace)
    ncols: int
    first_line: int  # whole-file number of the first data or header line
    header: list[str] | None  # the input's column names, when its first line is a header
    rows: int | None = None  # Parquet: known from the footer, no count pass


class Job(NamedTuple):
    """What every score task of one run shares (sent to the workers once)."""

    network: Network
    fmt: str  # csv, tsv, ndjson or parquet
    out_header: list[str] | None
    upto: int | None = None
    # OpenBLAS gives other bits for some shapes (3×1100, 1100×2) with another thread
    # count: blocks compute with the client's, as the local engine would (Dask's nanny
    # starts workers with one)
    blas_threads: int | None = None
    argmax: bool = False  # each sample's class instead of its outputs
    classes: list[str] | None = None
    finite: bool = True  # refuse a Z that overflows, as a local run does


class Block(NamedTuple):
    """One block of one input, and (after the count pass) where it sits in the file."""

    input: int
    index: int
    fs: Any
    path: str
    offset: int
    length: int
    first_line: int = 1
    first_row: int = 0
    rows: int = 0
    total_rows: int = 0


# -- inputs and outputs ---------------------------------------------------------------------


def _is_glob(name: str) -> bool:
    return any(c in name for c in "*?[")


def expand(
    names: Sequence[str], storage_options: dict[str, Any] | None
) -> list[tuple[str, Any, str]]:
    """(display name, file system, path) for every input; globs are expanded here, so
    a remote pattern never meets a shell.  A name that matches nothing is an error."""
    from fsspec.core import url_to_fs

    found: list[tuple[str, Any, str]] = []
    for name in names:
        fs, path = url_to_fs(name, **(storage_options or {}))
        local = "://" not in name or name.startswith("file://")
        if _is_glob(name):
            if local and "://" not in name:
                matches = [(m, os.path.abspath(m)) for m in sorted(globlib.glob(name))]
            else:
                proto = name.split("://", 1)[0]
                matches = [(f"{proto}://{p}", p) for p in sorted(fs.glob(path))]
            if not matches:
                raise InputError("matches no file", source=name, expected="an existing file")
            found += [(shown, fs, p) for shown, p in matches]
        else:
            found.append((name, fs, path))
    return found


def out_name(fmt: str) -> str:
    return "parquet" if fmt == "parquet" else Format(fmt).value


def _join(root: str, *parts: str) -> str:
    return str(PurePosixPath(root, *parts)) if root else "/".join(parts)


def _is_local(fs: Any) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


@contextlib.contextmanager
def part_file(fs: Any, path: str) -> Iterator[Callable[[bytes | memoryview], None]]:
    """A ``write`` for a file that appears whole under its name or not at all: locally
    nncalc's Sink (a temporary sibling, renamed when complete), elsewhere a temporary
    object moved into place.  An exception leaves nothing behind."""
    if _is_local(fs):
        from nncalc.sink import Sink

        with Sink(path, force=True) as sink:
            yield sink.write
        return
    held: list[bytes] = []
    yield lambda data: held.append(bytes(data))
    parent, name = path.rsplit("/", 1)
    tmp = f"{parent}/.{name}.{uuid.uuid4().hex}.tmp"
    with fs.open(tmp, "wb") as f:
        for data in held:
            f.write(data)
    fs.mv(tmp, path)


def put(fs: Any, path: str, data: bytes | memoryview) -> None:
    with part_file(fs, path) as write:
        write(data)


def _listing(fs: Any, folder: str) -> list[str]:
    try:
        return [PurePosixPath(p).name for p in fs.ls(folder, detail=False)]
    except (FileNotFoundError, NotADirectoryError):
        return []


def _results_in(fs: Any, folder: str) -> list[str]:
    return [n for n in _listing(fs, folder) if n.startswith("part-") or n == SUCCESS]


def clear(fs: Any, folder: str, *, parts: bool) -> None:
    """Remove temporary parts (and, with ``parts``, every result) from one output folder."""
    for name in _listing(fs, folder):
        stale = name.startswith(".part-") and name.endswith(".tmp")
        if stale or (parts and (name.startswith("part-") or name == SUCCESS)):
            with contextlib.suppress(FileNotFoundError):
                fs.rm(_join(folder, name))
    if fs.exists(folder):
        fs.invalidate_cache(folder)


# -- the tasks (run on the workers) -----------------------------------------------------------


def _read(block: Block) -> bytes:
    from fsspec.utils import read_block

    with block.fs.open(block.path, "rb") as f:
        data: bytes = read_block(f, block.offset, block.length, delimiter=b"\n")
    return data


def count_block(block: Block) -> tuple[int, int]:
    """(physical lines, non-blank non-comment lines) of one block."""
    data = _read(block)
    return line_count(data), row_count(data)


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
        yield from parse_chunks(_read(block), block, name, layout)
        return
    from nncalc.formats.parquet import frame_to_matrix

    frame = _parquet_frame(block.fs, block.path, block.first_row, block.rows).collect()
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

    path = _join(folder, f"part-{block.index:05d}.{out_name(job.fmt)}")
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


# -- the client -----------------------------------------------------------------------------


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


def _parquet_frame(fs: Any, path: str, first: int | None = None, rows: int | None = None) -> Any:
    """Rows ``first…`` of a Parquet file as a polars frame (its schema alone when
    ``rows`` is 0).  Local files are scanned, so only the row groups needed are read;
    remote ones are fetched whole by fsspec (polars' own cloud access would need its
    own credentials setup)."""
    import polars as pl

    if _is_local(fs):
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
        frame = _parquet_frame(fs, path)
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


class Progress(NamedTuple):
    """Hooks for the CLI's bar: ``total(n)`` once the blocks are known, ``step()`` per
    block done."""

    total: Callable[[int], object] = lambda n: None
    step: Callable[[], object] = lambda: None


def client_for(settings: Settings) -> tuple[Any, Any]:
    """A Client on the named scheduler, or on a LocalCluster of our own (closed after)."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    import logging

    from distributed import Client, LocalCluster

    # tornado logs, with a traceback, the cancel callback that Ctrl-C leaves behind in
    # distributed's sync() (the event loop thread runs it after the interrupt): the one
    # line nncalc prints is the message, and the run's own errors are reported as such
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL + 1)
    if settings.scheduler:
        try:
            return Client(settings.scheduler, timeout="10s"), None
        except OSError as e:
            raise UsageError(f"cannot reach the scheduler {settings.scheduler}: {e}") from None
    # ":0": the scheduler's HTTP endpoint (health, metrics) on a free port; the default
    # 8787 warns when another cluster holds it
    workers = settings.workers or os.cpu_count() or 1
    # polars (the CSV fast path) would start a thread per core in every worker
    share = str(max(1, (os.cpu_count() or 1) // workers))
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", silence_logs=logging.ERROR,
        env={"POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS", share)},
    )  # fmt: skip
    return Client(cluster), cluster


def run(
    names: Sequence[str],
    out: str,
    network: Network,
    options: ReadOptions,
    fmt: str,
    out_header: Callable[[Layout], list[str] | None],
    settings: Settings | None = None,
    *,
    force: bool = False,
    upto: int | None = None,
    argmax: bool = False,
    classes: list[str] | None = None,
    progress: Progress | None = None,
) -> list[Outcome]:
    """Forward every input on a Dask cluster into ``out/<stem>/part-NNNNN.<fmt>``.

    ``out_header(layout)`` names the output columns (None: no header line), given what
    was detected in the input.  Returns one :class:`Outcome` per input, in input order.
    """
    from fsspec.core import url_to_fs

    settings = settings or Settings()
    progress = progress or Progress()
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"--engine dask writes csv, tsv, ndjson or parquet parts, not {fmt}")
    if settings.blocksize < 1:
        raise UsageError("--blocksize must be at least 1 byte")
    so = settings.storage_options
    inputs = expand(names, so)
    out_fs, root = url_to_fs(out, **(so or {}))
    folders: list[str] = []
    seen: dict[str, str] = {}
    for shown, _, path in inputs:
        stem = PurePosixPath(path).stem
        if stem in seen:
            raise UsageError(f"{seen[stem]} and {shown} would both write {_join(out, stem)}")
        seen[stem] = shown
        folder = _join(root, stem)
        if _results_in(out_fs, folder) and not force:
            raise UsageError(f"{_join(out, stem)} already holds results; refusing to replace "
                             "them (use --force)")  # fmt: skip
        folders.append(folder)
    for folder in folders:
        clear(out_fs, folder, parts=True)
        out_fs.makedirs(folder, exist_ok=True)

    started = time.perf_counter()
    errors: dict[int, tuple[int, str]] = {}  # input → (block index, message), the first
    layouts: dict[int, Layout] = {}
    for i, (shown, fs, path) in enumerate(inputs):
        try:
            layouts[i] = layout_of(fs, path, shown, options)
        except NncalcError as e:
            if isinstance(e, UsageError):
                raise
            errors[i] = (-1, str(e))
    client, cluster = client_for(settings)
    futures: list[Any] = []
    try:
        rows_of, parts_of, seconds = _compute(
            client, inputs, layouts, errors, network, fmt, out_header, settings, out_fs,
            folders,
            Job(network, fmt, None, upto, None, argmax, classes, not options.allow_nonfinite),
            progress, futures,
        )  # fmt: skip
    except BaseException:  # Ctrl-C, or a bug: stop the cluster's work before cleaning up
        with contextlib.suppress(Exception):
            client.cancel(futures)
        # an interrupted cluster shuts down loudly (the scheduler logs every message it
        # can no longer send): the one line nncalc prints is the message
        import logging

        # distributed's and tornado's loggers (tornado logs an exception from the cancel
        # callback that an interrupted client.sync leaves behind, with a traceback)
        logging.disable(logging.CRITICAL)
        if cluster is None:  # a cluster we leave running: its running tasks still finish
            _drain(client, {f.key for f in futures})
        _close(client, cluster)
        for folder in folders:  # no input is complete yet: leave no parts, no temporaries
            clear(out_fs, folder, parts=True)
        raise
    _close(client, cluster)
    outcomes = []
    for i, (shown, _, _) in enumerate(inputs):
        if i in errors:
            clear(out_fs, folders[i], parts=True)
            outcomes.append(Outcome(shown, 0, 0, seconds.get(i, 0.0), errors[i][1]))
        else:
            clear(out_fs, folders[i], parts=False)
            put(out_fs, _join(folders[i], SUCCESS), b"")
            outcomes.append(Outcome(shown, rows_of[i], parts_of[i],
                                    seconds.get(i, time.perf_counter() - started)))  # fmt: skip
    return outcomes


def _executing(dask_worker: Any) -> list[str]:
    return [str(ts.key) for ts in dask_worker.state.executing]


def _drain(client: Any, keys: set[Any], timeout: float = 30) -> None:
    """Wait until no worker still runs one of ``keys``: a cancelled task that is running
    finishes, and would write its part after the clean-up."""
    wanted = {str(k) for k in keys}
    end = time.monotonic() + timeout
    with contextlib.suppress(Exception):
        while time.monotonic() < end:
            running = client.run(_executing)
            if not any(wanted.intersection(ks) for ks in running.values()):
                return
            time.sleep(0.05)


def _close(client: Any, cluster: Any) -> None:
    """Our own cluster first (its workers stop, so no task writes after we clean up),
    then the client."""
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close()
    with contextlib.suppress(Exception):
        client.close()


def _compute(
    client: Any,
    inputs: list[tuple[str, Any, str]],
    layouts: dict[int, Layout],
    errors: dict[int, tuple[int, str]],
    network: Network,
    fmt: str,
    out_header: Callable[[Layout], list[str] | None],
    settings: Settings,
    out_fs: Any,
    folders: list[str],
    template: Job,
    progress: Progress,
    futures: list[Any],
) -> tuple[dict[int, int], dict[int, int], dict[int, float]]:
    from distributed import KilledWorker, as_completed

    started = time.perf_counter()
    blocks = {i: cut(i, inputs[i][1], inputs[i][2], settings.blocksize, layouts[i])
              for i in layouts}  # fmt: skip
    counts = {}
    placed: dict[int, list[Block]] = {}
    for i, bl in blocks.items():
        if layouts[i].rows is not None:  # Parquet: rows known
            try:
                shape_check(network, inputs[i][0], layouts[i].rows or 0, layouts[i].ncols)
                placed[i] = bl
            except ShapeError as e:
                errors[i] = (-1, str(e))
            continue
        counts[i] = client.map(count_block, bl, pure=False)
        futures += counts[i]
    for i, bl in blocks.items():
        if i not in counts:
            continue
        got = client.gather(counts[i])
        lay = layouts[i]
        line, row, out_blocks = 1, 0, []
        for b, (lines, rows) in zip(bl, got, strict=True):
            if lay.header and line <= lay.first_line < line + lines:
                rows -= 1
            out_blocks.append(b._replace(first_line=line, first_row=row, rows=rows))
            line += lines
            row += rows
        if row == 0:
            what = "only a header" if lay.header else "no numbers"
            errors[i] = (-1, str(InputError(f"{what} (empty input)", source=inputs[i][0],
                                            expected="at least one row of numbers")))  # fmt: skip
            continue
        try:
            shape_check(network, inputs[i][0], row, lay.ncols)
        except ShapeError as e:
            errors[i] = (-1, str(e))
            continue
        placed[i] = [b._replace(total_rows=row) for b in out_blocks]
    progress.total(sum(len(bl) for bl in placed.values()))
    [net_future] = client.scatter([network], broadcast=True)
    owner: dict[Any, tuple[int, int]] = {}
    per_input: dict[int, list[Any]] = {}
    for i, bl in placed.items():
        lay = layouts[i]
        # the thread count a local run uses: one for small networks, else this machine's
        threads = blas_cap(network) or blas_threads()
        job = template._replace(out_header=out_header(lay), blas_threads=threads)
        fs_list = [
            client.submit(
                _score,
                b,
                inputs[i][0],
                lay,
                job._replace(network=None),
                net_future,
                out_fs,
                folders[i],
                pure=False,
            )  # fmt: skip
            for b in bl
        ]
        per_input[i] = fs_list
        futures += fs_list
        for k, f in enumerate(fs_list):
            owner[f.key] = (i, k)
    rows_of = dict.fromkeys(placed, 0)
    parts_of = dict.fromkeys(placed, 0)
    left = {i: len(fl) for i, fl in per_input.items()}
    seconds: dict[int, float] = {}
    for fut in as_completed([f for fl in per_input.values() for f in fl]):
        i, k = owner[fut.key]
        progress.step()
        left[i] -= 1
        if not fut.cancelled():
            try:
                rows, err = fut.result()
            except KilledWorker as e:  # workers died on this block again and again
                rows, err = 0, f"{inputs[i][0]}: block {k} lost its worker too often ({e})"
            if err is None:
                rows_of[i] += rows
                parts_of[i] += 1
            elif i not in errors or k < errors[i][0]:
                # the lowest block's error is the first a whole read meets; later blocks
                # still run (a cancelled task that is running would write its part after
                # the clean-up), their parts are removed with the others
                errors[i] = (k, err)
        if left[i] == 0:
            seconds[i] = time.perf_counter() - started
    return rows_of, parts_of, seconds


def blas_threads() -> int | None:
    """The BLAS thread count this process computes with (None: no BLAS found)."""
    from threadpoolctl import threadpool_info

    counts = [p["num_threads"] for p in threadpool_info() if p.get("user_api") == "blas"]
    return max(counts) if counts else None


def _score(
    block: Block, name: str, layout: Layout, job: Job, network: Network, out_fs: Any, folder: str
) -> tuple[int, str | None]:
    return score_block(block, name, layout, job._replace(network=network), out_fs, folder)
