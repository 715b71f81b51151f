"""The class a row's outputs predict — ``forward --argmax`` and ``evaluate`` share the one
rule (kept apart from :mod:`nncalc.core.metrics`, whose records a plain forward pass need
not import)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray


def predicted(a: np.ndarray, threshold: float = 0.5) -> NDArray[np.int64]:
    """Each row's class: the index of its largest output (the first on ties), or for
    one output (a probability of class 1) 1 where it is greater than ``threshold`` —
    scikit-learn's ``predict`` for a logistic output."""
    a2 = np.atleast_2d(a)
    if a2.shape[1] == 1:
        return np.asarray(a2[:, 0] > threshold, dtype=np.int64)
    return np.asarray(np.argmax(a2, axis=1), dtype=np.int64)
