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
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from typing import Any, BinaryIO, NamedTuple

import numpy as np

from nncalc import limits
from nncalc.errors import InputError, cannot_open
from nncalc.i18n import N_, _

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
        self._vocabulary: Vocabulary | None = None

    def vocabulary(self) -> Vocabulary:
        """The class labels that need no parsing (``k`` given)."""
        assert self.k is not None
        if self._vocabulary is None:
            self._vocabulary = Vocabulary(self.k, self.by_name)
        return self._vocabulary

    def expected(self) -> str:
        if self.k is None:
            many = (
                _("{k} numbers separated by commas").format(k=self.width)
                if self.width > 1
                else _("a number")
            )
            return _("{what} (the outputs' true values)").format(what=many)
        if self.names:
            return _(
                "a class index 0 to {last}, a name ({names}) or a one-hot row of {k} values"
            ).format(last=self.k - 1, names=", ".join(self.names), k=self.k)
        return _("a class index 0 to {last} or a one-hot row of {k} values").format(
            last=self.k - 1, k=self.k
        )

    def one(self, text: str) -> Any:
        """One label, or a ValueError saying what is wrong with it."""
        cells = [c for c in _SPLIT.split(text.strip()) if c]
        if self.k is None:
            if len(cells) != self.width:
                raise ValueError(
                    _("{given} values where the output has {width}").format(
                        given=len(cells), width=self.width
                    )
                )
            try:
                values = tuple(float(c) for c in cells)
            except ValueError:
                raise ValueError(
                    _("{text} is not a number").format(text=repr(text.strip()))
                ) from None
            if not all(np.isfinite(values)):
                raise ValueError(_("{text} is not a finite number").format(text=repr(text.strip())))
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
                raise ValueError(
                    _("{text} is not a class name in --classes").format(text=repr(cell))
                ) from None
            raise ValueError(
                _("{text} is not a class index (names need --classes)").format(text=repr(cell))
            ) from None
        if number != int(number) if np.isfinite(number) else True:
            raise ValueError(_("{text} is not a class index").format(text=repr(cell)))
        if not 0 <= number < self.k:
            raise ValueError(
                _("class index {index} is out of range for {k} classes").format(
                    index=int(number), k=self.k
                )
            )
        return int(number)

    def _one_hot(self, cells: list[str], text: str) -> int:
        assert self.k is not None
        if len(cells) != self.k:
            raise ValueError(
                _("a one-hot row of {given} values for {k} classes").format(
                    given=len(cells), k=self.k
                )
            )
        try:
            values = [float(c) for c in cells]
        except ValueError:
            raise ValueError(
                _("{text} is not a one-hot row of numbers").format(text=repr(text.strip()))
            ) from None
        if sorted(values) != [0.0] * (self.k - 1) + [1.0]:
            raise ValueError(
                _("{text} is not one-hot (one 1, every other value 0)").format(
                    text=repr(text.strip())
                )
            )
        return values.index(1.0)

    def many(self, texts: list[Any]) -> tuple[np.ndarray, int | None, str]:
        """Labels for a list of texts: (values, index of the first bad one, why); on a
        bad one the values are those before it.

        Class labels are looked up in a table of the texts seen (a million ``setosa``
        cost one parse); numbers go through ``float`` (correctly rounded)."""
        if self.k is None:
            return self._numbers(texts)
        cache = self.cache
        try:
            return _looked_up(cache, texts), None, ""
        except KeyError:
            pass
        new = set(texts).difference(cache)
        if len(cache) + len(new) <= 1 << 14:
            bad = {}
            for t in new:
                try:
                    cache[t] = self.one(_text(t))
                except (ValueError, UnicodeDecodeError) as e:
                    bad[t] = str(e)
            if not bad:
                return _looked_up(cache, texts), None, ""
            i = next(i for i, t in enumerate(texts) if t in bad)
            return _looked_up(cache, texts[:i]), i, bad[texts[i]]
        found: list[int] = []  # more distinct texts than a table should hold
        for i, t in enumerate(texts):
            try:
                found.append(cache[t] if t in cache else self.one(_text(t)))
            except (ValueError, UnicodeDecodeError) as e:
                return np.array(found, dtype=np.int64), i, str(e)
        return np.array(found, dtype=np.int64), None, ""

    def _numbers(self, texts: list[Any]) -> tuple[np.ndarray, int | None, str]:
        if self.width == 1:
            try:
                values = np.array(list(map(float, texts)), dtype=np.float64).reshape(-1, 1)
            except ValueError:
                values = None
            if values is not None and np.isfinite(values).all():
                return values, None, ""
        rows: list[Any] = []
        for i, t in enumerate(texts):
            try:
                value = self.one(_text(t))
            except (ValueError, UnicodeDecodeError) as e:
                return np.array(rows, dtype=np.float64).reshape(-1, self.width), i, str(e)
            rows.append(value)
        return np.array(rows, dtype=np.float64).reshape(-1, self.width), None, ""


