"""What batch invariance costs: nncalc's padded fixed-shape blocks against the candidates,
in one run, as ratios to plain numpy (``act(X @ W + b)`` on the whole input at once).

    python benchmarks/invariance.py            # median of 5
    python benchmarks/invariance.py --repeat 3

Candidates, each a forward pass of the same network in the same process:
- ``numpy``: ``X @ W + b`` whole (not batch-invariant: BLAS picks kernels by m);
- ``blocks``: fixed 4096-row blocks from row 0, the last block as it comes (nncalc before
  issue 23: invariant to cuts at block multiples only);
- ``nncalc``: every block exactly ``block_rows`` rows, the last one zero-padded, float32
  multiplied in float64 (what nncalc does now: a row's bits depend on that row alone);
- ``pad256``: the same with 256-row blocks (a smaller fixed block, cheaper for few rows).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
from threadpoolctl import threadpool_info

from nncalc.core import Layer, Network

Net = list[tuple[np.ndarray, np.ndarray]]


def numpy_whole(net: Net, x: np.ndarray) -> np.ndarray:
    for w, b in net:
        x = np.maximum(x @ w + b, 0)
    return x


def unpadded_blocks(net: Net, x: np.ndarray, step: int = 4096) -> np.ndarray:
    for w, b in net:
        out = np.empty((len(x), w.shape[1]), w.dtype)
        for s in range(0, len(x), step):
            np.matmul(np.ascontiguousarray(x[s : s + step]), w, out=out[s : s + step])
        x = np.maximum(out + b, 0)
    return x


def padded(net: Net, x: np.ndarray, step: int) -> np.ndarray:
    for w, b in net:
        wm = w.astype(np.float64, copy=False)
        out = np.empty((len(x), w.shape[1]), w.dtype)
        for s in range(0, len(x), step):
            part = x[s : s + step].astype(np.float64, copy=False)
            if len(part) < step:
                part = np.concatenate([part, np.zeros((step - len(part), x.shape[1]))])
            if out.dtype == np.float64 and len(part) == len(out[s : s + step]):
                np.matmul(part, wm, out=out[s : s + step])
            else:
                out[s : s + step] = (part @ wm)[: len(x) - s]
        x = np.maximum(out + b, 0)
    return x


def timed(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    info = threadpool_info()
    blas = ", ".join(
        f"{i['internal_api']} {i.get('architecture')} ×{i['num_threads']}" for i in info
    )
    print(f"BLAS: {blas}\n")
    rng = np.random.default_rng(0)
    cases = {"4→3": [4, 3], "784→128→10": [784, 128, 10]}
    for dtype in (np.float64, np.float32):
        print(f"| {np.dtype(dtype).name}: network, rows | numpy s | blocks | nncalc | pad256 |")
        print("|---|---|---|---|---|")
        for label, sizes in cases.items():
            params = [
                (rng.standard_normal((n, p)).astype(dtype), rng.standard_normal(p).astype(dtype))
                for n, p in zip(sizes, sizes[1:], strict=False)
            ]
            net = Network(Layer(w, b) for w, b in params)
            big = 1_000_000 if sizes[0] < 100 else 100_000  # 1M×784 would be 6.3 GB
            for m in (1, 3, 1000, big):
                x = rng.standard_normal((m, sizes[0])).astype(dtype)
                rep = args.repeat if m < 100_000 else max(1, args.repeat // 2)
                t0 = timed(lambda: numpy_whole(params, x), rep)  # noqa: B023
                row = [
                    timed(lambda: unpadded_blocks(params, x), rep),  # noqa: B023
                    timed(lambda: net(x), rep),  # noqa: B023
                    timed(lambda: padded(params, x, 256), rep),  # noqa: B023
                ]
                ratios = " | ".join(f"{t / t0:.2f}×" for t in row)
                print(f"| {label}, {m:,} rows | {t0:.6f} | {ratios} |")
        print()


if __name__ == "__main__":
    main()
