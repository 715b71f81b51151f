"""``evaluate --engine dask`` against ``evaluate`` on the local engine: the same JSON, byte
for byte (the loss to the last bit), however small the blocks — each one Dask task that
sends back only its counts and its loss's block sums and end rows — and scikit-learn's
numbers on models it trained; bad data gives the local run's one error line."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from nncalc.cli import app
from tests.conftest import assert_one_error_line, run_nncalc
from tests.sklearn_models import activations, export_npz, trained

metrics = pytest.importorskip("sklearn.metrics")
pytest.importorskip("distributed")
runner = CliRunner()
IRIS = ["setosa", "versicolor", "virginica"]
REL = 1e-9


def evaluate(*args: str | Path) -> bytes:
    res = runner.invoke(app, ["evaluate", *map(str, args)])
    assert res.exit_code == 0, res.output
    return res.stdout_bytes


def error_line(proc: Any) -> str:
    """The one error line of a run (small blocks draw a warning before it)."""
    err = proc.stderr.decode()
    assert proc.returncode == 1 and "Traceback" not in err, err
    lines = [ln for ln in err.splitlines() if "warning: --blocksize below" not in ln]
    assert len(lines) == 1 and lines[0].startswith("nncalc: error: "), err
    return lines[0]


def labelled(folder: Path, name: str, copies: int, cell: Any = None) -> tuple[Path, Path, Any]:
    """scikit-learn's dataset ``name`` repeated ``copies`` times (several 4,096-row loss
    blocks), its label in the last column of a CSV with a header; and its model."""
    model, x, y = trained(name)
    x, y = np.tile(x, (copies, 1)), np.tile(y, copies)
    head = ",".join(f"f{j}" for j in range(x.shape[1])) + ",target\n"
    show = cell or repr
    body = "".join(",".join(map(repr, r)) + f",{show(t)}\n"
                   for r, t in zip(x.tolist(), y.tolist(), strict=True))  # fmt: skip
    (folder / f"{name}.csv").write_text(head + body)
    return folder / f"{name}.csv", export_npz(model, folder / f"{name}.npz"), (model, x, y)


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    folder = tmp_path_factory.mktemp("iris")
    return labelled(folder, "iris", 200, lambda t: IRIS[t])  # 30,000 rows, 2.2 MB


# blocks of a few dozen rows, of a few hundred, of several 4,096-row loss blocks (whose
# sums are added one by one after the rows before them), the whole input
@pytest.mark.parametrize("blocksize", ["5000", "40kB", "1200kB", "64MiB"])
def test_iris_scores_are_the_local_bytes_however_small_the_blocks(
    iris: tuple[Path, Path, Any], cluster: str, blocksize: str
) -> None:
    x_csv, npz, (model, x, y) = iris
    args = [x_csv, "--model", npz, "--activation", "relu,softmax", "--label-column", "target",
            "--classes", ",".join(IRIS)]  # fmt: skip
    local = evaluate(*args)
    dask = evaluate(*args, "--engine", "dask", "--scheduler", cluster, "--blocksize", blocksize)
    assert dask == local
    doc = json.loads(dask)
    proba, pred = model.predict_proba(x), model.predict(x)
    assert doc["samples"] == len(y) == 30000
    assert doc["loss"] == pytest.approx(metrics.log_loss(y, proba, labels=[0, 1, 2]), rel=REL)
    assert doc["accuracy"] == pytest.approx(metrics.accuracy_score(y, pred), rel=REL)
    assert doc["confusion"] == metrics.confusion_matrix(y, pred).tolist()
    p, r, f, s = metrics.precision_recall_fscore_support(y, pred, zero_division=0)
    np.testing.assert_allclose([c["f1"] for c in doc["per_class"]], f, rtol=REL)
    assert [c["support"] for c in doc["per_class"]] == s.tolist()
    assert [c["class"] for c in doc["per_class"]] == IRIS


@pytest.mark.parametrize(("name", "loss"), [("breast_cancer", "auto"), ("diabetes", "mse"),
                                            ("diabetes", "mae")])  # fmt: skip
def test_binary_and_regression_losses_are_the_local_bytes(
    tmp_path: Path, cluster: str, name: str, loss: str
) -> None:
    x_csv, npz, (model, x, y) = labelled(tmp_path, name, 12)
    args = [x_csv, "--model", npz, "--activation", activations(name), "--label-column",
            str(x.shape[1] + 1), "--loss", loss]  # fmt: skip
    local = evaluate(*args)
    dask = evaluate(*args, "--engine", "dask", "--scheduler", cluster, "--blocksize", "30kB")
    assert dask == local
    doc = json.loads(dask)
    if name == "breast_cancer":
        assert doc["loss_name"] == "binary_cross_entropy"
        want = metrics.log_loss(y, model.predict_proba(x)[:, 1])
        assert doc["confusion"] == metrics.confusion_matrix(y, model.predict(x)).tolist()
    else:
        oracle = metrics.mean_absolute_error if loss == "mae" else metrics.mean_squared_error
        want = oracle(y, model.predict(x))
    assert doc["loss"] == pytest.approx(want, rel=REL)


def test_one_hot_labels_and_columns_by_name(tmp_path: Path, cluster: str) -> None:
    """Labels as one-hot rows in a tab-separated file, X's columns chosen by name: only
    the first block has the header that names them."""
    rs = np.random.RandomState(5)
    x, y = rs.randn(5000, 3), rs.randint(0, 3, 5000)
    lines = ["a\tb\tjunk\tc\ty"] + [
        f"{r[0]!r}\t{r[1]!r}\tzz\t{r[2]!r}\t" + ",".join("1" if j == t else "0" for j in range(3))
        for r, t in zip(x.tolist(), y.tolist(), strict=True)
    ]
    (tmp_path / "x.tsv").write_text("\n".join(lines) + "\n")
    args = [tmp_path / "x.tsv", "--columns", "a,b,c", "--label-column", "y", "--neurons", "4,3",
            "--seed", "2", "--activation", "relu,softmax"]  # fmt: skip
    local = evaluate(*args)
    assert evaluate(*args, "--engine", "dask", "--scheduler", cluster, "--blocksize", "25kB") == (
        local
    )


def test_bad_labels_and_cells_are_the_local_error_line(tmp_path: Path, cluster: str) -> None:
    rs = np.random.RandomState(1)
    x, y = rs.randn(6000, 2).tolist(), rs.randint(0, 2, 6000).tolist()
    rows = [",".join(map(repr, r)) + f",{t}" for r, t in zip(x, y, strict=True)]
    cases = {
        "label": (4321, lambda r: r.rsplit(",", 1)[0] + ",rose"),
        "index": (5000, lambda r: r.rsplit(",", 1)[0] + ",7"),
        "cell": (3000, lambda r: "oops," + r.split(",", 1)[1]),
    }
    for case, (at, bad) in cases.items():
        body = rows.copy()
        body[at] = bad(body[at])
        (tmp_path / f"{case}.csv").write_text("a,b,y\n" + "\n".join(body) + "\n")
        args = [f"{case}.csv", "-w", "1,0;0,1", "-b", "0", "--activation", "softmax",
                "--label-column", "y", "--classes", "no,yes"]  # fmt: skip
        local = run_nncalc("evaluate", *args, cwd=tmp_path)
        dask = run_nncalc("evaluate", *args, "--engine", "dask", "--scheduler", cluster,
                          "--blocksize", "20kB", cwd=tmp_path)  # fmt: skip
        line = assert_one_error_line(local, 1)
        assert error_line(dask) == line
        assert str(at + 1 if case != "cell" else at + 2) in line, line


def test_a_labels_file_is_read_in_slices_by_the_blocks(tmp_path: Path, cluster: str) -> None:
    """A labels file with a BOM, CRLF, blank lines and spaces, cut in as many blocks as
    X: each block of X reads its own labels' lines, and the scores are the local bytes."""
    x_csv, npz, (model, x, y) = labelled(tmp_path, "iris", 40)
    lines = [f" {IRIS[t]} " if i % 7 else f"{t}" for i, t in enumerate(y.tolist())]
    for i in range(0, len(lines), 250):
        lines[i] += "\r\n"  # a blank line after it
    (tmp_path / "y.txt").write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode() + b"\r\n")
    args = [x_csv, "--model", npz, "--activation", "relu,softmax", "--labels",
            tmp_path / "y.txt", "--classes", ",".join(IRIS)]  # fmt: skip
    local = evaluate(*args, "--drop-columns", "target")
    # --id-column keeps a column out of X as --drop-columns does (nothing writes it here)
    for blocksize, out in (("3000", "--drop-columns"), ("100kB", "--id-column")):
        dask = evaluate(*args, out, "target", "--engine", "dask", "--scheduler", cluster,
                        "--blocksize", blocksize)  # fmt: skip
        assert dask == local, blocksize
    assert evaluate(*args, "--id-column", "target") == local
    assert json.loads(local)["accuracy"] == pytest.approx(
        metrics.accuracy_score(y, model.predict(x)), rel=REL
    )


