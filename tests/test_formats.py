"""Readers and writers: real-world CSV, JSON, NDJSON, positions in errors, exact round trips."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given

from nncalc.errors import InputError
from nncalc.formats import Format, ReadOptions, fastcsv, read_matrix, sniff
from nncalc.formats import delimited as delimited_mod
from nncalc.formats.jsonio import read_params
from nncalc.formats.write import Writer
from tests.strategies import any_finite, matrices

GRID = [[1.0, 2.0, 3.0], [4.0, -5.5, 6e-3]]


def read(data: bytes, name: str = "-", **opts: object) -> np.ndarray:
    return read_matrix(io.BytesIO(data), name, ReadOptions(**opts)).values  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        b"1,2,3\n4,-5.5,6e-3\n",
        b"1,2,3\r\n4,-5.5,6e-3\r\n",
        b"\xef\xbb\xbf1,2,3\n4,-5.5,6e-3\n",
        b"\n# a comment\n1,2,3\n\n4,-5.5,6e-3\n\n\n",
        b"1,2,3,\n4,-5.5,6e-3,\n",
        b' "1", "2" ,"3"\n"4",-5.5,  6E-3 \n',
        b"1\t2\t3\n4\t-5.5\t0.006\n",
        b"1;2;3\n4;-5.5;0.006\n",
        b"1 2 3\n 4   -5.5  0.006\n",
        b"x1,x2,x3\n1,2,3\n4,-5.5,6e-3\n",
        b"+1,2.,3\n4,-5.5,.006\n",
    ],
)
def test_real_world_csv(data: bytes) -> None:
    assert read(data).tolist() == GRID


def test_header_is_detected_and_kept() -> None:
    m = read_matrix(io.BytesIO(b"a,b\n1,2\n"), "x.csv")
    assert m.header == ["a", "b"] and m.values.tolist() == [[1.0, 2.0]]
    assert "header a, b" in m.detected()


def test_header_forced_either_way() -> None:
    assert read(b"1,2\n3,4\n", header=True).tolist() == [[3.0, 4.0]]
    with pytest.raises(InputError, match="'a' is not a number"):
        read(b"a,b\n1,2\n", header=False)


def test_decimal_comma() -> None:
    assert read(b"1,5;2\n3;4,25\n", decimal=",").tolist() == [[1.5, 2.0], [3.0, 4.25]]


@pytest.mark.parametrize(
    ("data", "where", "what"),
    [
        (b"1,2\n3,x\n", "x.csv:2:3:", "'x' is not a number"),
        (b"1,2\n3\n", "x.csv:2:", "row has 1 value but the first row has 2"),
        (b"1,2\n3,nan\n", "x.csv:2:3:", "'nan' is not a finite number"),
        (b"1,2,3\n4,,6\n", "x.csv:2:3:", "an empty cell is not a number"),
        (b"1,2\n\xff\xfe,1\n", "x.csv:2:1:", "not UTF-8"),
        (b"", "x.csv:", "empty input"),
        (b"a,b\n", "x.csv:", "only a header"),
        (b"\x00\x01garbage", "x.csv:", "binary"),
        (b"1,1_000\n", "x.csv:1:3:", "not a number"),
    ],
)
def test_csv_errors_name_the_spot(data: bytes, where: str, what: str) -> None:
    with pytest.raises(InputError) as e:
        read(data, "x.csv")
    assert str(e.value).startswith(where), str(e.value)
    assert what in str(e.value)


def test_nonfinite_allowed_on_request() -> None:
    a = read(b"nan,inf\n-inf,1\n", allow_nonfinite=True)
    assert np.isnan(a[0, 0]) and a[0, 1] == np.inf and a[1, 0] == -np.inf


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"1.5", 1.5),
        (b"[1, 2]", [1.0, 2.0]),
        (b"[[1, 2], [3, 4]]", [[1.0, 2.0], [3.0, 4.0]]),
        (b"  [[1e3]] ", [[1000.0]]),
    ],
)
def test_json_shapes(data: bytes, expected: object) -> None:
    assert read(data, "x.json").tolist() == expected


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"[[1, 2], [3]]", "row [1] has 1 values"),
        (b'[[1, 2], [3, "a"]]', 'element [1][1] is "a", not a number'),
        (b"[1, null]", "null"),
        (b"[[[1]]]", "three deep"),
        (b"[" * 3000 + b"]" * 3000, "nested too deeply"),
        (b"[1, 2", "x.json:1:"),
        (b'{"a": 1}', "--params"),
        (b"[true]", "not a number"),
        (b"[]", "empty"),
        (b"[1e999]", "x.json:1:2: invalid JSON: number is infinity"),
    ],
)
def test_json_errors(data: bytes, what: str) -> None:
    with pytest.raises(InputError) as e:
        read(data, "x.json")
    assert what in str(e.value)


def test_ndjson_streams_rows() -> None:
    assert read(b"[1,2]\n\n[3,4]\n").tolist() == [[1.0, 2.0], [3.0, 4.0]]
    with pytest.raises(InputError, match=r"-:2: row has 1 values"):
        read(b"[1,2]\n[3]\n", format=Format.NDJSON)


def test_sniffing() -> None:
    assert sniff(b"[[1,2]]") is Format.JSON
    assert sniff(b"[1,2]\n[3,4]\n") is Format.NDJSON
    assert sniff(b"1,2\n") is Format.CSV
    assert sniff(b'{"weights": 1}') is Format.JSON


def test_params_object() -> None:
    p = read_params(
        io.BytesIO(b'{"inputs": [[1,2]], "weights": [[1],[2]], "biases": [0.5], "seed": 3}'),
        "net.json",
    )
    assert set(p) == {"x", "w", "b"}
    with pytest.raises(InputError, match="unknown key 'weight'"):
        read_params(io.BytesIO(b'{"weight": [1]}'), "net.json")
    with pytest.raises(InputError, match="none of inputs"):
        read_params(io.BytesIO(b"{}"), "net.json")


@given(matrices())
def test_csv_round_trip_is_bit_exact(a: np.ndarray) -> None:
    text = Writer(Format.CSV).dumps(a)
    assert read(text).tobytes() == a.tobytes()


@given(matrices())
def test_json_and_ndjson_round_trips_are_bit_exact(a: np.ndarray) -> None:
    for fmt in (Format.JSON, Format.NDJSON, Format.TSV):
        back = read(Writer(fmt).dumps(a), format=fmt)
        assert back.tobytes() == a.tobytes(), fmt


@given(matrices(any_finite))
def test_fast_parser_reads_what_we_write_exactly(a: np.ndarray) -> None:
    text = Writer(Format.CSV).dumps(a) * 3
    parsed = fastcsv.parse(text, ",", a.shape[1])
    assert parsed is not None
    assert parsed.tobytes() == np.concatenate([a, a, a]).tobytes()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Chunks of 256 KiB, all offered to the fast parser; returns its call log."""
    calls: list[int] = []
    real = fastcsv.parse

    def spy(data: bytes, delimiter: str, ncols: int) -> np.ndarray | None:
        calls.append(len(data))
        return real(data, delimiter, ncols)

    monkeypatch.setattr(delimited_mod, "CHUNK_BYTES", 1 << 18)
    monkeypatch.setattr(delimited_mod, "FAST_MIN_BYTES", 1 << 16)
    monkeypatch.setattr(fastcsv, "parse", spy)
    return calls


