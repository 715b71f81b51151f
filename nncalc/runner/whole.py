"""X read whole (or not at all) and the network it meets: what ``shapes``, ``explain``,
``draw`` and ``inspect`` compute on.  Without X, the network's input width comes from
the one rule in :func:`nncalc.operands.layers.width_without_x`, so these commands and
``forward`` always agree on what a request means."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from nncalc.formats import Matrix
from nncalc.operands import Operands, Request, gather, load_optional

from .hooks import Hooks


@dataclass(frozen=True, kw_only=True)
class Whole:
    """X as read whole (None: no X was named) and every layer's parameters."""

    x: Matrix | None
    ops: Operands

    @property
    def x_shape(self) -> tuple[int, ...] | None:
        return None if self.x is None else self.x.values.shape


def load_whole(req: Request, hooks: Hooks, *, verbose: bool = False) -> Whole:
    """Read X (when the request names it, or a parameters file holds it) and gather the
    layers for its shape; with ``verbose``, say what was detected."""
    with ExitStack() as stack:
        x, from_file = load_optional(req, stack)
        if x is None:
            ops = gather(req, None, "X", from_file, stack)
        else:
            ops = gather(req, x.values.shape, x.source, from_file, stack)
    found = ([x.detected()] if x is not None else []) + list(ops.details)
    hooks.details(verbose, found, ops.generated, False)
    return Whole(x=x, ops=ops)
