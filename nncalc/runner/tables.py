"""The table runner: X read whole (or its first and last row groups, when long), every
stage computed and made into tables for the terminal; the CLI prints them."""

from contextlib import ExitStack
from typing import Any, NamedTuple

import numpy as np

from nncalc.core import Network, Pass
from nncalc.core.predict import predicted
from nncalc.errors import InputError, UsageError
from nncalc.formats import Matrix
from nncalc.i18n import _, ngettext
from nncalc.operands import Operands, gather, load_shown
from nncalc.operands.sources import Shown
from nncalc.shapes import Plan
from nncalc.sink import Transaction

from .hooks import Hooks
from .job import Job, saving


class Drawn(NamedTuple):
    """The tables of a run, and the network and X rows they show (for --report)."""

    items: list[Any]
    net: Network
    x: np.ndarray
    shapes_at: int | None = None  # which item is the shape table (a report has its own)
    protect: tuple[str, ...] = ()  # every file the run read (the model's too): never -o

    def report_items(self) -> list[Any]:
        """The tables for --report, less the shape table: the page shows the chain."""
        return [item for k, item in enumerate(self.items) if k != self.shapes_at]


STAGES = ("shapes", "x", "w", "b", "z", "a")  # what --show can pick


class View(NamedTuple):
    """Which tables to draw: the stages (--show), the layers (--layers), the digits."""

    stages: list[str]
    layers: list[int] | None = None
    precision: int = 4

    def check(self, net: Network) -> None:
        """--layers past the network's end: said as soon as the network is known."""
        if self.layers is not None and max(self.layers) > len(net):
            raise UsageError(
                ngettext(
                    "--layers {k}: the network has {count} layer",
                    "--layers {k}: the network has {count} layers",
                    len(net),
                ).format(k=max(self.layers), count=len(net))
            )


def run_tables(job: Job, view: View, hooks: Hooks, tx: Transaction | None = None) -> Drawn:
    """Read X (its first and last row groups when long), compute, and draw."""
    with ExitStack() as stack:
        shown, from_file = load_shown(job.req, stack)
        x_shape = shown.shape
        ops = gather(job.req, x_shape, shown.x.source, from_file, stack)
    net, plans = job.network(x_shape, ops)
    traced = _trace(job, net, shown)
    hooks.details(job.verbose, [shown.x.detected(), *ops.details], ops.generated, job.show_recipe)
    with saving(job, net, ops, tx):  # kept only if the tables can be drawn
        return _draw(job, net, plans, ops, traced, view)


def tables_of(job: Job, net: Network, ops: Operands, shown: Shown, view: View) -> Drawn:
    """The tables of rows kept while they streamed (``forward -f csv --report``)."""
    plans = job.network(shown.shape, ops)[1]
    return _draw(job, net, plans, ops, _trace(job, net, shown), view)


class _Traced(NamedTuple):
    xm: Matrix  # the rows shown
    trace: list[Pass]
    elided: Any  # render.Elided: which rows they are of X


def _trace(job: Job, net: Network, shown: Shown) -> _Traced:
    from nncalc import render
    from nncalc.engines import local

    xm = shown.x
    x = xm.values
    finite = not job.req.read.allow_nonfinite
    elided = render.Elided()
    try:
        if shown.tail is None:
            trace = local.trace(net, x.reshape(-1, net.n), finite=finite)
        else:
            # a long X: its first row group and its last ones, each computed as a stream
            # computes it (so the numbers shown are the numbers written), 6 rows of each
            head, tail = x[: len(x) - shown.tail], x[len(x) - shown.tail :]
            first, last = (
                local.trace(net, head, finite=finite),
                local.trace(net, tail, finite=finite),
            )
            trace = [Pass(np.concatenate([f.z[:6], t.z[-6:]]), np.concatenate([f.a[:6], t.a[-6:]]))
                     for f, t in zip(first, last, strict=True)]  # fmt: skip
            xm = xm._replace(values=np.concatenate([head[:6], tail[-6:]]))
            m = shown.m
            labels = [f"s{i}" for i in range(6)] + [f"s{i}" for i in range(m - 6, m)]
            elided = render.Elided(labels, 5, shown.shape)
    except InputError as e:
        raise e.located(xm.source) from None
    return _Traced(xm, trace, elided)


def _draw(
    job: Job, net: Network, plans: tuple[Plan, ...], ops: Operands, traced: _Traced, view: View
) -> Drawn:
    from nncalc import render

    xm, trace, elided = traced
    stages, layers, precision = view
    gen = ops.generated
    if len(net) == 1:
        layer, pl, raw = net[0], plans[0], ops.layers[0]
        w_note = gen.caption() if gen and gen.made_w else None
        b_note = gen.caption() if gen and gen.made_b and not gen.made_w else None
        if w_note is None and pl.transpose_w:
            w_note = _("given as {shape}, transposed to n×p").format(
                shape="×".join(map(str, raw.w.shape))
            )
        items = render.forward_tables(
            xm, layer, pl, trace[0], raw.labels, stages, precision, w_note, b_note, elided
        )
    else:
        view.check(net)
        items = render.network_tables(
            xm, net, plans, trace, [r.labels for r in ops.layers], stages,
            layers or list(range(1, len(net) + 1)), precision,
            gen.caption() if gen else None, elided,
        )  # fmt: skip
    if job.argmax:
        out = trace[(job.upto or len(net)) - 1].a
        picked = predicted(out, job.cut)
        names = [job.classes[i] if job.classes else str(i) for i in picked]
        items.append(render.class_table(names, job.upto or len(net), elided))
    shapes_at = (stages.index("shapes") if len(net) == 1 else 0) if "shapes" in stages else None
    return Drawn(items, net, xm.values, shapes_at, job.protect(ops))
