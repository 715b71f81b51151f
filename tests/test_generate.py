"""The seed promise: every recipe equals the numpy line it prints, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nncalc import generate


def run_line(line: str) -> dict[str, np.ndarray]:
    """Execute the printed notebook line against numpy's legacy global stream."""
    ns: dict[str, object] = {"np": np}
    exec(line, ns)  # noqa: S102 - the line is ours; running it is the point of the test
    return {k: v for k, v in ns.items() if k in ("W", "b")}  # type: ignore[misc]


@pytest.mark.parametrize("recipe", list(generate.RECIPES))
@given(n=st.integers(1, 6), p=st.integers(1, 6), seed=st.integers(0, 2**32 - 1))
def test_recipe_equals_its_numpy_line(recipe: str, n: int, p: int, seed: int) -> None:
    w, b = generate.make_params(n, p, seed, recipe)
    ref = run_line(generate.numpy_line(n, p, seed, recipe))
    assert w is not None and b is not None
    assert w.shape == (n, p) and b.shape == (p,)
    assert w.tobytes() == np.asarray(ref["W"], dtype=np.float64).tobytes()
    assert b.tobytes() == np.asarray(ref["b"], dtype=np.float64).tobytes()


def test_default_matches_the_course_notebook() -> None:
    np.random.seed(42)
    w_ref = np.random.randn(3, 2)
    b_ref = np.random.randn(2)
    w, b = generate.make_params(3, 2, 42)
    assert np.array_equal(w, w_ref) and np.array_equal(b, b_ref)


def test_only_b_drawn_starts_the_stream_at_b() -> None:
    _, b = generate.make_params(3, 2, 5, want_w=False)
    assert np.array_equal(b, np.random.RandomState(5).randn(2))
    assert generate.numpy_line(3, 2, 5, want_w=False) == "np.random.seed(5); b = np.random.randn(2)"


@given(
    st.integers(1, 5),
    st.one_of(st.none(), st.integers(1, 5)),
    st.integers(0, 1000),
    st.sampled_from([1.0, 0.01, 3.0]),
    st.booleans(),
)
def test_random_matrix_equals_its_line(
    r: int, c: int | None, seed: int, scale: float, uniform: bool
) -> None:
    shape = (r,) if c is None else (r, c)
    a = generate.random_matrix(shape, seed, scale, uniform)
    seed_call, expr = generate.random_line(shape, seed, scale, uniform).split("; ", 1)
    ns: dict[str, object] = {"np": np}
    exec(f"{seed_call}; A = {expr}", ns)  # noqa: S102
    assert a.tobytes() == np.asarray(ns["A"]).tobytes()


def test_random_3_by_2_seed_0_is_numpys() -> None:
    np.random.seed(0)
    assert np.array_equal(generate.random_matrix((3, 2), 0), np.random.randn(3, 2))


@pytest.mark.parametrize("shape", [(0, 3), (-1,), (3, 0)])
def test_non_positive_sizes_refused(shape: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="positive"):
        generate.random_matrix(shape, 0)


def test_absurd_size_says_memory() -> None:
    with pytest.raises(MemoryError, match="GiB"):
        generate.random_matrix((10**6, 10**6), 0)


@pytest.mark.parametrize("seed", [-1, 2**32])
def test_seed_range(seed: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        generate.random_matrix((2,), seed)
