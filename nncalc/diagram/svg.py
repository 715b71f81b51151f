"""A network drawn as an SVG string: inputs on the left, each layer's neurons to the right,
one line per weight.

Plain strings, no drawing library: the picture is a pure function of the network (and of
one sample's numbers), so the same input always gives the same bytes.  Fonts are generic
families and nothing is referenced from outside, so the file opens anywhere.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

import numpy as np

from nncalc.core import Layer, Network
from nncalc.explain import weight_name
from nncalc.i18n import _

from .layout import KEEP, Box, Geometry, Sample, columns, geometry, plan_labels

POSITIVE = "#1f6fb4"  # blue
NEGATIVE = "#d1495b"  # red; blue/red stays apart for the common colour blindnesses
ZERO = "#9a9a9a"
INK = "#1d2530"
MUTED = "#6b7380"
NODE_FILL = "#ffffff"
INPUT_FILL = "#f1f6fb"
DEAD_FILL = "#e4e4e4"
# named fonts first (DejaVu for Latin, Noto CJK for the Chinese screens), then the generic
# family every renderer maps to a font it has
FONT = "'DejaVu Sans', 'Noto Sans CJK SC', sans-serif"
MONO = "'DejaVu Sans Mono', 'Noto Sans Mono CJK SC', monospace"


def num(v: float, precision: int = 3) -> str:
    """A value as the tables write it: ``precision`` significant digits, signs kept."""
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    return f"{v:.{precision}g}"


def cells(text: str) -> int:
    """Columns ``text`` takes: a Chinese character is as wide as two Latin letters."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _attr(**kv: object) -> str:
    return "".join(f" {k.rstrip('_').replace('_', '-')}={quoteattr(str(v))}" for k, v in kv.items())


def _text(x: float, y: float, body: str, **kv: object) -> str:
    return f"<text{_attr(x=_f(x), y=_f(y), **kv)}>{escape(body)}</text>"


def _halo(x: float, y: float, body: str, **kv: object) -> str:
    """Text on a white outline, so it stays readable where it crosses an edge (two
    elements, not paint-order, which some renderers ignore)."""
    under = {k: v for k, v in kv.items() if k not in ("fill", "class_")}
    return _text(
        x,
        y,
        body,
        **under,
        fill="#ffffff",
        stroke="#ffffff",
        stroke_width=3.5,
        stroke_linejoin="round",
        aria_hidden="true",
    ) + _text(x, y, body, **kv)


