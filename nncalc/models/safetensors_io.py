"""A network as safetensors: a PyTorch (or Keras/Flax) state dict of dense layers.

Read: keys ``PREFIX.weight`` (PyTorch's out×in, p×n: transposed for you) or
``PREFIX.kernel`` (Keras/Flax in×out, n×p: kept), and ``PREFIX.bias`` (zeros when
missing).  Layers are taken in natural order of their prefix (``fc2`` before ``fc10``)
or as ``--layer-order`` names them.  Activations come from ``--activation`` or from the
``activations`` entry of the file's metadata (comma-separated; nncalc writes it).

Write: ``nn.Sequential`` naming, Linear layers at 0, 2, 4, … so ``load_state_dict`` into
``Sequential(Linear, ReLU, Linear, …)`` works.

The 8-byte header length and the JSON header are checked against the file's size
before the ``safetensors`` package (numpy API, never torch) reads any tensor.
"""

from __future__ import annotations

import struct
from typing import Any

import numpy as np
import orjson

from nncalc import i18n
from nncalc.core import Network
from nncalc.errors import InputError

from . import LoadOptions, Model
from .build import RawLayer, assemble, numbers, pick_order, read_bytes

# safetensors dtype → bytes per element (the ones numpy can hold)
DTYPES = {"F64": 8, "F32": 4, "F16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
          "U64": 8, "U32": 4, "U16": 2, "U8": 1}  # fmt: skip
MAX_HEADER = 100 * 2**20  # the safetensors package's own limit
EXPECTED = i18n.N_("a safetensors file of Linear layers (PREFIX.weight, PREFIX.bias)")
SUFFIXES = ("weight", "kernel", "bias")


def read(path: str, options: LoadOptions) -> Model:
    data = read_bytes(path)
    header = check_header(data, path)
    meta = header.pop("__metadata__", None) or {}
    groups: dict[str, dict[str, str]] = {}
    for key in header:
        prefix, _, suffix = key.rpartition(".")
        groups.setdefault(prefix, {})[suffix] = key
    picked = pick_order(list(groups), options.layer_order, path)
    for prefix in picked:
        odd = sorted(set(groups[prefix]) - set(SUFFIXES))
        if odd:
            key = groups[prefix][odd[0]]
            raise InputError(
                i18n._("tensor {key} is not a dense layer's weight, kernel or bias").format(
                    key=repr(key)
                ),
                source=path,
                expected=i18n._("{expected}, or --layer-order to pick the dense layers").format(
                    expected=i18n._(EXPECTED)
                ),
            )
        if "weight" not in groups[prefix] and "kernel" not in groups[prefix]:
            raise InputError(
                i18n._("layer {name} has a bias but no weight").format(
                    name=prefix or i18n._("(unnamed)")
                ),
                source=path,
                expected=i18n._(EXPECTED),
            )
    import safetensors.numpy

    try:
        tensors = safetensors.numpy.load(data)
    except Exception as e:  # the package raises its own SafetensorError for bad files
        message = i18n._("is not a readable safetensors file ({error})").format(error=e)
        raise InputError(message, source=path) from None
    stored = _activations(meta, len(picked), path)
    raw = []
    kinds = set()
    for k, prefix in enumerate(picked):
        keys = groups[prefix]
        name = prefix or i18n._("(unnamed)")
        if "kernel" in keys:
            w = numbers(tensors[keys["kernel"]], path, keys["kernel"])
            kinds.add("kernel (in×out, kept)")
        else:
            w = numbers(tensors[keys["weight"]], path, keys["weight"])
            kinds.add("weight (out×in, transposed)")
            w = np.ascontiguousarray(w.T) if w.ndim == 2 else w
        if w.ndim != 2:
            raise InputError(
                i18n._("{name}'s weight has shape {shape}").format(name=name, shape=w.shape),
                source=path,
                expected=i18n._("a 2-D matrix"),
            )
        b = numbers(tensors[keys["bias"]], path, keys["bias"]) if "bias" in keys else None
        raw.append(RawLayer(name, w, b, None if stored is None else stored[k]))
    given = "--activation" if options.activations else "the metadata" if stored else None
    details = [
        f"safetensors: {len(raw)} layers {', '.join(picked)}; " + ", ".join(sorted(kinds)),
        f"activations from {given}" if given else "no activations stored",
    ]
    return assemble(raw, path, "safetensors", options, details)