@pytest.mark.slow
def test_big_input_fast_path_matches_line_parser(
    small_chunks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = np.random.default_rng(3)
    a = rng.standard_normal((40_000, 5)) * 10.0 ** rng.integers(-300, 300, (40_000, 5))
    text = Writer(Format.CSV).dumps(a)
    fast = read(text)
    assert len(small_chunks) > 3  # several chunks, parsed ahead in the worker thread
    monkeypatch.setattr(delimited_mod, "FAST_MIN_BYTES", 1 << 62)
    slow = read(text)
    assert fast.tobytes() == slow.tobytes() == a.tobytes()


def test_fast_path_falls_back_for_a_precise_error(small_chunks: list[int]) -> None:
    rows = b"1.5,2.5\n" * 200_000 + b"3,oops\n" + b"1,2\n" * 1000
    with pytest.raises(InputError, match=r"^-:200001:3: 'oops' is not a number"):
        read(rows)
    assert small_chunks


def test_line_numbers_after_chunks_polars_took(small_chunks: list[int]) -> None:
    """Chunks polars parsed count their rows as lines; a later chunk's error still names
    its line (a header and CRLF line ends here)."""
    rows = b"a,b\r\n" + b"1.5,2.5\r\n" * 100_000 + b"3,oops\r\n" + b"1,2\r\n" * 1000
    with pytest.raises(InputError, match=r"^-:100002:3: 'oops' is not a number"):
        read(rows)
    assert len(small_chunks) > 2


@pytest.mark.parametrize("chunk", [7, 64, 1000, 1 << 16])
@pytest.mark.parametrize("last_newline", [True, False])
def test_chunks_end_at_line_ends_whatever_the_line_lengths(
    monkeypatch: pytest.MonkeyPatch, chunk: int, last_newline: bool
) -> None:
    """A chunk takes the rest of its last line, however long (here 1,200 bytes against
    chunks of 7, 64 and 1,000), and line numbers follow rows polars counted: every row
    arrives once, in order, exact, by either parser."""
    rng = np.random.default_rng(9)
    rows = [rng.standard_normal(3) * 10.0 ** rng.integers(-8, 8, 3) for _ in range(400)]
    rows[200] = np.full(3, 1 / 3) * 10.0 ** np.arange(3)  # a plain row among them
    text = Writer(Format.CSV).dumps(np.array(rows))
    long_row = ",".join(["1.25"] * 3) + " " * 1200  # trailing blanks: one long line
    text = text.replace(b"\n", f"\n{long_row}\n".encode(), 1)
    expected = np.array([rows[0], [1.25] * 3, *rows[1:]])
    if not last_newline:
        text = text[:-1]
    monkeypatch.setattr(delimited_mod, "CHUNK_BYTES", chunk)
    for fast_min in (0, 1 << 62):  # polars for every chunk, then the line parser for all
        monkeypatch.setattr(delimited_mod, "FAST_MIN_BYTES", fast_min)
        assert read(text).tobytes() == expected.tobytes()


def chunk_log(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, bool]]:
    """Every chunk handed to a parser: its size, and whether polars parsed it."""
    log: list[tuple[int, bool]] = []
    real = delimited_mod.DelimitedReader._parse_chunk

    def spy(self, data: bytes, end: int):  # type: ignore[no-untyped-def]
        log.append((len(data), self._fast_ok(data, end)))
        return real(self, data, end)

    monkeypatch.setattr(delimited_mod.DelimitedReader, "_parse_chunk", spy)
    return log


