"""A run as one self-contained HTML file: the command line, the shape chain, the picture
and the terminal's tables, to open offline, hand in or print.

Nothing is fetched: styles are inline, the SVG is inline, no script runs.  The tables
come in as HTML already (``nncalc.render.tables_html``), exported from the very
renderables the terminal prints, so the report cannot drift from the screen.
"""

from __future__ import annotations

from html import escape

import numpy as np

from nncalc import __version__
from nncalc.core import Network
from nncalc.i18n import N_, _, current

from .layout import sample_of
from .svg import draw

STYLE = """
:root { color-scheme: light; }
body { font-family: 'DejaVu Sans', 'Noto Sans CJK SC', sans-serif; color: #1d2530;
       background: #ffffff; margin: 2rem auto; max-width: 72rem; padding: 0 1.5rem;
       line-height: 1.45; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 2rem 0 .6rem; border-bottom: 1px solid #d7dce2;
     padding-bottom: .2rem; }
pre, code { font-family: 'DejaVu Sans Mono', 'Noto Sans Mono CJK SC', monospace; }
pre.command { background: #f3f5f8; border: 1px solid #d7dce2; border-radius: 6px;
              padding: .7rem 1rem; white-space: pre-wrap; word-break: break-all; }
table.chain { border-collapse: collapse; font-size: .95rem;
              font-family: 'DejaVu Sans Mono', 'Noto Sans Mono CJK SC', monospace; }
table.chain th, table.chain td { text-align: left; padding: .25rem .9rem .25rem 0;
                                 border-bottom: 1px solid #eceff3; }
table.chain th { font-family: 'DejaVu Sans', 'Noto Sans CJK SC', sans-serif; }
figure { margin: 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
pre.tables { font-size: .85rem; line-height: 1.15; overflow-x: auto; }
footer { margin-top: 2.5rem; color: #6b7380; font-size: .85rem; }
@media print {
  body { margin: 0; max-width: none; }
  h2 { break-after: avoid; }
  figure, table.chain { break-inside: avoid; }
  pre.tables { font-size: 7.5pt; overflow: visible; }
}
"""


CHAIN, TABLES = N_("Shape chain"), N_("Tables")  # the page's headings


def _dims(*shape: int | str) -> str:
    return "×".join(str(d) for d in shape)


def shape_chain(net: Network, m: int | None = None) -> str:
    """The chain X → Z_k, A_k as an HTML table, one row per operand."""
    rows = "m" if m is None else m
    lines = [("X", _("inputs"), _dims(rows, net.n))]
    for k, layer in enumerate(net, start=1):
        lines += [
            (f"W{k}", _("weights of layer {k}").format(k=k), _dims(layer.n, layer.p)),
            (f"b{k}", _("biases of layer {k}").format(k=k), f"({layer.p},)"),
            (f"Z{k}", f"A{k - 1}·W{k} + b{k}" if k > 1 else "X·W1 + b1", _dims(rows, layer.p)),
            (f"A{k}", f"{layer.act.label}(Z{k})", _dims(rows, layer.p)),
        ]
    body = "".join(
        f"<tr><td>{escape(a)}</td><td>{escape(b)}</td><td>{escape(c)}</td></tr>"
        for a, b, c in lines
    )
    what, shape = escape(_("what")), escape(_("shape"))
    return (
        f'<table class="chain"><thead><tr><th></th><th>{what}</th><th>{shape}</th></tr>'
        f"</thead><tbody>{body}</tbody></table>"
    )


def report_html(
    command_line: str,
    net: Network,
    x: np.ndarray | None = None,
    tables_html: str = "",
    *,
    sample: int | None = 0,
    title: str = "nncalc forward",
    precision: int = 3,
) -> bytes:
    """The report as UTF-8 bytes, the same for the same run (no dates, no paths of ours).

    ``x`` (m×n) is optional: with it the picture writes sample ``sample``'s numbers in the
    nodes and the chain says m.  ``tables_html`` is what ``render.tables_html`` made of
    the tables the terminal shows.
    """
    picked = None
    m = None
    if x is not None:
        xa = np.atleast_2d(np.asarray(x))
        m = int(xa.shape[0])
        if sample is not None and 0 <= sample < m:
            picked = sample_of(net, xa, sample)
    svg = draw(net, picked, precision=precision)
    caption = (
        _("The network, with sample s{row}'s numbers").format(row=picked.row)
        if picked
        else _("The network")
    )
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if current() == "zh" else "en"}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<pre class="command"><code>{escape(command_line)}</code></pre>',
        f"<h2>{escape(_(CHAIN))}</h2>",
        shape_chain(net, m),
        f"<h2>{escape(caption)}</h2>",
        f"<figure>{svg}</figure>",
    ]
    if tables_html:
        parts += [f"<h2>{escape(_(TABLES))}</h2>", tables_html]
    made = _("Made by nncalc {version}.").format(version=__version__)
    parts += [f"<footer>{escape(made)}</footer>", "</body></html>", ""]
    return "\n".join(parts).encode("utf-8")
