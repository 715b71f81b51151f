"""A network at a glance, as plain data: what ``nncalc inspect`` draws or prints as JSON
(like Keras' ``model.summary()`` or torchinfo)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nncalc.core import Network
from nncalc.errors import Hint


def summary(
    net: Network,
    source: str,
    fmt: str,
    names: Sequence[str] = (),
    details: Sequence[str] = (),
    unknown: Sequence[int] = (),
) -> dict[str, Any]:
    """One entry per layer (index from 1, name, W as n×p, bias, activation, parameters,
    dtype) and the totals.

    A file can hold a network's weights without its activations (a state dict, an npz of
    ``coefs_``): the layers in ``unknown`` (from 0) show activation None, and ``hint``
    says how to give them, so a file can be looked at before anyone knows how to run it.
    """
    layers = []
    for k, layer in enumerate(net, 1):
        layers.append(
            {
                "index": k,
                "name": names[k - 1] if len(names) >= k else f"layer{k}",
                "weights": [layer.n, layer.p],
                "biases": layer.p,
                "zero_biases": not layer.bias.any(),
                "activation": None if k - 1 in unknown else layer.act.spec,
                "params": layer.n * layer.p + layer.p,
                "bytes": layer.w.nbytes + layer.bias.nbytes,
                "dtype": str(layer.w.dtype),
            }
        )
    return {
        "source": source,
        "format": fmt,
        "inputs": net.n,
        "outputs": net.p,
        "layers": layers,
        "params": sum(r["params"] for r in layers),
        "bytes": sum(r["bytes"] for r in layers),
        "details": list(details),
        "unknown_activations": [k + 1 for k in unknown],
        "hint": _hint(len(net), unknown, source) if unknown else None,
    }


def _hint(count: int, unknown: Sequence[int], source: str) -> str:
    if len(unknown) == count:
        what = "stores no activations"
    else:
        which = ", ".join(str(k + 1) for k in unknown)
        what = f"stores no activation for layer{'s' if len(unknown) > 1 else ''} {which}"
    example = "relu" if count == 1 else ",".join(["relu"] * (count - 1) + ["softmax"])
    return (
        f"activations unknown: {source} {what}; to run it, give one activation name for "
        f"all layers or one per layer, e.g. {Hint('activation', example)}"
    )
