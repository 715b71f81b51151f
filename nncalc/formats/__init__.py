"""Reading and writing matrices: CSV/TSV (streamed), JSON, NDJSON, NPZ.

Readers take a binary file object and return what they *detected* (format,
delimiter, header) beside the numbers, so auto-detection is visible and testable.
Writers return bytes; only the CLI writes to streams.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import Enum
from pathlib import PurePath
from typing import BinaryIO, NamedTuple

import numpy as np

from nncalc.errors import InputError


class Format(str, Enum):
    CSV = "csv"
    TSV = "tsv"
    JSON = "json"
    NDJSON = "ndjson"
    NPZ = "npz"
    PARQUET = "parquet"


EXTENSIONS = {
    ".csv": Format.CSV,
    ".tsv": Format.TSV,
    ".tab": Format.TSV,
    ".json": Format.JSON,
    ".ndjson": Format.NDJSON,
    ".jsonl": Format.NDJSON,
    ".npz": Format.NPZ,
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


DEFAULTS = ReadOptions()


class Matrix(NamedTuple):
    """Numbers read from one source, plus what was detected while reading them."""

    values: np.ndarray
    source: str
    format: Format
    delimiter: str | None = None
    header: list[str] | None = None

    def detected(self) -> str:
        return detection(self.source, self.format, self.delimiter, self.header, self.values.shape)


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
    return EXTENSIONS.get(PurePath(name).suffix.lower())


def sniff(head: bytes) -> Format:
    """Guess a format from the first bytes: ``{`` or ``[`` is JSON, unless the first two
    lines each hold one flat list (NDJSON); ``PK`` is a zip (npz); anything else CSV."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] == b"{":
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
    if head[:4] == b"PAR1":
        return Format.PARQUET
    return Format.CSV


class Peekable:
    """A binary stream whose first bytes were read for sniffing, readable again."""

    def __init__(self, fp: BinaryIO, size: int = 1 << 16) -> None:
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

    def readline(self) -> bytes:
        if self.head:
            i = self.head.find(b"\n")
            if i >= 0:
                data, self.head = self.head[: i + 1], self.head[i + 1 :]
                return data
            data, self.head = self.head, b""
            return data + self.fp.readline()
        return self.fp.readline()


def resolve_format(name: str, src: Peekable, options: ReadOptions) -> Format:
    return options.format or format_from_name(name) or sniff(src.head)


def check_binary(src: Peekable, name: str) -> None:
    if b"\x00" in src.head[:4096]:
        raise InputError(
            "this looks like a binary file, not CSV or JSON text",
            source=name,
            expected="numbers as text",
        )


def open_rows(fp: BinaryIO, name: str, options: ReadOptions = DEFAULTS) -> RowReader:
    """Start reading a matrix whose rows can stream (CSV/TSV/NDJSON).

    JSON and NPZ are read whole and served as one block, so callers need one path.
    """
    from .delimited import DelimitedReader
    from .jsonio import NdjsonReader, WholeReader

    src = Peekable(fp)
    fmt = resolve_format(name, src, options)
    if fmt in (Format.CSV, Format.TSV):
        check_binary(src, name)
        opts = options
        if fmt is Format.TSV and options.delimiter is None:
            opts = options._replace(delimiter="\t")
        return DelimitedReader(src, name, opts, fmt)
    if fmt is Format.NDJSON:
        check_binary(src, name)
        return NdjsonReader(src, name, options)
    if fmt is Format.PARQUET:
        from .parquet import read_parquet

        return WholeReader(read_parquet(src, name, options.allow_nonfinite))  # type: ignore[arg-type]
    return WholeReader(read_whole(src, name, fmt, options))


def read_whole(src: Peekable, name: str, fmt: Format, options: ReadOptions) -> Matrix:
    from .jsonio import checked_array, pick_role, read_json, read_npz

    if fmt is Format.NPZ:
        arrays = read_npz(src, name)
        if options.role and len(arrays) > 1:
            arr = pick_role(arrays, options.role, name)
        elif len(arrays) == 1:
            arr = next(iter(arrays.values()))
        else:
            raise InputError(
                f"holds {len(arrays)} arrays ({', '.join(map(repr, arrays))}); "
                "a matrix file holds one",
                source=name,
                expected="--params for a file of parameters",
            )
        return Matrix(checked_array(arr, name, options.allow_nonfinite), name, fmt)
    check_binary(src, name)
    return Matrix(read_json(src, name, options), name, Format.JSON)


def read_matrix(fp: BinaryIO, name: str, options: ReadOptions = DEFAULTS) -> Matrix:
    """Read a whole matrix (or vector, or number) from ``fp``; ``name`` is for messages."""
    return open_rows(fp, name, options).read_all()


class RowReader:
    """Rows of a matrix, served in blocks; ``read_all`` gives the whole :class:`Matrix`."""

    source: str
    format: Format
    delimiter: str | None = None
    header: list[str] | None = None

    def blocks(self) -> Iterator[np.ndarray]:  # pragma: no cover - interface
        raise NotImplementedError

    def detected(self) -> str:
        return detection(self.source, self.format, self.delimiter, self.header)

    def read_all(self) -> Matrix:
        parts = list(self.blocks())
        values = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return Matrix(values, self.source, self.format, self.delimiter, self.header)
