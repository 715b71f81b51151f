"""Pictures that read (issue 21): the label boxes of every layer up to 6×6 meet nowhere,
each weight's label lies on its own line, bias labels stay clear of edges, nodes are round
with their values inside, headers say "layer 1", and PNG needs no system library."""

from __future__ import annotations

import itertools
import math
import re
import struct
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from nncalc.core import Layer, Network
from nncalc.diagram import draw, picture, sample_of
from nncalc.diagram.layout import BIAS_FONT, WEIGHT_FONT, text_width
from tests.conftest import SAMPLES, assert_one_error_line, run_nncalc

SVG = "{http://www.w3.org/2000/svg}"
Point = tuple[float, float]


def rect_corners(e: ET.Element) -> list[Point]:
    """A <rect>'s corners after its ``rotate(deg cx cy)`` transform."""
    x, y = float(e.get("x", 0)), float(e.get("y", 0))
    w, h = float(e.get("width", 0)), float(e.get("height", 0))
    m = re.fullmatch(r"rotate\(([-0-9.]+) ([-0-9.]+) ([-0-9.]+)\)", e.get("transform", ""))
    assert m, e.get("transform")
    deg, cx, cy = (float(v) for v in m.groups())
    c, s = math.cos(math.radians(deg)), math.sin(math.radians(deg))
    return [
        (cx + (px - cx) * c - (py - cy) * s, cy + (px - cx) * s + (py - cy) * c)
        for px, py in ((x, y), (x + w, y), (x + w, y + h), (x, y + h))
    ]


