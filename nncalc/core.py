"""The forward pass of a dense layer, A = act(X·W + b), in plain numpy.

No I/O and no CLI here: ``from nncalc import forward`` works in a notebook.

Rows are multiplied in fixed blocks of :func:`block_rows` rows.  BLAS picks different
kernels for different matrix sizes, so ``x[:3] @ w`` need not equal ``(x @ w)[:3]`` to
the last bit; computing every input in the same row blocks makes a row's result
independent of how the rows arrived (whole file, stream chunks or a batch of files).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from .errors import ShapeError
from .shapes import Labels, Layout, Plan, plan

Array = NDArray[np.floating]


def relu(z: Array) -> Array:
    """max(0, z) in place, with +0.0 for -0.0 (numpy's SIMD maximum keeps the sign of a
    zero, and a "-0.0" in ReLU's output would puzzle every reader)."""
    np.maximum(z, 0.0, out=z)
    return np.add(z, 0.0, out=z)


# name → f(z, out) for the z = x·w + b of a Layer: into ``out`` (in place when it is z),
# or a new array when out is None (A beside a kept Z).  A Layer stores b with -0.0 made
# +0.0, so its z never holds -0.0 and ReLU needs one pass, not relu()'s two.
ACTIVATIONS: dict[str, Callable[[Array, Array | None], Array]] = {
    "relu": lambda z, out: np.maximum(z, 0.0, out=out),
    "linear": lambda z, out: z if out is z else z.copy(),
}


def block_rows(n: int, p: int) -> int:
    """Rows per matmul block: a power of two, about 32 MiB of inputs+outputs at most."""
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


@dataclass(frozen=True)
class Layer:
    """One dense layer, weights already in nncalc's n×p (inputs × neurons) layout.

    A network is a sequence of layers (see :func:`forward_chain`); streaming code calls
    :meth:`apply` chunk by chunk.
    """

    w: Array  # (n, p)
    b: Array  # (p,)
    activation: str = "relu"

    def __post_init__(self) -> None:
        # +0.0 for -0.0: then x·w + b can never be -0.0, which keeps ReLU one pass
        object.__setattr__(self, "b", np.add(self.b, 0.0, dtype=self.b.dtype))
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"unknown activation {self.activation!r}; known: {', '.join(ACTIVATIONS)}"
            )
        if self.w.ndim != 2 or self.b.shape != (self.w.shape[1],):
            raise ShapeError(f"Layer wants W n×p and b (p,), got {self.w.shape} and {self.b.shape}")

    @property
    def n(self) -> int:
        return int(self.w.shape[0])

    @property
    def p(self) -> int:
        return int(self.w.shape[1])

    def apply(self, x: Array, out: Array | None = None, *, keep_z: bool = False) -> Pass:
        """Forward rows ``x`` (m×n); with ``keep_z=False`` Z is computed in ``out`` and
        overwritten by A, so a stream holds one buffer per chunk."""
        m = x.shape[0]
        if out is None:
            out = np.empty((m, self.p), dtype=self.w.dtype)
        step = block_rows(self.n, self.p)
        for start in range(0, m, step):
            # C order whatever x's layout: BLAS takes another path for transposed inputs
            part = np.ascontiguousarray(x[start : start + step], dtype=self.w.dtype)
            np.matmul(part, self.w, out=out[start : start + step])
        out += self.b
        act = ACTIVATIONS[self.activation]
        return Pass(out, act(out, None)) if keep_z else Pass(out, act(out, out))


def _float_dtype(dtype: DTypeLike | None, *arrays: np.ndarray | None) -> np.dtype:
    if dtype is not None:
        return np.dtype(dtype)
    dt = np.result_type(*(a for a in arrays if a is not None))
    return dt if np.issubdtype(dt, np.floating) else np.dtype(np.float64)


def prepare(
    x_shape: tuple[int, ...],
    w: ArrayLike,
    b: ArrayLike | None = None,
    activation: str = "relu",
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
        With every problem the shapes have, in learner's words (see :mod:`.shapes`).
    """
    w_arr = np.asarray(w)
    b_arr = None if b is None else np.asarray(b)
    pl = plan(x_shape, w_arr.shape, None if b_arr is None else b_arr.shape, layout, labels)
    if not pl.ok or pl.n is None or pl.p is None:
        raise ShapeError(pl.message())
    dt = _float_dtype(dtype, w_arr, b_arr)
    w2 = w_arr.astype(dt).reshape(-1, 1) if w_arr.ndim < 2 else w_arr.astype(dt)
    if pl.transpose_w:
        w2 = w2.T
    w2 = np.ascontiguousarray(w2.reshape(pl.n, pl.p))
    if b_arr is None:
        b2 = np.zeros(pl.p, dtype=dt)
    else:
        b2 = np.broadcast_to(b_arr.astype(dt).reshape(-1), (pl.p,)).copy()
    return Layer(w2, b2, activation), pl


def forward(
    x: ArrayLike,
    w: ArrayLike,
    b: ArrayLike | None = None,
    activation: str = "relu",
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
    activation : {"relu", "linear"}
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


def stream(blocks: Iterable[np.ndarray], layer: Layer) -> Iterator[Array]:
    """Forward a stream of row blocks (m_i×n), yielding A block by block.

    Every :meth:`Layer.apply` call starts on a multiple of :func:`block_rows` counted
    from the first row, so the output is bit-identical to forwarding the whole input at
    once, however it was chunked.  Rows are copied only to bridge two blocks.
    """
    step = block_rows(layer.n, layer.p)
    carry: np.ndarray | None = None  # fewer than `step` rows, waiting for the next block
    for blk in blocks:
        if carry is not None:
            head = np.concatenate([carry, blk[: step - len(carry)]])
            blk = blk[step - len(carry) :]
            if len(head) < step:
                carry = head
                continue
            carry = None
            yield layer.apply(head).a
        cut = len(blk) // step * step
        if cut:
            yield layer.apply(blk[:cut]).a
        if cut < len(blk):
            carry = blk[cut:]
    if carry is not None:
        yield layer.apply(carry).a


def forward_chain(x: ArrayLike, layers: Sequence[Layer] | Iterable[Layer]) -> list[Pass]:
    """Run rows ``x`` (m×n) through layers in order; one :class:`Pass` per layer."""
    out: list[Pass] = []
    cur: Array = np.atleast_2d(np.asarray(x, dtype=np.float64))
    for layer in layers:
        if cur.shape[1] != layer.n:
            raise ShapeError(
                f"layer {len(out) + 1} expects {layer.n} inputs but receives {cur.shape[1]}"
            )
        res = layer.apply(cur, keep_z=True)
        out.append(res)
        cur = res.a
    return out
