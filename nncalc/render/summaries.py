"""Summaries of a run or a file: the batch and parts tables, a model at a glance."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group
from rich.table import Table
from rich.text import Text


def batch_table(rows: Sequence[tuple[str, str, str, str]]) -> Table:
    t = Table(title="Batch", title_justify="left", header_style="bold")
    t.add_column("file", overflow="fold")
    for col in ("shape", "time", "status"):
        t.add_column(col)
    for r in rows:
        t.add_row(*r[:3], Text(r[3], style="green" if r[3] == "ok" else "red"))
    return t


def parts_table(rows: Sequence[tuple[str, str, str, str, str]]) -> Table:
    """:func:`batch_table` for ``--engine dask``: file, rows, parts, time, status."""
    t = batch_table([])
    t.columns[1].header = "rows"
    t.add_column("parts")
    for name, shape, parts, secs, status in rows:
        t.add_row(name, shape, secs, Text(status, style="green" if status == "ok" else "red"),
                  parts)  # fmt: skip
    return t


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
        act = Text("unknown", style="yellow") if r["activation"] is None else r["activation"]
        t.add_row(str(r["index"]), r["name"], f"{n}×{p}", bias, act,
                  f"{r['params']:,}", r["dtype"])  # fmt: skip
    foot = Text(
        f"inputs {info['inputs']} → outputs {info['outputs']}; "
        f"{info['params']:,} parameters, {_size(info['bytes'])}"
    )
    if info.get("hint"):
        return Group(t, foot, Text(info["hint"], style="yellow"))
    return Group(t, foot)


def _size(nbytes: int) -> str:
    if nbytes < 1024:
        return f"{nbytes} bytes"
    if nbytes < 1024**2:
        return f"{nbytes / 1024:.1f} KiB ({nbytes:,} bytes)"
    return f"{nbytes / 1024**2:.1f} MiB ({nbytes:,} bytes)"