def box(cx: float, cy: float, w: float, h: float) -> list[Point]:
    return [(cx - w / 2, cy - h / 2), (cx + w / 2, cy - h / 2), (cx + w / 2, cy + h / 2),
            (cx - w / 2, cy + h / 2)]  # fmt: skip


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def segments_cross(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    return d1 * d2 < 0 and d3 * d4 < 0


def inside(pt: Point, poly: list[Point]) -> bool:
    """Strictly inside a convex polygon (either winding)."""
    signs = [_cross(poly[k], poly[(k + 1) % len(poly)], pt) for k in range(len(poly))]
    return all(v > 1e-9 for v in signs) or all(v < -1e-9 for v in signs)


def meet(a: list[Point], b: list[Point]) -> bool:
    """Two convex polygons meet: an edge of one crosses an edge of the other, or one holds
    a corner (or the centre) of the other."""
    edges = lambda p: [(p[k], p[(k + 1) % len(p)]) for k in range(len(p))]  # noqa: E731
    if any(segments_cross(*e, *f) for e in edges(a) for f in edges(b)):
        return True
    centre = lambda p: (sum(x for x, _ in p) / len(p), sum(y for _, y in p) / len(p))  # noqa: E731
    return any(inside(v, b) for v in [*a, centre(a)]) or any(inside(v, a) for v in [*b, centre(b)])


def segment_meets(p1: Point, p2: Point, poly: list[Point]) -> bool:
    edges = [(poly[k], poly[(k + 1) % len(poly)]) for k in range(len(poly))]
    return inside(p1, poly) or inside(p2, poly) or any(segments_cross(p1, p2, *e) for e in edges)


class Picture:
    """What an SVG draws: weight label plates, bias label boxes, node circles, edges."""

    def __init__(self, svg: str) -> None:
        root = ET.fromstring(svg)
        self.plates: list[list[Point]] = []
        self.edges: list[tuple[Point, Point]] = []
        self.lines_of_plates: list[tuple[Point, Point]] = []
        for group in root.iter(f"{SVG}g"):
            if group.get("class") != "edges":
                continue
            kids = list(group)
            for k, e in enumerate(kids):
                if e.tag == f"{SVG}line":
                    self.edges.append(((float(e.get("x1", 0)), float(e.get("y1", 0))),
                                       (float(e.get("x2", 0)), float(e.get("y2", 0)))))  # fmt: skip
                elif e.tag == f"{SVG}rect":
                    self.plates.append(rect_corners(e))
                    assert kids[k + 1].get("class") == "weight"
        self.circles = [
            (float(e.get("cx", 0)), float(e.get("cy", 0)), float(e.get("r", 0)))
            for e in root.iter(f"{SVG}circle")
            if "node" in e.get("class", "")
        ]
        self.biases = [
            box(float(e.get("x", 0)), float(e.get("y", 0)) - 4,
                text_width(e.text or "", BIAS_FONT), BIAS_FONT + 3)
            for e in root.iter(f"{SVG}text") if e.get("class") == "bias"
        ]  # fmt: skip
        self.weights = [e for e in root.iter(f"{SVG}text") if e.get("class") == "weight"]


def layer(n: int, p: int, worst: bool) -> Network:
    rng = np.random.default_rng(10 * n + p)
    w = np.full((n, p), -0.00123) if worst else rng.standard_normal((n, p))
    return Network([Layer(w, np.full(p, -0.00123) if worst else rng.standard_normal(p))])


@pytest.mark.slow
@pytest.mark.parametrize("with_sample", [False, True])
def test_no_two_labels_meet_in_any_layer_up_to_6x6(with_sample: bool) -> None:
    for n, p, worst in itertools.product(range(1, 7), range(1, 7), (True, False)):
        net = layer(n, p, worst)
        x = np.linspace(-1, 1, n).reshape(1, n)
        pic = Picture(draw(net, sample_of(net, x, 0) if with_sample else None))
        where = f"{n}×{p}, worst={worst}, sample={with_sample}"
        assert len(pic.plates) == n * p and len(pic.biases) == p, where
        nodes = [box(cx, cy, 2 * r, 2 * r) for cx, cy, r in pic.circles]
        for a, b in itertools.combinations(pic.plates + pic.biases, 2):
            assert not meet(a, b), where
        for plate, node in itertools.product(pic.plates + pic.biases, nodes):
            assert not meet(plate, node), where
        for bias, (p1, p2) in itertools.product(pic.biases, pic.edges):
            assert not segment_meets(p1, p2, bias), f"a bias label on an edge: {where}"


def test_each_weight_label_lies_along_its_own_line() -> None:
    net = layer(4, 3, worst=False)
    svg = draw(net)
    pic = Picture(svg)
    assert len(pic.edges) == len(pic.plates) == 12
    for (p1, p2), plate, text in zip(pic.edges, pic.plates, pic.weights, strict=True):
        cx = sum(x for x, _ in plate) / 4
        cy = sum(y for _, y in plate) / 4
        dx, dy = p2[0] - p1[0], p2[1] - p1[1]
        off = abs(dx * (cy - p1[1]) - dy * (cx - p1[0])) / math.hypot(dx, dy)
        assert off < 0.05  # the centre is on the line
        m = re.match(r"rotate\(([-0-9.]+) ", text.get("transform", ""))
        assert m and abs(float(m.group(1)) - math.degrees(math.atan2(dy, dx))) < 0.01
        t = (cx - p1[0]) / dx
        assert 0.1 <= t <= 0.9  # between the nodes, not on them


def test_label_widths_are_generous_for_the_font_drawn() -> None:
    from PIL import ImageFont

    bold = ImageFont.truetype("DejaVuSans-Bold.ttf", int(WEIGHT_FONT))
    mono = ImageFont.truetype("DejaVuSansMono.ttf", int(BIAS_FONT))
    for text in ("-0.00123", "0.87", "-1.23e+05", "888", "-0.91"):
        assert text_width(text, WEIGHT_FONT) >= bold.getlength(text) + 2, text
        assert text_width(f"b3 = {text}", BIAS_FONT) >= mono.getlength(f"b3 = {text}") + 2


def test_round_nodes_headers_and_values_inside() -> None:
    net = Network([Layer(np.ones((4, 3)), np.zeros(3), name="0")])  # Sequential's "0"
    x = np.array([[1.0, 2.0, 3.0, 2.5]])
    svg = draw(net, sample_of(net, x, 0))
    root = ET.fromstring(svg)
    assert not list(root.iter(f"{SVG}ellipse"))
    assert ">layer 1<" in svg and "layer 1 ·" not in svg
    for g in root.iter(f"{SVG}g"):
        if g.get("data-index") is None:
            continue
        circle = g.find(f"{SVG}circle")
        assert circle is not None
        cx, cy, r = (float(circle.get(k, 0)) for k in ("cx", "cy", "r"))
        for t in g.iter(f"{SVG}text"):
            if t.get("class") == "bias" or t.get("aria-hidden") or t.get("text-anchor") != "middle":
                continue
            size = float(t.get("font-size", 13))
            half = 0.62 * size * len(t.text or "") / 2
            y = float(t.get("y", 0))
            # the text's box (baseline - 0.8 em to baseline + 0.2 em) within the circle
            for px, py in ((cx - half, y - 0.8 * size), (cx + half, y + 0.2 * size)):
                assert math.hypot(px - cx, py - cy) <= r, (t.text, r)
    assert "z 8.5" in svg and "b1 = 0" in svg and ">a1<" in svg


def test_png_from_a_plain_install_and_one_line_for_a_huge_picture() -> None:
    net = layer(4, 3, worst=False)
    data = picture(net, "png")
    w, h = struct.unpack(">II", data[16:24])
    root = ET.fromstring(draw(net))
    assert (w, h) == (
        2 * round(float(root.get("width", 0))),
        2 * round(float(root.get("height", 0))),
    )
    import nncalc.diagram.png as png

    assert "resvg_py" in png.svg_to_png.__code__.co_names  # not CairoSVG


@pytest.mark.slow
def test_draw_of_300_layers_to_png_is_one_error_line(tmp_path: __import__("pathlib").Path) -> None:
    sizes = ",".join(["3"] * 300)
    out = tmp_path / "net.png"
    r = run_nncalc("draw", str(SAMPLES / "batch/inputs.csv"), "--neurons", sizes, "--seed", "0",
                   "-o", str(out), timeout=300)  # fmt: skip
    assert_one_error_line(r, 2, "too large for a readable PNG")
    assert not out.exists()
