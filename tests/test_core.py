"""The math: golden values from the course, laws, and an independent oracle."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nncalc import Layer, ShapeError, forward, forward_chain, prepare, stream
from nncalc.core import block_rows, relu
from nncalc.examples import ALL
from tests.strategies import finite, layers


def naive(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The oracle: loops, as a learner would write them on paper."""
    m, n = x.shape
    p = w.shape[1]
    out = np.zeros((m, p))
    for i in range(m):
        for j in range(p):
            z = b[j]
            for k in range(n):
                z += x[i, k] * w[k, j]
            out[i, j] = max(0.0, z)
    return out


@pytest.mark.parametrize("name", list(ALL))
def test_worked_examples(name: str) -> None:
    ex = ALL[name]
    r = forward(ex["x"], ex["w"], ex["b"])
    np.testing.assert_allclose(r.z, ex["z"], atol=1e-12)
    np.testing.assert_allclose(r.a, ex["a"], atol=1e-12)
    assert r.a.shape == np.shape(ex["a"])


def test_single_sample_gives_a_vector_and_one_row_gives_a_row() -> None:
    ex = ALL["layer"]
    assert forward(ex["x"], ex["w"], ex["b"]).a.shape == (2,)
    assert forward([ex["x"]], ex["w"], ex["b"]).a.shape == (1, 2)


@pytest.mark.parametrize("w", [[0.8, -0.4, 0.0], [[0.8, -0.4, 0.0]], [[0.8], [-0.4], [0.0]]])
def test_single_neuron_weights_in_any_orientation(w: object) -> None:
    r = forward([0.9, 0.5, 0.7], w, 1.0)
    np.testing.assert_allclose(r.z, [1.52], atol=1e-12)


def test_out_in_layout_transposes_w() -> None:
    ex = ALL["batch"]
    w_t = np.array(ex["w"]).T
    expected = forward(ex["x"], ex["w"], ex["b"]).a
    assert np.array_equal(forward(ex["x"], w_t, ex["b"], layout="out-in").a, expected)
    with pytest.raises(ShapeError, match='looks transposed: try layout="out-in"'):
        forward(ex["x"], w_t, ex["b"])


@pytest.mark.parametrize("b", [0.5, [0.5], [[0.5, 0.5]], [[0.5], [0.5]], [0.5, 0.5]])
def test_bias_vectors_and_scalars_broadcast(b: object) -> None:
    ex = ALL["batch"]
    assert np.array_equal(forward(ex["x"], ex["w"], b).a, forward(ex["x"], ex["w"], ex["b"]).a)


def test_bias_matrix_is_refused_not_broadcast() -> None:
    x = np.ones((2, 3))
    w = np.ones((3, 2))
    with pytest.raises(ShapeError, match="biases are a vector"):
        forward(x, w, np.ones((2, 2)))  # numpy would broadcast this m×p "bias"
    with pytest.raises(ShapeError, match="b needs 2 values"):
        forward(x, w, [1.0, 2.0, 3.0])


