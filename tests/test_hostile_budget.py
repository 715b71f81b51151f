"""The memory budget bounds every reader before it allocates (issue 23, items 9-12): peak
RSS, measured on a real process, stays within the budget + 300 MB (the libraries)."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from nncalc import limits
from nncalc.errors import InputError
from nncalc.formats.names import NAMES_FACTOR, read_names
from tests.conftest import ROOT, assert_one_error_line

SLACK = 300 << 20  # the interpreter, numpy, polars


def peak(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess[bytes], int]:
    """A real nncalc run and its peak RSS in bytes (GNU time's "Maximum resident")."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "nncalc", *args]
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, timeout=300, check=False)
    m = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    assert m, proc.stderr
    err = re.sub(rb"Command exited with non-zero status \d+\n", b"",
                 proc.stderr[: proc.stderr.find(b"\tCommand being timed")])  # fmt: skip
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout, err), int(
        m.group(1)
    ) * 1024


needs_time = pytest.mark.skipif(not os.path.exists("/usr/bin/time"), reason="GNU time")


# -- item 9: .npy inputs stream --------------------------------------------------------------
@needs_time
@pytest.mark.slow
@pytest.mark.parametrize(("dtype", "n"), [(np.float64, 30), (np.uint8, 240)])
def test_a_large_npy_streams_within_the_budget(tmp_path: Path, dtype: type, n: int) -> None:
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((600_000, n)) * 50).astype(dtype)
    np.save(tmp_path / "x.npy", x)
    w = rng.standard_normal((n, 2))
    np.savetxt(tmp_path / "w.csv", w, delimiter=",")
    proc, rss = peak("forward", "x.npy", "-w", "w.csv", "-b", "0,0", "--max-memory", "64M",
                     "-o", "a.csv", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert rss < (64 << 20) + SLACK, rss >> 20
    got = np.loadtxt(tmp_path / "a.csv", delimiter=",")
    want = np.maximum(x.astype(np.float64) @ w, 0.0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("dtype", [np.float64, np.uint8, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_npy_inputs_read_the_same_streamed(tmp_path: Path, dtype: type, order: str) -> None:
    """Streamed in blocks or read whole (Fortran order), X is what np.load gives."""
    from nncalc.formats import npyio, open_rows

    x = np.asarray(np.arange(3000 * 7).reshape(3000, 7) % 251, dtype=dtype, order=order)
    np.save(tmp_path / "x.npy", x)
    old, npyio.BLOCK_BYTES = npyio.BLOCK_BYTES, 1000  # many blocks
    try:
        with open(tmp_path / "x.npy", "rb") as f:
            blocks = list(open_rows(f, "x.npy").blocks())
    finally:
        npyio.BLOCK_BYTES = old
    assert len(blocks) == 1 if order == "F" else len(blocks) == -(-3000 // (1000 // 56))
    np.testing.assert_array_equal(np.concatenate(blocks), x.astype(np.float64))


def test_a_truncated_npy_is_one_error(tmp_path: Path) -> None:
    np.save(tmp_path / "x.npy", np.ones((1000, 4)))
    data = (tmp_path / "x.npy").read_bytes()
    (tmp_path / "x.npy").write_bytes(data[:-100])
    (tmp_path / "w.csv").write_text("1\n1\n1\n1\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "nncalc", "forward", "x.npy", "-w", "w.csv",
                           "-b", "0", "-o", "a.csv"], cwd=tmp_path, env=env,
                          capture_output=True, check=False)  # fmt: skip
    assert_one_error_line(proc, 1, "ends early")
    assert not (tmp_path / "a.csv").exists()


def test_a_nonfinite_npy_row_is_located(tmp_path: Path) -> None:
    from nncalc.formats import npyio, open_rows

    x = np.ones((100, 3))
    x[77, 2] = np.nan
    np.save(tmp_path / "x.npy", x)
    old, npyio.BLOCK_BYTES = npyio.BLOCK_BYTES, 240
    try:
        with open(tmp_path / "x.npy", "rb") as f, pytest.raises(InputError, match=r"\[77, 2\]"):
            list(open_rows(f, "x.npy").blocks())
    finally:
        npyio.BLOCK_BYTES = old


# -- item 10: W and b refused by their size, before parsing ----------------------------------
@needs_time
def test_a_large_w_npy_is_refused_before_it_is_read(tmp_path: Path) -> None:
    w = np.lib.format.open_memmap(tmp_path / "w.npy", "w+", np.float64, (30, 2_000_000))
    del w  # 480 MB, sparse on disk
    proc, rss = peak("forward", "1,2", "-w", "w.npy", "--max-memory", "64M", cwd=tmp_path)
    assert_one_error_line(proc, 1, "w.npy: W (60000000 float64 values, held whole)")
    assert rss < 200 << 20, rss >> 20


@needs_time
def test_a_large_w_csv_is_refused_by_its_size(tmp_path: Path) -> None:
    with open(tmp_path / "w.csv", "wb") as f:
        f.truncate(200 << 20)  # 200 MB, never read: the size says no
    proc, rss = peak("forward", "1,2", "-w", "w.csv", "-b", "w.csv", "--max-memory", "128M",
                     cwd=tmp_path)  # fmt: skip
    line = assert_one_error_line(proc, 1, "w.csv: W from a 200 MiB text file")
    assert "X whole" not in line and "tables" not in line
    assert rss < 200 << 20, rss >> 20


def test_a_w_too_large_as_read_blames_w(tmp_path: Path) -> None:
    """A compressed W passes the size check; its blocks are counted as W, not X."""
    import gzip

    rows = "\n".join(",".join(["1"] * 500) for _ in range(2000)).encode()
    (tmp_path / "w.csv.gz").write_bytes(gzip.compress(rows))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "nncalc", "forward", "1", "-w", "w.csv.gz",
                           "--max-memory", "1M"], cwd=tmp_path, env=env, capture_output=True,
                          check=False)  # fmt: skip
    line = assert_one_error_line(proc, 1, "W whole (more than 512 KiB)")
    assert "tables" not in line


# -- item 11: Parquet in slices below the budget ---------------------------------------------
def test_parquet_slices_shrink_with_the_budget(tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    from nncalc.formats import Peekable
    from nncalc.formats.parquet import SLICE_ROWS, ParquetReader

    pl.DataFrame({f"c{i}": [1.0, 2.0] for i in range(3000)}).write_parquet(tmp_path / "w.pq")
    with open(tmp_path / "w.pq", "rb") as f:
        reader = ParquetReader(Peekable(f), "w.pq")
        limits.set_budget("64M")
        try:
            assert reader.slice_rows() * 3000 * 8 <= (64 << 20) // 16
            assert np.concatenate(list(reader.blocks())).tolist() == [[1.0] * 3000, [2.0] * 3000]
        finally:
            limits.set_budget(None)
        assert reader.slice_rows() == min(SLICE_ROWS, (2 << 30) // 16 // (3000 * 8))


@needs_time
@pytest.mark.slow
def test_a_wide_parquet_in_one_row_group_stays_within_the_budget(tmp_path: Path) -> None:
    pl = pytest.importorskip("polars")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5000, 3000))
    pl.DataFrame({f"c{i}": x[:, i] for i in range(3000)}).write_parquet(
        tmp_path / "x.parquet", row_group_size=5000, compression="uncompressed"
    )
    np.savetxt(tmp_path / "w.csv", rng.standard_normal((3000, 2)), delimiter=",")
    proc, rss = peak("forward", "x.parquet", "-w", "w.csv", "-b", "0,0", "--max-memory", "64M",
                     "-o", "/dev/null", cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert rss < (64 << 20) + SLACK, rss >> 20


# -- item 12: names files (--classes, labels) by size ----------------------------------------
def test_names_read_within_the_budget(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_text("\ufeffsetosa\n\nversicolor \nvirginica")
    assert read_names(str(tmp_path / "c.txt")) == ["setosa", "versicolor", "virginica"]


def test_a_large_names_file_is_refused_by_its_size(tmp_path: Path) -> None:
    with open(tmp_path / "c.txt", "wb") as f:
        f.truncate(((1 << 20) // NAMES_FACTOR) + (1 << 16) + 1)
    limits.set_budget("1M")
    try:
        with pytest.raises(limits.MemoryLimitError, match="c.txt: a file of class names"):
            read_names(str(tmp_path / "c.txt"))
    finally:
        limits.set_budget(None)


def test_a_names_fifo_is_bounded_too(tmp_path: Path) -> None:
    fifo = tmp_path / "c.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with contextlib.suppress(BrokenPipeError), open(fifo, "wb") as f:  # closing flushes
            for _ in range(200):
                f.write(b"name\n" * 1000)

    t = threading.Thread(target=feed)
    t.start()
    limits.set_budget("1M")
    try:
        with pytest.raises(limits.MemoryLimitError, match="of more than 64 KiB"):
            read_names(str(fifo))
    finally:
        limits.set_budget(None)
        t.join(timeout=30)


def test_names_not_utf8_are_located(tmp_path: Path) -> None:
    (tmp_path / "c.txt").write_bytes(b"a\nb\xff\n")
    with pytest.raises(InputError, match=r"c.txt:2:2: not UTF-8"):
        read_names(str(tmp_path / "c.txt"))
