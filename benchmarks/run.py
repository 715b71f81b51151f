"""nncalc against the tools a user would otherwise reach for, in one run, as ratios.

    python benchmarks/run.py --quick      # every target row, fewer runs: under 2 minutes
    python benchmarks/run.py              # everything, median of 5 (about 11 minutes)
    python benchmarks/run.py --only startup,onelayer --rows 200000

Data is generated with fixed seeds into benchmarks/data/ (git-ignored). Inputs arrive
through a real pipe (``cat FILE | cmd``); nncalc and its peers run interleaved in the
same invocation, so ratios compare like with like, and the closing table states each
target of issue 15 as met or not. Needs the bench extra: pip install '.[bench]'.
On a machine that sets OPENBLAS_CORETYPE/OPENBLAS_L2_SIZE, unset both in the benchmark
command alone; the header says which BLAS kernel ran."""

from __future__ import annotations

import argparse
import json
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
    """Wall seconds and peak RSS (MiB) of ``cmd``, stdout discarded; its CPU seconds
    (user + system, all threads) are kept in LAST_CPU."""
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
    LAST_CPU[0] = usage.ru_utime + usage.ru_stime
    return elapsed, usage.ru_maxrss // 1024


LAST_CPU = [0.0]


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


# -- the benchmarks ----------------------------------------------------------------------
Target = tuple[str, float, float]  # (what, measured ratio, the most it may be)


def bench_startup(repeat: int, targets: list[Target]) -> list[str]:
    d = ROOT / "samples/batch"
    args = [str(d / "inputs.csv"), "-w", str(d / "weights.csv"), "-b", str(d / "biases.csv")]
    small = PEERS / "numpy_small.py"
    base, _ = median_of(repeat, lambda: run([PY, "-c", "import numpy"]))
    script, _ = median_of(repeat, lambda: run([PY, str(small), args[0], args[2], args[4]]))
    ours, _ = median_of(repeat, lambda: run([*NNCALC, "forward", *args]))
    targets.append(("start-up ÷ `python -c 'import numpy'`", ours / base, 1.5))
    return [
        "| start-up (3-sample example, CSV out) | seconds | ratio |",
        "|---|---|---|",
        f"| `python -c 'import numpy'` | {base:.3f} | 1.00 |",
        f"| hand-written numpy script | {script:.3f} | {script / base:.2f} |",
        f"| nncalc forward | {ours:.3f} | {ours / base:.2f} (target ≤ 1.5) |",
    ]


def piped(path: Path) -> list[str]:
    """The feeder of a real pipe: ``cat FILE | cmd``, as in a shell pipeline."""
    return ["cat", str(path)]


def head_to_head(
    title: str,
    x: Path,
    cmds: dict[str, list[str]],
    repeats: dict[str, int],
    pipe: bool = True,
) -> tuple[list[str], dict[str, float]]:
    """Every command on the same piped input (or, ``pipe=False``, the file named in the
    command), interleaved run by run so that the machine's slow and fast moments fall
    on all of them alike."""
    mb = x.stat().st_size / 1e6
    times: dict[str, list[float]] = {name: [] for name in cmds}
    cpu: dict[str, list[float]] = {name: [] for name in cmds}
    rss: dict[str, int] = dict.fromkeys(cmds, 0)
    for i in range(max(repeats.values())):
        for name, cmd in cmds.items():
            if i < repeats[name]:
                sec, peak = run(cmd, stdin_cmd=piped(x) if pipe else None)
                times[name].append(sec)
                cpu[name].append(LAST_CPU[0])
                rss[name] = max(rss[name], peak)
    med = {name: statistics.median(t) for name, t in times.items()}
    ours = med[next(iter(cmds))]
    lines = [
        f"| {title} ({mb:.0f} MB), {'piped stdin' if pipe else 'a file'} → stdout | seconds "
        "| MB/s of input "
        "| CPU seconds | peak RSS MiB | nncalc ÷ peer |",
        "|---|---|---|---|---|---|",
    ]
    for name in cmds:
        runs = f" ({repeats[name]} run{'s' if repeats[name] > 1 else ''})"
        lines.append(
            f"| {name}{runs} | {med[name]:.2f} | {mb / med[name]:.0f} "
            f"| {statistics.median(cpu[name]):.2f} | {rss[name]} | {ours / med[name]:.2f} |"
        )
    return lines, med


