"""The root Typer app, its error boundary and the console-script entry."""

import functools
import importlib
import sys
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer

from nncalc import __version__, i18n
from nncalc.errors import ExitStatus, NncalcError, interrupt_status, speak_flags
from nncalc.i18n import help_text
from nncalc.sink import PipeClosed, silence_stdout

from .help import Group
from .options import LangOpt, MaxMemory

app = typer.Typer(
    name="nncalc",
    cls=Group,
    help=help_text("A dense layer's forward pass, A = ReLU(X·W + b), with every step shown."),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
)


F = TypeVar("F", bound=Callable[..., Any])
# "console": this process is the console script (nncalc.__main__), which ends when the
# command does; CliRunner and other in-process callers are not, and keep their signals
_state = {"debug": False, "console": False}


def console_script() -> None:
    """Say this process is the ``nncalc`` command itself (nncalc.__main__ calls it)."""
    _state["console"] = True


def is_console() -> bool:
    """Whether a command may ignore Ctrl-C once its outputs are committed: only the
    console script, whose process ends with the command (a test runner or a notebook
    calling the app in-process must keep its signals)."""
    return _state["console"]


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
    """The one line every failure prints; ``nncalc: `` in every language."""
    text = i18n._("error: {message}").format(message=" ".join(message.split()))
    sys.stderr.write(f"nncalc: {text}\n")
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
        typer.Option(
            "--debug", envvar="NNCALC_DEBUG", help=help_text("Show tracebacks (for bug reports).")
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help=help_text("Print the version.")
        ),
    ] = False,
    max_memory: MaxMemory = None,
    lang: LangOpt = None,
) -> None:
    """A dense layer's forward pass, A = ReLU(X·W + b), with every step shown.

    Try it: nncalc demo
    """
    _state["debug"] = debug
    speak_flags()  # also for CliRunner, which calls the app without main()
    if lang:  # main() has chosen it already; this is for callers of `app` (CliRunner)
        i18n.use(lang.value)


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


def hoist_lang(argv: list[str]) -> list[str]:
    """``--lang zh`` anywhere (before ``--``) is the root's: moved in front, as ``--debug``."""
    cut = argv.index("--") if "--" in argv else len(argv)
    head: list[str] = []
    moved: list[str] = []
    i = 0
    while i < cut:
        take = 2 if argv[i] == "--lang" and i + 1 < cut else int(argv[i].startswith("--lang="))
        if take:
            moved = argv[i : i + take]  # the last one wins, as for any option
        else:
            head.append(argv[i])
        i += take or 1
    return [*moved, *head, *argv[cut:]]


def main(argv: list[str] | None = None) -> None:
    """Like ``app()``, but a usage mistake is one stderr line too, and so is a failing
    stdout outside a command (``--help > /dev/full``); a closed pipe is exit 0.

    ``nncalc.__main__.main`` (the console script) calls this after installing signal
    handlers and stream guards.
    """
    speak_flags()  # the library's hints read as flags here (layout="out-in" in Python)
    args = hoist_lang(hoist_debug(sys.argv[1:] if argv is None else argv))
    i18n.choose(args)  # before the commands are imported: their help is built then
    load_commands(args)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="nncalc", standalone_mode=False)
        sys.stdout.flush()  # a late failure is reported here, not by the interpreter
    except typer.TyperException as e:  # click's UsageError, BadParameter, NoSuchOption…
        message = e.format_message().strip()
        option = getattr(e, "option_name", "") or ""
        if option[1:2].isdigit() or option[1:2] == ".":  # `nncalc forward -1,2,3 …`
            message += i18n._(": numbers that start with '-' as X go last, after '--' "
                              "(nncalc forward -w … -b … -- -1,2,3)")  # fmt: skip
        if message:  # bare `nncalc` has printed the help already: no empty error line
            error(i18n._("{message} (see nncalc --help)").format(message=message))
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
        message = i18n._("cannot install tab completion: {file}: {reason}")
        error(message.format(file=e.filename, reason=e.strerror))
        code = int(ExitStatus.DATA)
    except NncalcError as e:
        if _state["debug"]:
            raise
        error(str(e))
        code = int(e.exit_status)
    sys.exit(code if isinstance(code, int) else 0)
