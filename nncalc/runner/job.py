"""The job record shared by every way of running a network (stream, tables, batch, Dask),
and what a run writes besides its output: the parameters used, the output's header."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import numpy as np

from nncalc import limits
from nncalc.core import Network
from nncalc.errors import ShapeError, UsageError
from nncalc.formats.spec import split_options
from nncalc.i18n import _, ngettext
from nncalc.operands import Operands, Request
from nncalc.shapes import Plan
from nncalc.sink import Sink, Transaction


@dataclass(frozen=True, kw_only=True)
class Job:
    """How to run the network, whatever the inputs: one record instead of ten arguments."""

    req: Request
    dtype: str | None = None  # None: a model file's own dtype, else float64
    verbose: bool = False
    force: bool = False
    save_params: str | None = None
    show_recipe: bool = False
    save_model: str | None = None
    upto: int | None = None
    argmax: bool = False
    classes: tuple[str, ...] | None = None
    batch: tuple[str, ...] = ()  # every input of a batch, protected while any one runs
    reads: tuple[str, ...] = ()  # other files the run reads (--classes, --labels)
    threshold: float | None = None  # --argmax on one probability: class 1 above it (0.5)

    def replace(self, **changes: object) -> Job:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def protect(self, ops: Operands | None = None) -> tuple[str, ...]:
        """Files an output must never overwrite (without --force): every file the run
        reads — its inputs, the parameter and model files, and every file a model file
        names (once ``ops`` has read it)."""
        named = (*self.req.names, *self.batch, *self.reads)
        model_files = getattr(ops.model, "files", ()) if ops is not None and ops.model else ()
        return tuple(split_options(n)[0] for n in (*named, *model_files))

    def width(self, net: Network) -> int:
        """Values per sample in the output: layer --upto's p (the last layer's without)."""
        return net.layers[(self.upto or len(net)) - 1].p

    def network(self, x_shape: tuple[int, ...], ops: Operands) -> tuple[Network, tuple[Plan, ...]]:
        try:
            net, plans = ops.network(x_shape, self.dtype)
        except ShapeError as e:
            if not ops.hints:
                raise
            raise ShapeError("; ".join([str(e), *ops.hints])) from None
        if self.upto is not None and not 1 <= self.upto <= len(net):
            raise UsageError(
                ngettext(
                    "--upto {k}: the network has {count} layer (1 to {count})",
                    "--upto {k}: the network has {count} layers (1 to {count})",
                    len(net),
                ).format(k=self.upto, count=len(net))
            )
        p = self.width(net)
        if self.argmax and p == 1:
            binary_output(net, self.upto)
        elif self.threshold is not None:
            why = (
                _("the output has {p} values per sample").format(p=p)
                if self.argmax
                else _("add --argmax")
            )
            raise UsageError(
                _("--threshold is for --argmax on one probability output: {why}").format(why=why)
            )
        if self.classes is not None:
            k = 2 if p == 1 else p
            if len(self.classes) != k:
                has = (
                    _("2 classes (one probability)")
                    if p == 1
                    else _("{p} values per sample").format(p=p)
                )
                raise UsageError(
                    _("--classes names {count} classes but the output has {has}").format(
                        count=len(self.classes), has=has
                    )
                )
        return net, plans

    @property
    def cut(self) -> float:
        """Where one probability output becomes class 1 (scikit-learn's 0.5)."""
        return 0.5 if self.threshold is None else self.threshold


def fits(net: Network) -> None:
    """Refuse a network whose parameters alone would not fit --max-memory."""
    limits.require(
        limits.network_bytes([(layer.n, layer.p) for layer in net]),
        _("the network's parameters ({network})").format(network=repr(net)),
    )


def binary_output(net: Network, upto: int | None = None) -> None:
    """One output is a class only as a probability (class 1 above the threshold): a
    sigmoid's, as scikit-learn's logistic output; any other single value is refused."""
    layer = net.layers[(upto or len(net)) - 1]
    if layer.act.name != "sigmoid":
        raise UsageError(
            _(
                "--argmax on one output column needs a probability (a sigmoid output gives "
                "class 1 where p > 0.5), but the last layer's activation is {activation}"
            ).format(activation=layer.act.name)
        )


@contextmanager
def saving(job: Job, net: Network, ops: Operands, tx: Transaction | None = None) -> Iterator[None]:
    """Keep ``--save-params``/``--save-model`` for a run that succeeds: the files are
    written to temporary names first and put in place only when the run's outputs are
    all complete (``tx``, the run's transaction; else when this block ends without an
    error, or because stdout's reader left), so a run that fails at line 10,000 replaces
    no parameters file with those of a run that never happened.  Problems with the paths
    themselves (a folder, an input) show at once."""
    files = _saved_files(job, net, ops)
    with ExitStack() as stack:
        own = tx if tx is not None else stack.enter_context(Transaction())
        for path, data in files:
            own.open(path, protect=job.protect(ops), force=job.force).write(data)
        yield


def check_saves(job: Job) -> None:
    """Refuse at once a --save-params/--save-model path that could never be written (a
    folder, an input), for runs that save only at their end."""
    for path in (job.save_params, job.save_model):
        if path is not None:
            Sink(path, protect=job.protect(), force=job.force)


def _saved_files(job: Job, net: Network, ops: Operands) -> list[tuple[str, bytes]]:
    """The parameters actually used, so ``--params`` replays the run exactly: W (n×p) and
    b for one layer as before, every layer (a model file) for a network."""
    gen = ops.generated
    meta = {"init": gen.recipe, "seed": str(gen.seed)} if gen else {}  # a model file's
    files = []
    if job.save_params is not None:
        npz = job.save_params.lower().endswith(".npz")
        if len(net) > 1:
            from nncalc.models import write_model

            data = write_model(net, job.save_params, meta, "npz" if npz else "json")
        elif npz:
            layer = net[0]
            buf = io.BytesIO()
            np.savez(buf, weights=layer.w, biases=layer.bias)
            data = buf.getvalue()
        else:
            import orjson

            layer = net[0]
            seed = {"init": gen.recipe, "seed": gen.seed} if gen else {}  # as JSON numbers
            data = orjson.dumps(
                {"weights": layer.w, "biases": layer.bias, "dtype": layer.w.dtype.name, **seed},
                option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_APPEND_NEWLINE,
            )
        files.append((job.save_params, data))
    if job.save_model is not None:
        from nncalc.models import write_model

        files.append((job.save_model, write_model(net, job.save_model, meta)))
    return files


def out_header(
    job: Job, reader_header: list[str] | None, ops: Operands, p: int
) -> list[str] | None:
    """A CSV header only when the input had one: W's column names, else a1..ap (or
    ``class`` for --argmax)."""
    if not reader_header:
        return None
    if job.argmax:
        return ["class"]
    last = job.upto is None or job.upto == len(ops.layers)
    if last and ops.w_header and len(ops.w_header) == p:
        return ops.w_header
    return [f"n{j}" for j in range(p)]  # as the tables name A's columns
