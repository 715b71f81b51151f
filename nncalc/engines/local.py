"""The local engine: X's row blocks through the network, in this process.

Reading and parsing happen in the reader (large CSV is parsed one chunk ahead in a worker
thread); this module decides how BLAS shares the two cores with that thread and turns
the stream of inputs into a stream of outputs, bit-identical to a whole run.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack

import numpy as np

from nncalc.core import Array, Network

SMALL_LAYER = 128 * 128  # n·p below which one BLAS thread computes a chunk as fast as two


def share_cores(
    blocks: Iterable[np.ndarray], network: Network, stack: ExitStack
) -> Iterator[np.ndarray]:
    """Pass blocks through; from the third on (a large input, whose CSV chunks are then
    parsed in a second thread) keep BLAS to one thread for small networks: OpenBLAS
    threads spin between tiny matmuls and starve the parser (1M×32: 2.4 s with the cap,
    3.5-4.1 s without)."""
    work = sum(layer.n * layer.p for layer in network)
    for i, block in enumerate(blocks):
        if i == 2 and work <= SMALL_LAYER:
            from threadpoolctl import threadpool_limits

            stack.enter_context(threadpool_limits(limits=1, user_api="blas"))
        yield block


def run(
    blocks: Iterable[np.ndarray], network: Network, stack: ExitStack, upto: int | None = None
) -> Iterator[Array]:
    """The network's output (or layer ``upto``'s), block by block."""
    return network.stream(share_cores(blocks, network, stack), upto)


def argmax(blocks: Iterable[Array]) -> Iterator[np.ndarray]:
    """The index of each sample's largest output (the first on ties, as numpy's)."""
    for a in blocks:
        yield np.argmax(np.atleast_2d(a), axis=1)
