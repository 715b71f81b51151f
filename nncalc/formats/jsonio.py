"""JSON (a number, a list, a list of lists, records, or an object of parameters), NDJSON."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import orjson

from nncalc import i18n, limits
from nncalc.errors import InputError

from . import Format, Matrix, Peekable, ReadOptions, RowReader, read_line
from .npyio import checked_array, read_npz

NDJSON_BLOCK_ROWS = 65536
NDJSON_BLOCK_BYTES = 8 << 20  # and no more rows than fill this (wide rows), at least one
PARAM_KEYS = {
    "x": ("inputs", "x", "X"),
    "w": ("weights", "w", "W"),
    "b": ("biases", "b", "bias", "B"),
}
METADATA_KEYS = ("meta", "init", "seed", "layout", "recipe", "dtype")


def loads(data: bytes, source: str, limit: int | None = None) -> Any:
    """Parse one JSON document, refusing one larger than ``limit`` bytes (whose parse
    would not fit the memory budget) before parsing it."""
    if limit is not None and len(data) > limit:
        raise limits.refuse(
            i18n._("a JSON document of more than {size}").format(size=limits.human(limit)),
            source=source,
            why=i18n._("parsing takes ~{factor}× its size; CSV and NDJSON rows stream").format(
                factor=limits.JSON_FACTOR
            ),
        )
    if not data.strip():
        raise InputError(
            i18n._("no numbers found (empty input)"),
            source=source,
            expected=i18n._("a number, a list or a list of lists"),
        )
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError as e:
        msg = str(e.msg) if hasattr(e, "msg") else str(e)
        if "recursion" in msg.lower() or "depth" in msg.lower():
            raise InputError(
                i18n._("JSON nested too deeply"),
                source=source,
                expected=i18n._("a list of lists at most"),
            ) from None
        raise InputError(
            i18n._("invalid JSON: {reason}").format(reason=msg),
            source=source,
            line=e.lineno,
            col=e.colno,
            expected=i18n._("a number, a list or a list of lists"),
        ) from None


def _number(v: Any, where: str, source: str, allow_nonfinite: bool, line: int | None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        if v is None and allow_nonfinite:
            return math.nan
        what = i18n._("null (a missing value)") if v is None else orjson.dumps(v).decode()[:40]
        expected = (
            i18n._("a number")
            if v is not None
            else i18n._("a number; --allow-nonfinite reads null as nan")
        )
        raise InputError(
            i18n._("{where} is {what}, not a number").format(where=where, what=what),
            source=source,
            line=line,
            expected=expected,
        )
    try:
        return float(v)
    except OverflowError:
        raise InputError(
            i18n._("{where} is {value}, too large for a float").format(where=where, value=v),
            source=source,
            line=line,
            expected=i18n._("a number within ±1.8e308"),
        ) from None


def to_array(
    obj: Any, source: str, allow_nonfinite: bool = False, line: int | None = None, prefix: str = ""
) -> np.ndarray:
    """A number, list or list of lists as a float64 array, or an error naming the element."""
    if isinstance(obj, dict):
        raise InputError(
            i18n._("holds an object with keys {keys}").format(keys=", ".join(map(repr, obj))),
            source=source,
            line=line,
            expected=i18n._("a matrix; give a file of inputs, weights and biases with --params"),
        )
    if not isinstance(obj, list):
        return np.array(_number(obj, prefix or i18n._("the value"), source, allow_nonfinite, line))
    if not obj:
        raise InputError(
            i18n._("{what} is empty").format(what=prefix or i18n._("the list")),
            source=source,
            line=line,
            expected=i18n._("at least one number"),
        )
    if all(isinstance(r, list) for r in obj):
        width = len(obj[0])
        rows = []
        for i, r in enumerate(obj):
            if len(r) != width:
                raise InputError(
                    i18n._("row {row} has {count} values but row [0] has {width}").format(
                        row=f"{prefix}[{i}]", count=len(r), width=width
                    ),
                    source=source,
                    line=line,
                    expected=i18n._("{width} values in every row").format(width=width),
                )
            if width == 0:
                raise InputError(
                    i18n._("row {row} is empty").format(row=f"{prefix}[{i}]"),
                    source=source,
                    line=line,
                    expected=i18n._("at least one number per row"),
                )
            rows.append(
                [
                    _number(
                        v,
                        i18n._("element {index}").format(index=f"{prefix}[{i}][{j}]"),
                        source,
                        allow_nonfinite,
                        line,
                    )
                    if isinstance(v, list) is False
                    else _too_deep(source, line)
                    for j, v in enumerate(r)
                ]
            )
        return np.array(rows, dtype=np.float64)
    if any(isinstance(r, list) for r in obj):
        raise InputError(
            i18n._("mixes numbers and lists"),
            source=source,
            line=line,
            expected=i18n._("a list of numbers or a list of equal-length lists"),
        )
    return np.array(
        [
            _number(
                v,
                i18n._("element {index}").format(index=f"{prefix}[{j}]"),
                source,
                allow_nonfinite,
                line,
            )
            for j, v in enumerate(obj)
        ],
        dtype=np.float64,
    )


def _too_deep(source: str, line: int | None) -> float:
    raise InputError(
        i18n._("nests lists three deep"),
        source=source,
        line=line,
        expected=i18n._("a matrix: a list of lists of numbers"),
    )


def read_bounded(src: Peekable) -> bytes:
    """The whole of a JSON input, but never more than the limit (+1 byte to tell)."""
    return src.read(limits.max_json() + 1)


def read_json(
    src: Peekable, source: str, options: ReadOptions
) -> tuple[np.ndarray, list[str] | None]:
    """A matrix, and its column names when it was a list of records ``[{"a": 1}, …]``."""
    obj = loads(read_bounded(src), source, limits.max_json())
    if isinstance(obj, dict) and options.role:
        obj = pick_role(obj, options.role, source)
    if isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj):
        keys = record_keys(obj)
        rows = [
            record_row(r, keys, source, i18n._("record {index}").format(index=f"[{i}]"), options)
            for i, r in enumerate(obj)
        ]
        return np.array(rows, dtype=np.float64).reshape(len(rows), len(keys)), keys
    return to_array(obj, source, options.allow_nonfinite), None


def record_keys(records: list[dict[str, Any]]) -> list[str]:
    """Every key, in first-seen order (each record must then have all of them)."""
    seen: dict[str, None] = {}
    for r in records:
        seen.update(dict.fromkeys(r))
    return list(seen)


def record_row(
    record: Any,
    keys: list[str],
    source: str,
    where: str,
    options: ReadOptions,
    line: int | None = None,
) -> list[float]:
    """One record's values in ``keys`` order; a missing or extra key names the record."""
    if not isinstance(record, dict):
        raise InputError(
            i18n._("{where} is not an object").format(where=where), source=source, line=line,
            expected=i18n._("one object per record, like the first"),
        )  # fmt: skip
    if not keys:
        raise InputError(
            i18n._("{where} is an empty object").format(where=where), source=source, line=line,
            expected=i18n._("keys naming the columns"),
        )  # fmt: skip
    missing = [k for k in keys if k not in record]
    if missing:
        raise InputError(
            i18n._("{where} has no {keys}").format(where=where, keys=", ".join(map(repr, missing))),
            source=source, line=line,
            expected=i18n._("every record with keys {keys}").format(keys=", ".join(keys)),
        )  # fmt: skip
    extra = [k for k in record if k not in keys]
    if extra:
        raise InputError(
            i18n._("{where} has {keys}, which the first record has not").format(
                where=where, keys=", ".join(map(repr, extra))),
            source=source, line=line,
            expected=i18n._("keys {keys} in every record").format(keys=", ".join(keys)),
        )  # fmt: skip
    return [
        _number(record[k], f"{where}[{k!r}]", source, options.allow_nonfinite, line) for k in keys
    ]