def test_a_bad_labels_file_is_the_local_error_line(tmp_path: Path, cluster: str) -> None:
    rs = np.random.RandomState(2)
    x, y = rs.randn(5000, 2), rs.randint(0, 2, 5000)
    (tmp_path / "x.csv").write_text("".join(f"{a!r},{b!r}\n" for a, b in x.tolist()))
    good = [str(t) for t in y.tolist()]
    cases = {
        "range": good[:3999] + ["7"] + good[4000:],
        "name": good[:1234] + ["", "rose"] + good[1235:],
        "short": good[:4998],
        "long": good + ["", "1", "0"],
    }
    for case, lines in cases.items():
        (tmp_path / f"{case}.txt").write_text("\n".join(lines) + "\n")
        args = ["x.csv", "-w", "1,0;0,1", "-b", "0", "--activation", "softmax", "--labels",
                f"{case}.txt", "--classes", "no,yes"]  # fmt: skip
        local = run_nncalc("evaluate", *args, cwd=tmp_path)
        dask = run_nncalc("evaluate", *args, "--engine", "dask", "--scheduler", cluster,
                          "--blocksize", "9kB", cwd=tmp_path)  # fmt: skip
        line = assert_one_error_line(local, 1)
        assert error_line(dask) == line, case
        assert {"range": "range.txt:4000:", "name": "name.txt:1236:",
                "short": "short.txt: 4998 labels for 5000 rows",
                "long": "long.txt:5002: 5002 labels for 5000 rows"}[case] in line  # fmt: skip


