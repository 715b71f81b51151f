"""A model file is data someone else wrote: it may name only regular files beside itself
(issue 23, item 3), and a run knows every file a model made it read (item 1)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from nncalc.errors import InputError
from nncalc.models import read_model
from tests.conftest import SAMPLES, assert_one_error_line, run_nncalc

SECRET = "root:x:0:0:secretpassword\nline2 secretpassword\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "shadow").write_text(SECRET)
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "w.csv").write_text("1,2\n3,4\n")
    (tmp_path / "x.csv").write_text("1,2\n")
    return tmp_path


def model(tree: Path, weights: object, name: str = "net.json") -> Path:
    path = tree / "m" / name
    path.write_text(json.dumps({"layers": [{"weights": weights}]}))
    return path


@pytest.mark.parametrize(
    "weights", ["../shadow", "sub/../../shadow", "/etc/passwd", "", "..", "C:\\x.csv"]
)
def test_a_model_names_no_file_outside_its_folder(tree: Path, weights: str) -> None:
    path = model(tree, weights)
    proc = run_nncalc("forward", str(tree / "x.csv"), "--model", str(path))
    line = assert_one_error_line(proc, 1, "not a file in the model's folder")
    assert "secretpassword" not in line and "root:" not in line


def test_a_symlink_leading_out_is_refused(tree: Path) -> None:
    (tree / "m" / "link").symlink_to(tree / "shadow")
    path = model(tree, "link")
    proc = run_nncalc("forward", str(tree / "x.csv"), "--model", str(path))
    assert_one_error_line(proc, 1, "not a file in the model's folder")


def test_a_fifo_is_refused_not_opened(tree: Path) -> None:
    os.mkfifo(tree / "m" / "fifo")
    path = model(tree, "fifo")
    proc = run_nncalc("forward", str(tree / "x.csv"), "--model", str(path), timeout=20)
    assert_one_error_line(proc, 1, "not a regular file")


def test_an_error_never_echoes_a_file_the_model_named(tree: Path) -> None:
    (tree / "m" / "key").write_text(SECRET)
    path = model(tree, "key")
    proc = run_nncalc("forward", str(tree / "x.csv"), "--model", str(path))
    line = assert_one_error_line(proc, 1, "content is not shown")
    assert "secret" not in line and ":2:1:" in line


def test_a_file_the_user_named_is_still_quoted(tree: Path) -> None:
    """-w names numeric data on the command line: its bad cell is shown, as always."""
    proc = run_nncalc("forward", str(tree / "x.csv"), "-w", str(tree / "shadow"))
    assert_one_error_line(proc, 1, "'line2 secretpassword' is not a number")


def test_files_beside_the_model_still_read(tree: Path) -> None:
    (tree / "m" / "sub").mkdir()
    (tree / "m" / "sub" / "b.csv").write_text("0.5,0.5\n")
    (tree / "m" / "net.json").write_text(
        json.dumps({"layers": [{"weights": "w.csv", "biases": "sub/b.csv"}]})
    )
    got = read_model(str(tree / "m" / "net.json"))
    assert got.files == tuple(str(tree / "m" / f) for f in ("net.json", "w.csv", "sub/b.csv"))
    np.testing.assert_array_equal(got.network.layers[0].w, [[1, 2], [3, 4]])


def test_model_files_lists_every_file_read() -> None:
    got = read_model(str(SAMPLES / "network/net.json"))
    names = [Path(f).name for f in got.files]
    assert names == ["net.json", "w1.csv", "b1.csv", "w2.csv", "b2.csv"]
    assert all(Path(f).is_file() for f in got.files)


def test_inline_models_list_only_themselves(tmp_path: Path) -> None:
    path = tmp_path / "inline.json"
    path.write_text(json.dumps({"layers": [{"weights": [[1.0]], "biases": [0.0]}]}))
    assert read_model(str(path)).files == (str(path),)


def test_onnx_external_data_is_listed(tmp_path: Path) -> None:
    onnx = pytest.importorskip("onnx")
    from nncalc.core import Layer, Network
    from nncalc.models import write_model

    net = Network([Layer(np.arange(64.0).reshape(8, 8), np.zeros(8))])
    proto = onnx.load_model_from_string(write_model(net, "m.onnx"))
    onnx.save_model(proto, str(tmp_path / "m.onnx"), save_as_external_data=True,
                    location="m.data", size_threshold=0)  # fmt: skip
    got = read_model(str(tmp_path / "m.onnx"))
    assert got.files == (str(tmp_path / "m.onnx"), str(tmp_path / "m.data"))


def test_library_error_is_an_input_error(tree: Path) -> None:
    with pytest.raises(InputError, match="not a file in the model's folder"):
        read_model(str(model(tree, "../shadow")))


def test_a_large_file_a_model_names_is_refused_by_its_size(tree: Path) -> None:
    with open(tree / "m" / "big.csv", "wb") as f:
        f.truncate(4 << 20)  # never read: its size says no
    path = model(tree, "big.csv")
    proc = run_nncalc("forward", str(tree / "x.csv"), "--model", str(path), "--max-memory", "1M")
    assert_one_error_line(proc, 1, "big.csv: W from a 4 MiB text file")
