"""The pieces every table is made of: the console, numbers, a matrix table, bars."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
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

from nncalc.i18n import _

MAX_ROWS = 12


MAX_COLS = 8


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


def pick(k: int, limit: int) -> list[int | None]:
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
    rows, cols = pick(m2.shape[0], MAX_ROWS), pick(m2.shape[1], MAX_COLS)
    if gap is not None:
        rows = [*range(gap + 1), None, *range(gap + 1, m2.shape[0])]
    t = Table(show_header=True, header_style="bold")
    t.add_column("", style="dim", justify="right")
    for j in cols:
        name = "…" if j is None else (labels.cols[j] if labels.cols else f"{col_word}{j}")
        t.add_column(name, justify="right")
    for i in rows:
        if i is None:
            t.add_row("…", *["…" for _col in cols])
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


def act_label(spec: str) -> str:
    from nncalc.core import activation

    return "ReLU" if spec == "relu" else ("linear" if spec == "linear" else activation(spec).label)


def act_meaning(spec: str) -> str:
    from nncalc.core import activation

    if spec == "relu":
        return _("{formula} element-wise").format(formula="max(0, z)")
    if spec == "linear":
        return _("Z unchanged")
    act = activation(spec)
    formula = act.formula.replace("{slope}", f"{act.param:g}" if act.param is not None else "")
    if act.elementwise:
        return _("{formula} element-wise").format(formula=formula)
    return _("{formula} over each sample's outputs").format(formula=formula)


def group(items: Sequence[RenderableType]) -> Group:
    return Group(*items)


def progress(enabled: bool, bytes_: bool = False) -> Progress:
    """A progress bar on stderr, drawn only when stderr is a terminal; counts items, or
    bytes read (with a transfer speed) for one large input."""
    counter = [DownloadColumn(), TransferSpeedColumn()] if bytes_ else [MofNCompleteColumn()]
    return Progress(
        TextColumn("{task.description}"), BarColumn(), *counter, TimeRemainingColumn(),
        console=make_console(stderr=True), disable=not enabled, transient=True,
    )  # fmt: skip


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
