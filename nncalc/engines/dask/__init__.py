"""The Dask engine: inputs cut into blocks, each block forwarded through the same
Network on a cluster and written as one part file; the parts of an input, joined in name
order, are byte for byte what the local engine writes.

The only package that imports dask, distributed and fsspec (ruff's banned-api keeps it
so).  Find a behaviour by its file:

- ``records``: the records tasks and callers share (Settings, InputLayout, Block, TaskSpec,
  Parsed, Outcome);
- ``storage``: paths, globs and URLs (fsspec), parts written whole or not at all;
- ``layout``: what is decided once per input, from its first line, and its cut into blocks;
- ``count``: NDJSON's count pass (whole-file line and row numbers for every block);
- ``score``: a CSV/TSV block parsed once and kept on its worker (``parse_block``), then
  every block forwarded and written as one part;
- ``cluster``: the Client (Dask's own scheduler address and timeouts), our own
  LocalCluster, a clean stop on Ctrl-C;
- ``batch``: one run, from the inputs to each input's ``_SUCCESS`` and outcome;
- ``evaluate``: ``nncalc evaluate``'s run, each block scored where it was read and only
  its findings (a few numbers) sent back; ``labels``: a labels file's blocks, counted,
  each block of X reading only the lines that hold its labels.

An input's ``_SUCCESS`` is written as soon as its last part is in place.  Anything that
fails in an input's tasks is that input's one line (a bad cell: input name and
whole-file line); it keeps no parts, the other inputs still finish.  Only the cluster's
own failure (unreachable, lost, workers that cannot read) stops the run
(:class:`ClusterError`).  Tasks are pure and their writes idempotent, so Dask's own retry
after a lost worker, or of a task that raised, gives the same parts.
"""

from .batch import run
from .evaluate import evaluate
from .layout import layout_of
from .records import (
    DEFAULT_BLOCKSIZE,
    ClusterError,
    EvalSpec,
    InputLayout,
    Outcome,
    Progress,
    Settings,
)
from .storage import expand

__all__ = [
    "DEFAULT_BLOCKSIZE", "ClusterError", "EvalSpec", "InputLayout", "Outcome", "Progress",
    "Settings", "evaluate", "expand", "layout_of", "run",
]  # fmt: skip
