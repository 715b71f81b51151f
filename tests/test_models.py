"""Model files in and out: ONNX against onnxruntime, safetensors in PyTorch and Keras
naming against the numpy expression, scikit-learn's MLP through npz against its own
predict_proba, bit-identical round trips, and files that must be refused.

The oracles (onnxruntime, scikit-learn, scipy) are in the test extra: a missing one is
an ImportError, a failure, never a skip.
"""

from __future__ import annotations

import io
import os
import pickle
import struct
import subprocess
import warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import safetensors.numpy as stn
from hypothesis import given
from hypothesis import strategies as st
from onnx import TensorProto, helper, numpy_helper
from scipy.special import expit
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier

from nncalc.core import Layer, Network
from nncalc.errors import InputError, UsageError
from nncalc.models import LoadOptions, read_model, write_model
from tests.conftest import assert_one_error_line, run_nncalc

RNG = np.random.default_rng(20261128)
ACTS = ["linear", "relu", "leaky_relu", "leaky_relu:0.2", "sigmoid", "tanh", "softmax"]


# -- helpers -------------------------------------------------------------------------
def ort_run(data: bytes, x: np.ndarray) -> np.ndarray:
    sess = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    out: np.ndarray = sess.run(None, {name: x})[0]
    return out


def save(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def onnx_model(nodes, inits, n, p, dtype=np.float32, opset=17, batch="N") -> bytes:  # type: ignore[no-untyped-def]
    elem = TensorProto.FLOAT if dtype == np.float32 else TensorProto.DOUBLE
    graph = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", elem, [batch, n])],
        [helper.make_tensor_value_info("y", elem, [batch, p])],
        [numpy_helper.from_array(np.asarray(v, dtype=dtype), k) for k, v in inits.items()],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8)
    onnx.checker.check_model(model)
    return model.SerializeToString()


def scale(x: np.ndarray, net: Network) -> np.ndarray:
    """|x|·|W| + |b| through the network: the magnitude a dot product's rounding error is
    relative to (cancellation makes the result itself a poor yardstick)."""
    s = np.abs(x).astype(np.float64)
    for layer in net:
        s = s @ np.abs(layer.w.astype(np.float64)) + np.abs(layer.bias.astype(np.float64))
        s = np.maximum(s, 1.0) if layer.act.name in ("softmax", "sigmoid", "tanh") else s
    return s


def assert_matches_ort(got: np.ndarray, want: np.ndarray, x: np.ndarray, net: Network) -> None:
    """float64: affine/ReLU/leaky layers within 1 ulp (onnxruntime's kernels may fuse a
    multiply-add where BLAS does not; where a dot product cancels, within its rounding
    bound, 4ε·|x|·|W|); onnxruntime's own exp and tanh differ from libm by a few ulp, and
    its Sigmoid loses relative accuracy below z≈-15 (it computes 1-σ(-z)), so there an
    absolute bound holds and scipy judges nncalc.  float32: within 1e-6 of the dot
    products' magnitude."""
    assert got.dtype == want.dtype == net.dtype
    acts = {layer.act.name for layer in net}
    if net.dtype == np.float64 and acts <= {"linear", "relu", "leaky_relu"}:
        tol = np.spacing(np.abs(want)) + 4 * np.finfo(np.float64).eps * scale(x, net)
        assert (np.abs(got - want) <= tol).all(), np.max(np.abs(got - want) / tol)
        return
    if net.dtype == np.float64:
        tol = 16 * np.spacing(np.abs(want)) + 1e-14 * scale(x, net)
        if "sigmoid" in acts:
            tol = tol + 1e-11
    else:
        tol = 1e-6 * (np.abs(want) + scale(x, net))
        if "sigmoid" in acts:
            tol = tol + 1e-6
    assert (np.abs(got - want) <= tol).all(), np.max(np.abs(got - want) / tol)


