"""Signals at any moment of a real run (issue 23, item 15): one line and 130/143 or a
clean 0, never a traceback; -o is its old content with 130/143 and the complete new one
with 0, never a half; no temporary file is left."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import ROOT
from tests.test_hostile import env, started

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes]:
    d = tmp_path_factory.mktemp("sig")
    rng = np.random.default_rng(0)
    np.savetxt(d / "x.csv", rng.standard_normal((60_000, 8)), delimiter=",")
    np.savetxt(d / "w.csv", rng.standard_normal((8, 3)), delimiter=",")
    args = ["forward", "x.csv", "-w", "w.csv", "-b", "0,0,0"]
    full = subprocess.run([sys.executable, "-m", "nncalc", *args], cwd=d, env=env(),
                          capture_output=True, check=True).stdout  # fmt: skip
    return d, full


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_at_any_moment(big: tuple[Path, bytes], sig: signal.Signals) -> None:
    d, full = big
    codes = {signal.SIGINT: 130, signal.SIGTERM: 143}
    rnd = random.Random(sig)
    seen = set()
    for _ in range(12):
        out = d / "a.csv"
        out.write_bytes(b"old\n")
        p = subprocess.Popen(
            [sys.executable, "-m", "nncalc", "forward", "x.csv", "-w", "w.csv", "-b", "0,0,0",
             "-o", "a.csv"], cwd=d, env={**env(), "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        started(p)  # the handler is in place: from here on, nncalc answers for it
        time.sleep(rnd.uniform(0, 0.8))
        p.send_signal(sig)
        _, err = p.communicate(timeout=60)
        assert b"Traceback" not in err, err.decode()
        assert p.returncode in (0, codes[sig]), (p.returncode, err)
        body = out.read_bytes()
        assert body in (b"old\n", full), body[:80]
        if p.returncode == 0:
            assert body == full and err == b""
        else:  # interrupted: nothing was put in place (the exit code and -o agree)
            assert body == b"old\n"
            assert err.count(b"\n") == 1 and err.startswith(b"nncalc: error: ")
        assert sorted(f.name for f in d.iterdir()) == ["a.csv", "w.csv", "x.csv"]
        seen.add(p.returncode)
    assert codes[sig] in seen  # the run was interrupted at least once, not always finished