def bench_one_layer(
    repeat: int, rows: int, peers: list[str], slow_repeat: int, targets: list[Target]
) -> list[str]:
    x = ensure_inputs(rows, 32)
    w, b = write_params(32, 16)
    cmds = {
        "nncalc forward - -w W -b B": [*NNCALC, "forward", "-", "-w", str(w), "-b", str(b)],
        "polars script": [PY, str(PEERS / "polars_script.py"), str(w), str(b)],
        "pandas script": [PY, str(PEERS / "pandas_script.py"), str(w), str(b)],
        "numpy script (loadtxt + savetxt)": [PY, str(PEERS / "numpy_script.py"), str(w), str(b)],
    }
    cmds = {k: v for k, v in cmds.items() if k.split()[0] in ("nncalc", *peers)}
    repeats = {k: (repeat if k.split()[0] in ("nncalc", "polars") else slow_repeat) for k in cmds}
    lines, med = head_to_head(f"one layer: {rows:,}×32 CSV, W 32×16", x, cmds, repeats)
    ours = med["nncalc forward - -w W -b B"]
    if "polars script" in med:
        ratio = ours / med["polars script"]
        targets.append((f"{rows:,} rows, one layer ÷ polars script", ratio, 0.85))
    numpy_name = "numpy script (loadtxt + savetxt)"
    if numpy_name in med:
        targets.append((f"{rows:,} rows, one layer ÷ numpy script", ours / med[numpy_name], 0.2))
    return lines


NET_SIZES = (32, 64, 64, 10)
NET_ACTS = ("relu", "relu", "softmax")


def write_network() -> tuple[Path, list[Path]]:
    """32→64→64→10 (relu, relu, softmax) as CSV weight files and an nncalc JSON model
    naming them, so nncalc and the peer script read the very same numbers."""
    DATA.mkdir(exist_ok=True)
    rng = np.random.default_rng(3)
    files: list[Path] = []
    layers = []
    for k, (n, p) in enumerate(zip(NET_SIZES, NET_SIZES[1:], strict=False), 1):
        w, b = DATA / f"net_w{k}.csv", DATA / f"net_b{k}.csv"
        np.savetxt(w, rng.standard_normal((n, p)) / np.sqrt(n), delimiter=",", fmt="%.17g")
        np.savetxt(b, rng.standard_normal((1, p)) * 0.1, delimiter=",", fmt="%.17g")
        files += [w, b]
        layers.append({"weights": w.name, "biases": b.name, "activation": NET_ACTS[k - 1]})
    model = DATA / "net.json"
    model.write_text(json.dumps({"layers": layers}, indent=1) + "\n")
    return model, files


def bench_network(repeat: int, rows: int, targets: list[Target]) -> list[str]:
    x = ensure_inputs(rows, 32)
    model, files = write_network()
    cmds = {
        "nncalc forward - --model net.json": [*NNCALC, "forward", "-", "--model", str(model)],
        "polars+numpy script": [PY, str(PEERS / "polars_network.py"), *map(str, files)],
    }
    shape = "→".join(map(str, NET_SIZES))
    lines, med = head_to_head(
        f"network: {rows:,}×32 CSV, {shape} ({'/'.join(NET_ACTS)})",
        x,
        cmds,
        dict.fromkeys(cmds, repeat),
    )
    ratio = med["nncalc forward - --model net.json"] / med["polars+numpy script"]
    targets.append((f"{rows:,} rows, 3-layer network ÷ polars+numpy script", ratio, 0.85))
    return lines


def has_onnx() -> bool:
    """Whether the nncalc under test reads ONNX (nncalc/models/onnx_io.py, issue 10)."""
    from importlib.util import find_spec

    try:
        return (
            find_spec("nncalc.models.onnx_io") is not None and find_spec("onnxruntime") is not None
        )
    except ModuleNotFoundError:
        return False


