"""The evaluate runner: X streamed through the network as ``forward`` streams it, each
output block scored against its labels as it goes by (running sums, never the rows), so
any number of rows fit in bounded memory and the totals do not depend on the cut; or,
with a :class:`Cluster`, each block of X scored on a Dask cluster and the blocks'
findings merged into the same bits."""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from itertools import chain
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from nncalc import limits
from nncalc.core import Network
from nncalc.core.metrics import LOSSES, Evaluation, Loss, Scores
from nncalc.errors import UsageError
from nncalc.formats.labels import Labels, Parser, column_labels, open_labels
from nncalc.i18n import _, ngettext
from nncalc.operands import gather, load_params_file, stream_inputs

from .hooks import Hooks
from .job import Job, fits

if TYPE_CHECKING:
    from nncalc.engines.dask import EvalSpec, InputLayout

LOSS_NAMES = ("auto", *LOSSES)


class Truth(NamedTuple):
    """Where the true labels come from: a file (``--labels``) or a column of X
    (``--label-column``, read by X's reader as its id column)."""

    file: str | None = None
    column: str | None = None


class Cluster(NamedTuple):
    """``--engine dask``'s options, as given (None: Dask's or nncalc's default)."""

    scheduler: str | None = None
    workers: int | None = None
    blocksize: int | None = None
    storage_options: str | None = None


class Scoring(NamedTuple):
    """How a network's outputs are scored: its loss, its classes (``k``, None for a
    regression) and their names, and the cut of one probability output."""

    loss: Loss
    k: int | None
    names: list[str] | None
    threshold: float


class Evaluated(NamedTuple):
    scores: Scores
    classes: Sequence[str] | None  # the classes' names, or None (numbered from 0)
    net: Network


def loss_for(name: str, net: Network) -> Loss:
    """The loss ``--loss`` names; ``auto`` picks it from the output layer: softmax →
    categorical cross-entropy, one sigmoid output → binary cross-entropy, else mse.
    A cross-entropy of outputs that are not probabilities is refused."""
    act, p = net.layers[-1].act.name, net.p
    if name == "auto":
        if act == "softmax" and p > 1:
            name = "cross_entropy"
        elif act == "sigmoid" and p == 1:
            name = "binary_cross_entropy"
        else:
            name = "mse"
    if name not in LOSSES:
        raise UsageError(_("--loss takes {names}, got {name}").format(
            names=", ".join(LOSS_NAMES), name=repr(name)))  # fmt: skip
    if name == "cross_entropy" and not (act == "softmax" and p > 1):
        raise UsageError(ngettext(
            "--loss cross_entropy needs probabilities over 2+ classes (a softmax output), "
            "but the last layer is {act} with {p} output",
            "--loss cross_entropy needs probabilities over 2+ classes (a softmax output), "
            "but the last layer is {act} with {p} outputs", p).format(act=act, p=p))  # fmt: skip
    if name == "binary_cross_entropy" and not (act == "sigmoid" and p == 1):
        raise UsageError(ngettext(
            "--loss binary_cross_entropy needs one probability (a sigmoid output), but the "
            "last layer is {act} with {p} output",
            "--loss binary_cross_entropy needs one probability (a sigmoid output), but the "
            "last layer is {act} with {p} outputs", p).format(act=act, p=p))  # fmt: skip
    return LOSSES[name]


def scoring(job: Job, net: Network, loss_name: str, threshold: float | None) -> Scoring:
    """The loss ``--loss`` names for this network, and what its labels must be."""
    loss = loss_for(loss_name, net)
    if threshold is not None and loss.name != "binary_cross_entropy":
        raise UsageError(_("--threshold is for one probability output (a sigmoid): "
                           "the loss here is {loss}").format(loss=loss.name))  # fmt: skip
    k = (2 if net.p == 1 else net.p) if loss.classes else None
    names = list(job.classes) if loss.classes and job.classes is not None else None
    if job.classes is not None and not loss.classes:
        raise UsageError(_("--classes names classes, but --loss {loss} scores numbers")
                         .format(loss=loss.name))  # fmt: skip
    if k is not None:
        limits.require(16 * k * k, _("a confusion matrix of {k}×{k} classes").format(k=k))
    return Scoring(loss, k, names, 0.5 if threshold is None else threshold)


