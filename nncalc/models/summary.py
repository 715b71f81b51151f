"""A network at a glance, as plain data: what ``nncalc inspect`` draws or prints as JSON
(like Keras' ``model.summary()`` or torchinfo)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from nncalc.core import Network


def summary(
    net: Network, source: str, fmt: str, names: Sequence[str] = (), details: Sequence[str] = ()
) -> dict[str, Any]:
    """One entry per layer (index from 1, name, W as n×p, bias, activation, parameters,
    dtype) and the totals."""
    layers = []
    for k, layer in enumerate(net, 1):
        layers.append(
            {
                "index": k,
                "name": names[k - 1] if len(names) >= k else f"layer{k}",
                "weights": [layer.n, layer.p],
                "biases": layer.p,
                "zero_biases": not layer.bias.any(),
                "activation": layer.act.spec,
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
    }
