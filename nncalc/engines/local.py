"""The local engine: X's row blocks through the network, in this process.

Reading and parsing happen in the reader (large CSV is parsed one chunk ahead in a worker
thread); this module decides how BLAS shares the two cores with that thread and turns
the stream of inputs into a stream of outputs, bit-identical to a whole run.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from contextlib import ExitStack

import numpy as np

from nncalc.core import Array, Network, Pass, regroup
from nncalc.core.predict import predicted
from nncalc.errors import InputError
from nncalc.i18n import _

SMALL_NETWORK = 128 * 128  # Σ n·p below which one BLAS thread computes a block as fast as two
# OpenBLAS runs a matmul of fewer than m·n·p = 262,144 multiply-adds on one thread whatever
# its setting; well below that, capping threads cannot change a bit, so tiny runs skip it
# (and the ~7 ms threadpoolctl costs to import and apply).
SERIAL_WORK = 1 << 16


def blas_cap(network: Network) -> int | None:
    """The BLAS thread count every matmul of ``network`` runs with: one for small networks
    (OpenBLAS threads spin between tiny matmuls and starve the CSV parser thread: 1M×32
    took 2.4 s capped, 3.5-4.1 s not), the library's default (None) for large ones.

    It depends on the network alone, never on the input: OpenBLAS gives different last
    bits with one thread and with two for some shapes (5×700, 700×3), so a thread count
    chosen per input would make a row's result depend on how the input arrived."""
    return 1 if sum(layer.n * layer.p for layer in network) <= SMALL_NETWORK else None


class Threads:
    """Applies :func:`blas_cap` before the first matmul big enough for BLAS to thread."""

    def __init__(self, network: Network, stack: ExitStack, upto: int | None = None) -> None:
        self.cap = blas_cap(network)
        self.stack = stack
        self.work = max(layer.n * layer.p for layer in network.layers[:upto])

    def before(self, rows: int) -> None:
        if self.cap is not None and rows * self.work >= SERIAL_WORK:
            from threadpoolctl import threadpool_limits

            self.stack.enter_context(threadpool_limits(limits=self.cap, user_api="blas"))
            self.cap = None  # applied: it holds until the stack closes


def run(
    blocks: Iterable[np.ndarray],
    network: Network,
    stack: ExitStack,
    upto: int | None = None,
    *,
    finite: bool = True,
    first_row: int = 0,
) -> Iterator[Array]:
    """The network's output (or layer ``upto``'s), block by block, bit-identical to a
    whole run however the blocks were cut.  With ``finite``, a Z that overflows (finite
    inputs, the readers see to that) stops the run with an :class:`InputError` naming
    the sample (counted from ``first_row``: a Dask block's place in its input) and the
    neuron."""
    threads = Threads(network, stack, upto)
    row = first_row
    for group in regroup(blocks, network.step):
        threads.before(len(group))
        check = functools.partial(check_finite, network, row) if finite else None
        yield network(group, upto, check)
        row += len(group)


def check_finite(network: Network, row: int, k: int, values: np.ndarray, stage: str = "Z") -> None:
    """Refuse the first inf/nan of layer ``k``'s Z (or its A, ``stage="A"``: a leaky
    ReLU steeper than 1 can overflow a finite Z), rows counted from ``row``."""
    if np.isfinite(values).all():
        return
    i, j = (int(v) for v in np.argwhere(~np.isfinite(np.atleast_2d(values)))[0])
    where = stage if len(network) == 1 else _("layer {k}: {stage}{k}").format(k=k, stage=stage)
    raise InputError(
        _("{where} overflows {dtype} at sample {i}, neuron {j}").format(
            where=where, dtype=values.dtype, i=row + i, j=j
        ),
        expected=_("values whose products and sums stay finite; --allow-nonfinite writes inf/nan"),
    )


def trace(network: Network, x: np.ndarray, *, finite: bool = True) -> list[Pass]:
    """Every layer's Z and A for rows ``x`` (tables, explain), with the threads a stream
    of the same rows would use, so the numbers shown are the numbers written."""
    with ExitStack() as stack, np.errstate(all="ignore"):
        Threads(network, stack).before(len(x))
        passes = network.forward(x)
    if finite:
        for k, res in enumerate(passes, 1):
            check_finite(network, 0, k, res.z)
            check_finite(network, 0, k, res.a, "A")
    return passes


def located(blocks: Iterator[Array], source: str) -> Iterator[Array]:
    """The blocks, with any error from computing them attributed to the input."""
    try:
        yield from blocks
    except InputError as e:
        raise e.located(source) from None


def argmax(blocks: Iterable[Array], threshold: float = 0.5) -> Iterator[np.ndarray]:
    """Each sample's class: the index of its largest output (the first on ties, as
    numpy's), or for one output 1 where it is above ``threshold``."""
    for a in blocks:
        yield predicted(a, threshold)
