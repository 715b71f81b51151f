"""Errors nncalc raises on purpose, and the exit codes they map to.

The CLI catches :class:`NncalcError` once, at its edge, and prints ``str(err)`` as a
single line; anything else escaping is a bug and keeps its traceback.
"""

from __future__ import annotations

from enum import IntEnum

from .i18n import _


class ExitStatus(IntEnum):
    """Process exit codes; documented in the README, stable across releases."""

    OK = 0
    DATA = 1  # bad input data or shapes that cannot be multiplied
    USAGE = 2  # the command line itself is wrong
    HANGUP = 129  # 128 + SIGHUP: the terminal went away
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it
    TERMINATED = 143  # 128 + SIGTERM: kill, a timeout, a stopping service


class Hint:
    """A fix the user can make, said in their own terms: a flag on the command line
    (``--layout out-in``), a keyword argument in Python (``layout="out-in"``).

    The library builds messages with hints in them; which way a hint reads is decided
    once per process (:func:`speak_flags`, called by the command line), so a notebook
    never gets command-line advice.

    >>> h = Hint("layout", "out-in")
    >>> h.flag, h.keyword
    ('--layout out-in', 'layout="out-in"')
    >>> Hint("allow-nonfinite", keyword="allow_nonfinite", value=True).keyword
    'allow_nonfinite=True'
    """

    __slots__ = ("option", "value", "kwarg")

    def __init__(
        self, option: str, value: str | bool | int | None = None, *, keyword: str | None = None
    ) -> None:
        self.option = option  # the flag's name without dashes: "layout"
        self.value = value
        self.kwarg = keyword or option.replace("-", "_")

    @property
    def flag(self) -> str:
        if self.value is None or self.value is True:
            return f"--{self.option}"
        return f"--{self.option} {self.value}"

    @property
    def keyword(self) -> str:
        value = True if self.value is None else self.value
        return f"{self.kwarg}={value!r}".replace("'", '"')

    def __str__(self) -> str:
        return self.flag if _STYLE[0] == "flags" else self.keyword

    def __repr__(self) -> str:
        return f"Hint({self.option!r}, {self.value!r})"


_STYLE = ["python"]


def speak_flags(flags: bool = True) -> None:
    """Hints read as command-line flags from now on (the CLI calls this at start);
    ``speak_flags(False)`` goes back to Python's keywords."""
    _STYLE[0] = "flags" if flags else "python"


def printable(text: str) -> str:
    """``text`` with every control character escaped as Python writes it (``\\x1b``), so
    a file name holding an ANSI escape sequence cannot recolour, move or clear the
    terminal an error line is printed on; cell contents are shown with ``repr`` already.

    >>> printable("a\\x1b[2Jb.csv")
    'a\\\\x1b[2Jb.csv'
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


class NncalcError(Exception):
    """Base class: a problem we can explain in one line (control characters escaped).

    ``hint`` is the structured fix, when there is one (its words are in the message).
    """

    exit_status: ExitStatus = ExitStatus.DATA
    hint: Hint | None = None

    def __str__(self) -> str:
        return printable(super().__str__())


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
        self.expected = None if expected is None else " ".join(expected.split())
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [str(p) for p in (self.source, self.line, self.col) if p is not None]
        text = self.message if not where else f"{':'.join(where)}: {self.message}"
        if not self.expected:
            return printable(text)
        return printable(
            _("{text} (expected {expected})").format(text=text, expected=self.expected)
        )

    def located(self, source: str) -> InputError:
        """The same error attributed to ``source`` when the reader did not know it."""
        if self.source is None:
            self.source = source
            self.args = (str(self),)
        return self


def cannot_open(e: OSError, source: str, what: str = "file") -> InputError:
    """The one wording for a file that cannot be opened, whoever opens it (X, W, b, a
    model file, a cluster's input); ``what`` is a marked word (``N_("model file")``)."""
    what = _(what)
    if isinstance(e, FileNotFoundError):
        expected = _("an existing {what}").format(what=what)
        return InputError(_("no such file"), source=source, expected=expected)
    if isinstance(e, IsADirectoryError):
        expected = _("a {what}").format(what=what)
        return InputError(_("is a directory"), source=source, expected=expected)
    if isinstance(e, PermissionError):
        expected = _("a readable {what}").format(what=what)
        return InputError(_("permission denied"), source=source, expected=expected)
    return InputError(_("cannot open: {reason}").format(reason=e.strerror or e), source=source)


class OutputError(InputError):
    """A write that failed (a full disk, a closed stdout, a target replaced mid-run),
    located at its target like an input error; the target keeps its old content."""


class ShapeError(NncalcError, ValueError):
    """Operands whose shapes cannot form ``X·W + b``; the message explains why."""


class UsageError(NncalcError):
    """A command-line mistake that the option parser itself cannot see."""

    exit_status = ExitStatus.USAGE


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGHUP, raised like Ctrl-C so every ``finally`` (temporary files)
    runs; the exit code is 128 + the signal's number, as shells report it."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def interrupt_status(e: KeyboardInterrupt) -> tuple[int, str]:
    """The exit code and the one line for an interruption (Ctrl-C, SIGTERM, SIGHUP)."""
    if isinstance(e, Interrupted):
        if e.signum == ExitStatus.HANGUP - 128:
            return ExitStatus.HANGUP, _("hung up (SIGHUP)")
        if e.signum == ExitStatus.TERMINATED - 128:
            return ExitStatus.TERMINATED, _("terminated (SIGTERM)")
        return 128 + e.signum, _("stopped by signal {signum}").format(signum=e.signum)
    return ExitStatus.INTERRUPTED, _("interrupted")
