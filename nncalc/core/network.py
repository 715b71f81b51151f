"""A dense network: layers applied in order, each layer's A the next one's X.

>>> net = Network([Layer([[1.0, -1.0]], [0.0, 0.0]), Layer([[1.0], [1.0]], [0.5], "linear")])
>>> net([[2.0]])
array([[2.5]])
>>> [(r.z.shape, r.a.shape) for r in net.forward([[2.0], [3.0]])]
[((2, 2), (2, 2)), ((2, 1), (2, 1))]
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, overload

import numpy as np
from numpy.typing import ArrayLike, DTypeLike

from nncalc.errors import ShapeError
from nncalc.i18n import _

from .layer import Array, Layer, Pass, regroup

if TYPE_CHECKING:
    from nncalc.diagram.notebook import Picture


def _dims(rows: str, cols: int) -> str:
    return f"{rows}×{cols}"


def chain_problem(k: int, layer: Layer, incoming: int, name: str | None = None) -> str:
    """Why layer ``k`` (1-based) cannot take the previous layer's ``incoming`` outputs."""
    w = name or f"W{k}"
    text = _(
        "layer {k}: {w} is {shape}, so it wants {ins} values per sample, but layer "
        "{prev} gives {q} (A{prev} is m×{q})"
    ).format(k=k, w=w, shape=f"{layer.n}×{layer.p}", ins=layer.n, prev=k - 1, q=incoming)
    if layer.p == incoming:
        question = _("is {w} transposed?").format(w=w)
        text = _("{message}: {question}").format(message=text, question=question)
    return text


