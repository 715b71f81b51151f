"""Everything drawn with Rich: tables, the shape summary, the worked arithmetic.

The only package that imports rich (ruff's banned-api enforces it).  Functions return
renderables; the CLI decides where they are printed.  ``basics`` holds what every table is
made of; ``layer``, ``network`` and ``summaries`` the screens built from it.
"""

from .basics import (
    MAX_COLS,
    MAX_ROWS,
    Elided,
    Labels2D,
    group,
    make_console,
    matrix_table,
    num,
    progress,
    tables_html,
)
from .help import commands_panel, help_page
from .layer import (
    bias_shape,
    explanation,
    forward_tables,
    shape_report,
    shape_table,
    term_line,
    verdict,
)
from .metrics import evaluation_tables
from .network import chain_table, chain_verdict, class_table, network_tables
from .summaries import batch_table, model_summary, parts_table

__all__ = [
    "MAX_COLS",
    "MAX_ROWS",
    "Elided",
    "Labels2D",
    "batch_table",
    "bias_shape",
    "chain_table",
    "commands_panel",
    "chain_verdict",
    "class_table",
    "evaluation_tables",
    "explanation",
    "forward_tables",
    "group",
    "help_page",
    "make_console",
    "matrix_table",
    "model_summary",
    "network_tables",
    "num",
    "parts_table",
    "progress",
    "shape_report",
    "shape_table",
    "tables_html",
    "term_line",
    "verdict",
]
