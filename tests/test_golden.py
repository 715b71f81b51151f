"""Whole-screen golden outputs for the learner-facing tables, at a fixed width, no colour.

A deliberate change of layout: rerun with NNCALC_UPDATE_GOLDEN=1 and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nncalc.cli import app
from tests.conftest import SAMPLES

GOLDEN = Path(__file__).parent / "golden"
OPS = ["-w", "samples/batch/weights.csv", "-b", "samples/batch/biases.csv"]
CASES = {
    "forward_batch_tables": ["forward", "samples/batch/inputs.csv", *OPS, "-f", "table"],
    "forward_layer_tables": [
        "forward",
        "samples/layer/inputs.csv",
        "-w",
        "samples/layer/weights.csv",
        "-b",
        "samples/layer/biases.csv",
        "-f",
        "table",
        "--show",
        "x,z,a",
    ],
    "shapes_batch": ["shapes", "samples/batch/inputs.csv", *OPS, "-f", "table"],
    "shapes_w_transposed": [
        "shapes",
        "samples/batch/inputs.csv",
        "-w",
        "tests/golden/weights_transposed.csv",
        "-b",
        "samples/batch/biases.csv",
        "-f",
        "table",
    ],
    "explain_layer": [
        "explain",
        "samples/layer/inputs.csv",
        "-w",
        "samples/layer/weights.csv",
        "-b",
        "samples/layer/biases.csv",
    ],
    "demo": ["demo"],
}
# the worked examples in the course's own language (tests/test_i18n.py checks the catalog)
CASES |= {
    "zh_demo": ["--lang", "zh", "demo"],
    "zh_shapes_batch": ["--lang", "zh", "shapes", "samples/batch/inputs.csv", *OPS, "-f", "table"],
    "zh_shapes_w_transposed": ["--lang", "zh", "shapes", "samples/batch/inputs.csv", "-w",
                               "tests/golden/weights_transposed.csv", "-b",
                               "samples/batch/biases.csv", "-f", "table"],
    "zh_explain_batch": ["--lang", "zh", "explain", "samples/batch/inputs.csv", *OPS,
                         "--sample", "2"],
    "zh_forward_network_tables": ["--lang", "zh", "forward", "samples/batch/inputs.csv", *OPS,
                                  "-w", "samples/network/w2.csv", "-b", "samples/network/b2.csv",
                                  "--activation", "relu,softmax", "-f", "table"],
}  # fmt: skip


@pytest.mark.parametrize("name", list(CASES))
def test_golden(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(SAMPLES.parent)
    r = CliRunner().invoke(
        app, CASES[name], env={"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    )
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    path = GOLDEN / f"{name}.txt"
    if os.environ.get("NNCALC_UPDATE_GOLDEN"):
        path.write_text(r.stdout)
    assert r.stdout == path.read_text()