# -- ONNX read: every supported op against onnxruntime ---------------------------------
ONE_OP = {
    "gemm": ([helper.make_node("Gemm", ["x", "W", "b"], ["y"])], {}),
    "gemm_transB": ([helper.make_node("Gemm", ["x", "Wt", "b"], ["y"], transB=1)], {}),
    "gemm_alpha_beta": (
        [helper.make_node("Gemm", ["x", "W", "b"], ["y"], alpha=0.5, beta=-2.0)],
        {},
    ),
    "gemm_no_c": ([helper.make_node("Gemm", ["x", "W"], ["y"])], {}),
    "gemm_c_row": ([helper.make_node("Gemm", ["x", "W", "brow"], ["y"])], {}),
    "gemm_c_scalar": ([helper.make_node("Gemm", ["x", "Wt", "c1"], ["y"], transB=1)], {}),
    "gemm_then_add": (
        [helper.make_node("Gemm", ["x", "W"], ["z"]), helper.make_node("Add", ["z", "b"], ["y"])],
        {},
    ),
    "matmul_add": (
        [helper.make_node("MatMul", ["x", "W"], ["z"]), helper.make_node("Add", ["z", "b"], ["y"])],
        {},
    ),
    "add_bias_first": (
        [helper.make_node("MatMul", ["x", "W"], ["z"]), helper.make_node("Add", ["b", "z"], ["y"])],
        {},
    ),
    "matmul_only": ([helper.make_node("MatMul", ["x", "W"], ["y"])], {}),
}
ACT_NODES = {
    "relu": helper.make_node("Relu", ["z"], ["y"]),
    "leaky_default": helper.make_node("LeakyRelu", ["z"], ["y"]),
    "leaky_0.25": helper.make_node("LeakyRelu", ["z"], ["y"], alpha=0.25),
    "leaky_0.1": helper.make_node("LeakyRelu", ["z"], ["y"], alpha=0.1),
    "sigmoid": helper.make_node("Sigmoid", ["z"], ["y"]),
    "tanh": helper.make_node("Tanh", ["z"], ["y"]),
    "softmax": helper.make_node("Softmax", ["z"], ["y"], axis=-1),
    "softmax_axis1": helper.make_node("Softmax", ["z"], ["y"], axis=1),
    "identity": helper.make_node("Identity", ["z"], ["y"]),
    "flatten": helper.make_node("Flatten", ["z"], ["y"], axis=1),
    "dropout": helper.make_node("Dropout", ["z"], ["y"]),
}


def _params(n: int, p: int) -> dict[str, np.ndarray]:
    w = RNG.standard_normal((n, p))
    b = RNG.standard_normal(p)
    return {"W": w, "Wt": w.T.copy(), "b": b, "brow": b.reshape(1, p), "c1": b[:1]}


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", list(ONE_OP))
def test_onnx_affine_ops_equal_onnxruntime(tmp_path: Path, case: str, dtype: type) -> None:
    nodes, _ = ONE_OP[case]
    n, p = 7, 5
    params = _params(n, p)
    used = {k: v for k, v in params.items() if any(k in nd.input for nd in nodes)}
    data = onnx_model(nodes, used, n, p, dtype)
    model = read_model(save(tmp_path, "m.onnx", data), LoadOptions(activations=None))
    net = model.network
    assert net.dtype == dtype and model.format == "onnx"
    x = RNG.standard_normal((300, n)).astype(dtype)
    assert_matches_ort(net(x), ort_run(data, x), x, net)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("act", list(ACT_NODES))
def test_onnx_activation_ops_equal_onnxruntime(tmp_path: Path, act: str, dtype: type) -> None:
    n, p = 6, 4
    params = _params(n, p)
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["z"]), ACT_NODES[act]]
    data = onnx_model(nodes, {"W": params["W"], "b": params["b"]}, n, p, dtype, opset=13)
    net = read_model(save(tmp_path, "m.onnx", data)).network
    x = (4 * RNG.standard_normal((500, n))).astype(dtype)
    got = net(x)
    if act.startswith("leaky") and dtype == np.float64:
        # onnxruntime has no float64 LeakyRelu kernel: the numpy expression is the oracle,
        # with alpha as the float32 attribute holds it
        alpha = float(
            np.float32(ACT_NODES[act].attribute[0].f if ACT_NODES[act].attribute else 0.01)
        )
        z = x @ params["W"] + params["b"]
        np.testing.assert_array_equal(got, np.where(z > 0, z, z * alpha))
        return
    want = ort_run(data, x)
    assert_matches_ort(got, want, x, net)
    if act == "sigmoid":  # where onnxruntime is loose, scipy is the oracle
        z = net.forward(x)[0].z.astype(np.float64)  # nncalc's Z, in the model's dtype
        ulps = np.abs(got - expit(z).astype(dtype)) / np.spacing(expit(z).astype(dtype))
        assert (ulps <= 4).all()


