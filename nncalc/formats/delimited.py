"""CSV, TSV and friends, read as a stream of row blocks.

Two parsers, one behaviour.  Every chunk is first offered to polars' CSV parser
(:mod:`.fastcsv`) when it is plainly formatted (no quotes, comments or decimal commas)
and large enough to pay for the import; whatever it refuses is parsed again by the line
parser below, which accepts the real-world variants and produces the precise
``LINE:COL`` error.  Both parse floats correctly rounded, so the numbers are the same
whichever parser read them.
"""

from __future__ import annotations

import csv
import math
import re
from collections import deque
from collections.abc import Iterator

import numpy as np

from nncalc import i18n, limits
from nncalc.errors import InputError

from . import Format, Peekable, ReadOptions, RowReader, read_line
from .select import choose

CHUNK_BYTES = 8 << 20
# A chunk holds about this many values at most, as far as the input's first rows tell:
# short numbers parse to up to four times their text (zeros: 2 bytes a value, 8 bytes
# parsed), so such inputs are read in smaller chunks (4 MiB for zeros) and memory stays
# bounded by the values in flight, not only the bytes.
CHUNK_VALUES = 1 << 21
READ_AHEAD = 3  # raw chunks read ahead of the parser, at most (bounded memory: 3×8 MiB)
FAST_MIN_BYTES = 4 << 20  # below this the line parser beats importing polars
NONFINITE_HINT = i18n.N_("a finite number; --allow-nonfinite lets nan/inf through")
LIKELY_HEADER = i18n.N_("the first row may be a header")  # shown through i18n._()
DECIMAL_COMMA = re.compile(r"^[+-]?\d*,\d+([eE][+-]?\d+)?$")


