"""Jupyter: the sample notebook runs in a real kernel and shows the course's numbers as
tables, the network as a picture and the arithmetic as the course writes it; the HTML
behind those displays is built without Rich."""

from __future__ import annotations

import re
import subprocess
import sys
from html import unescape
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nncalc import Layer, Network, explanation, forward
from tests.conftest import ROOT, SAMPLES

NOTEBOOK = SAMPLES / "notebook" / "course.ipynb"
W = [[0.2, 0.8, -0.5, 1.0], [0.5, -0.91, 0.26, -0.5], [-0.26, -0.27, 0.17, 0.87]]
X = [[1, 2, 3, 2.5], [2, 5, -1, 2], [-1.5, 2.7, 3.3, -0.8]]


def cells(html: str) -> list[str]:
    return re.findall(r"<td[^>]*>([^<]*)</td>", html)


def test_a_forward_result_shows_z_and_a_with_relu_clipping_counted() -> None:
    html = forward(X, W, [2, 3, 0.5], layout="out-in")._repr_html_()
    assert "Z = X·W + b" in html and "A = activation(Z)" in html and "(3×3)" in html
    values = cells(html)
    assert values[:9] == ["4.8", "1.21", "2.385", "8.9", "-1.81", "0.2", "1.41", "1.051", "0.026"]
    assert values[9:18] == ["4.8", "1.21", "2.385", "8.9", "0", "0.2", "1.41", "1.051", "0.026"]
    assert "ReLU clipped 1 of 9 values to 0" in html and 'activation="linear"' in unescape(html)
    assert "clipped" not in forward(X, W, [2, 3, 0.5], "linear", layout="out-in")._repr_html_()


def test_big_results_are_elided() -> None:
    html = forward(np.ones((100, 30)), np.ones((30, 20)))._repr_html_()
    assert "(100×20)" in html and "…" in html and len(cells(html)) == 2 * 13 * 13


def test_a_network_shows_its_layers_and_picture() -> None:
    net = Network([Layer(np.array(W).T, [2, 3, 0.5]), Layer(np.ones((3, 2)), None, "softmax")])
    html = net._repr_html_()
    assert "Network 4→3→2" in html and "<svg" in html and "softmax" in html
    assert cells(html)[-1] == str(4 * 3 + 3 + 3 * 2 + 2)  # total parameters
    pic = net.draw(X, sample=1)
    assert pic._repr_svg_().startswith("<svg") and "z 8.9" in pic.svg


def test_an_explanation_shows_the_course_notation() -> None:
    ex = explanation(X, W, [2, 3, 0.5], layout="out-in", sample=1, neuron=1)
    text = str(ex)
    assert text.splitlines()[1:] == [
        "z2 = a1·w12 + a2·w22 + a3·w32 + a4·w42 + b2",
        "   = (2)(0.5) + (5)(-0.91) + (-1)(0.26) + (2)(-0.5) + 3 = -1.81 → ReLU → 0",
    ]
    html = ex._repr_html_()
    assert "z2 = a1·w12" in html and "= -1.81 → ReLU → 0" in html and "pick one" not in html
    assert "… 1 more" in explanation(np.ones((1, 2)), np.ones((2, 9)))._repr_html_()


def test_the_notebook_api_never_imports_rich() -> None:
    code = (
        "import sys\n"
        "from nncalc import forward, explanation, Layer, Network\n"
        "r = forward([1, 2], [[1, 2], [3, 4]], [0, 1]); r._repr_html_()\n"
        "explanation([1, 2], [[1, 2], [3, 4]])._repr_html_()\n"
        "n = Network([Layer([[1, 2], [3, 4]])]); n._repr_html_(); n.draw([1, 2])._repr_svg_()\n"
        "assert 'rich' not in sys.modules, 'rich imported'\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          env={"PYTHONPATH": str(ROOT)}, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()


def outputs_of(nb: Any) -> list[dict[str, str]]:
    """Each code cell's richest display: {mime type: text}."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        shown: dict[str, str] = {}
        for out in cell.outputs:
            assert out.output_type != "error", out
            for mime, text in out.get("data", {}).items():
                shown[mime] = "".join(text) if isinstance(text, list) else text
        found.append(shown)
    return found


@pytest.mark.slow
def test_the_sample_notebook_runs_in_a_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat  # nbclient, nbformat and ipykernel: the test extra
    from nbclient import NotebookClient

    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the kernel imports this checkout
    nb = nbformat.read(NOTEBOOK, as_version=4)
    where = {"metadata": {"path": str(Path(NOTEBOOK).parent)}}
    NotebookClient(nb, timeout=120, kernel_name="python3", resources=where).execute()
    neuron, layer, batch, rand, relu, explained, net, picture, last = outputs_of(nb)
    assert cells(neuron["text/html"]) == ["4.8", "4.8"]  # Z and A
    assert cells(layer["text/html"])[:3] == ["4.8", "1.21", "2.385"]
    assert cells(batch["text/html"])[:9] == [
        "4.8", "1.21", "2.385", "8.9", "-1.81", "0.2", "1.41", "1.051", "0.026"
    ]  # fmt: skip
    np.random.seed(0)
    want = np.asarray(X) @ (0.10 * np.random.randn(4, 3))
    assert cells(rand["text/html"])[:9] == [f"{v:.4g}" for v in want.ravel()]
    assert "ReLU clipped 1 of 9 values to 0" in relu["text/html"]
    assert "z2 = a1·w12 + a2·w22 + a3·w32 + a4·w42 + b2" in explained["text/html"]
    assert "-1.81 → ReLU → 0" in explained["text/html"]
    assert "Network 4→3→3" in net["text/html"] and "<svg" in net["text/html"]
    assert picture["image/svg+xml"].startswith("<svg") and "z 8.9" in picture["image/svg+xml"]
    a = np.array(cells(last["text/html"])[9:18], dtype=float).reshape(3, 3)  # after Z
    np.testing.assert_allclose(a.sum(axis=1), 1, atol=2e-3)  # softmax, 4 digits shown