def _f(v: float) -> str:
    """Coordinates with two decimals at most: short, and the same bytes everywhere."""
    s = f"{v:.2f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def draw(
    net: Network,
    sample: Sample | None = None,
    *,
    title: str | None = None,
    precision: int = 3,
) -> str:
    """The SVG document for ``net``; with ``sample``, its numbers written in the nodes.

    Every node drawn is an ``<ellipse class="node">`` with ``data-layer`` (0 for the
    inputs) and ``data-index``; an elided column has one ``class="more"`` marker whose
    ``data-hidden`` says how many nodes it stands for.
    """
    g = geometry(net, sample)
    cols = columns(net, g)
    r = g.radius
    body_bottom = max(c.y[-1] for c in cols) + g.ry
    drawn = cols[-1].x + g.radius + 84  # room for the last column's bias labels
    width = max(drawn, 660.0)
    if width > drawn:  # centre a small network over the legend
        shift = (width - drawn) / 2
        cols = [col._replace(x=col.x + shift) for col in cols]
    legend_y = body_bottom + 74
    legend, legend_h = _legend(24, legend_y, sample is not None and _any_relu(net), width - 48)
    height = legend_y + legend_h + 16

    out: list[str] = []
    add = out.append
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(width)}" height="{_f(height)}" '
        f'viewBox="0 0 {_f(width)} {_f(height)}" font-family="{FONT}" font-size="13" '
        f'fill="{INK}" role="img">'
    )
    sizes = "→".join(str(c.size) for c in cols)
    heading = title or _("Network {sizes}").format(sizes=sizes)
    if sample is not None:
        heading = _("{title} — sample s{row}").format(title=heading, row=sample.row)
    add(f"<title>{escape(heading)}</title>")
    add(f'<rect width="{_f(width)}" height="{_f(height)}" fill="#ffffff"/>')
    add(_text(24, 30, heading, font_size=17, font_weight="bold"))

    placed = plan_labels(net, cols, g, lambda v: num(v, precision))
    # edges first, so nodes sit on top of them
    for k, layer in enumerate(net, start=1):
        src, dst = cols[k - 1], cols[k]
        w = layer.w
        scale = float(np.max(np.abs(w))) if w.size else 0.0
        wide = max(layer.n, layer.p) >= 10
        drawn_edges = sum(i is not None for i in src.ids) * sum(j is not None for j in dst.ids)
        opacity = "0.8" if drawn_edges <= 36 else "0.55"
        add(f'<g class="edges" data-layer="{k}" fill="none" stroke-opacity="{opacity}">')
        labels: list[str] = []
        for i, y1 in zip(src.ids, src.y, strict=True):
            if i is None:
                continue
            for j, y2 in zip(dst.ids, dst.y, strict=True):
                if j is None:
                    continue
                v = float(w[i, j])
                colour = POSITIVE if v > 0 else NEGATIVE if v < 0 else ZERO
                mag = abs(v) / scale if scale and math.isfinite(scale) else 0.0
                stroke = 0.6 + 4.4 * (mag if math.isfinite(mag) else 1.0)
                dash = ' stroke-dasharray="3 3"' if v == 0 else ""
                add(
                    f'<line x1="{_f(src.x + r)}" y1="{_f(y1)}" x2="{_f(dst.x - r)}" '
                    f'y2="{_f(y2)}" stroke="{colour}" stroke-width="{_f(stroke)}"{dash}>'
                    f"<title>{weight_name(i, j, wide)} = {num(v, 6)}</title></line>"
                )
                if (k, i, j) in placed.weights:
                    box, text = placed.weights[k, i, j]
                    labels.append(_along(box, text, colour))
        out.extend(labels)
        add("</g>")

    # columns: captions, nodes, biases, values
    for c, col in enumerate(cols):
        here: Layer | None = net[c - 1] if c else None
        if here is None:
            head, sub, foot = _("inputs"), f"n = {col.size}", ""
        else:
            head = _("layer {k}").format(k=c)
            if here.name and here.name != f"layer{c}" and not here.name.isdigit():
                head += f" · {here.name}"  # a name of its own (fc1), not Sequential's 0, 2, …
            sub = f"(n, p) = ({here.n}, {here.p})"
            foot = here.act.label
        add(_text(col.x, g.top - 50, head, text_anchor="middle", font_weight="bold"))
        add(_text(col.x, g.top - 32, sub, text_anchor="middle", fill=MUTED, font_size=12))
        if foot:
            assert here is not None
            add(
                _text(
                    col.x,
                    body_bottom + 30,
                    foot,
                    text_anchor="middle",
                    font_weight="bold",
                    font_size=14,
                    class_="activation",
                )
            )
            formula = "a = " + here.act.formula.replace("{slope}", num(here.act.param or 0))
            add(
                _text(
                    col.x, body_bottom + 48, formula, text_anchor="middle", fill=MUTED, font_size=12
                )
            )
        for i, y in zip(col.ids, col.y, strict=True):
            if i is None:
                hidden = col.size - 2 * KEEP
                add(
                    f'<g class="more" data-layer="{c}" data-hidden="{hidden}">'
                    + _text(col.x, y - 4, "⋮", text_anchor="middle", font_size=22, fill=MUTED)
                    + _text(
                        col.x,
                        y + 16,
                        _("{count} more").format(count=hidden),
                        text_anchor="middle",
                        font_size=12,
                        fill=MUTED,
                    )
                    + "</g>"
                )
                continue
            bias = placed.biases.get((c, i))
            add(_node(col.x, y, g, c, i, here, sample, precision, bias))
    add(legend)
    add("</svg>")
    return "\n".join(out) + "\n"


def _any_relu(net: Network) -> bool:
    return any(layer.act.name == "relu" for layer in net)


def _along(box: Box, text: str, colour: str) -> str:
    """A weight's label on its line, turned to run along it, on a white halo."""
    turn = f"rotate({_f(math.degrees(box.angle))} {_f(box.cx)} {_f(box.cy)})"
    plate = (
        f'<rect x="{_f(box.cx - box.w / 2)}" y="{_f(box.cy - box.h / 2)}" width="{_f(box.w)}" '
        f'height="{_f(box.h)}" rx="3" fill="#ffffff" fill-opacity="0.92" stroke="none" '
        f'transform="{turn}" aria-hidden="true"/>'
    )
    return plate + _text(
        box.cx,
        box.cy + 4,
        text,
        class_="weight",
        fill=colour,
        text_anchor="middle",
        font_size=11,
        font_weight="bold",
        transform=turn,
    )


def _fit(text: str, chord: float, size: float) -> float:
    """The font size (at most ``size``) at which ``text`` fits a chord of the circle."""
    return min(size, chord / (0.62 * max(len(text), 1)))


