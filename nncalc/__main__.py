"""``python -m nncalc`` and the ``nncalc`` console script.

Everything here runs before the heavy imports (numpy, typer, rich: ~0.2 s), so a Ctrl-C,
SIGTERM or SIGHUP at any moment is one line and a documented exit code, never a
traceback, and a hostile environment (closed descriptors, an ASCII-only encoding,
COLUMNS=0) is made sane before anything is printed.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager


def _raise_interrupted(signum: int, frame: object) -> None:
    from .errors import Interrupted

    raise Interrupted(signum)


def _catch_signals() -> None:
    """SIGTERM and SIGHUP unwind like Ctrl-C (temporary files are removed); a signal
    the parent set to ignored (nohup) stays ignored."""
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None and signal.getsignal(sig) == signal.SIG_DFL:
            signal.signal(sig, _raise_interrupted)


def _sane_environment() -> None:
    """COLUMNS/LINES that are not a positive number (COLUMNS=0 drew nothing) are ignored."""
    for var in ("COLUMNS", "LINES"):
        value = os.environ.get(var)
        if value is not None and not (value.strip().isdecimal() and int(value) > 0):
            del os.environ[var]


@contextmanager
def _signals_held() -> Iterator[None]:
    """Delay SIGINT/SIGTERM/SIGHUP (delivered, and raised, on leaving the block)."""
    sigs = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}
    held = hasattr(signal, "pthread_sigmask")
    if held:
        signal.pthread_sigmask(signal.SIG_BLOCK, sigs)
    try:
        yield
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, sigs)


def _stop(e: KeyboardInterrupt) -> int:
    from .errors import interrupt_status
    from .i18n import _

    code, message = interrupt_status(e)
    try:
        text = _("error: {message}").format(message=message)
        sys.stderr.write(f"nncalc: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return int(code)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry: signals and streams first, then the command line."""
    try:
        _catch_signals()
        _sane_environment()
        from .sink import guard_std_streams

        guard_std_streams()
        from .i18n import choose

        choose(sys.argv[1:] if argv is None else argv)  # before any help text is built
        with _signals_held():
            # a KeyboardInterrupt inside a C extension's import (numpy) can leave it half
            # made and crash the interpreter's shutdown: hold signals until imports end
            from .cli.root import console_script, load_commands
            from .cli.root import main as run

            console_script()

            load_commands(sys.argv[1:] if argv is None else argv)
        try:
            run(argv)
        except SystemExit as e:
            _ignore_signals()
            _leave_now(e)
            raise
        finally:
            _ignore_signals()
    except KeyboardInterrupt as e:  # also SIGTERM/SIGHUP, raised as Interrupted
        _ignore_signals()
        sys.exit(_stop(e))


def _leave_now(e: SystemExit) -> None:
    """End the process without the interpreter's teardown, once everything is written:
    freeing every object and module of numpy and polars took 30-50 ms after a 0.6 s
    streamed run (a twentieth of it) and does nothing for the user.  Files are closed by
    then (every write goes through a Sink), so only stdout and stderr need flushing;
    should that fail, the usual exit reports it.  Not after a Dask run: its atexit
    handlers close clients and clusters."""
    code = e.code
    if code is not None and not isinstance(code, int):
        return
    if "distributed" in sys.modules:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # the normal exit path reports it
        return
    os._exit(code or 0)


def _ignore_signals() -> None:
    """The work is done (or being abandoned): a signal now could only turn a clean exit
    into a traceback from the interpreter's shutdown."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_IGN)


if __name__ == "__main__":
    main()