def check_header(data: bytes, source: str) -> dict[str, Any]:
    """The JSON header, every tensor's dtype, shape and offsets checked against the bytes
    that follow it (so nothing is allocated for a size the file does not hold)."""
    if len(data) < 8:
        raise InputError(
            i18n._("is too short for a safetensors file"),
            source=source,
            expected=i18n._(EXPECTED),
        )
    (size,) = struct.unpack("<Q", data[:8])
    if size > MAX_HEADER or size > len(data) - 8:
        raise InputError(
            i18n._(
                "is truncated or not safetensors: its header claims {size} bytes but the file "
                "holds {held} after the length"
            ).format(size=size, held=len(data) - 8),
            source=source,
            expected=i18n._(EXPECTED),
        )
    try:
        header = orjson.loads(data[8 : 8 + size])
    except orjson.JSONDecodeError:
        raise InputError(
            i18n._("has a header that is not JSON"), source=source, expected=i18n._(EXPECTED)
        ) from None
    if not isinstance(header, dict):
        raise InputError(
            i18n._("has a header that is not an object"),
            source=source,
            expected=i18n._(EXPECTED),
        )
    body = len(data) - 8 - size
    spans = []
    for key, info in header.items():
        if key == "__metadata__":
            if info is not None and not (
                isinstance(info, dict) and all(isinstance(v, str) for v in info.values())
            ):
                raise InputError(i18n._("has metadata that is not text"), source=source)
            continue
        try:
            dtype, shape, (start, stop) = info["dtype"], info["shape"], info["data_offsets"]
            ok = isinstance(start, int) and isinstance(stop, int) and 0 <= start <= stop
            ok = (
                ok and isinstance(shape, list) and all(isinstance(d, int) and d >= 0 for d in shape)
            )
        except (TypeError, KeyError, ValueError):
            ok = False
        if not ok:
            message = i18n._("tensor {key} has a malformed entry").format(key=repr(key))
            raise InputError(message, source=source)
        if dtype not in DTYPES:
            raise InputError(
                i18n._("tensor {key} is {dtype}").format(key=repr(key), dtype=dtype),
                source=source,
                expected=i18n._("F64, F32 or F16 (save with model.float() for bfloat16)"),
            )
        need = int(np.prod(shape, dtype=np.int64)) * DTYPES[dtype]
        if stop - start != need:
            raise InputError(
                i18n._(
                    "tensor {key} is {dtype} {shape} ({need} bytes) but its offsets span {span}"
                ).format(key=repr(key), dtype=dtype, shape=shape, need=need, span=stop - start),
                source=source,
            )
        if stop > body:
            raise InputError(
                i18n._(
                    "is truncated: tensor {key} ends at byte {stop} of the data, which holds {body}"
                ).format(key=repr(key), stop=stop, body=body),
                source=source,
            )
        spans.append((start, stop))
    spans.sort()
    for (_, a_stop), (b_start, _) in zip(spans, spans[1:]):  # noqa: B905
        if b_start < a_stop:
            raise InputError(
                i18n._("has tensors whose bytes overlap"),
                source=source,
                expected=i18n._(EXPECTED),
            )
    return header


def _activations(meta: dict[str, str], count: int, source: str) -> list[str | None] | None:
    text = meta.get("activations")
    if text is None:
        return None
    acts = [a.strip() for a in text.split(",")]
    if len(acts) != count:
        raise InputError(
            i18n._("its metadata names {given} activations for {count} layers").format(
                given=len(acts), count=count
            ),
            source=source,
            expected=i18n._("one per layer, or --activation"),
        )
    return list(acts)


def write(net: Network, meta: dict[str, str]) -> bytes:
    import safetensors.numpy

    tensors = {}
    for k, layer in enumerate(net):
        tensors[f"{2 * k}.weight"] = np.ascontiguousarray(layer.w.T)
        tensors[f"{2 * k}.bias"] = layer.bias
    metadata = {"format": "pt", **meta, "activations": ",".join(a.act.spec for a in net)}
    data: bytes = safetensors.numpy.save(tensors, metadata=metadata)
    return data
