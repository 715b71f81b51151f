"""Where everything goes: which nodes a column shows, node and column spacing, and
where each weight's label sits so that labels do not cover one another.

Pure arithmetic on the network's sizes, kept apart from the SVG strings it feeds.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from nncalc.core import Network

MAX_NODES = 12  # a column with more shows the first and last few around a "⋮ k more"
KEEP = 5  # nodes kept at each end of an elided column
LABEL_LIMIT = 6  # weights are written on the edges when a layer is at most 6×6


def shown(k: int) -> list[int | None]:
    """Indices drawn out of ``k`` nodes, with None where the middle is left out."""
    if k <= MAX_NODES:
        return list(range(k))
    return [*range(KEEP), None, *range(k - KEEP, k)]


class Column(NamedTuple):
    """One column of nodes: which are drawn, their centres, and the gap marker's place."""

    x: float
    ids: list[int | None]
    y: list[float]
    size: int


class Sample(NamedTuple):
    """One sample's numbers: x (n,), and z, a (p,) for every layer."""

    row: int
    x: np.ndarray
    z: list[np.ndarray]
    a: list[np.ndarray]


def sample_of(net: Network, x: np.ndarray, row: int) -> Sample:
    """Run sample ``row`` of ``x`` (m×n) through ``net``, keeping every Z and A."""
    xi = np.asarray(x)[row]
    passes = net.forward(np.asarray(x)[row : row + 1])
    return Sample(row, xi, [p.z[0] for p in passes], [p.a[0] for p in passes])


class Geometry(NamedTuple):
    radius: float  # every node is a circle of this radius
    gap: float  # vertical distance between node centres (room for a bias label between)
    step: float  # horizontal distance between columns
    top: float
    left: float

    @property
    def ry(self) -> float:
        return self.radius


def geometry(net: Network, sample: Sample | None) -> Geometry:
    labelled = any(labelled_layer(layer.n, layer.p) for layer in net)
    r = 34.0 if sample is not None else 22.0  # a sample's "z -0.0261" fits inside
    gap = 2 * r + 44.0
    step = (330.0 if labelled else 210.0) + 2 * r
    return Geometry(r, gap, step, 112.0, 110.0)


def labelled_layer(n: int, p: int) -> bool:
    return n <= LABEL_LIMIT and p <= LABEL_LIMIT


def columns(net: Network, g: Geometry) -> list[Column]:
    sizes = [net.n, *(layer.p for layer in net)]
    rows = [len(shown(k)) for k in sizes]
    tallest = max(rows)
    cols = []
    for c, k in enumerate(sizes):
        index = shown(k)
        offset = (tallest - len(index)) * g.gap / 2
        ys = [g.top + g.radius + offset + i * g.gap for i in range(len(index))]
        cols.append(Column(g.left + c * g.step, index, ys, k))
    return cols


# --- labels: boxes that must not meet -----------------------------------------------

WEIGHT_FONT = 11.0
BIAS_FONT = 11.0


def text_width(text: str, size: float) -> float:
    """A generous width for ``text`` at ``size`` px (DejaVu Sans digits are 0.64 em)."""
    return 0.66 * size * len(text) + 4


class Box(NamedTuple):
    """A label's rectangle: centre, width along its text, height, and the text's angle."""

    cx: float
    cy: float
    w: float
    h: float
    angle: float = 0.0  # radians, counter-clockwise from the x axis in SVG's y-down frame

    def corners(self) -> list[tuple[float, float]]:
        c, s = math.cos(self.angle), math.sin(self.angle)
        out = []
        for dx, dy in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
            x, y = dx * self.w / 2, dy * self.h / 2
            out.append((self.cx + x * c - y * s, self.cy + x * s + y * c))
        return out


def overlap(a: Box, b: Box) -> bool:
    """Whether two (rotated) rectangles meet: no separating axis among their four."""
    if (a.cx - b.cx) ** 2 + (a.cy - b.cy) ** 2 > ((a.w + a.h + b.w + b.h) / 2) ** 2:
        return False
    pa, pb = a.corners(), b.corners()
    for angle in (a.angle, a.angle + math.pi / 2, b.angle, b.angle + math.pi / 2):
        ux, uy = math.cos(angle), math.sin(angle)
        ra = [x * ux + y * uy for x, y in pa]
        rb = [x * ux + y * uy for x, y in pb]
        if max(ra) <= min(rb) or max(rb) <= min(ra):
            return False
    return True


CANDIDATES = tuple(round(0.12 + 0.01 * k, 2) for k in range(77))  # along the line


