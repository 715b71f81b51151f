"""Hostile input and hostile environments (issue 13): every README promise holds.

Each broken case of the issue is a test here, through a real process wherever the process
matters: signals, closed descriptors, /dev/full, pipes without a reader, FIFOs, env vars.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncalc import forward
from nncalc.examples import BATCH
from tests.conftest import ROOT, SAMPLES, assert_one_error_line, run_nncalc

W = str(SAMPLES / "batch/weights.csv")
B = str(SAMPLES / "batch/biases.csv")
X = str(SAMPLES / "batch/inputs.csv")
WB = ["-w", W, "-b", B]
TABLE_COMMANDS = [
    ["forward", X, *WB, "-f", "table"],
    ["shapes", X, *WB, "-f", "table"],
    ["explain", X, *WB],
    ["demo"],
    ["--help"],
    ["forward", "--help"],
]


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NNCALC_DEBUG")}
    return {**base, **extra}


def popen(args: list[str], **kw: Any) -> subprocess.Popen[bytes]:
    kw.setdefault("stdin", subprocess.DEVNULL)
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.PIPE)
    kw.setdefault("env", env())
    kw.setdefault("cwd", ROOT)
    return subprocess.Popen([sys.executable, "-m", "nncalc", *args], **kw)


def run(args: list[str], **kw: Any) -> subprocess.CompletedProcess[bytes]:
    p = popen(args, **kw)
    out, err = p.communicate(timeout=60)
    return subprocess.CompletedProcess(p.args, p.returncode, out or b"", err or b"")


def a_of(x: np.ndarray) -> bytes:
    return (
        "".join(
            ",".join(repr(float(v)) for v in r) + "\n" for r in forward(x, BATCH["w"], BATCH["b"]).a
        )
    ).encode()


# -- data lost or clobbered ---------------------------------------------------------------
def test_stdin_redirected_from_the_target_is_refused(tmp_path: Path) -> None:
    x = tmp_path / "x.csv"
    x.write_bytes(Path(X).read_bytes())
    with open(x, "rb") as fin:
        proc = run(["forward", "-", *WB, "-o", str(x)], stdin=fin)
    assert_one_error_line(proc, 2, "is also stdin")
    assert x.read_bytes() == Path(X).read_bytes()


@pytest.mark.slow
def test_batch_save_params_naming_another_input_is_refused(tmp_path: Path) -> None:
    for name in ("x.csv", "y.csv"):
        (tmp_path / name).write_bytes(Path(X).read_bytes())
    proc = run(["forward", "x.csv", "y.csv", *WB, "--out-dir", "out", "--save-params", "y.csv"],
               cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    assert b"is also an input (y.csv)" in proc.stderr
    assert (tmp_path / "y.csv").read_bytes() == Path(X).read_bytes()


def test_batch_input_linked_into_out_dir_is_read_before_anything_replaces_it(
    tmp_path: Path,
) -> None:
    (tmp_path / "d1").mkdir()
    (tmp_path / "d2").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "d1/b.csv").write_bytes(Path(X).read_bytes())
    other = b"1,2,3\n4,5,6\n"
    (tmp_path / "out/b.csv").write_bytes(other)
    os.symlink("../out/b.csv", tmp_path / "d2/c.csv")
    proc = subprocess.run(
        [sys.executable, "-m", "nncalc", "forward", "d1/b.csv", "d2/c.csv", *WB, "--out-dir",
         "out"], cwd=tmp_path, capture_output=True, env=env(), check=False,
    )  # fmt: skip
    assert proc.returncode == 1 and b"Traceback" not in proc.stderr
    assert b"is also an input (d2/c.csv)" in proc.stderr
    assert (tmp_path / "out/b.csv").read_bytes() == other  # not clobbered
    assert (tmp_path / "out/c.csv").read_bytes() == a_of(np.array([[1.0, 2, 3], [4, 5, 6]]))


def test_output_onto_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "a.fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    proc = run(["forward", X, *WB, "-o", str(fifo)])
    reader.join(10)
    assert proc.returncode == 0, proc.stderr
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert got == [a_of(np.array(BATCH["x"]))]
    assert sorted(os.listdir(tmp_path)) == ["a.fifo"]


def test_output_onto_dev_null_keeps_the_device() -> None:
    before = os.stat("/dev/null")
    proc = run(["forward", X, *WB, "-o", "/dev/null"])
    assert proc.returncode == 0 and proc.stderr == b""
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino


def test_output_through_a_symlink_replaces_the_target_not_the_link(tmp_path: Path) -> None:
    (tmp_path / "real.csv").write_bytes(b"old\n")
    os.symlink("real.csv", tmp_path / "link.csv")
    proc = run(["forward", X, *WB, "-o", str(tmp_path / "link.csv")])
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "link.csv").is_symlink()
    assert (tmp_path / "real.csv").read_bytes() == a_of(np.array(BATCH["x"]))


def _big_rows() -> bytes:
    return b"0.5,-1.25,2\n" * 800_000  # ~9.6 MB: more than one 8 MiB chunk


@pytest.mark.parametrize(("sig", "code", "word"), [(signal.SIGTERM, 143, "terminated"),
                                                   (signal.SIGHUP, 129, "hung up")])  # fmt: skip
def test_sigterm_and_sighup_mid_stream_remove_the_temporary_file(
    tmp_path: Path, sig: int, code: int, word: str
) -> None:
    out = tmp_path / "a.csv"
    out.write_bytes(b"keep me\n")
    p = popen(["forward", "-", *WB, "-o", str(out)], stdin=subprocess.PIPE)
    assert p.stdin is not None
    p.stdin.write(_big_rows())
    p.stdin.flush()
    deadline = time.monotonic() + 30
    while not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
        assert time.monotonic() < deadline and p.poll() is None
        time.sleep(0.02)
    p.send_signal(sig)
    _, err = p.communicate(timeout=30)
    p.stdin.close()
    assert p.returncode == code, err
    assert err.decode().splitlines() == [f"nncalc: error: {word} ({signal.Signals(sig).name})"]
    assert sorted(os.listdir(tmp_path)) == ["a.csv"]
    assert out.read_bytes() == b"keep me\n"


# -- tracebacks ---------------------------------------------------------------------------
def _caught(pid: int) -> int:
    """The process's caught-signals mask (Linux /proc), 0 if it cannot be read."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("SigCgt:"):
                return int(line.split()[1], 16)
    except OSError:
        pass
    return 0


