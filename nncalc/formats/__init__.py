"""Reading and writing matrices: CSV/TSV (streamed, maybe compressed), JSON, NDJSON, npy, npz.

Readers take a binary file object and return what they *detected* (format,
delimiter, header) beside the numbers, so auto-detection is visible and testable.
Writers return bytes; only the CLI writes to streams.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from enum import Enum
from pathlib import PurePath
from typing import NamedTuple, Protocol

import numpy as np

from nncalc import i18n
from nncalc.errors import InputError


class Readable(Protocol):
    """What a reader uses of its input: a file, stdin's buffer, a :class:`Peekable`, a
    decompressing stream or anything that counts the bytes read on their way."""

    def read(self, n: int = -1, /) -> bytes: ...

    def readline(self, limit: int = -1, /) -> bytes: ...


class Format(str, Enum):
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    NDJSON = "ndjson"
    NPZ = "npz"
    NPY = "npy"
    PARQUET = "parquet"


EXTENSIONS = {
    ".csv": Format.CSV,
    ".tsv": Format.TSV,
    ".tab": Format.TSV,
    ".json": Format.JSON,
    ".ndjson": Format.NDJSON,
    ".jsonl": Format.NDJSON,
    ".npz": Format.NPZ,
    ".npy": Format.NPY,
    ".parquet": Format.PARQUET,
}


class ReadOptions(NamedTuple):
    """How to read a matrix; ``None`` means detect it."""

    format: Format | None = None
    delimiter: str | None = None
    header: bool | None = None
    decimal: str = "."
    allow_nonfinite: bool = False
    # "x", "w" or "b": which entry to take from a file of named parameters (a JSON
    # object or an .npz written by --save-params), so -w/-b accept such files too
    role: str | None = None
    # choosing columns and rows (see :mod:`.select`): specs like ``cut -f``
    columns: str | None = None
    drop_columns: str | None = None
    skip_rows: int = 0
    id_column: str | None = None  # a label column kept beside the output, not parsed
    origin: str | None = None  # the file name as given (for hints on W and b)

    def flag(self, name: str, value: str) -> str:
        """How the user sets option ``name`` for this file: a CLI flag for X, a suffix
        on the file name for W and b (whose files never take X's flags)."""
        if self.role in ("w", "b"):
            return f"'{self.origin or 'FILE'}?{name}={value or '1'}'"
        return f"--{name} {value}".rstrip()


DEFAULTS = ReadOptions()


class Matrix(NamedTuple):
    """Numbers read from one source, plus what was detected while reading them."""

    values: np.ndarray
    source: str
    format: Format
    delimiter: str | None = None
    header: list[str] | None = None
    note: str | None = None  # what else detection noticed (an index column, a likely header)
    ids: list[str] | None = None  # --id-column: each row's label

    def detected(self) -> str:
        text = detection(self.source, self.format, self.delimiter, self.header, self.values.shape)
        return f"{text}; {self.note}" if self.note else text

    def shape_hints(self) -> list[str]:
        """Notes that may explain a shape that does not fit (a header read as numbers)."""
        from .delimited import LIKELY_HEADER

        notes = (self.note or "").split("; ")
        return [f"{self.source}: {n}" for n in notes if n.startswith(i18n._(LIKELY_HEADER))]


def detection(
    source: str,
    fmt: Format,
    delimiter: str | None,
    header: list[str] | None,
    shape: tuple[int, ...] | None = None,
) -> str:
    """A line for ``--verbose``: what was guessed, so nothing is a silent guess."""
    parts = [f"format {fmt.value}"]
    if fmt in (Format.CSV, Format.TSV):
        parts.append(f"delimiter {delimiter_name(delimiter)}")
        parts.append("header " + (", ".join(header) if header else "none"))
    elif header:
        parts.append("keys " + ", ".join(header))
    text = f"{source}: {', '.join(parts)}"
    if shape is not None:
        text += "; shape " + ("×".join(map(str, shape)) or "scalar")
    return text


def delimiter_name(d: str | None) -> str:
    return {None: "whitespace", "\t": "tab", ",": "comma", ";": "semicolon", " ": "space"}.get(
        d, repr(d)
    )


def format_from_name(name: str) -> Format | None:
    """The format a path's extension names, or None (stdin, .txt, no extension)."""
    if name == "-":
        return None
    from .compressed import strip_suffix

    return EXTENSIONS.get(PurePath(strip_suffix(name)).suffix.lower())


def sniff(head: bytes) -> Format:
    """Guess a format from the first bytes: ``{`` or ``[`` is JSON, unless the first two
    lines each hold one flat list (NDJSON); ``PK`` is a zip (npz); anything else CSV."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"{":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and lines[1].lstrip().startswith(b"{"):
            import orjson

            try:
                orjson.loads(lines[0])
                return Format.NDJSON  # one whole object on the first line, another next
            except orjson.JSONDecodeError:
                pass
        return Format.JSON
    if text[:1] == b"[":
        lines = [ln for ln in text.splitlines() if ln.strip()]
        if len(lines) > 1 and all(ln.lstrip().startswith(b"[") for ln in lines[:2]):
            first = lines[0].strip()
            if first.endswith(b"]") and first.count(b"[") == 1:
                return Format.NDJSON
        return Format.JSON
    if text[:2] == b"PK":
        return Format.NPZ
    if head[:6] == b"\x93NUMPY":
        return Format.NPY
    if head[:4] == b"PAR1":
        return Format.PARQUET
    return Format.CSV


class Peekable:
    """A binary stream whose first bytes were read for sniffing, readable again."""

    def __init__(self, fp: Readable, size: int = 1 << 16) -> None:
        self.fp = fp
        self.head = fp.read(size)

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                data, self.head = self.head + self.fp.read(), b""
                return data
            data, self.head = self.head[:n], self.head[n:]
            if len(data) < n:
                data += self.fp.read(n - len(data))
            return data
        return self.fp.read(n)

    def readline(self, limit: int = -1) -> bytes:
        """One line, or its first ``limit`` bytes when it is longer (as io's readline)."""
        if self.head:
            i = self.head.find(b"\n")
            if i >= 0 and (limit < 0 or i < limit):
                data, self.head = self.head[: i + 1], self.head[i + 1 :]
                return data
            if 0 <= limit <= len(self.head):
                data, self.head = self.head[:limit], self.head[limit:]
                return data
            data, self.head = self.head, b""
            return data + self.fp.readline(-1 if limit < 0 else limit - len(data))
        return self.fp.readline(limit)


def read_line(src: Peekable, source: str, lineno: int | None = None) -> bytes:
    """The next line, refused before it is read whole if it is longer than the memory
    budget allows (a row millions of values wide, or a stream with no newline at all)."""
    from nncalc import limits

    longest = limits.max_line()
    data = src.readline(longest + 1)
    if len(data) > longest and not data.endswith(b"\n"):
        where = source if lineno is None else f"{source}:{lineno}"
        raise limits.refuse(
            i18n._("a line longer than {size}").format(size=limits.human(longest)),
            source=where,
            why=i18n._("a row too wide, or no line end (a line takes ~{factor}× its size)").format(
                factor=limits.LINE_FACTOR
            ),
        )
    return data


def resolve_format(name: str, src: Peekable, options: ReadOptions) -> Format:
    return options.format or format_from_name(name) or sniff(src.head)


def check_binary(src: Peekable, name: str) -> None:
    if b"\x00" in src.head[:4096]:
        raise InputError(
            i18n._("this looks like a binary file, not CSV or JSON text"),
            source=name,
            expected=i18n._("numbers as text"),
        )


def open_rows(fp: Readable, name: str, options: ReadOptions = DEFAULTS) -> RowReader:
    """Start reading a matrix whose rows can stream (CSV/TSV/NDJSON).

    JSON and NPZ are read whole and served as one block, so callers need one path.
    """
    from .delimited import DelimitedReader
    from .jsonio import NdjsonReader, WholeReader

    src = Peekable(fp)
    from .compressed import detect, open_stream

    kind = detect(src.head)
    if kind is not None:
        src = Peekable(open_stream(src, kind, name))
    fmt = resolve_format(name, src, options)
    if fmt in (Format.CSV, Format.TSV):
        check_binary(src, name)
        opts = options
        if fmt is Format.TSV and options.delimiter is None:
            opts = options._replace(delimiter="\t")
        delimited = DelimitedReader(src, name, opts, fmt)
        if kind:
            delimited.notes.append(f"{kind}-compressed")
        return delimited
    reader: RowReader
    if fmt is Format.NDJSON:
        check_binary(src, name)
        reader = NdjsonReader(src, name, options)
    elif fmt is Format.PARQUET:
        from .parquet import ParquetReader

        reader = ParquetReader(src, name, options.allow_nonfinite)
    elif fmt is Format.NPY and options.role is None:  # X streams; W and b are held whole
        from .npyio import NpyReader

        reader = NpyReader(src, name, options.allow_nonfinite)
    else:
        whole = read_whole(src, name, fmt, options)
        reader = WholeReader(whole._replace(note=f"{kind}-compressed") if kind else whole)
    if kind:
        reader.notes = [*reader.notes, f"{kind}-compressed"]
    if options.id_column:
        from nncalc.errors import UsageError

        raise UsageError(
            i18n._("--id-column reads CSV or TSV inputs; {name} is {format}").format(
                name=name, format=fmt.value
            )
        )
    if options.columns or options.drop_columns:
        from .select import Selected

        return Selected(reader, options)
    return reader


def read_whole(src: Peekable, name: str, fmt: Format, options: ReadOptions) -> Matrix:
    from .jsonio import pick_role, read_json
    from .npyio import checked_array, read_npy, read_npz

    if fmt is Format.NPY:
        what = {"w": "W", "b": "b"}.get(options.role or "", "")
        return Matrix(read_npy(src, name, options.allow_nonfinite, what), name, fmt)
    if fmt is Format.NPZ:
        arrays = read_npz(src, name)
        if options.role and len(arrays) > 1:
            arr = pick_role(arrays, options.role, name)
        elif len(arrays) == 1:
            arr = next(iter(arrays.values()))
        else:
            raise InputError(
                i18n._("holds {count} arrays ({names}); a matrix file holds one").format(
                    count=len(arrays), names=", ".join(map(repr, arrays))
                ),
                source=name,
                expected=i18n._("--params for a file of parameters"),
            )
        return Matrix(checked_array(arr, name, options.allow_nonfinite), name, fmt)
    check_binary(src, name)
    values, header = read_json(src, name, options)
    return Matrix(values, name, Format.JSON, header=header)


def read_matrix(fp: Readable, name: str, options: ReadOptions = DEFAULTS) -> Matrix:
    """Read a whole matrix (or vector, or number) from ``fp``; ``name`` is for messages."""
    return open_rows(fp, name, options).read_all()


class RowReader:
    """Rows of a matrix, served in blocks; ``read_all`` gives the whole :class:`Matrix`."""

    source: str
    format: Format
    delimiter: str | None = None
    header: list[str] | None = None
    # with --id-column: one list of labels per block, queued as each block is yielded
    ids: deque[list[str]] | None = None
    id_name: str | None = None
    notes: list[str] = []  # noqa: RUF012 - never mutated on the class

    def blocks(self) -> Iterator[np.ndarray]:  # pragma: no cover - interface
        raise NotImplementedError

    def detected(self) -> str:
        return detection(self.source, self.format, self.delimiter, self.header)

    def read_shown(self, group: int = 4096, shown: int = 6) -> tuple[Matrix, int, int | None]:
        """X for tables, read without holding it whole: ``(matrix, m, tail)``; see
        :class:`~nncalc.formats.shown.ShownRows` for which rows."""
        if self.ids is not None:  # labels for every row: read whole (bounded by the budget)
            matrix = self.read_all()
            return matrix, len(matrix.values), None
        from .shown import ShownRows

        kept = ShownRows(self.source, group, shown)
        for block in self.blocks():
            kept.add(block)
        values, m, tail = kept.rows()
        return self.matrix_of(values), m, tail

    def matrix_of(self, values: np.ndarray) -> Matrix:
        """Rows of this input as a Matrix, with what was detected reading it."""
        note = "; ".join(self.notes) or None
        return Matrix(values, self.source, self.format, self.delimiter, self.header, note)

    def read_all(self) -> Matrix:
        """Every row at once (tables, shapes, explain): refused past a quarter of the
        memory budget, which X, Z, A and their drawing share; streaming has no such bound."""
        from nncalc import limits

        role = getattr(getattr(self, "options", None), "role", None)
        room = limits.budget() // (2 if role else 4)  # W: its blocks, then them joined
        parts, held = [], 0
        for block in self.blocks():
            held += block.nbytes
            if held > room and role:
                raise limits.refuse(
                    i18n._("{operand} whole (more than {most})").format(
                        operand="W" if role == "w" else "b", most=limits.human(room)),
                    source=self.source, why=i18n._("the parameters are held whole"),
                )  # fmt: skip
            if held > room:
                raise limits.refuse(
                    i18n._("X whole for tables (more than {size})").format(size=limits.human(room)),
                    source=self.source,
                    why=i18n._("piped or with --format, rows stream and any number fit"),
                )
            parts.append(block)
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        ids = [i for block in self.ids for i in block] if self.ids is not None else None
        return self.matrix_of(values)._replace(ids=ids)
