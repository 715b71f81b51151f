"""SVG → PNG through CairoSVG, the one module that imports it (ruff's banned-api).

CairoSVG (Kozea, maintained since 2012) renders text through cairo and fontconfig, so
the generic families of our SVG ("sans-serif", "monospace") resolve to the system's
fonts; resvg's bundled font database does not map generic names to whatever a Linux
box has.  It needs the C library libcairo2 (Debian: ``apt-get install libcairo2``).
"""

from __future__ import annotations

from nncalc.errors import UsageError

INSTALL = "pip install 'nncalc[png]' (and the system library libcairo2)"


def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """The PNG of ``svg`` at ``scale`` pixels per SVG unit (2: sharp on a hi-dpi screen)."""
    try:
        import cairosvg  # type: ignore[import-untyped]
    except (ImportError, OSError) as e:  # OSError: the package is there, libcairo is not
        raise UsageError(f"writing PNG needs CairoSVG: {INSTALL} ({e})") from None
    data: bytes = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale, unsafe=False)
    return data
