"""Fuzzing what surrounds the cells (issue 23): file names, option values and model files,
each run as a user runs nncalc, against the README's promises — exit 0, 1 or 2; on
failure one line ``nncalc: error: …`` with no control character and no traceback; every
input (and any file a model names, or a secret beside it) untouched and never echoed;
no temporary file left behind."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import SAMPLES, run_nncalc

pytestmark = pytest.mark.slow
FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
X = (SAMPLES / "batch/inputs.csv").read_bytes()
W = (SAMPLES / "batch/weights.csv").read_bytes()
B = (SAMPLES / "batch/biases.csv").read_bytes()
SECRET = "s3cr3t-do-not-print"

HOSTILE_TEXT = [
    "", " ", "-", "--", "-1", "0", "⁵", "١", "1-²", "1e999", "nan", "-inf", "1,,2", ",", ";",
    "\x1b[31m", "\x1b]0;t\x07", "\n", "\t", "a\nb", "..", "../x", "/etc/passwd", "/dev/stdin",
    "/dev/full", "/proc/self/fd/0", "x.csv?skip_rows=⁵", "x.csv?header=2", "?", "%s%n",
    "é" * 130, "a" * 300, "0x10", "1_0", "1e-400", "9" * 40, "relu,", "leaky_relu:1e308",
    "softmax:2", "out-in", "float16", "2G", "0M", "1.5", "-0", "*", "**", "{}", "[]",
]  # fmt: skip
hostile = st.sampled_from(HOSTILE_TEXT) | st.text(
    st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
)
name_chars = st.characters(exclude_categories=("Cs",), exclude_characters="/\x00")
file_names = (
    st.sampled_from(
        [
            "x.csv",
            "-x.csv",
            "a b.csv",
            "x.csv?header=1",
            "\x1b[2J.csv",
            "x\n.csv",
            "é" * 120 + ".csv",
            "a" * 251 + ".csv",
            ".csv",
            "x.npy",
            "x.json",
            "--",
            "x.parquet",
            "-",
            "*.csv",
        ]
    )  # fmt: skip
    | st.text(name_chars, min_size=1, max_size=30)
).filter(lambda n: n not in (".", "..") and len(n.encode()) <= 255)


def snapshot(d: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(d)): p.read_bytes()
        for p in sorted(d.rglob("*"))
        if p.is_file() and not p.is_symlink() and not p.is_fifo()
    }


def promises(
    proc: subprocess.CompletedProcess[bytes], before: dict[str, bytes], d: Path, *, new: str = ""
) -> None:
    err = proc.stderr.decode("utf-8", "replace")
    out = proc.stdout.decode("utf-8", "replace")
    assert "Traceback" not in err, err
    assert proc.returncode in (0, 1, 2), (proc.returncode, err)
    assert SECRET not in err and SECRET not in out
    if proc.returncode:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("nncalc: error: "), err
        assert lines[0].isprintable(), repr(lines[0])
    after = snapshot(d)
    for name, data in before.items():
        if name != new:
            assert after.get(name) == data, f"input {name!r} changed"
    assert not [n for n in after if n.endswith(".tmp")], after.keys()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "secret.txt").write_text(f"1,2\n{SECRET}\n")
    d = tmp_path / "run"
    d.mkdir()
    (d / "in.csv").write_bytes(X)
    (d / "w.csv").write_bytes(W)
    (d / "b.csv").write_bytes(B)
    return d


def fresh(d: Path) -> None:
    """Back to the three inputs alone (hypothesis reuses the fixture's folder)."""
    for p in list(d.iterdir()):
        if p.name not in ("in.csv", "w.csv", "b.csv"):
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()


@FUZZ
@given(x=file_names, w=file_names, out=file_names)
def test_file_names(tree: Path, x: str, w: str, out: str) -> None:
    fresh(tree)
    if x not in ("-", "--") and x != w:
        (tree / x).write_bytes(X)
    if w not in ("-", "--") and w != x:
        (tree / w).write_bytes(W)
    before = snapshot(tree)
    proc = run_nncalc("forward", x, "-w", w, "-b", "b.csv", "-o", out, cwd=tree, stdin=X)
    promises(proc, before, tree, new=out)


OPTIONS = ["--columns", "--drop-columns", "--id-column", "--skip-rows", "--activation",
           "--layout", "--dtype", "--format", "--classes", "--layers", "--upto", "--max-memory",
           "--delimiter", "--decimal", "--header", "--input-format", "--save-params",
           "--save-model", "--report"]  # fmt: skip
# --blocksize (engines/blocks.py, the Dask engine's, issue 23 item 13): `--blocksize 1e999`
# is an OverflowError traceback today; add it here once that item lands.


@FUZZ
@given(option=st.sampled_from(OPTIONS), value=hostile, more=st.booleans())
def test_option_values(tree: Path, option: str, value: str, more: bool) -> None:
    fresh(tree)
    before = snapshot(tree)
    extra = ["--argmax"] if option == "--classes" else []
    args = ["forward", "in.csv", "-w", "w.csv", "-b", "b.csv", *extra, option, value]
    if more:
        args += ["-o", "a.csv"]
    proc = run_nncalc(*args, cwd=tree)
    promises(proc, before, tree, new="a.csv")


PATHS = ["w.csv", "b.csv", "../secret.txt", "/etc/passwd", "sub/../w.csv", "fifo", "link",
         "", ".", "sub", "w.csv\n", "\x1b[2J", "nope.csv", "W.CSV", "./w.csv", "//w.csv",
         "C:\\w.csv", "w.csv?header=1"]  # fmt: skip
json_leaf = st.none() | st.booleans() | st.integers() | st.floats() | st.sampled_from(PATHS)
json_any = st.recursive(
    json_leaf,
    lambda i: st.lists(i, max_size=3) | st.dictionaries(st.text(max_size=4), i, max_size=3),
    max_leaves=8,
)


def mutate(model: dict[str, Any], data: st.DataObject) -> bytes:
    layer = model["layers"][0]
    for _ in range(data.draw(st.integers(1, 3))):
        kind = data.draw(st.sampled_from(["path", "value", "drop", "add", "layers", "cut"]))
        key = data.draw(st.sampled_from(["weights", "biases", "activation", "layout", "name"]))
        if kind == "path":
            layer[key] = data.draw(st.sampled_from(PATHS))
        elif kind == "value":
            layer[key] = data.draw(json_any)
        elif kind == "drop":
            layer.pop(key, None)
        elif kind == "add":
            layer[data.draw(st.text(max_size=5))] = data.draw(json_any)
        elif kind == "layers":
            model["layers"] = data.draw(json_any)
    text = json.dumps(model, allow_nan=True).encode()
    if data.draw(st.booleans()) and data.draw(st.booleans()):
        text = text[: data.draw(st.integers(0, len(text)))]
    return text


@FUZZ
@given(data=st.data())
def test_model_files(tree: Path, data: st.DataObject) -> None:
    fresh(tree)
    (tree / "sub").mkdir()
    os.mkfifo(tree / "fifo")
    (tree / "link").symlink_to(tree.parent / "secret.txt")
    model = {"layers": [{"weights": "w.csv", "biases": "b.csv", "activation": "relu"}]}
    (tree / "net.json").write_bytes(mutate(model, data))
    before = snapshot(tree)
    proc = run_nncalc("forward", "in.csv", "--model", "net.json", "-o", "a.csv", cwd=tree,
                      timeout=30)  # fmt: skip
    promises(proc, before, tree, new="a.csv")
