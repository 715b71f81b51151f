"""``nncalc evaluate`` on a terminal: the loss with its formula, accuracy, the confusion
matrix with the classes' names, and each class's precision, recall, F1 and support."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text

from nncalc.i18n import N_, _

from .basics import num


def evaluation_tables(doc: dict[str, Any], precision: int = 4) -> list[RenderableType]:
    """Tables for an evaluation given as its JSON object (runner.evaluate.as_json)."""
    t = Table(title=_("Evaluation"), title_justify="left", show_header=False)
    t.add_column(style="bold")
    t.add_column()
    t.add_row(_("samples"), str(doc["samples"]))
    t.add_row(_("loss ({name})").format(name=doc["loss_name"]), num(doc["loss"], precision))
    t.add_row("", Text(_(doc["loss_formula"]), style="dim"))  # JSON holds the English
    if "accuracy" in doc:
        right = round(doc["accuracy"] * doc["samples"])
        t.add_row(
            _("accuracy"),
            _("{value} ({right} of {total})").format(
                value=num(doc["accuracy"], precision), right=right, total=doc["samples"]
            ),
        )
    items: list[RenderableType] = [t]
    if "confusion" in doc:
        items += [confusion_table(doc["classes"], doc["confusion"]),
                  per_class_table(doc["per_class"], precision)]  # fmt: skip
    return items


def confusion_table(classes: Sequence[Any], confusion: Sequence[Sequence[int]]) -> Table:
    t = Table(title=_("Confusion matrix"), title_justify="left", header_style="bold")
    t.add_column(_("true \\ predicted"), style="bold")
    for c in classes:
        t.add_column(str(c), justify="right")
    for i, (c, row) in enumerate(zip(classes, confusion, strict=True)):
        t.add_row(str(c), *(Text(str(v), style="green" if i == j else "") for j, v in
                            enumerate(row)))  # fmt: skip
    return t


def per_class_table(rows: Sequence[dict[str, Any]], precision: int = 4) -> Table:
    t = Table(title=_("Per class"), title_justify="left", header_style="bold")
    for col in (N_("class"), N_("precision"), N_("recall"), "F1", N_("support")):
        t.add_column(_(col), justify="left" if col == "class" else "right")
    for r in rows:
        t.add_row(str(r["class"]), num(r["precision"], precision), num(r["recall"], precision),
                  num(r["f1"], precision), str(r["support"]))  # fmt: skip
    return t
