"""Everything drawn with Rich: tables, the shape summary, the worked arithmetic.

The only module that imports rich (ruff's banned-api enforces it).  Functions return
renderables; the CLI decides where they are printed.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from typing import IO, NamedTuple

import numpy as np
from rich.console import Console, Group, RenderableType
from rich.progress import (
    BarColumn,
    DownloadColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.table import Table
from rich.text import Text

from .core import Layer, Pass
from .explain import Term
from .formats import Matrix
from .shapes import Labels as ShapeLabels
from .shapes import Plan, describe_b, describe_w, describe_x, dims

MAX_ROWS = 12
MAX_COLS = 8
STAGES = ("shapes", "x", "w", "b", "z", "a")


def make_console(
    file: IO[str] | None = None, *, stderr: bool = False, width: int | None = None
) -> Console:
    """A console for tables: styled only on a terminal (or with FORCE_COLOR); NO_COLOR and
    TERM=dumb mean no escape codes at all, not merely no colours."""
    plain = bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") in ("dumb", "unknown")
    return Console(
        file=file, stderr=stderr, width=width, highlight=False, soft_wrap=False,
        color_system=None if plain else "auto",
    )  # fmt: skip


def num(v: float, precision: int = 4) -> str:
    """A value for display: ``precision`` significant digits, never hiding a sign or
    turning a tiny non-zero into 0 (``g`` keeps the exponent: 1e-20, not 0.0000)."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "-0" if math.copysign(1, v) < 0 else "0"
    return f"{v:.{precision}g}"


def _pick(k: int, limit: int) -> list[int | None]:
    """Indices to show out of ``k``, with None where the middle is elided."""
    if k <= limit:
        return list(range(k))
    head = (limit + 1) // 2
    tail = limit - head
    return [*range(head), None, *range(k - tail, k)]


class Labels2D(NamedTuple):
    rows: Sequence[str] | None = None
    cols: Sequence[str] | None = None


def matrix_table(
    a: np.ndarray,
    title: str,
    *,
    caption: str | None = None,
    precision: int = 4,
    dim_mask: np.ndarray | None = None,
    labels: Labels2D = Labels2D(),
    row_word: str = "",
    col_word: str = "",
) -> Group:
    """A matrix (or a vector, shown as one row) under its title, elided past 12×8 cells.

    Title and caption sit outside the table so a narrow matrix does not wrap them.
    """
    m2 = np.atleast_2d(a)
    mask = None if dim_mask is None else np.atleast_2d(dim_mask)
    rows, cols = _pick(m2.shape[0], MAX_ROWS), _pick(m2.shape[1], MAX_COLS)
    t = Table(show_header=True, header_style="bold")
    t.add_column("", style="dim", justify="right")
    for j in cols:
        name = "…" if j is None else (labels.cols[j] if labels.cols else f"{col_word}{j}")
        t.add_column(name, justify="right")
    for i in rows:
        if i is None:
            t.add_row("…", *["…" for _ in cols])
            continue
        cells: list[Text | str] = []
        for j in cols:
            if j is None:
                cells.append("…")
                continue
            style = "dim" if mask is not None and mask[i, j] else ""
            cells.append(Text(num(float(m2[i, j]), precision), style=style))
        name = labels.rows[i] if labels.rows else f"{row_word}{i}"
        t.add_row(name, *cells)
    parts: list[RenderableType] = [Text(title, style="bold"), t]
    if caption:
        parts.append(Text(caption, style="italic"))
    return Group(*parts)


def bias_shape(pl: Plan) -> tuple[int, ...] | None:
    """A 1×p row of biases is used as the vector (p,): one label for b everywhere."""
    b = pl.b_shape
    if b is not None and len(b) == 2 and b[0] == 1 and not any("b" in q.marks for q in pl.problems):
        return (b[1],)
    return b


def shape_table(pl: Plan, activation: str = "relu", title: str = "Shapes") -> Table:
    """The brief's shape table with this run's m, n, p, problems highlighted in red."""
    t = Table(title=title, title_justify="left", header_style="bold")
    for col in ("", "what", "shape", "meaning"):
        t.add_column(col)
    bad = {k for prob in pl.problems for k in prob.marks}

    def shape_text(key: str, shape: tuple[int, ...] | None) -> Text:
        marks = {a for prob in pl.problems for a in prob.marks.get(key, ())}
        if shape is None:
            return Text("—")
        if len(shape) < 2:
            return Text(dims(shape), style="bold red" if marks else "")
        text = Text()
        for i, d in enumerate(shape):
            if i:
                text.append("×")
            text.append(str(d), style="bold red" if i in marks else "")
        return text

    act = "ReLU" if activation == "relu" else activation
    t.add_row(
        "X",
        "inputs",
        shape_text("x", pl.x_shape),
        describe_x(pl.x_shape),
        style="red" if "x" in bad else "",
    )
    t.add_row(
        "W",
        "weights",
        shape_text("w", pl.w_shape),
        describe_w(pl.w_shape, pl.layout)
        + (" (read as p×n: --layout out-in)" if pl.layout == "out-in" else ""),
        style="red" if "w" in bad else "",
    )
    t.add_row(
        "b",
        "biases",
        shape_text("b", bias_shape(pl)),
        describe_b(pl.b_shape) + ", broadcast to every sample",
        style="red" if "b" in bad else "",
    )
    out = pl.out_shape
    out_text = Text(dims(out)) if out else Text("undefined", style="bold red")
    rows_word = "one row per sample" if out and len(out) == 2 else "one value per neuron"
    t.add_row("Z", "X·W + b", out_text, rows_word if out else "the product is not defined")
    t.add_row(
        "A",
        f"{act}(Z)",
        out_text.copy(),
        "max(0, z) element-wise" if activation == "relu" else "Z unchanged",
    )
    return t