def run_evaluate(
    job: Job,
    truth: Truth,
    loss_name: str = "auto",
    threshold: float | None = None,
    hooks: Hooks | None = None,
    cluster: Cluster | None = None,
) -> Evaluated:
    """Score the network on X's rows against their labels (on a Dask cluster when
    ``cluster`` is given)."""
    from nncalc.engines import local

    hooks = hooks or Hooks()
    if cluster is not None:
        return run_on_cluster(job, truth, loss_name, threshold, hooks, cluster)
    with ExitStack() as stack:
        progress = hooks.on_read(job.req.inputs, stack)
        reader, blocks, first, from_file = stream_inputs(job.req, stack, progress)
        x_shape = (len(first), first.shape[1]) if first.ndim == 2 else first.shape
        ops = gather(job.req, x_shape, reader.source, from_file, stack)
        net = job.network(x_shape, ops)[0]
        fits(net)
        hooks.details(job.verbose, [reader.detected(), *ops.details], ops.generated, False)
        how = scoring(job, net, loss_name, threshold)
        parser = Parser(how.k, how.names, net.p)
        labels = _labels(truth, parser, reader, stack)
        ev = Evaluation(how.loss, how.k, how.threshold)
        rows = chain([np.atleast_2d(first)], blocks)
        m = 0
        outputs = local.run(rows, net, stack, finite=not job.req.read.allow_nonfinite)
        with np.errstate(all="ignore"):
            for a in local.located(outputs, reader.source):
                m += len(a)
                y = labels.take(len(a))
                if y is not None:
                    ev.add(a, y)
        labels.finish(m)
    return Evaluated(ev.scores(), how.names, net)


def run_on_cluster(
    job: Job, truth: Truth, loss_name: str, threshold: float | None, hooks: Hooks,
    cluster: Cluster,
) -> Evaluated:  # fmt: skip
    """``--engine dask``: X's blocks scored where they are parsed, against the label
    column they carry or their lines of the labels file; their findings merged in row
    order (the local engine's bits)."""
    from .distributed import dask_progress, no_stdin, require_dask, settings_of

    require_dask()
    from nncalc.engines import dask as engine

    name = job.req.inputs
    if name is None:
        raise UsageError(_("evaluate --engine dask needs X: a file or a URL"))
    no_stdin([name])
    settings = settings_of(*cluster)
    req = job.req
    built: list[tuple[Network, Scoring]] = []

    def prepare(shown: str, layout: InputLayout, rows: int) -> tuple[Network, EvalSpec]:
        x_shape = (rows, layout.ncols)
        with ExitStack() as stack:
            from_file = load_params_file(req, stack)
            ops = gather(req, x_shape, shown, from_file, stack)
        net = job.network(x_shape, ops)[0]
        fits(net)
        hooks.details(job.verbose, [layout.detected, *ops.details], ops.generated, False)
        how = scoring(job, net, loss_name, threshold)
        built.append((net, how))
        return net, engine.EvalSpec(loss=how.loss.name, k=how.k, names=how.names, width=net.p,
                                    threshold=how.threshold,
                                    finite=not req.read.allow_nonfinite)  # fmt: skip

    with hooks.bar(_("evaluate (dask)"), None) as bar:
        progress = dask_progress(hooks, bar, job.verbose)
        parts = engine.evaluate(name, req.read, settings, prepare, progress, truth.file)
    [(net, how)] = built
    ev = Evaluation(how.loss, how.k, how.threshold)
    for part in parts:
        ev.merge(part)
    return Evaluated(ev.scores(), how.names, net)


def _labels(truth: Truth, parser: Parser, reader: Any, stack: ExitStack) -> Labels:
    if truth.column is not None:
        assert reader.ids is not None, "--label-column is read as X's id column"
        return column_labels(parser, reader.source, reader.ids)
    assert truth.file is not None
    return open_labels(truth.file, parser, stack)


def as_json(ev: Evaluated) -> dict[str, Any]:
    """The evaluation as one JSON object (``-f json``, or piped)."""
    s = ev.scores
    doc: dict[str, Any] = {
        "samples": s.samples,
        "loss": s.value,
        "loss_name": s.loss.name,
        "loss_formula": s.loss.formula,
    }
    if s.accuracy is None or s.confusion is None or s.per_class is None:
        return doc
    k = len(s.confusion)
    names: list[Any] = list(ev.classes) if ev.classes is not None else list(range(k))
    pc = s.per_class
    doc.update(
        accuracy=s.accuracy,
        classes=names,
        confusion=s.confusion.tolist(),
        per_class=[
            {"class": names[i], "precision": float(pc.precision[i]), "recall": float(pc.recall[i]),
             "f1": float(pc.f1[i]), "support": int(pc.support[i])}
            for i in range(k)
        ],
    )  # fmt: skip
    return doc


def labels_whole(
    truth: Truth,
    net: Network,
    classes: Sequence[str] | None,
    m: int,
    column: tuple[str, list[str] | None] = ("", None),
) -> tuple[Loss, np.ndarray]:
    """Every row's label at once (``explain --sample i`` holds X whole already), with the
    loss ``auto`` picks for this network; ``column`` is X's source and its label cells."""
    loss = loss_for("auto", net)
    k = (2 if net.p == 1 else net.p) if loss.classes else None
    parser = Parser(k, list(classes) if loss.classes and classes else None, net.p)
    with ExitStack() as stack:
        if truth.column is not None:
            from collections import deque

            labels = column_labels(parser, column[0], deque([column[1] or []]))
        else:
            labels = _labels(truth, parser, None, stack)
        y = labels.take(m)
        labels.finish(m)
    assert y is not None
    return loss, y
