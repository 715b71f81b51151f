"""The start-up peer: a hand-written numpy script for the 3-sample example."""

import sys

import numpy as np

x = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
w = np.loadtxt(sys.argv[2], delimiter=",", ndmin=2)
b = np.loadtxt(sys.argv[3], delimiter=",", ndmin=1)
np.savetxt(sys.stdout, np.maximum(x @ w + b, 0), delimiter=",")
