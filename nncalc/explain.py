"""The arithmetic behind one output value, term by term, as a teacher writes it.

Pure data: :func:`terms` picks the numbers, :mod:`nncalc.render` draws them.  The value
shown as ``z`` is the one :func:`nncalc.core.forward` computed, not a re-summation, so
``explain`` never disagrees with ``forward`` in the last digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from .core import Layer, Pass
from .errors import UsageError
from .i18n import ngettext


def _g(v: float) -> str:
    return f"{v:.6g}"


def _p(v: float) -> str:
    # a probability near 1 needs its digits: −log(0.9999999) is not −log(1)
    return f"{v:.10g}"


def worked(layer: Layer, z: float) -> str | None:
    """The activation's formula with this z put in (None for ReLU and linear, whose
    arrow needs no words)."""
    act = layer.act
    if act.name == "sigmoid":
        return f"1 / (1 + e^(-({_g(z)})))"
    if act.name == "tanh":
        return f"tanh({_g(z)})"
    if act.name == "leaky_relu":
        slope = act.param if act.param is not None else 0.01
        return f"{_g(z)} > 0, so a = z" if z > 0 else f"{_g(z)} ≤ 0, so a = {slope:g}·({_g(z)})"
    return None


def softmax_exps(z_row: np.ndarray) -> tuple[tuple[float, ...], bool]:
    """e^(z_k) for one sample, or e^(z_k − max z) when e^z would overflow (then True)."""
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(z_row)
        if np.isfinite(e).all() and e.sum() > 0:
            return tuple(float(v) for v in e), False
        return tuple(float(v) for v in np.exp(z_row - z_row.max())), True


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
    # how a is made from z when it is not plain ReLU/linear: the formula with the number
    # put in (sigmoid, tanh, leaky ReLU), or softmax's exponentials and their sum
    worked: str | None = None
    exps: tuple[float, ...] | None = None


def pick_index(value: int | None, size: int, what: str, option: str) -> int:
    """A 0-based index, negative counting from the end like Python; else a clear error."""
    if value is None:
        return 0
    if not -size <= value < size:
        from .shapes import plural

        message = ngettext(
            "{option} {value} is out of range: there is {count} (0 to {last})",
            "{option} {value} is out of range: there are {count} (0 to {last})",
            size,
        )
        raise UsageError(
            message.format(option=option, value=value, count=plural(size, what), last=size - 1)
        )
    return value % size


def terms(
    x: np.ndarray, layer: Layer, res: Pass, sample: int, neurons: list[int], single: bool = False
) -> list[Term]:
    """One :class:`Term` per neuron for row ``sample`` of ``x`` (m×n)."""
    z2, a2 = np.atleast_2d(res.z), np.atleast_2d(res.a)
    act = layer.act
    name = "ReLU" if act.name == "relu" else act.name
    exps, shifted = softmax_exps(z2[sample]) if act.name == "softmax" else (None, False)
    return [
        Term(
            None if single else sample,
            j,
            tuple(float(v) for v in x[sample]),
            tuple(float(v) for v in layer.w[:, j]),
            float(layer.bias[j]),
            float(z2[sample, j]),
            float(a2[sample, j]),
            name,
            "z − max z" if shifted else worked(layer, float(z2[sample, j])),
            exps,
        )
        for j in neurons
    ]


def loss_line(
    loss_name: str,
    a_row: np.ndarray,
    y: np.ndarray,
    sample: int,
    classes: Sequence[str] | None = None,
) -> str:
    """One sample's loss with its numbers put in: its true class, that class's
    probability p and −log p (p clipped to [eps, 1 − eps], as scikit-learn clips), or
    for mse/mae the differences from the true values."""
    a = np.atleast_1d(a_row).astype(np.float64)
    eps = float(np.finfo(np.asarray(a_row).dtype).eps)
    if loss_name in ("cross_entropy", "binary_cross_entropy"):
        c = int(y)
        name = f"{classes[c]} ({c})" if classes else str(c)
        if loss_name == "cross_entropy":
            p, where = float(a[c]), f"A[{sample},{c}]"
        else:  # one output, the probability of class 1
            p, where = (float(a[0]), f"A[{sample},0]") if c == 1 else (
                1 - float(a[0]), f"1 − A[{sample},0] = 1 − {_g(float(a[0]))}")  # fmt: skip
        clipped = min(max(p, eps), 1 - eps)
        note = f", clipped to {_p(clipped)}" if clipped != p else ""
        return (f"loss of sample {sample}: true class {name}; p = {where} = {_p(p)}{note}; "
                f"−log({_p(clipped)}) = {_g(-np.log(clipped))}")  # fmt: skip
    t = np.atleast_1d(y).astype(np.float64)
    if loss_name == "mse":
        parts = " + ".join(f"({_g(v)} − {_g(w)})²" for v, w in zip(t, a, strict=True))
        value = float(np.mean((t - a) ** 2))
    else:
        parts = " + ".join(f"|{_g(v)} − {_g(w)}|" for v, w in zip(t, a, strict=True))
        value = float(np.mean(np.abs(t - a)))
    over = f"({parts}) / {len(a)}" if len(a) > 1 else parts
    return f"loss of sample {sample} ({loss_name}): {over} = {_g(value)}"
