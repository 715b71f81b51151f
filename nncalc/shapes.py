"""How the given shapes of X, W and b fit one dense layer, and why they don't.

Everything here works on shapes alone, so ``nncalc shapes`` can explain a run before
(or instead of) computing it, and :func:`nncalc.core.forward` reports the very same
sentences when it refuses.  Words follow the course: samples, features, neurons.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

from nncalc.errors import Hint
from nncalc.i18n import _, ngettext

Layout = Literal["in-out", "out-in"]
Shape = tuple[int, ...]
LAYOUTS: tuple[Layout, ...] = ("in-out", "out-in")


class Labels(NamedTuple):
    """What to call each operand in messages: a file name, or the math symbol."""

    x: str = "X"
    w: str = "W"
    b: str = "b"


class Problem(NamedTuple):
    """One reason the layer cannot be computed.

    ``marks`` maps an operand (``"x"``, ``"w"``, ``"b"``) to the axes of its *given*
    shape that disagree, so a table can highlight them.
    """

    message: str
    hint: str | None = None
    marks: dict[str, tuple[int, ...]] = {}  # noqa: RUF012 - shared, never mutated
    fix: Hint | None = None  # the hint as data, when it is an option to set

    def __str__(self) -> str:
        if not self.hint:
            return self.message
        return _("{message}; {hint}").format(message=self.message, hint=self.hint)


class Plan(NamedTuple):
    """The layer a set of shapes describes: sizes, how to read W, and any problems."""

    x_shape: Shape
    w_shape: Shape
    b_shape: Shape | None
    layout: Layout
    m: int | None = None
    n: int | None = None
    p: int | None = None
    single_sample: bool = False
    transpose_w: bool = False
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def out_shape(self) -> Shape | None:
        if not self.ok or self.m is None or self.p is None:
            return None
        return (self.p,) if self.single_sample else (self.m, self.p)

    def message(self) -> str:
        return _("; ").join(str(p) for p in self.problems)

    @property
    def fix(self) -> Hint | None:
        """The first problem's fix as data (``Hint("layout", "out-in")``), if any."""
        return next((p.fix for p in self.problems if p.fix is not None), None)


def dims(shape: Shape | None) -> str:
    """``3×4`` for a matrix, ``(3,)`` for a vector, as the brief writes them."""
    if shape is None:
        return _("none")
    if len(shape) == 0:
        return _("a single number")
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "×".join(str(d) for d in shape)


# the course's countable words, each counted as a whole phrase for the translator
_COUNTED = {
    "sample": lambda k: ngettext("{k} sample", "{k} samples", k),
    "feature": lambda k: ngettext("{k} feature", "{k} features", k),
    "input": lambda k: ngettext("{k} input", "{k} inputs", k),
    "neuron": lambda k: ngettext("{k} neuron", "{k} neurons", k),
    "weight": lambda k: ngettext("{k} weight", "{k} weights", k),
    "value": lambda k: ngettext("{k} value", "{k} values", k),
    "bias": lambda k: ngettext("{k} bias", "{k} biases", k),
}


def plural(k: int, word: str) -> str:
    """``3 samples``, in the language of the screens."""
    counted = _COUNTED.get(word)
    if counted is None:
        return f"{k} {word}" if k == 1 else f"{k} {word}s"
    return counted(k).format(k=k)


def _dimensions(shape: Shape) -> str:
    return _("{k} dimensions").format(k=len(shape))


def describe_x(shape: Shape) -> str:
    if len(shape) == 2:
        return _("{samples}, {features}").format(
            samples=plural(shape[0], "sample"), features=plural(shape[1], "feature")
        )
    if len(shape) == 1:
        return _("one sample, {features}").format(features=plural(shape[0], "feature"))
    if len(shape) == 0:
        return _("one sample, 1 feature")
    return _dimensions(shape)


def describe_w(shape: Shape, layout: Layout = "in-out") -> str:
    if len(shape) == 2:
        ins, outs = shape if layout == "in-out" else shape[::-1]
        return _("{inputs} → {neurons}").format(
            inputs=plural(ins, "input"), neurons=plural(outs, "neuron")
        )
    if len(shape) == 1:
        return _("one neuron, {weights}").format(weights=plural(shape[0], "weight"))
    if len(shape) == 0:
        return _("one neuron, 1 weight")
    return _dimensions(shape)


def describe_b(shape: Shape | None) -> str:
    if shape is None:
        return _("no bias")
    size = 1
    for d in shape:
        size *= d
    return _("one bias for every neuron") if size == 1 else plural(size, "bias")


def _shape_suffix(shape: Shape) -> str:
    d = dims(shape)
    return f" {d}" if d.startswith("(") else f" ({d})"


