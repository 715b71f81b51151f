"""The rows a table shows of a long X, kept while the rows go by.

Tables show a long X's first and last rows; a stream sees every row once.  Both keep the
same rows the same way: the first ``group`` rows, and the rows from the last multiple of
``group`` before the ``shown`` last ones (whole row blocks of a stream, so what a table
shows of them is what a stream computes for them).  Rows between are counted and let go.
"""

from __future__ import annotations

import numpy as np

from nncalc import i18n
from nncalc.errors import InputError


class ShownRows:
    """Fed every block of X in order; then :meth:`rows` gives what a table shows."""

    def __init__(self, source: str, group: int = 4096, shown: int = 6) -> None:
        from nncalc import limits

        self.source, self.group, self.shown = source, group, shown
        self.room = limits.budget() // 4
        self.head: list[np.ndarray] = []
        self.tail: list[np.ndarray] = []
        self.m = self.tail_start = 0
        self.single: np.ndarray | None = None  # one sample (a flat list): nothing to elide

    def add(self, block: np.ndarray) -> None:
        from nncalc import limits

        if block.ndim < 2:
            self.single, self.m = block, 1
            return
        group = self.group
        taken = max(0, min(len(block), group - self.m))
        if taken:  # a copy: the caller may reuse or let go of the block (≤ group rows)
            self.head.append(block[:taken].copy())
        self.tail.append(block)
        self.m += len(block)
        if self.m > 3 * group:  # else every row is kept: a small X is shown whole
            cut = (self.m // group - 1) * group  # the last whole group before m starts here
            while self.tail and self.tail_start + len(self.tail[0]) <= cut:
                self.tail_start += len(self.tail.pop(0))
            if self.tail_start < cut:  # keep a copy of the rows still needed, not the block
                self.tail[0] = self.tail[0][cut - self.tail_start :].copy()
                self.tail_start = cut
        held = sum(b.nbytes for b in self.head) + sum(b.nbytes for b in self.tail)
        if held > self.room:
            raise limits.refuse(
                i18n._("X's rows for tables (more than {size})").format(
                    size=limits.human(self.room)
                ),
                source=self.source,
                why=i18n._("piped or with --format, rows stream and any number fit"),
            )

    def rows(self) -> tuple[np.ndarray, int, int | None]:
        """``(values, m, tail)``: every row when X is small (``tail`` None), else the first
        group's rows then the last rows, ``tail`` of them."""
        if self.single is not None:
            return self.single, 1, None
        if not self.m:
            raise InputError(i18n._("no numbers found (empty input)"), source=self.source)
        if self.m <= 3 * self.group:
            whole = self.tail[0] if len(self.tail) == 1 else np.concatenate(self.tail)
            return whole, self.m, None
        start = (self.m - self.shown) // self.group * self.group
        rows = np.concatenate(self.tail)[start - self.tail_start :]
        return np.concatenate([*self.head, rows]), self.m, len(rows)
