"""Network.apply_at: a piece of an input cut anywhere (a Dask block) gives the very bits
of a whole run.  Since a row's bits depend on that row alone it is ``self(rows)``; these
tests keep the Dask engine's entry point honest (tests/test_invariance.py has the rest)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc.core import Layer, Network

RNG = np.random.default_rng(11)
M = 9_000
X = RNG.standard_normal((M, 4))
# layer 2 is wide, so its BLAS block (2048 rows) is smaller than layer 1's (4096)
NET = Network(
    [
        Layer(RNG.standard_normal((4, 3)), RNG.standard_normal(3), "tanh"),
        Layer(RNG.standard_normal((3, 1100)), RNG.standard_normal(1100), "relu"),
        Layer(RNG.standard_normal((1100, 2)), RNG.standard_normal(2), "softmax"),
    ]
)
WHOLE = {dt: NET.astype(dt)(X) for dt in (np.float64, np.float32)}


def test_the_network_has_unequal_blocks_and_a_naive_split_is_exact() -> None:
    assert [layer.step for layer in NET] == [4096, 2048, 2048]
    assert NET.step == 4096 < M
    for dt in (np.float64, np.float32):
        net = NET.astype(dt)
        assert net(X[:1000]).tobytes() == WHOLE[dt][:1000].tobytes()
        assert net(X[4097:4100]).tobytes() == WHOLE[dt][4097:4100].tobytes()


@pytest.mark.slow
@settings(max_examples=15)
@given(
    st.lists(st.integers(1, M - 1), max_size=5, unique=True),
    st.sampled_from([np.float64, np.float32]),
)
def test_pieces_cut_anywhere_join_to_the_whole_run(cuts: list[int], dtype: type) -> None:
    net = NET.astype(dtype)
    edges = [0, *sorted(cuts), M]
    parts = [net.apply_at(X[a:b], a, M) for a, b in zip(edges, edges[1:], strict=False)]
    for (a, b), part in zip(zip(edges, edges[1:], strict=False), parts, strict=True):
        assert part.shape == (b - a, 2)
    assert np.concatenate(parts).tobytes() == WHOLE[dtype].tobytes()


@settings(max_examples=25)
@given(st.integers(0, M - 1), st.integers(1, 300))
def test_one_piece_equals_its_rows_of_the_whole_run(first: int, m: int) -> None:
    m = min(m, M - first)
    got = NET.apply_at(X[first : first + m], first, M)
    assert got.tobytes() == WHOLE[np.float64][first : first + m].tobytes()


def test_upto_stops_early_like_slicing() -> None:
    whole = NET(X, upto=2)
    assert NET.apply_at(X[4000:6001], 4000, M, upto=2).tobytes() == whole[4000:6001].tobytes()


def test_a_piece_outside_the_input_is_refused() -> None:
    with pytest.raises(ValueError, match="not a piece"):
        NET.apply_at(X[:10], M - 5, M)
