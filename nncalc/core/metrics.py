"""How good a network is on labelled rows: losses, accuracy, the confusion matrix and
per-class precision, recall, F1 — as running sums over a stream, numpy only.

Every total is the same to the last bit however the rows arrive: a loss is summed over
fixed blocks of :data:`BLOCK` rows counted from row 0 (one ``np.sum`` per block), and the
block sums are added in order; counts are integers.  The numbers are those of
``sklearn.metrics`` (``log_loss``, ``accuracy_score``, ``confusion_matrix``,
``precision_recall_fscore_support``, ``mean_squared_error``, ``mean_absolute_error``),
to rounding.

Probabilities are clipped to ``[eps, 1 - eps]`` before the log, ``eps`` being the machine
epsilon of the output's dtype (2.2e-16 for float64), as scikit-learn's ``log_loss`` does:
a probability of exactly 0 for the true class would otherwise cost an infinite loss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from nncalc.i18n import N_, _

from .predict import predicted

BLOCK = 4096  # rows per partial sum

Floats = NDArray[np.float64]
Ints = NDArray[np.int64]


class BlockSum:
    """Σ of one value per row, summed in fixed blocks of ``block`` rows from row 0 and the
    block sums added in order, so the total never depends on how the rows were cut.

    ``start``: the sum of a slice of a longer stream, from row ``start`` (a Dask task's
    block): its rows before the first block border and after the last are kept as
    values and each whole block's sum is listed (:meth:`part`), for the caller to
    :meth:`merge` into the stream's sum in row order.
    """

    def __init__(self, block: int = BLOCK, start: int | None = None) -> None:
        self.buf = np.empty(block, dtype=np.float64)
        self.fill = 0
        self.total = 0.0
        self.count = 0
        self.start = start
        self.room = -(start or 0) % block  # a slice's rows before its first block border
        self.head: list[Floats] = []
        self.sums: list[float] | None = None if start is None else []

    def add(self, values: Floats) -> None:
        v = np.asarray(values, dtype=np.float64).ravel()
        self.count += len(v)
        if self.room:
            k = min(self.room, len(v))
            self.head.append(v[:k].copy())
            self.room -= k
            v = v[k:]
        size = len(self.buf)
        while len(v):
            k = min(size - self.fill, len(v))
            self.buf[self.fill : self.fill + k] = v[:k]
            self.fill += k
            v = v[k:]
            if self.fill == size:
                if self.sums is None:
                    self.total += float(self.buf.sum())
                else:
                    self.sums.append(float(self.buf.sum()))
                self.fill = 0

    def value(self) -> float:
        """The sum of every value added so far."""
        assert self.start is None, "a slice's sum is merged, never read"
        return self.total + float(self.buf[: self.fill].sum()) if self.fill else self.total

    def part(self) -> PartSum:
        """What this sum holds, to merge into the sum of the whole stream."""
        assert self.start is not None and self.sums is not None, "BlockSum(start=…)"
        return PartSum(
            start=self.start,
            count=self.count,
            head=np.concatenate([np.empty(0), *self.head]),
            sums=np.array(self.sums, dtype=np.float64),
            tail=self.buf[: self.fill].copy(),
        )

    def merge(self, part: PartSum) -> None:
        """Add the rows of a slice that starts where this sum ends: the same bits as if
        its values had been added here one by one."""
        if part.start != self.count:
            raise ValueError(f"a slice from row {part.start} merged after {self.count} rows")
        self.add(part.head)
        if len(part.sums):
            assert self.fill == 0 and self.sums is None
            for s in part.sums.tolist():  # whole blocks, in order
                self.total += s
            self.count += len(part.sums) * len(self.buf)
        self.add(part.tail)


@dataclass(frozen=True, kw_only=True)
class PartSum:
    """The sum of the rows ``[start, start + count)`` of a stream, in :class:`BlockSum`'s
    pieces: ``head`` the values before the first block border, ``sums`` each whole
    block's sum, ``tail`` the values after the last border (at most a block each)."""

    start: int
    count: int
    head: Floats
    sums: Floats
    tail: Floats


def eps_of(a: np.ndarray) -> float:
    """scikit-learn's clip for probabilities: the machine epsilon of their dtype."""
    return float(np.finfo(a.dtype if a.dtype == np.float32 else np.float64).eps)


def _clipped_log(p: np.ndarray, eps: float) -> Floats:
    return np.asarray(-np.log(np.clip(p, eps, 1 - eps)), dtype=np.float64)


def cross_entropy_rows(a: np.ndarray, y: Ints) -> Floats:
    """−log p of each row's true class, ``a`` m×k probabilities, ``y`` m class indices."""
    a2 = np.atleast_2d(a)
    return _clipped_log(a2[np.arange(len(a2)), y], eps_of(a2))


def binary_cross_entropy_rows(a: np.ndarray, y: Ints) -> Floats:
    """−log p for class 1 rows and −log(1 − p) for class 0, ``a`` m×1 probabilities of
    class 1 (1 − p is taken before clipping, as scikit-learn does)."""
    p = np.asarray(a).reshape(-1)
    return _clipped_log(np.where(y == 1, p, 1 - p), eps_of(p))


def _row_sums(e: np.ndarray) -> Floats:
    # column by column: each row's sum is then one fixed sequence of additions
    e2 = np.atleast_2d(np.asarray(e, dtype=np.float64))
    s = e2[:, 0].copy()
    for j in range(1, e2.shape[1]):
        s += e2[:, j]
    return s