class Network:
    """Layers in order.  ``net(x)`` is the output; ``net.forward(x)`` keeps every layer's
    Z and A; ``net.stream(blocks)`` forwards a stream bit-identically to a whole run.

    Every layer multiplies its input in fixed row blocks from the first row (see
    :func:`nncalc.core.layer.block_rows`); a stream is regrouped at multiples of the
    largest block, a multiple of every layer's, so no row's result depends on chunking.
    """

    def __init__(self, layers: Iterable[Layer]) -> None:
        self.layers: tuple[Layer, ...] = tuple(layers)
        if not self.layers:
            raise ShapeError(_("a network needs at least one layer"))
        for k in range(1, len(self.layers)):
            prev, cur = self.layers[k - 1], self.layers[k]
            if cur.n != prev.p:
                raise ShapeError(chain_problem(k + 1, cur, prev.p, cur.name))
        dtypes = {layer.w.dtype for layer in self.layers}
        if len(dtypes) > 1:
            self.layers = tuple(layer.astype(np.float64) for layer in self.layers)

    def __repr__(self) -> str:
        sizes = "→".join([str(self.n), *(str(layer.p) for layer in self.layers)])
        acts = ", ".join(layer.act.spec for layer in self.layers)
        return f"Network({sizes}; {acts})"

    def _repr_html_(self) -> str:
        """In a notebook: one row per layer and the picture."""
        from nncalc.diagram.notebook import network_html  # plain strings, no Rich

        return network_html(self)

    def draw(self, x: ArrayLike | None = None, sample: int = 0) -> Picture:
        """The picture (as ``nncalc draw`` makes it), with row ``sample`` of ``x``'s
        numbers in the nodes when ``x`` is given; it shows itself in a notebook."""
        from nncalc.diagram.notebook import picture_of

        return picture_of(self, x, sample)

    def __len__(self) -> int:
        return len(self.layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    @overload
    def __getitem__(self, k: int) -> Layer: ...
    @overload
    def __getitem__(self, k: slice) -> Network: ...
    def __getitem__(self, k: int | slice) -> Layer | Network:
        if isinstance(k, slice):
            return Network(self.layers[k])
        return self.layers[k]

    @property
    def n(self) -> int:
        """Inputs per sample."""
        return self.layers[0].n

    @property
    def p(self) -> int:
        """Outputs per sample (the last layer's neurons)."""
        return self.layers[-1].p

    @property
    def dtype(self) -> np.dtype:
        return self.layers[0].w.dtype

    @property
    def step(self) -> int:
        """Rows per stream group: the largest layer block (all are powers of two)."""
        return max(layer.step for layer in self.layers)

    def astype(self, dtype: DTypeLike) -> Network:
        return Network(layer.astype(dtype) for layer in self.layers)

    def __call__(
        self,
        x: ArrayLike,
        upto: int | None = None,
        on_z: Callable[[int, Array], object] | None = None,
    ) -> Array:
        """The output for rows ``x`` (m×n) or one sample (n,); ``upto=K`` stops after
        layer K (1-based), like slicing ``model[:K]``; ``on_z(k, Z)`` sees each layer's Z."""
        cur = np.asarray(x)
        for k, layer in enumerate(self.layers[:upto], 1):
            hook = None if on_z is None else functools.partial(on_z, k)
            cur = layer.apply(cur, on_z=hook).a
        return cur

    def forward(self, x: ArrayLike) -> list[Pass]:
        """Every layer's Z and A, in order."""
        out: list[Pass] = []
        cur: ArrayLike = x
        for layer in self.layers:
            res = layer.apply(cur, keep_z=True)
            out.append(res)
            cur = res.a
        return out

    trace = forward

    def stream(self, blocks: Iterable[np.ndarray], upto: int | None = None) -> Iterator[Array]:
        """Forward row blocks (m_i×n) as they arrive, yielding the output block by block."""
        for group in regroup(blocks, self.step):
            yield self(group, upto)

    def apply_at(
        self,
        rows: ArrayLike,
        first_row: int,
        total_rows: int,
        upto: int | None = None,
        on_z: Callable[[int, int, Array], object] | None = None,
    ) -> Array:
        """The output for ``rows`` (m×n), rows ``first_row …`` of an input of ``total_rows``
        rows, bit-identical to those rows of ``self(whole_input)``.

        For a piece of an input cut anywhere (a Dask block): a row's result depends on
        the shape of the matmul it is in and its place there, so each group of
        :attr:`step` rows cut by the piece's ends is rebuilt at its full size with zero
        rows standing for the missing ones (no row's result depends on another's
        values), computed, and the padding dropped.  ``on_z(row, k, Z)`` sees layer k's
        Z for the rows from ``row`` of the whole input on.

        >>> net = Network([Layer([[1.0, 2.0]], [0.5, -0.5], "linear")])
        >>> net.apply_at([[3.0]], first_row=5000, total_rows=9000)
        array([[3.5, 5.5]])
        """
        x = np.asarray(rows)
        m = len(x)
        end = first_row + m
        if first_row < 0 or end > total_rows or x.ndim != 2:
            raise ValueError(
                f"rows {first_row}…{end} (shape {x.shape}) are not a piece of {total_rows} rows"
            )
        g = self.step
        out: list[Array] = []
        start = first_row
        while start < end:
            gs = start // g * g  # the group this row is in, as a whole run groups it
            ge = min(gs + g, total_rows)
            if start == gs:
                # aligned: every whole group from here on is computed as one piece
                stop = end if end == total_rows else max(end // g * g, gs)
                if stop > start:
                    hook = None if on_z is None else functools.partial(on_z, start)
                    out.append(self(x[start - first_row : stop - first_row], upto, hook))
                    start = stop
                    continue
            stop = min(ge, end)
            padded = np.zeros((ge - gs, x.shape[1]), dtype=x.dtype)
            padded[start - gs : stop - gs] = x[start - first_row : stop - first_row]
            hook = None if on_z is None else functools.partial(on_z, gs)
            out.append(self(padded, upto, hook)[start - gs : stop - gs])
            start = stop
        if not out:
            return self(x, upto, None if on_z is None else functools.partial(on_z, first_row))
        return out[0] if len(out) == 1 else np.concatenate(out)


def forward_chain(x: ArrayLike, layers: Sequence[Layer] | Iterable[Layer]) -> list[Pass]:
    """Run rows ``x`` (m×n) through layers in order; one :class:`Pass` per layer."""
    net = Network(layers)
    cur = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if cur.shape[1] != net.n:
        raise ShapeError(
            _("layer 1 expects {n} inputs but receives {k}").format(n=net.n, k=cur.shape[1])
        )
    return net.forward(cur)
