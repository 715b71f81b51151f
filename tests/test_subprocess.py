"""nncalc as a real process: pipes, files, exit codes, signals, terminals."""

from __future__ import annotations

import json
import os
import pty
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nncalc import forward
from nncalc.examples import BATCH
from tests.conftest import ROOT, SAMPLES, assert_one_error_line, run_nncalc

WB = ["-w", "samples/batch/weights.csv", "-b", "samples/batch/biases.csv"]
EXPECTED = forward(BATCH["x"], BATCH["w"], BATCH["b"]).a


def parse(out: bytes) -> np.ndarray:
    return np.array([[float(v) for v in line.split(",")] for line in out.decode().splitlines()])


def test_stdin_dash() -> None:
    proc = run_nncalc("forward", "-", *WB, stdin=(SAMPLES / "batch/inputs.csv").read_bytes())
    assert proc.returncode == 0 and proc.stderr == b""
    assert parse(proc.stdout).tobytes() == EXPECTED.tobytes()


def test_pipe_to_a_file(tmp_path: Path) -> None:
    out = tmp_path / "a.csv"
    nncalc = f"{sys.executable} -m nncalc"
    cmd = f"cat samples/batch/inputs.csv | {nncalc} forward - {' '.join(WB)} > {out}"
    proc = subprocess.run(cmd, shell=True, cwd=ROOT, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert parse(out.read_bytes()).tobytes() == EXPECTED.tobytes()


def test_json_parsed_back() -> None:
    proc = run_nncalc("forward", "samples/batch/inputs.csv", *WB, "--format", "json")
    assert np.array(json.loads(proc.stdout)).tobytes() == EXPECTED.tobytes()


@pytest.mark.slow
def test_python_dash_m_and_help() -> None:
    proc = run_nncalc("--help")
    assert proc.returncode == 0 and b"forward" in proc.stdout
    assert run_nncalc("--version").stdout.startswith(b"nncalc ")


def _file(tmp_path: Path, name: str, data: bytes) -> str:
    (tmp_path / name).write_bytes(data)
    return str(tmp_path / name)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make_args", "code", "contains"),
    [
        (lambda t: ["forward", "missing.csv", *WB], 1, "missing.csv: no such file"),
        (lambda t: ["forward", str(t), *WB], 1, "is a directory"),
        (
            lambda t: ["forward", _file(t, "x.csv", b"\x89PNG\r\n\x1a\n\x00\x00"), *WB],
            1,
            "binary file",
        ),
        (lambda t: ["forward", _file(t, "x.csv", b""), *WB], 1, "x.csv: no numbers"),
        (
            lambda t: ["forward", _file(t, "x.csv", b"1,2,3\n4,5\n"), *WB],
            1,
            "x.csv:2: row has 2 values but the first row has 3",
        ),
        (
            lambda t: ["forward", _file(t, "x.csv", b"1,2,3\n4,abc,6\n"), *WB],
            1,
            "x.csv:2:3: 'abc' is not a number",
        ),
        (
            lambda t: ["forward", _file(t, "x.json", b"[" * 100_000 + b"]" * 100_000), *WB],
            1,
            "nested too deeply",
        ),
        (
            lambda t: ["forward", "--params", _file(t, "p.json", b'{"layerz": []}')],
            1,
            "unknown key 'layerz'",
        ),
        (
            lambda t: ["forward", "--params", _file(t, "p.json", b'{"weights": [[1]]}')],
            2,
            "no inputs",
        ),
        (
            lambda t: ["forward", _file(t, "x.csv", b"1,2\n"), *WB],
            1,
            "is 1×2 (1 sample, 2 features) but samples/batch/weights.csv is 3×2",
        ),
        (
            lambda t: ["explain", "samples/batch/inputs.csv", *WB, "--sample", "3"],
            2,
            "--sample 3 is out of range",
        ),
        (lambda t: ["forward", "samples/batch/inputs.csv", *WB, "--input-format", "xml"], 2, "xml"),
        (
            lambda t: ["forward", "samples/batch/inputs.csv", *WB, "--bogus"],
            2,
            "No such option: --bogus",
        ),
        (lambda t: ["random", "-5"], 2, ""),
        (
            lambda t: ["forward", _file(t, "x.csv", b"1,2,nan\n"), *WB],
            1,
            "x.csv:1:5: 'nan' is not a finite number",
        ),
        (
            lambda t: [
                "forward",
                "samples/batch/inputs.csv",
                *WB,
                "-o",
                "samples/batch/weights.csv",
            ],
            2,
            "is also an input",
        ),
    ],
)
def test_every_error_is_one_line(tmp_path: Path, make_args, code: int, contains: str) -> None:  # type: ignore[no-untyped-def]
    assert_one_error_line(run_nncalc(*make_args(tmp_path)), code, contains)


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    proc = run_nncalc("forward", "missing.csv", *WB, env={"NNCALC_DEBUG": "1"})
    assert proc.returncode != 0 and b"Traceback" in proc.stderr


