"""--engine dask when things go wrong, with real processes: a scheduler that is not there
or dies, an input deleted mid-run, workers without credentials, a client killed and the
run repeated.  Each ends in one line and its documented exit code; the other inputs are
complete, and no folder without ``_SUCCESS`` keeps a part."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nncalc.engines.dask.storage import stem_of
from tests.conftest import assert_one_error_line, run_nncalc
from tests.test_dask import (
    cli_cluster,  # noqa: F401 (a fixture)
    free_port,
    joined,
    nncalc_process,
    s3,  # noqa: F401 (a fixture)
    start_cli_cluster,
    stop,
    wait_for_parts,
    write_input,
    write_network,
)


def error_lines(err: bytes) -> list[str]:
    return [ln for ln in err.decode().splitlines() if ln.startswith("nncalc: error: ")]


def complete_or_empty(out: Path) -> list[str]:
    """Every folder holds ``_SUCCESS`` and its parts, or nothing; the complete ones."""
    complete = []
    for folder in sorted(out.iterdir()):
        names = sorted(p.name for p in folder.iterdir())
        assert not names or names[0] == "_SUCCESS", (folder, names)
        assert not [n for n in names if n.endswith(".tmp")], names
        if names:
            complete.append(folder.name)
    return complete


def local_output(src: Path, net: list[str]) -> bytes:
    proc = run_nncalc("forward", str(src), *net, "--format", "csv")
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


# -- the scheduler ---------------------------------------------------------------------------


@pytest.mark.parametrize("address", ["tcp://127.0.0.1", "tcp://127.0.0.1:notaport", "nope://x:1"])
def test_a_malformed_scheduler_address_is_one_line_and_creates_nothing(
    tmp_path: Path, address: str
) -> None:
    write_input(tmp_path / "x.csv", m=50)
    proc = run_nncalc("forward", "x.csv", "--neurons", "2", "--seed", "0", "--engine", "dask",
                      "--scheduler", address, "--out-dir", "out", cwd=tmp_path)  # fmt: skip
    assert_one_error_line(proc, 1, f"cannot reach the scheduler {address}")
    assert not (tmp_path / "out").exists()


def test_an_unreachable_scheduler_gives_up_within_dasks_connect_timeout(tmp_path: Path) -> None:
    import dask.config
    import distributed  # noqa: F401 (imported before the clock starts)

    from nncalc.engines.dask import ClusterError, Settings
    from nncalc.engines.dask.cluster import client_for

    write_input(tmp_path / "x.csv", m=50)
    address = f"tcp://127.0.0.1:{free_port()}"  # nobody listens
    proc = run_nncalc("forward", "x.csv", "--neurons", "2", "--seed", "0", "--engine", "dask",
                      "--scheduler", address, "--out-dir", "out", cwd=tmp_path,
                      env={"DASK_DISTRIBUTED__COMM__TIMEOUTS__CONNECT": "2s"})  # fmt: skip
    assert_one_error_line(proc, 1, f"cannot reach the scheduler {address}")
    assert not (tmp_path / "out").exists()
    # timed here, where the imports are done: Dask's setting, not a fixed 10 s
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        started = time.monotonic()
        with pytest.raises(ClusterError, match="cannot reach the scheduler"):
            client_for(Settings(scheduler=address))
        assert time.monotonic() - started < 1 + 4


def test_dask_scheduler_address_is_used_without_scheduler(
    tmp_path: Path,
    cli_cluster: str,  # noqa: F811
) -> None:
    src = tmp_path / "x.csv"
    write_input(src, m=400)
    net = write_network(tmp_path)
    proc = run_nncalc("forward", "x.csv", *net, "--engine", "dask", "--blocksize", "4kB",
                      "--out-dir", "out", "--verbose", cwd=tmp_path,
                      env={"DASK_SCHEDULER_ADDRESS": cli_cluster})  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"nncalc: scheduler {cli_cluster} (left running); dashboard" in proc.stderr.decode()
    assert joined(tmp_path / "out" / "x") == local_output(src, net)


def test_a_killed_scheduler_is_one_line_and_leaves_only_complete_inputs(tmp_path: Path) -> None:
    small, big = tmp_path / "a.csv", tmp_path / "b.csv"
    write_input(small, m=100)
    write_input(big, m=4000)
    net = write_network(tmp_path)
    address, scheduler, workers = start_cli_cluster()
    try:
        proc = nncalc_process("forward", "a.csv", "b.csv", *net, "--engine", "dask",
                              "--scheduler", address, "--blocksize", "2kB", "--out-dir", "out",
                              cwd=tmp_path)  # fmt: skip
        wait_for_parts(tmp_path / "out" / "b", 3, proc)
        scheduler.kill()
        scheduler.wait()
        _, err = proc.communicate(timeout=120)
    finally:
        stop(*workers, scheduler)
    assert proc.returncode == 1, err
    assert b"Traceback" not in err
    [line] = error_lines(err)
    assert f"lost the scheduler {address}" in line
    done = complete_or_empty(tmp_path / "out")
    assert "b" not in done
    if done:
        assert joined(tmp_path / "out" / "a") == local_output(small, net)


# -- inputs ----------------------------------------------------------------------------------


def test_an_input_deleted_mid_run_is_its_own_error(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    keep = [tmp_path / "in" / f"k{j}.csv" for j in range(2)]
    for j, p in enumerate(keep):
        write_input(p, m=300, seed=j)
    gone = tmp_path / "in" / "z.csv"
    write_input(gone, m=6000, seed=9)
    net = write_network(tmp_path)
    proc = nncalc_process("forward", "in/*.csv", *net, "--engine", "dask", "--workers", "2",
                          "--blocksize", "2kB", "--out-dir", "out", cwd=tmp_path)  # fmt: skip
    # its folder is made once the cluster is up and a worker has read the first input;
    # its ~240 blocks are read by the parse tasks from then on
    end = time.monotonic() + 120
    while not (tmp_path / "out" / "z").exists():
        assert proc.poll() is None and time.monotonic() < end, proc.poll()
        time.sleep(0.01)
    gone.unlink()
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 1, err
    assert b"Traceback" not in err, err.decode()
    assert error_lines(err) == ["nncalc: error: in/z.csv: no such file (expected an existing file)"]
    assert complete_or_empty(tmp_path / "out") == ["k0", "k1"]
    for p in keep:
        assert joined(tmp_path / "out" / p.stem) == local_output(p, net)


def test_a_client_killed_mid_run_leaves_a_folder_named_as_unfinished(
    tmp_path: Path,
    cli_cluster: str,  # noqa: F811
) -> None:
    src = tmp_path / "x.csv"
    write_input(src, m=3000)
    net = write_network(tmp_path)
    args = ["forward", "x.csv", *net, "--engine", "dask", "--scheduler", cli_cluster,
            "--blocksize", "2kB", "--out-dir", "out"]  # fmt: skip
    proc = nncalc_process(*args, cwd=tmp_path)
    wait_for_parts(tmp_path / "out" / "x", 3, proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    again = run_nncalc(*args, cwd=tmp_path)
    assert_one_error_line(again, 2, "did not finish: --force to replace it")
    forced = run_nncalc(*args, "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert joined(tmp_path / "out" / "x") == local_output(src, net)
    assert complete_or_empty(tmp_path / "out") == ["x"]


# -- object storage and credentials ------------------------------------------------------------


def test_workers_without_credentials_then_storage_options_for_them(
    tmp_path: Path,
    s3: dict[str, str],  # noqa: F811
) -> None:
    """The workers' environment has the endpoint but no keys (as on a cluster the user
    does not own): one line naming the first input, nothing written; the keys given
    with --storage-options reach the workers and the run completes."""
    import s3fs

    fs = s3fs.S3FileSystem()
    fs.mkdir("lab")
    src = tmp_path / "x.csv"
    write_input(src, m=500)
    fs.put(str(src), "lab/x.csv")
    net = write_network(tmp_path)
    keyless = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    none = str(tmp_path / "none")
    keyless.update(AWS_ENDPOINT_URL=s3["AWS_ENDPOINT_URL"], AWS_EC2_METADATA_DISABLED="true",
                   AWS_SHARED_CREDENTIALS_FILE=none, AWS_CONFIG_FILE=none,
                   AWS_DEFAULT_REGION="us-east-1")  # fmt: skip
    address, scheduler, workers = start_cli_cluster(env=keyless)
    try:
        args = ["forward", "s3://lab/x.csv", *net, "--engine", "dask", "--scheduler", address,
                "--out-dir", "s3://lab/out"]  # fmt: skip
        proc = run_nncalc(*args, env=s3, timeout=120)
        assert_one_error_line(proc, 1, "a worker cannot read the inputs: s3://lab/x.csv:")
        fs.invalidate_cache()
        assert not fs.exists("lab/out")
        keys = {"key": s3["AWS_ACCESS_KEY_ID"], "secret": s3["AWS_SECRET_ACCESS_KEY"]}
        proc = run_nncalc(*args, "--storage-options", json.dumps(keys), env=s3, timeout=120)
        assert proc.returncode == 0, proc.stderr
    finally:
        stop(*workers, scheduler)
    fs.invalidate_cache()
    names = sorted(fs.ls("lab/out/x"))
    assert [n.rsplit("/", 1)[1] for n in names] == ["_SUCCESS", "part-00000.csv"]
    assert b"".join(fs.cat(n) for n in names[1:]) == local_output(src, net)


# -- refusals before anything runs ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--blocksize", "1"], "--blocksize 1 B is below 1000 B"),
        (["--blocksize", ""], "is below 1000 B"),
        (["--workers", "1000"], "--workers 1000: this machine has"),
        (["--storage-options", "{nope"], "--storage-options is not JSON"),
        (["--storage-options", "[1]"], "--storage-options must be a JSON object"),
    ],
)
def test_sizes_and_counts_out_of_reason_are_usage_errors(
    tmp_path: Path, args: list[str], message: str
) -> None:
    write_input(tmp_path / "x.csv", m=20)
    proc = run_nncalc("forward", "x.csv", "--neurons", "2", "--seed", "0", "--engine", "dask",
                      *args, "--out-dir", "out", cwd=tmp_path)  # fmt: skip
    assert_one_error_line(proc, 2, message)
    assert not (tmp_path / "out").exists()


def test_a_symlinked_stem_folder_is_refused(tmp_path: Path) -> None:
    write_input(tmp_path / "x.csv", m=20)
    (tmp_path / "victim").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "x").symlink_to(tmp_path / "victim")
    proc = run_nncalc("forward", "x.csv", "--neurons", "2", "--seed", "0", "--engine", "dask",
                      "--workers", "1", "--out-dir", "out", cwd=tmp_path)  # fmt: skip
    assert_one_error_line(proc, 2, "out/x is a symbolic link")
    assert list((tmp_path / "victim").iterdir()) == []


def test_folders_are_named_without_compression_and_format_suffixes(tmp_path: Path) -> None:
    assert [stem_of(p) for p in ["a/x2.csv.gz", "x.tsv.bz2", "s3://b/y.ndjson", "z.parquet"]] == [
        "x2", "x", "y", "z",
    ]  # fmt: skip
    # a compressed input is refused before any folder is made
    import gzip

    (tmp_path / "x2.csv.gz").write_bytes(gzip.compress(b"1,2\n"))
    proc = run_nncalc("forward", "x2.csv.gz", "--neurons", "2", "--seed", "0", "--engine", "dask",
                      "--out-dir", "out", cwd=tmp_path)  # fmt: skip
    assert_one_error_line(proc, 2, "gzip-compressed")
    assert not (tmp_path / "out").exists()


# -- Ctrl-C ------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("after", [0.4, 0.8, 1.2, 1.6, 2.0])
def test_ctrl_c_while_our_cluster_starts_is_one_line(tmp_path: Path, after: float) -> None:
    write_input(tmp_path / "x.csv", m=2000)
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NNCALC_DEBUG")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "nncalc", "forward", "x.csv", "--neurons", "2", "--seed", "0",
         "--engine", "dask", "--workers", "2", "--blocksize", "4kB", "--out-dir", "out"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:  # a quick machine finished the run before the signal came
        assert (tmp_path / "out" / "x" / "_SUCCESS").exists() and b"error" not in err
        return
    assert proc.returncode == 130, err
    lines = [ln for ln in err.decode().splitlines() if "warning:" not in ln]
    assert lines == ["nncalc: error: interrupted"], err.decode()
    if (tmp_path / "out").exists():
        assert complete_or_empty(tmp_path / "out") == []


def test_s3_requests_per_input_one_read_per_block(
    tmp_path: Path,
    s3: dict[str, str],  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every S3 call counted (workers as threads of this process, so one wrapper sees
    them all): each block is fetched once (one ranged GET, no HEAD), the output root
    is listed once for the run, and besides its data each input costs at most four
    requests."""
    from collections import Counter

    import s3fs
    from distributed import LocalCluster

    from nncalc.engines import dask as engine
    from nncalc.formats import ReadOptions
    from tests.test_dask import NET, header, local_bytes

    calls: list[tuple[str, str]] = []
    original = s3fs.S3FileSystem._call_s3

    async def counted(self: s3fs.S3FileSystem, method: str, *args: object, **kw: object) -> object:
        calls.append((method, str(kw.get("Key") or kw.get("Prefix") or "")))
        return await original(self, method, *args, **kw)

    fs = s3fs.S3FileSystem()
    fs.mkdir("lab")
    names = ["a", "b", "c"]
    for j, name in enumerate(names):
        write_input(tmp_path / f"{name}.csv", m=500, seed=j)
        fs.put(str(tmp_path / f"{name}.csv"), f"lab/in/{name}.csv")
    blocksize = 10_000
    monkeypatch.setattr(s3fs.S3FileSystem, "_call_s3", counted)
    # one worker thread: BLAS thread limits are per process, not per thread
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster:  # fmt: skip
        outcomes = engine.run(
            ["s3://lab/in/*.csv"], "s3://lab/out", NET, ReadOptions(), "csv", header,
            engine.Settings(scheduler=cluster.scheduler_address, blocksize=blocksize),
        )  # fmt: skip
    monkeypatch.undo()
    assert [o.error for o in outcomes] == [None] * 3
    per_key = Counter(calls)
    for name in names:
        size = (tmp_path / f"{name}.csv").stat().st_size
        blocks = -(-size // blocksize)
        gets = per_key["get_object", f"in/{name}.csv"]
        heads = per_key["head_object", f"in/{name}.csv"]
        writes = [c for c in calls if c[1].startswith(f"out/{name}/")]
        parts = [c for c in writes if c[1].startswith(f"out/{name}/part-")]
        assert all(m == "put_object" for m, _ in writes) and len(parts) == blocks, writes
        assert per_key["put_object", f"out/{name}/_SUCCESS"] == 1
        check = 2 if name == "a" else 0  # a worker's check that it can read the first input
        assert gets == 1 + blocks + check // 2, calls  # the layout's first bytes, each block
        assert heads + gets - blocks + len(writes) - len(parts) <= 4 + check, calls
    listings = [c for c in calls if c[0] == "list_objects_v2" and c[1].startswith("out")]
    assert len(listings) <= 2, listings  # fsspec's find: the root, then what it holds
    fs.invalidate_cache()
    for name in names:
        got = sorted(fs.ls(f"lab/out/{name}"))
        assert b"".join(fs.cat(n) for n in got[1:]) == local_bytes(tmp_path / f"{name}.csv")


# -- progress and early _SUCCESS -------------------------------------------------------------------


def test_one_bar_for_the_run_and_each_success_as_soon_as_its_input_ends(
    tmp_path: Path, cluster: str
) -> None:
    """The bar's total is known once, before any task lands, and every task steps it
    to exactly that total; a small input's _SUCCESS is there while a large one still
    runs."""
    from nncalc.engines import dask as engine
    from nncalc.formats import ReadOptions
    from tests.test_dask import NET, header

    small, big = tmp_path / "a.csv", tmp_path / "b.csv"
    write_input(small, m=50)
    write_input(big, m=3000, seed=3)
    totals: list[int] = []
    steps: list[bool] = []  # at each step of b's, whether a's _SUCCESS was there

    def step() -> None:
        steps.append((tmp_path / "out" / "a" / "_SUCCESS").exists())

    outcomes = engine.run(
        [str(small), str(big)], str(tmp_path / "out"), NET, ReadOptions(), "csv", header,
        engine.Settings(scheduler=cluster, blocksize=4_000),
        progress=engine.Progress(total=totals.append, step=step),
    )  # fmt: skip
    assert [o.error for o in outcomes] == [None, None]
    blocks = -(-big.stat().st_size // 4_000)
    assert totals == [1 + 2 * blocks]  # a: one task; b: a parse and a score task a block
    assert len(steps) == totals[0]
    assert steps[-1] and steps.count(True) > blocks  # a was done long before b
