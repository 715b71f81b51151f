"""--argmax on one sigmoid output is scikit-learn's binary predict (class 1 where p > 0.5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from nncalc.cli import app
from tests.sklearn_models import export_npz, trained

runner = CliRunner()
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}


def invoke(*args: str | Path):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], env=ENV)


@pytest.fixture(scope="module")
def breast_cancer(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Any]:
    model, x, _ = trained("breast_cancer")
    folder = tmp_path_factory.mktemp("bc")
    np.savetxt(folder / "x.csv", x, delimiter=",")
    return folder / "x.csv", export_npz(model, folder / "mlp.npz"), model


def test_binary_argmax_equals_sklearn_predict_on_every_row(
    breast_cancer: tuple[Path, Path, Any],
) -> None:
    x, npz, model = breast_cancer
    res = invoke("forward", x, "--model", npz, "--activation", "relu,sigmoid", "--argmax")
    assert res.exit_code == 0, res.output
    got = np.array(res.stdout.split(), dtype=int)
    _, xs, _ = trained("breast_cancer")
    np.testing.assert_array_equal(got, model.predict(xs))
    assert 0 < got.sum() < len(got)  # both classes occur: the old argmax gave all 0


def test_threshold_moves_the_cut_and_classes_name_two(
    breast_cancer: tuple[Path, Path, Any],
) -> None:
    x, npz, model = breast_cancer
    _, xs, _ = trained("breast_cancer")
    p = model.predict_proba(xs)[:, 1]
    res = invoke("forward", x, "--model", npz, "--activation", "relu,sigmoid",
                 "--threshold", "0.9", "--classes", "malignant,benign")  # fmt: skip
    assert res.exit_code == 0, res.output
    want = np.where(p > 0.9, "benign", "malignant")
    assert res.stdout.split() == want.tolist()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--activation", "relu,relu", "--argmax"], "needs a probability"),
        (["--activation", "relu,sigmoid", "--threshold", "0.3"], "add --argmax"),
        (["--activation", "relu,sigmoid", "--classes", "a,b,c"], "names 3 classes"),
    ],
)
def test_refusals_are_one_usage_line(
    breast_cancer: tuple[Path, Path, Any], args: list[str], says: str
) -> None:
    x, npz, _ = breast_cancer
    res = invoke("forward", x, "--model", npz, *args)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("nncalc: error: ") and says in lines[0]
