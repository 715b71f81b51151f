"""What commands print besides their data: tables on stdout or in a file, the drawn
recipe's notice, and whether stdout and stderr are terminals."""

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from nncalc.i18n import _
from nncalc.operands import Generated
from nncalc.runner.batch import Outcome
from nncalc.runner.hooks import Hooks, Steps
from nncalc.sink import Sink, Transaction


def drawn_notice(gen: Generated | None, asked: bool) -> str | None:
    """How W/b were drawn, when asked (--verbose, --show-recipe), when the seed was
    fresh (else the run could never be replayed), and always when -w came without -b: a
    b the user did not give must never be silent."""
    if gen is None:
        return None
    only_b = gen.made_b and not gen.made_w
    if not (asked or gen.fresh or only_b):
        return None
    if only_b:
        return _("no -b given: b drawn, {caption}").format(caption=gen.caption())
    return gen.caption()


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
    tx: Transaction | None = None,
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
    if tx is not None:  # committed with the run's other outputs
        tx.open(output, protect=protect, force=force).write(buf.getvalue().encode())
        return
    with Sink(output, protect=protect, force=force) as sink:
        sink.write(buf.getvalue().encode())


def detections(
    verbose: bool, details: list[str] | tuple[str, ...], gen: Generated | None, recipe: bool
) -> None:
    """What was detected, with --verbose; how W/b were drawn when asked (--verbose,
    --show-recipe), or when the seed was fresh (else the run could never be replayed)."""
    from .root import note

    if verbose:
        for d in details:
            note(d)
    notice = drawn_notice(gen, recipe or verbose)
    if notice:
        note(notice)


PROGRESS_MIN_BYTES = 64 << 20


def input_progress(name: str | None, stack: ExitStack) -> Callable[[int], object] | None:
    """A byte-count progress bar for a large input file when stderr is a terminal."""
    if name in (None, "-") or not stderr_is_tty():
        return None
    try:
        size = os.stat(name).st_size
    except OSError:
        return None
    if size < PROGRESS_MIN_BYTES:
        return None
    from nncalc import render

    bar = stack.enter_context(render.progress(enabled=True, bytes_=True))
    task = bar.add_task(Path(name).name, total=size)
    return lambda k: bar.advance(task, k)


@contextmanager
def count_bar(label: str, total: int | None) -> Iterator[Steps]:
    """A progress bar of items (inputs, blocks) on stderr when it is a terminal."""
    from nncalc import render

    with render.progress(enabled=stderr_is_tty()) as bar:
        task = bar.add_task(label, total=total)
        yield Steps(total=lambda n: bar.update(task, total=n), step=lambda: bar.advance(task))


def hooks() -> Hooks:
    """The terminal's side of a run: notes and errors on stderr, bars when it is a tty."""
    from .root import error, note

    return Hooks(note=note, error=error, details=detections, bar=count_bar,
                 on_read=input_progress)  # fmt: skip


def show_outcomes(outcomes: list[Outcome], *, parts: bool = False) -> None:
    """The batch table on stderr: one row per input (a cluster's with its part files)."""
    from nncalc import render

    if parts:
        table = render.parts_table([(o.name, o.shape, str(o.parts), f"{o.seconds:.3f}s",
                                     o.status) for o in outcomes])  # fmt: skip
    else:
        table = render.batch_table([(o.name, o.shape, f"{o.seconds:.3f}s", o.status)
                                    for o in outcomes])  # fmt: skip
    render.make_console(stderr=True).print(table)