def started(p: subprocess.Popen[bytes]) -> None:
    """Wait until nncalc's entry runs (its SIGTERM handler is in place). Before it, only
    the interpreter runs: a signal then kills it by default, before any file is touched."""
    while not _caught(p.pid) & (1 << (signal.SIGTERM - 1)) and p.poll() is None:
        time.sleep(0.001)


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.0, 0.02, 0.08])
def test_ctrl_c_while_importing_is_one_line(delay: float) -> None:
    """From the moment nncalc's entry runs (its SIGTERM handler is in place), a Ctrl-C
    is one line and 130 (or the run already finished), never a traceback."""
    p = popen(["forward", X, *WB])
    started(p)
    time.sleep(delay)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert b"Traceback" not in err, err.decode()
    if p.returncode == 0:
        assert err == b""
    else:
        assert p.returncode == 130 and err == b"nncalc: error: interrupted\n", (p.returncode, err)


@pytest.mark.parametrize("args", [["forward", X, *WB], ["random", "3", "2", "--seed", "1"],
                                  ["shapes", X, *WB]])  # fmt: skip
def test_closed_stdout_is_one_line(args: list[str]) -> None:
    cmd = ["sh", "-c", 'exec "$0" -m nncalc "$@" >&-', sys.executable, *args]  # as `>&-`
    proc = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, timeout=60, check=False)
    assert_one_error_line(proc, 1, "stdout: is closed")


@pytest.mark.slow
@pytest.mark.parametrize("args", [TABLE_COMMANDS[0], TABLE_COMMANDS[1], ["demo"], ["--help"]])
def test_full_device_is_one_line(args: list[str]) -> None:
    with open("/dev/full", "wb") as full:
        proc = run(args, stdout=full)
    assert_one_error_line(proc, 1, "stdout: cannot write: No space left on device")