def place(
    x1: float, y1: float, x2: float, y2: float, text: str, taken: list[Box], prefer: float = 0.5
) -> Box:
    """The box of a weight's label: on its own line, turned along it, at the point nearest
    ``prefer`` (a fraction of the way along) whose box meets no box already taken."""
    angle = math.atan2(y2 - y1, x2 - x1)
    w, h = text_width(text, WEIGHT_FONT), WEIGHT_FONT + 3
    first: Box | None = None
    for t in sorted(CANDIDATES, key=lambda c: (abs(c - prefer), c)):
        box = Box(x1 + t * (x2 - x1), y1 + t * (y2 - y1), w, h, angle)
        first = first or box
        if not any(overlap(box, other) for other in taken):
            taken.append(box)
            return box
    assert first is not None
    taken.append(first)  # nowhere clear (never for layers up to 6×6: tests/test_diagram.py)
    return first


def bias_box(x: float, y: float, r: float, text: str, avoid: list[Box]) -> Box:
    """A neuron's bias label: above its circle, where no edge runs (edges meet a node at
    its left and right), lifted or moved a little when a steep edge passes under a long
    label; below the circle if nothing above is clear."""
    h = BIAS_FONT + 3
    w = text_width(text, BIAS_FONT)
    above, below = y - r - 3 - h / 2, y + r + 3 + h / 2
    spots = [(dx, cy) for cy in (above, above - 5, above - 10, below, below + 5)
             for dx in (0.0, r / 3, -r / 3, 2 * r / 3, -2 * r / 3)]  # fmt: skip
    for dx, cy in spots:
        b = Box(x + dx, cy, w, h)
        if not any(overlap(b, other) for other in avoid):
            return b
    return Box(x, above, w, h)


def edge_box(x1: float, y1: float, x2: float, y2: float, width: float = 2.0) -> Box:
    """A line as a thin box, so labels test against it as against each other."""
    return Box((x1 + x2) / 2, (y1 + y2) / 2, math.hypot(x2 - x1, y2 - y1), width,
               math.atan2(y2 - y1, x2 - x1))  # fmt: skip


def node_box(x: float, y: float, r: float) -> Box:
    return Box(x, y, 2 * r, 2 * r)


def prefer(i: int, j: int, n: int, p: int) -> float:
    """Where along edge i→j its label would best go: labels of one source spread along
    their lines by target, so the fan of lines leaving a node carries them apart."""
    if n * p == 1:
        return 0.5
    return 0.2 + 0.6 * (i * p + j) / max(n * p - 1, 1)


class Labels(NamedTuple):
    """Every label's box and text: weights by (layer, input, neuron), biases by (layer,
    neuron), all 0-based with layer from 1."""

    weights: dict[tuple[int, int, int], tuple[Box, str]]
    biases: dict[tuple[int, int], tuple[Box, str]]
    nodes: list[Box]


def plan_labels(
    net: Network, cols: list[Column], g: Geometry, fmt: Callable[[float], str]
) -> Labels:
    """Where each label goes: biases above their nodes, then each small layer's weights
    along their lines, clear of the nodes, the biases and each other."""
    nodes = [node_box(col.x, y, g.radius) for col in cols for i, y in zip(col.ids, col.y,
             strict=True) if i is not None]  # fmt: skip
    edges = [  # edges[k]: layer k's lines, as thin boxes (edges[0] and edges[-1] empty)
        [],
        *(
            [
                edge_box(src.x + g.radius, y1, dst.x - g.radius, y2)
                for i, y1 in zip(src.ids, src.y, strict=True)
                for j, y2 in zip(dst.ids, dst.y, strict=True)
                if i is not None and j is not None
            ]
            for src, dst in itertools.pairwise(cols)
        ),
        [],
    ]
    biases: dict[tuple[int, int], tuple[Box, str]] = {}
    for k, layer in enumerate(net, start=1):
        col = cols[k]
        avoid = [*nodes, *edges[k], *edges[k + 1]]  # the lines in and out of this column
        for j, y in zip(col.ids, col.y, strict=True):
            if j is not None:
                text = f"b{j + 1} = {fmt(float(layer.bias[j]))}"
                biases[k, j] = (bias_box(col.x, y, g.radius, text, avoid), text)
                avoid.append(biases[k, j][0])
    weights: dict[tuple[int, int, int], tuple[Box, str]] = {}
    for k, layer in enumerate(net, start=1):
        if not labelled_layer(layer.n, layer.p):
            continue
        src, dst = cols[k - 1], cols[k]
        taken = [*nodes, *(b for b, _ in biases.values())]
        for i, y1 in zip(src.ids, src.y, strict=True):
            for j, y2 in zip(dst.ids, dst.y, strict=True):
                if i is None or j is None:
                    continue
                text = fmt(float(layer.w[i, j]))
                x1, x2 = src.x + g.radius, dst.x - g.radius
                box = place(x1, y1, x2, y2, text, taken, prefer(i, j, layer.n, layer.p))
                weights[k, i, j] = (box, text)
    return Labels(weights, biases, nodes)
