"""Activation functions: one record each, numerically sound at the extremes.

Every function writes into ``out`` (in place when ``out`` is ``z``) or returns a new array
when ``out`` is None, so a stream holds one buffer per chunk.  None of them returns -0.0:
a learner reading "-0" in a table would rightly be puzzled.  Floating-point warnings are
silenced where the result is the right limit (exp underflowing to 0, a difference of two
huge logits overflowing to -inf before exp makes it 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nncalc import i18n

Array = NDArray[np.floating]
Fn = Callable[[Array, "Array | None", float], Array]


def _relu(z: Array, out: Array | None, _: float) -> Array:
    # a Layer's z is never -0.0 (its b holds +0.0 for -0.0), so one pass suffices
    return np.maximum(z, 0.0, out=out)


def _linear(z: Array, out: Array | None, _: float) -> Array:
    if out is z:
        return z
    if out is None:
        return z.copy()
    np.copyto(out, z)
    return out


def _sigmoid(z: Array, out: Array | None, _: float) -> Array:
    # exp of -|z| never overflows: 1/(1+e^-z) for z ≥ 0, e^z/(1+e^z) below
    out = np.empty_like(z) if out is None else out
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        pos = z >= 0
        np.divide(np.where(pos, 1.0, e), 1.0 + e, out=out)
    return out


def _tanh(z: Array, out: Array | None, _: float) -> Array:
    out = np.tanh(z, out=out)
    return np.add(out, 0.0, out=out)


def _leaky_relu(z: Array, out: Array | None, slope: float) -> Array:
    with np.errstate(under="ignore", over="ignore"):  # an overflow is the caller's to check
        res = np.where(z > 0, z, z * slope)
    res += 0.0  # a tiny negative z times the slope can underflow to -0.0
    if out is None:
        return res
    np.copyto(out, res)
    return out


def _softmax(z: Array, out: Array | None, _: float) -> Array:
    # over each sample's outputs (the last axis), shifted by the row's maximum
    zz: Array = np.atleast_2d(z)
    with np.errstate(over="ignore", under="ignore"):
        e = np.exp(zz - zz.max(axis=-1, keepdims=True))
        e /= e.sum(axis=-1, keepdims=True)
    e = np.reshape(e, z.shape)
    if out is None:
        return e
    np.copyto(out, e)
    return out


@dataclass(frozen=True)
class Activation:
    """An activation as every layer of nncalc needs it: the function, its name for
    tables, the formula ``explain`` writes out, and its parameter (leaky_relu's slope)."""

    name: str
    label: str
    formula: str
    elementwise: bool = True
    param: float | None = None
    fn: Fn = field(default=_linear, repr=False, compare=False)

    @property
    def bounded(self) -> bool:
        """A finite Z always gives a finite A (every activation but a leaky ReLU whose
        slope is steeper than 1, where z·slope can overflow)."""
        return self.param is None or abs(self.param) <= 1

    @property
    def spec(self) -> str:
        """The text that names it on a command line or in a model file."""
        if self.param is None or self.param == DEFAULT_SLOPE:
            return self.name
        return f"{self.name}:{self.param!r}"

    def __call__(self, z: Array, out: Array | None = None) -> Array:
        res: Array = self.fn(z, out, 0.0 if self.param is None else self.param)
        return res

    def apply(self, z: Array, out: Array | None = None) -> Array:
        return self(z, out)


DEFAULT_SLOPE = 0.01

ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation("relu", "ReLU", "max(0, z)", fn=_relu),
        Activation("linear", "linear", "z", fn=_linear),
        Activation("sigmoid", "sigmoid", "1 / (1 + e^(-z))", fn=_sigmoid),
        Activation("tanh", "tanh", "tanh(z)", fn=_tanh),
        Activation(
            "leaky_relu",
            "leaky ReLU",
            "z if z > 0 else {slope}·z",
            param=DEFAULT_SLOPE,
            fn=_leaky_relu,
        ),  # fmt: skip
        Activation("softmax", "softmax", "e^(z_j) / Σ_k e^(z_k)", elementwise=False, fn=_softmax),
    )
}


def activation(spec: str | Activation) -> Activation:
    """The activation a name names: ``relu``, ``softmax``, ``leaky_relu:0.2``…

    Raises
    ------
    ValueError
        For an unknown name (listing the known ones) or a parameter that is not a number.
    """
    if isinstance(spec, Activation):
        return spec
    name, _, arg = spec.strip().partition(":")
    name = name.strip().lower().replace("-", "_")
    found = ACTIVATIONS.get(name)
    if found is None:
        raise ValueError(
            i18n._("unknown activation {spec}; known: {known}").format(
                spec=repr(spec), known=", ".join(ACTIVATIONS)
            )
        )
    if not arg:
        return found
    if found.param is None:
        raise ValueError(
            i18n._("activation {name} takes no parameter, got {spec}").format(
                name=found.name, spec=repr(spec)
            )
        )
    try:
        value = float(arg)
    except ValueError:
        raise ValueError(
            i18n._("{name}'s slope must be a number, got {arg} (e.g. {name}:0.2)").format(
                name=found.name, arg=repr(arg)
            )
        ) from None
    if not np.isfinite(value):
        raise ValueError(
            i18n._("{name}'s slope must be finite, got {arg}").format(
                name=found.name, arg=repr(arg)
            )
        )
    return Activation(found.name, found.label, found.formula, found.elementwise, value, found.fn)
