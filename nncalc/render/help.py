"""A command's ``--help`` as Rich renderables that read at 80 columns.

Typer's own layout gives each option three columns (names, type, help), which at 80
columns leaves the help ~20 characters and cuts long entries with "…".  Here an option
has two columns, its names (at most a third of the width) and its help, which wraps;
nothing is cut, and no line is wider than the console.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from rich.console import RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from nncalc.i18n import _

NAMES_WIDTH = 24  # the names column at most (a longer name folds)


class Entry(NamedTuple):
    """One option or argument: its names (``-w, --weights W``) and its help."""

    names: str
    help: str


class Page(NamedTuple):
    """Everything a help screen says, in order."""

    usage: str
    paragraphs: Sequence[str]
    panels: Sequence[tuple[str, Sequence[Entry]]]


def help_page(page: Page, width: int) -> list[RenderableType]:
    """The usage line, the description's paragraphs, then one panel per group."""
    items: list[RenderableType] = [Text(page.usage, style="bold"), Text("")]
    for para in page.paragraphs:
        items.append(Padding(Text(para), (0, 0, 1, 1)))
    inner = max(20, width - 4)  # a panel's border and padding
    for title, entries in page.panels:
        items.append(Panel(_entries(entries, inner), title=title, title_align="left",
                           border_style="dim", width=width))  # fmt: skip
    return items


def _entries(entries: Sequence[Entry], width: int) -> Table:
    names = min(NAMES_WIDTH, max(len(e.names) for e in entries))
    table = Table.grid(padding=(0, 2), expand=True)
    table.add_column(width=min(names, width // 3))
    table.add_column(ratio=1, overflow="fold")
    for e in entries:  # a name longer than the column folds: it is never cut
        table.add_row(Text(e.names, style="bold cyan", overflow="fold"), Text(e.help))
    return table


def commands_panel(rows: Sequence[Entry], width: int) -> Panel:
    """The root's list of commands, each with its one-sentence summary."""
    return Panel(_entries(rows, width - 4), title=_("Commands"), title_align="left",
                 border_style="dim", width=width)  # fmt: skip
