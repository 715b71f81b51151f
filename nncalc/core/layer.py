"""One dense layer, A = act(X·W + b), in plain numpy.

A row's result depends on that row and the layer only.  BLAS picks kernels, thread splits
and edge code by the matrix sizes, so ``x[:3] @ w`` need not equal ``(x @ w)[:3]`` to the
last bit.  So every product a layer computes has one shape: blocks of exactly
:func:`block_rows` rows, the last block filled up with zero rows, W padded to a multiple
of 8 columns when it is wide (OpenBLAS's SkylakeX kernels give a ragged last column group
position-dependent bits), and a float32 layer multiplies in float64 and rounds the product
once (OpenBLAS's Haswell sgemm gives a row other bits at another place in its block;
dgemm does not).  Whole file, stream chunks, a batch of files, a Dask block: a row's bits
are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from nncalc.errors import Hint, InputError, ShapeError
from nncalc.i18n import _
from nncalc.shapes import Labels, Layout, Plan, plan

from .activations import Activation
from .activations import activation as activation_of

Array = NDArray[np.floating]
WIDE = 64  # above this many neurons, W is multiplied with its columns padded to 8 (see top)


def relu(z: Array) -> Array:
    """max(0, z) in place, with +0.0 for -0.0 (numpy's SIMD maximum keeps the sign of a
    zero, and a "-0.0" in ReLU's output would puzzle every reader)."""
    np.maximum(z, 0.0, out=z)
    return np.add(z, 0.0, out=z)


def block_rows(n: int, p: int) -> int:
    """Rows per matmul block: a power of two, about 32 MiB of inputs+outputs at most.
    Every block a layer multiplies has exactly this many rows (see :meth:`Layer.apply`)."""
    rows = 4096
    while rows > 1 and rows * (n + p) * 8 > 32 * 2**20:
        rows //= 2
    return rows


class Pass(NamedTuple):
    """Every stage of one layer's forward pass.

    Attributes
    ----------
    z : ndarray, shape (m, p) or (p,)
        The affine part, X·W + b.
    a : ndarray, same shape as ``z``
        The activation applied to ``z``.
    """

    z: Array
    a: Array

    def _repr_html_(self) -> str:
        """In a notebook: Z and A as tables, ReLU's zeros greyed and counted."""
        from nncalc.diagram.notebook import pass_html  # plain strings, no Rich

        return pass_html(self)


def cast(a: np.ndarray, dtype: DTypeLike, operand: str = "W") -> Array:
    """``a`` as ``dtype``; a finite value the narrower type cannot hold is refused, naming
    the operand and the value (numpy would warn and make it inf, and Z would take the
    blame)."""
    dt = np.dtype(dtype)
    if a.dtype == dt:
        return a
    with np.errstate(over="ignore"):
        out = a.astype(dt)
    if a.dtype.kind == "f" and dt.kind == "f" and dt.itemsize < a.dtype.itemsize:
        lost = np.isinf(out) & np.isfinite(a)
        if lost.any():
            value = float(a[lost].flat[0])
            hint = Hint("dtype", "float64")
            err = InputError(
                _("{operand} holds {value}, beyond {dtype}'s range (±{most})").format(
                    operand=operand, value=repr(value), dtype=dt.name, most=str(np.finfo(dt).max)
                ),
                expected=_("values {dtype} can hold, or {hint}").format(dtype=dt.name, hint=hint),
            )
            err.hint = hint
            raise err
    return out


def _float(a: ArrayLike, dtype: DTypeLike | None = None, operand: str = "W") -> Array:
    arr = np.asarray(a)
    if dtype is not None:
        return cast(arr, dtype, operand)
    return arr if arr.dtype.kind == "f" else arr.astype(np.float64)


@dataclass(frozen=True, eq=False, init=False)
class Layer:
    """One dense layer: weights W (n×p, inputs × neurons), biases b (p,), an activation.

    Lists are fine; b defaults to zeros; a 1-D W is one neuron's n weights.  A layer is
    callable on one sample (n,) or on rows (m×n).

    >>> Layer([[1.0, -1.0], [2.0, 0.5]], [0.0, 0.5])([1.0, 1.0])
    array([3., 0.])

    The activation is given by name or as an :class:`Activation`; the attribute is always
    its name (``"leaky_relu:0.2"``), the one a model file holds, and :attr:`act` the
    function.
    """

    w: Array  # (n, p), C-contiguous
    b: Array  # (p,), never -0.0
    activation: str
    name: str | None = None
    _act: Activation = field(init=False, repr=False)

    def __init__(
        self,
        w: ArrayLike,
        b: ArrayLike | None = None,
        activation: str | Activation = "relu",
        name: str | None = None,
    ) -> None:
        w2 = _float(w)
        if w2.ndim == 1:
            w2 = w2.reshape(-1, 1)
        if w2.ndim != 2 or 0 in w2.shape:
            raise ShapeError(
                _("a layer's W is a non-empty n×p matrix, got shape {shape}").format(shape=w2.shape)
            )
        p = w2.shape[1]
        b2 = np.zeros(p, dtype=w2.dtype) if b is None else _float(b, w2.dtype, "b")
        if b2.size == 1 and p != 1:
            b2 = np.full(p, b2.reshape(-1)[0], dtype=w2.dtype)
        if b2.size != p or (b2.ndim == 2 and 1 not in b2.shape) or b2.ndim > 2:
            raise ShapeError(
                _("a layer with {p} neurons wants b of shape ({p},), got {shape}").format(
                    p=p, shape=b2.shape
                )
            )
        act = activation_of(activation)
        object.__setattr__(self, "w", np.ascontiguousarray(w2))
        # +0.0 for -0.0: then x·w + b can never be -0.0, which keeps ReLU one pass
        object.__setattr__(self, "b", np.add(b2.reshape(p), 0.0, dtype=w2.dtype))
        object.__setattr__(self, "activation", act.spec)
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "_act", act)

    @property
    def act(self) -> Activation:
        return self._act

    @property
    def n(self) -> int:
        return int(self.w.shape[0])

    @property
    def p(self) -> int:
        return int(self.w.shape[1])

    @property
    def bias(self) -> Array:
        return self.b

    @property
    def step(self) -> int:
        return block_rows(self.n, self.p)

    @property
    def multiplier(self) -> Array:
        """W as every block is multiplied by it: float64 (a float32 layer's products are
        rounded once from float64), with zero columns up to a multiple of 8 when p > 64."""
        wm: Array | None = self.__dict__.get("_wm")
        if wm is None:
            wm = np.asarray(self.w, dtype=np.float64)
            if self.p > WIDE and self.p % 8:
                wm = np.pad(wm, ((0, 0), (0, -self.p % 8)))
            wm = np.ascontiguousarray(wm)
            object.__setattr__(self, "_wm", wm)
        return wm

    def product(self, x: np.ndarray, out: Array) -> Array:
        """``out[:] = x @ W`` (x m×n, any float dtype), each row's bits independent of m
        and of the row's place: every matmul is one block of exactly :attr:`step` rows by
        :attr:`multiplier`, the last block's missing rows zeros (no row's result depends
        on another's values)."""
        m, step, wm = x.shape[0], self.step, self.multiplier
        direct = wm.shape[1] == self.p and wm.dtype == out.dtype
        full = m // step * step
        buf = None if direct and full == m else np.empty((step, wm.shape[1]), wm.dtype)
        for start in range(0, m, step):
            stop = min(start + step, m)
            if stop - start == step:
                # C order whatever x's layout: BLAS takes another path for transposed inputs
                part = self._rows(x[start:stop])
            else:
                part = np.zeros((step, self.n), wm.dtype)
                part[: stop - start] = self._rows(x[start:stop])
            if direct and stop - start == step:
                np.matmul(part, wm, out=out[start:stop])
                continue
            assert buf is not None
            np.matmul(part, wm, out=buf)
            with np.errstate(over="ignore"):  # a float32 Z past its range: the caller checks Z
                out[start:stop] = buf[: stop - start, : self.p]
        return out

    def _rows(self, x: np.ndarray) -> Array:
        """Rows in the layer's dtype (a float32 layer sees its inputs rounded to float32),
        as C-ordered float64 for the multiplication."""
        if x.dtype != self.w.dtype:
            x = x.astype(self.w.dtype)
        return np.ascontiguousarray(x, dtype=np.float64)

    def __getstate__(self) -> dict[str, object]:
        state = dict(self.__dict__)
        state.pop("_wm", None)  # rebuilt on first use: a Dask task ships W once
        return state

    def astype(self, dtype: DTypeLike) -> Layer:
        """The same layer computing in ``dtype`` (float32 or float64)."""
        if self.w.dtype == np.dtype(dtype):
            return self
        w, b = self._named("W"), self._named("b")
        return Layer(cast(self.w, dtype, w), cast(self.bias, dtype, b), self.act, self.name)

    def _named(self, operand: str) -> str:
        return operand if self.name is None else f"{operand} of {self.name}"

    def __call__(self, x: ArrayLike) -> Array:
        return self.apply(x).a

    def apply(
        self,
        x: ArrayLike,
        out: Array | None = None,
        *,
        keep_z: bool = False,
        on_z: Callable[[Array], object] | None = None,
        on_a: Callable[[Array], object] | None = None,
    ) -> Pass:
        """Forward rows ``x`` (m×n), or one sample (n,); with ``keep_z=False`` Z is
        computed in ``out`` and overwritten by A, so a stream holds one buffer per chunk.
        ``on_z`` sees Z before the activation, ``on_a`` sees A when the activation can
        turn a finite Z into inf (leaky ReLU steeper than 1): the CLI checks both."""
        xa = np.asarray(x)
        if xa.ndim < 2:
            if xa.size != self.n:
                raise ShapeError(
                    _("one sample of {k} features, but W is {n}×{p}").format(
                        k=xa.size, n=self.n, p=self.p
                    )
                )
            res = self.apply(xa.reshape(1, self.n), keep_z=keep_z, on_z=on_z, on_a=on_a)
            return Pass(res.z[0], res.a[0])
        if xa.shape[1] != self.n:
            raise ShapeError(
                _("X is {m}×{k} but W is {n}×{p}: W needs {k} rows, one per feature").format(
                    m=xa.shape[0], k=xa.shape[1], n=self.n, p=self.p
                )
            )
        m = xa.shape[0]
        if out is None:
            out = np.empty((m, self.p), dtype=self.w.dtype)
        self.product(xa, out)
        out += self.bias
        if on_z is not None:
            on_z(out)
        act = self.act
        res = Pass(out, act(out, None)) if keep_z else Pass(out, act(out, out))
        if on_a is not None and not act.bounded:
            on_a(res.a)
        return res