@pytest.mark.parametrize("header", [False, True])
def test_small_first_chunk_and_short_tail_read_the_same_numbers(
    monkeypatch: pytest.MonkeyPatch, header: bool
) -> None:
    """A large input's first chunk is only FAST_MIN_BYTES (its parse starts sooner) and
    its last, short chunk goes to polars too: the numbers are bit for bit those of the
    line parser reading the whole input at once."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((30_000, 6)) * 10.0 ** rng.integers(-300, 300, (30_000, 6))
    text = (b"a,b,c,d,e,f\n" if header else b"") + Writer(Format.CSV).dumps(a)
    log = chunk_log(monkeypatch)
    monkeypatch.setattr(delimited_mod, "CHUNK_BYTES", 1 << 18)
    monkeypatch.setattr(delimited_mod, "FAST_MIN_BYTES", 1 << 16)
    fast = read(text)
    sizes = [n for n, _ in log]
    assert sizes[0] < 1 << 17 <= sizes[1]  # first chunk ~64 KiB, then 256 KiB ones
    assert sizes[-1] < 1 << 18 and all(polars for _, polars in log)  # the short tail too
    log.clear()
    monkeypatch.setattr(delimited_mod, "FAST_MIN_BYTES", 1 << 62)
    slow = read(text)
    assert not any(polars for _, polars in log)
    assert fast.tobytes() == slow.tobytes() == a.tobytes()


def test_short_numbers_are_read_in_smaller_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Zeros parse to four times their text: chunks hold about CHUNK_VALUES values, not
    CHUNK_BYTES bytes, and the numbers are the same as in one read."""
    log = chunk_log(monkeypatch)
    monkeypatch.setattr(delimited_mod, "CHUNK_VALUES", 1 << 15)
    monkeypatch.setattr(delimited_mod, "FAST_MIN_BYTES", 1 << 15)
    text = b"0,0,0,0\n" * 40_000 + b"1,2,3,4\n"
    reader = delimited_mod.DelimitedReader(
        delimited_mod.Peekable(io.BytesIO(text)), "-", ReadOptions(), Format.CSV
    )
    assert reader.chunk_bytes() == 2 << 15  # 2 bytes a value
    x = read(text)
    assert {n >> 15 for n, _ in log[:-1]} == {2} and all(polars for _, polars in log)
    expected = np.zeros((40_001, 4))
    expected[-1] = [1, 2, 3, 4]
    assert x.tobytes() == expected.tobytes()


