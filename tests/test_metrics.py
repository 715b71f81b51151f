"""nncalc.core.metrics against sklearn.metrics on models trained in scikit-learn, and
the law that makes streaming safe: any cut of the rows gives the same bits."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nncalc.core import Layer, Network
from nncalc.core.metrics import LOSSES, BlockSum, Evaluation, Scores, per_class, predicted
from tests.sklearn_models import activations, trained

metrics = pytest.importorskip("sklearn.metrics")
REL = 1e-9


def network_of(name: str) -> Network:
    model, _, _ = trained(name)
    acts = activations(name).split(",")
    return Network(
        Layer(w, b, act) for w, b, act in zip(model.coefs_, model.intercepts_, acts, strict=True)
    )


def evaluate(a: np.ndarray, y: np.ndarray, loss: str, k: int | None, cuts: int = 1) -> Scores:
    ev = Evaluation(LOSSES[loss], k)
    for a_part, y_part in zip(np.array_split(a, cuts), np.array_split(y, cuts), strict=True):
        ev.add(a_part, y_part)
    return ev.scores()


def check_classes(s: Scores, y: np.ndarray, pred: np.ndarray, k: int) -> None:
    labels = list(range(k))
    assert s.accuracy == pytest.approx(metrics.accuracy_score(y, pred), rel=REL)
    assert s.confusion is not None and s.per_class is not None
    np.testing.assert_array_equal(s.confusion, metrics.confusion_matrix(y, pred, labels=labels))
    p, r, f, sup = metrics.precision_recall_fscore_support(
        y, pred, labels=labels, zero_division=0.0
    )
    np.testing.assert_allclose(s.per_class.precision, p, rtol=REL)
    np.testing.assert_allclose(s.per_class.recall, r, rtol=REL)
    np.testing.assert_allclose(s.per_class.f1, f, rtol=REL)
    np.testing.assert_array_equal(s.per_class.support, sup)


def test_iris_softmax_matches_sklearn() -> None:
    model, x, y = trained("iris")
    a = network_of("iris")(x)
    np.testing.assert_allclose(a, model.predict_proba(x), rtol=1e-12)
    s = evaluate(a, y, "cross_entropy", 3, cuts=7)
    assert s.samples == 150
    assert s.value == pytest.approx(metrics.log_loss(y, a, labels=[0, 1, 2]), rel=REL)
    pred = predicted(a)
    np.testing.assert_array_equal(pred, model.predict(x))
    check_classes(s, y, pred, 3)


def test_breast_cancer_sigmoid_matches_sklearn() -> None:
    model, x, y = trained("breast_cancer")
    a = network_of("breast_cancer")(x)
    assert a.shape == (569, 1)
    np.testing.assert_allclose(a[:, 0], model.predict_proba(x)[:, 1], rtol=1e-12)
    s = evaluate(a, y, "binary_cross_entropy", 2, cuts=5)
    assert s.value == pytest.approx(metrics.log_loss(y, a[:, 0]), rel=REL)
    pred = predicted(a)
    np.testing.assert_array_equal(pred, model.predict(x))  # the binary rule: p > 0.5
    check_classes(s, y, pred, 2)


@pytest.mark.parametrize("loss", ["mse", "mae"])
def test_regression_matches_sklearn(loss: str) -> None:
    model, x, y = trained("diabetes")
    a = network_of("diabetes")(x)
    np.testing.assert_allclose(a[:, 0], model.predict(x), rtol=1e-9)
    s = evaluate(a, y.reshape(-1, 1), loss, None, cuts=3)
    oracle = metrics.mean_squared_error if loss == "mse" else metrics.mean_absolute_error
    assert s.value == pytest.approx(oracle(y, a[:, 0]), rel=REL)
    assert s.accuracy is None and s.confusion is None


def test_multi_output_regression_averages_outputs_as_sklearn() -> None:
    rs = np.random.RandomState(3)
    a, y = rs.randn(1000, 3), rs.randn(1000, 3)
    for loss, oracle in (("mse", metrics.mean_squared_error),
                         ("mae", metrics.mean_absolute_error)):  # fmt: skip
        assert evaluate(a, y, loss, None, 4).value == pytest.approx(oracle(y, a), rel=REL)


def test_probabilities_are_clipped_at_the_dtype_eps_as_sklearn() -> None:
    a = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    y = np.array([1, 1, 0])  # the first row gives its true class probability 0
    s = evaluate(a, y, "cross_entropy", 2)
    assert np.isfinite(s.value)
    assert s.value == pytest.approx(metrics.log_loss(y, a, labels=[0, 1]), rel=REL)
    p = np.array([[0.0], [1.0], [1.0]])
    yb = np.array([1, 1, 0])
    assert evaluate(p, yb, "binary_cross_entropy", 2).value == pytest.approx(
        metrics.log_loss(yb, p[:, 0], labels=[0, 1]), rel=REL
    )


def test_per_class_is_zero_where_undefined() -> None:
    pc = per_class(np.array([[2, 0, 0], [1, 0, 0], [0, 0, 0]]))
    np.testing.assert_array_equal(pc.precision, [2 / 3, 0, 0])
    np.testing.assert_array_equal(pc.recall, [1, 0, 0])
    np.testing.assert_array_equal(pc.support, [2, 1, 0])


def test_threshold_moves_the_binary_rule() -> None:
    a = np.array([[0.2], [0.5], [0.7]])
    np.testing.assert_array_equal(predicted(a), [0, 0, 1])
    np.testing.assert_array_equal(predicted(a, 0.1), [1, 1, 1])


@given(
    arrays(np.float64, st.integers(0, 300), elements=st.floats(-1e6, 1e6)),
    st.lists(st.integers(0, 300), max_size=8),
)
def test_any_cut_gives_the_same_bits(values: np.ndarray, cuts: list[int]) -> None:
    whole = BlockSum(block=16)
    whole.add(values)
    cut = BlockSum(block=16)
    for part in np.split(values, sorted(c for c in cuts if c <= len(values))):
        cut.add(part)
    assert cut.count == whole.count == len(values)
    assert np.float64(cut.value()).tobytes() == np.float64(whole.value()).tobytes()


@given(st.integers(1, 2000), st.lists(st.integers(1, 1999), max_size=6), st.integers(0, 99))
def test_evaluation_is_cut_invariant(m: int, cuts: list[int], seed: int) -> None:
    rs = np.random.RandomState(seed)
    z = rs.randn(m, 3) * 4
    a = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    y = rs.randint(0, 3, m)
    points = sorted(c for c in cuts if c < m)

    def run(parts: list[int]) -> Scores:
        ev = Evaluation(LOSSES["cross_entropy"], 3, block=64)
        for ap, yp in zip(np.split(a, parts), np.split(y, parts), strict=True):
            ev.add(ap, yp)
        return ev.scores()

    whole, cut = run([]), run(points)
    assert np.float64(whole.value).tobytes() == np.float64(cut.value).tobytes()
    assert whole.confusion is not None and cut.confusion is not None
    np.testing.assert_array_equal(whole.confusion, cut.confusion)


@given(
    values=arrays(np.float64, st.integers(0, 300), elements=st.floats(-1e6, 1e6)),
    cuts=st.lists(st.integers(0, 300), max_size=8),
    block=st.sampled_from([1, 2, 7, 16, 64]),
)
def test_slices_merged_in_order_are_the_whole_sums_bits(
    values: np.ndarray, cuts: list[int], block: int
) -> None:
    """Each slice summed on its own from its first row (a Dask task's block), then
    merged in row order: the bits of one sum over every row."""
    whole = BlockSum(block)
    whole.add(values)
    edges = sorted({0, len(values), *(c for c in cuts if c <= len(values))})
    merged = BlockSum(block)
    for lo, hi in zip(edges, edges[1:], strict=False):
        part = BlockSum(block, start=lo)
        for piece in np.array_split(values[lo:hi], 3):  # a task's rows come in chunks too
            part.add(piece)
        merged.merge(part.part())
    assert merged.count == whole.count == len(values)
    assert merged.value().hex() == whole.value().hex()


def test_a_slice_merged_out_of_order_is_refused() -> None:
    part = BlockSum(4, start=8)
    part.add(np.ones(3))
    with pytest.raises(ValueError, match="from row 8 merged after 0 rows"):
        BlockSum(4).merge(part.part())


@pytest.mark.parametrize(("loss", "k"), [("cross_entropy", 3), ("binary_cross_entropy", 2),
                                         ("mse", None), ("mae", None)])  # fmt: skip
def test_evaluations_of_slices_merge_into_the_whole_ones_bits(loss: str, k: int | None) -> None:
    rs = np.random.RandomState(3)
    m = 3 * 4096 + 1234
    if loss == "cross_entropy":
        z = rs.randn(m, 3)
        a, y = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), rs.randint(0, 3, m)
    elif loss == "binary_cross_entropy":
        a, y = rs.uniform(0, 1, (m, 1)), rs.randint(0, 2, m)
    else:
        a, y = rs.randn(m, 2), rs.randn(m, 2)
    whole = Evaluation(LOSSES[loss], k)
    whole.add(a, y)
    merged = Evaluation(LOSSES[loss], k)
    edges = [0, 1, 4095, 4096, 5000, 9000, 12288, 12300, m]
    for lo, hi in zip(edges, edges[1:], strict=False):
        part = Evaluation(LOSSES[loss], k, start=lo)
        part.add(a[lo:hi], y[lo:hi])
        merged.merge(part.part())
    got, want = merged.scores(), whole.scores()
    assert got.value.hex() == want.value.hex() and got.samples == want.samples == m
    if k is not None:
        assert got.confusion is not None and want.confusion is not None
        np.testing.assert_array_equal(got.confusion, want.confusion)
