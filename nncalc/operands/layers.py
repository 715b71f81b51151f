"""Where the layers come from: a model file, -w/-b files, a parameters file, or a draw.

Every command that computes (forward, shapes, explain, draw, inspect) gets its layers
here, so they agree on what a request means.  No CLI framework: problems are NncalcErrors.
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nncalc import generate
from nncalc.core import Network, layer_of
from nncalc.errors import ShapeError, UsageError
from nncalc.i18n import _, ngettext
from nncalc.limits import MemoryLimitError
from nncalc.models import Model, read_model
from nncalc.shapes import Labels, LayerShapes, Layout, Plan, chain_message, plan, plan_chain

from .request import Generated, Request
from .sources import display_name, params_is_model, read_named


class Params(NamedTuple):
    """W and b (as given, or drawn), and where each came from."""

    w: np.ndarray
    b: np.ndarray | None
    labels: Labels
    generated: Generated | None = None
    w_header: list[str] | None = None
    details: list[str] = []  # noqa: RUF012 - always passed; the default is never mutated
    hints: list[str] = []  # noqa: RUF012 - for a shape error: W's first row may be labels
    width: int | None = None  # n: X's, or what --inputs or W said without X


def resolve_params(
    req: Request,
    x_shape: tuple[int, ...] | None,
    x_label: str,
    from_file: dict[str, np.ndarray],
    stack: ExitStack,
) -> Params:
    """Read W and b (files win over a parameters file), then draw whichever is missing."""
    details: list[str] = []
    hints: list[str] = []
    w_header = None
    w: np.ndarray | None = from_file.get("w")
    b: np.ndarray | None = from_file.get("b")
    w_label = b_label = display_name(req.params) if req.params else None
    if req.weights:
        m = read_named(req.weights[0], req.read, stack, "w")
        w, w_header, w_label = m.values, m.header, m.source
        details.append(m.detected())
        hints = m.shape_hints()
    if req.biases:
        m = read_named(req.biases[0], req.read, stack, "b")
        b, b_label = m.values, m.source
        details.append(m.detected())
    labels = Labels(x_label, w_label or "W", b_label or "b")
    generated = None
    if x_shape is None:
        x_shape = (1, width_without_x(req, w, b, labels))
    if w is None or b is None:
        w, b, labels, generated = _draw_missing(req, x_shape, w, b, labels)
    assert w is not None  # drawn when not given
    return Params(w, b, labels, generated, w_header, details, hints, x_shape[-1] if x_shape else 1)


def width_without_x(
    req: Request, w: np.ndarray | None, b: np.ndarray | None, labels: Labels
) -> int:
    """n, the inputs per sample, when there is no X to say it: ``--inputs``, else W's
    inputs.  A one-row W (a column in out-in) fits two networks — one neuron of k inputs
    (k→1), as ``forward`` reads it beside a k-wide X, or k neurons of one input (1→k) —
    so b decides when its length tells (k values: k neurons), else the user does."""
    if req.n_inputs is not None:
        return req.n_inputs
    if w is None:
        raise UsageError(
            _(
                "without X, nothing says how many inputs each sample has: add --inputs N "
                "(or give X, or W with -w)"
            )
        )
    if w.ndim < 2:
        return int(w.size)
    ins, outs = w.shape if req.layout == "in-out" else w.shape[::-1]
    if ins == 1 and outs > 1:
        if b is not None and b.size == outs:
            return 1
        shape = "×".join(map(str, w.shape))
        raise UsageError(
            _(
                "{w} ({shape}) fits two networks: one neuron of {k} inputs ({k}→1) or {k} "
                "neurons of one input (1→{k}); without X, choose with --inputs {k} or "
                "--inputs 1"
            ).format(w=labels.w, shape=shape, k=outs)
        )
    return int(ins)


def _neurons(
    req: Request,
    x_shape: tuple[int, ...],
    w: np.ndarray | None,
    b: np.ndarray | None,
    labels: Labels,
) -> int | None:
    """p for drawing: from W when given (then --neurons must agree), else --neurons,
    else the number of biases; None when W does not fit X (the shape check explains)."""
    if w is not None:
        pl = plan(x_shape, w.shape, None, req.layout, labels)
        if not pl.ok or pl.p is None:
            return None
        if req.neurons and req.neurons[0] != pl.p:
            raise UsageError(
                _(
                    "--neurons {asked} but {w} has {p} neurons; drop --neurons or change "
                    "the weights"
                ).format(asked=req.neurons[0], w=labels.w, p=pl.p)
            )
        return pl.p
    if req.neurons:
        return req.neurons[0]
    if b is not None and b.size > 1:
        return int(b.size)
    raise UsageError(
        _("cannot tell how many neurons to generate: add --neurons P (or give weights with -w)")
    )  # fmt: skip


def _draw_missing(
    req: Request,
    x_shape: tuple[int, ...],
    w: np.ndarray | None,
    b: np.ndarray | None,
    labels: Labels,
) -> tuple[np.ndarray | None, np.ndarray | None, Labels, Generated | None]:
    """Draw whichever of W, b is missing from ``req.seed`` (fresh if none), ``req.init``."""
    p = _neurons(req, x_shape, w, b, labels)
    if p is None:
        return w, b, labels, None
    _check_init(req)
    n = x_shape[-1] if x_shape else 1
    seed = generate.fresh_seed() if req.seed is None else req.seed
    want_w, want_b = w is None, b is None
    try:
        new_w, new_b = generate.make_params(n, p, seed, req.init, want_w=want_w, want_b=want_b,
                                            out_in=req.layout == "out-in")  # fmt: skip
    except ValueError as e:
        raise UsageError(str(e)) from None
    except MemoryError as e:  # too big for this machine: a budget refusal, exit 1
        raise MemoryLimitError(str(e)) from None
    line = generate.numpy_line(n, p, seed, req.init, want_w=want_w, want_b=want_b,
                               out_in=req.layout == "out-in")  # fmt: skip
    drawn = f"({req.init}, seed {seed})"
    if want_w:
        w, labels = new_w, Labels(labels.x, f"W {drawn}", labels.b)
    if want_b:
        b, labels = new_b, Labels(labels.x, labels.w, f"b {drawn}")
    return w, b, labels, Generated(recipe=req.init, seed=seed, made_w=want_w, made_b=want_b,
                                   line=line, fresh=req.seed is None)  # fmt: skip


def _check_init(req: Request) -> None:
    if req.init not in generate.RECIPES:
        raise UsageError(
            _("unknown --init {name}; known: {known}").format(
                name=repr(req.init), known=", ".join(generate.RECIPES)
            )
        )


@dataclass(frozen=True, kw_only=True)
class RawLayer:
    """One layer as read or drawn, before it is checked against what feeds it."""

    w: np.ndarray
    b: np.ndarray | None
    labels: Labels
    activation: str = "relu"
    layout: Layout = "in-out"
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class Operands:
    """Every layer's parameters and where they came from; ``width`` is n, the inputs
    per sample (X's, or, without X, what ``--inputs``, W or the model says)."""

    layers: tuple[RawLayer, ...]
    width: int
    generated: Generated | None = None
    w_header: list[str] | None = None
    details: tuple[str, ...] = ()
    model: Model | None = None
    hints: tuple[str, ...] = ()  # for a shape error: W's first row may be labels

    def plans(self, x_shape: tuple[int, ...] | None = None) -> tuple[Plan, ...]:
        """Each layer's shapes against X's (no X: one sample of :attr:`width`)."""
        shape = (self.width,) if x_shape is None else x_shape
        return plan_chain(
            shape, [LayerShapes(r.w.shape, _shape(r.b), r.layout, r.labels) for r in self.layers]
        )

    def network(
        self, x_shape: tuple[int, ...] | None = None, dtype: str | None = None
    ) -> tuple[Network, tuple[Plan, ...]]:
        """The checked network for inputs of ``x_shape`` (None: no X, one sample of
        :attr:`width`); ShapeError says what does not fit."""
        plans = self.plans(x_shape)
        if len(plans) < len(self.layers) or not plans[-1].ok:
            raise ShapeError(chain_message(plans))
        if self.model is not None and (dtype is None or self.model.network.dtype == dtype):
            return self.model.network, plans
        layers = [
            layer_of(pl, r.w, r.b, r.activation, dtype, r.name)
            for pl, r in zip(plans, self.layers, strict=True)
        ]
        return Network(layers), plans


def _shape(a: np.ndarray | None) -> tuple[int, ...] | None:
    return None if a is None else a.shape


def activations_for(req: Request, count: int) -> list[str]:
    """One activation per layer from --activation: one name for all, or one each."""
    acts = req.activations or ("relu",)
    if len(acts) == 1:
        return list(acts) * count
    if len(acts) != count:
        raise UsageError(
            ngettext(
                "--activation lists {given} activations but the network has {count} layer: "
                "give one for every layer or one per layer",
                "--activation lists {given} activations but the network has {count} layers: "
                "give one for every layer or one per layer",
                count,
            ).format(given=len(acts), count=count)
        )
    return list(acts)


def is_network(req: Request) -> bool:
    """More than one layer's worth of flags (one -w/-b keeps today's single layer)."""
    return len(req.weights) > 1 or len(req.biases) > 1 or len(req.neurons) > 1


def gather(
    req: Request,
    x_shape: tuple[int, ...] | None,
    x_label: str,
    from_file: dict[str, np.ndarray],
    stack: ExitStack,
    model: Model | None = None,
) -> Operands:
    """Every layer's W, b and activation: from a model file, repeated -w/-b, a seeded
    draw of --neurons 4,3,2, or (one layer) today's -w/-b/--params/--neurons rules.

    ``x_shape`` None means there is no X (``draw``, ``inspect``, ``shapes`` without
    data): the one rule for the inputs' width is :func:`width_without_x`."""
    if x_shape is not None and req.n_inputs is not None:
        n = x_shape[-1] if x_shape else 1
        if n != req.n_inputs:
            raise UsageError(
                _(
                    "--inputs {asked}, but {x} has {n} values per sample: drop --inputs, "
                    "or change X"
                ).format(asked=req.n_inputs, x=x_label, n=n)
            )
    model = model or _model(req)
    if model is None and params_is_model(req):
        assert req.params is not None
        fmt = "npz" if req.params.lower().endswith(".npz") else "json"
        opts = req.model_options._replace(format=fmt, activations=req.activations or None)
        model = read_model(req.params, opts)
    if model is not None:
        return _from_model(model, x_label)
    if not is_network(req):
        params = resolve_params(req, x_shape, x_label, from_file, stack)
        act = activations_for(req, 1)[0]
        raw = RawLayer(w=params.w, b=params.b, labels=params.labels, activation=act,
                       layout=req.layout)  # fmt: skip
        assert params.width is not None
        return Operands(layers=(raw,), width=params.width, generated=params.generated,
                        w_header=params.w_header, details=tuple(params.details),
                        hints=tuple(params.hints))  # fmt: skip
    if req.weights:
        return _from_flags(req, x_shape, x_label, stack)
    return _drawn(req, x_shape, x_label)


def _model(req: Request) -> Model | None:
    if req.model is None:
        return None
    given = [f for f, v in (("-w", req.weights), ("-b", req.biases), ("--params", req.params),
                            ("--neurons", req.neurons)) if v]  # fmt: skip
    if given:
        raise UsageError(
            _("--model replaces {option}: give one or the other").format(option=given[0])
        )
    if req.model == "-":
        raise UsageError(_("--model reads a file, not stdin"))
    options = req.model_options._replace(activations=req.activations or None)
    return read_model(req.model, options)


def _from_model(model: Model, x_label: str) -> Operands:
    raws = []
    name = display_name(model.source)
    for k, layer in enumerate(model.network, 1):
        x = x_label if k == 1 else f"A{k - 1}"
        label = model.names[k - 1] if len(model.names) >= k else f"layer {k}"
        labels = Labels(x, f"W{k} ({name}: {label})", f"b{k} ({name}: {label})")
        raws.append(RawLayer(w=layer.w, b=layer.bias, labels=labels,
                             activation=layer.activation, name=label))  # fmt: skip
    details = (f"{name}: {model.format} model, {len(model.network)} layers", *model.details)
    return Operands(layers=tuple(raws), width=model.network.n, details=details, model=model)


def _from_flags(
    req: Request, x_shape: tuple[int, ...] | None, x_label: str, stack: ExitStack
) -> Operands:
    if len(req.biases) != len(req.weights):
        raise UsageError(
            _(
                "{w} -w but {b} -b: the k-th -w pairs with the k-th -b, so give one -b per "
                "-w (a layer without a bias: use a --model file)"
            ).format(w=len(req.weights), b=len(req.biases))
        )
    if req.neurons:
        raise UsageError(_("--neurons draws a network; with -w/-b the weights say the sizes"))
    acts = activations_for(req, len(req.weights))
    raws, details = [], []
    w_header = None
    for k, (wn, bn) in enumerate(zip(req.weights, req.biases, strict=True), 1):
        wm = read_named(wn, req.read, stack, "w")
        bm = read_named(bn, req.read, stack, "b")
        details += [wm.detected(), bm.detected()]
        w_header = wm.header
        labels = Labels(x_label if k == 1 else f"A{k - 1}", wm.source, bm.source)
        raws.append(RawLayer(w=wm.values, b=bm.values, labels=labels, activation=acts[k - 1],
                             layout=req.layout))  # fmt: skip
    if x_shape is None:
        first = raws[0]
        n = width_without_x(req, first.w, first.b, first.labels)
    else:
        n = x_shape[-1] if x_shape else 1
    return Operands(layers=tuple(raws), width=n, w_header=w_header, details=tuple(details))


def _drawn(req: Request, x_shape: tuple[int, ...] | None, x_label: str) -> Operands:
    if req.biases:
        raise UsageError(_("-b without -w: give each layer's weights, or draw them all"))
    _check_init(req)
    if req.layout != "in-out":
        raise UsageError(_("--layout reads given weights; drawn ones are n×p already"))
    if x_shape is None:
        n = width_without_x(req, None, None, Labels(x_label))
    else:
        n = x_shape[-1] if x_shape else 1
    sizes = list(req.neurons)
    seed = generate.fresh_seed() if req.seed is None else req.seed
    try:
        drawn = generate.make_network(n, sizes, seed, req.init)
    except ValueError as e:
        raise UsageError(str(e)) from None
    except MemoryError as e:  # too big for this machine: a budget refusal, exit 1
        raise MemoryLimitError(str(e)) from None
    line = generate.network_lines(n, sizes, seed, req.init)
    acts = activations_for(req, len(sizes))
    tag = f"({req.init}, seed {seed})"
    raws = tuple(
        RawLayer(w=w, b=b, activation=acts[k - 1],
                 labels=Labels(x_label if k == 1 else f"A{k - 1}", f"W{k} {tag}", f"b{k} {tag}"))
        for k, (w, b) in enumerate(drawn, 1)
    )  # fmt: skip
    gen = Generated(recipe=req.init, seed=seed, made_w=True, made_b=True, line=line,
                    fresh=req.seed is None)  # fmt: skip
    return Operands(layers=raws, width=n, generated=gen)