def test_writer_spells_nonfinite() -> None:
    a = np.array([[np.nan, np.inf, -np.inf, 1e-7]])
    assert Writer(Format.CSV).dumps(a) == b"nan,inf,-inf,1e-7\n"
    assert Writer(Format.JSON).dumps(a) == b"[\n[null,null,null,1e-7]\n]\n"


def test_writer_header_and_single_row() -> None:
    assert Writer(Format.CSV, header=["a1", "a2"]).dumps(np.array([[1.0, 2.0]])) == (
        b"a1,a2\n1.0,2.0\n"
    )
    assert Writer(Format.JSON, one_row=True).dumps(np.array([0.0, 0.03])) == b"[0.0,0.03]\n"


def test_huge_json_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    from nncalc import limits

    monkeypatch.setattr(limits, "_budget", 1 << 20)  # JSON up to 64 KiB
    with pytest.raises(limits.MemoryLimitError, match="does not fit the memory budget of 1 MiB"):
        read(b"[" + b"1," * 40_000 + b"1]", "x.json")
    assert read(b"[" + b"1," * 30_000 + b"1]", "x.json").shape == (30_001,)


def test_role_picks_an_entry_of_a_parameters_file() -> None:
    data = b'{"weights": [[1, 2]], "biases": [3, 4]}'
    assert read(data, "p.json", role="b").tolist() == [3.0, 4.0]
    with pytest.raises(InputError, match="has no inputs"):
        read(data, "p.json", role="x")


def test_npz_values_are_checked() -> None:
    def npz(**arrays: np.ndarray) -> bytes:
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        return buf.getvalue()

    assert read(npz(w=np.array([[1, 2]])), "w.npz").tolist() == [[1.0, 2.0]]
    with pytest.raises(InputError, match="holds complex128 values"):
        read(npz(w=np.array([1j])), "w.npz")
    with pytest.raises(InputError, match="not a finite number"):
        read(npz(w=np.array([np.nan])), "w.npz")
    with pytest.raises(InputError, match="holds 2 arrays"):
        read(npz(a=np.ones(1), b=np.ones(1)), "w.npz")
