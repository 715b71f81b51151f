"""Ids travel with every output: --id-column beside A or beside --argmax's class, in CSV,
TSV, JSON and NDJSON, and across blocks however the rows were cut."""

from __future__ import annotations

import json
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from nncalc.cli import app
from nncalc.formats import Format
from nncalc.formats.write import LabelWriter, Writer

runner = CliRunner()
X = "id,a,b\nr1,1,2\nr2,3,-4\nr3,0.5,1\n"


def run(tmp_path: Path, *args: str) -> str:
    (tmp_path / "x.csv").write_text(X)
    res = runner.invoke(app, ["forward", str(tmp_path / "x.csv"), "-w", "1,0;0,1", "-b", "0,0",
                              "--id-column", "id", *args])  # fmt: skip
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_argmax_keeps_ids_in_delimited_output(tmp_path: Path, fmt: str) -> None:
    d = "," if fmt == "csv" else "\t"
    assert run(tmp_path, "-f", fmt, "--argmax") == f"id{d}class\nr1{d}1\nr2{d}0\nr3{d}1\n"
    named = run(tmp_path, "-f", fmt, "--classes", "x,y")
    assert named == f"id{d}class\nr1{d}y\nr2{d}x\nr3{d}y\n"


def test_json_and_ndjson_rows_are_objects_with_ids(tmp_path: Path) -> None:
    a = [{"id": "r1", "a": [1.0, 2.0]}, {"id": "r2", "a": [3.0, 0.0]},
         {"id": "r3", "a": [0.5, 1.0]}]  # fmt: skip
    assert json.loads(run(tmp_path, "-f", "json")) == a
    assert [json.loads(ln) for ln in run(tmp_path, "-f", "ndjson").splitlines()] == a
    cls = [{"id": "r1", "class": "y"}, {"id": "r2", "class": "x"}, {"id": "r3", "class": "y"}]
    assert json.loads(run(tmp_path, "-f", "json", "--classes", "x,y")) == cls
    nd = run(tmp_path, "-f", "ndjson", "--classes", "x,y")
    assert [json.loads(ln) for ln in nd.splitlines()] == cls
    assert json.loads(run(tmp_path, "-f", "json", "--argmax"))[1] == {"id": "r2", "class": 0}


@pytest.mark.parametrize("fmt", [Format.CSV, Format.JSON, Format.NDJSON])
def test_ids_follow_rows_however_the_blocks_are_cut(fmt: Format) -> None:
    rs = np.random.RandomState(0)
    a = rs.randn(50, 2)
    ids = [f"r{i}" for i in range(50)]

    def write(cuts: list[int], labels: bool) -> bytes:
        queue = deque([ids[s:e] for s, e in zip([0, *cuts], [*cuts, 50], strict=True)])
        if labels:
            w = LabelWriter(fmt, ["x", "y"], ["class"], queue, "id")
            return b"".join(w.encode(np.argmax(a[s:e], axis=1) for s, e in [(0, 7), (7, 50)]))
        return Writer(fmt, ["a", "b"], ids=queue, id_name="id").dumps(a)

    for labels in (False, True):
        assert write([3, 20], labels) == write([49], labels)
    if fmt is Format.JSON:
        got = json.loads(write([10], True))
        assert got[13] == {"id": "r13", "class": ["x", "y"][int(np.argmax(a[13]))]}