@pytest.mark.parametrize(
    ("args", "encoding"), [(a, "ascii") for a in TABLE_COMMANDS] + [(["demo"], "latin-1")]
)
def test_narrow_encodings_fall_back_to_ascii(args: list[str], encoding: str) -> None:
    proc = run(args, env=env(PYTHONIOENCODING=encoding, COLUMNS="100"))
    assert proc.returncode == 0 and proc.stderr == b"", proc.stderr.decode(errors="replace")
    text = proc.stdout.decode(encoding)  # strict: every byte is in the encoding
    if args[0] in ("forward", "demo") and "--help" not in args:
        assert "+---" in text or "|" in text
        assert "(3x3)" in text


# -- wrong exit codes or lost output --------------------------------------------------------
@pytest.mark.parametrize(
    "args", TABLE_COMMANDS + [["forward", X, *WB], ["random", "9", "9", "--seed", "1"]]
)
def test_a_reader_gone_is_exit_0_everywhere(args: list[str]) -> None:
    r, w = os.pipe()
    os.close(r)  # like `| head -c 0`: the first write meets EPIPE
    try:
        proc = run(args, stdout=w)
    finally:
        os.close(w)
    assert proc.returncode == 0 and proc.stderr == b"", (proc.returncode, proc.stderr)


def test_a_dead_stderr_never_aborts_the_work(tmp_path: Path) -> None:
    r, w = os.pipe()
    os.close(r)
    out = tmp_path / "a.csv"
    try:
        proc = run(["forward", X, "-p", "2", "-o", str(out)], stderr=w)  # fresh seed: a note
    finally:
        os.close(w)
    assert proc.returncode == 0
    assert len(out.read_bytes().splitlines()) == 3


def test_closed_stderr_still_writes_every_output(tmp_path: Path) -> None:
    for name in ("x.csv", "y.csv"):
        (tmp_path / name).write_bytes(Path(X).read_bytes())
    args = ["forward", "x.csv", "y.csv", "-p", "2", "--out-dir", "out"]  # a note, a table
    cmd = ["sh", "-c", 'exec "$0" -m nncalc "$@" 2>&-', sys.executable, *args]
    proc = subprocess.run(cmd, cwd=tmp_path, env=env(), capture_output=True, check=False)
    assert proc.returncode == 0 and proc.stdout == b""
    assert sorted(os.listdir(tmp_path / "out")) == ["x.csv", "y.csv"]


@pytest.mark.parametrize("columns", ["0", "-5"])
def test_bad_columns_still_draw_tables(columns: str) -> None:
    proc = run_nncalc("forward", X, *WB, "-f", "table", env={"COLUMNS": columns})
    assert proc.returncode == 0 and proc.stderr == b""
    assert b"ReLU" in proc.stdout and len(proc.stdout) > 1000


def test_ndjson_error_names_the_real_line() -> None:
    proc = run_nncalc("forward", "-", *WB, "--input-format", "ndjson",
                      stdin=b"[1, 2, 3]\n[1, 2x, 3]\n")  # fmt: skip
    assert_one_error_line(proc, 1, "stdin:2:6: invalid JSON")


def test_npz_with_a_3d_array_is_one_line(tmp_path: Path) -> None:
    np.savez(tmp_path / "x.npz", np.ones((2, 3, 3)))
    proc = run_nncalc("forward", str(tmp_path / "x.npz"), *WB)
    assert_one_error_line(proc, 1, "holds a 3-D array (2×3×3)")


@pytest.mark.parametrize("fmt", ["csv", "table"])
def test_overflow_is_one_line(fmt: str) -> None:
    proc = run_nncalc("forward", "--params", "-", "-f", fmt,
                      stdin=b'{"inputs": [[1e308, 1e308, 1e308], [1, 2, 3]], '
                            b'"weights": [[1], [1], [1]], "biases": [0]}')  # fmt: skip
    assert_one_error_line(proc, 1, "Z overflows float64 at sample 0, neuron 0")


def test_overflow_with_allow_nonfinite_is_written_without_numpy_warnings() -> None:
    proc = run_nncalc("forward", "--params", "-", "--allow-nonfinite",
                      stdin=b'{"inputs": [[1e308, 1e308, -1e308], [1, 2, 3]], '
                            b'"weights": [[1, 1], [1, 1], [1, -1]], "biases": [0, 0]}')  # fmt: skip
    assert proc.returncode == 0 and proc.stderr == b""
    assert proc.stdout.splitlines()[0] == b"inf,inf"