def _looked_up(cache: dict[bytes | str, Any], texts: list[Any]) -> np.ndarray:
    return np.fromiter(map(cache.__getitem__, texts), np.int64, len(texts))


def _text(t: bytes | str) -> str:
    return t.decode() if isinstance(t, bytes) else t


class Parsed(NamedTuple):
    """One chunk of labels, parsed: the values before the first bad one (all of them
    when none is bad), their line (or row) numbers, and the first bad one's."""

    values: np.ndarray
    where: np.ndarray
    size: int  # labels in the chunk, the bad one and those after it included
    bad: tuple[int, str] | None = None  # (its line, why)


def parse(parser: Parser, texts: list[Any], where: np.ndarray) -> Parsed:
    values, bad, why = parser.many(texts)
    if bad is None:
        return Parsed(values, where, len(texts))
    return Parsed(values, where[:bad], len(texts), (int(where[bad]), why))


Chunks = Callable[[], "Parsed | None"]


class Labels:
    """Labels taken by count as the rows stream: ``take(m)`` gives the next m, and
    ``finish(rows)`` checks that none are left over.  ``more()`` gives the next chunk
    parsed — a file's non-blank lines, or a column's cells numbered by row
    (``what="row"``) — or None when there is none (yet).

    A bad label is said only when the rows reach it, so a file with too many labels
    still says both counts, whatever follows the rows' last label."""

    def __init__(self, parser: Parser, source: str, more: Chunks, what: str = "line") -> None:
        self.parser, self.source, self.more, self.what = parser, source, more, what
        self.values: np.ndarray = np.empty(0, dtype=np.int64)  # parsed, from ``at`` on
        self.where = np.empty(0, dtype=np.int64)  # their line numbers
        self.at = 0
        self.bad: tuple[int, str] | None = None  # after the values: (its line, why)
        self.unread = 0  # labels of the bad one's chunk after it, itself included
        self.taken = 0
        self.short = False

    def pending(self) -> int:
        return len(self.values) - self.at

    def _fill(self, k: int) -> None:
        while self.pending() < k and self.bad is None:
            nxt = self.more()
            if nxt is None:
                return
            values, where = nxt.values, nxt.where
            if nxt.bad is not None:
                self.bad, self.unread = nxt.bad, nxt.size - len(values)
            if self.pending():
                values = np.concatenate([self.values[self.at :], values])
                where = np.concatenate([self.where[self.at :], where])
            self.values, self.where, self.at = values, where, 0

    def take(self, k: int) -> np.ndarray | None:
        """The next ``k`` labels parsed, or None once the labels have run out (the rows
        are then only counted, so the error can say how many there were)."""
        if self.short:
            return None
        self._fill(k)
        if self.pending() < k:
            if self.bad is not None:  # a bad label among the last ones is said first
                raise self._error(self.bad[1], self.bad[0], self.parser.expected())
            self.taken += self.pending()
            self.at = len(self.values)
            self.short = True
            return None
        values = self.values[self.at : self.at + k]
        self.at += k
        self.taken += k
        return values

    def _bad_line(self) -> int:
        assert self.bad is not None
        return self.bad[0]

    def _error(self, why: str, n: int | None, expected: str) -> InputError:
        if n is not None and self.what != "line":
            why, n = _("row {row}: {message}").format(row=n, message=why), None
        return InputError(why, source=self.source, line=n, expected=expected)

    def finish(self, rows: int) -> None:
        """Refuse fewer or more labels than rows, saying both counts."""
        if self.short:
            raise miscount(self.source, self.taken, rows)
        self._fill(1)
        if self.pending() or self.bad is not None:
            first = int(self.where[self.at]) if self.pending() else self._bad_line()
            extra = self.pending() + self.unread
            while (nxt := self.more()) is not None:
                extra += nxt.size
            raise miscount(self.source, rows + extra, rows, first)


