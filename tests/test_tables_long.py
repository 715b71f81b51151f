"""Table mode on a long X reads only the rows it shows (and a count), and shows the very
numbers a stream writes for them."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nncalc.cli import app
from tests.conftest import run_nncalc

M = 30_000  # more than three row groups of 4096


def _rows(text: str, title: str) -> dict[str, list[float]]:
    """The rows of the table under ``title``: label → values."""
    block = text[text.index(title) :]
    out: dict[str, list[float]] = {}
    for line in block.splitlines()[4:]:
        if line.startswith("└"):
            break
        cells = [c.strip() for c in line.strip("│").split("│")]
        if cells[0] != "…":
            out[cells[0]] = [float(c) for c in cells[1:]]
    return out


@pytest.mark.slow
def test_long_input_shows_first_and_last_rows_as_streamed(tmp_path: Path) -> None:
    x = np.random.default_rng(7).standard_normal((M, 3))
    src = tmp_path / "x.csv"
    np.savetxt(src, x, delimiter=",")
    args = ["forward", str(src), "--neurons", "5,2", "--seed", "3", "--activation", "tanh,linear"]
    streamed = np.loadtxt(run_nncalc(*args).stdout.decode().splitlines(), delimiter=",")
    r = CliRunner().invoke(app, [*args, "-f", "table", "--precision", "17"], env={"COLUMNS": "250"})
    assert r.exit_code == 0, r.stderr
    assert f"X  inputs ({M}×3)" in r.stdout and f"A2 = linear(Z2) ({M}×2)" in r.stdout
    shown = _rows(r.stdout, "A2 = linear(Z2)")
    want = [*range(6), *range(M - 6, M)]
    assert list(shown) == [f"s{i}" for i in want]
    for i in want:
        assert shown[f"s{i}"] == streamed[i].tolist(), i  # to the last bit
    assert re.search(r"│\s+…\s+│", r.stdout)


@pytest.mark.slow
def test_long_input_fits_a_budget_that_whole_x_would_not(tmp_path: Path) -> None:
    src = tmp_path / "x.csv"
    np.savetxt(src, np.ones((200_000, 4)), delimiter=",", fmt="%.1f")  # 6.4 MB as floats
    np.savetxt(tmp_path / "w.csv", np.ones((4, 2)), delimiter=",")
    proc = run_nncalc("forward", str(src), "-w", str(tmp_path / "w.csv"), "-b", "0.5",
                      "-f", "table", "--show", "a", "--max-memory", "8M")  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    assert "(200000×2)" in proc.stdout.decode()
    whole = run_nncalc("--max-memory", "8M", "explain", str(src), "-w", str(tmp_path / "w.csv"),
                       "-b", "0.5")  # explain still reads X whole: refused  # fmt: skip
    assert whole.returncode == 1 and b"does not fit the memory budget" in whole.stderr