@pytest.mark.slow
def test_output_replaced_by_a_folder_mid_run_is_one_line(tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    p = popen(["forward", "-", *WB, "-o", str(out)], stdin=subprocess.PIPE)
    assert p.stdin is not None
    p.stdin.write(_big_rows())
    p.stdin.flush()
    deadline = time.monotonic() + 30
    while not any(n.endswith(".tmp") for n in os.listdir(tmp_path)):
        assert time.monotonic() < deadline and p.poll() is None
        time.sleep(0.02)
    out.mkdir()
    (out / "keep").write_bytes(b"")
    _, err = p.communicate(timeout=60)
    proc = subprocess.CompletedProcess(p.args, p.returncode, b"", err)
    assert_one_error_line(proc, 1, "cannot replace it")
    assert sorted(os.listdir(tmp_path)) == ["a.csv"] and os.listdir(out) == ["keep"]


def test_a_target_that_cannot_be_renamed_over_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bind-mounted file refuses rename(2) with EBUSY: the Sink says so, keeps no temp."""
    from nncalc.errors import OutputError
    from nncalc.sink import Sink

    target = tmp_path / "a.csv"
    target.write_bytes(b"old\n")

    def busy(src: str, dst: object) -> None:
        raise OSError(errno.EBUSY, os.strerror(errno.EBUSY))

    monkeypatch.setattr(os, "replace", busy)
    with pytest.raises(OutputError, match="a.csv: cannot replace it: Device or resource busy"):
        with Sink(str(target)) as sink:
            sink.write(b"new\n")
    assert sorted(os.listdir(tmp_path)) == ["a.csv"] and target.read_bytes() == b"old\n"


# -- memory: one budget, checked before allocating ------------------------------------------
# A child's ru_maxrss counts the memory of whoever spawned it (exec keeps the old high
# water, and subprocess spawns with vfork from this big pytest process): a small Python
# forks nncalc instead and reports the peak of that grandchild alone.
MEASURE = """
import os, sys
pid = os.fork()
if pid == 0:
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    os.execv(sys.executable, [sys.executable, "-m", "nncalc", *sys.argv[1:]])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss >> 10)
"""


def peak(args: list[str], stdin: bytes = b"") -> tuple[int, int, bytes]:
    """(exit code, peak RSS in MiB, stderr) of one nncalc run, measured by the kernel."""
    proc = subprocess.run([sys.executable, "-c", MEASURE, *args], input=stdin, cwd=ROOT,
                          env=env(), capture_output=True, timeout=120, check=False)  # fmt: skip
    code, rss = proc.stdout.split()
    return int(code), int(rss), proc.stderr


DRAW = ["-p", "2", "--seed", "1"]


@pytest.fixture(scope="module")
def base_rss() -> int:
    """Peak RSS of the same kind of run on a tiny input: the interpreter and libraries."""
    code, rss, _ = peak(["forward", "-", *DRAW], b"1,2,3\n")
    assert code == 0
    return rss


def _refused(code: int, err: bytes, budget: str) -> None:
    text = err.decode()
    assert code == 1 and len(text.splitlines()) == 1 and "Traceback" not in text, text
    assert f"does not fit the memory budget of {budget}" in text, text
    assert "--max-memory SIZE or NNCALC_MAX_MEMORY" in text


@pytest.mark.slow
@pytest.mark.parametrize("data", [b"1," * 4_000_000, b"1,2,3\n" + b"7" * 8_000_000])
def test_a_line_with_no_end_is_refused_before_it_fills_memory(data: bytes, base_rss: int) -> None:
    """8 MB of one line took ~500 MB to parse; with a 64 MiB budget lines stop at 1 MiB."""
    code, rss, err = peak(["forward", "-", *DRAW, "--max-memory", "64M"], data)
    _refused(code, err, "64 MiB")
    assert "a line longer than 1 MiB" in err.decode()
    assert rss < base_rss + 32, (rss, base_rss)


def test_ndjson_rows_stream_in_blocks_of_bytes_not_of_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Blocks of 65536 rows held 0.5 GB for 1000 columns; blocks are now cut by bytes."""
    import io

    from nncalc.formats import ReadOptions, jsonio, open_rows

    monkeypatch.setattr(jsonio, "NDJSON_BLOCK_BYTES", 64 << 10)
    row = b"[" + b"0.5," * 999 + b"0.5]\n"
    reader = open_rows(io.BytesIO(row * 100), "x.ndjson", ReadOptions())
    sizes = [b.nbytes for b in reader.blocks()]
    assert sum(sizes) == 100 * 1000 * 8 and max(sizes) <= (64 << 10) + 8000  # + one row


