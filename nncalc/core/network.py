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

    A row's output bits depend on that row and the network alone: every layer multiplies
    in blocks of one fixed shape (see :meth:`nncalc.core.layer.Layer.product`), so no
    row's result depends on its neighbours, on how the input was cut or where it came from.
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
        on_z: Callable[..., object] | None = None,
    ) -> Array:
        """The output for rows ``x`` (m×n) or one sample (n,); ``upto=K`` stops after
        layer K (1-based), like slicing ``model[:K]``.  ``on_z(k, Z)`` sees each layer's
        Z, and ``on_z(k, A, stage="A")`` its A when the activation can overflow (the CLI
        refuses the first inf either way)."""
        cur = np.asarray(x)
        for k, layer in enumerate(self.layers[:upto], 1):
            if on_z is None:
                cur = layer.apply(cur).a
            else:
                z_hook = functools.partial(on_z, k)
                a_hook = functools.partial(on_z, k, stage="A")
                cur = layer.apply(cur, on_z=z_hook, on_a=a_hook).a
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
        """Forward row blocks (m_i×n) as they arrive, yielding the output block by block.
        Blocks are regrouped at multiples of :attr:`step` only so that no more than the
        last group is padded: any cut gives the same bits."""
        for group in regroup(blocks, self.step):
            yield self(group, upto)

    def apply_at(
        self,
        rows: ArrayLike,
        first_row: int,
        total_rows: int,
        upto: int | None = None,
        on_z: Callable[..., object] | None = None,
    ) -> Array:
        """The output for ``rows`` (m×n), rows ``first_row …`` of an input of ``total_rows``
        rows (a Dask block): ``self(rows)``, since a row's bits never depend on its
        neighbours or its place.  ``on_z(row, k, Z)`` sees layer k's Z for the rows
        from ``row`` of the whole input on (and A as :meth:`__call__` says).

        >>> net = Network([Layer([[1.0, 2.0]], [0.5, -0.5], "linear")])
        >>> net.apply_at([[3.0]], first_row=5000, total_rows=9000)
        array([[3.5, 5.5]])
        """
        x = np.asarray(rows)
        end = first_row + len(x)
        if first_row < 0 or end > total_rows or x.ndim != 2:
            raise ValueError(
                f"rows {first_row}…{end} (shape {x.shape}) are not a piece of {total_rows} rows"
            )
        return self(x, upto, None if on_z is None else functools.partial(on_z, first_row))


def forward_chain(x: ArrayLike, layers: Sequence[Layer] | Iterable[Layer]) -> list[Pass]:
    """Run rows ``x`` (m×n) through layers in order; one :class:`Pass` per layer."""
    net = Network(layers)
    cur = np.atleast_2d(np.asarray(x, dtype=np.float64))
    if cur.shape[1] != net.n:
        raise ShapeError(
            _("layer 1 expects {n} inputs but receives {k}").format(n=net.n, k=cur.shape[1])
        )
    return net.forward(cur)
