"""``nncalc forward A.csv B.csv --out-dir DIR``: many inputs in one process, one output
file each, a table of how each went (see :mod:`nncalc.runner.stream`)."""

import time
from pathlib import Path

import typer

from nncalc import generate
from nncalc.errors import ExitStatus, InputError, NncalcError, UsageError
from nncalc.formats import Format
from nncalc.runner.job import Job
from nncalc.runner.stream import run_stream

from .forward import report
from .output import stderr_is_tty
from .root import error, note


def batch_seed(job: Job) -> Job:
    """One draw for the whole batch (said once), so every input meets the same layer."""
    req = job.req
    if req.seed is None and req.model is None and (not req.weights or not req.biases):
        seed = generate.fresh_seed()
        note(f"seed {seed} drawn for every input (--seed {seed} replays the batch)")
        job = job._replace(req=req._replace(seed=seed))
    return job


def run_batch(job: Job, names: list[str], out_dir: Path, fmt: Format) -> None:
    """Many inputs, one process: a bad file is reported and the others still run."""
    from nncalc import render

    if "-" in names:
        raise UsageError("batch mode reads files, not stdin ('-')")
    targets: dict[Path, str] = {}
    for name in names:
        target = out_dir / f"{Path(name).stem}.{fmt.value}"
        if target in targets:
            raise UsageError(f"{targets[target]} and {name} would both write {target}")
        targets[target] = name
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"cannot create the output folder: {e.strerror}", source=str(out_dir),
                         expected="a folder nncalc may write in") from None  # fmt: skip
    job = batch_seed(job)
    rows: list[tuple[str, str, str, str]] = []
    failed = 0
    with render.progress(enabled=stderr_is_tty()) as progress:
        task = progress.add_task("forward", total=len(names))
        for target, name in targets.items():
            started = time.perf_counter()
            one = job._replace(req=job.req._replace(inputs=name), batch=tuple(names))
            try:
                m, p, *_ = run_stream(one, fmt, str(target), report)
                shape, status = f"{m}×{p}", "ok"
            except NncalcError as e:
                failed += 1
                shape, status = "—", str(e)
                error(str(e))
            rows.append((name, shape, f"{time.perf_counter() - started:.3f}s", status))
            progress.advance(task)
    render.make_console(stderr=True).print(render.batch_table(rows))
    if failed:
        raise typer.Exit(int(ExitStatus.DATA))