def squared_error_rows(a: np.ndarray, y: Floats) -> Floats:
    """Σ_j (y_ij − a_ij)² of each row (the mean divides by m·p at the end)."""
    d = np.atleast_2d(y) - np.atleast_2d(a)
    return _row_sums(d * d)


def absolute_error_rows(a: np.ndarray, y: Floats) -> Floats:
    """Σ_j |y_ij − a_ij| of each row."""
    return _row_sums(np.abs(np.atleast_2d(y) - np.atleast_2d(a)))


@dataclass(frozen=True)
class Loss:
    """A loss as evaluate needs it: its name, the formula shown, the per-row terms, and
    whether its labels are classes (else numbers, one per output).  The formula is data
    (evaluate's JSON), in English; a screen shows its translation."""

    name: str
    label: str
    formula: str
    classes: bool
    rows: Callable[[np.ndarray, np.ndarray], Floats] = field(repr=False, compare=False)


LOSSES: dict[str, Loss] = {
    loss.name: loss
    for loss in (
        Loss("cross_entropy", "categorical cross-entropy",
             N_("−(1/m) Σ_i log p_i,y_i  (p clipped to [eps, 1−eps])"), True,
             cross_entropy_rows),
        Loss("binary_cross_entropy", "binary cross-entropy",
             N_("−(1/m) Σ_i [y_i log p_i + (1−y_i) log(1−p_i)]  (p clipped to [eps, 1−eps])"),
             True, binary_cross_entropy_rows),
        Loss("mse", "mean squared error", "(1/(m·p)) Σ_i Σ_j (y_ij − a_ij)²", False,
             squared_error_rows),
        Loss("mae", "mean absolute error", "(1/(m·p)) Σ_i Σ_j |y_ij − a_ij|", False,
             absolute_error_rows),
    )
}  # fmt: skip


@dataclass(frozen=True)
class PerClass:
    """Precision, recall, F1 and support of each class (0 where undefined, as
    scikit-learn's ``zero_division`` default gives)."""

    precision: Floats
    recall: Floats
    f1: Floats
    support: Ints


def per_class(confusion: Ints) -> PerClass:
    """From a confusion matrix (rows: true class, columns: predicted class)."""
    c = np.asarray(confusion, dtype=np.int64)
    tp = np.diag(c).astype(np.float64)
    support = c.sum(axis=1)
    chosen = c.sum(axis=0)

    def ratio(num: Floats, den: np.ndarray) -> Floats:
        d = den.astype(np.float64)
        return np.divide(num, d, out=np.zeros_like(num), where=d > 0)

    return PerClass(ratio(tp, chosen), ratio(tp, support), ratio(2 * tp, support + chosen), support)


@dataclass(frozen=True)
class Scores:
    """An evaluation's totals: ``accuracy``, ``confusion`` and ``per_class`` are None for
    a regression loss."""

    samples: int
    loss: Loss
    value: float
    accuracy: float | None = None
    confusion: Ints | None = None
    per_class: PerClass | None = None


@dataclass(frozen=True, kw_only=True)
class Part:
    """What :class:`Evaluation` found in one slice of the rows: its loss sum's pieces,
    its confusion counts (k² of them, flat; none for a regression) and outputs per row."""

    sum: PartSum
    counts: Ints
    width: int


class Evaluation:
    """Running sums of a loss (and, for classes, the confusion matrix) over row blocks.

    ``k`` is the number of classes (2 for one probability output); ``add`` takes each
    block's outputs (m×p) and labels (m class indices, or m×p numbers).  With ``start``
    it scores the slice of a longer stream from row ``start`` (one Dask task's rows):
    :meth:`part` is then what it found, for the whole run's evaluation to :meth:`merge`
    in row order, giving the bits of one evaluation over every row.
    """

    def __init__(self, loss: Loss, k: int | None = None, threshold: float = 0.5,
                 block: int = BLOCK, start: int | None = None) -> None:  # fmt: skip
        if loss.classes and not k:
            raise ValueError(f"{loss.name} needs the number of classes")
        self.loss = loss
        self.k = k if loss.classes else None
        self.threshold = threshold
        self.sum = BlockSum(block, start)
        self.width = 0  # outputs per row, for the mean of mse/mae
        self.counts = np.zeros((self.k or 0) ** 2, dtype=np.int64)

    def add(self, a: np.ndarray, y: np.ndarray) -> None:
        a2 = np.atleast_2d(a)
        self.width = a2.shape[1]
        self.sum.add(self.loss.rows(a2, y))
        if self.k is not None:
            pred = predicted(a2, self.threshold)
            self.counts += np.bincount(np.asarray(y) * self.k + pred, minlength=self.k**2)

    def part(self) -> Part:
        """A slice's findings (``Evaluation(…, start=row)``): a few numbers per block of
        rows, never one per row but at its two ends."""
        return Part(sum=self.sum.part(), counts=self.counts.copy(), width=self.width)

    def merge(self, part: Part) -> None:
        """Add a slice's findings; slices are merged in row order, each starting where
        the rows so far end."""
        self.sum.merge(part.sum)
        if part.sum.count:
            self.width = part.width
        self.counts += part.counts

    def scores(self) -> Scores:
        m = self.sum.count
        if m == 0:
            raise ValueError(_("no rows to evaluate"))
        per = m * (self.width if not self.loss.classes else 1)
        value = self.sum.value() / per
        if self.k is None:
            return Scores(m, self.loss, value)
        confusion = self.counts.reshape(self.k, self.k)
        accuracy = int(np.trace(confusion)) / m
        return Scores(m, self.loss, value, accuracy, confusion, per_class(confusion))
