"""Outputs of a run (issue 23, items 4-6, 15, 20, 21): committed together, written in
place when the name is a descriptor, never through a link nncalc did not make."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from nncalc.errors import OutputError
from nncalc.sink import PipeClosed, Sink, Transaction, descriptor_of
from tests.conftest import ROOT, SAMPLES, assert_one_error_line, run_nncalc

X = str(SAMPLES / "batch/inputs.csv")
WB = ["-w", str(SAMPLES / "batch/weights.csv"), "-b", str(SAMPLES / "batch/biases.csv")]
A = b"0.0,0.0\n0.05999999999999989,0.12000000000000005\n0.42000000000000004,0.5900000000000001\n"


def sh(script: str, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    nncalc = f"{sys.executable} -m nncalc"
    return subprocess.run(["sh", "-c", script.replace("NNCALC", nncalc)], cwd=cwd, env=env,
                          capture_output=True, timeout=60, check=False)  # fmt: skip


# -- item 6: /dev/stdout is whatever stdout is -----------------------------------------------
def test_dev_stdout_into_a_log_file_appends_in_place(tmp_path: Path) -> None:
    args = " ".join([X, *WB])
    proc = sh(f"{{ echo before; NNCALC forward {args} -o /dev/stdout; echo after; }} > log.txt",
              tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "log.txt").read_bytes() == b"before\n" + A + b"after\n"
    assert os.listdir(tmp_path) == ["log.txt"]


@pytest.mark.parametrize("target", ["/dev/stdout", "/proc/self/fd/1", "/dev/fd/1"])
def test_dev_stdout_down_a_pipe(tmp_path: Path, target: str) -> None:
    proc = sh(f"NNCALC forward {' '.join([X, *WB])} -o {target} | cat", tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, A, b"")


def test_another_descriptor_is_written_in_place(tmp_path: Path) -> None:
    proc = sh(f"NNCALC forward {' '.join([X, *WB])} -o /proc/self/fd/3 3>>fd3.txt", tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "fd3.txt").read_bytes() == A


def test_descriptor_of() -> None:
    assert descriptor_of("/dev/stdout") == 1
    assert descriptor_of(f"/proc/{os.getpid()}/fd/7") == 7
    assert descriptor_of("/proc/1/fd/1") is None or os.getpid() == 1
    assert descriptor_of("out.csv") is None


# -- items 20, 21: long names, read-only targets ---------------------------------------------
@pytest.mark.parametrize("length", [242, 250, 255])
def test_a_name_that_fits_has_a_temporary_that_fits(tmp_path: Path, length: int) -> None:
    name = "é" * 10 + "a" * (length - 24) + ".csv"  # multibyte: never cut in half
    assert len(name.encode()) == length
    proc = run_nncalc("forward", X, *WB, "-o", name, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert os.listdir(tmp_path) == [name] and (tmp_path / name).read_bytes() == A


def test_a_read_only_target_is_refused_unless_force(tmp_path: Path) -> None:
    target = tmp_path / "ro.csv"
    target.write_bytes(b"keep\n")
    target.chmod(0o444)
    proc = run_nncalc("forward", X, *WB, "-o", str(target))
    assert_one_error_line(proc, 1, "is read-only; refusing to replace it (use --force")
    assert target.read_bytes() == b"keep\n"
    proc = run_nncalc("forward", X, *WB, "-o", str(target), "--force")
    assert proc.returncode == 0, proc.stderr
    assert target.read_bytes() == A and (target.stat().st_mode & 0o777) == 0o444


# -- item 4: a link nncalc did not make ------------------------------------------------------
def test_no_follow_replaces_a_planted_link_not_its_target(tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"precious\n")
    (tmp_path / "od").mkdir()
    (tmp_path / "od" / "x.csv").symlink_to(victim)
    with Sink(str(tmp_path / "od" / "x.csv"), follow_links=False) as s:
        s.write(b"out\n")
    assert victim.read_bytes() == b"precious\n"
    assert not (tmp_path / "od" / "x.csv").is_symlink()
    assert (tmp_path / "od" / "x.csv").read_bytes() == b"out\n"


def test_no_follow_refuses_a_planted_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "x.csv")
    with pytest.raises(OutputError, match="not a regular file"):
        Sink(str(tmp_path / "x.csv"), follow_links=False)


def test_no_follow_still_writes_through_a_linked_folder(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "od").symlink_to(tmp_path / "real")  # the folder the user named
    with Sink(str(tmp_path / "od" / "x.csv"), follow_links=False) as s:
        s.write(b"out\n")
    assert (tmp_path / "real" / "x.csv").read_bytes() == b"out\n"


def test_within_refuses_a_planted_folder_link(tmp_path: Path) -> None:
    """The Dask engine's OUT/<stem>/part-00000.csv: a stem folder that is a link is refused."""
    victim = tmp_path / "victim"
    victim.mkdir()
    (tmp_path / "OUT").mkdir()
    (tmp_path / "OUT" / "x").symlink_to(victim)
    with pytest.raises(OutputError, match="x in .*OUT is a symlink nncalc did not make"):
        Sink(str(tmp_path / "OUT" / "x" / "part-0.csv"), follow_links=False,
             within=str(tmp_path / "OUT"))  # fmt: skip
    assert list(victim.iterdir()) == []
    (tmp_path / "OUT" / "y").mkdir()
    with Sink(str(tmp_path / "OUT" / "y" / "part-0.csv"), follow_links=False,
              within=str(tmp_path / "OUT")) as s:  # fmt: skip
        s.write(b"ok\n")
    assert (tmp_path / "OUT" / "y" / "part-0.csv").read_bytes() == b"ok\n"


