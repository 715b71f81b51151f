"""The 3-layer job with polars and numpy: read_csv, three layers (relu, relu, softmax),
write_csv.  Arguments: W1 b1 W2 b2 W3 b3 as CSV files; X on stdin."""

import sys

import numpy as np
import polars as pl


def matrix(path: str) -> np.ndarray:
    return pl.read_csv(path, has_header=False).to_numpy()


params = [matrix(p) for p in sys.argv[1:]]
a = pl.read_csv(sys.stdin.buffer, has_header=False).to_numpy()
for k in range(0, len(params), 2):
    z = a @ params[k] + params[k + 1].ravel()
    if k + 2 < len(params):
        a = np.maximum(z, 0)
    else:  # softmax over each row, shifted by its maximum so exp cannot overflow
        e = np.exp(z - z.max(axis=1, keepdims=True))
        a = e / e.sum(axis=1, keepdims=True)
pl.from_numpy(a).write_csv(sys.stdout.buffer, include_header=False)
