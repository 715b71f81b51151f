"""Start-up as CPU seconds, for a machine too busy for wall time: two checkouts of nncalc
(before and after a change) run interleaved, each as ``python -m nncalc`` with its own
code on PYTHONPATH, against ``python -c 'import numpy'``.

    python benchmarks/startup_cpu.py BEFORE_CHECKOUT AFTER_CHECKOUT [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "samples" / "batch"
FORWARD = ["forward", str(SAMPLES / "inputs.csv"), "-w", str(SAMPLES / "weights.csv"),
           "-b", str(SAMPLES / "biases.csv"), "-f", "csv"]  # fmt: skip


def cpu(cmd: list[str], env: dict[str, str]) -> float:
    """User + system seconds of one run of ``cmd`` (and its threads)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    py = sys.executable
    times: dict[str, list[float]] = {}
    for _ in range(args.runs):
        times.setdefault("import numpy", []).append(cpu([py, "-c", "import numpy"], {**os.environ}))
        for tag, root in (("before", args.before), ("after", args.after)):
            env = {**os.environ, "PYTHONPATH": root, "COLUMNS": "80"}
            times.setdefault(f"forward ({tag})", []).append(
                cpu([py, "-m", "nncalc", *FORWARD], env)
            )
            times.setdefault(f"--help ({tag})", []).append(
                cpu([py, "-m", "nncalc", "forward", "--help"], env)
            )
    base = statistics.median(times["import numpy"])
    print(f"# load average {os.getloadavg()[0]:.1f}; CPU seconds, median of {args.runs}")
    print("| run | CPU seconds | ÷ import numpy |\n|---|---|---|")
    for name, values in times.items():
        m = statistics.median(values)
        print(f"| {name} | {m:.3f} | {m / base:.2f} |")


if __name__ == "__main__":
    main()
