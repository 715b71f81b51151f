"""True labels for ``nncalc evaluate``: a file of one label per line, or a column of X.

A label is a class index (``0``), a class name from ``--classes`` (``setosa``), a one-hot
row (``0,0,1``), or for a regression loss the numbers the outputs should have been
(``151.0``, or ``1.5,2`` for two outputs).  Labels are read as the rows stream, a chunk at
a time, and parsed a chunk at once (a class label by its distinct values, so a million
``setosa`` cost one lookup); a bad one is one error line naming its file and line.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterator
from typing import Any, BinaryIO

import numpy as np

from nncalc import limits
from nncalc.errors import InputError, cannot_open

CHUNK = 1 << 20
_UNUSUAL = (b"\n\n", b" ", b"\t", b"\r", b"\x0b", b"\x0c")
_SPLIT = re.compile(r"[,;\t ]+")


class Parser:
    """How one label's text becomes a value: a class index in ``[0, k)`` when ``k`` is
    given (``names`` naming the classes), else ``width`` numbers."""

    def __init__(self, k: int | None, names: list[str] | None = None, width: int = 1) -> None:
        self.k, self.names, self.width = k, names, width
        self.by_name = {n: i for i, n in enumerate(names or [])}
        self.cache: dict[bytes | str, Any] = {}

    def expected(self) -> str:
        if self.k is None:
            many = f"{self.width} numbers separated by commas" if self.width > 1 else "a number"
            return f"{many} (the outputs' true values)"
        names = f", a name ({', '.join(self.names)})" if self.names else ""
        return f"a class index 0 to {self.k - 1}{names} or a one-hot row of {self.k} values"

    def one(self, text: str) -> Any:
        """One label, or a ValueError saying what is wrong with it."""
        cells = [c for c in _SPLIT.split(text.strip()) if c]
        if self.k is None:
            if len(cells) != self.width:
                raise ValueError(f"{len(cells)} values where the output has {self.width}")
            try:
                values = tuple(float(c) for c in cells)
            except ValueError:
                raise ValueError(f"{text.strip()!r} is not a number") from None
            if not all(np.isfinite(values)):
                raise ValueError(f"{text.strip()!r} is not a finite number")
            return values
        if len(cells) > 1:
            return self._one_hot(cells, text)
        cell = text.strip()
        if cell in self.by_name:
            return self.by_name[cell]
        try:
            number = float(cell)
        except ValueError:
            if self.names:
                raise ValueError(f"{cell!r} is not a class name in --classes") from None
            raise ValueError(f"{cell!r} is not a class index (names need --classes)") from None
        if number != int(number) if np.isfinite(number) else True:
            raise ValueError(f"{cell!r} is not a class index")
        if not 0 <= number < self.k:
            raise ValueError(f"class index {int(number)} is out of range for {self.k} classes")
        return int(number)

    def _one_hot(self, cells: list[str], text: str) -> int:
        assert self.k is not None
        if len(cells) != self.k:
            raise ValueError(f"a one-hot row of {len(cells)} values for {self.k} classes")
        try:
            values = [float(c) for c in cells]
        except ValueError:
            raise ValueError(f"{text.strip()!r} is not a one-hot row of numbers") from None
        if sorted(values) != [0.0] * (self.k - 1) + [1.0]:
            raise ValueError(f"{text.strip()!r} is not one-hot (one 1, every other value 0)")
        return values.index(1.0)

    def many(self, texts: list[Any]) -> tuple[np.ndarray, int | None, str]:
        """Labels for a list of texts: (values, index of the first bad one, why).

        Class labels are looked up in a table of the texts seen (a million ``setosa``
        cost one parse); numbers go through ``float`` (correctly rounded)."""
        if self.k is None:
            return self._numbers(texts)
        cache = self.cache
        try:
            found = [cache[t] for t in texts]
        except KeyError:
            for i, t in enumerate(texts):
                if t not in cache:
                    try:
                        value = self.one(t.decode() if isinstance(t, bytes) else t)
                    except (ValueError, UnicodeDecodeError) as e:
                        return np.empty(0, np.int64), i, str(e)
                    if len(cache) < 1 << 14:
                        cache[t] = value
            found = [cache[t] if t in cache else self.one(_text(t)) for t in texts]
        return np.array(found, dtype=np.int64), None, ""

    def _numbers(self, texts: list[Any]) -> tuple[np.ndarray, int | None, str]:
        if self.width == 1:
            try:
                values = np.array(list(map(float, texts)), dtype=np.float64).reshape(-1, 1)
            except ValueError:
                values = None
            if values is not None and np.isfinite(values).all():
                return values, None, ""
        rows = []
        for i, t in enumerate(texts):
            try:
                value = self.one(_text(t))
            except (ValueError, UnicodeDecodeError) as e:
                return np.empty((0, self.width)), i, str(e)
            rows.append(value)
        return np.array(rows, dtype=np.float64).reshape(-1, self.width), None, ""


def _text(t: bytes | str) -> str:
    return t.decode() if isinstance(t, bytes) else t


Chunk = tuple[list[Any], np.ndarray]
Chunks = Callable[[], "Chunk | None"]


class Labels:
    """Labels taken by count as the rows stream: ``take(m)`` gives the next m, and
    ``finish(rows)`` checks that none are left over.  ``more()`` gives the next chunk,
    ``(texts, their line numbers)`` — a file's non-blank lines, or a column's cells and
    their row numbers (``what="row"``) — or None when there is none (yet)."""

    def __init__(self, parser: Parser, source: str, more: Chunks, what: str = "line") -> None:
        self.parser, self.source, self.more, self.what = parser, source, more, what
        self.texts: list[Any] = []  # pending texts from ``at`` on, and their line numbers
        self.where = np.empty(0, dtype=np.int64)
        self.at = 0
        self.taken = 0
        self.short = False

    def pending(self) -> int:
        return len(self.texts) - self.at

    def _fill(self, k: int) -> None:
        while self.pending() < k:
            nxt = self.more()
            if nxt is None:
                return
            texts, where = nxt
            self.texts = [*self.texts[self.at :], *texts] if self.pending() else list(texts)
            self.where = np.concatenate([self.where[self.at :], where])
            self.at = 0

    def take(self, k: int) -> np.ndarray | None:
        """The next ``k`` labels parsed, or None once the labels have run out (the rows
        are then only counted, so the error can say how many there were)."""
        if self.short:
            return None
        self._fill(k)
        if self.pending() < k:
            k = self.pending()
            self.short = True  # a bad label among the last ones is still said first
        texts = self.texts[self.at : self.at + k]
        where = self.where[self.at : self.at + k]
        self.at += k
        values, bad, why = self.parser.many(texts)
        if bad is not None:
            raise self._error(why, where[bad], self.parser.expected())
        self.taken += k
        return None if self.short else values

    def _error(self, why: str, n: np.integer | None, expected: str) -> InputError:
        if n is not None and self.what != "line":
            why, n = f"{self.what} {int(n)}: {why}", None
        line = None if n is None else int(n)
        return InputError(why, source=self.source, line=line, expected=expected)

    def finish(self, rows: int) -> None:
        """Refuse fewer or more labels than rows, saying both counts."""
        if self.short:
            raise miscount(self.source, self.taken, rows)
        self._fill(1)
        if self.pending():
            first = self.where[self.at]
            extra = self.pending()
            while (nxt := self.more()) is not None:
                extra += len(nxt[0])
            raise miscount(self.source, rows + extra, rows, int(first))


def miscount(source: str, labels: int, rows: int, line: int | None = None) -> InputError:
    """Fewer or more labels than rows (``line``: where the first one too many is)."""
    return InputError(f"{labels} labels for {rows} rows", source=source, line=line,
                      expected="one label per row of X")  # fmt: skip


def file_chunks(fp: BinaryIO, source: str) -> Iterator[Chunk]:
    """A labels file's non-blank lines, a chunk at a time: (texts, line numbers)."""
    longest = limits.max_line()
    line = 1
    rest = b""
    while True:
        data = fp.read(CHUNK)
        if not data:
            break
        data = rest + data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) > longest:
                raise limits.refuse("one line of labels", len(data), source)
            rest = data
            continue
        rest = data[cut:]
        yield from _texts(data[: cut - 1], line)
        line += data.count(b"\n", 0, cut)
    if rest:
        yield from _texts(rest, line)


