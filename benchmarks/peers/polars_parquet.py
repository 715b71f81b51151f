"""The same job from a Parquet file with polars: read_parquet, to_numpy, the expression,
write_csv."""

import sys

import numpy as np
import polars as pl

w = pl.read_csv(sys.argv[1], has_header=False).to_numpy()
b = pl.read_csv(sys.argv[2], has_header=False).to_numpy().ravel()
x = pl.read_parquet(sys.argv[3]).to_numpy()
pl.from_numpy(np.maximum(x @ w + b, 0)).write_csv(sys.stdout.buffer, include_header=False)
