"""Writers: every value in its shortest round-trip form, so reading it back gives the
same float64 bit for bit.

orjson formats floats with the Ryu algorithm (shortest repr, like Python's ``repr`` but
``1e-7`` rather than ``1e-07``) about ten times faster than ``repr``; every path uses it,
so small and streamed runs print the very same text.  Its notation goes by the decimal
exponent: plain for 1e-5 ≤ |x| < 1e16 (float32: 1e-6 ≤ |x| < 1e13), an exponent outside
(``1.0188724520840059e-6``, ``1e+16``); the README states it and tests pin it.  JSON
cannot carry nan/inf: orjson writes them as ``null`` (documented); CSV writes ``nan``,
``inf``, ``-inf``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator

import numpy as np
import orjson

from nncalc.errors import UsageError
from nncalc.i18n import N_, _

from . import Format

ID_NOT_PARQUET = N_("--id-column labels rows in CSV, TSV, JSON or NDJSON output, not parquet")

_OPT = orjson.OPT_SERIALIZE_NUMPY
PIECE_VALUES = 1 << 18  # values formatted at once (bounds the text's scratch memory)


def _plain(a: np.ndarray) -> np.ndarray:
    # orjson serializes only native-endian C-contiguous float64/32 arrays; float32 stays
    # float32 so a --dtype float32 run prints float32's shortest forms (0.22, not
    # 0.2199999988079071), as --save-params does
    dtype = np.float32 if a.dtype == np.float32 else np.float64
    return np.ascontiguousarray(a, dtype=dtype)


def _nonfinite_token(v: float) -> bytes:
    return b"nan" if np.isnan(v) else (b"inf" if v > 0 else b"-inf")


def delimited_rows(a: np.ndarray, delimiter: str = ",") -> bytes | memoryview:
    """Rows of a 2-D array as delimited text, one line each, newline-terminated.

    orjson writes the values as one flat list; every p-th comma then becomes a newline,
    in place (1.5× faster than replacing "],[" in a nested dump: no resizing copy).
    """
    a = _plain(a)
    if a.size == 0:
        return b""
    buf = bytearray(orjson.dumps(a.ravel(), option=_OPT))
    text = np.frombuffer(buf, dtype=np.uint8)
    commas = np.flatnonzero(text == ord(","))  # orjson puts commas only between values
    if delimiter != ",":
        text[commas] = ord(delimiter)
    text[commas[a.shape[1] - 1 :: a.shape[1]]] = ord("\n")
    text[-1] = ord("\n")  # the closing bracket
    if np.isfinite(a).all():
        return memoryview(buf)[1:]
    sep = delimiter.encode()
    lines = bytes(buf[1:]).split(b"\n")
    for i in np.flatnonzero(~np.isfinite(a).all(axis=1)):
        cells = lines[i].split(sep)
        for j in np.flatnonzero(~np.isfinite(a[i])):
            cells[j] = _nonfinite_token(float(a[i, j]))
        lines[i] = sep.join(cells)
    return b"\n".join(lines)


def header_line(names: Iterable[str], delimiter: str = ",") -> bytes:
    return (delimiter.join(names) + "\n").encode()


def quote(cell: str, delimiter: str) -> str:
    """A label as one CSV cell: quoted (quotes doubled) only when it must be."""
    if delimiter in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


class Ids:
    """Row labels queued per input block (a reader's ``ids``), taken per output block:
    the layer re-blocks rows, so labels are taken by count, not by block."""

    def __init__(self, queue: deque[list[str]]) -> None:
        self.queue = queue
        self.pending: list[str] = []

    def take(self, k: int) -> list[str]:
        while len(self.pending) < k and self.queue:
            self.pending.extend(self.queue.popleft())
        if len(self.pending) < k:  # pragma: no cover - a reader/writer mismatch is a bug
            raise AssertionError(f"{k} rows but only {len(self.pending)} labels")
        out, self.pending = self.pending[:k], self.pending[k:]
        return out


class Writer:
    """Encodes an output matrix block by block; ``one_row`` marks a single sample
    (written as a flat JSON list rather than a list of one row).  ``ids`` (a reader's
    queue of labels, with --id-column) puts each row's label before its values."""

    def __init__(
        self,
        fmt: Format,
        header: list[str] | None = None,
        one_row: bool = False,
        ids: deque[list[str]] | None = None,
        id_name: str | None = None,
    ):
        if fmt not in (Format.CSV, Format.TSV, Format.JSON, Format.NDJSON, Format.PARQUET):
            raise ValueError(f"cannot write {fmt.value}")
        if ids is not None and fmt is Format.PARQUET:
            raise UsageError(_(ID_NOT_PARQUET))
        self.fmt = fmt
        self.header = header
        self.one_row = one_row
        self.delimiter = "\t" if fmt is Format.TSV else ","
        self._rows = 0
        self.ids = Ids(ids) if ids is not None else None
        if self.ids is not None and header:
            self.header = [id_name or "id", *header]
        self._held: list[np.ndarray] = []  # Parquet is written whole, at the end

    def start(self) -> bytes:
        if self.fmt in (Format.CSV, Format.TSV) and self.header:
            return header_line(self.header, self.delimiter)
        if self.fmt is Format.JSON and not self.one_row:
            return b"["
        return b""

    def block(self, a: np.ndarray) -> bytes | memoryview:
        a = np.atleast_2d(a)
        if self.fmt is Format.PARQUET:
            self._held.append(np.array(a, dtype=np.float64))
            return b""
        if self.fmt in (Format.CSV, Format.TSV):
            text = delimited_rows(a, self.delimiter)
            if self.ids is None:
                return text
            d = self.delimiter
            labels = [quote(i, d) for i in self.ids.take(len(a))]
            lines = bytes(text).split(b"\n")[: len(a)]
            return b"".join(
                f"{i}{d}".encode() + ln + b"\n" for i, ln in zip(labels, lines, strict=True)
            )
        if self.ids is not None:
            return self._objects(a)
        if self.fmt is Format.NDJSON:
            return orjson.dumps(_plain(a), option=_OPT)[1:-1].replace(b"],[", b"]\n[") + b"\n"
        if self.one_row:
            return orjson.dumps(_plain(a[0]), option=_OPT) + b"\n"
        body = orjson.dumps(_plain(a), option=_OPT)[1:-1].replace(b"],[", b"],\n[")
        sep = b"\n" if self._rows == 0 else b",\n"
        self._rows += len(a)
        return sep + body

    def _objects(self, a: np.ndarray) -> bytes:
        """JSON/NDJSON rows with ids: one object each, ``{"id": "r7", "a": [...]}``."""
        assert self.ids is not None
        rows = [
            {"id": i, "a": row} for i, row in zip(self.ids.take(len(a)), _plain(a), strict=True)
        ]
        if self.fmt is Format.NDJSON:
            return b"".join(orjson.dumps(r, option=_OPT | orjson.OPT_APPEND_NEWLINE) for r in rows)
        body = orjson.dumps(rows, option=_OPT)[1:-1].replace(b'},{"id"', b'},\n{"id"')
        sep = b"\n" if self._rows == 0 else b",\n"
        self._rows += len(a)
        return sep + body

    def end(self) -> bytes:
        if self.fmt is Format.PARQUET:
            from .parquet import write_parquet

            held, self._held = self._held, []
            return write_parquet(np.concatenate(held) if held else np.empty((0, 0)), self.header)
        if self.fmt is Format.JSON and not self.one_row:
            return b"\n]\n" if self._rows else b"]\n"
        return b""

    def encode(self, blocks: Iterable[np.ndarray]) -> Iterator[bytes | memoryview]:
        """Text piece by piece: a large block is formatted PIECE_VALUES values at a time,
        since its text and the scratch arrays that place the newlines take ~10 bytes per
        value each (rows are independent, so the bytes are the same)."""
        yield self.start()
        for blk in blocks:
            blk = np.atleast_2d(blk)
            step = max(1, PIECE_VALUES // max(1, blk.shape[1]))
            for start in range(0, max(len(blk), 1), step):
                yield self.block(blk[start : start + step])
        yield self.end()

    def dumps(self, a: np.ndarray) -> bytes:
        return b"".join(self.encode([a]))


class LabelWriter:
    """One class per sample (``--argmax``): its 0-based index, or its name; with ``ids``
    (--id-column) each row's label first: ``r7,setosa`` or ``{"id": "r7", "class": …}``."""

    def __init__(
        self,
        fmt: Format,
        classes: list[str] | None = None,
        header: list[str] | None = None,
        ids: deque[list[str]] | None = None,
        id_name: str | None = None,
    ) -> None:
        if fmt not in (Format.CSV, Format.TSV, Format.JSON, Format.NDJSON, Format.PARQUET):
            raise ValueError(f"cannot write {fmt.value}")
        if ids is not None and fmt is Format.PARQUET:
            raise UsageError(_(ID_NOT_PARQUET))
        self.fmt, self.classes, self.header = fmt, classes, header
        self.delimiter = "\t" if fmt is Format.TSV else ","
        self.ids = Ids(ids) if ids is not None else None
        if self.ids is not None and header:
            self.header = [id_name or "id", *header]

    def _cell(self, label: str) -> str:
        if any(c in label for c in (self.delimiter, '"', "\n", "\r")):
            return '"' + label.replace('"', '""') + '"'
        return label

    def encode(self, blocks: Iterable[np.ndarray]) -> Iterator[bytes]:
        first = True
        if self.fmt in (Format.CSV, Format.TSV) and self.header:
            yield header_line(self.header, self.delimiter)
        if self.fmt is Format.JSON:
            yield b"["
        if self.fmt is Format.PARQUET:
            from .parquet import write_labels

            held = [idx.tolist() if self.classes is None else [self.classes[i] for i in idx]
                    for idx in blocks]  # fmt: skip
            yield write_labels([v for vs in held for v in vs], (self.header or ["class"])[0])
            return
        for idx in blocks:
            values: list[int] | list[str] = (
                idx.tolist() if self.classes is None else [self.classes[i] for i in idx]
            )
            if self.ids is not None:
                ids = self.ids.take(len(values))
                if self.fmt in (Format.CSV, Format.TSV):
                    d = self.delimiter
                    yield "".join(f"{self._cell(i)}{d}{self._cell(str(v))}\n"
                                  for i, v in zip(ids, values, strict=True)).encode()  # fmt: skip
                    continue
                objects = [{"id": i, "class": v} for i, v in zip(ids, values, strict=True)]
                if self.fmt is Format.NDJSON:
                    yield b"".join(orjson.dumps(o) + b"\n" for o in objects)
                elif objects:
                    body = orjson.dumps(objects)[1:-1].replace(b'},{"id"', b'},\n{"id"')
                    yield (b"\n" if first else b",\n") + body
                    first = False
                continue
            if self.fmt in (Format.CSV, Format.TSV):
                cells = (self._cell(v) if isinstance(v, str) else str(v) for v in values)
                yield "".join(f"{c}\n" for c in cells).encode()
            elif self.fmt is Format.NDJSON:
                yield b"".join(orjson.dumps(v) + b"\n" for v in values)
            elif values:
                body = orjson.dumps(values)[1:-1]
                yield (b"" if first else b",") + body
                first = False
        if self.fmt is Format.JSON:
            yield b"\n]\n" if self.ids is not None and not first else b"]\n"
