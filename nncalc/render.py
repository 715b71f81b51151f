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

from .core import Layer, Network, Pass
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


class Elided(NamedTuple):
    """The rows a table shows of a long X (its first and last few, read without holding
    the rest): their labels, the row after which "…" stands, and X's whole shape."""

    labels: Sequence[str] | None = None
    gap: int | None = None
    shape: tuple[int, ...] | None = None


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
    gap: int | None = None,
) -> Group:
    """A matrix (or a vector, shown as one row) under its title, elided past 12×8 cells
    (or, with ``gap``, after that row: the rows given are already a long X's few).

    Title and caption sit outside the table so a narrow matrix does not wrap them.
    """
    m2 = np.atleast_2d(a)
    mask = None if dim_mask is None else np.atleast_2d(dim_mask)
    rows, cols = _pick(m2.shape[0], MAX_ROWS), _pick(m2.shape[1], MAX_COLS)
    if gap is not None:
        rows = [*range(gap + 1), None, *range(gap + 1, m2.shape[0])]
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

    act = _act_label(activation)
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
        _act_meaning(activation),
    )
    return t


def _act_label(spec: str) -> str:
    from .core import activation

    return "ReLU" if spec == "relu" else ("linear" if spec == "linear" else activation(spec).label)


def _act_meaning(spec: str) -> str:
    from .core import activation

    if spec == "relu":
        return "max(0, z) element-wise"
    if spec == "linear":
        return "Z unchanged"
    act = activation(spec)
    formula = act.formula.replace("{slope}", f"{act.param:g}" if act.param is not None else "")
    return f"{formula} " + ("element-wise" if act.elementwise else "over each sample's outputs")


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
    if t.exps is not None:
        total = math.fsum(t.exps)
        shown = _pick(len(t.exps), max_terms)
        exps = ", ".join("…" if k is None else num(t.exps[k], precision) for k in shown)
        power = "e^(z − max z)" if t.worked else "e^z"
        text.append(f" → softmax: {power} = [{exps}], Σ = {num(total, precision)}, "
                    f"{power}[{t.neuron}] / Σ = {num(t.exps[t.neuron], precision)} / "
                    f"{num(total, precision)} → ")  # fmt: skip
    elif t.worked is not None:
        text.append(f" → {t.activation_name}: {t.worked} → ")
    else:
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
    shown: Elided = Elided(),
) -> list[RenderableType]:
    """One table per requested stage (shapes, x, w, b, z, a), each titled with its
    symbol, meaning and shape."""
    n, p = layer.n, layer.p
    relu = layer.act.name == "relu"
    z = res.z[0] if pl.single_sample else res.z
    a = res.a[0] if pl.single_sample else res.a
    out = dims(pl.out_shape)
    made_zero = z <= 0
    rows = [f"s{i} {t}" for i, t in enumerate(x.ids)] if x.ids else shown.labels  # --id-column
    gap = shown.gap
    tables: dict[str, Callable[[], RenderableType]] = {
        "shapes": lambda: shape_table(pl, layer.activation, f"Shapes: m={pl.m}, n={n}, p={p}"),
        "x": lambda: matrix_table(
            x.values, f"X  inputs ({dims(shown.shape or x.values.shape)}) — {labels.x}",
            precision=precision, labels=Labels2D(rows, x.header), row_word="s", col_word="x",
            gap=gap,
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
            labels=Labels2D(rows), gap=gap,
        ),
        "a": lambda: matrix_table(
            a, f"A = {_act_label(layer.activation)}(Z) ({out})", precision=precision,
            dim_mask=made_zero if relu else None, row_word="s", col_word="n",
            labels=Labels2D(rows), gap=gap,
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


def chain_table(plans: Sequence[Plan], activations: Sequence[str], layers: int) -> Table:
    """The whole network's shapes in one table: X, then W_k, b_k, Z_k, A_k per layer."""
    first = plans[0]
    m = "m" if first.m is None else str(first.m)
    title = f"Network: {layers} layers, m={m}"
    t = Table(title=title, title_justify="left", header_style="bold")
    for col in ("", "what", "shape", "meaning"):
        t.add_column(col)
    t.add_row("X", "inputs", dims(first.x_shape), describe_x(first.x_shape))
    for k in range(1, layers + 1):
        if k > len(plans):
            t.add_row(f"layer {k}", "", Text("—", style="dim"), Text("not checked", style="dim"))
            continue
        pl = plans[k - 1]
        bad = {key for prob in pl.problems for key in prob.marks}
        prev = "X" if k == 1 else f"A{k - 1}"
        t.add_row(f"W{k}", "weights", dims(pl.w_shape), describe_w(pl.w_shape, pl.layout),
                  style="red" if "w" in bad else "")  # fmt: skip
        t.add_row(f"b{k}", "biases", dims(pl.b_shape), describe_b(pl.b_shape),
                  style="red" if "b" in bad else "")  # fmt: skip
        out = pl.out_shape
        out_text = Text(dims(out)) if out else Text("undefined", style="bold red")
        t.add_row(f"Z{k}", f"{prev}·W{k} + b{k}", out_text, "one row per sample" if out else "")
        act = activations[k - 1]
        t.add_row(f"A{k}", f"{_act_label(act)}(Z{k})", out_text.copy(), _act_meaning(act))
    return t


def chain_verdict(plans: Sequence[Plan], layers: int) -> Text:
    bad = next((pl for pl in plans if not pl.ok), None)
    if bad is None and len(plans) == layers:
        last = plans[-1]
        return Text(f"✓ the network is defined: {dims(plans[0].x_shape)} in, "
                    f"{dims(last.out_shape)} out", style="green")  # fmt: skip
    text = Text("✗ the network is not defined\n", style="bold red")
    for prob in bad.problems if bad else ():
        text.append(f"  {prob.message}\n")
        if prob.hint:
            text.append(f"  hint: {prob.hint}\n", style="yellow")
    text.rstrip()
    return text


def network_tables(
    x: Matrix,
    net: Network,
    plans: Sequence[Plan],
    trace: Sequence[Pass],
    labels: Sequence[ShapeLabels],
    stages: Sequence[str],
    layers: Sequence[int],
    precision: int = 4,
    caption: str | None = None,
    shown: Elided = Elided(),
) -> list[RenderableType]:
    """The chain table, X, then the tables of each chosen layer (W_k, b_k, Z_k, A_k)."""
    single = plans[0].single_sample
    items: list[RenderableType] = []
    if "shapes" in stages:
        items.append(chain_table(plans, [layer.activation for layer in net], len(net)))
    if "x" in stages:
        items.append(matrix_table(
            x.values, f"X  inputs ({dims(shown.shape or x.values.shape)}) — {labels[0].x}",
            precision=precision, labels=Labels2D(shown.labels, x.header), row_word="s",
            col_word="x", gap=shown.gap,
        ))  # fmt: skip
    for k in layers:
        cap = caption if k == 1 else None
        items += _layer_tables(k, net[k - 1], trace[k - 1], plans[k - 1], labels[k - 1],
                               single, stages, precision, cap, shown)  # fmt: skip
    return items


def _layer_tables(
    k: int,
    layer: Layer,
    res: Pass,
    pl: Plan,
    lab: ShapeLabels,
    single: bool,
    stages: Sequence[str],
    precision: int,
    caption: str | None,
    shown: Elided = Elided(),
) -> list[RenderableType]:
    z = res.z[0] if single else res.z
    a = res.a[0] if single else res.a
    out = dims(pl.out_shape)
    relu = layer.act.name == "relu"
    prev = "X" if k == 1 else f"A{k - 1}"
    tables = {
        "w": lambda: matrix_table(
            layer.w, f"W{k}  weights ({layer.n}×{layer.p}) — {lab.w}", caption=caption,
            precision=precision, row_word="x" if k == 1 else "a", col_word="n",
        ),
        "b": lambda: matrix_table(
            layer.bias, f"b{k}  biases ({layer.p},) — {lab.b}", precision=precision,
            col_word="n",
        ),
        "z": lambda: matrix_table(
            z, f"Z{k} = {prev}·W{k} + b{k} ({out})", precision=precision, row_word="s",
            col_word="n", labels=Labels2D(shown.labels), gap=shown.gap,
        ),
        "a": lambda: matrix_table(
            a, f"A{k} = {_act_label(layer.activation)}(Z{k}) ({out})",
            precision=precision, dim_mask=(z <= 0) if relu else None, row_word="s",
            col_word="n", labels=Labels2D(shown.labels), gap=shown.gap,
            caption="dimmed: zeros made by ReLU" if relu and (z <= 0).any() else None,
        ),
    }  # fmt: skip
    return [tables[s]() for s in ("w", "b", "z", "a") if s in stages]


def class_table(names: Sequence[str], layer: int, shown: Elided = Elided()) -> Group:
    t = Table(show_header=True, header_style="bold")
    t.add_column("", style="dim", justify="right")
    t.add_column("class")
    rows: list[int | None] = _pick(len(names), MAX_ROWS)
    if shown.gap is not None:
        rows = [*range(shown.gap + 1), None, *range(shown.gap + 1, len(names))]
    for i in rows:
        if i is None:
            t.add_row("…", "…")
        else:
            t.add_row(shown.labels[i] if shown.labels else f"s{i}", names[i])
    return Group(Text(f"argmax of A{layer}: each sample's class", style="bold"), t)


def tables_html(items: Sequence[RenderableType], width: int = 110) -> str:
    """The renderables as one HTML ``<pre>`` with inline styles: the same text and the
    same emphasis (bold titles, dimmed ReLU zeros) as the terminal, for a report file."""
    import io

    console = Console(
        file=io.StringIO(), record=True, width=width, color_system="truecolor",
        force_terminal=True, no_color=False, highlight=False, soft_wrap=False,
    )  # fmt: skip
    for item in items:
        console.print(item)
        console.print()
    return console.export_html(inline_styles=True, code_format='<pre class="tables">{code}</pre>')


def model_summary(info: dict) -> Group:  # type: ignore[type-arg]
    """A network at a glance (``nncalc inspect``), from :func:`nncalc.models.summary.summary`:
    one row per layer, then the input and output widths and the totals."""
    t = Table(
        title=f"{info['source']} ({info['format']})", title_justify="left", header_style="bold"
    )
    for col, just in (("#", "right"), ("name", "left"), ("W (n×p)", "right"),
                      ("b", "right"), ("activation", "left"), ("params", "right"),
                      ("dtype", "left")):  # fmt: skip
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for r in info["layers"]:
        n, p = r["weights"]
        bias = f"{r['biases']}" + (" (zeros)" if r["zero_biases"] else "")
        t.add_row(str(r["index"]), r["name"], f"{n}×{p}", bias, r["activation"],
                  f"{r['params']:,}", r["dtype"])  # fmt: skip
    foot = Text(
        f"inputs {info['inputs']} → outputs {info['outputs']}; "
        f"{info['params']:,} parameters, {_size(info['bytes'])}"
    )
    return Group(t, foot)


def _size(nbytes: int) -> str:
    if nbytes < 1024:
        return f"{nbytes} bytes"
    if nbytes < 1024**2:
        return f"{nbytes / 1024:.1f} KiB ({nbytes:,} bytes)"
    return f"{nbytes / 1024**2:.1f} MiB ({nbytes:,} bytes)"


def parts_table(rows: Sequence[tuple[str, str, str, str, str]]) -> Table:
    """:func:`batch_table` for ``--engine dask``: file, rows, parts, time, status."""
    t = batch_table([])
    t.columns[1].header = "rows"
    t.add_column("parts")
    for name, shape, parts, secs, status in rows:
        t.add_row(name, shape, secs, Text(status, style="green" if status == "ok" else "red"),
                  parts)  # fmt: skip
    return t
