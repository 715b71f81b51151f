"""The arithmetic behind one output value, term by term, as a teacher writes it.

Pure data: :func:`terms` picks the numbers, :mod:`nncalc.render` draws them.  The value
shown as ``z`` is the one :func:`nncalc.core.forward` computed, not a re-summation, so
``explain`` never disagrees with ``forward`` in the last digit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .core import Layer, Pass
from .errors import UsageError
from .i18n import _, ngettext

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

    from .core import Network
    from .shapes import Layout


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
    neurons: int = 1  # the layer's p, so every name in a layer is written alike

    def formula(self, max_terms: int = 8) -> str:
        """The neuron as the course writes it, 1-based, input index first:
        ``z1 = a1·w11 + a2·w21 + a3·w31 + b1``."""
        j = self.neuron + 1
        wide = max(len(self.xs), self.neurons) >= 10
        parts = [
            "…" if i is None else f"a{i + 1}·{weight_name(i, self.neuron, wide)}"
            for i in elide(len(self.xs), max_terms)
        ]
        return f"z{j} = {' + '.join(parts)} + b{j}"


def weight_name(i: int, j: int, wide: bool = False) -> str:
    """The weight from input i to neuron j (0-based) as the course names it: ``w11`` (input
    1 to neuron 1); ``w12,3`` once an index has two digits, so the name stays readable."""
    return f"w{i + 1},{j + 1}" if wide else f"w{i + 1}{j + 1}"


def elide(k: int, limit: int) -> list[int | None]:
    """Indices to show out of ``k``, with None where the middle is left out."""
    if k <= limit:
        return list(range(k))
    head = (limit + 1) // 2
    return [*range(head), None, *range(k - (limit - head), k)]


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
            layer.p,
        )
        for j in neurons
    ]


def num(v: float, precision: int = 4) -> str:
    """A value as the tables write it: ``precision`` significant digits, signs kept."""
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return "0" if v == 0 else f"{v:.{precision}g}"


def numbers_line(t: Term, precision: int = 4, max_terms: int = 8) -> str:
    """The numbers put into :meth:`Term.formula`, plain text (the terminal's styled twin
    is :func:`nncalc.render.term_line`): ``(1)(0.2) + … + 2 = 4.8 → ReLU → 4.8``."""
    parts = [
        "…" if k is None else f"({num(t.xs[k], precision)})({num(t.ws[k], precision)})"
        for k in elide(len(t.xs), max_terms)
    ]
    b = num(t.b, precision) if t.b >= 0 else f"({num(t.b, precision)})"
    line = f"{' + '.join(parts)} + {b} = {num(t.z, precision)}"
    if t.exps is not None:
        total = float(np.sum(t.exps))
        mine = f"e^(z{t.neuron + 1} − max z)" if t.worked else f"e^z{t.neuron + 1}"
        share = f"{num(t.exps[t.neuron], precision)} / {num(total, precision)}"
        return line + f" → softmax: {mine} / Σ = {share} → {num(t.a, precision)}"
    if t.worked is not None:
        return line + f" → {t.activation_name}: {t.worked} → {num(t.a, precision)}"
    return line + f" → {t.activation_name} → {num(t.a, precision)}"


@dataclass(frozen=True, kw_only=True)
class Explanation:
    """One sample's arithmetic through one layer, neuron by neuron; in a notebook it shows
    itself as the course writes it (names first, then the numbers)."""

    title: str
    terms: tuple[Term, ...]
    more: int = 0  # neurons left out (none once one is picked)
    precision: int = 4

    def lines(self) -> list[str]:
        out = [self.title]
        for t in self.terms:
            formula = t.formula()
            out += [formula, " " * formula.index("=") + "= " + numbers_line(t, self.precision)]
        if self.more:
            more = ngettext(
                "… {more} more neuron: pick one with neuron=",
                "… {more} more neurons: pick one with neuron=",
                self.more,
            )
            out.append(more.format(more=self.more))
        return out

    def __str__(self) -> str:
        return "\n".join(self.lines())

    def _repr_html_(self) -> str:
        from .diagram.notebook import explanation_html

        return explanation_html(self)


def explanation(
    x: ArrayLike,
    w: ArrayLike | Network,
    b: ArrayLike | None = None,
    activation: str = "relu",
    *,
    layout: Layout = "in-out",
    layer: int = 1,
    sample: int = 0,
    neuron: int | None = None,
    precision: int = 4,
) -> Explanation:
    """The arithmetic of row ``sample`` of ``x`` through ``layer`` (1-based) of a network,
    or of the one layer ``w``, ``b``: what ``nncalc explain`` prints.

    >>> print(explanation([1, 2, 3], [0.2, 0.8, -0.5], 2))
    sample 0: 3 inputs, 1 neuron
    z1 = a1·w11 + a2·w21 + a3·w31 + b1
       = (1)(0.2) + (2)(0.8) + (3)(-0.5) + 2 = 2.3 → ReLU → 2.3
    """
    from .core import Network, prepare

    x_arr = np.asarray(x, dtype=np.float64)
    if isinstance(w, Network):
        net = w
    else:
        one, _plan = prepare(x_arr.shape, w, b, activation, layout=layout)
        net = Network([one])
    x2 = x_arr.reshape(-1, net.n)
    if not 1 <= layer <= len(net):
        message = ngettext(
            "layer={layer} is out of range: the network has {count} layer (1 to {count})",
            "layer={layer} is out of range: the network has {count} layers (1 to {count})",
            len(net),
        )
        raise UsageError(message.format(layer=layer, count=len(net)))
    passes = net.forward(x2)
    inputs = x2 if layer == 1 else passes[layer - 2].a
    lay, res = net[layer - 1], passes[layer - 1]
    i = pick_index(sample, x2.shape[0], "sample", "sample")
    chosen = [pick_index(neuron, lay.p, "neuron", "neuron")] if neuron is not None else list(
        range(min(lay.p, 8)))  # fmt: skip
    from .shapes import plural

    ins = plural(lay.n, "input")
    if layer > 1:
        ins = _("inputs are A{prev} ({values})").format(
            prev=layer - 1, values=plural(lay.n, "value")
        )
    title = _("sample {i}: {inputs}, {neurons}").format(
        i=i, inputs=ins, neurons=plural(lay.p, "neuron")
    )
    if len(net) > 1:
        title = _("layer {k} of {count}, {title}").format(k=layer, count=len(net), title=title)
    found = terms(inputs, lay, res, i, chosen)
    more = lay.p - len(chosen) if neuron is None else 0
    return Explanation(title=title, terms=tuple(found), more=more, precision=precision)


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
        note = _(", clipped to {p}").format(p=_p(clipped)) if clipped != p else ""
        return _("loss of sample {i}: true class {name}; p = {where} = {p}{note}; "
                 "−log({clipped}) = {loss}").format(
            i=sample, name=name, where=where, p=_p(p), note=note, clipped=_p(clipped),
            loss=_g(-np.log(clipped)))  # fmt: skip
    t = np.atleast_1d(y).astype(np.float64)
    if loss_name == "mse":
        parts = " + ".join(f"({_g(v)} − {_g(w)})²" for v, w in zip(t, a, strict=True))
        value = float(np.mean((t - a) ** 2))
    else:
        parts = " + ".join(f"|{_g(v)} − {_g(w)}|" for v, w in zip(t, a, strict=True))
        value = float(np.mean(np.abs(t - a)))
    over = f"({parts}) / {len(a)}" if len(a) > 1 else parts
    return _("loss of sample {i} ({loss}): {terms} = {value}").format(
        i=sample, loss=loss_name, terms=over, value=_g(value)
    )
