"""A network as a numpy .npz archive: ``W1, b1, W2, b2, …`` and ``activations``.

nncalc writes ``Wk`` as n×p (inputs × neurons, scikit-learn's ``coefs_[k-1]``), ``bk``
as (p,), ``activations`` as a string array with one name per layer and, when there is
any, ``meta`` as one JSON string.  It reads the same names; a missing ``bk`` is zeros and
a missing ``activations`` comes from ``--activation``.  From scikit-learn::

    np.savez("mlp.npz", **{f"W{k+1}": w for k, w in enumerate(clf.coefs_)},
             **{f"b{k+1}": b for k, b in enumerate(clf.intercepts_)})

The archive is read by :func:`nncalc.formats.npyio.load_npz`, as matrix inputs are:
every member's .npy header is checked against the archive before anything is allocated,
and nothing is ever unpickled.
"""

from __future__ import annotations

import io
import re

import numpy as np
import orjson

from nncalc.core import Network
from nncalc.errors import InputError
from nncalc.formats.npyio import load_npz
from nncalc.i18n import _

from . import LoadOptions, Model
from .build import RawLayer, assemble, numbers, pick_order, read_bytes

KEY = re.compile(r"([Wb])([1-9][0-9]*)")


def read(path: str, options: LoadOptions) -> Model:
    expected = _("an .npz with W1, b1, W2, b2, … (and optionally activations)")
    arrays = load_npz(read_bytes(path), path)
    ws: dict[int, np.ndarray] = {}
    bs: dict[int, np.ndarray] = {}
    acts: list[str | None] | None = None
    for key, arr in arrays.items():
        m = KEY.fullmatch(key)
        if m:
            (ws if m[1] == "W" else bs)[int(m[2])] = arr
        elif key == "activations":
            if arr.dtype.kind != "U" or arr.ndim != 1:
                raise InputError(
                    _('"activations" is not a list of names'),
                    source=path,
                    expected=_("e.g. relu"),
                )
            acts = [str(a) for a in arr]
        elif key != "meta":
            unknown = _("unknown array {key}").format(key=repr(key))
            raise InputError(unknown, source=path, expected=expected)
    if not ws:
        raise InputError(_("holds no W1"), source=path, expected=expected)
    count = max(ws)
    gap = next((k for k in range(1, count + 1) if k not in ws), None)
    if gap is not None:
        gap_text = _("has W{count} but no W{gap}").format(count=count, gap=gap)
        raise InputError(gap_text, source=path, expected=expected)
    extra = sorted(set(bs) - set(ws))
    if extra:
        extra_text = _("has b{k} but no W{k}").format(k=extra[0])
        raise InputError(extra_text, source=path, expected=expected)
    if acts is not None and len(acts) != count:
        raise InputError(
            _('"activations" names {given} activations for {count} layers').format(
                given=len(acts), count=count
            ),
            source=path,
            expected=_("one activation per layer"),
        )
    raw: dict[str, RawLayer] = {}
    for k in range(1, count + 1):
        w = numbers(ws[k], path, f"W{k}")
        if w.ndim != 2:
            raise InputError(
                _("W{k} has shape {shape}").format(k=k, shape=w.shape),
                source=path,
                expected=_("an n×p matrix"),
            )
        b = None if k not in bs else numbers(bs[k], path, f"b{k}").reshape(-1)
        raw[str(k)] = RawLayer(str(k), w, b, None if acts is None else acts[k - 1])
    order = pick_order(list(raw), options.layer_order, path)
    details = [f"npz: {count} layers W1…W{count}" + ("" if acts else ", no activations stored")]
    return assemble([raw[k] for k in order], path, "npz", options, details)


def write(net: Network, meta: dict[str, str]) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    for k, layer in enumerate(net, 1):
        arrays[f"W{k}"] = layer.w
        arrays[f"b{k}"] = layer.bias
    arrays["activations"] = np.array([layer.act.spec for layer in net])
    if meta:
        arrays["meta"] = np.array(orjson.dumps(meta).decode())
    buf = io.BytesIO()
    np.savez(buf, allow_pickle=False, **arrays)
    return buf.getvalue()