def shape_report(pl: Plan, labels: ShapeLabels) -> list[RenderableType]:
    """``nncalc shapes``: where each operand came from, the table, the verdict."""
    sources = Text(f"X: {labels.x}   W: {labels.w}   b: {labels.b}", style="dim")
    title = "Shapes" if pl.m is None else f"Shapes: m={pl.m}, n={pl.n}, p={pl.p or '?'}"
    return [sources, shape_table(pl, title=title), verdict(pl)]


def verdict(pl: Plan) -> Text:
    if pl.ok:
        return Text(f"✓ X·W + b is defined: m={pl.m}, n={pl.n}, p={pl.p}", style="green")
    text = Text("✗ X·W + b is not defined\n", style="bold red")
    for prob in pl.problems:
        text.append(f"  {prob.message}\n")
        if prob.hint:
            text.append(f"  hint: {prob.hint}\n", style="yellow")
    text.rstrip()
    return text


def term_line(t: Term, precision: int = 4, max_terms: int = 8) -> Text:
    """``z[0,1] = (−0.9)(0.7) + … + 0.5 = 0.03 → ReLU → 0.03``, elided when wide."""
    idx = _pick(len(t.xs), max_terms)
    parts = [
        "…" if k is None else f"({num(t.xs[k], precision)})({num(t.ws[k], precision)})" for k in idx
    ]
    text = Text(f"z[{t.sample},{t.neuron}] = " if t.sample is not None else f"z[{t.neuron}] = ")
    text.append(" + ".join(parts))
    text.append(f" + {num(t.b, precision)}" if t.b >= 0 else f" + ({num(t.b, precision)})")
    text.append(f" = {num(t.z, precision)}", style="bold")
    text.append(f" → {t.activation_name} → ")
    text.append(num(t.a, precision), style="dim" if t.a == 0 and t.z != 0 else "bold green")
    return text


def explanation(title: str, terms: Sequence[Term], precision: int = 4, more: int = 0) -> Group:
    lines: list[RenderableType] = [Text(title, style="bold")]
    lines += [term_line(t, precision) for t in terms]
    if more:
        lines.append(Text(f"… {more} more neurons: pick one with --neuron", style="dim"))
    return Group(*lines)


def progress(enabled: bool, bytes_: bool = False) -> Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal; counts items, or
    bytes read (with a transfer speed) for one large input."""
    counter = [DownloadColumn(), TransferSpeedColumn()] if bytes_ else [MofNCompleteColumn()]
    return Progress(
        TextColumn("{task.description}"), BarColumn(), *counter, TimeRemainingColumn(),
        console=make_console(stderr=True), disable=not enabled, transient=True,
    )  # fmt: skip


def forward_tables(
    x: Matrix,
    layer: Layer,
    pl: Plan,
    res: Pass,
    labels: ShapeLabels,
    stages: Sequence[str],
    precision: int = 4,
    w_note: str | None = None,
    b_note: str | None = None,
) -> list[RenderableType]:
    """One table per requested stage (shapes, x, w, b, z, a), each titled with its
    symbol, meaning and shape."""
    n, p = layer.n, layer.p
    relu = layer.activation == "relu"
    z = res.z[0] if pl.single_sample else res.z
    a = res.a[0] if pl.single_sample else res.a
    out = dims(pl.out_shape)
    made_zero = z <= 0
    rows = [f"s{i} {t}" for i, t in enumerate(x.ids)] if x.ids else None  # --id-column
    tables: dict[str, Callable[[], RenderableType]] = {
        "shapes": lambda: shape_table(pl, layer.activation, f"Shapes: m={pl.m}, n={n}, p={p}"),
        "x": lambda: matrix_table(
            x.values, f"X  inputs ({dims(x.values.shape)}) — {labels.x}", precision=precision,
            labels=Labels2D(rows, x.header), row_word="s", col_word="x",
        ),
        "w": lambda: matrix_table(
            layer.w, f"W  weights ({n}×{p}) — {labels.w}", caption=w_note,
            precision=precision, row_word="x", col_word="n",
        ),
        "b": lambda: matrix_table(
            layer.b, f"b  biases ({p},) — {labels.b}", caption=b_note, precision=precision,
            col_word="n",
        ),
        "z": lambda: matrix_table(
            z, f"Z = X·W + b ({out})", precision=precision, row_word="s", col_word="n",
            labels=Labels2D(rows),
        ),
        "a": lambda: matrix_table(
            a, f"A = {'ReLU' if relu else 'linear'}(Z) ({out})", precision=precision,
            dim_mask=made_zero if relu else None, row_word="s", col_word="n",
            labels=Labels2D(rows),
            caption="dimmed: zeros made by ReLU" if relu and made_zero.any() else None,
        ),
    }  # fmt: skip
    return [tables[s]() for s in stages]


def batch_table(rows: Sequence[tuple[str, str, str, str]]) -> Table:
    t = Table(title="Batch", title_justify="left", header_style="bold")
    t.add_column("file", overflow="fold")
    for col in ("shape", "time", "status"):
        t.add_column(col)
    for r in rows:
        t.add_row(*r[:3], Text(r[3], style="green" if r[3] == "ok" else "red"))
    return t


def group(items: Sequence[RenderableType]) -> Group:
    return Group(*items)