def miscount(source: str, labels: int, rows: int, line: int | None = None) -> InputError:
    """Fewer or more labels than rows (``line``: where the first one too many is)."""
    return InputError(_(LABELS_FOR_ROWS).format(labels=labels, rows=rows), source=source,
                      line=line, expected=_("one label per row of X"))  # fmt: skip


LABELS_FOR_ROWS = N_("{labels} labels for {rows} rows")


def file_chunks(fp: BinaryIO, source: str) -> Iterator[tuple[bytes, int]]:
    """A labels file's whole lines, a chunk at a time: (their bytes, the first's number)."""
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
                raise limits.refuse(_("one line of labels"), len(data), source)
            rest = data
            continue
        rest = data[cut:]
        yield data[: cut - 1], line
        line += data.count(b"\n", 0, cut)
    if rest:
        yield rest, line


def text_labels(data: bytes, first_line: int) -> tuple[list[Any], np.ndarray]:
    """The labels in a piece of a labels file cut at line starts (a Dask block), its
    first line being ``first_line``: (texts, line numbers)."""
    return _texts(data[:-1] if data.endswith(b"\n") else data, first_line)


def lines_parsed(parser: Parser, data: bytes, first_line: int) -> Parsed:
    """Lines of a labels file (the last without its newline) parsed: class labels that
    are all plain indices or names looked up over the chunk's bytes at once, any other
    chunk line by line."""
    if parser.k is not None:
        if data.startswith(b"\xef\xbb\xbf") and first_line == 1:
            data = data[3:]
        if _plain(data) and (values := parser.vocabulary().lookup(data)) is not None:
            return Parsed(values, np.arange(first_line, first_line + len(values)), len(values))
    return parse(parser, *_texts(data, first_line))


def _plain(data: bytes) -> bool:
    """One label per line, no blank line, nothing to strip."""
    return bool(data) and not any(c in data for c in _UNUSUAL) and b"\n" not in (
        data[:1], data[-1:])  # fmt: skip


