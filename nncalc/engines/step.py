"""The one step every engine runs: rows of X through the network, into the writer's
bytes.  The local stream runs it over a whole input; a Dask task over its block; both
get the same bytes for the same rows because this is the only place that turns rows
into output."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np

from nncalc.core import Network
from nncalc.formats import Format


@dataclass(frozen=True, kw_only=True)
class Encoding:
    """How outputs become bytes: the format, the header, and what each row shows."""

    fmt: Format
    header: list[str] | None = None
    one_row: bool = False  # one sample (a flat list in, a flat list out)
    upto: int | None = None  # layer K's A instead of the last layer's
    argmax: bool = False  # each sample's class instead of its outputs
    classes: tuple[str, ...] | None = None
    finite: bool = True  # refuse a Z that overflows
    ids: deque[list[str]] | None = None  # --id-column: each block's labels, in order
    id_name: str | None = None
    threshold: float = 0.5  # --argmax on one probability output: class 1 above it
    first_row: int = 0  # the rows' place in their input (a Dask block's), for errors


def encode(
    rows: Iterable[np.ndarray],
    network: Network,
    how: Encoding,
    stack: ExitStack,
    source: str,
) -> Iterator[bytes | memoryview]:
    """The output's bytes for ``rows`` (blocks of m_i×n), in order; errors from
    computing them (an overflowing Z) name ``source``."""
    from nncalc.formats.write import LabelWriter, Writer

    from . import local

    outputs = local.located(
        local.run(rows, network, stack, how.upto, finite=how.finite, first_row=how.first_row),
        source,
    )
    if how.argmax:
        classes = None if how.classes is None else list(how.classes)
        return LabelWriter(how.fmt, classes, how.header, how.ids, how.id_name).encode(
            local.argmax(outputs, how.threshold)
        )
    return Writer(how.fmt, header=how.header, one_row=how.one_row, ids=how.ids,
                  id_name=how.id_name).encode(outputs)  # fmt: skip
