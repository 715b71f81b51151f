"""``forward`` without Typer: one entry for a single input (tables or a stream), a batch
of files and a Dask run.  The CLI parses options into a :class:`Job` and a
:class:`Target`, calls :func:`run`, and prints what comes back."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncalc.errors import UsageError
from nncalc.formats import Format
from nncalc.i18n import _
from nncalc.sink import Sink, Transaction, output_mode

from .batch import Outcome, run_batch
from .distributed import refuse_cluster_options
from .hooks import Hooks
from .job import Job
from .stream import run_stream
from .tables import Drawn, View, run_tables, tables_of


@dataclass(frozen=True, kw_only=True)
class Target:
    """Where a run's results go, and how they look."""

    names: tuple[str, ...]  # the inputs (none: --params holds X)
    fmt: str | None = None  # --format as given (None: decided by where output goes)
    output: str | None = None
    out_dir: str | None = None
    report: str | None = None  # --report: the run as one HTML page
    view: View = field(default_factory=lambda: View(stages=[]))
    stdout_tty: bool = False
    engine: str = "local"
    scheduler: str | None = None
    workers: int | None = None
    blocksize: int | None = None
    storage_options: str | None = None  # --storage-options, JSON


@dataclass(frozen=True, kw_only=True)
class Result:
    """Tables to print (a terminal run), or each input's outcome (a batch, a cluster)."""

    drawn: Drawn | None = None
    outcomes: list[Outcome] | None = None
    parts: bool = False  # the outcomes are a cluster's (part files)


def check(target: Target) -> None:
    """Combinations no run can honour, refused before any work."""
    batch = target.out_dir is not None or len(target.names) > 1
    if target.engine == "dask":
        if target.out_dir is None or target.output is not None or target.fmt == "table":
            raise UsageError(_("--engine dask writes part files: name a folder with --out-dir"))
        if target.report is not None:
            raise UsageError(_("--report writes one run's page: not with --engine dask"))
        return
    if target.engine == "local":
        refuse_cluster_options(target.scheduler, target.workers, target.blocksize,
                               target.storage_options)  # fmt: skip
    if batch:
        if target.report is not None:
            raise UsageError(_("--report writes one run's page: not with --out-dir"))
        if target.out_dir is None:
            raise UsageError(
                _("{count} inputs need --out-dir DIR (one output file each)").format(
                    count=len(target.names)
                )
            )
        if target.output is not None:
            raise UsageError(_("--output and --out-dir cannot be combined"))
        if target.fmt == "table":
            raise UsageError(
                _("--out-dir writes data files: pick --format csv, tsv, json or ndjson")
            )
    if target.report is not None and not target.report.lower().endswith((".html", ".htm")):
        raise UsageError(
            _("--report writes one HTML file: name a .html file, not {name}").format(
                name=target.report
            )
        )


def run(job: Job, target: Target, hooks: Hooks, tx: Transaction | None = None) -> Result:
    """Forward every input of ``target`` as ``job`` says; errors of a single run raise,
    a batch's are in its outcomes.  A single run's outputs (-o, --report, --save-*) are
    written into ``tx`` and put in place together when the caller's transaction ends
    (without one, each as soon as it is complete)."""
    check(target)
    names = list(target.names)
    if target.engine == "dask":
        from .distributed import run_dask

        assert target.out_dir is not None
        outcomes = run_dask(job, names, target.out_dir, target.fmt or "csv", target.scheduler,
                            target.workers, target.blocksize, hooks,
                            target.storage_options)  # fmt: skip
        return Result(outcomes=outcomes, parts=True)
    if target.out_dir is not None or len(names) > 1:
        assert target.out_dir is not None
        fmt = Format(target.fmt) if target.fmt else Format.CSV
        return Result(outcomes=run_batch(job, names, Path(target.out_dir), fmt, hooks))
    job = job.replace(req=job.req.replace(inputs=names[0] if names else None))
    mode = output_mode(target.fmt, target.stdout_tty, target.output)
    if mode == Format.PARQUET.value and target.output in (None, "-") and target.stdout_tty:
        raise UsageError(_("Parquet is a binary file: name it with -o out.parquet"))
    view = target.view
    if mode == "table":
        drawn = run_tables(job, view, hooks, tx)
        if target.report is not None:
            write_page(target.report, job, drawn, tx)
        return Result(drawn=drawn)
    streamed = run_stream(job, Format(mode), target.output, hooks,
                          keep_shown=target.report is not None, on_network=view.check,
                          tx=tx)  # fmt: skip
    if target.report is not None and streamed.shown is not None:
        # the tables a terminal would show, of the rows kept as they streamed by
        drawn = tables_of(job, streamed.net, streamed.ops, streamed.shown, view)
        write_page(target.report, job, drawn, tx)
    return Result()


def write_page(path: str, job: Job, drawn: Drawn, tx: Transaction | None = None) -> None:
    """The tables just drawn, the picture and the command line, as one HTML file."""
    from nncalc import render
    from nncalc.diagram.report import report_html

    command = shlex.join(["nncalc", *sys.argv[1:]])
    items: list[Any] = drawn.report_items()
    page = report_html(command, drawn.net, drawn.x.reshape(-1, drawn.net.n),
                       render.tables_html(items))  # fmt: skip
    if tx is not None:
        tx.open(path, protect=job.protect(), force=job.force).write(page)
        return
    with Sink(path, protect=job.protect(), force=job.force) as sink:
        sink.write(page)
