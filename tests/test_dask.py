"""--engine dask on real clusters on 127.0.0.1: a LocalCluster, and `dask scheduler` with
two `dask worker` processes.  Parts joined in name order must be byte for byte what the
local engine writes, however small the blocks."""

from __future__ import annotations

import gzip
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import psutil
import pytest
from dask.utils import parse_bytes
from hypothesis import given
from hypothesis import strategies as st

from nncalc.core import Layer, Network
from nncalc.engines import dask as engine
from nncalc.engines.blocks import parse_size, row_count
from nncalc.errors import UsageError
from nncalc.formats import Format, ReadOptions, read_matrix
from nncalc.formats.write import Writer
from tests.conftest import assert_one_error_line, run_nncalc

RNG = np.random.default_rng(5)
# layer 2 is wide: its BLAS block (2048) differs from layer 1's (4096), and OpenBLAS
# gives other bits with another thread count, so every shortcut would show
W = [RNG.standard_normal((4, 3)), RNG.standard_normal((3, 1100)), RNG.standard_normal((1100, 2))]
B = [RNG.standard_normal(3), RNG.standard_normal(1100), RNG.standard_normal(2)]
ACTS = ["tanh", "relu", "softmax"]
NET = Network(Layer(w, b, a) for w, b, a in zip(W, B, ACTS, strict=True))
M = 5000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_input(path: Path, m: int = M, seed: int = 0, bad_row: int | None = None) -> None:
    """A CSV as people write them: a comment, a header, blank lines, CRLF here and there."""
    x = np.random.default_rng(seed).standard_normal((m, 4))
    lines = ["# features from the lab", "f1,f2,f3,f4", ""]
    for i, r in enumerate(x):
        cells = [repr(float(v)) for v in r]
        if i == bad_row:
            cells[2] = "oops"
        lines.append(",".join(cells) + ("\r" if i % 7 == 0 else ""))
        if i % 997 == 5:
            lines.extend(["", "# a note"])
    path.write_text("\n".join(lines) + "\n")


def local_run(x: np.ndarray, net: Network = NET) -> np.ndarray:
    """What the local engine computes (with its BLAS thread rule), the reference."""
    from contextlib import ExitStack

    from nncalc.engines import local

    with ExitStack() as stack:
        return np.concatenate(list(local.run([x], net, stack)))


def local_bytes(path: Path, net: Network = NET) -> bytes:
    with path.open("rb") as f:
        x = read_matrix(f, path.name).values
    return Writer(Format.CSV, header=["a1", "a2"]).dumps(local_run(x, net))


def joined(folder: Path) -> bytes:
    parts = sorted(p for p in folder.iterdir() if p.name.startswith("part-"))
    return b"".join(p.read_bytes() for p in parts)


def header(layout: engine.InputLayout) -> list[str] | None:
    return ["a1", "a2"] if layout.header else None


def write_network(folder: Path) -> list[str]:
    args = []
    for k, (w, b) in enumerate(zip(W, B, strict=True)):
        for name, a in ((f"w{k}.csv", w), (f"b{k}.csv", b.reshape(1, -1))):
            text = "".join(",".join(repr(float(v)) for v in row) + "\n" for row in a)
            (folder / name).write_text(text)
        args += ["-w", str(folder / f"w{k}.csv"), "-b", str(folder / f"b{k}.csv")]
    return [*args, "--activation", ",".join(ACTS)]


def start_cli_cluster(
    workers: int = 2, env: dict[str, str] | None = None
) -> tuple[str, subprocess.Popen[bytes], list[Any]]:
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    quiet: dict[str, Any] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    scheduler = subprocess.Popen(
        [sys.executable, "-m", "dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
         "--no-dashboard"], **quiet,
    )  # fmt: skip
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "worker",
                address,
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--no-nanny",
            ],
            **quiet,
        )  # fmt: skip
        for _ in range(workers)
    ]
    from distributed import Client

    with Client(address, timeout="30s") as client:
        client.wait_for_workers(workers, timeout=60)
    return address, scheduler, procs


