"""The worked examples in samples/ are golden pairs, and the package's copy agrees."""

from __future__ import annotations

import io
import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from nncalc.examples import ALL
from nncalc.formats import read_matrix
from tests.conftest import ROOT, SAMPLES, run_nncalc


def read(path: Path) -> np.ndarray:
    with path.open("rb") as f:
        return read_matrix(f, str(path)).values


@pytest.mark.parametrize("name", list(ALL))
def test_sample_files_hold_the_examples(name: str) -> None:
    ex = ALL[name]
    d = SAMPLES / name
    assert read(d / "inputs.csv").ravel().tolist() == np.ravel(ex["x"]).tolist()
    assert read(d / "weights.csv").ravel().tolist() == np.ravel(ex["w"]).tolist()
    assert read(d / "biases.csv").ravel().tolist() == np.ravel(ex["b"]).tolist()


@pytest.mark.parametrize("name", list(ALL))
def test_golden_pairs(name: str) -> None:
    d = SAMPLES / name
    proc = run_nncalc(
        "forward", str(d / "inputs.csv"), "-w", str(d / "weights.csv"), "-b", str(d / "biases.csv")
    )
    got = read_matrix(io.BytesIO(proc.stdout), "out").values
    np.testing.assert_allclose(got, read(d / "expected.csv"), atol=1e-12)


def test_json_samples_agree_with_csv() -> None:
    net = json.loads((SAMPLES / "batch/network.json").read_text())
    assert net["inputs"] == json.loads((SAMPLES / "batch/inputs.json").read_text())
    assert net["inputs"] == ALL["batch"]["x"]


def _readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", text, re.S)
    cmds = [
        line for b in blocks for line in b.splitlines() if line.strip() and not line.startswith("#")
    ]
    # pybabel's (README, Translations) run in tests/test_i18n.py, on a copy of the catalog
    return [c for c in cmds if "nncalc" in c and "pip install" not in c and "pybabel" not in c]


@pytest.mark.slow
@pytest.mark.parametrize("cmd", _readme_commands())
def test_readme_examples_run(cmd: str, tmp_path: Path) -> None:
    import shutil
    import sys

    shutil.copytree(SAMPLES, tmp_path / "samples")
    bindir = tmp_path / "bin"
    bindir.mkdir()
    shim = bindir / "nncalc"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m nncalc "$@"\n')
    shim.chmod(0o755)
    env = {"PATH": f"{bindir}:/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, (cmd, proc.stderr.decode())
    assert b"Traceback" not in proc.stderr