def test_ndjson_json_and_parquet_with_a_labels_file(tmp_path: Path, cluster: str) -> None:
    import polars as pl

    rs = np.random.RandomState(3)
    x, y = rs.randn(9000, 4), rs.randint(0, 3, 9000)
    recs = [json.dumps(dict(zip("abcd", r, strict=True))) for r in x.tolist()]
    (tmp_path / "x.ndjson").write_text("\n".join(recs[:5000]) + "\n\n" + "\n".join(recs[5000:]))
    (tmp_path / "x.json").write_text(json.dumps(x.tolist()))
    pl.DataFrame(x, schema=list("abcd"), orient="row").write_parquet(
        tmp_path / "x.parquet", row_group_size=700
    )
    (tmp_path / "y.txt").write_text("".join(f"{t}\n" for t in y.tolist()))
    for name in ("x.ndjson", "x.json", "x.parquet"):
        args = [tmp_path / name, "--neurons", "5,3", "--seed", "4", "--activation",
                "relu,softmax", "--labels", tmp_path / "y.txt"]  # fmt: skip
        dask = evaluate(*args, "--engine", "dask", "--scheduler", cluster, "--blocksize", "40kB")
        assert dask == evaluate(*args), name


def test_a_label_column_outside_csv_is_refused_in_one_line(tmp_path: Path, cluster: str) -> None:
    (tmp_path / "x.ndjson").write_text('{"a": 1, "y": 0}\n')
    proc = run_nncalc("evaluate", "x.ndjson", "-w", "1,0", "-b", "0", "--activation", "softmax",
                      "--label-column", "y", "--engine", "dask", "--scheduler", cluster,
                      cwd=tmp_path)  # fmt: skip
    said = assert_one_error_line(proc, 2)
    assert "--label-column reads CSV or TSV inputs; x.ndjson is ndjson" in said


def cluster_started(proc: Any, psutil: Any, timeout: float = 60) -> list[Any]:
    """The processes of the cluster ``proc`` starts (the fork server, its resource
    tracker, two workers), once they all exist: nncalc starts them after its imports and
    signal handlers, and scores from then on."""
    end = time.monotonic() + timeout
    while time.monotonic() < end and proc.poll() is None:
        helpers = psutil.Process(proc.pid).children(recursive=True)
        if len(helpers) >= 4:
            return list(helpers)
        time.sleep(0.05)
    raise AssertionError(f"no cluster started: {proc.poll()}")


@pytest.mark.slow
def test_ctrl_c_stops_the_run_in_one_line(iris: tuple[Path, Path, Any]) -> None:
    """Ctrl-C while our own cluster scores (blocks of a few rows: ~2,000 tasks): exit
    130, one line, and none of the cluster's processes left."""
    import signal
    import subprocess
    import sys

    psutil = pytest.importorskip("psutil")
    x_csv, npz, _ = iris
    for _ in range(3):  # a quick machine may finish the run before the signal lands
        proc = subprocess.Popen(
            [sys.executable, "-m", "nncalc", "evaluate", str(x_csv), "--model", str(npz),
             "--activation", "relu,softmax", "--label-column", "target", "--engine", "dask",
             "--workers", "2", "--blocksize", "1000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        helpers = cluster_started(proc, psutil)  # the run is under way, its handlers set
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        if proc.returncode != 0:
            break
    assert proc.returncode == 130, err
    said = [ln for ln in err.decode().splitlines() if "warning: --blocksize below" not in ln]
    assert said == ["nncalc: error: interrupted"]
    gone, alive = psutil.wait_procs(helpers, timeout=30)
    assert not alive
