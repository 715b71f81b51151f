"""How the given shapes of X, W and b fit one dense layer, and why they don't.

Everything here works on shapes alone, so ``nncalc shapes`` can explain a run before
(or instead of) computing it, and :func:`nncalc.core.forward` reports the very same
sentences when it refuses.  Words follow the course: samples, features, neurons.
"""

from __future__ import annotations

from typing import Literal, NamedTuple

from nncalc.errors import Hint

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
        return f"{self.message}; {self.hint}" if self.hint else self.message


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
        return "; ".join(str(p) for p in self.problems)

    @property
    def fix(self) -> Hint | None:
        """The first problem's fix as data (``Hint("layout", "out-in")``), if any."""
        return next((p.fix for p in self.problems if p.fix is not None), None)


def dims(shape: Shape | None) -> str:
    """``3×4`` for a matrix, ``(3,)`` for a vector, as the brief writes them."""
    if shape is None:
        return "none"
    if len(shape) == 0:
        return "a single number"
    if len(shape) == 1:
        return f"({shape[0]},)"
    return "×".join(str(d) for d in shape)


def plural(k: int, word: str) -> str:
    return f"{k} {word}" if k == 1 else f"{k} {word}s"


def describe_x(shape: Shape) -> str:
    if len(shape) == 2:
        return f"{plural(shape[0], 'sample')}, {plural(shape[1], 'feature')}"
    if len(shape) == 1:
        return f"one sample, {plural(shape[0], 'feature')}"
    if len(shape) == 0:
        return "one sample, 1 feature"
    return f"{len(shape)} dimensions"


def describe_w(shape: Shape, layout: Layout = "in-out") -> str:
    if len(shape) == 2:
        ins, outs = shape if layout == "in-out" else shape[::-1]
        return f"{plural(ins, 'input')} → {plural(outs, 'neuron')}"
    if len(shape) == 1:
        return f"one neuron, {plural(shape[0], 'weight')}"
    if len(shape) == 0:
        return "one neuron, 1 weight"
    return f"{len(shape)} dimensions"


def describe_b(shape: Shape | None) -> str:
    if shape is None:
        return "no bias"
    size = 1
    for d in shape:
        size *= d
    return "one bias for every neuron" if size == 1 else f"{size} biases"


def _describe(label: str, shape: Shape, meaning: str) -> str:
    return f"{label} is {dims(shape)} ({meaning})"


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
    xl, wl, bl = labels.x, labels.w, labels.b

    # --- X -------------------------------------------------------------------------
    single = len(x_shape) < 2
    if len(x_shape) > 2:
        problems.append(
            Problem(
                f"{xl} has {len(x_shape)} dimensions {dims(x_shape)}",
                "inputs are a matrix with one row per sample and one column per feature",
                {"x": tuple(range(len(x_shape)))},
            )
        )
        return Plan(x_shape, w_shape, b_shape, layout, problems=tuple(problems))
    m, n = x_shape if len(x_shape) == 2 else (1, x_shape[0] if x_shape else 1)
    if m == 0 or n == 0:
        problems.append(Problem(f"{xl} is empty ({dims(x_shape)})", None, {"x": (0,)}))
        return Plan(x_shape, w_shape, b_shape, layout, problems=tuple(problems))
    x_desc = _describe(xl, x_shape, describe_x(x_shape))

    # --- W -------------------------------------------------------------------------
    transpose = False
    p: int | None = None
    if len(w_shape) > 2:
        problems.append(
            Problem(
                f"{wl} has {len(w_shape)} dimensions {dims(w_shape)}",
                "weights are a matrix with one row per input and one column per neuron",
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
                    f"{x_desc} but {wl} has {plural(k, 'weight')} (one neuron): "
                    f"a neuron needs one weight per feature, {n} here",
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
            needs = "rows" if layout == "in-out" else "columns"
            hints = []
            fix = None
            if outs == n:
                flip = "out-in" if layout == "in-out" else "in-out"
                fix = Hint("layout", flip)
                hints.append(f"{wl} looks transposed: try {fix}")
            if len(x_shape) == 2 and ins == m:
                hints.append(
                    f"{xl} looks transposed: its {m} rows match {wl}'s {ins} inputs; "
                    "put one sample per row"
                )
            hint = "; or ".join(hints) or None
            problems.append(
                Problem(
                    f"{x_desc} but {w_desc}: {wl} needs {n} {needs}, one per feature",
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
                    f"{bl} is {dims(b_shape)} but biases are a vector: one value per "
                    f"neuron ({p} here)",
                    "give one row or one column of values",
                    {"b": tuple(range(len(b_shape)))},
                )
            )
        elif size not in (1, p):
            hint = None
            if size == n and n != p:
                hint = f"{bl} has one value per feature; biases belong to neurons"
            elif not single and size == m and m != p:
                hint = f"{bl} has one value per sample; biases belong to neurons"
            w_desc = f"{wl} has {plural(p, 'neuron')}"
            problems.append(
                Problem(
                    f"{bl} has {describe_b(b_shape)} but {w_desc}: {bl} needs "
                    f"{plural(p, 'value')}, one per neuron",
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
    wl = ls.labels.w
    if len(w) == 2:
        ins, outs = w if ls.layout == "in-out" else w[::-1]
        axis = 0 if ls.layout == "in-out" else 1
    else:
        ins, outs, axis = (w[0] if w else 1), 1, 0
    hint = f"is {wl} transposed?" if len(w) == 2 and outs == q else None
    return Problem(
        f"layer {k}: {wl} is {dims(w)}, so it wants {ins} values per sample, but layer "
        f"{k - 1} gives {q} (A{k - 1} is m×{q})",
        hint,
        {"w": (axis,) if w else ()},
    )


def chain_message(plans: tuple[Plan, ...]) -> str:
    """The first problem of a chain: the one to fix first."""
    for pl in plans:
        if not pl.ok:
            return pl.message()
    return ""
