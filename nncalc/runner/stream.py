"""The stream runner: X read, computed and written chunk by chunk (data output), so memory
stays bounded and output starts before the input ends."""

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from itertools import chain
from typing import NamedTuple

import numpy as np

from nncalc.core import Network
from nncalc.errors import ShapeError
from nncalc.formats import Format
from nncalc.formats.shown import ShownRows
from nncalc.operands import Operands, gather, stream_inputs
from nncalc.operands.sources import Shown
from nncalc.sink import Sink, Transaction

from .hooks import Hooks
from .job import Job, fits, out_header, saving


class Streamed(NamedTuple):
    """What a stream ran: its rows, the output's width, and (when asked) the rows a
    table would show, kept as they went by (for --report)."""

    m: int
    p: int
    net: Network
    ops: Operands
    shown: Shown | None = None


def run_stream(
    job: Job,
    fmt: Format,
    output: str | None,
    hooks: Hooks,
    *,
    keep_shown: bool = False,
    on_network: Callable[[Network], None] | None = None,
    tx: Transaction | None = None,
    within: str | None = None,
) -> Streamed:
    """Stream X through the network into ``output`` (stdout when None); ``on_network``
    may still refuse the run once the network is known, before any output.  With
    ``tx``, the output and the saved parameters are committed with the run's other
    outputs (--report), when the caller's transaction ends.  ``within`` is a folder nncalc
    names the output in (--out-dir): no link there is followed."""
    from nncalc.engines.step import Encoding, encode

    rows_seen = 0
    kept: ShownRows | None = None

    def counted(blocks: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        nonlocal rows_seen
        for b in blocks:
            rows_seen += len(b)
            if kept is not None:
                kept.add(b)
            yield b

    with ExitStack() as stack:
        progress = hooks.on_read(job.req.inputs, stack)
        reader, blocks, first, from_file = stream_inputs(job.req, stack, progress)
        single = first.ndim < 2
        x_shape = first.shape if single else (len(first), first.shape[1])
        ops = gather(job.req, x_shape, reader.source, from_file, stack)
        try:
            net = job.network(x_shape, ops)[0]
        except ShapeError:
            if single:
                raise
            # Only the first rows are in hand; count the rest so the message (and its
            # hint about a transposed X) speaks of the real number of samples.
            m = len(first) + sum(len(b) for b in blocks)
            job.network((m, first.shape[1]), ops)
            raise
        if on_network is not None:
            on_network(net)
        fits(net)
        hooks.details(
            job.verbose, [reader.detected(), *ops.details], ops.generated, job.show_recipe
        )
        stack.enter_context(saving(job, net, ops, tx))  # kept only if the stream completes
        p = job.width(net)
        header = out_header(job, reader.header, ops, p)
        collector = ShownRows(reader.source) if keep_shown else None
        if collector is not None and single:
            collector.add(first)  # one sample is drawn as one, not as a 1×n matrix
        else:
            kept = collector
        rows = counted(chain([np.atleast_2d(first)], blocks))
        how = Encoding(fmt=fmt, header=header, one_row=single, upto=job.upto,
                       argmax=job.argmax, classes=job.classes,
                       finite=not job.req.read.allow_nonfinite, ids=reader.ids,
                       id_name=reader.id_name, threshold=job.cut)  # fmt: skip
        encoded = encode(rows, net, how, stack, reader.source)
        with ExitStack() as out:
            protect = job.protect(ops)
            follow = within is None
            if tx is not None:
                sink = tx.open(output, protect=protect, force=job.force, follow_links=follow,
                               within=within)  # fmt: skip
            else:
                sink = out.enter_context(Sink(output, protect=protect, force=job.force,
                                              follow_links=follow, within=within))  # fmt: skip
            out.enter_context(np.errstate(all="ignore"))
            for data in encoded:
                sink.write(data)
    shown = None
    if collector is not None:
        values, m, tail = collector.rows()
        shown = Shown(reader.matrix_of(values), m, tail)
    return Streamed(rows_seen, p, net, ops, shown)
