"""Summaries of a run or a file: the batch and parts tables, a model at a glance."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text

from nncalc.i18n import _


def batch_table(rows: Sequence[tuple[str, str, str, str]]) -> Table:
    t = Table(title=_("Batch"), title_justify="left", header_style="bold")
    t.add_column(_("file"), overflow="fold")
    for col in (_("shape"), _("time"), _("status")):
        t.add_column(col)
    for r in rows:
        t.add_row(*r[:3], _status(r[3]))
    return t


def parts_table(rows: Sequence[tuple[str, str, str, str, str]]) -> Table:
    """:func:`batch_table` for ``--engine dask``: file, rows, parts, time, status."""
    t = batch_table([])
    t.columns[1].header = _("rows")
    t.add_column(_("parts"))
    for name, shape, parts, secs, status in rows:
        t.add_row(name, shape, secs, _status(status), parts)
    return t


def _status(status: str) -> Text:
    """ "ok" in green (in the screen's language), an error line in red as it was raised."""
    return Text(_("ok"), style="green") if status == "ok" else Text(status, style="red")


def model_summary(info: dict) -> Group:  # type: ignore[type-arg]
    """A network at a glance (``nncalc inspect``), from :func:`nncalc.models.summary.summary`:
    one row per layer, then the input and output widths and the totals."""
    t = Table(
        title=f"{info['source']} ({info['format']})", title_justify="left", header_style="bold"
    )
    for col, just in (("#", "right"), (_("name"), "left"), ("W (n×p)", "right"),
                      ("b", "right"), (_("activation"), "left"), (_("params"), "right"),
                      ("dtype", "left")):  # fmt: skip
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    for r in info["layers"]:
        n, p = r["weights"]
        bias = f"{r['biases']}" + (_(" (zeros)") if r["zero_biases"] else "")
        act = Text(_("unknown"), style="yellow") if r["activation"] is None else r["activation"]
        t.add_row(str(r["index"]), r["name"], f"{n}×{p}", bias, act,
                  f"{r['params']:,}", r["dtype"])  # fmt: skip
    foot = Text(
        _("inputs {inputs} → outputs {outputs}; {params} parameters, {size}").format(
            inputs=info["inputs"],
            outputs=info["outputs"],
            params=f"{info['params']:,}",
            size=_size(info["bytes"]),
        )
    )
    if info.get("hint"):
        return Group(t, foot, Text(info["hint"], style="yellow"))
    return Group(t, foot)


def _size(nbytes: int) -> str:
    if nbytes < 1024:
        return _("{n} bytes").format(n=nbytes)
    unit, scale = ("KiB", 1024) if nbytes < 1024**2 else ("MiB", 1024**2)
    return _("{size} {unit} ({n} bytes)").format(
        size=f"{nbytes / scale:.1f}", unit=unit, n=f"{nbytes:,}"
    )