def _decode(raw: bytes, source: str, line: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError(
            i18n._("not UTF-8 text (is this a binary file?)"),
            source=source,
            line=line,
            col=e.start + 1,
            expected=i18n._("CSV text encoded as UTF-8"),
        ) from None


def detect_delimiter(line: str, decimal: str = ".") -> str | None:
    """The delimiter of a first line: tab, then semicolon, then comma; None = spaces."""
    if "\t" in line:
        return "\t"
    if ";" in line:
        return ";"
    if "," in line and decimal != ",":
        return ","
    if len(line.split()) > 1:
        return None
    return ","


def _count(k: int) -> str:
    return i18n.ngettext("{k} value", "{k} values", k).format(k=k)


def _unquote(field: str) -> str:
    """A space-delimited field without its quotes (a doubled quote inside is one), the
    way the csv module reads a quoted field; a stray quote (1") stays: not a number."""
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field


def _unclosed(line: str, delimiter: str | None) -> bool:
    """Whether a quoted field runs to the end of ``line`` without its closing quote."""
    if delimiter is None:
        return any(f.startswith('"') and (len(f) < 2 or not f.endswith('"'))
                   for f in line.split())  # fmt: skip
    try:
        next(csv.reader([line], delimiter=delimiter, skipinitialspace=True, strict=True))
    except csv.Error as e:
        return "end of data" in str(e)
    return False


def _is_number(cell: str) -> bool:
    try:
        float(cell.strip())
    except ValueError:
        return False
    return "_" not in cell


class DelimitedReader(RowReader):
    def __init__(self, src: Peekable, source: str, options: ReadOptions, fmt: Format) -> None:
        self.src = src
        self.source = source
        self.options = options
        self.format = fmt
        self.header = None
        self.ncols: int | None = None
        self.lineno = 0  # physical lines consumed so far
        self._read = 0  # bytes read from the input by _read_chunk
        self._chunk_bytes: int | None = None  # see chunk_bytes()
        self._first: tuple[int, str] | None = None
        self.keep: list[int] | None = None  # the numeric columns, when not all of them
        self.id_index: int | None = None
        self.ids: deque[list[str]] | None = deque() if options.id_column else None
        self.notes: list[str] = []
        self._preamble()

    # -- the first line decides delimiter and header ---------------------------------
    def _preamble(self) -> None:
        for _ in range(self.options.skip_rows):
            if not read_line(self.src, self.source, self.lineno + 1):
                break
            self.lineno += 1
        while True:
            raw = read_line(self.src, self.source, self.lineno + 1)
            if not raw:
                return
            self.lineno += 1
            text = _decode(raw, self.source, self.lineno)
            if self.lineno == 1:
                text = text.removeprefix("\ufeff")
            text = text.rstrip("\r\n")
            if text.strip() and not text.lstrip().startswith("#"):
                break
        d = self.options.delimiter
        self.delimiter = d if d is not None else detect_delimiter(text, self.options.decimal)
        if d == "" or (d is not None and d.isspace() and d != "\t"):
            self.delimiter = None
        if self.options.decimal == "," and self.delimiter == ",":
            raise InputError(
                i18n._("the decimal comma cannot also be the delimiter"),
                source=self.source,
                expected=i18n._("--delimiter ';' or tab with --decimal ','"),
            )
        fields = self._split(text, self.lineno)
        header = self.options.header
        if header is None:
            header = not any(_is_number(f) for f in fields)
        names = [f.strip() for f in fields] if header else None
        self._header_names = names
        if header:
            self.header = names
        else:
            self._first = (self.lineno, text)
            self._suspect_header(fields)
        self.ncols = len(fields)
        o = self.options
        if o.columns or o.drop_columns or o.id_column or (names and not names[0]):
            keep, self.id_index, index = choose(
                names, len(fields), self.source, o.columns, o.drop_columns, o.id_column
            )
            if index:
                self.notes.append("first column is an index (empty header cell): not read")
            if keep != list(range(len(fields))):
                self.keep = keep
            if names:
                self.header = [names[i] for i in keep]
                if self.id_index is not None:
                    self.id_name = names[self.id_index]

    def first_row(self) -> tuple[int, int] | None:
        """(line number, cells) of the first data row when it was read for detection
        (no header line), for a caller that cuts the input into pieces (the Dask
        engine's layout); None when the first line is a header, or there is none."""
        if self._first is None:
            return None
        return self._first[0], len(self._split(self._first[1]))

    def _suspect_header(self, fields: list[str]) -> None:
        """A first row 0,1,2… or 1,2,3… is more often column labels than data."""
        cells = [f.strip() for f in fields]
        if len(cells) > 1 and all(c.isdecimal() for c in cells):
            k = [int(c) for c in cells]
            if k in (list(range(len(k))), list(range(1, len(k) + 1))):
                how = self.options.flag("header", "1")
                note = i18n._("{likely} ({cells}): if so, use {how}")
                self.notes.append(
                    note.format(likely=i18n._(LIKELY_HEADER), cells=",".join(cells), how=how)
                )

    def detected(self) -> str:
        return "; ".join([super().detected(), *self.notes])

    # -- line parser --------------------------------------------------------------------
    def _split(self, line: str, lineno: int | None = None) -> list[str]:
        d = self.delimiter
        if '"' in line:
            if line.count('"') % 2 and _unclosed(line, d):
                raise InputError(
                    i18n._("a quote is opened and never closed"), source=self.source, line=lineno,
                    col=line.rfind('"') + 1, expected=i18n._('a closing " on the same line'),
                )  # fmt: skip
            if d is None:
                fields = [_unquote(f) for f in line.split()]
            else:
                fields = next(csv.reader([line], delimiter=d, skipinitialspace=True))
        else:
            fields = line.split() if d is None else line.split(d)
        if d is not None and len(fields) > 1 and not fields[-1].strip():
            fields.pop()  # a trailing delimiter, as spreadsheets write it
        return fields

    def _col(self, line: str, index: int) -> int:
        """1-based character column where field ``index`` starts (for messages)."""
        if self.delimiter is None:
            pos = 0
            for _ in range(index + 1):
                while pos < len(line) and line[pos].isspace():
                    pos += 1
                start = pos
                while pos < len(line) and not line[pos].isspace():
                    pos += 1
            return start + 1
        pos = 0
        for _ in range(index):
            nxt = line.find(self.delimiter, pos)
            if nxt < 0:
                break
            pos = nxt + len(self.delimiter)
        while pos < len(line) and line[pos] == " ":
            pos += 1
        return pos + 1

    def _parse_line(self, line: str, lineno: int, ids: list[str] | None = None) -> list[float]:
        fields = self._split(line, lineno)
        if self._data_line is None:
            self._data_line = lineno
        if self.ncols is None:
            self.ncols = len(fields)
        elif len(fields) != self.ncols:
            raise InputError(
                i18n._("row has {values} but the first row has {ncols}").format(
                    values=_count(len(fields)), ncols=self.ncols
                ),
                source=self.source,
                line=lineno,
                expected=i18n._("{ncols} values on every row").format(ncols=self.ncols),
            )
        decimal = self.options.decimal
        values = []
        if ids is not None and self.id_index is not None:
            ids.append(fields[self.id_index].strip())
        for i in range(len(fields)) if self.keep is None else self.keep:
            cell = fields[i]
            c = cell.strip()  # quotes were read by _split: one left (1") is not a number
            if decimal != ".":
                c = c.replace(decimal, ".")
            try:
                if "_" in c:
                    raise ValueError
                v = float(c)
            except ValueError:
                why = self._why(cell.strip(), fields, lineno, i)
                hint = i18n._("a number")
                if not why and lineno == self._first_data_line() and self.options.header is None:
                    hint = i18n._("a number; use {flag} if the first row is a header").format(
                        flag=self.options.flag("header", "")
                    )
                shown = repr(cell.strip()) if cell.strip() else i18n._("an empty cell")
                raise InputError(
                    i18n._("{cell} is not a number").format(cell=shown) + why,
                    source=self.source,
                    line=lineno,
                    col=self._col(line, i),
                    expected=hint,
                ) from None
            if not self.options.allow_nonfinite and not math.isfinite(v):
                raise InputError(
                    i18n._("{cell} is not a finite number").format(cell=repr(cell.strip())),
                    source=self.source,
                    line=lineno,
                    col=self._col(line, i),
                    expected=i18n._(NONFINITE_HINT),
                )
            values.append(v)
        return values

    def _why(self, cell: str, fields: list[str], lineno: int, i: int) -> str:
        """What most likely went wrong, in words that name the file and the option."""
        o = self.options
        if DECIMAL_COMMA.match(cell) and o.decimal == "." and self.delimiter != ",":
            seen = {";": i18n._("semicolons"), "\t": i18n._("tabs"), None: i18n._("spaces")}.get(
                self.delimiter
            ) or i18n._("delimiter {delimiter}").format(delimiter=repr(self.delimiter))
            return " " + i18n._("({seen} detected: is it {flag}?)").format(
                seen=seen, flag=o.flag("decimal", ",")
            )
        cells = [f.strip() for f in fields]
        numbers = sum(map(_is_number, cells))
        mostly_numbers = numbers > len(cells) - numbers and any(ch.isalpha() for ch in cell)
        column = self._header_names[i] if self._header_names else str(i + 1)
        if " " in column or "," in column:
            column = str(i + 1)
        labels = i18n._(
            "column {column} holds text: keep it beside A with --id-column {column}, "
            "or leave it out with --drop-columns {column}"
        ).format(column=column)
        if self.header is not None and lineno == self._data_line and mostly_numbers:
            return f" ({labels})"
        if lineno != self._first_data_line() or o.header is not None:
            return ""
        if mostly_numbers and o.role is None:
            return " " + i18n._(
                "(if row {row} of {source} is a header, use --header; if {labels})"
            ).format(row=lineno, source=self.source, labels=labels)
        if numbers:
            if len(cells) > 2 and all(c.isdecimal() for c in cells[:2]):
                return " " + i18n._(
                    "(row {row} of {source} is scikit-learn's preamble, {m} samples × {n} "
                    "features: use {flag})"
                ).format(row=lineno, source=self.source, m=cells[0], n=cells[1],
                         flag=o.flag("skip-rows", str(lineno)))  # fmt: skip
            return " " + i18n._("(row {row} of {source} is its header (use {flag}))").format(
                row=lineno, source=self.source, flag=o.flag("header", "")
            )
        return ""

    _data_line: int | None = None  # the first row parsed as numbers
    _header_names: list[str] | None = None  # every column's name, before selection

    def _first_data_line(self) -> int | None:
        return self._first[0] if self._first else None

    def _parse_lines(
        self, data: bytes, first_line: int, ids: list[str] | None = None
    ) -> np.ndarray:
        rows: list[list[float]] = []
        for k, raw in enumerate(data.split(b"\n")):
            lineno = first_line + k
            if not raw.strip():
                continue
            text = _decode(raw, self.source, lineno).rstrip("\r")
            if text.lstrip().startswith("#"):
                continue
            rows.append(self._parse_line(text, lineno, ids))
        width = len(self.keep) if self.keep is not None else self.ncols or 0
        return np.array(rows, dtype=np.float64).reshape(len(rows), width)

    # -- fast path ------------------------------------------------------------------------
    def _fast_ok(self, data: bytes, end: int) -> bool:
        """Whether polars may parse ``data`` when ``end`` bytes of the input have been
        read: an input large enough to pay for polars' import (then every chunk of it, up
        to the last and shortest) and plainly formatted."""
        return (
            end >= FAST_MIN_BYTES
            and self.ncols is not None
            and self.delimiter is not None
            and len(self.delimiter) == 1
            and self.options.decimal == "."
            and b'"' not in data
            and b"#" not in data
            and (self.keep is not None or self.id_index is not None or b"_" not in data)
        )

    def _parse_fast(self, data: bytes, ids: list[str] | None) -> np.ndarray | None:
        """polars' parse of a chunk, or None to take the line parser.  Cells under a label
        column are text there, so underscores (class_0) are allowed only outside the
        numeric columns: a numeric "1_000" makes polars fail, as the line parser does."""
        from . import fastcsv

        d, ncols = self.delimiter or ",", self.ncols or 0
        arr: np.ndarray | None
        keep = self.keep if self.keep is not None else list(range(ncols))
        if self.id_index is not None:
            got = fastcsv.parse_with_labels(data, d, ncols, keep, self.id_index)
            if got is None:
                return None
            arr, labels = got
        elif self.keep is None:
            arr = fastcsv.parse(data, d, ncols)
        else:
            arr = fastcsv.parse(data, d, ncols, self.keep)
        if arr is None or (not self.options.allow_nonfinite and not np.isfinite(arr).all()):
            return None
        if ids is not None and self.id_index is not None:
            ids.extend(labels)
        return np.ascontiguousarray(arr)

    # -- the stream -----------------------------------------------------------------------
    def chunk_bytes(self) -> int:
        """Bytes per chunk: CHUNK_BYTES, or fewer for an input of short numbers (judged
        on the rows sniffed ahead), so that a parsed chunk stays near CHUNK_VALUES."""
        if self._chunk_bytes is None:
            sample = self.src.head[: self.src.head.rfind(b"\n") + 1]
            rows = sample.count(b"\n")
            size = CHUNK_BYTES
            if rows and self.ncols:
                size = min(size, max(1 << 16, CHUNK_VALUES * len(sample) // (rows * self.ncols)))
            self._chunk_bytes = size
        return self._chunk_bytes

    def _read_chunk(self, size: int | None = None) -> bytes | None:
        """The next chunk of whole lines (``size`` bytes and the rest of the last line)."""
        data = self.src.read(size or self.chunk_bytes())
        if not data:
            return None
        self._read += len(data)
        if not data.endswith(b"\n"):
            data += read_line(self.src, self.source)
        if len(data) > limits.max_line():  # a small budget: no line of it may be longer
            ends = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n"))
            starts = np.concatenate([[-1], ends])
            if np.diff(np.append(starts, len(data) - 1)).max() > limits.max_line():
                raise limits.refuse(
                    i18n._("a line longer than {size}").format(
                        size=limits.human(limits.max_line())
                    ),
                    source=self.source,
                    why=i18n._("a row too wide (a line takes ~{factor}× its size)").format(
                        factor=limits.LINE_FACTOR
                    ),
                )
        return data

    def _parse_chunk(self, data: bytes, end: int) -> tuple[np.ndarray, list[str] | None]:
        """A chunk, when ``end`` bytes of the input have been read.  Chunks are parsed in order
        (one parse thread), so line numbers are counted here: for a chunk polars took,
        its rows are its lines (a blank line is a row of nulls, which polars' path
        refuses), so 8 MiB need not be searched for newlines (~2.4 ms a chunk)."""
        start = self.lineno + 1
        ids: list[str] | None = [] if self.ids is not None else None
        block = self._parse_fast(data, ids) if self._fast_ok(data, end) else None
        if block is None:
            self.lineno += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            return self._parse_lines(data, start, ids), ids
        self.lineno += len(block)
        return block, ids

    def _sized(self, data: bytes) -> tuple[bytes, int]:
        """The chunk and how much of the input has been read by now (is it large?)."""
        return data, self._read

    def blocks(self) -> Iterator[np.ndarray]:
        """Row blocks; with an id column, each block's labels are queued on ``ids`` just
        before it is yielded, so a writer can take them row for row."""
        produced = 0
        if self._first is not None:
            lineno, text = self._first
            produced += 1
            ids: list[str] | None = [] if self.ids is not None else None
            row = self._parse_line(text, lineno, ids)
            if self.ids is not None and ids is not None:
                self.ids.append(ids)
            yield np.array([row], dtype=np.float64)
        for block, ids in self._parsed_chunks():
            if len(block):
                produced += len(block)
                if self.ids is not None and ids is not None:
                    self.ids.append(ids)
                yield block
        if not produced:
            what = (
                i18n._("only a header (empty input)")
                if self.header
                else i18n._("no numbers (empty input)")
            )
            raise InputError(
                what, source=self.source, expected=i18n._("at least one row of numbers")
            )

    def _parsed_chunks(self) -> Iterator[tuple[np.ndarray, list[str] | None]]:
        """Parsed chunks in order.  For a large input, chunks are parsed in order in a
        worker thread, two queued at a time, while the caller computes and writes; the
        parser releases the GIL.  While the oldest chunk is still being parsed (polars'
        import delays the first by ~0.13 s) this thread reads up to
        READ_AHEAD raw chunks ahead instead of waiting (raw text only: a parsed chunk of
        short numbers takes up to four times its text's memory).  Reading stays on this
        thread, so no thread is ever left blocked on a file when the process ends
        (Ctrl-C, a closed pipe)."""
        # The first chunk is only as large as it must be to tell a large input (worth
        # polars' import) from a small one: once it is full, its parse (and the import)
        # starts at once, while this thread reads on.  A short one may be all there is.
        first = min(self.chunk_bytes(), max(FAST_MIN_BYTES, 1 << 16))
        chunk = self._read_chunk(first)
        if chunk is None:
            return
        following = self._read_chunk() if len(chunk) < first else None
        if len(chunk) < first and following is None:
            yield self._parse_chunk(*self._sized(chunk))
            return
        from collections import deque
        from concurrent.futures import Future, ThreadPoolExecutor

        pool = ThreadPoolExecutor(1, thread_name_prefix="nncalc-parse")
        parsing: deque[Future[tuple[np.ndarray, list[str] | None]]] = deque()
        waiting = deque([chunk] if following is None else [chunk, following])  # not yet parsing
        eof = False

        def hand_over() -> None:
            while len(parsing) < 2 and waiting:
                parsing.append(pool.submit(self._parse_chunk, *self._sized(waiting.popleft())))

        try:
            hand_over()
            while parsing:
                while not eof and (
                    len(parsing) + len(waiting) < 2
                    or (len(waiting) < READ_AHEAD and not parsing[0].done())
                ):
                    nxt = self._read_chunk()
                    if nxt is None:
                        eof = True
                    else:
                        waiting.append(nxt)
                        hand_over()
                yield parsing.popleft().result()
                hand_over()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