@pytest.mark.slow
def test_json_bound_follows_the_budget(base_rss: int) -> None:
    doc = b"[" + b"[1,2,3]," * 120_000 + b"[1,2,3]]"  # 1 MB: ~45 MB to parse
    code, rss, err = peak(["forward", "-", *DRAW, "--max-memory", "16M"], doc)
    _refused(code, err, "16 MiB")
    assert rss < base_rss + 32, (rss, base_rss)
    code, rss, err = peak(["forward", "-", *DRAW, "--max-memory", "64M"], doc)
    assert code == 0 and rss < 64 + base_rss, (err, rss)  # the bound is honest: parsing fits


def _npz_bomb(declared: int) -> bytes:
    """An .npz whose one member inflates to ``declared`` bytes of zeros (a few KiB)."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("x.npy", "w") as f:
        np.lib.format.write_array_header_1_0(
            f, {"descr": "<f8", "fortran_order": False, "shape": (declared // 24, 3)}
        )
        zeros = bytes(1 << 20)
        for _ in range(declared >> 20):
            f.write(zeros)
    return buf.getvalue()


@pytest.mark.slow
def test_npz_bomb_is_refused_by_its_declared_size(base_rss: int) -> None:
    bomb = _npz_bomb(96 << 20)
    assert len(bomb) < 1 << 20
    code, rss, err = peak(["forward", "-", *DRAW, "--input-format", "npz", "--max-memory",
                           "32M"], bomb)  # fmt: skip
    _refused(code, err, "32 MiB")
    assert "member 'x.npy' (96 MiB inflated)" in err.decode()
    assert rss < base_rss + 32, (rss, base_rss)


@pytest.mark.slow
def test_dev_zero_as_npz_is_refused_at_once() -> None:
    proc = run_nncalc("forward", "/dev/zero", *DRAW, "--input-format", "npz", timeout=20)
    assert_one_error_line(proc, 1, "not a readable .npz archive")


@pytest.mark.slow
def test_a_layer_too_big_is_refused_before_drawing(base_rss: int) -> None:
    code, rss, err = peak(["forward", "-", "-p", "100000000", "--seed", "1"], b"1,2,3\n")
    _refused(code, err, "2 GiB")
    assert "a layer of 3 inputs × 100000000 neurons" in err.decode()
    assert rss < base_rss + 32, (rss, base_rss)
    proc = run_nncalc("random", "20000", "20000", "--seed", "1")
    assert_one_error_line(proc, 1, "does not fit the memory budget")


@pytest.mark.slow
def test_tables_read_only_the_rows_they_show_and_streams_any(base_rss: int) -> None:
    rows = b"1,2,3\n" * 4_500_000  # read whole for tables: 430 MB peak
    code, rss, err = peak(["forward", "-", *DRAW, "-f", "table", "--max-memory", "16M"], rows)
    assert code == 0, err  # the first and last row groups, and a count
    # no more than streaming the same rows takes (polars, chunks in flight: ~290 MB here),
    # far below the 430 MB of X read whole
    assert rss < base_rss + 320, (rss, base_rss)
    code, _, err = peak(["forward", "-", *DRAW, "--max-memory", "16M"], rows[: 6 << 20])
    assert code == 0, err  # rows beyond the budget stream


@pytest.mark.slow
def test_max_memory_from_the_environment_and_bad_sizes() -> None:
    proc = run_nncalc("forward", "-", *DRAW, stdin=b"1," * 600_000,
                      env={"NNCALC_MAX_MEMORY": "1M"})  # fmt: skip
    assert_one_error_line(proc, 1, "does not fit the memory budget of 1 MiB")
    for args in (["--max-memory", "1M", "forward", "-"], ["forward", "-", "--max-memory", "1M"]):
        proc = run_nncalc(*args, *DRAW, stdin=b"1," * 600_000)
        assert_one_error_line(proc, 1, "a line longer than 64 KiB does not fit the memory budget")
    proc = run_nncalc("forward", X, *DRAW, "--max-memory", "lots")
    assert_one_error_line(proc, 2, "--max-memory (or NNCALC_MAX_MEMORY) takes a size such as 512M")


# -- a hostile user at random: files, pipes, FIFOs, signals and environment variables ------
HOSTILE_ENV = st.fixed_dictionaries(
    {},
    optional={
        "COLUMNS": st.sampled_from(["0", "-1", "1", "7", "100000", "x", ""]),
        "LINES": st.sampled_from(["0", "-3", "x"]),
        "PYTHONIOENCODING": st.sampled_from(["ascii", "latin-1", "cp1252", "utf-8"]),
        "NNCALC_MAX_MEMORY": st.sampled_from(["1M", "64M", "0", "lots", "1e3", "2G"]),
        "NO_COLOR": st.just("1"),
        "FORCE_COLOR": st.just("1"),
        "TERM": st.sampled_from(["dumb", "unknown", "xterm-256color", ""]),
    },
)
HOSTILE_DATA = st.one_of(
    st.binary(max_size=200),
    st.lists(
        st.sampled_from(["1", "-2.5", "1e308", ",", "\n", ";", "nan", "x", "[", "]", " "]),
        max_size=60,
    ).map(lambda t: "".join(t).encode()),  # fmt: skip
    st.sampled_from(["sample", "long line"]),  # named: hypothesis prints them short
)
NAMED_DATA = {"sample": Path(X).read_bytes(), "long line": b"1," * 40_000}


def _feed(fifo: Path, data: bytes) -> None:
    with contextlib.suppress(OSError):  # nncalc may stop reading early: that is allowed
        fifo.write_bytes(data)


@pytest.mark.slow
@settings(max_examples=12, deadline=None)
@given(
    env_vars=HOSTILE_ENV,
    data=HOSTILE_DATA,
    via=st.sampled_from(["file", "pipe", "fifo"]),
    out=st.sampled_from(["pipe", "gone", "full", "file", "table"]),
    sig=st.sampled_from([None, signal.SIGINT, signal.SIGTERM, signal.SIGHUP]),
    # when the signal comes, counted from the moment nncalc's handlers are in place:
    # while it imports, reads, computes or writes
    delay=st.sampled_from([0.0, 0.01, 0.03, 0.1]),
)
def test_hostile_runs_keep_every_promise(
    tmp_path_factory: pytest.TempPathFactory,
    env_vars: dict[str, str],
    data: bytes | str,
    via: str,
    out: str,
    sig: int | None,
    delay: float,
) -> None:
    """Whatever is thrown at it: a documented exit code, no traceback, every stderr line
    nncalc's own, at most one error line, and an -o target either whole or untouched."""
    d = tmp_path_factory.mktemp("hostile")
    data = NAMED_DATA[data] if isinstance(data, str) else data
    args = ["forward", *DRAW]
    stdin: Any = subprocess.DEVNULL
    feeder = None
    if via == "file":
        (d / "x.csv").write_bytes(data)
        args.insert(1, str(d / "x.csv"))
    elif via == "pipe":
        args.insert(1, "-")
        stdin = subprocess.PIPE
    else:
        os.mkfifo(d / "x.fifo")
        args.insert(1, str(d / "x.fifo"))
        feeder = threading.Thread(target=_feed, args=(d / "x.fifo", data), daemon=True)
        feeder.start()
    target = d / "a.csv"
    target.write_bytes(b"old\n")
    stdout: Any = subprocess.PIPE
    if out == "file":
        args += ["-o", str(target)]
    elif out == "table":
        args += ["-f", "table"]
    elif out == "full":
        stdout = open("/dev/full", "wb")  # noqa: SIM115 - closed below
    r = w = -1
    if out == "gone":
        r, w = os.pipe()
        os.close(r)
        stdout = w
    p = popen(args, stdin=stdin, stdout=stdout, env={**env(), **env_vars})
    try:
        if sig is not None:
            started(p)
            time.sleep(delay)
            p.send_signal(sig)
        _, err = p.communicate(data if via == "pipe" else None, timeout=60)
    finally:
        if out == "full":
            stdout.close()
        if w >= 0:
            os.close(w)
        if feeder is not None:
            with contextlib.suppress(OSError):  # unblock a feeder nobody read
                os.close(os.open(d / "x.fifo", os.O_RDONLY | os.O_NONBLOCK))
    text = err.decode("utf-8", errors="replace")
    assert p.returncode in (0, 1, 2, 129, 130, 143), (p.returncode, text)
    assert "Traceback" not in text and "Exception ignored" not in text, text
    lines = text.splitlines()
    assert all(ln.startswith("nncalc: ") for ln in lines), text
    assert sum(ln.startswith("nncalc: error: ") for ln in lines) <= 1, text
    assert (p.returncode == 0) == (not any("error" in ln for ln in lines)), text
    assert sorted(os.listdir(d)) == sorted(
        ["a.csv", "x.csv" if via == "file" else "x.fifo"][: 2 if via != "pipe" else 1]
    )
    if out == "file" and p.returncode != 0:
        assert target.read_bytes() == b"old\n"