def test_follow_by_default_replaces_the_target(tmp_path: Path) -> None:
    victim = tmp_path / "target"
    victim.write_bytes(b"old\n")
    (tmp_path / "link").symlink_to(victim)
    with Sink(str(tmp_path / "link")) as s:
        s.write(b"new\n")
    assert (tmp_path / "link").is_symlink() and victim.read_bytes() == b"new\n"


# -- item 5: outputs commit together ---------------------------------------------------------
def files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def test_a_transaction_commits_all(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"old a\n")
    with Transaction() as tx:
        tx.open(str(tmp_path / "a.csv")).write(b"new a\n")
        tx.open(str(tmp_path / "r.html")).write(b"<p>\n")
        assert not (tmp_path / "r.html").exists()
        assert (tmp_path / "a.csv").read_bytes() == b"old a\n"  # nothing renamed yet
    assert files(tmp_path) == {"a.csv": b"new a\n", "r.html": b"<p>\n"}


def test_a_failing_output_commits_none(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_bytes(b"old a\n")
    with pytest.raises(OutputError, match="cannot write"), Transaction() as tx:
        tx.open(str(tmp_path / "a.csv")).write(b"new a\n")
        tx.open("/dev/full").write(b"x" * 10)  # a full disk shows at the flush
    assert files(tmp_path) == {"a.csv": b"old a\n"}


def test_an_error_in_the_run_commits_none(tmp_path: Path) -> None:
    with pytest.raises(ValueError), Transaction() as tx:
        tx.open(str(tmp_path / "a.csv")).write(b"a\n")
        raise ValueError
    assert files(tmp_path) == {}


def test_a_closed_pipe_still_commits(tmp_path: Path) -> None:
    with pytest.raises(PipeClosed), Transaction() as tx:
        tx.open(str(tmp_path / "p.json")).write(b"{}\n")
        raise PipeClosed
    assert files(tmp_path) == {"p.json": b"{}\n"}


# -- item 15: the commit and the exit code agree ---------------------------------------------
SCRIPT = """
import os, signal, sys
from nncalc.sink import Transaction
from nncalc.__main__ import _catch_signals
_catch_signals()
real = os.replace
def replace(a, b):
    real(a, b)
    os.kill(os.getpid(), getattr(signal, sys.argv[2]))  # lands between the renames
os.replace = replace
try:
    with Transaction(final=sys.argv[1] == "final") as tx:
        tx.open("a.csv").write(b"a")
        tx.open("b.csv").write(b"b")
    print("committed", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
    sys.exit(130)
"""


@pytest.mark.parametrize("sig", ["SIGINT", "SIGTERM"])
@pytest.mark.parametrize("final", [True, False])
def test_a_signal_during_the_commit_lands_after_it(tmp_path: Path, sig: str, final: bool) -> None:
    """Held across the renames: both files or neither; a final commit then exits 0."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT), "final" if final else "not", sig],
        cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True,
        timeout=60, check=False,
    )  # fmt: skip
    assert b"Traceback" not in proc.stderr, proc.stderr
    assert files(tmp_path) == {"a.csv": b"a", "b.csv": b"b"}
    if final:
        assert (proc.returncode, proc.stdout) == (0, b"committed\n")
        assert signal.getsignal(signal.SIGINT) != signal.SIG_IGN  # this process untouched
    else:
        assert (proc.returncode, proc.stdout) == (130, b"interrupted\n")
