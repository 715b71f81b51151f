"""What a network, a forward result and an explanation show in a Jupyter notebook: HTML
tables, the picture and the worked arithmetic, as plain strings (no Rich: the Python API
never imports it).  The objects' ``_repr_html_`` methods call these functions.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import numpy as np

from nncalc.explain import Explanation, elide, num, numbers_line
from nncalc.i18n import _, ngettext

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from nncalc.core import Network, Pass

LIMIT = 12  # rows or columns shown before the middle is elided
INK, MUTED, DIM = "#1d2530", "#6b7380", "#9aa1ab"
TABLE = (
    "border-collapse:collapse;font-family:'DejaVu Sans Mono','Noto Sans Mono CJK SC',monospace;"
    "font-size:0.9em;margin:0.2em 0 0.8em"
)
CELL = "padding:0.15em 0.7em;text-align:right;border-bottom:1px solid #eceff3"
HEAD = f"{CELL};color:{MUTED};font-weight:normal"
TITLE = (
    "font-weight:bold;margin:0.6em 0 0.1em;font-family:'DejaVu Sans','Noto Sans CJK SC',sans-serif"
)
NOTE = f"color:{MUTED};font-style:italic;margin:0 0 0.8em"


def dims(a: np.ndarray) -> str:
    return f"({a.shape[0]},)" if a.ndim == 1 else "×".join(str(d) for d in a.shape)


def matrix_html(
    values: ArrayLike,
    title: str,
    *,
    rows: str = "s",
    cols: str = "n",
    precision: int = 4,
    dim: np.ndarray | None = None,
    note: str | None = None,
) -> str:
    """A matrix (or a vector, as one row) as an HTML table with its title and shape, rows
    and columns labelled like the terminal's tables (s0, s1, …; n0, n1, …), the middle
    left out past 12; cells where ``dim`` is true greyed (ReLU's zeros)."""
    a = np.asarray(values, dtype=np.float64)
    grid = a.reshape(1, -1) if a.ndim <= 1 else a
    mask = None if dim is None else np.asarray(dim).reshape(grid.shape)
    row_ids, col_ids = elide(grid.shape[0], LIMIT), elide(grid.shape[1], LIMIT)
    head = "".join(f'<th style="{HEAD}">{"…" if j is None else f"{cols}{j}"}</th>' for j in col_ids)
    body = []
    for i in row_ids:
        label = "…" if i is None else (f"{rows}{i}" if a.ndim == 2 else "")
        cells = [f'<th style="{HEAD}">{label}</th>']
        for j in col_ids:
            if i is None or j is None:
                cells.append(f'<td style="{CELL};color:{MUTED}">…</td>')
                continue
            grey = mask is not None and bool(mask[i, j])
            style = f"{CELL};color:{DIM}" if grey else CELL
            cells.append(f'<td style="{style}">{escape(num(float(grid[i, j]), precision))}</td>')
        body.append(f"<tr>{''.join(cells)}</tr>")
    out = [
        f'<div style="{TITLE}">{escape(title)} <span style="color:{MUTED};font-weight:normal">'
        f"({dims(a) if a.ndim else 'a number'})</span></div>",
        f'<table style="{TABLE}"><thead><tr><th style="{HEAD}"></th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>",
    ]
    if note:
        out.append(f'<div style="{NOTE}">{escape(note)}</div>')
    return "".join(out)


def clipped_note(z: np.ndarray, a: np.ndarray) -> str | None:
    """How many values an activation set from below 0 to exactly 0 (ReLU's clipping)."""
    clipped = int(((z < 0) & (a == 0)).sum())
    if not clipped:
        return None
    return ngettext(
        'ReLU clipped {clipped} of {size} value to 0 (greyed); activation="linear" shows Z itself',
        'ReLU clipped {clipped} of {size} values to 0 (greyed); activation="linear" shows Z itself',
        z.size,
    ).format(clipped=clipped, size=z.size)


def pass_html(res: Pass, precision: int = 4) -> str:
    """A forward result: Z and A as tables, ReLU's zeros greyed and counted."""
    z, a = np.asarray(res.z), np.asarray(res.a)
    grey = (z < 0) & (a == 0)
    return (
        "<div>"
        + (
            matrix_html(z, "Z = X·W + b", precision=precision)
            + matrix_html(
                a, "A = activation(Z)", precision=precision, dim=grey, note=clipped_note(z, a)
            )  # fmt: skip
        )
        + "</div>"
    )


def network_summary(net: Network) -> str:
    """One row per layer: W's shape, b, the activation and the parameters, then totals
    (like Keras' ``model.summary()``)."""
    rows = []
    total = 0
    for k, layer in enumerate(net, start=1):
        params = layer.n * layer.p + layer.p
        total += params
        name = escape(_("layer {k}").format(k=k))
        rows.append(
            f'<tr><td style="{CELL};text-align:left">{name}</td>'
            f'<td style="{CELL}">{layer.n}×{layer.p}</td><td style="{CELL}">({layer.p},)</td>'
            f'<td style="{CELL};text-align:left">{escape(layer.act.label)}</td>'
            f'<td style="{CELL}">{params}</td></tr>'
        )
    head = "".join(
        f'<th style="{HEAD}">{escape(h)}</th>'
        for h in ("", "W (n×p)", "b", _("activation"), _("parameters"))
    )
    sizes = "→".join([str(net.n), *(str(layer.p) for layer in net)])
    title, all_ = escape(_("Network {sizes}").format(sizes=sizes)), escape(_("total"))
    return (
        f'<div style="{TITLE}">{title}</div>'
        f'<table style="{TABLE}"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}'
        f'<tr><td style="{CELL};text-align:left" colspan="4">{all_}</td>'
        f'<td style="{CELL}">{total}</td></tr></tbody></table>'
    )


def network_html(net: Network) -> str:
    """A network: the summary table and the picture."""
    from .svg import draw

    return f"<div>{network_summary(net)}{_figure(draw(net))}</div>"


def _figure(svg: str) -> str:
    # the SVG's own XML prologue-free text, scaled to the notebook's width
    return f'<div style="max-width:100%;overflow-x:auto">{svg}</div>'


class Picture:
    """A drawing that shows itself in a notebook (``Network.draw``); ``.svg`` is its text,
    ``save(path)`` writes it as .svg, .png or .html."""

    def __init__(self, svg: str) -> None:
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<Picture: {len(self.svg)} characters of SVG>"

    def save(self, path: str) -> None:
        from pathlib import Path

        from . import picture_kind

        kind = picture_kind(path)
        if kind == "png":
            from .png import svg_to_png

            Path(path).write_bytes(svg_to_png(self.svg))
        elif kind == "html":
            Path(path).write_text(f"<!doctype html><meta charset='utf-8'>{self.svg}", "utf-8")
        else:
            Path(path).write_text(self.svg, "utf-8")


def picture_of(net: Network, x: ArrayLike | None = None, sample: int = 0) -> Picture:
    from .layout import sample_of
    from .svg import draw

    if x is None:
        return Picture(draw(net))
    rows = np.asarray(x, dtype=np.float64).reshape(-1, net.n)
    return Picture(draw(net, sample_of(net, rows, sample)))


def explanation_html(ex: Explanation) -> str:
    """The worked arithmetic: each neuron's names, then its numbers, as on the board."""
    lines = [f'<div style="{TITLE}">{escape(ex.title)}</div>']
    pre = (
        "font-family:'DejaVu Sans Mono','Noto Sans Mono CJK SC',monospace;line-height:1.5;"
        "margin:0.2em 0 0.8em;white-space:pre"
    )
    body = []
    for t in ex.terms:
        formula = t.formula()
        pad = " " * formula.index("=")
        body.append(
            f'<span style="color:#1f6fb4">{escape(formula)}</span>\n'
            f"{pad}= {escape(numbers_line(t, ex.precision))}"
        )
    lines.append(f'<div style="{pre}">{chr(10).join(body)}</div>')
    if ex.more:
        more = ngettext(
            "… {more} more neuron: pick one with neuron=",
            "… {more} more neurons: pick one with neuron=",
            ex.more,
        ).format(more=ex.more)
        lines.append(f'<div style="{NOTE}">{escape(more)}</div>')
    return "".join(lines)
