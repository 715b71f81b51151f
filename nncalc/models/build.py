"""What every model reader shares: reading the file, checking arrays, naming and ordering
layers, and turning them into a Network with the activations the file or the command
line gives."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from nncalc import limits
from nncalc.core import Layer, Network
from nncalc.errors import InputError, ShapeError, UsageError, cannot_open
from nncalc.i18n import N_, _

from . import LoadOptions, Model, fill_unknown, pick_activations


class RawLayer(NamedTuple):
    """One layer as found in a file: W already n×p, b or None (zeros), the activation
    the file stored (None when it stores none)."""

    name: str
    w: np.ndarray
    b: np.ndarray | None
    activation: str | None


def read_bytes(path: str, factor: int = limits.MODEL_FACTOR) -> bytes:
    """The whole file, refused before it is read when holding and decoding it (``factor``
    × its size) would not fit the memory budget; a FIFO or device is read only that far."""
    room = limits.max_model(factor)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if stat.S_ISREG(st.st_mode) and st.st_size > room:
                raise _too_big(path, st.st_size, factor)
            data = f.read(room + 1)
    except OSError as e:
        raise cannot_open(e, path, N_("model file")) from None
    if len(data) > room:
        raise _too_big(path, None, factor)
    return data


def _too_big(path: str, size: int | None, factor: int) -> limits.MemoryLimitError:
    most = limits.human(limits.max_model(factor))
    what = (
        _("this model file")
        if size is not None
        else _("a model file of more than {most}").format(most=most)
    )
    why = _("reading one takes about {factor}× its size, so the largest that fits is {most}")
    return limits.refuse(what, size, path, why.format(factor=factor, most=most))


def numbers(arr: np.ndarray, source: str, what: str) -> np.ndarray:
    """``arr`` as float32 or float64 (float32 stays float32: a float32 model runs in
    float32; float16 widens to float32 exactly), refusing what is not a finite real
    number."""
    if arr.dtype.kind not in "fiu":
        raise InputError(
            _("{what} holds {dtype} values").format(what=what, dtype=arr.dtype),
            source=source,
            expected=_("real numbers"),
        )
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    elif arr.dtype != np.float32:
        arr = arr.astype(np.float64)
    if not np.isfinite(arr).all():
        idx = [int(i) for i in np.argwhere(~np.isfinite(arr))[0]]
        raise InputError(
            _("{what} element {index} is {value}, not a finite number").format(
                what=what, index=idx, value=arr[tuple(idx)]
            ),
            source=source,
            expected=_("finite weights and biases"),
        )
    return arr


def natural_key(name: str) -> list[tuple[int, int | str]]:
    """Sort key putting ``fc2`` before ``fc10`` and ``encoder.2`` before ``encoder.10``."""
    return [(0, int(t)) if t.isdecimal() else (1, t) for t in re.split(r"(\d+)", name) if t]


def pick_order(names: Sequence[str], order: Sequence[str] | None, source: str) -> list[str]:
    """The layer names to use, in order: ``--layer-order`` picks and orders them; without
    it every layer is used in natural order of its name."""
    if not order:
        return sorted(names, key=natural_key)
    missing = [o for o in order if o not in names]
    if missing:
        raise UsageError(
            _("--layer-order names {name}, which is not a layer of {source}; its layers: {names}")
            .format(name=repr(missing[0]), source=source,
                    names=", ".join(sorted(names, key=natural_key)))
        )  # fmt: skip
    if len(set(order)) != len(order):
        raise UsageError(_("--layer-order names a layer twice"))
    return list(order)


def assemble(
    raw: Sequence[RawLayer],
    source: str,
    fmt: str,
    options: LoadOptions,
    details: Sequence[str] = (),
) -> Model:
    """A Model from raw layers; a layer that does not fit the one before is an error that
    says which and how."""
    if not raw:
        raise InputError(
            _("holds no layers"), source=source, expected=_("at least one dense layer")
        )
    stored, unknown = fill_unknown([r.activation for r in raw], options)
    acts = pick_activations(len(raw), options.activations, stored, source)
    layers = []
    for k, (r, act) in enumerate(zip(raw, acts, strict=True), 1):
        try:
            layers.append(Layer(r.w, r.b, act, r.name))
        except (ShapeError, ValueError) as e:  # ValueError: an activation nncalc does not know
            where = _("layer {k} ({name})").format(k=k, name=r.name)
            raise InputError(f"{where}: {e}", source=source) from None
    try:
        net = Network(layers)
    except ShapeError as e:
        text = str(e)
        if fmt == "safetensors":
            text = _("{message} (pass --layer-order to order the layers)").format(message=text)
        raise InputError(text, source=source) from None
    return Model(net, source, fmt, tuple(r.name for r in raw), tuple(details), unknown)