@pytest.mark.slow
def test_saved_params_are_kept_only_when_the_run_succeeds(tmp_path: Path) -> None:
    # a bad cell far down the input: the stream has started, the parameters are known
    rows = b"1,2,3\n" * 300_000 + b"1,x,3\n"
    old = tmp_path / "p.json"
    old.write_bytes(b"the last good run's parameters\n")
    for extra in (
        ["--save-params", str(old), "--force"],
        ["--save-model", str(tmp_path / "m.onnx")],
    ):
        proc = run_nncalc("forward", "-", "-p", "2", "--seed", "1", *extra, stdin=rows)
        assert_one_error_line(proc, 1, "stdin:300001:3:")
    assert old.read_bytes() == b"the last good run's parameters\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]  # no temporary left
    # a usage error found after the tables were computed (--layers past the end)
    proc = run_nncalc("forward", "-", "--neurons", "2,2", "--seed", "1", "-f", "table",
                      "--layers", "3", "--save-params", str(tmp_path / "t.json"),
                      stdin=b"1,2,3\n")  # fmt: skip
    assert_one_error_line(proc, 2, "--layers 3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


@pytest.mark.slow
def test_saved_params_are_kept_when_the_reader_of_stdout_leaves(tmp_path: Path) -> None:
    saved = tmp_path / "p.json"
    head = subprocess.Popen(["head", "-c", "10"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    proc = popen(["forward", "-", "-p", "2", "--seed", "1", "--save-params", str(saved)],
                 stdin=subprocess.PIPE, stdout=head.stdin)  # fmt: skip
    assert head.stdin is not None
    head.stdin.close()
    _, err = proc.communicate(b"1,2,3\n" * 2_000_000, timeout=60)
    head.wait(timeout=10)
    assert proc.returncode == 0, err
    again = run_nncalc("forward", "-", "--params", str(saved), stdin=b"1,2,3\n")
    direct = run_nncalc("forward", "-", "-p", "2", "--seed", "1", stdin=b"1,2,3\n")
    assert again.returncode == 0 and again.stdout == direct.stdout


@pytest.mark.slow
@pytest.mark.parametrize(
    ("first", "second"),
    [("-o", "--report"), ("-o", "--save-params"), ("--save-params", "--save-model"),
     ("--report", "--save-model")],
)  # fmt: skip
def test_two_outputs_naming_one_file_are_refused(tmp_path: Path, first: str, second: str) -> None:
    # each would be written whole, then replaced by the other: only the last would be left
    target = tmp_path / "same.html"
    args = [first, str(target), second, str(tmp_path / "." / "same.html")]
    proc = run_nncalc("forward", X, "-p", "2", "--seed", "1", *args)
    assert_one_error_line(proc, 2, f"{first} and {second} both name")
    assert list(tmp_path.iterdir()) == []
