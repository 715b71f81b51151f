"""What commands print besides their data: tables on stdout or in a file, the drawn
recipe's notice, and whether stdout and stderr are terminals."""

import sys
from typing import Any

from nncalc.operands import Generated
from nncalc.sink import Sink


def drawn_notice(gen: Generated | None, asked: bool) -> str | None:
    """How W/b were drawn, when asked (--verbose, --show-recipe), when the seed was
    fresh (else the run could never be replayed), and always when -w came without -b: a
    b the user did not give must never be silent."""
    if gen is None:
        return None
    only_b = gen.made_b and not gen.made_w
    if not (asked or gen.fresh or only_b):
        return None
    return ("no -b given: b drawn, " if only_b else "") + gen.caption()


def stdout_is_tty() -> bool:
    return sys.stdout is not None and sys.stdout.isatty()


def stderr_is_tty() -> bool:
    return sys.stderr is not None and sys.stderr.isatty()


def print_items(
    items: list[Any],
    output: str | None,
    force: bool,
    protect: tuple[str, ...] = (),
    *,
    soft_wrap: bool = False,
) -> None:
    """Draw renderables on stdout, or into a file (atomically) as plain text.

    ``soft_wrap`` keeps long lines whole (equations) instead of wrapping at the width.
    """
    from nncalc import render

    if output in (None, "-"):
        console = render.make_console()
        for item in items:
            console.print(item, soft_wrap=soft_wrap)
        return
    import io

    buf = io.StringIO()
    console = render.make_console(buf, width=120)
    for item in items:
        console.print(item, soft_wrap=soft_wrap)
    with Sink(output, protect=protect, force=force) as sink:
        sink.write(buf.getvalue().encode())
