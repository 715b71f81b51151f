"""Shape rules and the sentences that explain them."""

from __future__ import annotations

import pytest

from nncalc.shapes import Labels, dims, plan

FILES = Labels("inputs.csv", "weights.csv", "biases.csv")


def test_the_brief_example_message() -> None:
    pl = plan((3, 4), (3, 2), (2,), labels=FILES)
    assert not pl.ok
    assert pl.problems[0].message == (
        "inputs.csv is 3×4 (3 samples, 4 features) but weights.csv is 3×2 "
        "(3 inputs → 2 neurons): weights.csv needs 4 rows, one per feature"
    )
    assert pl.problems[0].marks == {"x": (1,), "w": (0,)}


def test_w_given_transposed_suggests_the_layout() -> None:
    pl = plan((5, 3), (2, 3), (2,), labels=FILES)
    assert pl.problems[0].hint == 'weights.csv looks transposed: try layout="out-in"'
    assert pl.fix is not None and pl.fix.flag == "--layout out-in"


def test_x_given_transposed_is_named() -> None:
    pl = plan((3, 5), (3, 2), (2,), labels=FILES)
    assert "inputs.csv looks transposed" in (pl.problems[0].hint or "")


def test_bias_of_the_wrong_length_says_what_it_needs() -> None:
    pl = plan((5, 3), (3, 2), (3,), labels=FILES)
    assert pl.problems[0].message == (
        "biases.csv has 3 biases but weights.csv has 2 neurons: biases.csv needs 2 values, "
        "one per neuron"
    )
    assert pl.problems[0].hint == "biases.csv has one value per feature; biases belong to neurons"


def test_bias_matrix_refused() -> None:
    assert "biases are a vector" in plan((4, 3), (3, 2), (4, 2)).message()


@pytest.mark.parametrize(
    ("x", "w", "b", "m", "n", "p", "out"),
    [
        ((3,), (3,), (), 1, 3, 1, (1,)),
        ((3,), (3, 2), (2,), 1, 3, 2, (2,)),
        ((4, 3), (1, 3), (1,), 4, 3, 1, (4, 1)),
        ((4, 1), (1, 5), (5,), 4, 1, 5, (4, 5)),
        ((), (), None, 1, 1, 1, (1,)),
    ],
)
def test_accepted_shapes(x, w, b, m, n, p, out) -> None:  # type: ignore[no-untyped-def]
    pl = plan(x, w, b)
    assert pl.ok, pl.message()
    assert (pl.m, pl.n, pl.p, pl.out_shape) == (m, n, p, out)


def test_out_in_layout() -> None:
    pl = plan((4, 3), (2, 3), (2,), layout="out-in")
    assert pl.ok and pl.transpose_w and pl.p == 2


def test_higher_rank_is_explained() -> None:
    assert "3 dimensions" in plan((2, 2, 2), (2, 2)).message()
    assert "3 dimensions" in plan((2, 2), (2, 2, 1)).message()


def test_dims_text() -> None:
    assert dims((3, 2)) == "3×2"
    assert dims((3,)) == "(3,)"
    assert dims(()) == "a single number"
