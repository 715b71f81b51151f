"""The root Typer app, its error boundary and the console-script entry."""

import functools
import importlib
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from nncalc import __version__
from nncalc.errors import ExitStatus, NncalcError, interrupt_status, speak_flags
from nncalc.sink import PipeClosed, silence_stdout

from .help import Group
from .options import MaxMemory

app = typer.Typer(
    name="nncalc",
    cls=Group,
    help="A dense layer's forward pass, A = ReLU(X·W + b), with every step shown.",
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)

F = TypeVar("F", bound=Callable[..., Any])
_state = {"debug": False}


def guarded(fn: F) -> F:
    """Run a command; nncalc's errors become one stderr line and an exit code.

    Errors are caught here, once, so a traceback always means a bug (``--debug`` or
    NNCALC_DEBUG=1 shows it).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except NncalcError as e:
            if _state["debug"]:
                raise
            error(str(e))
            raise typer.Exit(int(e.exit_status)) from None
        except PipeClosed:
            silence_stdout()
            raise typer.Exit(int(ExitStatus.OK)) from None
        except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM/SIGHUP (nncalc.__main__)
            if _state["debug"]:
                raise
            code, message = interrupt_status(e)
            error(message)
            raise typer.Exit(int(code)) from None

    return wrapper  # type: ignore[return-value]


def error(message: str) -> None:
    """The one line every failure prints."""
    sys.stderr.write(f"nncalc: error: {' '.join(message.split())}\n")
    sys.stderr.flush()


def note(message: str) -> None:
    sys.stderr.write(f"nncalc: {message}\n")
    sys.stderr.flush()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"nncalc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    debug: Annotated[
        bool,
        typer.Option("--debug", envvar="NNCALC_DEBUG", help="Show tracebacks (for bug reports)."),
    ] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    max_memory: MaxMemory = None,
) -> None:
    """A dense layer's forward pass, A = ReLU(X·W + b), with every step shown.

    Try it: nncalc demo
    """
    _state["debug"] = debug
    speak_flags()  # also for CliRunner, which calls the app without main()


COMMANDS = {"forward": "forward", "demo": "learn", "shapes": "learn", "explain": "learn",
            "random": "random", "draw": "draw", "inspect": "inspect",
            "evaluate": "evaluate"}  # fmt: skip


def load_commands(argv: list[str] | None) -> None:
    """Register the command named in ``argv`` (every command when there is none, for
    the top-level help or a misspelt name)."""
    name = next((a for a in argv or () if not a.startswith("-")), None)
    modules = {COMMANDS[name]} if name in COMMANDS else set(COMMANDS.values())
    for module in sorted(modules):
        importlib.import_module(f"{__package__}.{module}")


def hoist_debug(argv: list[str]) -> list[str]:
    """``nncalc forward … --debug`` means the root's ``--debug``: move it in front, so it
    works wherever it is typed (but not after ``--``, where it is an operand)."""
    cut = argv.index("--") if "--" in argv else len(argv)
    if "--debug" not in argv[:cut]:
        return argv
    return ["--debug", *(a for a in argv[:cut] if a != "--debug"), *argv[cut:]]


def main(argv: list[str] | None = None) -> None:
    """Like ``app()``, but a usage mistake is one stderr line too, and so is a failing
    stdout outside a command (``--help > /dev/full``); a closed pipe is exit 0.

    ``nncalc.__main__.main`` (the console script) calls this after installing signal
    handlers and stream guards.
    """
    speak_flags()  # the library's hints read as flags here (layout="out-in" in Python)
    args = hoist_debug(sys.argv[1:] if argv is None else argv)
    load_commands(args)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="nncalc", standalone_mode=False)
        sys.stdout.flush()  # a late failure is reported here, not by the interpreter
    except typer.TyperException as e:  # click's UsageError, BadParameter, NoSuchOption…
        message = e.format_message().strip()
        option = getattr(e, "option_name", "") or ""
        if option[1:2].isdigit() or option[1:2] == ".":  # `nncalc forward -1,2,3 …`
            message += (": numbers that start with '-' as X go last, after '--' "
                        "(nncalc forward -w … -b … -- -1,2,3)")  # fmt: skip
        if message:  # bare `nncalc` has printed the help already: no empty error line
            error(f"{message} (see nncalc --help)")
        code = getattr(e, "exit_code", int(ExitStatus.USAGE))
    except typer.Abort as e:
        if isinstance(e.__cause__, KeyboardInterrupt):  # click turns Ctrl-C into Abort
            raise e.__cause__ from None
        code = int(ExitStatus.DATA)
    except PipeClosed:
        silence_stdout()
        code = int(ExitStatus.OK)
    except OSError as e:
        if "--install-completion" not in args:
            raise
        # Typer writes the shell's start-up file itself: a read-only HOME is one line
        error(f"cannot install tab completion: {e.filename}: {e.strerror}")
        code = int(ExitStatus.DATA)
    except NncalcError as e:
        if _state["debug"]:
            raise
        error(str(e))
        code = int(e.exit_status)
    sys.exit(code if isinstance(code, int) else 0)