def pick_role(mapping: dict[str, Any], role: str, source: str) -> Any:
    """The entry of a parameters file that plays ``role`` (x, w or b), by any alias."""
    for key in PARAM_KEYS[role]:
        if key in mapping:
            return mapping[key]
    raise InputError(
        i18n._("has no {key}").format(key=PARAM_KEYS[role][0]), source=source,
        expected=i18n._("a key {keys}").format(
            keys=i18n._(" or ").join(map(repr, PARAM_KEYS[role]))),
    )  # fmt: skip


def read_params(
    fp: Any, source: str, options: ReadOptions = ReadOptions()
) -> dict[str, np.ndarray]:
    """Inputs/weights/biases from one JSON object or .npz; keys found → arrays."""
    from . import format_from_name, sniff

    src = Peekable(fp)
    fmt = options.format or format_from_name(source) or sniff(src.head)
    if fmt is Format.NPZ:
        raw = read_npz(src, source)
    else:
        obj = loads(read_bounded(src), source, limits.max_json())
        if not isinstance(obj, dict):
            raise InputError(
                i18n._("is not a JSON object"),
                source=source,
                expected='{"weights": [[...]], "biases": [...]}',
            )
        raw = obj
    out: dict[str, np.ndarray] = {}
    for key, value in raw.items():
        role = next((r for r, names in PARAM_KEYS.items() if key in names), None)
        if role is None:
            if key in METADATA_KEYS:
                continue
            raise InputError(
                i18n._("unknown key {key}").format(key=repr(key)),
                source=source,
                expected="inputs, weights, biases",
            )
        if isinstance(value, np.ndarray):
            out[role] = checked_array(value, source, options.allow_nonfinite)
        else:
            out[role] = to_array(value, source, options.allow_nonfinite, prefix=key)
    declared: object
    if fmt is Format.NPZ:  # the arrays say: float32 when W and b are (checked_array widens)
        kept = [v.dtype for k, v in raw.items() if k in PARAM_KEYS["w"] + PARAM_KEYS["b"]]
        declared = "float32" if kept and all(d == np.float32 for d in kept) else "float64"
    else:
        declared = raw.get("dtype", "float64")
    if declared == "float32":  # as --save-params writes a float32 run's W and b
        out = {k: v.astype(np.float32) if k != "x" else v for k, v in out.items()}
    elif declared != "float64":
        raise InputError(i18n._('"dtype" is {value}').format(value=repr(declared)), source=source,
                         expected="float32 or float64")  # fmt: skip
    if not out:
        raise InputError(
            i18n._("holds none of inputs, weights, biases"),
            source=source,
            expected=i18n._('keys "inputs", "weights", "biases"'),
        )
    return out


