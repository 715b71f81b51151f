"""Hypothesis strategies shared by the test modules."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False, width=64)
any_finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
dims = st.integers(1, 7)


@st.composite
def layers(draw: st.DrawFn, max_m: int = 9) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X (m×n), W (n×p), b (p,) with every size allowed to be 1."""
    m = draw(st.integers(1, max_m))
    n, p = draw(dims), draw(dims)
    x = draw(arrays(np.float64, (m, n), elements=finite))
    w = draw(arrays(np.float64, (n, p), elements=finite))
    b = draw(arrays(np.float64, (p,), elements=finite))
    return x, w, b


def matrices(elements: st.SearchStrategy[float] = any_finite) -> st.SearchStrategy[np.ndarray]:
    return st.tuples(st.integers(1, 6), st.integers(1, 6)).flatmap(
        lambda s: arrays(np.float64, s, elements=elements)
    )
