"""What a user would write with numpy alone: loadtxt, the expression, savetxt."""

import sys

import numpy as np

w = np.loadtxt(sys.argv[1], delimiter=",", ndmin=2)
b = np.loadtxt(sys.argv[2], delimiter=",", ndmin=1)
x = np.loadtxt(sys.stdin, delimiter=",", ndmin=2)
np.savetxt(sys.stdout, np.maximum(x @ w + b, 0), delimiter=",")
