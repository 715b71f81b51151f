"""A network as ONNX: a chain of Gemm (or MatMul + Add) layers and activations.

Read: one dispatch by op type, as the ONNX reference evaluator does; everything not in
:data:`SUPPORTED` is refused by node name and op type.  Weights come from initializers.
External data must lie inside the model's folder: the model is loaded without it, the
locations are checked, and only then is it read.

Write: Gemm (W as n×p, transB=0) and one activation node per layer, opset 17, in the
network's dtype.  leaky_relu is written as PRelu with its slope as a tensor of that
dtype (LeakyRelu's alpha is a float32 attribute, which would round a float64 slope).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from nncalc import limits
from nncalc.core import Network
from nncalc.errors import InputError, UsageError
from nncalc.i18n import _

from . import LoadOptions, Model
from .build import RawLayer, assemble, numbers, read_bytes

OPSET = 17
IR_VERSION = 8  # what onnxruntime releases since 1.10 read
ACTS = {
    "Relu": "relu",
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "Softmax": "softmax",
    "LeakyRelu": "leaky_relu",
    "PRelu": "leaky_relu",
}
NOOPS = ("Identity", "Dropout", "Flatten")
SUPPORTED = ("Gemm", "MatMul", "Add", *ACTS, *NOOPS)


class _Chain:
    """The layers found so far and the name of the value the chain has reached."""

    def __init__(self, source: str, inits: dict[str, Any], start: str) -> None:
        self.source = source
        self.inits = inits
        self.cur = start
        self.layers: list[RawLayer] = []
        self.open = False  # the last layer has no activation yet (an Add may follow MatMul)
        self.matmul = False  # the last layer has no bias yet (MatMul, or Gemm without C)
        self.index = 0  # of the node being read, to name a node that has no name

    def fail(self, node: Any, why: str, expected: str | None = None) -> InputError:
        name = node.name or f"#{self.index}"
        message = _("node {name} ({op}): {why}").format(name=repr(name), op=node.op_type, why=why)
        return InputError(message, source=self.source, expected=expected)

    def tensor(self, node: Any, name: str, what: str) -> np.ndarray:
        """An initializer the node uses, converted only now: one a refused node would
        have used (a Reshape's int64 shape) is never the error."""
        if name not in self.inits:
            raise self.fail(
                node,
                _("its {what} {name} is not an initializer").format(what=what, name=repr(name)),
                _("weights stored in the model (initializers)"),
            )
        return _array(self.inits[name], self.source)

    def weight(self, node: Any, name: str, what: str) -> np.ndarray:
        label = _("initializer {name}").format(name=repr(name))
        return numbers(self.tensor(node, name, what), self.source, label)

    def data_input(self, node: Any) -> list[str]:
        """The node's other inputs, after checking its first one is the chain's value."""
        ins = list(node.input)
        if not ins or ins[0] != self.cur:
            raise self.fail(
                node,
                _("does not take the previous layer's output {name}").format(name=repr(self.cur)),
                _("a single chain of layers"),
            )
        return ins[1:]


def _attrs(node: Any) -> dict[str, Any]:
    import onnx.helper

    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _step(chain: _Chain, node: Any) -> None:
    op = node.op_type
    attrs = _attrs(node)
    if node.domain not in ("", "ai.onnx") or op not in SUPPORTED:
        raise chain.fail(
            node, _("is not supported"), _("ops {ops}").format(ops=", ".join(SUPPORTED))
        )
    if op == "Add":
        if not (chain.matmul and chain.cur in node.input):
            raise chain.fail(node, _("is not the bias of a MatMul or Gemm"), _("MatMul then Add"))
        others = [i for i in node.input if i != chain.cur]
        if len(others) != 1:
            raise chain.fail(node, _("adds the layer's output to itself"))
        b = chain.weight(node, others[0], "bias")
        last = chain.layers[-1]
        chain.layers[-1] = last._replace(b=_bias(chain, node, b, last.w.shape[1]))
        chain.matmul = False
    elif op in ("Gemm", "MatMul"):
        rest = chain.data_input(node)
        w = chain.weight(node, rest[0], "B") if rest else None
        if w is None or w.ndim != 2:
            raise chain.fail(node, _("needs a 2-D weight matrix B"), _("B of shape n×p"))
        b = None
        if op == "Gemm":
            if attrs.get("transA", 0):
                raise chain.fail(node, _("has transA=1"), _("transA=0: one sample per row"))
            if attrs.get("transB", 0):
                w = np.ascontiguousarray(w.T)
            alpha, beta = float(attrs.get("alpha", 1.0)), float(attrs.get("beta", 1.0))
            if alpha != 1.0:
                w = w * w.dtype.type(alpha)
            if len(rest) > 1 and rest[1]:
                b = _bias(chain, node, chain.weight(node, rest[1], "C"), w.shape[1])
                if beta != 1.0:
                    b = b * b.dtype.type(beta)
        chain.layers.append(RawLayer(node.name or rest[0], w, b, "linear"))
        chain.open, chain.matmul = True, b is None
    elif op in ACTS:
        rest = chain.data_input(node)
        if not chain.open:
            raise chain.fail(
                node,
                _("does not follow a Gemm or MatMul layer"),
                _("an activation after each dense layer"),
            )
        act = ACTS[op]
        dtype = chain.layers[-1].w.dtype
        if op == "Softmax" and attrs.get("axis", -1) not in (-1, 1):
            raise chain.fail(
                node,
                _("is over axis {axis}").format(axis=attrs["axis"]),
                _("softmax over the last axis"),
            )
        if op == "LeakyRelu":
            a32 = np.float32(attrs.get("alpha", 0.01))
            # float32 runs as onnxruntime does; float64 with the float32 alpha it stores
            act = f"leaky_relu:{str(a32) if dtype == np.float32 else repr(float(a32))}"
        if op == "PRelu":
            slope = chain.weight(node, rest[0], "slope") if rest else np.array([])
            if slope.size != 1:
                raise chain.fail(node, _("has one slope per neuron"), _("one slope for all"))
            value = slope.reshape(-1)[0]
            # float32: the shortest text naming that float32; float64: the exact value
            act = f"leaky_relu:{str(value) if slope.dtype == np.float32 else repr(float(value))}"
        chain.layers[-1] = chain.layers[-1]._replace(activation=act)
        chain.open = chain.matmul = False
    else:  # Identity, Dropout, Flatten: nothing at inference on a 2-D input
        chain.data_input(node)
        if op == "Flatten" and attrs.get("axis", 1) not in (1, -1):
            raise chain.fail(
                node, _("flattens at axis {axis}").format(axis=attrs["axis"]), _("axis 1 (a no-op)")
            )
        if op == "Dropout" and len(node.input) > 2 and node.input[2]:
            training = chain.tensor(node, node.input[2], "training_mode")
            if training.reshape(-1)[:1].any():
                raise chain.fail(
                    node, _("may run in training mode"), _("inference (training_mode off)")
                )
    chain.cur = node.output[0]


def _bias(chain: _Chain, node: Any, b: np.ndarray, p: int) -> np.ndarray:
    if b.size == 1:
        return np.full(p, b.reshape(-1)[0], dtype=b.dtype)
    if b.size != p or (b.ndim == 2 and b.shape[0] != 1) or b.ndim > 2:
        raise chain.fail(
            node,
            _("has a bias of shape {shape}").format(shape=b.shape),
            _("({p},) or (1, {p})").format(p=p),
        )
    return b.reshape(p)


def read(path: str, options: LoadOptions) -> Model:
    if options.layer_order:
        raise UsageError(
            _(
                "--layer-order applies to safetensors and npz files: an ONNX graph "
                "fixes its own order"
            )
        )
    data = read_bytes(path)
    import onnx
    import onnx.numpy_helper

    try:
        model = onnx.load_model_from_string(data)
    except Exception as e:  # protobuf's DecodeError and friends
        raise InputError(
            _("is not a readable ONNX model ({error})").format(error=type(e).__name__),
            source=path,
            expected=_("a file written by onnx.save"),
        ) from None
    graph = model.graph
    external = _load_external(model, path)
    inits = {t.name: t for t in graph.initializer}
    inputs = [i for i in graph.input if i.name not in inits]
    if len(inputs) != 1 or len(graph.output) != 1:
        raise InputError(
            _("has {inputs} inputs and {outputs} outputs").format(
                inputs=len(inputs), outputs=len(graph.output)
            ),
            source=path,
            expected=_("one input (samples × features) and one output"),
        )
    dims = inputs[0].type.tensor_type.shape.dim
    if len(dims) not in (0, 2):
        raise InputError(
            _("its input {name} has {k} dimensions").format(name=repr(inputs[0].name), k=len(dims)),
            source=path,
            expected=_("2: samples × features"),
        )
    chain = _Chain(path, inits, inputs[0].name)
    for k, node in enumerate(graph.node):
        chain.index = k
        _step(chain, node)
    if chain.cur != graph.output[0].name:
        raise InputError(
            _("its output {name} is not the end of the chain").format(
                name=repr(graph.output[0].name)
            ),
            source=path,
            expected=_("a single chain of layers"),
        )
    raw = chain.layers
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    details = [f"onnx: opset {opset}, {len(graph.node)} nodes → {len(raw)} dense layers"]
    return assemble(raw, path, "onnx", options, details)._replace(files=external)


def _array(t: Any, source: str) -> np.ndarray:
    """An initializer as numpy, its size checked against the bytes first."""
    import onnx
    import onnx.numpy_helper

    count = int(np.prod(list(t.dims), dtype=np.int64))
    dtypes = {
        onnx.TensorProto.FLOAT: 4,
        onnx.TensorProto.DOUBLE: 8,
        onnx.TensorProto.FLOAT16: 2,
        onnx.TensorProto.BOOL: 1,
    }
    if t.data_type not in dtypes:
        name = onnx.TensorProto.DataType.Name(t.data_type)
        raise InputError(
            _("initializer {name} is {dtype}").format(name=repr(t.name), dtype=name),
            source=source,
            expected=_("float, double or float16 weights"),
        )
    if t.HasField("raw_data"):
        have, want, unit = len(t.raw_data), count * dtypes[t.data_type], "bytes"
    else:
        typed = {onnx.TensorProto.DOUBLE: t.double_data, onnx.TensorProto.FLOAT: t.float_data}
        have, want, unit = len(typed.get(t.data_type, t.int32_data)), count, "values"
    if have != want:
        claims = (
            _("initializer {name} claims shape {shape} ({want} bytes) but holds {have}")
            if unit == "bytes"
            else _("initializer {name} claims shape {shape} ({want} values) but holds {have}")
        )
        raise InputError(
            claims.format(name=repr(t.name), shape=list(t.dims), want=want, have=have),
            source=source,
        )
    try:
        arr = onnx.numpy_helper.to_array(t)
    except Exception as e:
        message = _("initializer {name} cannot be read ({error})")
        raise InputError(message.format(name=repr(t.name), error=e), source=source) from None
    return arr if arr.dtype != np.float16 else arr.astype(np.float32)


def _load_external(model: Any, path: str) -> tuple[str, ...]:
    """Read external tensor data, refusing a location outside the model's folder or a
    span beyond its file's end, before any of it is read; the files it read."""
    import onnx
    import onnx.external_data_helper as ext

    folder = Path(path).resolve().parent
    tensors = [t for t in model.graph.initializer if ext.uses_external_data(t)]
    total = 0
    files: list[str] = []
    for t in tensors:
        info = {e.key: e.value for e in t.external_data}
        loc = info.get("location", "")
        target = (folder / loc).resolve()
        if not loc or os.path.isabs(loc) or folder not in target.parents:
            raise InputError(
                _(
                    "initializer {name} keeps its data in {location}, outside the model's folder"
                ).format(name=repr(t.name), location=repr(loc)),
                source=path,
                expected=_("external data beside the model"),
            )
        if not target.is_file():
            message = _("initializer {name}: its data file {location} does not exist")
            raise InputError(message.format(name=repr(t.name), location=loc), source=path)
        offset, length = int(info.get("offset", 0)), info.get("length")
        size = target.stat().st_size
        end = offset + (int(length) if length is not None else 0)
        if offset > size or end > size:
            message = _("initializer {name}: its data file {location} is too short")
            raise InputError(message.format(name=repr(t.name), location=loc), source=path)
        total += int(length) if length is not None else size - offset
        files.append(str(Path(path).parent / loc))
    most = limits.max_model()
    if total > most:
        why = _("reading it takes about {factor}× its size: at most {most}").format(
            factor=limits.MODEL_FACTOR, most=limits.human(most)
        )
        raise limits.refuse(_("its external data"), total, path, why)
    if tensors:
        try:
            onnx.load_external_data_for_model(model, str(folder))
        except Exception as e:
            message = _("cannot read external data ({error})").format(error=e)
            raise InputError(message, source=path) from None
    return tuple(dict.fromkeys(files))


def write(net: Network, meta: dict[str, str]) -> bytes:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    elem = TensorProto.DOUBLE if net.dtype == np.float64 else TensorProto.FLOAT
    nodes, inits = [], []
    cur = "X"
    for k, layer in enumerate(net, 1):
        last = k == len(net)
        act = layer.act
        z = "Y" if last and act.name == "linear" else f"Z{k}"
        inits += [
            numpy_helper.from_array(layer.w, f"W{k}"),
            numpy_helper.from_array(layer.bias, f"b{k}"),
        ]
        nodes.append(helper.make_node("Gemm", [cur, f"W{k}", f"b{k}"], [z], name=f"layer{k}"))
        cur = z
        if act.name == "linear":
            continue
        a = "Y" if last else f"A{k}"
        name = f"act{k}"
        if act.name == "leaky_relu":
            slope = np.array([act.param], dtype=net.dtype)
            inits.append(numpy_helper.from_array(slope, f"slope{k}"))
            nodes.append(helper.make_node("PRelu", [cur, f"slope{k}"], [a], name=name))
        elif act.name == "softmax":
            nodes.append(helper.make_node("Softmax", [cur], [a], name=name, axis=-1))
        else:
            op = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh"}[act.name]
            nodes.append(helper.make_node(op, [cur], [a], name=name))
        cur = a
    graph = helper.make_graph(
        nodes,
        "nncalc",
        [helper.make_tensor_value_info("X", elem, ["m", net.n])],
        [helper.make_tensor_value_info("Y", elem, ["m", net.p])],
        inits,
    )
    model = helper.make_model(
        graph,
        producer_name="nncalc",
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    helper.set_model_props(
        model, {**meta, "activations": ",".join(layer.act.spec for layer in net)}
    )
    onnx.checker.check_model(model, full_check=True)
    data: bytes = model.SerializeToString()
    return data
