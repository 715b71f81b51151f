"""Where X, W and b come from: files, stdin, a parameters file, or a seeded draw.

Shared by every command that computes a layer (forward, shapes, explain), so they read
their operands exactly alike.  No CLI framework here: problems are NncalcErrors.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import BinaryIO, NamedTuple

import numpy as np

from . import generate
from .core import Network, layer_of
from .errors import InputError, ShapeError, UsageError
from .formats import (
    Format,
    Matrix,
    ReadOptions,
    RowReader,
    format_from_name,
    open_rows,
)
from .formats.jsonio import WholeReader, read_params
from .formats.spec import read_param
from .models import LoadOptions, Model, read_model
from .shapes import Labels, LayerShapes, Layout, Plan, chain_message, plan, plan_chain


def display_name(name: str) -> str:
    return "stdin" if name == "-" else name


def open_source(name: str, stack: ExitStack) -> BinaryIO:
    """A binary stream for a path or ``-``; a terminal on stdin is refused, not waited on."""
    if name == "-":
        if sys.stdin is None:  # started with stdin closed (<&-)
            raise UsageError("stdin is closed: pipe numbers in or name a file")
        if sys.stdin.isatty():
            raise UsageError(
                "stdin is a terminal: pipe numbers in (cat x.csv | nncalc forward - ...) "
                "or name a file"
            )
        return sys.stdin.buffer
    try:
        return stack.enter_context(open(name, "rb"))
    except FileNotFoundError:
        raise InputError("no such file", source=name, expected="an existing file") from None
    except IsADirectoryError:
        raise InputError("is a directory", source=name, expected="a file") from None
    except PermissionError:
        raise InputError("permission denied", source=name, expected="a readable file") from None
    except OSError as e:
        raise InputError(f"cannot open: {e.strerror}", source=name) from None


class Generated(NamedTuple):
    """How missing parameters were drawn, so the run can be replayed."""

    recipe: str
    seed: int
    made_w: bool
    made_b: bool
    line: str
    fresh: bool = False  # the seed was drawn, not given: it must be shown

    def caption(self) -> str:
        return f"init {self.recipe}, seed {self.seed}: {self.line}"


class Request(NamedTuple):
    """What the user named; any of it may be missing (then stdin, params or a draw).

    ``weights``/``biases`` hold one name per layer (repeated -w/-b, the k-th -w paired
    with the k-th -b); ``neurons`` one size per layer; ``activations`` one name for every
    layer or one per layer (empty: relu, or what a model file says).
    """

    inputs: str | None = None
    weights: tuple[str, ...] = ()
    biases: tuple[str, ...] = ()
    params: str | None = None
    neurons: tuple[int, ...] = ()
    seed: int | None = None
    init: str = "randn"
    layout: Layout = "in-out"
    read: ReadOptions = ReadOptions()
    model: str | None = None
    model_options: LoadOptions = LoadOptions()
    activations: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every file this request reads (outputs must never overwrite them)."""
        named = (self.inputs, *self.weights, *self.biases, self.params, self.model)
        return tuple(n for n in named if n)


class Params(NamedTuple):
    """W and b (as given, or drawn), and where each came from."""

    w: np.ndarray
    b: np.ndarray | None
    labels: Labels
    generated: Generated | None = None
    w_header: list[str] | None = None
    details: list[str] = []  # noqa: RUF012 - always passed; the default is never mutated
    hints: list[str] = []  # noqa: RUF012 - for a shape error: W's first row may be labels


def _check_stdin_once(req: Request) -> None:
    dashes = [n for n in req.names if n == "-"]
    if len(dashes) > 1:
        raise UsageError("only one operand can come from stdin ('-')")


def read_named(name: str, options: ReadOptions, stack: ExitStack, role: str) -> Matrix:
    """W or b from its own file (detected, or forced by a ``?header=1`` suffix: X's read
    options never apply), a literal ``-b 0.5``; a parameters file gives its entry for role."""
    return read_param(name, role, options, lambda path: open_source(path, stack))