@given(layers())
def test_forward_equals_plain_numpy(xwb: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    x, w, b = xwb
    r = forward(x, w, b)
    # nncalc multiplies one zero-padded block (a row's bits never depend on its
    # neighbours): numpy's product of that block, to the last bit
    pad = np.zeros((block_rows(*w.shape), w.shape[0]))
    pad[: len(x)] = x
    z = (pad @ w)[: len(x)] + b
    assert np.array_equal(r.z, z) and np.array_equal(r.a, np.maximum(z, 0))
    if len(x) > 1:  # and for 2+ rows of layers this small, numpy's own X @ W + b too
        assert np.array_equal(r.z, x @ w + b)


@given(layers())
def test_forward_matches_naive_loops(xwb: tuple[np.ndarray, np.ndarray, np.ndarray]) -> None:
    x, w, b = xwb
    # summation order differs from BLAS: bound by n·eps·Σ|x·w| + |b|
    scale = np.abs(x) @ np.abs(w) + np.abs(b)
    tol = (x.shape[1] + 2) * np.finfo(float).eps * scale
    assert (np.abs(forward(x, w, b).a - naive(x, w, b)) <= tol).all()


@given(arrays(np.float64, st.integers(1, 30), elements=st.floats(allow_nan=False, width=64)))
def test_relu_laws(z: np.ndarray) -> None:
    a = relu(z.copy())
    assert (a >= 0).all()
    assert not np.signbit(a).any()  # never -0.0
    assert np.array_equal(relu(a.copy()), a)  # idempotent
    assert np.array_equal(a[z > 0], z[z > 0])


@given(layers(max_m=40), st.lists(st.integers(1, 17), min_size=1, max_size=6))
def test_streaming_is_bit_identical_whatever_the_chunks(
    xwb: tuple[np.ndarray, np.ndarray, np.ndarray], sizes: list[int]
) -> None:
    x, w, b = xwb
    layer, _ = prepare(x.shape, w, b)
    chunks, i, k = [], 0, 0
    while i < len(x):
        chunks.append(x[i : i + sizes[k % len(sizes)]])
        i += sizes[k % len(sizes)]
        k += 1
    out = np.concatenate(list(stream(chunks, layer)))
    assert out.tobytes() == forward(x, w, b).a.tobytes()


@pytest.mark.slow
def test_streaming_is_bit_identical_across_blocks() -> None:
    # Big enough for several BLAS blocks, where kernel choice would otherwise differ.
    rng = np.random.default_rng(7)
    x, w, b = rng.standard_normal((20_000, 100)), rng.standard_normal((100, 3)), np.zeros(3)
    layer, _ = prepare(x.shape, w, b)
    whole = forward(x, w, b).a
    assert block_rows(100, 3) < len(x)
    for size in (1, 999, 4096, 7001):
        chunks = (x[i : i + size] for i in range(0, len(x), size))
        assert np.concatenate(list(stream(chunks, layer))).tobytes() == whole.tobytes()


def test_float32_stays_float32() -> None:
    ex = ALL["batch"]
    r = forward(np.float32(ex["x"]), np.float32(ex["w"]), np.float32(ex["b"]))
    assert r.a.dtype == np.float32
    assert forward(ex["x"], ex["w"], ex["b"], dtype=np.float32).a.dtype == np.float32


def test_chain_of_layers_starts_with_one() -> None:
    ex = ALL["batch"]
    first, _ = prepare(np.shape(ex["x"]), ex["w"], ex["b"])
    second = Layer(np.ones((2, 1)), np.zeros(1), "linear")
    passes = forward_chain(ex["x"], [first, second])
    assert np.array_equal(passes[0].a, forward(ex["x"], ex["w"], ex["b"]).a)
    np.testing.assert_allclose(passes[1].a[:, 0], passes[0].a.sum(axis=1))
    with pytest.raises(ShapeError, match=r"layer 2: W2 is 3×1, so it wants 3 values per sample"):
        forward_chain(ex["x"], [first, Layer(np.ones((3, 1)), np.zeros(1))])


def test_layer_rejects_bad_parts() -> None:
    with pytest.raises(ValueError, match="unknown activation"):
        Layer(np.ones((2, 2)), np.zeros(2), "swish")
    with pytest.raises(ShapeError):
        Layer(np.ones((2, 2)), np.zeros(3))


@given(arrays(np.float64, (3, 2), elements=finite))
def test_scalar_bias_broadcasts_to_every_neuron(w: np.ndarray) -> None:
    x = np.ones((4, 3))
    assert np.array_equal(forward(x, w, 0.25).z, forward(x, w, [0.25, 0.25]).z)


@pytest.mark.parametrize(("n", "p"), [(1, 1), (3, 2), (8, 3), (32, 16), (100, 7), (128, 128)])
def test_blas_thread_cap_does_not_change_results(n: int, p: int) -> None:
    # For these shapes one BLAS thread and two agree; for others (5×700, 700×3) they do
    # not, which is why engines.local fixes the count per network, never per input.
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(n * 1000 + p)
    x, w, b = rng.standard_normal((9000, n)), rng.standard_normal((n, p)), rng.standard_normal(p)
    layer, _ = prepare(x.shape, w, b)
    threaded = layer.apply(x).a.copy()
    with threadpool_limits(limits=1, user_api="blas"):
        assert layer.apply(x).a.tobytes() == threaded.tobytes()