def test_onnx_three_layer_mlp_equals_onnxruntime(tmp_path: Path) -> None:
    sizes = [10, 32, 16, 3]
    inits: dict[str, np.ndarray] = {}
    nodes = []
    cur = "x"
    acts = ["Relu", "Tanh", "Softmax"]
    for k in range(3):
        inits[f"W{k}"] = RNG.standard_normal((sizes[k], sizes[k + 1])) / np.sqrt(sizes[k])
        inits[f"b{k}"] = RNG.standard_normal(sizes[k + 1])
        nodes.append(helper.make_node("Gemm", [cur, f"W{k}", f"b{k}"], [f"z{k}"], name=f"fc{k}"))
        out = "y" if k == 2 else f"a{k}"
        nodes.append(helper.make_node(acts[k], [f"z{k}"], [out]))
        cur = out
    for dtype in (np.float32, np.float64):
        data = onnx_model(nodes, inits, 10, 3, dtype)
        model = read_model(save(tmp_path, f"mlp{dtype.__name__}.onnx", data))
        assert model.names == ("fc0", "fc1", "fc2")
        assert [la.act.name for la in model.network] == ["relu", "tanh", "softmax"]
        x = RNG.standard_normal((1000, 10)).astype(dtype)
        assert_matches_ort(model.network(x), ort_run(data, x), x, model.network)


@pytest.mark.slow
def test_onnx_float32_runs_in_float32_unless_float64(tmp_path: Path) -> None:
    n, p = 3, 2
    data = onnx_model([helper.make_node("Gemm", ["x", "W", "b"], ["y"])],
                      {"W": np.ones((n, p)), "b": np.zeros(p)}, n, p)  # fmt: skip
    path = save(tmp_path, "m.onnx", data)
    assert read_model(path).network.dtype == np.float32
    assert read_model(path, LoadOptions(dtype="float64")).network.dtype == np.float64
    # and so through the command line: float32 text (0.1f32 is 0.1, not 0.10000000149…)
    x = tmp_path / "x.csv"
    x.write_text("0.1,0.2,0.3\n")
    out32 = run_nncalc("forward", str(x), "--model", path).stdout.decode()
    out64 = run_nncalc("forward", str(x), "--model", path, "--dtype", "float64").stdout.decode()
    want = np.float32(0.1) + np.float32(0.2) + np.float32(0.3)
    assert [np.float32(v) for v in out32.split(",")] == [want] * p
    assert out32 != out64


@pytest.mark.parametrize(
    "node, op",
    [
        (helper.make_node("Conv", ["z", "W"], ["y"], name="conv1"), "Conv"),
        (helper.make_node("BatchNormalization", ["z", "b", "b", "b", "b"], ["y"], name="bn"),
         "BatchNormalization"),
        (helper.make_node("Softmax", ["z"], ["y"], axis=0, name="sm0"), "Softmax"),
        (helper.make_node("Flatten", ["z"], ["y"], axis=0, name="fl0"), "Flatten"),
        (helper.make_node("Gemm", ["z", "W"], ["y"], transA=1, name="tA"), "Gemm"),
        (helper.make_node("Add", ["z", "z"], ["y"], name="skip"), "Add"),
    ],
)  # fmt: skip
def test_onnx_unsupported_node_is_named(tmp_path: Path, node: object, op: str) -> None:
    n, p = 3, 3
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["z"]), node]
    model = helper.make_model(
        helper.make_graph(
            nodes, "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [numpy_helper.from_array(np.ones((n, p), np.float32), "W"),
             numpy_helper.from_array(np.ones(p, np.float32), "b")],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )  # fmt: skip
    path = save(tmp_path, "m.onnx", model.SerializeToString())
    with pytest.raises(InputError) as e:
        read_model(path)
    msg = str(e.value)
    assert f"({op})" in msg and node.name in msg and "\n" not in msg  # type: ignore[attr-defined]


