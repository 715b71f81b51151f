"""Stream ROWS×COLS seeded random CSV rows to stdout without holding them in memory."""

import sys

import numpy as np

from nncalc.formats import Format
from nncalc.formats.write import Writer

rows, cols, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(seed)
writer = Writer(Format.CSV)
out = sys.stdout.buffer
for start in range(0, rows, 65536):
    out.write(writer.block(rng.standard_normal((min(65536, rows - start), cols))))
