"""What a learner following the course hit (issue 21): each case as the issue tells it."""

from __future__ import annotations

import numpy as np

from nncalc.render.layer import relu_note
from nncalc.shapes import Labels, plan
from tests.conftest import assert_one_error_line, run_nncalc

X = "[[1,2,3,2.5],[2,5,-1,2],[-1.5,2.7,3.3,-0.8]]"
W = "[[0.2,0.8,-0.5,1],[0.5,-0.91,0.26,-0.5],[-0.26,-0.27,0.17,0.87]]"  # one row per neuron
TTY = {"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"}
TYPED = Labels("X (3×4)", "W (3×4)", "b (3,)")


def test_no_pick_one_footer_once_a_neuron_is_picked() -> None:
    args = ["explain", X, "-w", W, "-b", "[2,3,0.5]", "--layout", "out-in", "--sample", "1"]
    picked = run_nncalc(*args, "--neuron", "1").stdout.decode()
    assert "-1.81" in picked and "pick one with --neuron" not in picked
    shown = run_nncalc(*args[:-2], "--sample", "1", "--neuron", "0").stdout.decode()
    assert "more neurons" not in shown
    wide = run_nncalc("explain", X, "-w", "[" + ",".join(["[1,1,1,1]"] * 9) + "]", "-b", "0",
                      "--layout", "out-in").stdout.decode()  # fmt: skip
    assert "… 1 more neuron: pick one with --neuron" in wide  # 9 neurons, 8 shown


def test_a_typed_operand_is_named_by_role_and_shape_once() -> None:
    r = run_nncalc("forward", X, "-w", W, "-b", "[2,3,0.5]")
    line = assert_one_error_line(
        r, 1, "X is 3×4 (3 samples, 4 features) but W is 3×4 (3 inputs → 4 neurons)"
    )
    assert "[[" not in line and "…" not in line
    assert line.count("3×4") == 2  # each shape once; the cut-off text never
    assert "W needs 4 rows, one per feature" in line and "W looks transposed" in line
    r = run_nncalc("forward", "[1,2,3]", "-w", "[1,2]", "-b", "0")
    assert_one_error_line(r, 1, "X is 1×3 (1 sample, 3 features) but W has 2 weights")
    r = run_nncalc("forward", "1,2", "-w", "1,2;3,4", "-b", "[1,2,3]")
    assert_one_error_line(r, 1, "b has 3 biases but W has 2 neurons: b needs 2 values")


def test_transposed_hint_drops_what_b_rules_out() -> None:
    # X 3×4 and W 3×4 (the course's p×n): W transposed gives p = 3, X transposed p = 4
    pl = plan((3, 4), (3, 4), (3,), labels=TYPED)
    assert "W looks transposed" in str(pl.problems[0].hint)
    assert "X looks transposed" not in str(pl.problems[0].hint)
    pl = plan((3, 4), (3, 4), (4,), labels=TYPED)  # b of 4 fits X transposed only
    assert pl.problems[0].hint is not None
    assert pl.problems[0].hint.startswith("X looks transposed")
    both = plan((3, 4), (3, 4), None, labels=TYPED).problems[0].hint  # no b: both stay
    assert both is not None and "W looks" in both and "; or X looks" in both
    one = plan((3, 4), (3, 4), (1,), labels=TYPED).problems[0].hint  # one bias fits either
    assert one is not None and "; or " in one


def test_shapes_says_which_step_fails() -> None:
    sum_fails = run_nncalc("shapes", X, "-w", W, "-b", "[2,3]", "--layout", "out-in",
                           "-f", "table", env=TTY).stdout.decode()  # fmt: skip
    assert "X·W is 3×3, but b does not fit it: the sum is not defined" in sum_fails
    assert "product is not defined" not in sum_fails
    product_fails = run_nncalc("shapes", X, "-w", W, "-b", "[2,3,0.5]", "-f", "table",
                               env=TTY).stdout.decode()  # fmt: skip
    assert "the product is not defined" in product_fails
    assert "hint: W looks transposed: try --layout out-in" in product_fails
    assert "X looks transposed" not in product_fails


def test_relu_clipping_is_said_under_a() -> None:
    out = run_nncalc("forward", X, "-w", W, "-b", "[2,3,0.5]", "--layout", "out-in",
                     "-f", "table", env=TTY).stdout.decode()  # fmt: skip
    assert "ReLU clipped 1 of 9 values to 0 (dimmed); --activation linear shows Z itself" in out
    args = ["forward", X, "-w", W, "-b", "[2,3,0.5]", "--layout", "out-in", "-f", "table"]
    linear = run_nncalc(*args, "--activation", "linear", env=TTY).stdout.decode()
    assert "-1.81" in linear.split("A = ")[-1] and "clipped" not in linear
    piped = run_nncalc("forward", X, "-w", W, "-b", "[2,3,0.5]", "--layout", "out-in")
    assert b"clipped" not in piped.stdout + piped.stderr  # data only down a pipe
    assert relu_note(np.array([[1.0, 2.0]])) is None
    assert relu_note(np.array([[-1.0, 0.0], [-2.0, 3.0]]), partial=True) == (
        "ReLU clipped 2 of the 4 values shown to 0 (dimmed); --activation linear shows Z itself"
    )


def test_explain_writes_each_neuron_as_the_course_does_then_the_numbers() -> None:
    out = run_nncalc("explain", X, "-w", W, "-b", "[2,3,0.5]", "--layout", "out-in",
                     "--sample", "1").stdout.decode()  # fmt: skip
    assert (
        "z2 = a1·w12 + a2·w22 + a3·w32 + a4·w42 + b2\n"
        "   = (2)(0.5) + (5)(-0.91) + (-1)(0.26) + (2)(-0.5) + 3 = -1.81 → ReLU → 0\n"
    ) in out
    assert out.count(" = a1·w1") == 3


def test_names_stay_readable_past_nine() -> None:
    from nncalc.core import Layer, forward
    from nncalc.explain import terms

    layer = Layer(np.ones((12, 10)), np.zeros(10))
    x = np.ones((1, 12))
    (t,) = terms(x, layer, forward(x, layer.w, layer.b), 0, [9])
    assert t.formula() == "z10 = a1·w1,10 + a2·w2,10 + a3·w3,10 + a4·w4,10 + … + a9·w9,10 + " \
        "a10·w10,10 + a11·w11,10 + a12·w12,10 + b10"  # fmt: skip