class WholeReader(RowReader):
    """A matrix that was read whole (JSON, NPZ), served as one block."""

    def __init__(self, matrix: Matrix) -> None:
        self.matrix = matrix
        self.source = matrix.source
        self.format = matrix.format
        self.header = matrix.header
        self.delimiter = matrix.delimiter

    def detected(self) -> str:
        return self.matrix.detected()

    def blocks(self) -> Iterator[np.ndarray]:
        yield self.matrix.values

    def read_all(self) -> Matrix:
        return self.matrix


class NdjsonReader(RowReader):
    """One JSON array (a row) per line; rows stream in blocks."""

    def __init__(
        self,
        src: Peekable,
        source: str,
        options: ReadOptions,
        within: tuple[list[str] | None, int, int, int] | None = None,
    ) -> None:
        self.src, self.source, self.options = src, source, options
        self.format = Format.NDJSON
        self.header: list[str] | None = None  # the first record's keys, for objects
        # a piece of a larger input (a Dask block): (the input's record keys, its row
        # width, lines and rows before the piece), so errors read as a whole read's
        self.within = within
        if within is not None:
            self.header = within[0]

    def blocks(self) -> Iterator[np.ndarray]:
        rows: list[np.ndarray] = []
        width: int | None = None
        lineno = 0
        produced = 0
        if self.within is not None:
            _, width, lineno, produced = self.within
        while True:
            raw = read_line(self.src, self.source, lineno + 1)
            if not raw:
                break
            lineno += 1
            if not raw.strip():
                continue
            try:
                obj = loads(raw, self.source)
            except InputError as e:  # orjson counts lines within the one line it saw
                e.line = lineno
                raise
            if isinstance(obj, dict) or self.header is not None:
                if self.header is None:
                    self.header = list(obj)
                where = i18n._("record {index}").format(index=produced + len(rows) + 1)
                values = record_row(obj, self.header, self.source, where, self.options, lineno)
                row = np.array(values, dtype=np.float64)
            else:
                row = np.atleast_1d(
                    to_array(obj, self.source, self.options.allow_nonfinite, line=lineno)
                )
            if row.ndim != 1:
                raise InputError(
                    i18n._("holds a matrix on one line"),
                    source=self.source,
                    line=lineno,
                    expected=i18n._("one row (a list of numbers) per line"),
                )
            if width is None:
                width = row.size
            elif row.size != width:
                raise InputError(
                    i18n._("row has {count} values but the first row has {width}").format(
                        count=row.size, width=width
                    ),
                    source=self.source,
                    line=lineno,
                    expected=i18n._("{width} values on every line").format(width=width),
                )
            rows.append(row)
            if len(rows) >= NDJSON_BLOCK_ROWS or len(rows) * width * 8 >= NDJSON_BLOCK_BYTES:
                produced += len(rows)
                yield np.stack(rows)
                rows = []
        if rows:
            produced += len(rows)
            yield np.stack(rows)
        if not produced:
            raise InputError(
                i18n._("no numbers found (empty input)"),
                source=self.source,
                expected=i18n._("one JSON list of numbers per line"),
            )
