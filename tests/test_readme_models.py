"""The README's table of one-line model exports, run as written: each line is parsed out
of README.md, run on a small model, and ``nncalc forward --model`` (a real process) must
print what the framework itself computes for the same rows.

torch and onnxscript are installed by .ci/run (not by the test extra: the right torch
wheel is a CPU build that pip on an ordinary machine would not pick); like the other
oracles, a missing one is an ImportError, a failure, never a skip.
"""

from __future__ import annotations

import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nncalc.formats import read_matrix
from tests.conftest import ROOT, run_nncalc

ROW = re.compile(r"^\| `(?P<ext>\.\w+)` \| (?P<by>[^|]+?) \| `(?P<code>[^`]+)`(?P<note>[^|]*)\|$")
# the one line no test here can run: TensorFlow is not installed
UNTESTED = {(".onnx", "Keras")}


def table() -> dict[tuple[str, str], str]:
    """(extension, written by) → the line, from README.md's "one line that saves" table."""
    text = (ROOT / "README.md").read_text()
    start = text.index("| format | written by | one line that saves a model nncalc reads |")
    rows = {}
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        m = ROW.match(line)
        assert m, f"README table row not in the form this test reads: {line}"
        rows[(m["ext"], m["by"])] = m["code"]
        if (m["ext"], m["by"]) in UNTESTED:
            assert "untested" in m["note"], "the README must say which line is not run"
    return rows


LINES = table()


def line(ext: str, by: str) -> str:
    return LINES[(ext, by)]


def test_every_row_is_run_here_or_marked_untested() -> None:
    run = {(".safetensors", "PyTorch, Hugging Face"), (".onnx", "PyTorch"),
           (".npz", "numpy, scikit-learn"), (".json", "nncalc, by hand")}  # fmt: skip
    assert set(LINES) == run | UNTESTED


def nncalc_forward(x: np.ndarray, model: Path, *extra: str) -> np.ndarray:
    xs = model.parent / "x.csv"
    np.savetxt(xs, x, delimiter=",", fmt="%.17g")
    proc = run_nncalc("forward", str(xs), "--model", str(model), *extra, cwd=model.parent)
    assert proc.returncode == 0, proc.stderr.decode()
    return read_matrix(io.BytesIO(proc.stdout), "out").values


def torch_mlp() -> Any:
    import torch

    torch.manual_seed(0)
    nn = torch.nn
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 3),
                         nn.Softmax(dim=-1))  # fmt: skip


def rows() -> np.ndarray:
    return np.random.default_rng(24).standard_normal((5, 4)).astype(np.float32)


@pytest.mark.slow
def test_pytorch_safetensors_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import safetensors.torch
    import torch

    model = torch_mlp()
    monkeypatch.chdir(tmp_path)
    saving = line(".safetensors", "PyTorch, Hugging Face")
    exec(saving, {"safetensors": safetensors, "model": model})
    x = rows()
    with torch.no_grad():
        want = model.eval()(torch.from_numpy(x)).numpy()
    got = nncalc_forward(x, tmp_path / "mlp.safetensors")
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


@pytest.mark.slow
# torch's own exporter trips over its own deprecation inside copyreg (torch 2.13)
@pytest.mark.filterwarnings("ignore:.*LeafSpec.*:FutureWarning")
def test_pytorch_onnx_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run with warnings as errors: the line must not draw torch's warnings about training
    mode or the deprecated ``dynamic_axes``; a model left in training mode would keep its
    Dropout, which nncalc refuses."""
    import onnxscript  # noqa: F401  (the exporter needs it: its absence is the failure)
    import torch

    model = torch_mlp().train()
    monkeypatch.chdir(tmp_path)
    exec(line(".onnx", "PyTorch"), {"torch": torch, "model": model})
    x = rows()
    with torch.no_grad():
        want = model(torch.from_numpy(x)).numpy()  # the line left it in eval mode
    got = nncalc_forward(x, tmp_path / "mlp.onnx")
    assert got.shape == (5, 3)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)


def test_scikit_learn_npz_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    rng = np.random.default_rng(5)
    x = rng.standard_normal((90, 4))
    y = (x[:, 0] > 0).astype(int) + (x[:, 1] > 0.5)
    clf = MLPClassifier(hidden_layer_sizes=(6,), max_iter=50, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    monkeypatch.chdir(tmp_path)
    exec(line(".npz", "numpy, scikit-learn"), {"np": np, "clf": clf})
    got = nncalc_forward(x[:7], tmp_path / "mlp.npz", "--activation", "relu,softmax")
    np.testing.assert_allclose(got, clf.predict_proba(x[:7]), rtol=1e-13, atol=1e-16)


def test_json_line(tmp_path: Path) -> None:
    """The by-hand line with its "…" dropped: one layer, W and b in CSV files beside it."""
    text = line(".json", "nncalc, by hand").replace(", …", "")
    (tmp_path / "net.json").write_text(text)
    rng = np.random.default_rng(6)
    w, b, x = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal((5, 4))
    spec = json.loads(text)["layers"][0]
    np.savetxt(tmp_path / spec["weights"], w, delimiter=",", fmt="%.17g")
    np.savetxt(tmp_path / spec["biases"], b[None], delimiter=",", fmt="%.17g")
    got = nncalc_forward(x, tmp_path / "net.json")
    np.testing.assert_allclose(got, np.maximum(x @ w + b, 0), rtol=1e-14, atol=1e-15)