def _float_dtype(dtype: DTypeLike | None, *arrays: np.ndarray | None) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    dt = np.result_type(*(a for a in arrays if a is not None))
    return dt if np.issubdtype(dt, np.floating) else np.dtype(np.float64)


def prepare(
    x_shape: tuple[int, ...],
    w: ArrayLike,
    b: ArrayLike | None = None,
    activation: str | Activation = "relu",
    *,
    layout: Layout = "in-out",
    labels: Labels = Labels(),
    dtype: DTypeLike | None = None,
) -> tuple[Layer, Plan]:
    """Check W and b against inputs of shape ``x_shape`` and build the :class:`Layer`.

    Only X's shape is needed, so a stream can be checked before its rows arrive.

    Raises
    ------
    ShapeError
        With every problem the shapes have, in learner's words (see :mod:`nncalc.shapes`).
    """
    w_arr = np.asarray(w)
    b_arr = None if b is None else np.asarray(b)
    pl = plan(x_shape, w_arr.shape, None if b_arr is None else b_arr.shape, layout, labels)
    if not pl.ok or pl.n is None or pl.p is None:
        error = ShapeError(pl.message())
        error.hint = pl.fix  # the fix as data: Hint("layout", "out-in")
        raise error
    return layer_of(pl, w_arr, b_arr, activation, dtype), pl