def params_is_model(req: Request) -> bool:
    """A --params file that holds a whole network (``{"layers": …}`` or an npz of W1, b1,
    …, as --save-params writes for one): read as a model file, not as W and b."""
    if req.params is None or req.params == "-":
        return False
    if req.params.lower().endswith(".npz"):
        import zipfile

        try:
            with zipfile.ZipFile(req.params) as z:
                return "W1.npy" in z.namelist()
        except (OSError, zipfile.BadZipFile):
            return False  # the params reader says what is wrong with it
    if not req.params.lower().endswith(".json"):
        return False
    try:
        with open(req.params, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False
    return head.lstrip()[:1] == b"{" and b'"layers"' in head


def load_params_file(req: Request, stack: ExitStack) -> dict[str, np.ndarray]:
    if req.params is None or params_is_model(req):
        return {}
    return read_params(open_source(req.params, stack), display_name(req.params), req.read)


def resolve_params(
    req: Request,
    x_shape: tuple[int, ...],
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
    if w is None or b is None:
        w, b, labels, generated = _draw_missing(req, x_shape, w, b, labels)
    assert w is not None  # drawn when not given
    return Params(w, b, labels, generated, w_header, details, hints)


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
                f"--neurons {req.neurons[0]} but {labels.w} has {pl.p} neurons; "
                "drop --neurons or change the weights"
            )
        return pl.p
    if req.neurons:
        return req.neurons[0]
    if b is not None and b.size > 1:
        return int(b.size)
    raise UsageError(
        "cannot tell how many neurons to generate: add --neurons P (or give weights with -w)"
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
    except (ValueError, MemoryError) as e:
        raise UsageError(str(e)) from None
    line = generate.numpy_line(n, p, seed, req.init, want_w=want_w, want_b=want_b,
                               out_in=req.layout == "out-in")  # fmt: skip
    drawn = f"({req.init}, seed {seed})"
    if want_w:
        w, labels = new_w, Labels(labels.x, f"W {drawn}", labels.b)
    if want_b:
        b, labels = new_b, Labels(labels.x, labels.w, f"b {drawn}")
    return w, b, labels, Generated(req.init, seed, want_w, want_b, line, req.seed is None)


def _check_init(req: Request) -> None:
    if req.init not in generate.RECIPES:
        raise UsageError(f"unknown --init {req.init!r}; known: {', '.join(generate.RECIPES)}")


def input_reader(
    req: Request, stack: ExitStack, on_read: Callable[[int], object] | None = None
) -> RowReader:
    name = req.inputs
    if name is None:
        raise UsageError("no inputs: name a file, or '-' to read stdin")
    fp = open_source(name, stack)
    return open_rows(fp if on_read is None else Counted(fp, on_read), display_name(name),
                     req.read)  # fmt: skip


class Loaded(NamedTuple):
    """X as read whole, and the entries of a parameters file (for :func:`gather`)."""

    x: Matrix
    from_file: dict[str, np.ndarray]


def load_all(req: Request, stack: ExitStack) -> Loaded:
    """Read X whole (tables, shapes and explain); W and b come from :func:`gather`."""
    reader, from_file = _inputs(req, stack)
    return Loaded(reader.read_all(), from_file)


class Shown(NamedTuple):
    """X as a table shows it: whole when small, else its first and last row groups."""

    x: Matrix
    m: int  # rows in X
    tail: int | None = None  # None: x holds every row; else x's last ``tail`` rows end X


def load_shown(req: Request, stack: ExitStack) -> tuple[Shown, dict[str, np.ndarray]]:
    """X for tables in bounded memory (the rows shown, and a count), and the parameters
    file's entries."""
    reader, from_file = _inputs(req, stack)
    matrix, m, tail = reader.read_shown()
    return Shown(matrix, m, tail), from_file


def _inputs(
    req: Request, stack: ExitStack, on_read: Callable[[int], object] | None = None
) -> tuple[RowReader, dict[str, np.ndarray]]:
    """X's reader (a file, stdin, or the inputs of a parameters file) and that file's
    entries, read once for both X and W/b."""
    _check_stdin_once(req)
    from_file = load_params_file(req, stack)
    if req.inputs is None and "x" in from_file:
        name = display_name(req.params or "params")
        return WholeReader(Matrix(from_file["x"], name, _params_format(req))), from_file
    return input_reader(req, stack, on_read), from_file


def _params_format(req: Request) -> Format:
    return format_from_name(req.params or "") or Format.JSON


class Counted:
    """A binary stream that reports every read's size, to drive a progress bar."""

    def __init__(self, fp: BinaryIO, report: Callable[[int], object]) -> None:
        self.fp, self.report = fp, report

    def read(self, n: int = -1) -> bytes:
        data = self.fp.read(n)
        self.report(len(data))
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self.fp.readline(limit)
        self.report(len(data))
        return data


def stream_inputs(
    req: Request, stack: ExitStack, on_read: Callable[[int], object] | None = None
) -> tuple[RowReader, Iterator[np.ndarray], np.ndarray, dict[str, np.ndarray]]:
    """Start streaming X: its reader, the remaining blocks, and the first block.

    ``on_read`` hears the size of every read from the input file (a progress bar).
    """
    reader, from_file = _inputs(req, stack, on_read)
    blocks = iter(reader.blocks())
    first = next(blocks)
    return reader, blocks, first, from_file


# -- networks ----------------------------------------------------------------------------
class RawLayer(NamedTuple):
    """One layer as read or drawn, before it is checked against what feeds it."""

    w: np.ndarray
    b: np.ndarray | None
    labels: Labels
    activation: str = "relu"
    layout: Layout = "in-out"
    name: str | None = None


class Operands(NamedTuple):
    """Every layer's parameters and where they came from."""

    layers: tuple[RawLayer, ...]
    generated: Generated | None = None
    w_header: list[str] | None = None
    details: tuple[str, ...] = ()
    model: Model | None = None
    hints: tuple[str, ...] = ()  # for a shape error: W's first row may be labels

    def plans(self, x_shape: tuple[int, ...]) -> tuple[Plan, ...]:
        return plan_chain(
            x_shape, [LayerShapes(r.w.shape, _shape(r.b), r.layout, r.labels) for r in self.layers]
        )

    def network(
        self, x_shape: tuple[int, ...], dtype: str | None = None
    ) -> tuple[Network, tuple[Plan, ...]]:
        """The checked network for inputs of ``x_shape``; ShapeError says what does not fit."""
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
            f"--activation lists {len(acts)} activations but the network has {count} "
            f"layer{'s' if count != 1 else ''}: give one for every layer or one per layer"
        )
    return list(acts)


def is_network(req: Request) -> bool:
    """More than one layer's worth of flags (one -w/-b keeps today's single layer)."""
    return len(req.weights) > 1 or len(req.biases) > 1 or len(req.neurons) > 1


def gather(
    req: Request,
    x_shape: tuple[int, ...],
    x_label: str,
    from_file: dict[str, np.ndarray],
    stack: ExitStack,
    model: Model | None = None,
) -> Operands:
    """Every layer's W, b and activation: from a model file, repeated -w/-b, a seeded
    draw of --neurons 4,3,2, or (one layer) today's -w/-b/--params/--neurons rules."""
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
        raw = RawLayer(params.w, params.b, params.labels, act, req.layout)
        return Operands((raw,), params.generated, params.w_header, tuple(params.details),
                        hints=tuple(params.hints))  # fmt: skip
    if req.weights:
        return _from_flags(req, x_label, stack)
    return _drawn(req, x_shape, x_label)


def _model(req: Request) -> Model | None:
    if req.model is None:
        return None
    given = [f for f, v in (("-w", req.weights), ("-b", req.biases), ("--params", req.params),
                            ("--neurons", req.neurons)) if v]  # fmt: skip
    if given:
        raise UsageError(f"--model replaces {given[0]}: give one or the other")
    if req.model == "-":
        raise UsageError("--model reads a file, not stdin")
    options = req.model_options._replace(activations=req.activations or None)
    return read_model(req.model, options)


def _from_model(model: Model, x_label: str) -> Operands:
    raws = []
    name = display_name(model.source)
    for k, layer in enumerate(model.network, 1):
        x = x_label if k == 1 else f"A{k - 1}"
        label = model.names[k - 1] if len(model.names) >= k else f"layer {k}"
        labels = Labels(x, f"W{k} ({name}: {label})", f"b{k} ({name}: {label})")
        raws.append(RawLayer(layer.w, layer.bias, labels, layer.activation, "in-out", label))
    details = (f"{name}: {model.format} model, {len(model.network)} layers", *model.details)
    return Operands(tuple(raws), details=details, model=model)


def _from_flags(req: Request, x_label: str, stack: ExitStack) -> Operands:
    if len(req.biases) != len(req.weights):
        raise UsageError(
            f"{len(req.weights)} -w but {len(req.biases)} -b: the k-th -w pairs with the k-th "
            "-b, so give one -b per -w (a layer without a bias: use a --model file)"
        )
    if req.neurons:
        raise UsageError("--neurons draws a network; with -w/-b the weights say the sizes")
    acts = activations_for(req, len(req.weights))
    raws, details = [], []
    w_header = None
    for k, (wn, bn) in enumerate(zip(req.weights, req.biases, strict=True), 1):
        wm = read_named(wn, req.read, stack, "w")
        bm = read_named(bn, req.read, stack, "b")
        details += [wm.detected(), bm.detected()]
        w_header = wm.header
        labels = Labels(x_label if k == 1 else f"A{k - 1}", wm.source, bm.source)
        raws.append(RawLayer(wm.values, bm.values, labels, acts[k - 1], req.layout))
    return Operands(tuple(raws), None, w_header, tuple(details))


def _drawn(req: Request, x_shape: tuple[int, ...], x_label: str) -> Operands:
    if req.biases:
        raise UsageError("-b without -w: give each layer's weights, or draw them all")
    _check_init(req)
    if req.layout != "in-out":
        raise UsageError("--layout reads given weights; drawn ones are n×p already")
    n = x_shape[-1] if x_shape else 1
    sizes = list(req.neurons)
    seed = generate.fresh_seed() if req.seed is None else req.seed
    try:
        drawn = generate.make_network(n, sizes, seed, req.init)
    except (ValueError, MemoryError) as e:
        raise UsageError(str(e)) from None
    line = generate.network_lines(n, sizes, seed, req.init)
    acts = activations_for(req, len(sizes))
    tag = f"({req.init}, seed {seed})"
    raws = tuple(
        RawLayer(
            w,
            b,
            Labels(x_label if k == 1 else f"A{k - 1}", f"W{k} {tag}", f"b{k} {tag}"),
            acts[k - 1],
        )  # fmt: skip
        for k, (w, b) in enumerate(drawn, 1)
    )
    gen = Generated(req.init, seed, True, True, line, req.seed is None)
    return Operands(raws, gen)
