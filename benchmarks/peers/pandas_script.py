"""The same job with pandas: read_csv, to_numpy, the expression, to_csv."""

import sys

import numpy as np
import pandas as pd

w = pd.read_csv(sys.argv[1], header=None).to_numpy()
b = pd.read_csv(sys.argv[2], header=None).to_numpy().ravel()
x = pd.read_csv(sys.stdin, header=None).to_numpy()
pd.DataFrame(np.maximum(x @ w + b, 0)).to_csv(sys.stdout, header=False, index=False)