def layer_of(
    pl: Plan,
    w: np.ndarray,
    b: np.ndarray | None,
    activation: str | Activation = "relu",
    dtype: DTypeLike | None = None,
    name: str | None = None,
) -> Layer:
    """The :class:`Layer` that a fitting :class:`Plan` describes (W turned to n×p)."""
    assert pl.n is not None and pl.p is not None
    dt = _float_dtype(dtype, w, b)
    wn, bn = ("W", "b") if name is None else (f"W of {name}", f"b of {name}")
    w2 = cast(w, dt, wn)
    w2 = w2.reshape(-1, 1) if w.ndim < 2 else w2
    if pl.transpose_w:
        w2 = w2.T
    w2 = np.ascontiguousarray(w2.reshape(pl.n, pl.p))
    if b is None:
        b2 = np.zeros(pl.p, dtype=dt)
    else:
        b2 = np.broadcast_to(cast(b, dt, bn).reshape(-1), (pl.p,)).copy()
    return Layer(w2, b2, activation, name)


def forward(
    x: ArrayLike,
    w: ArrayLike,
    b: ArrayLike | None = None,
    activation: str | Activation = "relu",
    *,
    layout: Layout = "in-out",
    labels: Labels = Labels(),
    dtype: DTypeLike | None = None,
) -> Pass:
    """One dense layer's forward pass, every stage kept.

    Parameters
    ----------
    x : array_like, shape (m, n), or (n,) for a single sample
        Inputs: one row per sample, one column per feature.
    w : array_like, shape (n, p)
        Weights: one column per neuron.  A single neuron may be a vector, one row or
        one column of n values; ``layout="out-in"`` takes W as p×n (PyTorch).
    b : array_like, shape (p,), a 1×p/p×1 vector or a scalar, optional
        Biases, one per neuron, broadcast over the samples.  Default 0.
    activation : str
        relu, linear, sigmoid, tanh, leaky_relu (or ``leaky_relu:0.2``), softmax.
    layout : {"in-out", "out-in"}
    labels : Labels
        Names used in error messages (file names, from the CLI).
    dtype : dtype, optional
        Computation type; default float64 unless every operand is float32.

    Returns
    -------
    Pass
        ``z`` and ``a``, shape (m, p), or (p,) when x was a single sample.

    Raises
    ------
    ShapeError
        When the shapes do not fit; the message says which dimension and why.

    Examples
    --------
    >>> r = forward([0.9, 0.5, 0.7], [0.8, -0.4, 0.0], 1)
    >>> r.z, r.a
    (array([1.52]), array([1.52]))
    """
    x_arr = np.asarray(x)
    dt = _float_dtype(dtype, x_arr, np.asarray(w), None if b is None else np.asarray(b))
    layer, pl = prepare(x_arr.shape, w, b, activation, layout=layout, labels=labels, dtype=dt)
    res = layer.apply(x_arr.reshape(-1, layer.n), keep_z=True)
    if pl.single_sample:
        return Pass(res.z[0], res.a[0])
    return res


def regroup(blocks: Iterable[np.ndarray], step: int) -> Iterator[np.ndarray]:
    """Row blocks regrouped so every block but the last holds a multiple of ``step`` rows
    (so only the last is padded: a matter of speed, never of bits).  Rows are copied only
    to bridge two blocks."""
    carry: np.ndarray | None = None  # fewer than `step` rows, waiting for the next block
    for blk in blocks:
        if carry is not None:
            head = np.concatenate([carry, blk[: step - len(carry)]])
            blk = blk[step - len(carry) :]
            if len(head) < step:
                carry = head
                continue
            carry = None
            yield head
        cut = len(blk) // step * step
        if cut:
            yield blk[:cut]
        if cut < len(blk):
            carry = blk[cut:]
    if carry is not None:
        yield carry


def stream(blocks: Iterable[np.ndarray], layer: Layer) -> Iterator[Array]:
    """Forward a stream of row blocks (m_i×n), yielding A block by block: the bits of a
    whole run, however it was chunked (regrouped only so that just the last block is
    padded)."""
    for blk in regroup(blocks, layer.step):
        yield layer.apply(blk).a