def _short(label: str, shape: Shape | None) -> str:
    """Numbers typed in are labelled by role and shape (``W (3×4)``); a message says the
    shape itself (``W is 3×4 (…)``), so it names them ``W``."""
    if shape is not None and label.endswith(_shape_suffix(shape)):
        return label[: -len(_shape_suffix(shape))]
    return label


def _describe(label: str, shape: Shape, meaning: str) -> str:
    return _("{label} is {shape} ({meaning})").format(
        label=label, shape=dims(shape), meaning=meaning
    )


def plan(
    x_shape: Shape,
    w_shape: Shape,
    b_shape: Shape | None = None,
    layout: Layout = "in-out",
    labels: Labels = Labels(),
) -> Plan:
    """Work out m, n, p from the given shapes, or every reason they don't fit.

    Accepted, beyond the plain X (m×n), W (n×p), b (p,):

    - X as one sample: a vector (n,) or a single number; the output is then (p,).
    - W for a single neuron: a vector, one row or one column of n values.
    - ``layout="out-in"``: W given as p×n (PyTorch's ``nn.Linear.weight``).
    - b as one number (or one value) broadcast to every neuron, or a row/column vector.

    A p×1 column of biases is the vector (p,); an m×p bias is refused: numpy would
    broadcast it along the wrong axis.
    """
    problems: list[Problem] = []
    xl, wl, bl = _short(labels.x, x_shape), _short(labels.w, w_shape), _short(labels.b, b_shape)
    b_size = None if b_shape is None else math.prod(b_shape)

    # --- X -------------------------------------------------------------------------
    single = len(x_shape) < 2
    if len(x_shape) > 2:
        problems.append(
            Problem(
                _("{operand} has {k} dimensions {shape}").format(
                    operand=xl, k=len(x_shape), shape=dims(x_shape)
                ),
                _("inputs are a matrix with one row per sample and one column per feature"),
                {"x": tuple(range(len(x_shape)))},
            )
        )
        return Plan(x_shape, w_shape, b_shape, layout, problems=tuple(problems))
    m, n = x_shape if len(x_shape) == 2 else (1, x_shape[0] if x_shape else 1)
    if m == 0 or n == 0:
        empty = _("{x} is empty ({shape})").format(x=xl, shape=dims(x_shape))
        problems.append(Problem(empty, None, {"x": (0,)}))
        return Plan(x_shape, w_shape, b_shape, layout, problems=tuple(problems))
    x_desc = _describe(xl, x_shape, describe_x(x_shape))

    # --- W -------------------------------------------------------------------------
    transpose = False
    p: int | None = None
    if len(w_shape) > 2:
        problems.append(
            Problem(
                _("{operand} has {k} dimensions {shape}").format(
                    operand=wl, k=len(w_shape), shape=dims(w_shape)
                ),
                _("weights are a matrix with one row per input and one column per neuron"),
                {"w": tuple(range(len(w_shape)))},
            )
        )
    elif len(w_shape) < 2:
        k = w_shape[0] if w_shape else 1
        if k == n:
            p = 1
        else:
            problems.append(
                Problem(
                    _(
                        "{x} but {w} has {weights} (one neuron): "
                        "a neuron needs one weight per feature, {n} here"
                    ).format(x=x_desc, w=wl, weights=plural(k, "weight"), n=n),
                    None,
                    {"x": (len(x_shape) - 1,), "w": (0,) if w_shape else ()},
                )
            )
    else:
        rows, cols = w_shape
        ins, outs = (rows, cols) if layout == "in-out" else (cols, rows)
        in_axis = 0 if layout == "in-out" else 1
        if ins == n:
            p, transpose = outs, layout == "out-in"
        elif outs == n and ins == 1:
            # One neuron written the other way round (a row in in-out, a column in
            # out-in): unambiguous once X fixes n, so accept it.
            p, transpose = 1, layout == "in-out"
        else:
            w_desc = _describe(wl, w_shape, describe_w(w_shape, layout))
            needs = (
                _("{x} but {w_desc}: {w} needs {n} rows, one per feature")
                if layout == "in-out"
                else _("{x} but {w_desc}: {w} needs {n} columns, one per feature")
            )
            # each fix with the p it would give: b's length rules out the others
            hints: list[tuple[str, int, Hint | None]] = []
            if outs == n:
                flip = Hint("layout", "out-in" if layout == "in-out" else "in-out")
                hints.append(
                    (_("{w} looks transposed: try {hint}").format(w=wl, hint=flip), ins, flip)
                )
            if len(x_shape) == 2 and ins == m:
                hints.append((
                    _(
                        "{x} looks transposed: its {m} rows match {w}'s {ins} inputs; "
                        "put one sample per row"
                    ).format(x=xl, m=m, w=wl, ins=ins), outs, None,
                ))  # fmt: skip
            kept = [h for h in hints if b_size is None or b_size in (1, h[1])] or hints
            fix = next((h[2] for h in kept if h[2] is not None), None)
            hint = _("; or ").join(h[0] for h in kept) or None
            problems.append(
                Problem(
                    needs.format(x=x_desc, w_desc=w_desc, w=wl, n=n),
                    hint,
                    {"x": (len(x_shape) - 1,), "w": (in_axis,)},
                    fix,
                )
            )

    # --- b -------------------------------------------------------------------------
    if b_shape is not None and p is not None:
        size = 1
        for d in b_shape:
            size *= d
        if len(b_shape) > 2 or (len(b_shape) == 2 and min(b_shape) != 1):
            problems.append(
                Problem(
                    _(
                        "{b} is {shape} but biases are a vector: one value per neuron ({p} here)"
                    ).format(b=bl, shape=dims(b_shape), p=p),
                    _("give one row or one column of values"),
                    {"b": tuple(range(len(b_shape)))},
                )
            )
        elif size not in (1, p):
            hint = None
            if size == n and n != p:
                hint = _("{b} has one value per feature; biases belong to neurons").format(b=bl)
            elif not single and size == m and m != p:
                hint = _("{b} has one value per sample; biases belong to neurons").format(b=bl)
            problems.append(
                Problem(
                    _(
                        "{b} has {biases} but {w} has {neurons}: {b} needs {values}, one per neuron"
                    ).format(
                        b=bl,
                        biases=describe_b(b_shape),
                        w=wl,
                        neurons=plural(p, "neuron"),
                        values=plural(p, "value"),
                    ),  # fmt: skip
                    hint,
                    {
                        "b": tuple(i for i, d in enumerate(b_shape) if d != 1) or (0,),
                        "w": (1 if layout == "in-out" else 0,) if len(w_shape) == 2 else (),
                    },
                )
            )

    return Plan(
        x_shape,
        w_shape,
        b_shape,
        layout,
        m=m,
        n=n,
        p=p,
        single_sample=single,
        transpose_w=transpose,
        problems=tuple(problems),
    )


