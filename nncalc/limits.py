"""One memory budget for everything nncalc must hold at once.

Rows stream, so the number of rows never counts; what must be whole counts: the
parameters (W is n×p), one line of text and its parsed row, a JSON document, an .npz
member, the tables drawn on a terminal.  Each is checked against the budget *before* it
is allocated, so a hostile input (a line with no end, a zip bomb, ``--neurons 1e8``) is
one error line, not a machine swapping to death.

The budget is 2 GiB unless ``--max-memory SIZE`` or ``NNCALC_MAX_MEMORY`` says otherwise.
"""

from __future__ import annotations

import os
import re

from .errors import NncalcError, UsageError
from .i18n import _

DEFAULT = 2 << 30
ENV = "NNCALC_MAX_MEMORY"
# Measured peaks per byte of input (tests/test_hostile.py keeps them honest):
LINE_FACTOR = 64  # a CSV/NDJSON line: str, one str per cell, one float per cell, the row
JSON_FACTOR = 48  # a JSON document: orjson's objects (8 MB of [1,2,3] rows peaked at 330 MB)
MODEL_FACTOR = 4  # a binary model file: its bytes, the decoded tensors, the layers (a 64 MB
# .onnx peaked at 3.2× its size, .safetensors 2.8×, .npz 1.8×; float64 widening adds more)

_UNITS = {"": 1, "b": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}
_budget: int | None = None


class MemoryLimitError(NncalcError):
    """Something would need more memory than the budget allows."""


def parse_size(text: str) -> int:
    """``"512M"``, ``"2GiB"``, ``"1.5g"`` or a number of bytes, as bytes.

    >>> parse_size("512M"), parse_size("2GiB"), parse_size("1500000")
    (536870912, 2147483648, 1500000)
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([kmgtKMGT]?)(?:i?[bB])?\s*", text)
    if not m:
        raise UsageError(
            _("--max-memory (or {env}) takes a size such as 512M or 4G, got {text}").format(
                env=ENV, text=repr(text)
            )
        )
    size = int(float(m.group(1)) * _UNITS[m.group(2).lower()])
    if size < 1 << 20:
        raise UsageError(
            _("--max-memory (or {env}) must be at least 1M, got {text}").format(
                env=ENV, text=repr(text)
            )
        )
    return size


def set_budget(size: int | str | None) -> None:
    """Set the budget (bytes or a size text); None goes back to the environment/default."""
    global _budget
    _budget = parse_size(size) if isinstance(size, str) else size


def budget() -> int:
    if _budget is not None:
        return _budget
    env = os.environ.get(ENV)
    return parse_size(env) if env else DEFAULT


def human(n: int) -> str:
    """A size for messages: 2 GiB, 512 MiB, 40 KiB."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            v = n / (1 << shift)
            return f"{v:.0f} {unit}" if v >= 10 or v == int(v) else f"{v:.1f} {unit}"
    return _("{n} bytes").format(n=n)


def refuse(
    what: str, need: int | None = None, source: str | None = None, why: str = ""
) -> MemoryLimitError:
    """The error for ``what`` not fitting: says the limit and how to raise it."""
    if need is None:
        text = _("{what} does not fit the memory budget of {budget}")
    else:
        text = _("{what} ({size}) does not fit the memory budget of {budget}")
    text = text.format(what=what, size=human(need or 0), budget=human(budget()))
    if why:
        text = _("{message}; {hint}").format(message=text, hint=why)
    text = _("{message} (raise it with --max-memory SIZE or {env})").format(message=text, env=ENV)
    return MemoryLimitError(f"{source}: {text}" if source else text)


def require(nbytes: int, what: str, source: str | None = None) -> None:
    """Refuse, before allocating, anything of ``nbytes`` that would not fit the budget."""
    if nbytes > budget():
        raise refuse(what, nbytes, source)


def layer_bytes(n: int, p: int) -> int:
    """What a layer costs at its peak: W (n×p float64, drawn then scaled), and one row
    in (n) and out (p: Z, A and its text)."""
    return 16 * n * p + LINE_FACTOR * (n + p)


def network_bytes(sizes: list[tuple[int, int]]) -> int:
    """What a network costs at its peak: every layer's W and one row through each."""
    return sum(layer_bytes(n, p) for n, p in sizes)


def max_line() -> int:
    """The longest line of text (bytes) a reader accepts: parsing one costs ~64× its size."""
    return max(1 << 16, budget() // LINE_FACTOR)


def max_model(factor: int = MODEL_FACTOR) -> int:
    """The largest model file (bytes) read whole, for a reader holding ``factor`` × it."""
    return max(1 << 16, budget() // factor)


def max_json() -> int:
    """The largest JSON document (bytes) read whole."""
    return max(1 << 16, budget() // JSON_FACTOR)
