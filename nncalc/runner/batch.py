"""Many inputs in one process (``forward A.csv B.csv --out-dir DIR``): one output file
each, a bad file reported and the others still run (see :mod:`.stream`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from nncalc import generate
from nncalc.errors import InputError, NncalcError, UsageError
from nncalc.formats import Format
from nncalc.i18n import _

from .hooks import Hooks
from .job import Job
from .stream import run_stream


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How one input of a batch went, for the summary table."""

    name: str
    shape: str  # m×p, or "—" when it failed
    seconds: float
    error: str | None = None
    parts: int | None = None  # a cluster run's part files

    @property
    def status(self) -> str:
        return self.error or "ok"


def batch_seed(job: Job, hooks: Hooks) -> Job:
    """One draw for the whole batch (said once), so every input meets the same layer."""
    req = job.req
    if req.seed is None and req.model is None and (not req.weights or not req.biases):
        seed = generate.fresh_seed()
        hooks.note(
            _("seed {seed} drawn for every input (--seed {seed} replays the batch)").format(
                seed=seed
            )
        )
        job = job.replace(req=req.replace(seed=seed))
    return job


COMPRESSED = (".gz", ".bz2", ".xz", ".zst")


def stem(name: str) -> str:
    """An output's name for input ``name``: without a compression suffix, then without
    its format's (``b.csv.gz`` → ``b``)."""
    path = Path(name)
    if path.suffix.lower() in COMPRESSED:
        path = path.with_suffix("")
    return path.stem


def run_batch(
    job: Job, names: list[str], out_dir: Path, fmt: Format, hooks: Hooks
) -> list[Outcome]:
    """Many inputs, one process: a bad file is reported and the others still run."""
    if "-" in names:
        raise UsageError(_("batch mode reads files, not stdin ('-')"))
    targets: dict[Path, str] = {}
    for name in names:
        target = out_dir / f"{stem(name)}.{fmt.value}"
        if target in targets:
            raise UsageError(
                _("{first} and {second} would both write {target}").format(
                    first=targets[target], second=name, target=target
                )
            )
        targets[target] = name
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(
            _("cannot create the output folder: {reason}").format(reason=e.strerror),
            source=str(out_dir),
            expected=_("a folder nncalc may write in"),
        ) from None
    job = batch_seed(job, hooks)
    outcomes: list[Outcome] = []
    with hooks.bar(_("forward"), len(names)) as bar:
        for target, name in targets.items():
            started = time.perf_counter()
            one = job.replace(req=job.req.replace(inputs=name), batch=tuple(names))
            try:
                streamed = run_stream(one, fmt, str(target), hooks, within=str(out_dir))
                shape, error = f"{streamed.m}×{streamed.p}", None
            except NncalcError as e:
                shape, error = "—", str(e)
                hooks.error(error)
            outcomes.append(Outcome(name=name, shape=shape, error=error,
                                    seconds=time.perf_counter() - started))  # fmt: skip
            bar.step()
    return outcomes