class LayerShapes(NamedTuple):
    """One layer as given: W's and b's shapes, how to read W, what to call them."""

    w_shape: Shape
    b_shape: Shape | None
    layout: Layout = "in-out"
    labels: Labels = Labels()


def plan_chain(x_shape: Shape, layers: list[LayerShapes]) -> tuple[Plan, ...]:
    """One :class:`Plan` per layer: layer 1 against X, layer k against layer k-1's A.

    Planning stops at the first layer that does not fit (what follows has no known
    input width); a layer that does not fit its predecessor is explained in the
    course's words: which layer, which dimension, and the likely fix.
    """
    plans: list[Plan] = []
    single = len(x_shape) < 2
    for k, ls in enumerate(layers, 1):
        if k == 1:
            plans.append(plan(x_shape, ls.w_shape, ls.b_shape, ls.layout, ls.labels))
        else:
            prev = plans[-1]
            if not prev.ok or prev.p is None or prev.m is None:
                break
            q = prev.p
            shape_in = (q,) if single else (prev.m, q)
            pl = plan(shape_in, ls.w_shape, ls.b_shape, ls.layout, ls.labels)
            problems = tuple(
                _chain_problem(k, q, ls) if "x" in pr.marks and "w" in pr.marks else pr
                for pr in pl.problems
            )
            plans.append(pl._replace(problems=problems))
        if not plans[-1].ok:
            break
    return tuple(plans)


def _chain_problem(k: int, q: int, ls: LayerShapes) -> Problem:
    w = ls.w_shape
    wl = _short(ls.labels.w, w)  # typed numbers, ``W (3×4)``: the shape follows anyway
    if len(w) == 2:
        ins, outs = w if ls.layout == "in-out" else w[::-1]
        axis = 0 if ls.layout == "in-out" else 1
    else:
        ins, outs, axis = (w[0] if w else 1), 1, 0
    hint = _("is {w} transposed?").format(w=wl) if len(w) == 2 and outs == q else None
    return Problem(
        _(
            "layer {k}: {w} is {shape}, so it wants {ins} values per sample, but layer "
            "{prev} gives {q} (A{prev} is m×{q})"
        ).format(k=k, w=wl, shape=dims(w), ins=ins, prev=k - 1, q=q),
        hint,
        {"w": (axis,) if w else ()},
    )


def chain_message(plans: tuple[Plan, ...]) -> str:
    """The first problem of a chain: the one to fix first."""
    for pl in plans:
        if not pl.ok:
            return pl.message()
    return ""
