"""``--help`` for every command: options in their groups' panels, nothing cut at 80
columns (the layout is :mod:`nncalc.render.help`'s; this module reads click's params)."""

from __future__ import annotations

import re
from typing import Any

import typer.core

from nncalc.i18n import N_, _

from .options import ENGINE, GENERAL, INPUT, NETWORK, OUTPUT

ARGUMENTS = N_("Arguments")
PANEL_ORDER = (ARGUMENTS, INPUT, NETWORK, OUTPUT, ENGINE, GENERAL)
# `nncalc --help` lists commands in the course's order, then the tools
COMMAND_ORDER = ("demo", "forward", "evaluate", "explain", "shapes", "draw", "inspect", "random")


def paragraphs(text: str | None) -> list[str]:
    """A docstring's paragraphs, each reflowed into one line (the console wraps it)."""
    if not text:
        return []
    text = text.split("\f")[0]
    return [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]


def summary(text: str | None) -> str:
    """A command's one-sentence summary: its docstring's first sentence."""
    first = paragraphs(text)[:1]
    if not first:
        return ""
    end = re.search(r"\.(\s|$)", first[0])
    return first[0] if end is None else first[0][: end.start() + 1]


def is_argument(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def arg_name(param: Any) -> str:
    return str(param.metavar or param.name.upper())


def usage_of(param: Any) -> str:
    """``X``, ``[X]`` or ``[X]...``, as POSIX usage lines write arguments."""
    name = arg_name(param)
    if not param.required:
        name = f"[{name}]"
    return f"{name}..." if param.nargs == -1 else name


def names_of(param: Any) -> str:
    """``-w, --weights W``: short names first, then long ones, then the metavar."""
    if is_argument(param):
        return arg_name(param)
    opts = sorted(param.opts, key=lambda o: (o.startswith("--"), o))
    text = ", ".join(opts)
    if param.secondary_opts:
        text += " / " + ", ".join(param.secondary_opts)
    metavar = getattr(param, "metavar", None)
    if metavar and not getattr(param, "is_flag", False):
        text += f" {metavar}"
    return text


def _panel(param: Any) -> str:
    if is_argument(param):
        return ARGUMENTS
    return getattr(param, "rich_help_panel", None) or GENERAL


def page(cmd: Any, ctx: Any, tail: str = "") -> Any:
    from nncalc.render.help import Entry, Page

    panels: dict[str, list[Entry]] = {}
    for param in cmd.get_params(ctx):
        if getattr(param, "hidden", False):
            continue
        text = getattr(param, "help", None) or ""
        panels.setdefault(_panel(param), []).append(Entry(names_of(param), text))
    ordered = sorted(panels.items(), key=lambda kv: (
        PANEL_ORDER.index(kv[0]) if kv[0] in PANEL_ORDER else 2.5, kv[0]))  # fmt: skip
    args = [usage_of(p) for p in cmd.get_params(ctx) if is_argument(p)]
    words = " ".join([ctx.command_path, "[OPTIONS]", *args, *filter(None, [tail])])
    titled = [(_(title), entries) for title, entries in ordered]
    return Page(_("Usage: {command}").format(command=words), paragraphs(cmd.help), titled)


def show(items: list[Any]) -> None:
    from nncalc import render

    console = render.make_console()
    for item in items:
        console.print(item)


class Command(typer.core.TyperCommand):
    """A command whose help reads at 80 columns."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from nncalc import render

        show(render.help_page(page(self, ctx), render.make_console().width))


class Group(typer.core.TyperGroup):
    """The root: its usage, the commands with their summaries, its own options."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        from nncalc import render
        from nncalc.render.help import Entry

        width = render.make_console().width
        items = render.help_page(page(self, ctx, "COMMAND [ARGS]..."), width)
        commands = [self.get_command(ctx, name) for name in sorted(self.list_commands(ctx),
                                                                    key=_rank)]  # fmt: skip
        rows = [Entry(c.name or "", summary(c.short_help or c.help)) for c in commands if c]
        items.insert(len(items) - 1, render.commands_panel(rows, width))
        show(items)


def _rank(name: str) -> tuple[int, str]:
    return (COMMAND_ORDER.index(name) if name in COMMAND_ORDER else len(COMMAND_ORDER), name)
