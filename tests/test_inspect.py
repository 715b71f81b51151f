"""``nncalc inspect`` and model files on the command line: CliRunner for the output, real
processes for exit codes, one-line errors and what a run imports."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy as stn
from typer.testing import CliRunner

from nncalc.cli import app
from nncalc.core import Layer, Network
from nncalc.errors import Hint, UsageError
from nncalc.models import LoadOptions, read_model, write_model
from nncalc.models.summary import summary
from tests.conftest import ROOT, SAMPLES, assert_one_error_line, run_nncalc

runner = CliRunner()
ENV = {"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
LAYER = SAMPLES / "layer"


def invoke(*args: str | Path):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args], env=ENV)


def net() -> Network:
    rng = np.random.default_rng(3)
    return Network([Layer(rng.standard_normal((3, 4)), rng.standard_normal(4), "relu"),
                    Layer(rng.standard_normal((4, 2)), None, "softmax")])  # fmt: skip


@pytest.fixture
def models(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for ext in ("onnx", "safetensors", "npz", "json"):
        path = tmp_path / f"m.{ext}"
        path.write_bytes(write_model(net(), path.name))
        out[ext] = path
    return out


@pytest.mark.parametrize("ext", ["onnx", "safetensors", "npz", "json"])
def test_inspect_table_and_json(models: dict[str, Path], ext: str) -> None:
    res = invoke("inspect", models[ext], "--format", "table")
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if line.startswith("│")]
    assert len(rows) == 2
    assert "3×4" in rows[0] and "relu" in rows[0] and "16" in rows[0] and "float64" in rows[0]
    assert "4×2" in rows[1] and "softmax" in rows[1] and "(zeros)" in rows[1]
    assert "inputs 3 → outputs 2; 26 parameters, 208 bytes" in res.output
    doc = json.loads(invoke("inspect", models[ext], "--format", "json").output)
    assert doc["format"] == ext and doc["inputs"] == 3 and doc["outputs"] == 2
    assert doc["params"] == 26 and doc["bytes"] == 208
    assert [r["weights"] for r in doc["layers"]] == [[3, 4], [4, 2]]
    assert [r["activation"] for r in doc["layers"]] == ["relu", "softmax"]


def test_inspect_piped_is_json(models: dict[str, Path]) -> None:
    doc = json.loads(invoke("inspect", models["onnx"]).output)
    assert doc["layers"][0]["dtype"] == "float64"


def test_inspect_weight_sets() -> None:
    w, b = LAYER / "weights.csv", LAYER / "biases.csv"
    doc = json.loads(invoke("inspect", "-w", w, "-b", b, "--format", "json").output)
    assert doc["inputs"] == 3 and doc["outputs"] == 2 and len(doc["layers"]) == 1
    w2 = LAYER.parent / "batch" / "weights.csv"
    res = invoke("inspect", "-w", w, "-b", b, "-w", w, "-b", b, "--format", "json")
    assert res.exit_code == 1  # 3×2 cannot follow 3×2
    assert "layer 2" in res.output
    res = invoke("inspect", "-w", w2, "-b", LAYER.parent / "batch" / "biases.csv",
                 "--activation", "tanh", "--format", "json")  # fmt: skip
    assert res.exit_code == 0 and json.loads(res.output)["layers"][0]["activation"] == "tanh"


def test_inspect_state_dict_options(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    rng = np.random.default_rng(0)
    stn.save_file({f"fc{k}.weight": rng.standard_normal((3, 3)) for k in (1, 2, 10)}, str(path))
    res = invoke("inspect", path, "--activation", "relu", "--layer-order", "fc10,fc1", "-f", "json")
    assert res.exit_code == 0, res.output
    assert [r["name"] for r in json.loads(res.output)["layers"]] == ["fc10", "fc1"]


@pytest.mark.parametrize(
    "args, text",
    [
        ([], "needs a MODEL"),
        (["-w", str(LAYER / "weights.csv")] * 2, "one -b per -w"),
        (["m.onnx", "-w", str(LAYER / "weights.csv")], "not both"),
        (["m.onnx", "-f", "csv"], "table or writes json"),
    ],
)
def test_inspect_usage_errors(args: list[str], text: str) -> None:
    res = invoke("inspect", *args)
    assert res.exit_code == 2 and text in res.output


# -- files that store no activations: shown, with the activations unknown -----------------
@pytest.fixture
def bare(tmp_path: Path) -> dict[str, Path]:
    """scikit-learn's npz (W1, b1, W2, b2) and a state dict without metadata: weights, no
    activations."""
    rng = np.random.default_rng(24)
    npz, st = tmp_path / "mlp.npz", tmp_path / "sd.safetensors"
    np.savez(npz, W1=rng.standard_normal((4, 8)), b1=rng.standard_normal(8),
             W2=rng.standard_normal((8, 3)), b2=rng.standard_normal(3))  # fmt: skip
    f32 = np.float32
    stn.save_file({"0.weight": rng.standard_normal((8, 4)).astype(f32),
                   "0.bias": rng.standard_normal(8).astype(f32),
                   "2.weight": rng.standard_normal((3, 8)).astype(f32)}, str(st))  # fmt: skip
    return {"npz": npz, "safetensors": st}


@pytest.mark.parametrize("ext, dtype", [("npz", "float64"), ("safetensors", "float32")])
def test_inspect_without_activations_shows_the_rest(
    bare: dict[str, Path], ext: str, dtype: str
) -> None:
    res = invoke("inspect", bare[ext], "--format", "table")
    assert res.exit_code == 0, res.output
    rows = [line for line in res.output.splitlines() if line.startswith("│")]
    assert len(rows) == 2 and all("unknown" in r and dtype in r for r in rows)
    assert "4×8" in rows[0] and "40" in rows[0] and "8×3" in rows[1] and "27" in rows[1]
    assert "inputs 4 → outputs 3; 67 parameters" in res.output
    tail = " ".join(res.output.split("67 parameters")[1].split())  # the hint, wrapped
    assert f"activations unknown: {bare[ext]} stores no activations" in tail
    assert f"e.g. {Hint('activation', 'relu,softmax')}" in tail  # flags or keyword, as set
    doc = json.loads(invoke("inspect", bare[ext], "--format", "json").output)
    assert [r["activation"] for r in doc["layers"]] == [None, None]
    assert [r["weights"] for r in doc["layers"]] == [[4, 8], [8, 3]]
    assert [r["dtype"] for r in doc["layers"]] == [dtype, dtype]
    assert doc["params"] == 67 and doc["unknown_activations"] == [1, 2]
    assert str(Hint("activation", "relu,softmax")) in doc["hint"]


@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_inspect_with_activation_given_has_no_unknowns(bare: dict[str, Path], ext: str) -> None:
    res = invoke("inspect", bare[ext], "--activation", "relu,softmax", "--format", "table")
    assert res.exit_code == 0 and "unknown" not in res.output and "relu,softmax" not in res.output
    doc = json.loads(invoke("inspect", bare[ext], "--activation", "tanh", "-f", "json").output)
    assert [r["activation"] for r in doc["layers"]] == ["tanh", "tanh"]
    assert doc["unknown_activations"] == [] and doc["hint"] is None


def test_unknown_activations_are_read_only_when_asked(bare: dict[str, Path]) -> None:
    path = str(bare["npz"])
    with pytest.raises(UsageError, match="--activation"):
        read_model(path)
    model = read_model(path, LoadOptions(unknown_activations=True))
    assert model.unknown == (0, 1) and len(model.network) == 2
    given = read_model(path, LoadOptions(activations=("relu",), unknown_activations=True))
    assert given.unknown == () and [a.activation for a in given.network] == ["relu", "relu"]


def test_summary_names_only_the_layers_without_an_activation() -> None:
    info = summary(net(), "m.json", "json", unknown=(1,))
    assert [r["activation"] for r in info["layers"]] == ["relu", None]
    assert "stores no activation for layer 2;" in info["hint"]
    assert info["unknown_activations"] == [2]


# -- real processes: exit codes, one line, nothing imported that is not used ---------------
@pytest.mark.slow
def test_state_dict_without_activation_inspects_but_does_not_run(bare: dict[str, Path]) -> None:
    for path in bare.values():
        proc = run_nncalc("inspect", str(path), "--format", "json")
        assert proc.returncode == 0 and proc.stderr == b"", proc.stderr
        hint = json.loads(proc.stdout)["hint"]
        assert hint.startswith("activations unknown") and "e.g. --activation relu,softmax" in hint
        proc = run_nncalc("forward", str(LAYER / "inputs.csv"), "--model", str(path))
        assert_one_error_line(proc, 2, "--activation")


@pytest.mark.slow
@pytest.mark.parametrize("ext", ["onnx", "safetensors", "npz"])
def test_truncated_and_oversized_files_exit_1_with_one_line(
    models: dict[str, Path], tmp_path: Path, ext: str
) -> None:
    data = models[ext].read_bytes()
    cut = tmp_path / f"cut.{ext}"
    cut.write_bytes(data[: len(data) * 2 // 3])
    assert_one_error_line(run_nncalc("inspect", str(cut)), 1, str(cut))
    proc = run_nncalc("forward", str(LAYER / "inputs.csv"), "--model", str(cut))
    assert_one_error_line(proc, 1, str(cut))
    assert proc.stdout == b""


def test_oversized_safetensors_header_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "big.safetensors"
    path.write_bytes((2**60).to_bytes(8, "little") + b"{}")
    assert_one_error_line(run_nncalc("inspect", str(path)), 1, "header claims")


@pytest.mark.slow
def test_pickles_refused_on_the_command_line(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    code = f"open({str(marker)!r}, 'w')"
    # the classic: unpickling calls eval on this text
    blob = pickle.dumps(_Eval(code))
    for name in ("model.pt", "model.pkl"):
        (tmp_path / name).write_bytes(blob)
        assert_one_error_line(run_nncalc("inspect", str(tmp_path / name)), 1, "never loads")
    (tmp_path / "fake.npz").write_bytes(blob)
    assert_one_error_line(run_nncalc("inspect", str(tmp_path / "fake.npz")), 1, "fake.npz")
    proc = run_nncalc("inspect", str(tmp_path / "model.pt"), "--model-format", "npz")
    assert_one_error_line(proc, 1, "model.pt")
    assert not marker.exists()


class _Eval:
    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (eval, (self.code,))


@pytest.mark.slow
def test_unsupported_onnx_op_is_one_line_naming_node(tmp_path: Path) -> None:
    from onnx import TensorProto, helper, numpy_helper

    model = helper.make_model(
        helper.make_graph(
            [helper.make_node("Conv", ["x", "W"], ["y"], name="conv1")], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [numpy_helper.from_array(np.ones((3, 3), np.float32), "W")],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )  # fmt: skip
    path = tmp_path / "conv.onnx"
    path.write_bytes(model.SerializeToString())
    assert_one_error_line(run_nncalc("inspect", str(path)), 1, "'conv1' (Conv)")


@pytest.mark.slow
def test_an_ordinary_piped_run_imports_no_model_library_nor_rich() -> None:
    """Start-up is a target (issue 15): a piped run pays for none of these."""
    code = (
        "import sys\n"
        "from nncalc.cli.root import main\n"
        "try:\n"
        f"    main(['forward', {str(LAYER / 'inputs.csv')!r}, '-w', "
        f"{str(LAYER / 'weights.csv')!r}, '-b', {str(LAYER / 'biases.csv')!r}, '-f', 'csv'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = [m for m in ('onnx', 'safetensors', 'onnxruntime', 'rich', 'nncalc.render')\n"
        "         if m in sys.modules]\n"
        "sys.stderr.write(repr(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, check=True)
    assert proc.stderr.decode() == "[]"
