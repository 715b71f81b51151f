"""``nncalc evaluate`` end to end against sklearn.metrics, on models trained in
scikit-learn and exported to npz as the README says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from nncalc.cli import app
from tests.conftest import assert_one_error_line, run_nncalc
from tests.sklearn_models import activations, export_npz, trained

metrics = pytest.importorskip("sklearn.metrics")
runner = CliRunner()
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
REL = 1e-9
IRIS = ["setosa", "versicolor", "virginica"]


def invoke(*args: str | Path, stdin: bytes | None = None) -> Any:
    return runner.invoke(app, [str(a) for a in args], input=stdin, env=ENV)


def write_data(folder: Path, name: str) -> tuple[Path, Path, Any, np.ndarray, np.ndarray]:
    model, x, y = trained(name)
    np.savetxt(folder / f"{name}.csv", x, delimiter=",", fmt="%.17g")
    return folder / f"{name}.csv", export_npz(model, folder / f"{name}.npz"), model, x, y


def scores(*args: str | Path, stdin: bytes | None = None) -> dict[str, Any]:
    res = invoke("evaluate", *args, stdin=stdin)
    assert res.exit_code == 0, res.output
    doc: dict[str, Any] = json.loads(res.stdout)
    return doc


def check_classes(doc: dict[str, Any], y: np.ndarray, proba: np.ndarray, pred: np.ndarray) -> None:
    k = proba.shape[1] if proba.ndim == 2 else 2
    labels = list(range(k))
    assert doc["samples"] == len(y)
    assert doc["loss"] == pytest.approx(metrics.log_loss(y, proba, labels=labels), rel=REL)
    assert doc["accuracy"] == pytest.approx(metrics.accuracy_score(y, pred), rel=REL)
    assert doc["confusion"] == metrics.confusion_matrix(y, pred, labels=labels).tolist()
    p, r, f, s = metrics.precision_recall_fscore_support(y, pred, labels=labels, zero_division=0)
    got = doc["per_class"]
    np.testing.assert_allclose([c["precision"] for c in got], p, rtol=REL)
    np.testing.assert_allclose([c["recall"] for c in got], r, rtol=REL)
    np.testing.assert_allclose([c["f1"] for c in got], f, rtol=REL)
    assert [c["support"] for c in got] == s.tolist()


@pytest.fixture(scope="module")
def iris(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("iris")
    x_csv, npz, model, x, y = write_data(folder, "iris")
    forms = {
        "index": "".join(f"{i}\n" for i in y),
        "name": "".join(f"{IRIS[i]}\n" for i in y),
        "one-hot": "".join(",".join("1" if j == i else "0" for j in range(3)) + "\n" for i in y),
    }
    for form, text in forms.items():
        (folder / f"{form}.txt").write_text(text)
    with_names = "a,b,c,d,species\n" + "".join(
        ",".join(map(repr, row.tolist())) + f",{IRIS[i]}\n" for row, i in zip(x, y, strict=True)
    )
    (folder / "labelled.csv").write_text(with_names)
    return {"folder": folder, "x": x_csv, "npz": npz, "model": model, "X": x, "y": y}


@pytest.mark.parametrize("form", ["index", "name", "one-hot"])
def test_iris_labels_in_every_form_match_sklearn(iris: dict[str, Any], form: str) -> None:
    labels = iris["folder"] / f"{form}.txt"
    doc = scores(iris["x"], "--model", iris["npz"], "--activation", "relu,softmax",
                 "--labels", labels, "--classes", ",".join(IRIS))  # fmt: skip
    model, x, y = iris["model"], iris["X"], iris["y"]
    assert doc["loss_name"] == "cross_entropy"
    assert doc["classes"] == IRIS
    check_classes(doc, y, model.predict_proba(x), model.predict(x))
    assert [c["class"] for c in doc["per_class"]] == IRIS


def test_iris_label_column_through_stdin(iris: dict[str, Any]) -> None:
    data = (iris["folder"] / "labelled.csv").read_bytes()
    doc = scores("-", "--model", iris["npz"], "--activation", "relu,softmax",
                 "--label-column", "species", "--classes", ",".join(IRIS), stdin=data)  # fmt: skip
    model, x, y = iris["model"], iris["X"], iris["y"]
    check_classes(doc, y, model.predict_proba(x), model.predict(x))


def test_iris_on_a_terminal_draws_the_tables(iris: dict[str, Any]) -> None:
    res = invoke("evaluate", iris["folder"] / "labelled.csv", "--model", iris["npz"],
                 "--activation", "relu,softmax", "--label-column", "5", "--classes",
                 ",".join(IRIS), "-f", "table")  # fmt: skip
    assert res.exit_code == 0, res.output
    text = res.stdout
    for want in ("samples", "150", "loss (cross_entropy)", "accuracy", "Confusion matrix",
                 "virginica", "precision", "recall", "F1", "support"):  # fmt: skip
        assert want in text, text


def test_breast_cancer_sigmoid_is_binary_cross_entropy(tmp_path: Path) -> None:
    x_csv, npz, model, x, y = write_data(tmp_path, "breast_cancer")
    (tmp_path / "y.txt").write_text("".join(f"{i}\n" for i in y))
    doc = scores(x_csv, "--model", npz, "--activation", activations("breast_cancer"),
                 "--labels", tmp_path / "y.txt")  # fmt: skip
    assert doc["loss_name"] == "binary_cross_entropy"
    check_classes(doc, y, model.predict_proba(x)[:, 1], model.predict(x))
    cut = scores(x_csv, "--model", npz, "--activation", activations("breast_cancer"),
                 "--labels", tmp_path / "y.txt", "--threshold", "0.9")  # fmt: skip
    pred = (model.predict_proba(x)[:, 1] > 0.9).astype(int)
    assert cut["confusion"] == metrics.confusion_matrix(y, pred).tolist()


@pytest.mark.parametrize("loss", ["auto", "mse", "mae"])
def test_regression_matches_sklearn(tmp_path: Path, loss: str) -> None:
    x_csv, npz, model, x, y = write_data(tmp_path, "diabetes")
    (tmp_path / "y.txt").write_text("".join(f"{v!r}\n" for v in y.tolist()))
    doc = scores(x_csv, "--model", npz, "--activation", activations("diabetes"),
                 "--labels", tmp_path / "y.txt", "--loss", loss)  # fmt: skip
    oracle = metrics.mean_absolute_error if loss == "mae" else metrics.mean_squared_error
    assert doc["loss_name"] == ("mse" if loss == "auto" else loss)
    assert doc["loss"] == pytest.approx(oracle(y, model.predict(x)), rel=REL)
    assert "accuracy" not in doc and doc["samples"] == len(y)


BAD = [
    ("0\n1\n7\n", "y.txt:3: class index 7 is out of range for 3 classes"),
    ("0\nrose\n", "y.txt:2: 'rose' is not a class name in --classes"),
    ("0\n0,1,1\n", "y.txt:2: '0,1,1' is not one-hot"),
    ("0\n1\n", "y.txt: 2 labels for 3 rows"),
    ("0\n1\n2\n0\n", "y.txt:4: 4 labels for 3 rows"),
]


@pytest.mark.parametrize(("text", "says"), BAD)
def test_bad_labels_are_one_line_with_file_and_line(tmp_path: Path, text: str, says: str) -> None:
    (tmp_path / "y.txt").write_text(text)
    proc = run_nncalc("evaluate", "0,1;1,0;1,1", "-w", "1,0,0;0,1,0", "-b", "0", "--activation",
                      "softmax", "--labels", "y.txt", "--classes", "a,b,c",
                      cwd=tmp_path)  # fmt: skip
    assert says in assert_one_error_line(proc, 1)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "--labels FILE or --label-column COL"),
        (["--labels", "y.txt", "--label-column", "1"], "both give the true labels: give one"),
        (["--labels", "y.txt", "--loss", "binary_cross_entropy"], "needs one probability"),
        (["--labels", "y.txt", "--threshold", "0.2"], "--threshold is for one probability"),
        (["--labels", "y.txt", "--workers", "2"], "are for --engine dask"),
    ],
)
def test_usage_mistakes_are_one_line(tmp_path: Path, args: list[str], says: str) -> None:
    (tmp_path / "y.txt").write_text("0\n1\n")
    proc = run_nncalc("evaluate", "0,1;1,0", "-w", "1,0;0,1", "-b", "0", "--activation",
                      "softmax", *args, cwd=tmp_path)  # fmt: skip
    assert says in assert_one_error_line(proc, 2)


def test_dask_reads_x_from_a_file_not_stdin() -> None:
    proc = run_nncalc("evaluate", "-", "-w", "1,0;0,1", "-b", "0", "--activation", "softmax",
                      "--label-column", "3", "--engine", "dask",
                      stdin=b"0,1,0\n1,0,1\n")  # fmt: skip
    assert "not stdin" in assert_one_error_line(proc, 2)


def test_cross_entropy_of_a_relu_output_is_refused(tmp_path: Path) -> None:
    (tmp_path / "y.txt").write_text("0\n1\n")
    res = invoke("evaluate", "0,1;1,0", "-w", "1,0;0,1", "-b", "0", "--labels",
                 tmp_path / "y.txt", "--loss", "cross_entropy")  # fmt: skip
    assert res.exit_code == 2
    assert "needs probabilities over 2+ classes" in res.stderr


def test_explain_with_labels_shows_the_samples_loss(iris: dict[str, Any]) -> None:
    model, x, y = iris["model"], iris["X"], iris["y"]
    i = 70
    res = invoke("explain", iris["folder"] / "labelled.csv", "--model", iris["npz"],
                 "--activation", "relu,softmax", "--label-column", "species", "--classes",
                 ",".join(IRIS), "--sample", str(i), "--layer", "2")  # fmt: skip
    assert res.exit_code == 0, res.output
    line = res.stdout.strip().splitlines()[-1]
    p = model.predict_proba(x)[i, y[i]]
    single = metrics.log_loss([y[i]], model.predict_proba(x)[i : i + 1], labels=[0, 1, 2])
    assert line.startswith(f"loss of sample {i}: true class {IRIS[y[i]]} ({y[i]}); ")
    assert f"p = A[{i},{y[i]}] = {p:.10g}" in line
    assert line.endswith(f"−log({p:.10g}) = {single:.6g}")


def test_explain_with_a_regression_label(tmp_path: Path) -> None:
    (tmp_path / "y.txt").write_text("3\n8\n")
    res = invoke("explain", "1,2;3,4", "-w", "1;1", "-b", "0", "--activation", "linear",
                 "--labels", tmp_path / "y.txt", "--sample", "1")  # fmt: skip
    assert res.exit_code == 0, res.output
    assert res.stdout.strip().splitlines()[-1] == "loss of sample 1 (mse): (8 − 7)² = 1"


def test_a_label_column_outside_csv_names_the_option(tmp_path: Path) -> None:
    (tmp_path / "x.json").write_text('[{"a": 1, "b": 2, "y": 0}]')
    res = invoke("evaluate", tmp_path / "x.json", "-w", "1,0;0,1", "-b", "0", "--activation",
                 "softmax", "--label-column", "y")  # fmt: skip
    assert res.exit_code == 2
    assert res.stderr.startswith("nncalc: error: --label-column reads CSV or TSV inputs")


@pytest.mark.parametrize("command", ["evaluate", "explain"])
@pytest.mark.parametrize(("column", "says"), [
    ("species", "--label-column names column 'species' but the file has no header"),
    ("9", "--label-column"),
])  # fmt: skip
def test_a_bad_label_column_is_named_as_given(
    tmp_path: Path, command: str, column: str, says: str
) -> None:
    """X's reader takes the label column as its id column; its errors still name
    --label-column, the option the user gave."""
    (tmp_path / "x.csv").write_text("1,2,0\n3,4,1\n")
    res = invoke(command, tmp_path / "x.csv", "-w", "1,0;0,1", "-b", "0", "--activation",
                 "softmax", "--label-column", column)  # fmt: skip
    assert res.exit_code == 1, res.output
    assert says in res.stderr and "--id-column" not in res.stderr, res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_float32_outputs_clip_at_float32_eps(tmp_path: Path) -> None:
    (tmp_path / "y.txt").write_text("0\n1\n")
    doc = scores("0,40;40,0", "-w", "1,0;0,1", "-b", "0", "--activation", "softmax",
                 "--labels", tmp_path / "y.txt", "--dtype", "float32")  # fmt: skip
    a = np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32)  # e^-40 underflows in float32
    want = metrics.log_loss([0, 1], a, labels=[0, 1])
    assert doc["loss"] == pytest.approx(want, rel=1e-6)
    assert doc["loss"] == pytest.approx(-np.log(np.finfo(np.float32).eps), rel=1e-6)


def test_a_piped_evaluate_imports_no_rich(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "y.txt").write_text("0\n1\n")
    code = (
        "import sys\n"
        "from nncalc.cli.root import main\n"
        "try:\n"
        "    main(['evaluate', '0,1;1,0', '-w', '1,0;0,1', '-b', '0', '--activation', "
        f"'softmax', '--labels', {str(tmp_path / 'y.txt')!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "sys.stderr.write(repr([m for m in ('rich', 'nncalc.render') if m in sys.modules]))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, check=True)
    assert proc.stderr.decode() == "[]"
    assert json.loads(proc.stdout)["samples"] == 2


@pytest.mark.parametrize("chunk", [1 << 14, 1 << 17, 8 << 20])
def test_streamed_totals_are_the_whole_arrays_bits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """However the reader cuts X (and the labels with it), the loss is the one the core
    computes on the whole arrays at once, to the last bit."""
    from nncalc.core import Layer, Network
    from nncalc.core.metrics import LOSSES, Evaluation
    from nncalc.formats import delimited as delimited_mod

    monkeypatch.setattr(delimited_mod, "CHUNK_BYTES", chunk)
    rs = np.random.RandomState(7)
    x = np.round(rs.uniform(-3, 3, (20_000, 4)), 3)
    y = rs.randint(0, 3, len(x))
    w1, b1, w2, b2 = rs.randn(4, 5), rs.randn(5), rs.randn(5, 3), rs.randn(3)
    np.savez(tmp_path / "net.npz", W1=w1, b1=b1, W2=w2, b2=b2,
             activations=np.array(["relu", "softmax"]))  # fmt: skip
    body = "".join(",".join(map(repr, row)) + f",c{i}\n" for row, i in
                   zip(x.tolist(), y.tolist(), strict=True))  # fmt: skip
    (tmp_path / "x.csv").write_text("a,b,c,d,label\n" + body)
    doc = scores(tmp_path / "x.csv", "--model", tmp_path / "net.npz", "--label-column", "label",
                 "--classes", "c0,c1,c2")  # fmt: skip
    net = Network([Layer(w1, b1, "relu"), Layer(w2, b2, "softmax")])
    ev = Evaluation(LOSSES["cross_entropy"], 3)
    ev.add(net(x), y)
    whole = ev.scores()
    assert float(doc["loss"]).hex() == whole.value.hex()
    assert whole.confusion is not None and doc["confusion"] == whole.confusion.tolist()