def _node(
    x: float,
    y: float,
    g: Geometry,
    c: int,
    i: int,
    layer: Layer | None,
    sample: Sample | None,
    precision: int,
    bias: tuple[Box, str] | None = None,
) -> str:
    parts: list[str] = [f'<g data-layer="{c}" data-index="{i}">']
    fill, ink = (INPUT_FILL, INK) if c == 0 else (NODE_FILL, INK)
    dead = False
    values: list[str] = []
    if sample is not None:
        if c == 0:
            values = [num(float(sample.x[i]), precision)]
        else:
            z, a = float(sample.z[c - 1][i]), float(sample.a[c - 1][i])
            assert layer is not None
            dead = layer.act.name == "relu" and z <= 0
            values = [f"z {num(z, precision)}", f"a {num(a, precision)}"]
    if dead:
        fill, ink = DEAD_FILL, MUTED
    cls = "node dead" if dead else "node"
    r = g.radius
    parts.append(
        f'<circle class="{cls}" cx="{_f(x)}" cy="{_f(y)}" r="{_f(r)}" '
        f'fill="{fill}" stroke="{MUTED if dead else INK}" stroke-width="1.5"/>'
    )
    if not values:  # the course's names: inputs a1, a2, …; neuron j computes zj
        name = f"a{i + 1}" if c == 0 else f"z{i + 1}"
        parts.append(_text(x, y + 4.5, name, text_anchor="middle", fill=ink))
    elif len(values) == 1:
        size = _fit(values[0], 2 * r - 8, 12)
        parts.append(
            _text(x, y + size * 0.36, values[0], text_anchor="middle", fill=ink,
                  font_family=MONO, font_size=_f(size))
        )  # fmt: skip
    else:
        chord = 2 * math.sqrt(r * r - 12.0**2) - 6  # the width at the text lines' height
        size = min(_fit(values[0], chord, 11), _fit(values[1], chord, 11))
        parts.append(
            _text(x, y - 3, values[0], text_anchor="middle", fill=ink, font_family=MONO,
                  font_size=_f(size))
        )  # fmt: skip
        parts.append(
            _text(x, y + 12, values[1], text_anchor="middle", fill=ink, font_family=MONO,
                  font_size=_f(size), font_weight="bold")
        )  # fmt: skip
    if bias is not None:
        box, text = bias
        parts.append(
            _halo(box.cx, box.cy + 4, text, class_="bias", fill=MUTED, font_size=11,
                  font_family=MONO, text_anchor="middle")
        )  # fmt: skip
    elif c == 0 and sample is not None:
        parts.append(
            _text(x - r - 6, y + 4, f"a{i + 1}", text_anchor="end", fill=MUTED, font_size=11)
        )
    parts.append("</g>")
    return "".join(parts)


def _legend(x: float, y: float, dead: bool, room: float) -> tuple[str, float]:
    """The key to colours, widths and marks, wrapped to ``room``; and its height."""
    items: Sequence[tuple[str, str]] = [
        (f'<line x1="0" y1="0" x2="34" y2="0" stroke="{POSITIVE}" stroke-width="3"/>',
         _("positive weight")),
        (f'<line x1="0" y1="0" x2="34" y2="0" stroke="{NEGATIVE}" stroke-width="3"/>',
         _("negative weight")),
        (f'<line x1="0" y1="-3" x2="34" y2="-3" stroke="{MUTED}" stroke-width="0.8"/>'
         f'<line x1="0" y1="4" x2="34" y2="4" stroke="{MUTED}" stroke-width="4.6"/>',
         _("line width ∝ |weight| (within its layer)")),
        (f'<text x="0" y="4" font-size="11" font-family="{MONO}" fill="{MUTED}">b1 = 0.5</text>',
         _("the neuron's bias")),
    ]  # fmt: skip
    if dead:
        items = [*items, (f'<circle cx="17" cy="0" r="9" fill="{DEAD_FILL}" stroke="{MUTED}"/>',
                          _("greyed: ReLU made it 0 for this sample (z ≤ 0)"))]  # fmt: skip
    parts = [f'<g class="legend" transform="translate({_f(x)},{_f(y)})" font-size="12">']
    cx = cy = 0.0
    for mark, words in items:
        indent = 66 if "b1 = " in mark else 42  # the bias mark is text, wider than a line
        wide = indent + 6.8 * cells(words) + 28  # a generous estimate of the text's width
        if cx and cx + wide > room:
            cx, cy = 0.0, cy + 26
        parts.append(f'<g transform="translate({_f(cx)},{_f(cy)})">{mark}')
        parts.append(_text(indent, 4, words, fill=INK) + "</g>")
        cx += wide
    parts.append("</g>")
    return "".join(parts), cy + 14
