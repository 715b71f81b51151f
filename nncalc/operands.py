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
from .errors import InputError, UsageError
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
from .shapes import Labels, Layout, plan


def display_name(name: str) -> str:
    return "stdin" if name == "-" else name


def open_source(name: str, stack: ExitStack) -> BinaryIO:
    """A binary stream for a path or ``-``; a terminal on stdin is refused, not waited on."""
    if name == "-":
        if sys.stdin is None or sys.stdin.isatty():
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
    """What the user named; any of it may be missing (then stdin, params or a draw)."""

    inputs: str | None = None
    weights: str | None = None
    biases: str | None = None
    params: str | None = None
    neurons: int | None = None
    seed: int | None = None
    init: str = "randn"
    layout: Layout = "in-out"
    read: ReadOptions = ReadOptions()


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
    dashes = [n for n in (req.inputs, req.weights, req.biases, req.params) if n == "-"]
    if len(dashes) > 1:
        raise UsageError("only one operand can come from stdin ('-')")


def read_named(name: str, options: ReadOptions, stack: ExitStack, role: str) -> Matrix:
    """W or b from its own file (detected, or forced by a ``?header=1`` suffix: X's read
    options never apply), a literal ``-b 0.5``; a parameters file gives its entry for role."""
    return read_param(name, role, options, lambda path: open_source(path, stack))


def load_params_file(req: Request, stack: ExitStack) -> dict[str, np.ndarray]:
    if req.params is None:
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
    if req.weights is not None:
        m = read_named(req.weights, req.read, stack, "w")
        w, w_header, w_label = m.values, m.header, m.source
        details.append(m.detected())
        hints = m.shape_hints()
    if req.biases is not None:
        m = read_named(req.biases, req.read, stack, "b")
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
        if req.neurons is not None and req.neurons != pl.p:
            raise UsageError(
                f"--neurons {req.neurons} but {labels.w} has {pl.p} neurons; "
                "drop --neurons or change the weights"
            )
        return pl.p
    if req.neurons is not None:
        if req.neurons <= 0:
            raise UsageError(f"--neurons must be positive, got {req.neurons}")
        return req.neurons
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
    if req.init not in generate.RECIPES:
        raise UsageError(f"unknown --init {req.init!r}; known: {', '.join(generate.RECIPES)}")
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
    """Everything a whole-matrix command needs: X as read, W and b as resolved."""

    x: Matrix
    params: Params


def load_all(req: Request, stack: ExitStack) -> Loaded:
    """Read X whole, then W and b (or draw them); for tables, shapes and explain."""
    reader, from_file = _inputs(req, stack)
    x = reader.read_all()
    params = resolve_params(req, x.values.shape, x.source, from_file, stack)
    params.details.insert(0, x.detected())
    return Loaded(x, params)


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

    def readline(self) -> bytes:
        data = self.fp.readline()
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
