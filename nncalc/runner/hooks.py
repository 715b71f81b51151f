"""What a run tells its user, as callbacks: the CLI prints notes and draws progress bars
on stderr; a caller from Python may pass none of it.  No terminal code here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nncalc.operands import Generated


@dataclass(frozen=True, kw_only=True)
class Steps:
    """A progress bar's two moves: its total once known, one step done."""

    total: Callable[[int], object] = lambda n: None
    step: Callable[[], object] = lambda: None


@contextmanager
def _no_bar(label: str, total: int | None) -> Iterator[Steps]:
    yield Steps()


def _silent(message: str) -> None:
    return None


@dataclass(frozen=True, kw_only=True)
class Hooks:
    """``note`` and ``error`` say one line each; ``details(verbose, detected, generated,
    show_recipe)`` hears what was detected and how W/b were drawn (the CLI decides what
    of it to print); ``bar(label, total)`` is a
    progress bar for a batch or a cluster run; ``on_read(name, stack)`` may return a
    callback told the size of every read of one input (a byte-count bar)."""

    note: Callable[[str], object] = _silent
    error: Callable[[str], object] = _silent
    details: Callable[[bool, list[str] | tuple[str, ...], Generated | None, bool], object] = (
        lambda verbose, details, generated, recipe: None
    )
    bar: Callable[[str, int | None], AbstractContextManager[Steps]] = _no_bar
    on_read: Callable[[str | None, ExitStack], Callable[[int], object] | None] = field(
        default=lambda name, stack: None
    )
