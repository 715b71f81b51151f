"""The arithmetic behind one output value, term by term, as a teacher writes it.

Pure data: :func:`terms` picks the numbers, :mod:`nncalc.render` draws them.  The value
shown as ``z`` is the one :func:`nncalc.core.forward` computed, not a re-summation, so
``explain`` never disagrees with ``forward`` in the last digit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .core import Layer, Pass
from .errors import UsageError


class Term(NamedTuple):
    """z[sample, neuron] = Σ xs[k]·ws[k] + b, then the activation."""

    sample: int | None  # None for a single-sample input (z has no sample axis)
    neuron: int
    xs: tuple[float, ...]
    ws: tuple[float, ...]
    b: float
    z: float
    a: float
    activation_name: str = "ReLU"


def pick_index(value: int | None, size: int, what: str, option: str) -> int:
    """A 0-based index, negative counting from the end like Python; else a clear error."""
    if value is None:
        return 0
    if not -size <= value < size:
        raise UsageError(
            f"{option} {value} is out of range: there {'is' if size == 1 else 'are'} "
            f"{size} {what}{'' if size == 1 else 's'} (0 to {size - 1})"
        )
    return value % size


def terms(
    x: np.ndarray, layer: Layer, res: Pass, sample: int, neurons: list[int], single: bool = False
) -> list[Term]:
    """One :class:`Term` per neuron for row ``sample`` of ``x`` (m×n)."""
    z2, a2 = np.atleast_2d(res.z), np.atleast_2d(res.a)
    name = "ReLU" if layer.activation == "relu" else layer.activation
    return [
        Term(
            None if single else sample,
            j,
            tuple(float(v) for v in x[sample]),
            tuple(float(v) for v in layer.w[:, j]),
            float(layer.b[j]),
            float(z2[sample, j]),
            float(a2[sample, j]),
            name,
        )
        for j in neurons
    ]
