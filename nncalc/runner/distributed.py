"""``forward … --engine dask``: the same network over many or huge inputs on a Dask
cluster, one folder of part files per input (the engine is :mod:`nncalc.engines.dask`;
this module gives it each input's network, built as a local batch builds it)."""

from __future__ import annotations

import importlib.util
import json
from contextlib import ExitStack
from typing import TYPE_CHECKING, Any

from nncalc.errors import UsageError
from nncalc.i18n import N_, _
from nncalc.operands import gather, load_params_file

from .batch import Outcome, batch_seed
from .hooks import Hooks, Steps
from .job import Job, check_saves, out_header, saving

if TYPE_CHECKING:
    from nncalc.core import Network
    from nncalc.engines.dask import InputLayout, Progress, Settings
    from nncalc.operands import Operands

INSTALL = N_("--engine dask needs Dask: pip install 'nncalc[dask]'")


def require_dask() -> None:
    """One line naming the command that installs Dask, before anything is read."""
    for module in ("dask", "distributed", "fsspec"):
        if importlib.util.find_spec(module) is None:
            raise UsageError(_(INSTALL))


def no_stdin(names: list[str]) -> None:
    if "-" in names:
        raise UsageError(_("--engine dask reads files and URLs, not stdin ('-')"))


def dask_progress(hooks: Hooks, bar: Steps, verbose: bool) -> Progress:
    """What a Dask run says as it goes: its bar's steps, the cluster's notes (with
    --verbose) and its warnings."""
    from nncalc.engines import dask as engine

    return engine.Progress(
        total=bar.total, step=bar.step,
        say=hooks.note if verbose else lambda line: None,
        warn=lambda line: hooks.note(_("warning: {message}").format(message=line)),
    )  # fmt: skip


def storage_options_of(text: str | None) -> dict[str, Any] | None:
    """``--storage-options``: a JSON object of fsspec keyword arguments."""
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError as e:
        raise UsageError(_("--storage-options is not JSON: {reason}").format(reason=e)) from None
    if not isinstance(value, dict):
        raise UsageError(
            _("--storage-options must be a JSON object, e.g. {example}").format(
                example="'{\"anon\": true}'"
            )
        )
    return value


def refuse_cluster_options(
    scheduler: str | None, workers: int | None, blocksize: int | None, storage: str | None
) -> None:
    """The Engine group's cluster options on the local engine."""
    if any(v is not None for v in (scheduler, workers, blocksize, storage)):
        raise UsageError(
            _("--scheduler, --workers, --blocksize and --storage-options are for --engine dask")
        )


def settings_of(
    scheduler: str | None, workers: int | None, blocksize: int | None, storage: str | None
) -> Settings:
    """The Engine group's options as the Dask engine's settings."""
    from nncalc.engines import dask as engine

    return engine.Settings(scheduler=scheduler, workers=workers,
                           blocksize=blocksize or engine.DEFAULT_BLOCKSIZE,
                           storage_options=storage_options_of(storage))  # fmt: skip


def run_dask(
    job: Job,
    names: list[str],
    out_dir: str,
    fmt: str,
    scheduler: str | None,
    workers: int | None,
    blocksize: int | None,
    hooks: Hooks,
    storage_options: str | None = None,
) -> list[Outcome]:
    """Forward every input on the cluster; one outcome per input (the others still
    finish when one fails).  Each input's network, shape errors and --verbose lines are
    a local batch run's: built on the client once its rows are counted (inputs with the
    same columns share one network, sent to the workers once)."""
    require_dask()
    from nncalc.engines import dask as engine

    no_stdin(names)
    settings = settings_of(scheduler, workers, blocksize, storage_options)
    # every local input is protected from --save-params/--save-model, as in a local batch
    inputs = engine.expand(names, settings.storage_options)  # listed once, for both uses
    local = [path for shown, _fs, path in inputs
             if "://" not in shown or shown.startswith("file://")]  # fmt: skip
    job = job.replace(batch=tuple(local))
    check_saves(job)
    job = batch_seed(job, hooks)
    req = job.req
    built: dict[tuple[int, bool], tuple[Network, Operands]] = {}
    width: dict[str, int] = {}  # each input's output values per sample

    def network_for(name: str, layout: InputLayout, rows: int | None) -> Network:
        key = (layout.ncols, layout.one_row)
        if key not in built:
            # rows None: not counted yet (only a shape error's wording needs them, and
            # the engine then asks again with them)
            m = 1 if rows is None else rows
            x_shape = (layout.ncols,) if layout.one_row else (m, layout.ncols)
            with ExitStack() as stack:
                from_file = load_params_file(req, stack)
                ops = gather(req, x_shape, name, from_file, stack)
            net = job.network(x_shape, ops)[0]
            built[key] = net, ops
        net, ops = built[key]
        hooks.details(job.verbose, [layout.detected, *ops.details], ops.generated, job.show_recipe)
        width[name] = 1 if job.argmax else job.width(net)
        return net

    def header(layout: InputLayout) -> list[str] | None:
        net, ops = built[layout.ncols, layout.one_row]
        return out_header(job, layout.header, ops, job.width(net))

    with hooks.bar(_("forward (dask)"), None) as bar:
        progress = dask_progress(hooks, bar, job.verbose)
        results = engine.run(
            names, out_dir, None, req.read, fmt, header, settings, network_for=network_for,
            force=job.force, upto=job.upto, argmax=job.argmax,
            classes=list(job.classes) if job.classes is not None else None,
            threshold=job.cut, progress=progress, expanded=inputs,
        )  # fmt: skip
    if built and not all(o.error for o in results):
        with saving(job, *next(iter(built.values()))):  # the first input's network
            pass
    outcomes = []
    for o in results:
        if o.error:
            hooks.error(o.error)
        shape = "—" if o.error else f"{o.rows}×{width[o.name]}"
        outcomes.append(Outcome(name=o.name, shape=shape, seconds=o.seconds, error=o.error,
                                parts=o.parts))  # fmt: skip
    return outcomes
