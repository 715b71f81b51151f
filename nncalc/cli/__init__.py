"""The ``nncalc`` command line; the only package that imports typer.

``app`` wires the commands (one module each: forward, learn, random); ``main`` is the
console-script entry.
"""

from . import forward, learn, random  # noqa: F401 - importing registers the commands
from .app import app, main

__all__ = ["app", "main"]
