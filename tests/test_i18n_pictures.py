"""Chinese in the pictures, as a browser shows them: with a CJK font installed (Debian's
fonts-noto-cjk, as .ci/run installs it) a Chinese label is drawn in real glyphs.

Two labels made of the same characters in another order are drawn differently only
when each character has a glyph of its own; missing glyphs are the same box for every
character (the control: unassigned code points, permuted, draw the same picture).
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest

from nncalc.core import Layer, Network
from nncalc.diagram import draw
from nncalc.diagram.report import report_html
from tests.test_diagram import BATCH, BATCH_X, screenshot, svg_size

W = np.array([[0.5, -0.5], [0.2, 0.3]])
B = np.array([0.1, -0.1])
CHINESE = ("权重偏置", "偏置权重")  # weights, biases; then biases, weights
UNASSIGNED = ("\u0378\u0379\u0380\u0381", "\u0381\u0380\u0379\u0378")  # no font has these


def pixels(data: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(data)).convert("L"))


def svg_shot(tmp_path: Path, name: str) -> np.ndarray:
    """The picture of a layer named ``name`` (its header: "layer 1 · name")."""
    svg = draw(Network([Layer(W, B, "relu", name)]))
    page = tmp_path / f"{len(list(tmp_path.iterdir()))}.svg"
    page.write_text(svg, encoding="utf-8")
    return pixels(screenshot(page, *svg_size(svg)))


@pytest.mark.slow
def test_a_chinese_label_in_the_svg_is_drawn_in_real_glyphs(tmp_path: Path) -> None:
    first, second = (svg_shot(tmp_path, label) for label in CHINESE)
    assert (first < 200).any()
    assert (first != second).sum() > 100, "the Chinese labels drew as boxes: no CJK font?"
    boxes = [svg_shot(tmp_path, label) for label in UNASSIGNED]
    assert (boxes[0] == boxes[1]).all(), "the control: missing glyphs draw alike"


@pytest.mark.slow
def test_a_chinese_title_in_the_report_is_drawn_in_real_glyphs(tmp_path: Path) -> None:
    shots = []
    for k, title in enumerate(CHINESE):
        page = tmp_path / f"run{k}.html"
        page.write_bytes(report_html(title, BATCH, BATCH_X))
        shots.append(pixels(screenshot(page, 900, 300)))
    assert (shots[0] != shots[1]).sum() > 100, "the Chinese title drew as boxes: no CJK font?"
