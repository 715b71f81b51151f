"""--engine dask against the local batch mode: 8 inputs × 200,000 rows, one network.

    python benchmarks/dask_batch.py                 # median of 3 rounds
    python benchmarks/dask_batch.py --repeat 1 --rows 50000

Needs the dask extra (pip install '.[dask]').  Inputs are generated with a fixed seed
into benchmarks/data/dask/ (git-ignored).  Every run's parts are checked against the
local outputs (byte for byte) before a figure is reported.  Also measured: a LocalCluster
run on a one-row input (the fixed cost: cluster start, two task rounds) and the time per
block with a small --blocksize (the cost that scales), from which RESULTS.md
extrapolates to N machines.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = HERE / "data" / "dask"
NNCALC = [sys.executable, "-m", "nncalc"]
NET = ["--neurons", "16,4", "--seed", "0", "--activation", "relu,softmax"]


def make_inputs(k: int, rows: int, n: int) -> list[Path]:
    DATA.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(k):
        path = DATA / f"in{i}.csv"
        if not path.exists() or path.stat().st_size == 0 or rows != _rows(path):
            x = np.random.default_rng(i).standard_normal((rows, n))
            header = ",".join(f"f{j}" for j in range(n))
            np.savetxt(path, x, delimiter=",", header=header, comments="", fmt="%.17g")
        paths.append(path)
    return paths


def _rows(path: Path) -> int:
    with path.open("rb") as f:
        return sum(1 for _ in f) - 1


def cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


LAST_CPU = [0.0]  # the last timed command's own CPU seconds (its whole process tree)


def timed(cmd: list[str]) -> float:
    start = time.perf_counter()
    cpu = children_cpu()
    proc = subprocess.run(cmd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    LAST_CPU[0] = children_cpu() - cpu
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: {proc.stderr.decode()[-800:]}")
    return elapsed


def same_bytes(local: Path, parts: Path, stems: list[str]) -> None:
    for stem in stems:
        joined = b"".join(p.read_bytes() for p in sorted((parts / stem).glob("part-*")))
        if joined != (local / f"{stem}.csv").read_bytes():
            raise AssertionError(f"{stem}: dask parts differ from the local output")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inputs", type=int, default=8)
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--features", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    paths = make_inputs(args.inputs, args.rows, args.features)
    names = [str(p) for p in paths]
    stems = [p.stem for p in paths]
    size = sum(p.stat().st_size for p in paths) / 2**20
    print(f"{args.inputs} inputs × {args.rows} rows × {args.features} features, {size:.0f} MiB; "
          f"network {args.features}→16→4 (relu, softmax)")  # fmt: skip
    out = DATA / "out"

    def local() -> float:
        shutil.rmtree(out / "local", ignore_errors=True)
        return timed([*NNCALC, "forward", *names, *NET, "--out-dir", str(out / "local")])

    def dask(workers: int, blocksize: str = "64MiB", inputs: list[str] = names) -> float:
        target = out / f"dask{workers}"
        shutil.rmtree(target, ignore_errors=True)
        engine = ["--engine", "dask", "--workers", str(workers), "--blocksize", blocksize]
        return timed([*NNCALC, "forward", *inputs, *NET, *engine, "--out-dir", str(target)])

    # interleaved rounds (local, 1 worker, 2 workers): on a machine shared with other
    # jobs the load drifts, and a ratio within one round is fairer than one of medians
    # taken minutes apart
    runs: dict[str, list[float]] = {"local batch": [], "dask, 1 worker": [], "dask, 2 workers": []}
    for _ in range(args.repeat):
        runs["local batch"].append(local())
        for workers in (1, 2):
            runs[f"dask, {workers} worker{'s' if workers > 1 else ''}"].append(dask(workers))
            same_bytes(out / "local", out / f"dask{workers}", stems)
    figures = {label: statistics.median(secs) for label, secs in runs.items()}
    base_runs = runs["local batch"]
    ratios = {label: statistics.median(s / b for s, b in zip(secs, base_runs, strict=True))
              for label, secs in runs.items()}  # fmt: skip
    # an existing cluster (--scheduler): what a user with a running cluster pays
    port = 8786 + 17
    address = f"tcp://127.0.0.1:{port}"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    env = {**os.environ, "POLARS_MAX_THREADS": "1"}
    procs = [subprocess.Popen([sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1",
                               "--port", str(port), "--no-dashboard"], **quiet)]  # fmt: skip
    procs += [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "worker",
                address,
                "--nthreads",
                "1",
                "--no-nanny",
                "--no-dashboard",
                "--host",
                "127.0.0.1",
            ],
            env=env,
            **quiet,
        )  # fmt: skip
        for _ in range(2)
    ]
    tiny = DATA / "tiny.csv"
    tiny.write_text(",".join(f"f{j}" for j in range(args.features)) + "\n"
                    + ",".join(["0.5"] * args.features) + "\n")  # fmt: skip
    try:
        time.sleep(8)  # the workers join

        def running(inputs: list[str] = names, blocksize: str = "64MiB") -> float:
            target = out / "dask2"
            shutil.rmtree(target, ignore_errors=True)
            return timed([*NNCALC, "forward", *inputs, *NET, "--engine", "dask", "--scheduler",
                          address, "--blocksize", blocksize, "--out-dir", str(target)])  # fmt: skip

        # CPU per MiB: the local batch's own process against the two workers' (read from
        # /proc around each run), rounds interleaved; the client's CPU is apart
        wpids = [p.pid for p in procs[1:]]
        local_cpu, worker_cpu, client_cpu, walls = [], [], [], []
        for _ in range(args.repeat):
            local()
            local_cpu.append(LAST_CPU[0] / size)
            before = cpu_of(wpids)
            walls.append(running())
            worker_cpu.append((cpu_of(wpids) - before) / size)
            client_cpu.append(LAST_CPU[0] / size)
        figures["dask, running 2"] = statistics.median(walls)
        runs["dask, running 2"] = walls
        ratios["dask, running 2"] = statistics.median(
            w / b for w, b in zip(walls, runs["local batch"], strict=False)
        )
        same_bytes(out / "local", out / "dask2", stems)
        # blocks around the fast parser's threshold: MiB/s per worker at each size
        speeds = {}
        for mib in (2, 4, 8, 16):
            secs = statistics.median(running(blocksize=f"{mib}MiB") for _ in range(args.repeat))
            speeds[mib] = secs
        # the cost that scales: blocks of 8 MiB (large enough for the polars fast path)
        # on the running cluster, less a one-row run's (process start, connect, two rounds)
        fixed = statistics.median(running([str(tiny)]) for _ in range(args.repeat))
        small = statistics.median(running(blocksize="8MiB") for _ in range(args.repeat))
    finally:
        for p in procs:
            p.terminate()
            p.wait()
    lc, wc, cc = (statistics.median(v) for v in (local_cpu, worker_cpu, client_cpu))
    print(f"CPU per MiB of CSV: local batch {lc * 1000:.1f} ms, dask workers {wc * 1000:.1f} ms "
          f"({wc / lc:.2f}× local; {1 / wc:.0f} vs {1 / lc:.0f} MiB per CPU second), "
          f"client {cc * 1000:.1f} ms")  # fmt: skip
    for mib, secs in speeds.items():
        blocks_k = -(-paths[0].stat().st_size // (mib << 20)) * len(paths)
        print(f"--blocksize {mib}MiB on the running cluster: {blocks_k} blocks in {secs:.2f} s, "
              f"{size / max(secs - fixed, 1e-9) / 2:.0f} MiB/s per worker")  # fmt: skip
    base = figures["local batch"]
    for label, secs in figures.items():
        within = ""
        if label in ratios:
            each = " ".join(f"{s:.2f}" for s in runs[label])
            within = f"  (median of per-round ratios {ratios[label]:.2f}×; runs {each})"
        print(f"{label:16s} {secs:7.2f} s  {secs / base:5.2f}× local{within}")
    start = statistics.median(dask(2, inputs=[str(tiny)]) for _ in range(args.repeat))
    blocks = -(-paths[0].stat().st_size // (8 << 20)) * len(paths)
    per_block = (small - fixed) * 2 / blocks  # two workers
    print(f"one-row input: {start:.2f} s with a new local cluster, {fixed:.2f} s on a running one")
    print(
        f"--blocksize 8MiB on the running cluster: {blocks} blocks in {small:.2f} s; "
        f"{per_block:.2f} s per 8 MiB block per worker ({8 / per_block:.1f} MiB/s/worker)"
    )


if __name__ == "__main__":
    main()
