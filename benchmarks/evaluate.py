"""``nncalc evaluate`` against ``nncalc forward`` on the same rows, in one run, as a ratio.

    python benchmarks/evaluate.py                 # 1M rows × 4 features, median of 3
    python benchmarks/evaluate.py --rows 200000 --repeat 5
    python benchmarks/evaluate.py --dask 2        # and on a local cluster of 2 workers

A 4→16→3 softmax network (npz) scores X (CSV, piped in) against labels given three ways:
a file of class indices, a file of class names, and a label column in X. ``forward``
writes A as CSV to /dev/null; ``evaluate`` writes its one JSON object. Runs alternate, so
both see the same load. Target (issue 20): evaluate ≤ 1.1× forward, peak RSS ≤ 300 MB.
With ``--dask N``, evaluate --engine dask reads the same files (not stdin) on a local
cluster of N workers started for each run (its start-up included); CPU and RSS are then
the client's alone: the workers are not its children."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import DATA, LAST_CPU, NNCALC, run  # noqa: E402

NAMES = ["setosa", "versicolor", "virginica"]


def inputs(rows: int) -> dict[str, Path]:
    DATA.mkdir(exist_ok=True)
    kinds = (("x", "csv"), ("xy", "csv"), ("idx", "txt"), ("names", "txt"), ("net", "npz"))
    paths = {k: DATA / f"eval_{k}_{rows}.{ext}" for k, ext in kinds}
    if all(p.exists() for p in paths.values()):
        return paths
    rs = np.random.RandomState(0)
    x = np.round(rs.uniform(0, 8, (rows, 4)), 2)
    y = rs.randint(0, 3, rows)
    text = [",".join(f"{v:g}" for v in row) for row in x.tolist()]
    paths["x"].write_text("a,b,c,d\n" + "".join(f"{t}\n" for t in text))
    paths["xy"].write_text("a,b,c,d,species\n" + "".join(
        f"{t},{NAMES[i]}\n" for t, i in zip(text, y.tolist(), strict=True)))  # fmt: skip
    paths["idx"].write_text("".join(f"{i}\n" for i in y.tolist()))
    paths["names"].write_text("".join(f"{NAMES[i]}\n" for i in y.tolist()))
    np.savez(paths["net"], W1=rs.randn(4, 16), b1=rs.randn(16), W2=rs.randn(16, 3),
             b2=rs.randn(3), activations=np.array(["relu", "softmax"]))  # fmt: skip
    return paths


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--dask", type=int, default=0, metavar="N", help="add dask rows, N workers")
    ap.add_argument("--make-data", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.make_data:
        inputs(args.rows)
        return
    # made in a child: Linux counts a parent's peak RSS in every child it forks, so a
    # benchmark holding the data it wrote would report that peak for every run
    subprocess.run([sys.executable, __file__, "--rows", str(args.rows), "--make-data"],
                   check=True)  # fmt: skip
    p = inputs(args.rows)
    net = ["--model", str(p["net"])]
    names = ["--classes", ",".join(NAMES)]
    cases = {
        "forward (CSV out)": ([*NNCALC, "forward", "-", *net, "-f", "csv"], p["x"]),
        "evaluate --labels indices": (
            [*NNCALC, "evaluate", "-", *net, "--labels", str(p["idx"])],
            p["x"],
        ),  # fmt: skip
        "evaluate --labels names": (
            [*NNCALC, "evaluate", "-", *net, "--labels", str(p["names"]), *names],
            p["x"],
        ),  # fmt: skip
        "forward --id-column (CSV out)": (
            [*NNCALC, "forward", "-", *net, "--id-column", "species", "-f", "csv"],
            p["xy"],
        ),  # fmt: skip
        "evaluate --label-column": (
            [*NNCALC, "evaluate", "-", *net, "--label-column", "species", *names],
            p["xy"],
        ),  # fmt: skip
    }
    if args.dask:
        cluster = ["--engine", "dask", "--workers", str(args.dask)]
        cases["evaluate --engine dask --labels indices"] = (
            [*NNCALC, "evaluate", str(p["x"]), *net, "--labels", str(p["idx"]), *cluster],
            p["x"],
        )  # fmt: skip
        cases["evaluate --engine dask --label-column"] = (
            [*NNCALC, "evaluate", str(p["xy"]), *net, "--label-column", "species", *names,
             *cluster],
            p["xy"],
        )  # fmt: skip
    times: dict[str, list[float]] = {k: [] for k in cases}
    cpu: dict[str, list[float]] = {k: [] for k in cases}
    rss: dict[str, int] = dict.fromkeys(cases, 0)
    for _ in range(args.repeat):
        for name, (cmd, stdin) in cases.items():
            seconds, mib = run(cmd, stdin=stdin)
            times[name].append(seconds)
            cpu[name].append(LAST_CPU[0])
            rss[name] = max(rss[name], mib)
    load = os.getloadavg()
    print(f"{args.rows:,} rows × 4 features, 4→16→3 softmax, median of {args.repeat}, "
          f"load {load[0]:.1f} / {load[1]:.1f}")  # fmt: skip
    print("| run | wall s | × forward | CPU s | × forward | peak RSS (MiB) |")
    print("|---|---|---|---|---|---|")
    ref = {"x": "forward (CSV out)", "xy": "forward --id-column (CSV out)"}
    for name, (_, stdin) in cases.items():
        base = ref["xy"] if stdin == p["xy"] else ref["x"]
        t, c = statistics.median(times[name]), statistics.median(cpu[name])
        tb, cb = statistics.median(times[base]), statistics.median(cpu[base])
        print(f"| {name} | {t:.2f} | {t / tb:.2f} | {c:.2f} | {c / cb:.2f} | {rss[name]} |")


if __name__ == "__main__":
    main()
