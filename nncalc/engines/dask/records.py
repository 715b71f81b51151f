"""What the Dask engine's tasks and its caller pass around: keyword-only frozen
dataclasses, picklable, so the workers receive them as they are (``replace`` makes a
changed copy)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from nncalc.core import Network
from nncalc.errors import NncalcError
from nncalc.formats import Format, ReadOptions

DEFAULT_BLOCKSIZE = 64 << 20
# below this a block is one Dask task per few lines: the client's graph, not the data,
# takes the memory and the time (--blocksize 1 made one task per line)
MIN_BLOCKSIZE = 1000
# below this nncalc's CSV fast path (polars) no longer pays its start-up per block: the
# slow parser takes over (benchmarks/dask_batch.py measures the turn)
FAST_BLOCKSIZE = 8 << 20
# workers per core beyond which a LocalCluster only adds processes that wait
WORKERS_PER_CORE = 4
OUTPUT_FORMATS = (Format.CSV, Format.TSV, Format.NDJSON, Format.JSON, Format.PARQUET)
SUCCESS = "_SUCCESS"


class ClusterError(NncalcError):
    """The cluster itself failed (unreachable, lost, its workers cannot read the
    inputs): the run stops, every input not yet complete is removed."""


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Where and how to run; ``scheduler=None`` uses Dask's ``scheduler-address``
    (``DASK_SCHEDULER_ADDRESS``) when set, else starts a LocalCluster of ``workers``.
    ``retries``: Dask's, for a task that raised (a transient read or write error)."""

    scheduler: str | None = None
    workers: int | None = None
    blocksize: int = DEFAULT_BLOCKSIZE
    storage_options: dict[str, Any] | None = None
    retries: int = 2


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """One input's result, for the batch table."""

    name: str
    rows: int
    parts: int
    seconds: float
    error: str | None = None


@dataclass(frozen=True, kw_only=True)
class InputLayout:
    """What every block of one input needs to parse itself the way a whole read would."""

    options: ReadOptions  # the user's
    delimiter: str | None  # decided from the first line (None: whitespace)
    ncols: int
    first_line: int  # whole-file number of the first data or header line
    header: list[str] | None  # the input's column names (a header line, record keys)
    rows: int | None = None  # Parquet, JSON: known before any task runs, no count pass
    fmt: Format = Format.CSV  # csv, tsv, ndjson, json or parquet
    detected: str = ""  # the --verbose line a local run prints for this input
    one_row: bool = False  # JSON: a single sample (a flat list)
    groups: tuple[tuple[int, int], ...] | None = None  # Parquet: (rows, bytes) per row group
    first_offset: int = 0  # CSV/TSV: the byte where line ``first_line`` starts
    size: int | None = None  # bytes, when opening the input told (no second request)
    # CSV/TSV: the options of the blocks after the first, which have no header line to
    # name columns by (None: the user's)
    rest: ReadOptions | None = None
    # CSV/TSV with --id-column: the id column's header name (the output's first column)
    id_name: str | None = None


@dataclass(frozen=True, kw_only=True)
class TaskSpec:
    """What every score task of one run shares (sent to the workers once)."""

    network: Network | None  # None in the record sent: the network goes apart, scattered
    fmt: str  # csv, tsv, ndjson, json or parquet
    out_header: list[str] | None
    upto: int | None = None
    # OpenBLAS gives other bits for some shapes (3×1100, 1100×2) with another thread
    # count: blocks compute with the client's, as the local engine would (Dask's nanny
    # starts workers with one)
    blas_threads: int | None = None
    argmax: bool = False  # each sample's class instead of its outputs
    classes: list[str] | None = None
    finite: bool = True  # refuse a Z that overflows, as a local run does
    threshold: float = 0.5  # --argmax on one probability output: class 1 above it


@dataclass(frozen=True, kw_only=True)
class EvalSpec:
    """What every evaluate task of one run shares (the network is sent apart): the loss
    and how a label cell is read (``k`` classes, named ``names``; else ``width``
    numbers)."""

    loss: str  # a key of nncalc.core.metrics.LOSSES
    k: int | None
    names: list[str] | None
    width: int
    threshold: float = 0.5
    finite: bool = True
    blas_threads: int | None = None  # the client's, as in TaskSpec


@dataclass(frozen=True, kw_only=True)
class Block:
    """One block of one input, and (after the count pass) where it sits in the file."""

    input: int
    number: int  # its place in the input, from 0: part-<number>
    fs: Any
    path: str
    offset: int  # bytes; Parquet: the first row group (or row, without the footer's groups)
    length: int  # bytes; Parquet: row groups (or rows)
    first_line: int = 1
    first_row: int = 0
    rows: int = 0
    total_rows: int = 0
    # the whole of a text input, not counted: its task runs the local engine's stream on
    # it (nothing to place), so a one-block input skips the count pass
    whole: bool = False
    size: int | None = None  # the file's bytes (a read never asks past them)


class Parsed(NamedTuple):
    """One CSV/TSV block parsed once, kept on its worker (a tuple, so Dask sizes it by
    its arrays and may spill it) until its score task takes it."""

    chunks: list[Any]  # the reader's row blocks (float64 arrays)
    lines: int  # physical lines of the block
    # the first error a whole read would meet in this block: (message, line within the
    # block, column, expected); the client makes the line whole-file once it is known
    error: tuple[str, int | None, int | None, str | None] | None = None
    ids: list[list[str]] | None = None  # --id-column's cells, one list per chunk

    @property
    def rows(self) -> int:
        return sum(len(c) for c in self.chunks)


@dataclass(frozen=True, kw_only=True)
class Progress:
    """Hooks for the CLI: ``total(n)`` once the tasks are known (one bar for the whole
    run), ``step()`` per task done, ``say(line)`` for --verbose lines (the scheduler's
    and the dashboard's addresses) and warnings."""

    total: Callable[[int], object] = lambda n: None
    step: Callable[[], object] = lambda: None
    say: Callable[[str], object] = lambda line: None
    warn: Callable[[str], object] = lambda line: None


__all__ = ["Block", "EvalSpec", "InputLayout", "Outcome", "Parsed", "Progress", "Settings",
           "TaskSpec", "replace"]  # fmt: skip
