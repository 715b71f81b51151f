"""``nncalc forward … --engine dask``: the same network over many or huge inputs on a
Dask cluster, one folder of part files per input (see :mod:`nncalc.engines.dask`)."""

from __future__ import annotations

import importlib.util
from contextlib import ExitStack
from typing import TYPE_CHECKING

import typer

from nncalc.errors import ExitStatus, UsageError
from nncalc.operands import gather, load_params_file

from .root import error

if TYPE_CHECKING:
    from nncalc.engines.dask import Layout

    from .forward import Job

INSTALL = "--engine dask needs Dask: pip install 'nncalc[dask]'"


def require_dask() -> None:
    """One line naming the command that installs Dask, before anything is read."""
    for module in ("dask", "distributed", "fsspec"):
        if importlib.util.find_spec(module) is None:
            raise UsageError(INSTALL)


def run(
    job: Job,
    names: list[str],
    out_dir: str,
    fmt: str,
    scheduler: str | None,
    workers: int | None,
    blocksize: int | None,
) -> None:
    """Forward every input on the cluster, then print the batch table; exit 1 when an
    input failed (the others still finish)."""
    require_dask()
    from nncalc import render
    from nncalc.engines import dask as engine
    from nncalc.runner.job import out_header, saving

    from .forward import report
    from .options import stderr_is_tty

    if "-" in names:
        raise UsageError("--engine dask reads files and URLs, not stdin ('-')")
    req = job.req
    settings = engine.Settings(scheduler, workers, blocksize or engine.DEFAULT_BLOCKSIZE)
    inputs = engine.expand(names, settings.storage_options)
    # the network is built once, from the first input's columns: every input meets it
    shown, fs, path = inputs[0]
    first = engine.layout_of(fs, path, shown, req.read)
    with ExitStack() as stack:
        from_file = load_params_file(req, stack)
        ops = gather(req, (1, first.ncols), shown, from_file, stack)
    net, _ = job.network((1, first.ncols), ops)
    report(job, ops.details, ops.generated)
    p = net.layers[(job.upto or len(net)) - 1].p

    def header(layout: Layout) -> list[str] | None:
        return out_header(job, layout.header, ops, p)

    with saving(job, net, ops), render.progress(enabled=stderr_is_tty()) as bar:
        task = bar.add_task("forward (dask)", total=None)
        hooks = engine.Progress(
            total=lambda n: bar.update(task, total=n), step=lambda: bar.advance(task)
        )
        outcomes = engine.run(
            names, out_dir, net, req.read, fmt, header, settings, force=job.force,
            upto=job.upto, argmax=job.argmax, classes=job.classes, progress=hooks,
        )  # fmt: skip
    rows = []
    for o in outcomes:
        if o.error:
            error(o.error)
        shape = "—" if o.error else f"{o.rows}×{1 if job.argmax else p}"
        rows.append((o.name, shape, str(o.parts), f"{o.seconds:.3f}s", o.error or "ok"))
    render.make_console(stderr=True).print(render.parts_table(rows))
    if any(o.error for o in outcomes):
        raise typer.Exit(int(ExitStatus.DATA))
