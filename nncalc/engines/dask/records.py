"""What the Dask engine's tasks and its caller pass around: plain records, picklable, so
the workers receive them as they are."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from nncalc.core import Network
from nncalc.formats import Format, ReadOptions

DEFAULT_BLOCKSIZE = 64 << 20
OUTPUT_FORMATS = (Format.CSV, Format.TSV, Format.NDJSON, Format.JSON, Format.PARQUET)
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
    header: list[str] | None  # the input's column names (a header line, record keys)
    rows: int | None = None  # Parquet, JSON: known before any task runs, no count pass
    fmt: Format = Format.CSV  # csv, tsv, ndjson, json or parquet
    detected: str = ""  # the --verbose line a local run prints for this input
    one_row: bool = False  # JSON: a single sample (a flat list)
    groups: tuple[tuple[int, int], ...] | None = None  # Parquet: (rows, bytes) per row group


class Job(NamedTuple):
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


class Block(NamedTuple):
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


class Progress(NamedTuple):
    """Hooks for the CLI's bar: ``total(n)`` once the blocks are known, ``step()`` per
    block done."""

    total: Callable[[int], object] = lambda n: None
    step: Callable[[], object] = lambda: None
