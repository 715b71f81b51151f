"""Where everything goes: which nodes a column shows, node and column spacing, and
where each weight's label sits so that labels do not cover one another.

Pure arithmetic on the network's sizes, kept apart from the SVG strings it feeds.
"""

from __future__ import annotations

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
    radius: float  # half the node's width (circles, or ellipses holding a sample's numbers)
    ry: float  # half its height
    gap: float  # vertical distance between node centres
    step: float  # horizontal distance between columns
    top: float
    left: float


def geometry(net: Network, sample: Sample | None) -> Geometry:
    labelled = any(layer.n <= LABEL_LIMIT and layer.p <= LABEL_LIMIT for layer in net)
    rx, ry = (46.0, 27.0) if sample is not None else (21.0, 21.0)
    gap = 2 * ry + 36.0
    step = (270.0 if labelled else 210.0) + (2 * rx - 42)
    return Geometry(rx, ry, gap, step, 96.0, 110.0)


def columns(net: Network, g: Geometry) -> list[Column]:
    sizes = [net.n, *(layer.p for layer in net)]
    rows = [len(shown(k)) for k in sizes]
    tallest = max(rows)
    cols = []
    for c, k in enumerate(sizes):
        index = shown(k)
        offset = (tallest - len(index)) * g.gap / 2
        ys = [g.top + g.ry + offset + i * g.gap for i in range(len(index))]
        cols.append(Column(g.left + c * g.step, index, ys, k))
    return cols


CANDIDATES = (0.28, 0.72, 0.5, 0.4, 0.62, 0.18, 0.84)


def place(
    x1: float, y1: float, x2: float, y2: float, text: str, taken: list[tuple[float, ...]]
) -> tuple[float, float]:
    """Where on the edge its weight label goes: the first of a few fixed points along it
    whose box is clear of the labels already placed (the nearest to clear otherwise)."""
    w, h = 6.8 * len(text) + 4, 14.0
    best: tuple[float, float, float] | None = None
    for t in CANDIDATES:
        cx, cy = x1 + t * (x2 - x1), y1 + t * (y2 - y1)
        overlap = sum(
            max(0.0, min(cx + w / 2, bx + bw / 2) - max(cx - w / 2, bx - bw / 2))
            * max(0.0, min(cy + h / 2, by + bh / 2) - max(cy - h / 2, by - bh / 2))
            for bx, by, bw, bh in taken
        )
        if best is None or overlap < best[0]:
            best = (overlap, cx, cy)
        if overlap == 0:
            break
    assert best is not None
    taken.append((best[1], best[2], w, h))
    return best[1], best[2]
