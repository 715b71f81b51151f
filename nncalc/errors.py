"""Errors nncalc raises on purpose, and the exit codes they map to.

The CLI catches :class:`NncalcError` once, at its edge, and prints ``str(err)`` as a
single line; anything else escaping is a bug and keeps its traceback.
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit codes; documented in the README, stable across releases."""

    OK = 0
    DATA = 1  # bad input data or shapes that cannot be multiplied
    USAGE = 2  # the command line itself is wrong
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class NncalcError(Exception):
    """Base class: a problem we can explain in one line."""

    exit_status: ExitStatus = ExitStatus.DATA


class InputError(NncalcError):
    """Input that cannot be read as numbers, located as precisely as we can.

    Rendered as ``SOURCE:LINE:COL: message (expected ...)`` so editors and terminals
    can jump to the spot.
    """

    def __init__(
        self,
        message: str,
        *,
        source: str | None = None,
        line: int | None = None,
        col: int | None = None,
        expected: str | None = None,
    ) -> None:
        self.message = " ".join(message.split())  # one line, whatever the data held
        self.source = source
        self.line = line
        self.col = col
        self.expected = expected
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [str(p) for p in (self.source, self.line, self.col) if p is not None]
        text = self.message if not where else f"{':'.join(where)}: {self.message}"
        return f"{text} (expected {self.expected})" if self.expected else text

    def located(self, source: str) -> InputError:
        """The same error attributed to ``source`` when the reader did not know it."""
        if self.source is None:
            self.source = source
            self.args = (str(self),)
        return self


class ShapeError(NncalcError, ValueError):
    """Operands whose shapes cannot form ``X·W + b``; the message explains why."""


class UsageError(NncalcError):
    """A command-line mistake that the option parser itself cannot see."""

    exit_status = ExitStatus.USAGE