def text_labels(data: bytes, first_line: int) -> Chunk:
    """The labels in a piece of a labels file cut at line starts (a Dask block), its
    first line being ``first_line``: (texts, line numbers)."""
    return next(_texts(data[:-1] if data.endswith(b"\n") else data, first_line))


def _texts(data: bytes, first_line: int) -> Iterator[Chunk]:
    if data.startswith(b"\xef\xbb\xbf") and first_line == 1:
        data = data[3:]
    if data and not any(c in data for c in _UNUSUAL) and b"\n" not in (data[:1], data[-1:]):
        # one label per line, no blank line, no space to strip: the lines as they are
        parts = data.split(b"\n")
        yield parts, np.arange(first_line, first_line + len(parts))
        return
    lines = [ln.strip() for ln in data.split(b"\n")]
    keep = [i for i, ln in enumerate(lines) if ln]
    yield [lines[i] for i in keep], np.array(keep, dtype=np.int64) + first_line


def open_labels(path: str, parser: Parser) -> tuple[Labels, BinaryIO]:
    """A labels file and its handle (for the caller to close)."""
    try:
        fp = open(path, "rb")  # noqa: SIM115 - the caller closes it
    except OSError as e:
        raise cannot_open(e, path, "labels file") from None
    chunks = file_chunks(fp, path)
    return Labels(parser, path, lambda: next(chunks, None)), fp


def column_labels(
    parser: Parser, source: str, cells: deque[list[str]], first_row: int = 0
) -> Labels:
    """The labels of ``--label-column``: the cells a reader queues as it yields rows
    (rows counted from ``first_row``: a Dask block's place in its input)."""
    row = first_row + 1

    def more() -> Chunk | None:
        nonlocal row
        while cells:
            block = cells.popleft()
            if block:
                texts = [c.strip() for c in block]
                row += len(block)
                return texts, np.arange(row - len(block), row)
        return None

    return Labels(parser, source, more, what="row")
