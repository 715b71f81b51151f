"""Activations against scipy.special at the extremes, and the laws a learner relies on."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.special as sp
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nncalc.core import ACTIVATIONS, Layer, Network, activation

huge = st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False, width=64)


def ulps(a: np.ndarray, b: np.ndarray) -> float:
    """The largest distance between a and b in units of the last place of b."""
    spacing = np.spacing(np.abs(b).astype(np.float64))
    return float(
        np.max(np.abs(a - b) / np.maximum(spacing, np.finfo(np.float64).smallest_subnormal))
    )


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=huge))
def test_sigmoid_meets_expit(z: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = activation("sigmoid")(z)
    assert ulps(got, sp.expit(z)) <= 4


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=huge))
def test_softmax_meets_scipy_per_sample(z: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = activation("softmax")(z)
    want = sp.softmax(z, axis=1)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(got.sum(axis=1), 1.0, rtol=1e-12)


@given(arrays(np.float64, st.tuples(st.integers(1, 5), st.integers(1, 6)), elements=huge))
def test_tanh_and_leaky_relu_and_linear(z: np.ndarray) -> None:
    assert np.array_equal(activation("tanh")(z), np.tanh(z) + 0.0)
    assert np.array_equal(activation("leaky_relu")(z), np.where(z > 0, z, 0.01 * z) + 0.0)
    assert np.array_equal(activation("leaky_relu:0.2")(z), np.where(z > 0, z, 0.2 * z) + 0.0)
    assert np.array_equal(activation("linear")(z), z)


def test_the_extremes_of_the_issue() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert activation("sigmoid")(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
        s = activation("softmax")(np.array([[1000.0, 1001.0]]))
    np.testing.assert_allclose(s, sp.softmax([[1000.0, 1001.0]], axis=1), rtol=1e-15)
    assert np.isfinite(s).all()


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_no_negative_zero_ever(name: str) -> None:
    z = np.array([[-0.0, -5e-324, -1e-320, 0.0, 1e-320, -1e-300]])
    out = activation(name)(z.copy() + 0.0)
    assert not np.any((out == 0) & np.signbit(out)), (name, out)
    layer = Layer(np.array([[1.0] * 6]), np.full(6, -0.0), name)
    a = layer([[-0.0]])
    assert not np.any((a == 0) & np.signbit(a)), (name, a)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_in_place_equals_new_array(name: str) -> None:
    z = np.linspace(-3, 3, 12).reshape(3, 4)
    fresh = activation(name)(z)
    buf = z.copy()
    assert activation(name)(buf, buf) is buf
    assert np.array_equal(buf, fresh)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("swish", "unknown activation 'swish'; known: relu, linear, sigmoid, tanh"),
        ("leaky_relu:x", "leaky_relu's slope must be a number, got 'x'"),
        ("relu:0.2", "relu takes no parameter"),
        ("leaky_relu:inf", "must be finite"),
    ],
)
def test_bad_specs_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        activation(spec)


def test_spec_round_trips() -> None:
    assert activation("leaky_relu:0.2").spec == "leaky_relu:0.2"
    assert activation("leaky_relu").spec == "leaky_relu"
    assert activation("Leaky-ReLU:0.01").spec == "leaky_relu"
    assert activation(activation("softmax").spec).name == "softmax"


def test_network_of_lists_in_three_lines() -> None:
    net = Network([Layer([[1, 2], [3, 4]], [0, 0]), Layer([[1], [-1]], None, "sigmoid")])
    out = net([[1.0, 1.0], [0.0, 1.0]])
    z1 = np.maximum(np.array([[1.0, 1.0], [0.0, 1.0]]) @ np.array([[1, 2], [3, 4]]), 0)
    np.testing.assert_array_equal(out, sp.expit(z1 @ np.array([[1.0], [-1.0]])))
    assert net([1.0, 1.0]).shape == (1,)
