"""The count pass: every text block counts its lines and data rows on the cluster, so
each block learns the whole-file number of its first line (for error messages) and of
its first row (for the row groups a local run would multiply), and each input its row
count (for the shape check).  Parquet inputs skip it: their footer has the rows."""

from __future__ import annotations

from collections.abc import Callable

from nncalc.core import Network
from nncalc.engines.blocks import line_count, row_count
from nncalc.errors import InputError
from nncalc.formats import Format
from nncalc.i18n import _

from .layout import shape_check
from .records import Block, InputLayout, replace
from .storage import block_bytes


def count_block(block: Block) -> tuple[int, int]:
    """(physical lines, non-blank non-comment lines) of one block."""
    data = block_bytes(block)
    return line_count(data), row_count(data)


NetworkFor = Callable[[str, InputLayout, int | None], Network]


def empty(name: str, layout: InputLayout) -> str:
    """The error line for a text input with no data rows."""
    what = _("only a header (empty input)") if layout.header else _("no numbers (empty input)")
    error = InputError(what, source=name, expected=_("at least one row of numbers"))
    return str(error)


def placed_blocks(
    blocks: list[Block], counts: list[tuple[int, int]], layout: InputLayout
) -> tuple[list[Block], int]:
    """Blocks with their whole-file first line and first row; the input's rows."""
    header_line = layout.header is not None and layout.fmt in (Format.CSV, Format.TSV)
    line, row, out = 1, 0, []
    for b, (lines, rows) in zip(blocks, counts, strict=True):
        if header_line and line <= layout.first_line < line + lines:
            rows -= 1
        out.append(replace(b, first_line=line, first_row=row, rows=rows))
        line += lines
        row += rows
    return [replace(b, total_rows=row) for b in out], row


def fixed(network: Network) -> NetworkFor:
    """One network for every input; an input with other columns is a shape error."""

    def network_for(name: str, layout: InputLayout, rows: int | None) -> Network:
        shape_check(network, name, 1 if rows is None else rows, layout.ncols)
        return network

    return network_for
