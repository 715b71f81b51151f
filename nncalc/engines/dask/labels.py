"""A labels file on the cluster (``evaluate --engine dask --labels FILE``): cut into
blocks at line starts and counted by tasks, so each block of X learns which lines hold
its rows' labels (:class:`LabelSlice`) and reads only those blocks of the file."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncalc.errors import InputError, UsageError, cannot_open
from nncalc.i18n import N_, _

from .batch import describe
from .records import Block, Settings
from .storage import block_bytes, expand


@dataclass(frozen=True, kw_only=True)
class LabelSlice:
    """Labels ``skip`` to ``skip + take`` (counted from 0) of one block of a labels file,
    whose first line is ``first_line``."""

    block: Block
    first_line: int
    skip: int
    take: int


def count_labels(block: Block) -> tuple[int, int]:
    """(physical lines, labels) of one block of a labels file."""
    from nncalc.engines.blocks import line_count
    from nncalc.formats.labels import text_labels

    data = block_bytes(block)
    return line_count(data), len(text_labels(data, 1 if block.offset == 0 else 2)[0])


def slice_labels(slices: list[LabelSlice]) -> Iterator[tuple[list[Any], np.ndarray]]:
    """The labels the slices name, a block at a time: (texts, line numbers)."""
    from nncalc.formats.labels import text_labels

    for s in slices:
        texts, lines = text_labels(block_bytes(s.block), s.first_line)
        yield texts[s.skip : s.skip + s.take], lines[s.skip : s.skip + s.take]


def label_file(name: str, settings: Settings) -> tuple[str, Any, str]:
    """The labels file as the workers will open it: (shown name, filesystem, path)."""
    if name == "-":
        raise UsageError(_("--engine dask reads files and URLs, not stdin ('-')"))
    found = expand([name], settings.storage_options)
    if len(found) != 1:
        raise UsageError(_("--labels names one file; {name} names {count}").format(
            name=name, count=len(found)))  # fmt: skip
    shown, fs, path = found[0]
    try:
        there = fs.isfile(path)
    except Exception as e:
        raise InputError(describe(e, shown)) from None
    if not there:
        raise cannot_open(FileNotFoundError(path), shown, N_("labels file"))
    return shown, fs, path


def label_slices(
    name: str, blocks: list[Block], counts: list[tuple[int, int]], placed: list[Block]
) -> list[list[LabelSlice]]:
    """For each block of X, the slices of the labels file that hold its rows' labels;
    as many labels as rows, or the local run's error line saying both counts."""
    from nncalc.formats.labels import miscount, text_labels

    starts, line, n = [], 1, 0  # each label block's first line and first label
    for lines, labels in counts:
        starts.append((line, n))
        line, n = line + lines, n + labels
    rows = placed[-1].total_rows
    if n < rows:
        raise miscount(name, n, rows)
    if n > rows:  # the line of the first label too many
        k = next(j for j, ((_l, first), (_n, count)) in enumerate(zip(starts, counts, strict=True))
                 if first <= rows < first + count)  # fmt: skip
        where = text_labels(block_bytes(blocks[k]), starts[k][0])[1][rows - starts[k][1]]
        raise miscount(name, n, rows, int(where))
    out = []
    for b in placed:
        lo, hi = b.first_row, b.first_row + b.rows
        out.append([LabelSlice(block=lb, first_line=first_line, skip=max(0, lo - first),
                               take=min(hi, first + count) - max(lo, first))
                    for lb, (first_line, first), (_lines, count) in zip(blocks, starts, counts,
                                                                   strict=True)
                    if count and first < hi and lo < first + count])  # fmt: skip
    return out