def test_onnx_external_data_outside_folder_is_refused(tmp_path: Path) -> None:
    n, p = 4, 2
    (tmp_path / "model").mkdir()
    secret = tmp_path / "outside.bin"
    secret.write_bytes(np.ones(n * p, np.float32).tobytes())
    for location in ("../outside.bin", str(secret)):
        w = numpy_helper.from_array(np.zeros((n, p), np.float32), "W")
        w.ClearField("raw_data")
        w.data_location = TensorProto.EXTERNAL
        w.external_data.add(key="location", value=location)
        model = helper.make_model(
            helper.make_graph(
                [helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", p])], [w],
            ),
            opset_imports=[helper.make_opsetid("", 17)],
        )  # fmt: skip
        path = save(tmp_path / "model", "m.onnx", model.SerializeToString())
        with pytest.raises(InputError, match="outside the model's folder"):
            read_model(path)


def test_onnx_external_data_beside_the_model_is_read(tmp_path: Path) -> None:
    net = Network([Layer(RNG.standard_normal((40, 30)).astype(np.float32), None, "relu")])
    model = onnx.load_model_from_string(write_model(net, "m.onnx"))
    onnx.save_model(model, str(tmp_path / "m.onnx"), save_as_external_data=True,
                    location="m.data", size_threshold=0)  # fmt: skip
    assert (tmp_path / "m.data").exists()
    got = read_model(str(tmp_path / "m.onnx")).network
    np.testing.assert_array_equal(got[0].w, net[0].w)


# -- safetensors read: PyTorch and Keras naming ------------------------------------------
def torch_state(sizes: list[int], prefix: str = "", step: int = 2) -> dict[str, np.ndarray]:
    """What ``nn.Sequential(Linear, ReLU, Linear, …).state_dict()`` holds: p×n weights."""
    sd = {}
    for k in range(len(sizes) - 1):
        sd[f"{prefix}{step * k}.weight"] = RNG.standard_normal((sizes[k + 1], sizes[k]))
        sd[f"{prefix}{step * k}.bias"] = RNG.standard_normal(sizes[k + 1])
    return sd


def numpy_forward(x: np.ndarray, ws: list[np.ndarray], bs: list[np.ndarray], acts: list[str]):  # type: ignore[no-untyped-def]
    a = x
    for w, b, act in zip(ws, bs, acts, strict=True):
        z = a @ w + b
        if act == "relu":
            a = np.maximum(z, 0)
        elif act == "softmax":
            e = np.exp(z - z.max(axis=1, keepdims=True))
            a = e / e.sum(axis=1, keepdims=True)
        else:
            a = z
    return a


def test_safetensors_pytorch_naming_is_the_numpy_expression_with_w_transposed(
    tmp_path: Path,
) -> None:
    sd = torch_state([5, 8, 8, 3])
    path = tmp_path / "m.safetensors"
    stn.save_file(sd, str(path))
    model = read_model(str(path), LoadOptions(activations=("relu", "relu", "softmax")))
    assert model.names == ("0", "2", "4")
    x = RNG.standard_normal((50, 5))
    ws = [sd[f"{k}.weight"].T for k in (0, 2, 4)]
    want = numpy_forward(x, ws, [sd[f"{k}.bias"] for k in (0, 2, 4)], ["relu", "relu", "softmax"])
    np.testing.assert_allclose(model.network(x), want, rtol=1e-13, atol=1e-15)


def test_safetensors_prefixes_in_natural_order_and_layer_order(tmp_path: Path) -> None:
    n = 3
    sd = {}
    # fc1: 3→4, fc2: 4→5, …, fc10: 12→13 — alphabetical order would put fc10 second
    for k in range(1, 11):
        sd[f"fc{k}.weight"] = RNG.standard_normal((k + 3, k + 2))
    path = tmp_path / "m.safetensors"
    stn.save_file(sd, str(path))
    model = read_model(str(path), LoadOptions(activations=("relu",)))
    assert model.names == tuple(f"fc{k}" for k in range(1, 11))
    assert model.network.n == n and model.network.p == 13
    assert not any(layer.bias.any() for layer in model.network)  # missing bias → zeros
    picked = read_model(str(path), LoadOptions(activations=("tanh",), layer_order=("fc1", "fc2")))
    assert picked.names == ("fc1", "fc2") and picked.network.p == 5
    with pytest.raises(UsageError, match="--layer-order names 'fc99'"):
        read_model(str(path), LoadOptions(activations=("relu",), layer_order=("fc99",)))


def test_safetensors_nested_names_and_keras_kernels(tmp_path: Path) -> None:
    sd = {
        "encoder.0.weight": RNG.standard_normal((4, 3)),
        "encoder.0.bias": RNG.standard_normal(4),
        "encoder.10.kernel": RNG.standard_normal((4, 2)),  # in×out: kept as it is
    }
    path = tmp_path / "m.safetensors"
    stn.save_file(sd, str(path), metadata={"activations": "relu,linear"})
    model = read_model(str(path))
    assert model.names == ("encoder.0", "encoder.10")
    np.testing.assert_array_equal(model.network[0].w, sd["encoder.0.weight"].T)
    np.testing.assert_array_equal(model.network[1].w, sd["encoder.10.kernel"])
    assert [la.act.spec for la in model.network] == ["relu", "linear"]


def test_safetensors_without_activations_names_the_option(tmp_path: Path) -> None:
    path = tmp_path / "m.safetensors"
    stn.save_file(torch_state([3, 2]), str(path))
    with pytest.raises(UsageError, match="--activation"):
        read_model(str(path))


def test_safetensors_other_layers_are_refused_by_key(tmp_path: Path) -> None:
    sd = torch_state([3, 4, 2])
    sd["1.running_mean"] = np.zeros(4)
    path = tmp_path / "m.safetensors"
    stn.save_file(sd, str(path))
    with pytest.raises(InputError, match="'1.running_mean'"):
        read_model(str(path), LoadOptions(activations=("relu",)))


# -- npz: scikit-learn's MLPClassifier -------------------------------------------------
def _mlp(classes: int) -> tuple[MLPClassifier, np.ndarray]:
    rng = np.random.default_rng(classes)
    x = rng.standard_normal((120, 4))
    y = (x[:, 0] + x[:, 1] > 0).astype(int) + (x[:, 2] > 0.5 if classes == 3 else 0)
    clf = MLPClassifier(hidden_layer_sizes=(8, 6), max_iter=60, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x, y)
    return clf, x


def _save_mlp(clf: MLPClassifier, path: Path) -> None:
    np.savez(path, **{f"W{k + 1}": w for k, w in enumerate(clf.coefs_)},
             **{f"b{k + 1}": b for k, b in enumerate(clf.intercepts_)})  # fmt: skip


def test_sklearn_multiclass_mlp_through_npz_is_predict_proba(tmp_path: Path) -> None:
    clf, x = _mlp(3)
    assert clf.out_activation_ == "softmax"
    _save_mlp(clf, tmp_path / "mlp.npz")
    net = read_model(
        str(tmp_path / "mlp.npz"), LoadOptions(activations=("relu", "relu", "softmax"))
    ).network
    np.testing.assert_allclose(net(x), clf.predict_proba(x), rtol=1e-13, atol=1e-16)


def test_sklearn_binary_mlp_through_npz_is_the_positive_class(tmp_path: Path) -> None:
    clf, x = _mlp(2)
    assert clf.out_activation_ == "logistic"  # one output unit: p of class 1
    _save_mlp(clf, tmp_path / "mlp.npz")
    net = read_model(
        str(tmp_path / "mlp.npz"), LoadOptions(activations=("relu", "relu", "sigmoid"))
    ).network
    p = net(x)
    assert p.shape == (len(x), 1)
    np.testing.assert_allclose(np.hstack([1 - p, p]), clf.predict_proba(x), rtol=1e-13, atol=1e-16)


# -- writing: every format reloads bit-identically, ONNX runs in onnxruntime ---------------
@st.composite
def networks(draw: st.DrawFn) -> Network:
    sizes = draw(st.lists(st.integers(1, 6), min_size=2, max_size=4))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    layers = []
    for k in range(len(sizes) - 1):
        act = draw(st.sampled_from(ACTS))
        w = (rng.standard_normal((sizes[k], sizes[k + 1])) * 3).astype(dtype)
        layers.append(Layer(w, rng.standard_normal(sizes[k + 1]).astype(dtype), act, f"l{k}"))
    return Network(layers)


@given(net=networks(), ext=st.sampled_from([".onnx", ".safetensors", ".npz", ".json"]))
def test_every_export_reloads_bit_identically(net: Network, ext: str) -> None:
    import tempfile

    data = write_model(net, "m" + ext, {"seed": "7"})
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / ("m" + ext)
        path.write_bytes(data)
        back = read_model(str(path)).network
    # JSON holds numbers, not dtypes: float32 values come back as float64 that cast exactly
    back = back.astype(net.dtype) if ext == ".json" else back
    assert len(back) == len(net)
    for a, b in zip(net, back, strict=True):
        assert a.act.spec == b.act.spec
        assert a.w.dtype == b.w.dtype
        np.testing.assert_array_equal(a.w, b.w)
        np.testing.assert_array_equal(a.bias, b.bias)
    x = RNG.standard_normal((20, net.n)).astype(net.dtype)
    np.testing.assert_array_equal(back(x), net(x))


@pytest.mark.slow
@given(net=networks())
def test_onnx_export_runs_in_onnxruntime(net: Network) -> None:
    data = write_model(net, "m.onnx")
    onnx.checker.check_model(onnx.load_model_from_string(data), full_check=True)
    assert onnx.load_model_from_string(data).opset_import[0].version >= 13
    x = RNG.standard_normal((64, net.n)).astype(net.dtype)
    assert_matches_ort(net(x), ort_run(data, x), x, net)


def test_safetensors_export_is_sequential_naming() -> None:
    net = Network([Layer(RNG.standard_normal((4, 3)), None, "relu"),
                   Layer(RNG.standard_normal((3, 2)), [1.0, 2.0], "softmax")])  # fmt: skip
    data = write_model(net, "m.safetensors", {"seed": "3"})
    sd = stn.load(data)
    assert sorted(sd) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    np.testing.assert_array_equal(sd["0.weight"], net[0].w.T)  # PyTorch's out×in
    (size,) = struct.unpack("<Q", data[:8])
    import json

    meta = json.loads(data[8 : 8 + size])["__metadata__"]
    assert meta["activations"] == "relu,softmax" and meta["seed"] == "3"


def test_npz_export_names() -> None:
    net = Network([Layer(np.eye(2), None, "leaky_relu:0.2")])
    with np.load(io.BytesIO(write_model(net, "m.npz")), allow_pickle=False) as z:
        assert sorted(z.files) == ["W1", "activations", "b1"]
        assert list(z["activations"]) == ["leaky_relu:0.2"]


# -- refused: pickles, truncated and oversized files ------------------------------------
class Payload:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (open, (str(self.marker), "w"))


def test_crafted_pickles_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    blob = pickle.dumps(Payload(marker))
    # an object array inside an .npz (numpy pickles those)
    arr = np.empty(1, dtype=object)
    arr[0] = Payload(marker)
    np.savez(tmp_path / "obj.npz", W1=arr)
    # a raw pickle named as npz, and the usual pickle extensions
    (tmp_path / "raw.npz").write_bytes(blob)
    for name in ("m.pt", "m.pth", "m.ckpt", "m.pkl", "m.bin"):
        (tmp_path / name).write_bytes(blob)
    cases = [("obj.npz", None), ("raw.npz", None), ("m.pkl", "npz"), ("m.pt", "safetensors"),
             ("m.bin", "onnx")]  # fmt: skip
    for name, fmt in cases:
        with pytest.raises(InputError):
            read_model(str(tmp_path / name), LoadOptions(format=fmt, activations=("relu",)))
    for name in ("m.pt", "m.pth", "m.ckpt", "m.pkl", "m.bin"):
        with pytest.raises(InputError, match="never loads them"):
            read_model(str(tmp_path / name))
    assert not marker.exists()


def _small_net() -> Network:
    return Network([Layer(RNG.standard_normal((6, 5)), RNG.standard_normal(5), "relu"),
                    Layer(RNG.standard_normal((5, 2)), None, "softmax")])  # fmt: skip


@pytest.mark.parametrize("ext", [".safetensors", ".npz", ".onnx"])
def test_truncated_files_are_one_line_errors(tmp_path: Path, ext: str) -> None:
    data = write_model(_small_net(), "m" + ext)
    for cut in sorted({1, 7, 8, 20, len(data) // 2, len(data) - 1}):
        path = save(tmp_path, f"cut{cut}{ext}", data[:cut])
        with pytest.raises(InputError) as e:
            read_model(path)
        assert "\n" not in str(e.value)


def test_safetensors_sizes_are_checked_before_reading(tmp_path: Path) -> None:
    data = write_model(_small_net(), "m.safetensors")
    (size,) = struct.unpack("<Q", data[:8])
    huge = struct.pack("<Q", 2**62) + data[8:]
    with pytest.raises(InputError, match="header claims"):
        read_model(save(tmp_path, "huge.safetensors", huge))
    # a tensor whose shape claims more bytes than its offsets span
    header = data[8 : 8 + size].replace(b'"shape":[5,6]', b'"shape":[50000,60000]')
    bad = struct.pack("<Q", len(header)) + header + data[8 + size :]
    with pytest.raises(InputError, match="offsets span"):
        read_model(save(tmp_path, "shape.safetensors", bad))


def test_npz_member_claiming_a_huge_shape_is_refused_before_allocating(tmp_path: Path) -> None:
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.ones((3, 2)))
    # same header length: the longer shape takes 13 of the header's padding spaces
    npy = buf.getvalue().replace(b"(3, 2), }" + b" " * 13, b"(300000000, 200000), }")
    assert b"300000000" in npy
    import zipfile

    with zipfile.ZipFile(tmp_path / "big.npz", "w") as zf:
        zf.writestr("W1.npy", npy)
    with pytest.raises(InputError, match="claims shape"):
        read_model(str(tmp_path / "big.npz"), LoadOptions(activations=("relu",)))


def test_onnx_initializer_claiming_more_than_it_holds_is_refused(tmp_path: Path) -> None:
    w = numpy_helper.from_array(np.ones((3, 2), np.float32), "W")
    del w.dims[:]
    w.dims.extend([30000, 20000])
    model = helper.make_model(
        helper.make_graph(
            [helper.make_node("MatMul", ["x", "W"], ["y"])], "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 30000])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 20000])], [w],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )  # fmt: skip
    with pytest.raises(InputError, match="claims shape"):
        read_model(save(tmp_path, "m.onnx", model.SerializeToString()))


def test_float16_state_dict_reads_as_float32(tmp_path: Path) -> None:
    w = RNG.standard_normal((2, 3)).astype(np.float16)
    stn.save_file({"0.weight": w}, str(tmp_path / "h.safetensors"))
    net = read_model(str(tmp_path / "h.safetensors"), LoadOptions(activations=("linear",))).network
    assert net.dtype == np.float32
    np.testing.assert_array_equal(net[0].w, w.T.astype(np.float32))


def test_nonfinite_weights_are_refused(tmp_path: Path) -> None:
    w = np.ones((2, 3))
    w[1, 2] = np.nan
    np.savez(tmp_path / "nan.npz", W1=w)
    with pytest.raises(InputError, match=r"W1 element \[1, 2\] is nan"):
        read_model(str(tmp_path / "nan.npz"), LoadOptions(activations=("relu",)))


def test_onnx_dropout_training_mode_input(tmp_path: Path) -> None:
    n, p = 3, 2
    for training, ok in ((False, True), (True, False)):
        nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["z"]),
                 helper.make_node("Dropout", ["z", "", "t"], ["y"], name="drop")]  # fmt: skip
        model = helper.make_model(
            helper.make_graph(
                nodes, "g",
                [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", n])],
                [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", p])],
                [numpy_helper.from_array(np.ones((n, p), np.float32), "W"),
                 numpy_helper.from_array(np.ones(p, np.float32), "b"),
                 numpy_helper.from_array(np.array(training), "t")],
            ),
            opset_imports=[helper.make_opsetid("", 17)],
        )  # fmt: skip
        path = save(tmp_path, f"d{training}.onnx", model.SerializeToString())
        if ok:
            assert read_model(path).network.p == p
        else:
            with pytest.raises(InputError, match="'drop' \\(Dropout\\): may run in training"):
                read_model(path)


def test_onnx_unused_int_initializer_does_not_hide_the_refused_node(tmp_path: Path) -> None:
    nodes = [helper.make_node("Gemm", ["x", "W", "b"], ["z"]),
             helper.make_node("Reshape", ["z", "shape"], ["y"], name="reshape1")]  # fmt: skip
    model = helper.make_model(
        helper.make_graph(
            nodes, "g",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
            [numpy_helper.from_array(np.ones((3, 2), np.float32), "W"),
             numpy_helper.from_array(np.ones(2, np.float32), "b"),
             numpy_helper.from_array(np.array([-1, 2], np.int64), "shape")],
        ),
        opset_imports=[helper.make_opsetid("", 17)],
    )  # fmt: skip
    with pytest.raises(InputError, match="'reshape1' \\(Reshape\\)"):
        read_model(save(tmp_path, "r.onnx", model.SerializeToString()))


# -- the memory budget: a model file is held whole, so its size is checked first ---------
@pytest.fixture
def budget_1m():
    from nncalc import limits

    limits.set_budget(1 << 20)  # a model file of at most 256 KiB (4× its size must fit)
    yield
    limits.set_budget(None)


@pytest.mark.parametrize("ext", ["onnx", "safetensors", "npz", "json"])
def test_model_files_beyond_the_budget_are_refused_by_size(
    tmp_path: Path, ext: str, budget_1m: None
) -> None:
    from nncalc.limits import MemoryLimitError

    small = Network([Layer(RNG.standard_normal((20, 10)), RNG.standard_normal(10), "relu")])
    big = Network([Layer(RNG.standard_normal((200, 200)), RNG.standard_normal(200), "relu")])
    ok = save(tmp_path, f"small.{ext}", write_model(small, f"m.{ext}"))
    assert read_model(ok).network[0].w.shape == (20, 10)
    path = save(tmp_path, f"big.{ext}", write_model(big, f"m.{ext}"))
    with pytest.raises(MemoryLimitError, match=r"this model file \(.*\) does not fit the memory "
                       r"budget of 1 MiB; reading one takes about \d+× its size"):  # fmt: skip
        read_model(path)


def test_onnx_external_data_beyond_the_budget_is_refused(tmp_path: Path, budget_1m: None) -> None:
    from nncalc.limits import MemoryLimitError

    net = Network([Layer(RNG.standard_normal((300, 300)).astype(np.float32), None, "relu")])
    model = onnx.load_model_from_string(write_model(net, "m.onnx"))
    onnx.save_model(model, str(tmp_path / "m.onnx"), save_as_external_data=True,
                    location="m.data", size_threshold=0)  # fmt: skip
    assert (tmp_path / "m.onnx").stat().st_size < 1 << 16  # the model itself is small
    with pytest.raises(MemoryLimitError, match="its external data .* does not fit"):
        read_model(str(tmp_path / "m.onnx"))


def test_a_model_that_never_ends_is_read_only_as_far_as_the_budget(tmp_path: Path) -> None:
    fifo = tmp_path / "m.onnx"
    os.mkfifo(fifo)
    feeder = subprocess.Popen(["sh", "-c", f"cat /dev/zero > {fifo}"], stderr=subprocess.DEVNULL)
    try:
        proc = run_nncalc("inspect", str(fifo), "--max-memory", "16M", timeout=60)
    finally:
        feeder.kill()
        feeder.wait()
    assert_one_error_line(proc, 1, "a model file of more than 4 MiB does not fit")