@pytest.mark.slow
def test_head_closes_the_pipe_quietly() -> None:
    cmd = (
        f"{sys.executable} -m nncalc random 300000 8 --seed 1 | "
        f"{sys.executable} -m nncalc forward - -p 4 --seed 2 | head -1"
    )
    proc = subprocess.run(
        ["bash", "-o", "pipefail", "-c", cmd],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert len(proc.stdout.splitlines()) == 1
    assert b"Traceback" not in proc.stderr and b"Error" not in proc.stderr, proc.stderr
    assert proc.returncode == 0


def _start_blocked(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    """nncalc reading a stdin that never ends, mid-run: more than one 8 MiB chunk of rows
    is sent, then silence; it has written the first chunk's rows to its temporary file
    (so its handlers are in place and there is something to clean up) when this returns."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "nncalc", *args],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    proc.stdin.write(b"1,2,3\n" * 1_500_000)  # 9 MB: the first chunk is written, then silence
    proc.stdin.flush()
    deadline = time.monotonic() + 60
    while not any(p.name.endswith(".tmp") for p in tmp_path.iterdir()):
        assert time.monotonic() < deadline and proc.poll() is None, proc.poll()
        time.sleep(0.02)
    return proc


@pytest.mark.slow
def test_sigint_exits_130_and_leaves_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    target.write_text("precious\n")
    proc = _start_blocked(tmp_path, "forward", "-", *WB, "-o", str(target))
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert err.decode().strip() == "nncalc: error: interrupted"
    assert target.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]  # no temporary left behind


@pytest.mark.slow
def test_error_mid_stream_leaves_output_untouched(tmp_path: Path) -> None:
    target = tmp_path / "a.csv"
    target.write_text("precious\n")
    bad = b"1,2,3\n" * 200_000 + b"1,2,x\n"
    proc = run_nncalc("forward", "-", *WB, "-o", str(target), stdin=bad)
    assert_one_error_line(proc, 1, "stdin:200001:5: 'x' is not a number")
    assert target.read_text() == "precious\n"
    assert [p.name for p in tmp_path.iterdir()] == ["a.csv"]


@pytest.mark.slow
def test_output_file_written_atomically_and_force(tmp_path: Path) -> None:
    x = tmp_path / "x.csv"
    x.write_text("-0.9,-0.4,-0.7\n")
    assert run_nncalc("forward", str(x), *WB, "-o", str(x)).returncode == 2
    assert x.read_text() == "-0.9,-0.4,-0.7\n"
    assert run_nncalc("forward", str(x), *WB, "-o", str(x), "--force").returncode == 0
    assert x.read_text() == "0.0,0.0\n"


def _with_terminal_stdin(*args: str) -> subprocess.CompletedProcess[bytes]:
    """nncalc with a pseudo-terminal on stdin, as when a user types it with no pipe."""
    main, secondary = pty.openpty()
    try:
        return subprocess.run(
            [sys.executable, "-m", "nncalc", *args],
            cwd=ROOT,
            stdin=secondary,
            capture_output=True,
            timeout=30,
            check=False,
        )
    finally:
        os.close(main)
        os.close(secondary)


def test_terminal_on_stdin_fails_at_once() -> None:
    assert_one_error_line(_with_terminal_stdin("forward", *WB), 2, "no inputs")
    assert_one_error_line(_with_terminal_stdin("forward", "-", *WB), 2, "stdin is a terminal")


def _on_a_terminal(env: dict[str, str]) -> bytes:
    """Run the demo with stdout on a pseudo-terminal and return what it drew."""
    main, secondary = pty.openpty()
    full_env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    full_env.update({"COLUMNS": "100", "TERM": "xterm-256color", **env})
    proc = subprocess.Popen(
        [sys.executable, "-m", "nncalc", "demo"],
        cwd=ROOT,
        stdout=secondary,
        stderr=subprocess.DEVNULL,
        env=full_env,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=30)
    os.close(main)
    return b"".join(chunks)


def test_colours_on_a_terminal_and_never_with_no_color_or_dumb() -> None:
    assert b"\x1b[" in _on_a_terminal({})
    assert b"\x1b[" not in _on_a_terminal({"NO_COLOR": "1"})
    assert b"\x1b[" not in _on_a_terminal({"TERM": "dumb"})


def test_piped_tables_have_no_escapes_unless_forced() -> None:
    assert b"\x1b[" not in run_nncalc("demo").stdout
    assert b"\x1b[" in run_nncalc("demo", env={"FORCE_COLOR": "1"}).stdout


def test_readme_pipeline_from_nothing() -> None:
    cmd = (
        f"{sys.executable} -m nncalc random 5 3 --seed 1 | "
        f"{sys.executable} -m nncalc forward - --neurons 2 --seed 42"
    )
    proc = subprocess.run(cmd, shell=True, cwd=ROOT, capture_output=True, check=False)
    np.random.seed(1)
    x = np.random.randn(5, 3)
    np.random.seed(42)
    w, b = np.random.randn(3, 2), np.random.randn(2)
    assert parse(proc.stdout).tobytes() == forward(x, w, b).a.tobytes()


def test_large_input_streams_bit_identical_to_the_api(tmp_path: Path) -> None:
    # ~19 MB: several 8 MiB chunks, so the parse worker, polars and the BLAS cap all run
    from nncalc.formats import Format
    from nncalc.formats.write import Writer

    rng = np.random.default_rng(11)
    x = rng.standard_normal((120_000, 8)) * 10.0 ** rng.integers(-5, 5, (120_000, 8))
    w, b = rng.standard_normal((8, 3)), rng.standard_normal(3)
    (tmp_path / "x.csv").write_bytes(Writer(Format.CSV).dumps(x))
    (tmp_path / "w.csv").write_bytes(Writer(Format.CSV).dumps(w))
    (tmp_path / "b.csv").write_bytes(Writer(Format.CSV).dumps(b[None, :]))
    proc = run_nncalc(
        "forward",
        str(tmp_path / "x.csv"),
        "-w",
        str(tmp_path / "w.csv"),
        "-b",
        str(tmp_path / "b.csv"),
        "-o",
        str(tmp_path / "a.csv"),
    )
    assert proc.returncode == 0, proc.stderr
    expected = Writer(Format.CSV).dumps(forward(x, w, b).a)
    assert (tmp_path / "a.csv").read_bytes() == expected


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_full_disk_is_one_line() -> None:
    with open("/dev/full", "wb") as full:
        proc = subprocess.run(
            [sys.executable, "-m", "nncalc", "forward", "samples/batch/inputs.csv", *WB],
            cwd=ROOT,
            stdout=full,
            stderr=subprocess.PIPE,
            check=False,
        )
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err
    assert (
        err == "nncalc: error: stdout: cannot write: No space left on device "
        "(expected room on the disk and a writable target)\n"
    )


@pytest.mark.slow
def test_quick_exit_keeps_every_byte_and_the_exit_code(tmp_path: Path) -> None:
    """The console script ends with os._exit once its output is flushed (no interpreter
    teardown): stdout down a pipe is whole, notes reach stderr, exit codes stand."""
    from nncalc.formats import Format
    from nncalc.formats.write import Writer

    rng = np.random.default_rng(12)
    x = rng.standard_normal((30_000, 4))
    proc = run_nncalc("forward", "-", "-p", "3", stdin=Writer(Format.CSV).dumps(x))
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 30_000 and proc.stdout.endswith(b"\n")
    assert b"seed" in proc.stderr  # the fresh-seed note, written before the exit
    again = run_nncalc("forward", "-", "-p", "3", "--seed", "1", stdin=b"1,2,3,4\n1,2,x,4\n")
    assert_one_error_line(again, 1, "'x' is not a number")
