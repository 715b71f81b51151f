"""One layer's screens: the shape table and verdict, the stage tables, the arithmetic."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nncalc.core import Layer, Pass
from nncalc.explain import Term
from nncalc.formats import Matrix
from nncalc.i18n import _, ngettext
from nncalc.shapes import Labels as ShapeLabels
from nncalc.shapes import Plan, describe_b, describe_w, describe_x, dims

from .basics import Elided, Labels2D, act_label, act_meaning, matrix_table, num, pick


def bias_shape(pl: Plan) -> tuple[int, ...] | None:
    """A 1×p row of biases is used as the vector (p,): one label for b everywhere."""
    b = pl.b_shape
    if b is not None and len(b) == 2 and b[0] == 1 and not any("b" in q.marks for q in pl.problems):
        return (b[1],)
    return b


def shape_table(pl: Plan, activation: str = "relu", title: str | None = None) -> Table:
    """The brief's shape table with this run's m, n, p, problems highlighted in red."""
    t = Table(title=title or _("Shapes"), title_justify="left", header_style="bold")
    for col in ("", _("what"), _("shape"), _("meaning")):
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

    act = act_label(activation)
    t.add_row(
        "X",
        _("inputs"),
        shape_text("x", pl.x_shape),
        describe_x(pl.x_shape),
        style="red" if "x" in bad else "",
    )
    t.add_row(
        "W",
        _("weights"),
        shape_text("w", pl.w_shape),
        describe_w(pl.w_shape, pl.layout)
        + (_(" (read as p×n: --layout out-in)") if pl.layout == "out-in" else ""),
        style="red" if "w" in bad else "",
    )
    t.add_row(
        "b",
        _("biases"),
        shape_text("b", bias_shape(pl)),
        _("{meaning}, broadcast to every sample").format(meaning=describe_b(pl.b_shape)),
        style="red" if "b" in bad else "",
    )
    out = pl.out_shape
    out_text = Text(dims(out)) if out else Text(_("undefined"), style="bold red")
    rows_word = _("one row per sample") if out and len(out) == 2 else _("one value per neuron")
    t.add_row("Z", "X·W + b", out_text, rows_word if out else z_failure(pl))
    t.add_row(
        "A",
        f"{act}(Z)",
        out_text.copy(),
        act_meaning(activation),
    )
    return t


def z_failure(pl: Plan) -> str:
    """Which step of X·W + b fails: the product, or (the product being fine) the sum."""
    if pl.p is not None and all("x" not in q.marks and "w" not in q.marks or "b" in q.marks
                                for q in pl.problems):  # fmt: skip
        return _("X·W is {m}×{p}, but b does not fit it: the sum is not defined").format(
            m=pl.m, p=pl.p
        )
    return _("the product is not defined")


def shape_report(pl: Plan, labels: ShapeLabels) -> list[RenderableType]:
    """``nncalc shapes``: where each operand came from, the table, the verdict."""
    sources = Text(f"X: {labels.x}   W: {labels.w}   b: {labels.b}", style="dim")
    title = (
        _("Shapes")
        if pl.m is None
        else _("Shapes: m={m}, n={n}, p={p}").format(m=pl.m, n=pl.n, p=pl.p or "?")
    )
    return [sources, shape_table(pl, title=title), verdict(pl)]


def verdict(pl: Plan) -> Text:
    if pl.ok:
        defined = _("✓ X·W + b is defined: m={m}, n={n}, p={p}")
        return Text(defined.format(m=pl.m, n=pl.n, p=pl.p), style="green")
    text = Text(_("✗ X·W + b is not defined") + "\n", style="bold red")
    for prob in pl.problems:
        text.append(f"  {prob.message}\n")
        if prob.hint:
            text.append("  " + _("hint: {hint}").format(hint=prob.hint) + "\n", style="yellow")
    text.rstrip()
    return text


def relu_note(z: np.ndarray, partial: bool = False) -> str | None:
    """Under A: how many values ReLU clipped to 0, so a learner comparing with the course's
    Z (which has the negatives) sees why they differ; None when it clipped none."""
    clipped, total = int((z < 0).sum()), int(z.size)
    if not clipped:
        return _("dimmed: zeros made by ReLU") if (z == 0).any() else None
    text = (
        _("ReLU clipped {clipped} of the {total} values shown to 0 (dimmed); "
          "--activation linear shows Z itself")
        if partial
        else _("ReLU clipped {clipped} of {total} values to 0 (dimmed); "
               "--activation linear shows Z itself")
    )  # fmt: skip
    return text.format(clipped=clipped, total=total)


def term_line(t: Term, precision: int = 4, max_terms: int = 8) -> Text:
    """The neuron as the course writes it, then with the numbers put in, elided when wide:

    ``z2 = a1·w12 + a2·w22 + a3·w32 + b2``
    ``   = (−0.9)(0.7) + (−0.5)(−0.6) + (−0.7)(0.2) + 0.5 = 0.03 → ReLU → 0.03``
    """
    idx = pick(len(t.xs), max_terms)
    parts = [
        "…" if k is None else f"({num(t.xs[k], precision)})({num(t.ws[k], precision)})" for k in idx
    ]
    symbols = t.formula(max_terms)
    text = Text(symbols, style="cyan")
    text.append("\n" + " " * symbols.index("=") + "= ")
    text.append(" + ".join(parts))
    text.append(f" + {num(t.b, precision)}" if t.b >= 0 else f" + ({num(t.b, precision)})")
    text.append(f" = {num(t.z, precision)}", style="bold")
    if t.exps is not None:
        total = math.fsum(t.exps)
        shown = pick(len(t.exps), max_terms)
        exps = ", ".join("…" if k is None else num(t.exps[k], precision) for k in shown)
        power = "e^(z − max z)" if t.worked else "e^z"
        mine = f"e^(z{t.neuron + 1} − max z)" if t.worked else f"e^z{t.neuron + 1}"
        text.append(f" → softmax: {power} = [{exps}], Σ = {num(total, precision)}, "
                    f"{mine} / Σ = {num(t.exps[t.neuron], precision)} / "
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
        footer = ngettext(
            "… {more} more neuron: pick one with --neuron",
            "… {more} more neurons: pick one with --neuron",
            more,
        )
        lines.append(Text(footer.format(more=more), style="dim"))
    return Group(*lines)


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
        "shapes": lambda: shape_table(
            pl, layer.act.spec, _("Shapes: m={m}, n={n}, p={p}").format(m=pl.m, n=n, p=p)
        ),
        "x": lambda: matrix_table(
            x.values, _("X  inputs ({shape}) — {source}").format(
                shape=dims(shown.shape or x.values.shape), source=labels.x),
            precision=precision, labels=Labels2D(rows, x.header), row_word="s", col_word="x",
            gap=gap,
        ),
        "w": lambda: matrix_table(
            layer.w, _("W  weights ({shape}) — {source}").format(
                shape=f"{n}×{p}", source=labels.w), caption=w_note,
            precision=precision, row_word="x", col_word="n",
        ),
        "b": lambda: matrix_table(
            layer.bias, _("b  biases ({shape}) — {source}").format(
                shape=f"{p},", source=labels.b), caption=b_note, precision=precision,
            col_word="n",
        ),
        "z": lambda: matrix_table(
            z, f"Z = X·W + b ({out})", precision=precision, row_word="s", col_word="n",
            labels=Labels2D(rows), gap=gap,
        ),
        "a": lambda: matrix_table(
            a, f"A = {act_label(layer.act.spec)}(Z) ({out})", precision=precision,
            dim_mask=made_zero if relu else None, row_word="s", col_word="n",
            labels=Labels2D(rows), gap=gap,
            caption=relu_note(z, gap is not None) if relu else None,
        ),
    }  # fmt: skip
    return [tables[s]() for s in stages]
