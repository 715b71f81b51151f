"""SVG → PNG through resvg (resvg-py), the one module that imports it (ruff's banned-api).

resvg is a self-contained renderer in Rust: its wheel (about 1.4 MB, abi3 for Linux,
macOS and Windows) needs no system library, so ``pip install nncalc`` alone writes PNG.
CairoSVG, used before, needed the C library libcairo2 from the system.  resvg reads the
system's fonts itself and follows the SVG's font-family list ("DejaVu Sans", "Noto Sans
CJK SC", then the generic family), so a list of named fonts works where CairoSVG took only
the first name.
"""

from __future__ import annotations

import math
import re

from nncalc.errors import UsageError
from nncalc.i18n import _

MAX_SIDE = 16_384  # pixels: what image viewers and browsers open
MAX_PIXELS = 64_000_000  # 256 MB of RGBA while rendering
MIN_SCALE = 0.5  # below this a picture's 11 px labels are unreadable: refuse instead


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """The PNG of ``svg`` at ``scale`` pixels per SVG unit (2: sharp on a hi-dpi screen),
    less for a picture too large for that; one error line for one too large to read."""
    width, height = _size(svg)
    fit = min(scale, MAX_SIDE / max(width, height, 1), math.sqrt(MAX_PIXELS / (width * height)))
    if fit < min(scale, MIN_SCALE):
        raise UsageError(
            _(
                "the picture is {width}×{height} units, too large for a readable PNG "
                "(at most {side} pixels a side): write .svg or .html, which scale"
            ).format(width=f"{width:.0f}", height=f"{height:.0f}", side=MAX_SIDE)
        )
    try:
        import resvg_py
    except ImportError as e:
        raise UsageError(
            _("writing PNG needs resvg-py: pip install resvg-py ({error})").format(error=e)
        ) from None
    try:
        data = resvg_py.svg_to_bytes(svg_string=svg, zoom=fit)
    except BaseException as e:  # a Rust panic arrives as pyo3's PanicException
        if isinstance(e, KeyboardInterrupt | SystemExit):
            raise
        raise UsageError(_("could not render the PNG: {error}").format(error=e)) from None
    return bytes(data)


def _size(svg: str) -> tuple[float, float]:
    """The width and height of the root element, in SVG units."""
    head = svg[: svg.index(">") + 1] if ">" in svg else svg
    w = re.search(r'\swidth="([0-9.]+)"', head)
    h = re.search(r'\sheight="([0-9.]+)"', head)
    if not w or not h:
        raise UsageError(_("cannot render a PNG: the SVG states no width and height"))
    return float(w.group(1)), float(h.group(1))