class Vocabulary:
    """Every text a class label can be without parsing — the indices ``0`` … ``k-1`` and
    the class names — by length, so a chunk of lines is looked up with numpy over its
    bytes (no Python object per line: a million names in ~0.1 s less)."""

    def __init__(self, k: int, by_name: dict[str, int]) -> None:
        words = {str(i).encode(): i for i in range(k)}
        words.update({n.encode(): i for n, i in by_name.items()})  # a name before an index
        self.by_length: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        for size in sorted({len(w) for w in words}):
            same = sorted((w, i) for w, i in words.items() if len(w) == size)
            keys = np.array([w for w, _i in same], dtype=f"S{size}")
            self.by_length[size] = (keys, np.array([i for _w, i in same], dtype=np.int64))

    def lookup(self, data: bytes) -> np.ndarray | None:
        """Each line's class, or None when a line is no plain index or name (or the
        chunk holds a NUL, which numpy's fixed-width bytes would drop)."""
        from numpy.lib.stride_tricks import sliding_window_view

        if b"\x00" in data:
            return None
        u = np.frombuffer(data, dtype=np.uint8)
        ends = np.flatnonzero(u == 10)
        n = len(ends) + 1
        size, spare = divmod(len(u) + 1, n)
        if not spare and np.array_equal(ends, np.arange(size - 1, len(u), size)):
            # every line as long as every other (single-digit indices): one 2-D view
            rows = np.frombuffer(data + b"\n", dtype=np.uint8).reshape(n, size)[:, :-1]
            return self._find(rows)
        starts = np.empty(n, dtype=np.int64)
        starts[0], starts[1:] = 0, ends + 1
        lengths = np.append(ends, len(u)) - starts
        out = np.empty(n, dtype=np.int64)
        for size in np.flatnonzero(np.bincount(lengths)).tolist():
            at = np.flatnonzero(lengths == size)
            found = self._find(sliding_window_view(u, size)[starts[at]])
            if found is None:
                return None
            out[at] = found
        return out

    def _find(self, rows: np.ndarray) -> np.ndarray | None:
        table = self.by_length.get(rows.shape[1])
        if table is None:
            return None
        keys, values = table
        texts = np.ascontiguousarray(rows).view(keys.dtype).ravel()
        at = np.searchsorted(keys, texts).clip(0, len(keys) - 1)
        return values[at] if np.array_equal(keys[at], texts) else None


def _texts(data: bytes, first_line: int) -> tuple[list[Any], np.ndarray]:
    """Non-blank lines, stripped, and their numbers."""
    if data.startswith(b"\xef\xbb\xbf") and first_line == 1:
        data = data[3:]
    if _plain(data):
        # one label per line, no blank line, no space to strip: the lines as they are
        parts = data.split(b"\n")
        return parts, np.arange(first_line, first_line + len(parts))
    lines = [ln.strip() for ln in data.split(b"\n")]
    keep = [i for i, ln in enumerate(lines) if ln]
    return [lines[i] for i in keep], np.array(keep, dtype=np.int64) + first_line


def parsed_ahead(fp: BinaryIO, source: str, parser: Parser) -> Generator[Parsed, None, None]:
    """A labels file's chunks parsed, the next one in a worker thread while the caller
    computes (the rows' network, mostly numpy, leaves the GIL free).  Reading stays on
    this thread, so no thread is left blocked on a pipe when the process ends."""
    from concurrent.futures import Future, ThreadPoolExecutor

    pool = ThreadPoolExecutor(1, thread_name_prefix="nncalc-labels")
    queued: deque[Future[Parsed]] = deque()
    try:
        for data, line in file_chunks(fp, source):
            queued.append(pool.submit(lines_parsed, parser, data, line))
            if len(queued) > 1:
                yield queued.popleft().result()
        while queued:
            yield queued.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def open_labels(path: str, parser: Parser, stack: ExitStack) -> Labels:
    """A labels file's labels, the file closed when ``stack`` closes."""
    try:
        fp = open(path, "rb")  # noqa: SIM115 - the stack closes it
    except OSError as e:
        raise cannot_open(e, path, N_("labels file")) from None
    stack.callback(fp.close)
    chunks = parsed_ahead(fp, path, parser)
    stack.callback(chunks.close)
    return Labels(parser, path, lambda: next(chunks, None))


def column_labels(
    parser: Parser, source: str, cells: deque[list[str]], first_row: int = 0
) -> Labels:
    """The labels of ``--label-column``: the cells a reader queues as it yields rows
    (rows counted from ``first_row``: a Dask block's place in its input)."""
    row = first_row + 1

    def more() -> Parsed | None:
        nonlocal row
        while cells:
            block = cells.popleft()
            if block:
                texts = [c.strip() for c in block]
                row += len(block)
                return parse(parser, texts, np.arange(row - len(block), row))
        return None

    return Labels(parser, source, more, what="row")