def stop(*procs: subprocess.Popen[bytes]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@pytest.fixture(scope="module")
def cli_cluster() -> Iterator[str]:
    """`dask scheduler` and two `dask worker` processes, reached with --scheduler."""
    address, scheduler, workers = start_cli_cluster()
    try:
        yield address
    finally:
        stop(*workers, scheduler)


# -- the engine ------------------------------------------------------------------------------


@pytest.mark.parametrize("blocksize", [20_000, 90_000, 10 << 20])
def test_parts_join_to_the_local_output(tmp_path: Path, cluster: str, blocksize: int) -> None:
    src = tmp_path / "x.csv"
    write_input(src)
    settings = engine.Settings(scheduler=cluster, blocksize=blocksize)
    [out] = engine.run([str(src)], str(tmp_path / "out"), NET, ReadOptions(), "csv", header,
                       settings)  # fmt: skip
    folder = tmp_path / "out" / "x"
    names = sorted(p.name for p in folder.iterdir())
    parts = [n for n in names if n.startswith("part-")]
    assert out.error is None and out.rows == M and out.parts == len(parts)
    assert names == ["_SUCCESS", *parts]  # no temporaries left
    assert parts == [f"part-{k:05d}.csv" for k in range(len(parts))]
    assert len(parts) == -(-src.stat().st_size // blocksize)
    assert joined(folder) == local_bytes(src)
    assert all(not (folder / p).read_bytes().startswith(b"a1") for p in parts[1:])


def test_a_bad_cell_is_reported_at_its_line_in_the_whole_file(tmp_path: Path, cluster: str) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    write_input(good)
    write_input(bad, bad_row=4000)
    local = run_nncalc("forward", str(bad), *write_network(tmp_path), "--format", "csv")
    expected = local.stderr.decode().strip().removeprefix("nncalc: error: ")
    assert ":4" in expected and "'oops' is not a number" in expected
    outcomes = engine.run(
        [str(good), str(bad)], str(tmp_path / "out"), NET, ReadOptions(), "csv", header,
        engine.Settings(scheduler=cluster, blocksize=40_000),
    )  # fmt: skip
    assert [o.error for o in outcomes] == [None, expected.replace(str(bad), str(bad))]
    assert joined(tmp_path / "out" / "good") == local_bytes(good)
    assert (tmp_path / "out" / "good" / "_SUCCESS").exists()
    assert list((tmp_path / "out" / "bad").iterdir()) == []  # nothing half written


def test_an_out_holding_results_is_refused_without_force(tmp_path: Path, cluster: str) -> None:
    src = tmp_path / "x.csv"
    write_input(src, m=300)
    out = str(tmp_path / "out")
    small = engine.Settings(scheduler=cluster, blocksize=2_000)
    engine.run([str(src)], out, NET, ReadOptions(), "csv", header, small)
    with pytest.raises(UsageError, match="already holds results.*--force"):
        engine.run([str(src)], out, NET, ReadOptions(), "csv", header, small)
    whole = engine.Settings(scheduler=cluster, blocksize=1 << 20)
    engine.run([str(src)], out, NET, ReadOptions(), "csv", header, whole, force=True)
    assert sorted(p.name for p in (tmp_path / "out" / "x").iterdir()) == [
        "_SUCCESS", "part-00000.csv",
    ]  # fmt: skip
    assert joined(tmp_path / "out" / "x") == local_bytes(src)


def write_groups(path: Path, x: np.ndarray, sizes: list[int]) -> list[int]:
    """A Parquet file of ``x`` in row groups of ``sizes`` rows; the row where each starts."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [f"f{j}" for j in range(x.shape[1])]
    starts = [int(s) for s in np.cumsum([0, *sizes])]
    with pq.ParquetWriter(path, pa.schema([(n, pa.float64()) for n in names])) as w:
        for a, b in zip(starts, starts[1:], strict=False):
            w.write_table(pa.table({n: x[a:b, j] for j, n in enumerate(names)}))
    assert pq.ParquetFile(path).metadata.num_row_groups == len(sizes)
    return starts


GROUPS = [300, 1200, 50, 2000, 1450]


@pytest.mark.parametrize("footer", [True, False])
def test_parquet_is_cut_at_row_groups(
    tmp_path: Path, cluster: str, footer: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import polars as pl

    from nncalc.engines.dask import parquet

    if not footer:  # without pyarrow: row ranges, the same numbers
        monkeypatch.setattr(parquet, "row_groups", lambda fs, path: None)
    x = np.random.default_rng(4).standard_normal((M, 4))
    starts = write_groups(tmp_path / "x.parquet", x, GROUPS)
    whole = local_run(x)
    settings = engine.Settings(scheduler=cluster, blocksize=50_000)  # 1562 rows of values
    for fmt in ("csv", "parquet"):
        [out] = engine.run([str(tmp_path / "x.parquet")], str(tmp_path / fmt), NET,
                           ReadOptions(), fmt, header, settings)  # fmt: skip
        assert out.error is None and out.rows == M
        folder = tmp_path / fmt / "x"
        if fmt == "csv":
            assert joined(folder) == Writer(Format.CSV, header=["a1", "a2"]).dumps(whole)
            continue
        frames = [pl.read_parquet(p) for p in sorted(folder.glob("part-*.parquet"))]
        assert all(f.columns == ["a1", "a2"] for f in frames)
        assert pl.concat(frames).to_numpy().tobytes() == whole.tobytes()
        cuts = [int(c) for c in np.cumsum([0, *(len(f) for f in frames)])]
        if footer:  # whole groups; small ones together, one larger than a block alone
            assert set(cuts) <= set(starts) and len(cuts) < len(starts)
            assert cuts[cuts.index(1550) + 1] == 3550
        else:
            assert cuts == [*range(0, M, 1562), M]


def test_argmax_classes_on_the_cluster(tmp_path: Path, cluster: str) -> None:
    src = tmp_path / "x.csv"
    write_input(src, m=1200)
    with src.open("rb") as f:
        x = read_matrix(f, "x.csv").values
    names = ["cat", "dog"]
    want = "class\n" + "".join(names[i] + "\n" for i in np.argmax(NET(x), axis=1))
    [out] = engine.run([str(src)], str(tmp_path / "out"), NET, ReadOptions(), "csv",
                       lambda lay: ["class"], engine.Settings(scheduler=cluster, blocksize=9_000),
                       argmax=True, classes=names)  # fmt: skip
    assert out.error is None and out.parts > 5
    assert joined(tmp_path / "out" / "x") == want.encode()


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-", "--out-dir", "o"], "not stdin"),
        (["x.csv"], "name a folder with --out-dir"),
        (["x.npy", "--out-dir", "o"], "reads CSV, TSV, NDJSON, JSON and Parquet"),
        (["x.csv.gz", "--out-dir", "o"], "x.csv.gz is gzip-compressed: --engine dask cuts"),
        (["x.csv", "--out-dir", "o", "--report", "r.html"], "not with --engine dask"),
        (["x.csv", "--out-dir", "o", "--save-params", "x.csv"], "is also an input"),
    ],
)
def test_what_the_dask_engine_cannot_do_is_one_usage_line(
    tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "x.csv").write_text("1,2\n")
    np.save(tmp_path / "x.npy", np.ones((2, 2)))
    (tmp_path / "x.csv.gz").write_bytes(gzip.compress(b"1,2\n"))
    proc = run_nncalc("forward", *args, "--neurons", "2", "--seed", "0", "--engine", "dask",
                      cwd=tmp_path)  # fmt: skip
    assert_one_error_line(proc, 2, message)


def test_counting_rows_agrees_with_the_reader() -> None:
    data = b"1,2\n\n  \r\n# c\n  # c\n3,4\r\n5,6"
    assert row_count(data) == 3
    assert row_count(b"1\n2\n") == 2 and row_count(b"\n\n") == 0 and row_count(b"") == 0


@given(st.lists(st.sampled_from(["1,2", " 3,4", "", "  ", "\r", "# c", "  # c", "5,6\r", "\t"]),
                max_size=12), st.booleans())  # fmt: skip
def test_row_count_is_the_readers_count(lines: list[str], newline: bool) -> None:
    data = ("\n".join(lines) + ("\n" if newline else "")).encode()
    naive = [
        ln for ln in data.decode().split("\n") if ln.strip() and not ln.lstrip().startswith("#")
    ]
    assert row_count(data) == len(naive)


units = st.sampled_from(["", "B", "kB", "KB", "k", "MB", "M", "MiB", "mib", "GiB", "Ki", "gb"])


@given(st.integers(0, 10**6) | st.floats(0, 1e4, allow_nan=False), units, st.booleans())
def test_sizes_are_parsed_as_dask_parses_them(number: float, unit: str, space: bool) -> None:
    text = f"{number}{' ' if space else ''}{unit}"
    assert parse_size(text) == parse_bytes(text)


def test_a_size_that_is_not_one_is_a_usage_error(tmp_path: Path) -> None:
    proc = run_nncalc("forward", "x.csv", "--engine", "dask", "--blocksize", "lots",
                      "--out-dir", str(tmp_path))  # fmt: skip
    assert proc.returncode == 2 and b"is not a size" in proc.stderr


# -- the command line ---------------------------------------------------------------------------


def test_cli_on_a_scheduler_and_two_workers_equals_local_forward(
    tmp_path: Path, cli_cluster: str
) -> None:
    src = tmp_path / "x.csv"
    write_input(src)
    net = write_network(tmp_path)
    local = run_nncalc("forward", str(src), *net, "--format", "csv")
    assert local.returncode == 0, local.stderr
    proc = run_nncalc("forward", str(src), *net, "--engine", "dask", "--scheduler", cli_cluster,
                      "--blocksize", "20kB", "--out-dir", str(tmp_path / "out"))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert b"Traceback" not in proc.stderr and b"error" not in proc.stderr
    assert joined(tmp_path / "out" / "x") == local.stdout
    assert b"x.csv" in proc.stderr and b"ok" in proc.stderr  # the batch table
    # --save-params: written once the run is done, and what it holds replays it
    saved = tmp_path / "p.npz"
    proc = run_nncalc("forward", str(src), "--neurons", "3,2", "--seed", "5", "--engine", "dask",
                      "--scheduler", cli_cluster, "--out-dir", str(tmp_path / "drawn"),
                      "--save-params", str(saved))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    again = run_nncalc("forward", str(src), "--params", str(saved), "--format", "csv")
    assert joined(tmp_path / "drawn" / "x") == again.stdout


def test_workers_of_a_named_scheduler_speak_the_runs_language(
    tmp_path: Path, cli_cluster: str
) -> None:
    """The `dask worker` processes were started in English (NNCALC_LANG=en, as every test
    runs); a bad cell their task finds is said in the run's language, then in the next
    run's."""
    src = tmp_path / "x.csv"
    write_input(src, bad_row=4000)
    net = write_network(tmp_path)
    said = {}
    for lang in ("zh", "en", "zh"):
        proc = run_nncalc("forward", str(src), *net, "--engine", "dask", "--scheduler",
                          cli_cluster, "--blocksize", "20kB", "--lang", lang, "--out-dir",
                          str(tmp_path / lang), "--force")  # fmt: skip
        assert proc.returncode == 1, proc.stderr
        said.setdefault(lang, []).append(proc.stderr.decode())
    assert all("'oops' 不是数" in e and "is not a number" not in e for e in said["zh"])
    assert "'oops' is not a number" in said["en"][0] and "不是数" not in said["en"][0]


@pytest.mark.slow
def test_cli_own_local_cluster_globs_and_a_bad_input(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    for k in range(2):
        write_input(tmp_path / "data" / f"in{k}.csv", m=1500, seed=k)
    write_input(tmp_path / "data" / "in2.csv", m=1500, bad_row=1200)
    net = write_network(tmp_path)
    proc = run_nncalc("forward", "data/*.csv", *net, "--engine", "dask", "--workers", "2",
                      "--blocksize", "16KiB", "--out-dir", "out", cwd=tmp_path)  # fmt: skip
    err = proc.stderr.decode()
    assert proc.returncode == 1, err
    assert "Traceback" not in err
    errors = [ln for ln in err.splitlines() if ln.startswith("nncalc: error: ")]
    local = run_nncalc("forward", "data/in2.csv", *net, "--format", "csv", cwd=tmp_path)
    assert errors == [local.stderr.decode().strip()]
    for k in range(2):
        one = run_nncalc("forward", f"data/in{k}.csv", *net, "--format", "csv", cwd=tmp_path)
        assert joined(tmp_path / "out" / f"in{k}") == one.stdout
    assert not list((tmp_path / "out" / "in2").iterdir())
    # every input failing: no run happened, so no parameters are kept
    proc = run_nncalc("forward", "data/in2.csv", "--neurons", "2", "--seed", "1", "--engine",
                      "dask", "--workers", "1", "--out-dir", "out2", "--save-params", "p.json",
                      cwd=tmp_path)  # fmt: skip
    assert proc.returncode == 1 and not (tmp_path / "p.json").exists()


def test_cli_without_dask_is_one_line_naming_the_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['distributed'] = None; from nncalc.cli.root import main; "
        f"main(['forward', 'x.csv', '--engine', 'dask', '--out-dir', {str(tmp_path)!r}])"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60,
                          check=False)  # fmt: skip
    assert proc.returncode == 2
    assert proc.stderr.decode().strip().splitlines() == [
        "nncalc: error: --engine dask needs Dask: pip install 'nncalc[dask]'"
    ]


def test_dask_is_imported_only_by_its_engine() -> None:
    root = Path(__file__).resolve().parent.parent / "nncalc"
    imports = re.compile(r"^\s*(?:import|from)\s+(?:dask|distributed|fsspec|s3fs)\b", re.M)
    users = {p.relative_to(root).as_posix() for p in root.rglob("*.py")
             if imports.search(p.read_text())}  # fmt: skip
    assert users and all(u.startswith("engines/dask/") for u in users)
    arrow = re.compile(r"^\s*(?:import|from)\s+pyarrow\b", re.M)
    users = {p.relative_to(root).as_posix() for p in root.rglob("*.py")
             if arrow.search(p.read_text())}  # fmt: skip
    assert users == {"engines/dask/parquet.py"}


@pytest.mark.slow
def test_our_local_cluster_forks_its_workers_from_a_server_that_imported_them() -> None:
    """Start-up: the workers' imports ran once, in the fork server, and the variables
    the nanny sets before a spawn (one BLAS thread) are still set in every worker."""
    code = """if True:
        import logging, os, sys
        from nncalc.engines.dask.cluster import client_for, close, start_fork_server
        from nncalc.engines.dask.records import Settings

        def seen():
            return (os.environ.get("OPENBLAS_NUM_THREADS"), os.environ.get("POLARS_MAX_THREADS"),
                    "nncalc.engines.dask.score" in sys.modules,
                    logging.getLogger("distributed.worker").getEffectiveLevel())

        if __name__ == "__main__":
            start_fork_server()
            client, cluster = client_for(Settings(workers=2))
            try:
                print(sorted(client.run(seen).values()))
            finally:
                close(client, cluster)
    """
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("DASK_", "OPENBLAS_", "POLARS_"))
    }
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                          check=False, env=env)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    share = str(max(1, (os.cpu_count() or 1) // 2))
    # and they log nothing below CRITICAL: the one line is the client's
    assert proc.stdout.decode().strip() == str([("1", share, True, logging.CRITICAL)] * 2)


# -- failures mid-run ---------------------------------------------------------------------------


def nncalc_process(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NNCALC_DEBUG")}
    return subprocess.Popen([sys.executable, "-m", "nncalc", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip


def wait_for_parts(folder: Path, k: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> int:
    """Wait until ``k`` parts exist (the run is well under way); the count then."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        done = len(list(folder.glob("part-*"))) if folder.exists() else 0
        if done >= k:
            return done
        time.sleep(0.02)
    raise AssertionError(f"the run ended or stalled before {k} parts: {proc.poll()}")


@pytest.mark.slow
def test_a_killed_worker_is_replaced_by_dasks_retry(tmp_path: Path) -> None:
    src = tmp_path / "x.csv"
    write_input(src, m=2000)
    net = write_network(tmp_path)
    address, scheduler, workers = start_cli_cluster()
    try:
        proc = nncalc_process("forward", str(src), *net, "--engine", "dask", "--scheduler", address,
                              "--blocksize", "4kB", "--out-dir", "out", cwd=tmp_path)  # fmt: skip
        done = wait_for_parts(tmp_path / "out" / "x", 5, proc)
        workers[0].kill()  # SIGKILL: no goodbye to the scheduler, its tasks are lost
        workers[0].wait()
        assert proc.poll() is None and done < src.stat().st_size // 4000
        out, err = proc.communicate(timeout=120)
    finally:
        stop(*workers, scheduler)
    assert proc.returncode == 0, err
    local = run_nncalc("forward", str(src), *net, "--format", "csv")
    assert joined(tmp_path / "out" / "x") == local.stdout
    names = [p.name for p in (tmp_path / "out" / "x").iterdir()]
    assert "_SUCCESS" in names and not [n for n in names if n.endswith(".tmp")]


@pytest.mark.slow
@pytest.mark.parametrize("own_cluster", [True, False])
def test_ctrl_c_cancels_and_leaves_no_temporary_parts(
    tmp_path: Path, own_cluster: bool, request: pytest.FixtureRequest
) -> None:
    src = tmp_path / "x.csv"
    write_input(src, m=60_000)  # still scoring well after the first parts land
    where = ["--workers", "2"]
    if not own_cluster:
        where = ["--scheduler", request.getfixturevalue("cli_cluster")]
    network = write_network(tmp_path)
    for _ in range(3):  # a quick machine may finish the run before the signal lands
        # a finished try's parts must not count as this one's progress: the signal would
        # land while the interpreter starts (SIGINT's default action then: exit -2)
        shutil.rmtree(tmp_path / "out", ignore_errors=True)
        proc = nncalc_process("forward", str(src), *network, "--engine", "dask", *where,
                              "--blocksize", "3kB", "--out-dir", "out", "--force",
                              cwd=tmp_path)  # fmt: skip
        wait_for_parts(tmp_path / "out" / "x", 3, proc)
        helpers = psutil.Process(proc.pid).children(recursive=True)  # our cluster's
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            break
        # finished first: then it is complete, and the next try interrupts it
        assert "_SUCCESS" in {p.name for p in (tmp_path / "out" / "x").iterdir()}, err
    assert proc.returncode == 130, err
    said = [ln for ln in err.decode().strip().splitlines() if "warning: --blocksize" not in ln]
    assert said == ["nncalc: error: interrupted"]
    # nothing is left that could still write a part: our own cluster's processes have
    # ended; the shared cluster's workers run no task
    if own_cluster:
        assert helpers  # its scheduler's fork server and workers
        _, alive = psutil.wait_procs(helpers, timeout=30)
        assert not alive, alive
    else:
        from distributed import Client

        from nncalc.engines.dask.cluster import executing

        with Client(where[1], timeout="10s") as client:
            end = time.monotonic() + 30
            while any(client.run(executing).values()):
                assert time.monotonic() < end, client.run(executing)
                time.sleep(0.05)
    assert list((tmp_path / "out" / "x").iterdir()) == []


# -- object storage -----------------------------------------------------------------------------


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, str]]:
    """moto's S3 server on 127.0.0.1; the environment that points s3fs at it.  Its
    request log (one line a request, as werkzeug writes it) is ``tmp_path/moto.log``."""
    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=log,
    )  # fmt: skip
    log.close()
    env = {"AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    import s3fs

    # fsspec caches file systems by their arguments: one made for an earlier test's
    # server would still point there
    s3fs.S3FileSystem.clear_instance_cache()
    try:
        end = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < end and server.poll() is None, "moto did not start"
                time.sleep(0.1)
        yield env
    finally:
        stop(server)


def test_s3_urls_for_inputs_and_outputs(tmp_path: Path, s3: dict[str, str]) -> None:
    import s3fs

    fs = s3fs.S3FileSystem()
    fs.mkdir("lab")
    for k in range(2):
        write_input(tmp_path / f"in{k}.csv", m=800, seed=k)
        fs.put(str(tmp_path / f"in{k}.csv"), f"lab/x/in{k}.csv")
    # Parquet from object storage: the footer, then each block's row groups, fetched alone
    write_groups(tmp_path / "p.parquet", np.random.default_rng(2).standard_normal((M, 4)), GROUPS)
    fs.put(str(tmp_path / "p.parquet"), "lab/p/p.parquet")
    net = write_network(tmp_path)
    env = {**os.environ, **s3}
    proc = subprocess.run(
        [sys.executable, "-m", "nncalc", "forward", "s3://lab/x/*.csv", "s3://lab/p/p.parquet",
         *net, "--engine", "dask", "--workers", "2", "--blocksize", "10kB",
         "--out-dir", "s3://lab/out"],
        env=env, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    fs.invalidate_cache()
    for k in range(2):
        names = sorted(fs.ls(f"lab/out/in{k}"))
        assert names[0].endswith("/_SUCCESS") and len(names) > 3
        local = run_nncalc("forward", str(tmp_path / f"in{k}.csv"), *net, "--format", "csv")
        assert b"".join(fs.cat(n) for n in names[1:]) == local.stdout
    names = sorted(fs.ls("lab/out/p"))
    assert len(names) == len(GROUPS) + 1  # 10kB blocks: one row group each
    local = run_nncalc("forward", str(tmp_path / "p.parquet"), *net, "--format", "csv")
    assert b"".join(fs.cat(n) for n in names[1:]) == local.stdout
    again = subprocess.run(proc.args, env=env, capture_output=True, timeout=120, check=False)
    assert again.returncode == 2 and b"already holds results" in again.stderr


def test_the_batch_table_gains_a_parts_column_and_says_shape() -> None:
    import io

    from nncalc import render

    buf = io.StringIO()
    render.make_console(buf, width=100).print(
        render.parts_table([("a.csv", "10×2", "3", "0.100s", "ok"), ("b.csv", "—", "0", "0.2s",
                                                                     "b.csv:4:1: bad")])
    )  # fmt: skip
    lines = buf.getvalue().splitlines()
    assert [c.strip() for c in lines[2].strip("┃").split("┃")] == [
        "file", "shape", "time", "status", "parts",
    ]  # fmt: skip
    assert "a.csv" in lines[4] and "10×2" in lines[4] and lines[4].rstrip("│ ").endswith("3")


def write_big(path: Path, mib: float, seed: int) -> None:
    """A headed CSV of about ``mib`` MiB (random floats, ~76 bytes a row)."""
    x = np.random.default_rng(seed).standard_normal((int(mib * (1 << 20) / 76), 4))
    path.write_bytes(Writer(Format.CSV, header=["f1", "f2", "f3", "f4"]).dumps(x))


@pytest.mark.slow
def test_s3_inputs_that_fit_in_one_default_block(tmp_path: Path, s3: dict[str, str]) -> None:
    """10–60 MiB: one block at the default 64 MiB, read through the local engine's own
    reader from an fsspec file (whose readline takes no size limit)."""
    import s3fs

    fs = s3fs.S3FileSystem()
    fs.mkdir("big")
    sizes = {"small": 10, "large": 60}
    for name, mib in sizes.items():
        write_big(tmp_path / f"{name}.csv", mib, seed=mib)
        fs.put(str(tmp_path / f"{name}.csv"), f"big/in/{name}.csv")
    (tmp_path / "w.csv").write_text("0.5,-1\n2,0.25\n-0.75,1\n1.5,-0.5\n")
    (tmp_path / "b.csv").write_text("0.1,-0.2\n")
    net = ["-w", str(tmp_path / "w.csv"), "-b", str(tmp_path / "b.csv"), "--activation", "tanh"]
    proc = run_nncalc("forward", "s3://big/in/*.csv", *net, "--engine", "dask", "--workers", "2",
                      "--out-dir", "s3://big/out", env=s3, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()[-3000:]
    fs.invalidate_cache()
    for name in sizes:
        names = sorted(fs.ls(f"big/out/{name}"))
        assert [n.rsplit("/", 1)[1] for n in names] == ["_SUCCESS", "part-00000.csv"]
        local = run_nncalc("forward", str(tmp_path / f"{name}.csv"), *net, "--format", "csv",
                           timeout=300)  # fmt: skip
        assert fs.cat(names[1]) == local.stdout
