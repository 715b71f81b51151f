"""The Dask engine: inputs cut into blocks, each block forwarded through the same
Network on a cluster and written as one part file; the parts of an input, joined in name
order, are byte for byte what the local engine writes.

The only package that imports dask, distributed and fsspec (ruff's banned-api keeps it
so).  Find a behaviour by its file:

- ``records``: the records tasks and callers share (Settings, InputLayout, Block, TaskSpec,
  Parsed, Outcome);
- ``storage``: paths, globs and URLs (fsspec), parts written whole or not at all;
- ``layout``: what is decided once per input, from its first line, and its cut into blocks;
- ``count``: the count pass (whole-file line and row numbers for every block);
- ``score``: the score pass (parse, forward, write one part per block);
- ``cluster``: the Client, our own LocalCluster, a clean stop on Ctrl-C;
- ``batch``: one run, from the inputs to each input's ``_SUCCESS`` and outcome.

``_SUCCESS`` is written last, when every part of an input is in place.  A block that
fails reports one line (input name, whole-file line); an input with a failed block keeps
no parts, the other inputs still finish.  Tasks are pure and their writes idempotent, so
Dask's own retry after a lost worker gives the same parts.
"""

from .batch import run
from .layout import layout_of
from .records import DEFAULT_BLOCKSIZE, ClusterError, InputLayout, Outcome, Progress, Settings
from .storage import expand

__all__ = [
    "DEFAULT_BLOCKSIZE", "ClusterError", "InputLayout", "Outcome", "Progress", "Settings", "expand",
    "layout_of", "run",
]  # fmt: skip
