"""Pictures of a network: an SVG drawing, the same as PNG, and a one-file HTML report.

Plain strings only (no rich, no typer); PNG comes from resvg, imported in :mod:`.png` alone.

>>> from nncalc.core import Layer, Network
>>> svg = draw(Network([Layer([[1.0, -1.0]], [0.0, 0.5])]))
>>> svg.count('class="node"')
3
"""

from __future__ import annotations

from pathlib import PurePath

import numpy as np

from nncalc.core import Network
from nncalc.errors import UsageError
from nncalc.i18n import _

from .layout import Sample, sample_of
from .svg import draw

__all__ = ["KINDS", "Sample", "draw", "picture", "picture_kind", "sample_of"]

KINDS = (".svg", ".png", ".html")


def picture_kind(path: str) -> str:
    """``svg``, ``png`` or ``html`` from a file name; any other name is a usage error."""
    suffix = PurePath(path).suffix.lower()
    if suffix == ".htm":
        suffix = ".html"
    if suffix not in KINDS:
        raise UsageError(
            _("cannot draw to {path}: name a {kinds} or {last} file").format(
                path=path, kinds=", ".join(KINDS[:-1]), last=KINDS[-1]
            )
        )
    return suffix[1:]


def picture(
    net: Network,
    kind: str,
    x: np.ndarray | None = None,
    sample: int | None = None,
    command_line: str = "",
    *,
    precision: int = 3,
) -> bytes:
    """The network drawn as ``kind`` (svg, png or html), with row ``sample`` of ``x``'s
    numbers in the nodes when both are given."""
    if kind == "html":
        from .report import report_html

        return report_html(
            command_line, net, x, sample=sample, title="nncalc draw", precision=precision
        )
    picked = None if x is None or sample is None else sample_of(net, x, sample)
    svg = draw(net, picked, precision=precision)
    if kind == "png":
        from .png import svg_to_png

        return svg_to_png(svg)
    return svg.encode("utf-8")
