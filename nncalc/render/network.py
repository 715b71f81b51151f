"""A network's screens: the chain table and verdict, each layer's tables, classes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from nncalc.core import Layer, Network, Pass
from nncalc.formats import Matrix
from nncalc.i18n import _, ngettext
from nncalc.shapes import Labels as ShapeLabels
from nncalc.shapes import Plan, describe_b, describe_w, describe_x, dims

from .basics import MAX_ROWS, Elided, Labels2D, act_label, act_meaning, matrix_table, pick
from .layer import relu_note


def chain_table(plans: Sequence[Plan], activations: Sequence[str], layers: int) -> Table:
    """The whole network's shapes in one table: X, then W_k, b_k, Z_k, A_k per layer."""
    first = plans[0]
    m = "m" if first.m is None else str(first.m)
    title = ngettext("Network: {layers} layer, m={m}", "Network: {layers} layers, m={m}", layers)
    t = Table(title=title.format(layers=layers, m=m), title_justify="left", header_style="bold")
    for col in ("", _("what"), _("shape"), _("meaning")):
        t.add_column(col)
    t.add_row("X", _("inputs"), dims(first.x_shape), describe_x(first.x_shape))
    for k in range(1, layers + 1):
        if k > len(plans):
            t.add_row(_("layer {k}").format(k=k), "", Text("—", style="dim"),
                      Text(_("not checked"), style="dim"))  # fmt: skip
            continue
        pl = plans[k - 1]
        bad = {key for prob in pl.problems for key in prob.marks}
        prev = "X" if k == 1 else f"A{k - 1}"
        t.add_row(f"W{k}", _("weights"), dims(pl.w_shape), describe_w(pl.w_shape, pl.layout),
                  style="red" if "w" in bad else "")  # fmt: skip
        t.add_row(f"b{k}", _("biases"), dims(pl.b_shape), describe_b(pl.b_shape),
                  style="red" if "b" in bad else "")  # fmt: skip
        out = pl.out_shape
        out_text = Text(dims(out)) if out else Text(_("undefined"), style="bold red")
        rows_word = _("one row per sample") if out else ""
        t.add_row(f"Z{k}", f"{prev}·W{k} + b{k}", out_text, rows_word)
        act = activations[k - 1]
        t.add_row(f"A{k}", f"{act_label(act)}(Z{k})", out_text.copy(), act_meaning(act))
    return t


def chain_verdict(plans: Sequence[Plan], layers: int) -> Text:
    bad = next((pl for pl in plans if not pl.ok), None)
    if bad is None and len(plans) == layers:
        last = plans[-1]
        defined = _("✓ the network is defined: {inputs} in, {outputs} out")
        return Text(defined.format(inputs=dims(plans[0].x_shape), outputs=dims(last.out_shape)),
                    style="green")  # fmt: skip
    text = Text(_("✗ the network is not defined") + "\n", style="bold red")
    for prob in bad.problems if bad else ():
        text.append(f"  {prob.message}\n")
        if prob.hint:
            text.append("  " + _("hint: {hint}").format(hint=prob.hint) + "\n", style="yellow")
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
            x.values, _("X  inputs ({shape}) — {source}").format(
                shape=dims(shown.shape or x.values.shape), source=labels[0].x),
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
            layer.w, _("W{k}  weights ({shape}) — {source}").format(
                k=k, shape=f"{layer.n}×{layer.p}", source=lab.w), caption=caption,
            precision=precision, row_word="x" if k == 1 else "a", col_word="n",
        ),
        "b": lambda: matrix_table(
            layer.bias, _("b{k}  biases ({shape}) — {source}").format(
                k=k, shape=f"{layer.p},", source=lab.b), precision=precision,
            col_word="n",
        ),
        "z": lambda: matrix_table(
            z, f"Z{k} = {prev}·W{k} + b{k} ({out})", precision=precision, row_word="s",
            col_word="n", labels=Labels2D(shown.labels), gap=shown.gap,
        ),
        "a": lambda: matrix_table(
            a, f"A{k} = {act_label(layer.activation)}(Z{k}) ({out})",
            precision=precision, dim_mask=(z <= 0) if relu else None, row_word="s",
            col_word="n", labels=Labels2D(shown.labels), gap=shown.gap,
            caption=relu_note(z, shown.gap is not None) if relu else None,
        ),
    }  # fmt: skip
    return [tables[s]() for s in ("w", "b", "z", "a") if s in stages]


def class_table(names: Sequence[str], layer: int, shown: Elided = Elided()) -> Group:
    t = Table(show_header=True, header_style="bold")
    t.add_column("", style="dim", justify="right")
    t.add_column(_("class"))
    rows: list[int | None] = pick(len(names), MAX_ROWS)
    if shown.gap is not None:
        rows = [*range(shown.gap + 1), None, *range(shown.gap + 1, len(names))]
    for i in rows:
        if i is None:
            t.add_row("…", "…")
        else:
            t.add_row(shown.labels[i] if shown.labels else f"s{i}", names[i])
    title = _("argmax of A{layer}: each sample's class").format(layer=layer)
    return Group(Text(title, style="bold"), t)
