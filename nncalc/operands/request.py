"""What the user named, and how missing parameters were drawn: shared by every command."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from nncalc.formats import ReadOptions
from nncalc.i18n import _
from nncalc.models import LoadOptions
from nncalc.shapes import Layout


@dataclass(frozen=True, kw_only=True)
class Generated:
    """How missing parameters were drawn, so the run can be replayed."""

    recipe: str
    seed: int
    made_w: bool
    made_b: bool
    line: str
    fresh: bool = False  # the seed was drawn, not given: it must be shown

    def caption(self) -> str:
        return _("init {recipe}, seed {seed}: {line}").format(
            recipe=self.recipe, seed=self.seed, line=self.line
        )


@dataclass(frozen=True, kw_only=True)
class Request:
    """What the user named; any of it may be missing (then stdin, params or a draw).

    ``weights``/``biases`` hold one name per layer (repeated -w/-b, the k-th -w paired
    with the k-th -b); ``neurons`` one size per layer; ``activations`` one name for every
    layer or one per layer (empty: relu, or what a model file says); ``n_inputs`` the
    width of X when there is no X (``--inputs``).
    """

    inputs: str | None = None
    weights: tuple[str, ...] = ()
    biases: tuple[str, ...] = ()
    params: str | None = None
    neurons: tuple[int, ...] = ()
    n_inputs: int | None = None
    seed: int | None = None
    init: str = "randn"
    layout: Layout = "in-out"
    read: ReadOptions = ReadOptions()
    model: str | None = None
    model_options: LoadOptions = LoadOptions()
    activations: tuple[str, ...] = ()

    def replace(self, **changes: object) -> Request:
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    @property
    def names(self) -> tuple[str, ...]:
        """Every file this request names (outputs must never overwrite them)."""
        named = (self.inputs, *self.weights, *self.biases, self.params, self.model)
        return tuple(n for n in named if n)
