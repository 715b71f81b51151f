"""nncalc against the tools a user would otherwise reach for, in one run, as ratios.

    python benchmarks/run.py              # everything (about 10 minutes on 2 cores)
    python benchmarks/run.py --only startup,compute --repeat 5
    python benchmarks/run.py --rows 200000  # a quicker throughput run

Data is generated with fixed seeds into benchmarks/data/ (git-ignored). Every figure is
the median of --repeat runs; peers run in the same invocation so ratios compare like
with like. Needs the bench extra: pip install '.[bench]'.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
PEERS = HERE / "peers"
PY = sys.executable
# the console script, as users run it (python -m adds runpy's few milliseconds)
_SCRIPT = Path(PY).with_name("nncalc")
NNCALC = [str(_SCRIPT)] if _SCRIPT.exists() else [PY, "-m", "nncalc"]


def run(
    cmd: list[str],
    stdin: Path | None = None,
    stdin_cmd: list[str] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[float, int]:
    """Wall seconds and peak RSS (MiB) of ``cmd``, stdout discarded."""
    full_env = {**os.environ, **(env or {})}
    src = None
    feeder = None
    if stdin is not None:
        src = open(stdin, "rb")  # noqa: SIM115 - closed below
    elif stdin_cmd is not None:
        feeder = subprocess.Popen(stdin_cmd, stdout=subprocess.PIPE, cwd=ROOT, env=full_env)
        src = feeder.stdout
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        stdin=src if src is not None else subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=full_env,
    )
    if feeder is not None and feeder.stdout is not None:
        feeder.stdout.close()  # the consumer holds the only read end now
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    if src is not None and stdin is not None:
        src.close()
    if feeder is not None:
        feeder.wait()
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {err.decode()[-500:]}")
    return elapsed, usage.ru_maxrss // 1024


def median_of(repeat: int, fn: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    results = [fn() for _ in range(repeat)]
    return statistics.median(r[0] for r in results), max(r[1] for r in results)


def write_params(n: int, p: int) -> tuple[Path, Path]:
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(1)
    w, b = DATA / f"w_{n}x{p}.csv", DATA / f"b_{p}.csv"
    np.savetxt(w, rng.standard_normal((n, p)), delimiter=",", fmt="%.17g")
    np.savetxt(b, rng.standard_normal((1, p)), delimiter=",", fmt="%.17g")
    return w, b


def ensure_inputs(rows: int, cols: int) -> Path:
    path = DATA / f"x_{rows}x{cols}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as f:
            subprocess.run(
                [PY, str(PEERS / "gen_rows.py"), str(rows), str(cols), "0"],
                stdout=f,
                check=True,
                cwd=ROOT,
            )
        tmp.rename(path)
    return path


# -- the four benchmarks ---------------------------------------------------------------
def bench_startup(repeat: int) -> list[str]:
    d = ROOT / "samples/batch"
    args = [str(d / "inputs.csv"), "-w", str(d / "weights.csv"), "-b", str(d / "biases.csv")]
    small = PEERS / "numpy_small.py"
    base, _ = median_of(repeat, lambda: run([PY, "-c", "import numpy"]))
    script, _ = median_of(repeat, lambda: run([PY, str(small), args[0], args[2], args[4]]))
    ours, _ = median_of(repeat, lambda: run([*NNCALC, "forward", *args]))
    return [
        "| start-up (3-sample example, CSV out) | seconds | ratio |",
        "|---|---|---|",
        f"| `python -c 'import numpy'` | {base:.3f} | 1.00 |",
        f"| hand-written numpy script | {script:.3f} | {script / base:.2f} |",
        f"| nncalc forward | {ours:.3f} | {ours / base:.2f} (target ≤ 1.5) |",
    ]


def bench_throughput(repeat: int, rows: int, peers: list[str]) -> list[str]:
    x = ensure_inputs(rows, 32)
    w, b = write_params(32, 16)
    mb = x.stat().st_size / 1e6
    cmds = {
        "nncalc forward - -w W -b B": [*NNCALC, "forward", "-", "-w", str(w), "-b", str(b)],
        "polars script": [PY, str(PEERS / "polars_script.py"), str(w), str(b)],
        "pandas script": [PY, str(PEERS / "pandas_script.py"), str(w), str(b)],
        "numpy script (loadtxt + savetxt)": [PY, str(PEERS / "numpy_script.py"), str(w), str(b)],
    }
    results = {}
    for name, cmd in cmds.items():
        if name.split()[0] not in ("nncalc", *peers):
            continue
        results[name] = median_of(repeat, lambda cmd=cmd: run(cmd, stdin=x))
    ours = results["nncalc forward - -w W -b B"][0]
    lines = [
        f"| throughput: {rows:,}×32 CSV ({mb:.0f} MB), W 32×16, stdin → stdout | seconds "
        "| MB/s of input | peak RSS MiB | peer time ÷ nncalc time |",
        "|---|---|---|---|---|",
    ]
    for name, (sec, rss) in results.items():
        lines.append(f"| {name} | {sec:.2f} | {mb / sec:.0f} | {rss} | {sec / ours:.2f} |")
    return lines


def bench_memory(repeat: int, sizes: list[int]) -> list[str]:
    w, b = write_params(32, 16)
    lines = [
        "| memory: rows through a pipe (32 features → 16) | seconds | peak RSS MiB |",
        "|---|---|---|",
    ]
    for rows in sizes:
        gen = [PY, str(PEERS / "gen_rows.py"), str(rows), "32", "0"]
        sec, rss = median_of(
            repeat,
            lambda gen=gen: run(
                [*NNCALC, "forward", "-", "-w", str(w), "-b", str(b)], stdin_cmd=gen
            ),
        )
        lines.append(f"| {rows:,} rows | {sec:.1f} | {rss} (target < 300) |")
    return lines


def bench_compute(repeat: int) -> list[str]:
    from nncalc import forward, prepare

    rng = np.random.default_rng(2)
    lines = [
        "| compute: X 200,000×512 @ W 512×512 | bare numpy s | nncalc s | ratio |",
        "|---|---|---|---|",
    ]
    for dtype in (np.float64, np.float32):
        x = rng.standard_normal((200_000, 512)).astype(dtype)
        w = rng.standard_normal((512, 512)).astype(dtype)
        b = rng.standard_normal(512).astype(dtype)
        layer, _ = prepare(x.shape, w, b)

        def timed(fn: Callable[[], object]) -> float:
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                fn()
                times.append(time.perf_counter() - t)
            return statistics.median(times)

        bare = timed(lambda x=x, w=w, b=b: np.maximum(x @ w + b, 0))
        stream_path = timed(lambda x=x, layer=layer: layer.apply(x))
        full = timed(lambda x=x, w=w, b=b: forward(x, w, b))
        name = np.dtype(dtype).name
        lines.append(
            f"| {name}: Layer.apply (A only, the CLI's path) | {bare:.3f} | "
            f"{stream_path:.3f} | {stream_path / bare:.2f} (target ≤ 1.1) |"
        )
        lines.append(
            f"| {name}: forward() (keeps Z and A) | {bare:.3f} | {full:.3f} | {full / bare:.2f} |"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", default="startup,throughput,memory,compute")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--memory-rows", default="1000000,4000000")
    ap.add_argument("--peers", default="polars,pandas,numpy")
    args = ap.parse_args()
    only = set(args.only.split(","))
    print(
        f"# {time.strftime('%Y-%m-%d')} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()} · numpy {np.__version__}"
    )
    print(f"# command: python benchmarks/run.py {' '.join(sys.argv[1:])}".rstrip())
    sections = []
    if "startup" in only:
        sections.append(bench_startup(max(args.repeat, 15)))
    if "throughput" in only:
        sections.append(bench_throughput(args.repeat, args.rows, args.peers.split(",")))
    if "memory" in only:
        sections.append(bench_memory(1, [int(r) for r in args.memory_rows.split(",")]))
    if "compute" in only:
        sections.append(bench_compute(max(args.repeat, 5)))
    for lines in sections:
        print()
        print("\n".join(lines), flush=True)


if __name__ == "__main__":
    main()