def bench_onnx(repeat: int, rows: int, targets: list[Target]) -> list[str]:
    """The 3-layer network saved as ONNX by nncalc itself (float64, as the JSON model),
    scored by nncalc and by an onnxruntime + polars script."""
    x = ensure_inputs(rows, 32)
    model, _ = write_network()
    onnx_file = DATA / "net.onnx"
    small = ensure_inputs(100, 32)
    subprocess.run(
        [*NNCALC, "forward", str(small), "--model", str(model), "--save-model", str(onnx_file)],
        check=True, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    cmds = {
        "nncalc forward - --model net.onnx": [*NNCALC, "forward", "-", "--model", str(onnx_file)],
        "onnxruntime+polars script": [PY, str(PEERS / "onnx_script.py"), str(onnx_file)],
    }
    lines, med = head_to_head(
        f"ONNX: {rows:,}×32 CSV, the 3-layer network as .onnx", x, cmds, dict.fromkeys(cmds, repeat)
    )
    ratio = med["nncalc forward - --model net.onnx"] / med["onnxruntime+polars script"]
    targets.append((f"{rows:,} rows, ONNX model ÷ onnxruntime+polars script", ratio, 1.0))
    return lines


def bench_parquet(repeat: int, rows: int, targets: list[Target]) -> list[str]:
    """Parquet in, CSV out: one layer over the same rows stored as Parquet (issue 11's
    reader), nncalc against a polars script reading the Parquet itself."""
    import polars as pl

    csv = ensure_inputs(rows, 32)
    x = DATA / f"x_{rows}x32.parquet"
    if not x.exists():
        pl.read_csv(csv, has_header=False).write_parquet(x)
    w, b = write_params(32, 16)
    cmds = {  # a file, as Parquet is kept (a pipe cannot be scanned, only read whole)
        "nncalc forward x.parquet": [*NNCALC, "forward", str(x), "-w", str(w), "-b", str(b)],
        "polars script (read_parquet)": [
            PY, str(PEERS / "polars_parquet.py"), str(w), str(b), str(x)
        ],
    }  # fmt: skip
    lines, med = head_to_head(
        f"Parquet: {rows:,}×32, W 32×16, CSV out", x, cmds, dict.fromkeys(cmds, repeat), False
    )
    ratio = med["nncalc forward x.parquet"] / med["polars script (read_parquet)"]
    targets.append((f"{rows:,} rows, Parquet in ÷ polars script", ratio, 1.0))
    return lines


def bench_pending() -> list[str]:
    lines = ["| pending rows | state |", "|---|---|"]
    if not has_onnx():
        lines.append(
            "| ONNX model from CSV vs onnxruntime+polars (target ≤ 1.0) | pending: this nncalc "
            "has no ONNX reader (or onnxruntime is missing) |"
        )
    return lines


def bench_memory(repeat: int, sizes: list[int]) -> list[str]:
    w, b = write_params(32, 16)
    lines = [
        "| memory: rows through a pipe (32 features → 16) | seconds | peak RSS MiB |",
        "|---|---|---|",
    ]
    runs = [(f"{rows:,} rows", [PY, str(PEERS / "gen_rows.py"), str(rows), "32", "0"])
            for rows in sizes]  # fmt: skip
    most = max(sizes)
    runs.append((f"{most:,} rows of zeros (most values per byte)",
                 [PY, str(PEERS / "gen_zeros.py"), str(most), "32"]))  # fmt: skip
    for name, gen in runs:
        sec, rss = median_of(
            repeat,
            lambda gen=gen: run(
                [*NNCALC, "forward", "-", "-w", str(w), "-b", str(b)], stdin_cmd=gen
            ),
        )
        lines.append(f"| {name} | {sec:.1f} | {rss} (target < 300) |")
    return lines


def bench_compute(repeat: int, targets: list[Target]) -> list[str]:
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
        targets.append((f"compute, {name} (CLI path) ÷ bare numpy", stream_path / bare, 1.1))
        lines.append(
            f"| {name}: Layer.apply (A only, the CLI's path) | {bare:.3f} | "
            f"{stream_path:.3f} | {stream_path / bare:.2f} (target ≤ 1.1) |"
        )
        lines.append(
            f"| {name}: forward() (keeps Z and A) | {bare:.3f} | {full:.3f} | {full / bare:.2f} |"
        )
    return lines


def machine() -> list[str]:
    """What ran: versions, and which BLAS kernel (OPENBLAS_CORETYPE changes it)."""
    from importlib.metadata import PackageNotFoundError, version

    from threadpoolctl import threadpool_info

    names = ["nncalc", "numpy", "polars", "orjson", "typer", "threadpoolctl", "pandas"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} (not installed)")
    blas = [
        f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} kernels, "
        f"{i.get('num_threads')} threads"
        for i in threadpool_info()
        if i.get("user_api") == "blas"
    ]
    env = {k: os.environ.get(k, "unset") for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")}
    return [
        f"# {time.strftime('%Y-%m-%d %H:%M')} · {platform.machine()} · {os.cpu_count()} cores · "
        f"Python {platform.python_version()}",
        f"# {', '.join(found)}",
        f"# BLAS: {'; '.join(blas) or 'none found'} · "
        + ", ".join(f"{k}={v}" for k, v in env.items()),
    ]


def verdicts(targets: list[Target]) -> list[str]:
    lines = ["| target (nncalc ÷ peer) | measured | at most | verdict |", "|---|---|---|---|"]
    for what, ratio, most in targets:
        lines.append(f"| {what} | {ratio:.2f} | {most} | {'met' if ratio <= most else 'NOT met'} |")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true",
                    help="every target row, fewer runs (under 2 minutes on 2 cores)")  # fmt: skip
    ap.add_argument(
        "--only", default="startup,onelayer,network,onnx,parquet,pending,memory,compute"
    )
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rows", default="200000,1000000", help="one-layer sizes")
    ap.add_argument("--network-rows", type=int, default=1_000_000)
    ap.add_argument("--memory-rows", default="1000000,4000000")
    ap.add_argument("--peers", default="polars,pandas,numpy")
    args = ap.parse_args()
    only = set(args.only.split(","))
    repeat, slow_repeat, peers = args.repeat, 3, args.peers.split(",")
    if args.quick:  # the slow peers run once, pandas not at all; no memory/compute rows
        repeat, slow_repeat = 3, 1
        peers = [p for p in peers if p != "pandas"]
        only -= {"memory", "compute"}
    print("\n".join(machine()))
    print(f"# command: python benchmarks/run.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"# load average at start (other work on this machine): {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    targets: list[Target] = []
    sections = []

    def show(lines: list[str]) -> None:
        sections.append(lines)
        print()
        print("\n".join(lines), flush=True)

    if "startup" in only:
        show(bench_startup(max(repeat, 7 if args.quick else 15), targets))
    if "onelayer" in only:
        for i, rows in enumerate(int(r) for r in args.rows.split(",")):
            # --quick: the numpy script (~20 s at 1M rows) runs at the first size only
            some = [p for p in peers if not (args.quick and i and p == "numpy")]
            show(bench_one_layer(repeat, rows, some, slow_repeat, targets))
    if "network" in only:
        show(bench_network(repeat, args.network_rows, targets))
    if "onnx" in only and has_onnx():
        show(bench_onnx(repeat, args.network_rows, targets))
    if "parquet" in only:
        show(bench_parquet(repeat, args.network_rows, targets))
    if "pending" in only:
        show(bench_pending())
    if "memory" in only:
        show(bench_memory(1, [int(r) for r in args.memory_rows.split(",")]))
    if "compute" in only:
        show(bench_compute(max(repeat, 5), targets))
    print()
    print("\n".join(verdicts(targets)))
    print(f"\n# load average at the end: {os.getloadavg()[0]:.1f}", flush=True)


if __name__ == "__main__":
    main()
