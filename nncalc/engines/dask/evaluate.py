"""``evaluate --engine dask``: each block of X parsed where it lies (the count pass),
then scored there against its labels into a few numbers — its confusion counts, its
loss's sums of whole 4,096-row blocks and the loss of each row at its two ends
(:class:`nncalc.core.metrics.Part`) — which the client merges in row order into the
local engine's very bits.  No row, output or label travels to the client.

The labels are X's own cells (``--label-column``), or a labels file cut into as many
blocks as X, counted on the cluster too: each block of X then reads the few blocks of
the file that hold its rows' labels (:class:`LabelSlice`)."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import numpy as np

from nncalc.core import Network
from nncalc.core.metrics import Part
from nncalc.errors import InputError, NncalcError, UsageError
from nncalc.formats import Format, ReadOptions
from nncalc.i18n import _

from .batch import can_read, check_settings, describe, parsed_blocks, slow_blocks
from .cluster import (
    client_for,
    close,
    cluster_lost,
    lost,
    quiet,
    scheduler_address,
    start_fork_server,
)
from .count import count_block, empty, placed_blocks
from .labels import LabelSlice, count_labels, label_file, label_slices, slice_labels
from .layout import cut, layout_of
from .records import (
    FAST_BLOCKSIZE,
    MIN_BLOCKSIZE,
    Block,
    ClusterError,
    EvalSpec,
    InputLayout,
    Parsed,
    Progress,
    Settings,
    replace,
)
from .score import blas_threads, parse_block, read_rows, summary
from .storage import expand

# the input's name, layout and rows → its network and what its tasks share
Prepare = Callable[[str, InputLayout, int], tuple[Network, EvalSpec]]


def score_labelled(
    parsed: Parsed | None,
    block: Block,
    name: str,
    layout: InputLayout,
    spec: EvalSpec,
    network: Network,
    label_file: tuple[str, list[LabelSlice]] | None = None,
) -> Part | str:
    """One block through the network (its rows ``parsed`` already, a CSV/TSV block's,
    or read here), scored against its labels — its --label-column cells, or
    ``label_file``'s (its name, and the slices that hold this block's labels): its
    :class:`Part`, or the error's one line (rows counted in the whole input, labels by
    their line in the file)."""
    from threadpoolctl import threadpool_limits

    from nncalc.core.metrics import LOSSES, Evaluation
    from nncalc.engines import local
    from nncalc.formats.labels import Labels, Parser, column_labels, parse

    ev = Evaluation(LOSSES[spec.loss], spec.k, spec.threshold, start=block.first_row)
    parser = Parser(spec.k, spec.names, spec.width)
    if label_file is None:
        assert parsed is not None, "a label column is read by the CSV/TSV parse"
        labels = column_labels(parser, name, deque(parsed.ids or []), block.first_row)
    else:
        chunks = (parse(parser, *chunk) for chunk in slice_labels(label_file[1]))
        labels = Labels(parser, label_file[0], lambda: next(chunks, None))
    try:
        with ExitStack() as stack:
            stack.enter_context(threadpool_limits(limits=spec.blas_threads, user_api="blas"))
            stack.enter_context(np.errstate(all="ignore"))
            xs = read_rows(block, name, layout) if parsed is None else iter(parsed.chunks)
            outputs = local.run(xs, network, stack, finite=spec.finite,
                                first_row=block.first_row)  # fmt: skip
            for a in local.located(outputs, name):
                y = labels.take(len(a))
                assert y is not None, "the count pass gave every row its label"
                ev.add(a, y)
    except NncalcError as e:
        return str(e.located(name) if isinstance(e, InputError) else e)
    return ev.part()


def evaluate(
    name: str,
    options: ReadOptions,
    settings: Settings,
    prepare: Prepare,
    progress: Progress | None = None,
    labels: str | None = None,
) -> list[Part]:
    """Score one input on the cluster; each block's :class:`Part`, in row order.

    The labels are the file ``labels``, else ``options.id_column`` is the label column
    (of a CSV or TSV input).
    ``prepare(name, layout, rows)`` builds the network once the rows are counted (a
    local run's shape errors and --verbose lines).  An error in the data is the first
    one a whole read would meet, as one :class:`InputError`; the cluster's own failure
    a :class:`ClusterError`."""
    progress = progress or Progress()
    check_settings(settings)
    if scheduler_address(settings) is None:
        start_fork_server()  # our workers' imports run while the input is looked at
    inputs = expand([name], settings.storage_options)
    if len(inputs) != 1:
        raise UsageError(_("evaluate scores one input; {name} names {count}").format(
            name=name, count=len(inputs)))  # fmt: skip
    shown, fs, path = inputs[0]
    layout = read_layout(fs, path, shown, options)
    file = None if labels is None else label_file(labels, settings)
    text = layout.fmt in (Format.CSV, Format.TSV)
    if file is None and not text:  # as a local run says it
        raise UsageError(_("--id-column reads CSV or TSV inputs; {name} is {format}").format(
            name=shown, format=layout.fmt.value))  # fmt: skip
    blocks = cut(0, fs, path, settings.blocksize, layout)
    if file is not None:  # as many blocks as X's, so each block of X reads one or two
        size = file[1].size(file[2])
        file_blocks = cut(1, file[1], file[2], max(MIN_BLOCKSIZE, -(-size // len(blocks))))
    else:
        file_blocks = []
    slow = settings.blocksize < FAST_BLOCKSIZE and layout.fmt is not Format.PARQUET
    if slow and len(blocks) > 1:
        progress.warn(slow_blocks())
    progress.total(2 * len(blocks) + len(file_blocks))
    client, cluster = client_for(settings, progress.say)
    futures: list[Any] = []
    try:
        try:
            client.submit(can_read, fs, path, pure=False).result()
        except Exception as e:
            if lost(client, e):
                raise cluster_lost(client, e) from None
            raise ClusterError(_("a worker cannot read the inputs: {why}").format(
                why=describe(e, shown))) from None  # fmt: skip
        retries = settings.retries
        parsed: list[Any] = [None] * len(blocks)
        if text:  # parsed once, its rows kept on the worker until scored
            parsed = [client.submit(parse_block, b, shown, layout, pure=False, retries=retries)
                      for b in blocks]  # fmt: skip
            counted = [client.submit(summary, p, pure=False) for p in parsed]
        elif layout.rows is None:  # NDJSON: its rows counted, then read again
            counted = [client.submit(count_block, b, pure=False, retries=retries)
                       for b in blocks]  # fmt: skip
        else:  # Parquet, JSON: the rows are known
            counted = []
        futures += [*parsed, *counted]
        in_file = [client.submit(count_labels, b, pure=False, retries=retries)
                   for b in file_blocks]  # fmt: skip
        futures += in_file
        placed = placed_rows(shown, layout, blocks, landed(client, counted, shown, progress))
        rows = placed[-1].total_rows
        network, spec = prepare(shown, layout, rows)
        slices: list[tuple[str, list[LabelSlice]] | None] = [None] * len(placed)
        if file is not None:
            counts = landed(client, in_file, file[0], progress)
            slices = [(file[0], s) for s in label_slices(file[0], file_blocks, counts, placed)]
        from nncalc.engines.local import blas_cap

        spec = replace(spec, blas_threads=blas_cap(network) or blas_threads())
        [sent] = client.scatter([network], broadcast=True)
        scored = [client.submit(score_labelled, p, b, shown, layout, spec, sent, s,
                                pure=False, retries=retries)
                  for p, b, s in zip(parsed, placed, slices, strict=True)]  # fmt: skip
        # only the scores are held: a block's rows are released once it is scored
        futures = scored
        del parsed, counted, in_file
        found = landed(client, scored, shown, progress)
    except BaseException as e:  # a bad row or label, the cluster lost, Ctrl-C
        # the tasks write nothing: a running one may finish on a cluster left running
        with contextlib.suppress(Exception):
            client.cancel(futures)
        if not isinstance(e, NncalcError):
            quiet()  # an interrupted cluster shuts down loudly
        close(client, cluster)
        raise
    close(client, cluster)
    for part in found:
        if isinstance(part, str):  # the lowest block's: the first a local run meets
            raise InputError(part)
    return found


def placed_rows(
    name: str, layout: InputLayout, blocks: list[Block], counts: list[Any]
) -> list[Block]:
    """The blocks with their first rows (from the count pass: ``counts``, none when the
    layout knew the rows); the first error a whole read meets, or no rows, raised."""
    if layout.fmt in (Format.CSV, Format.TSV):
        placed = parsed_blocks(blocks, counts, name)
        if isinstance(placed, tuple):
            raise InputError(placed[1])
    elif counts:
        placed = placed_blocks(blocks, counts, layout)[0]
    else:
        placed = blocks
    if not placed or placed[-1].total_rows == 0:
        raise InputError(empty(name, layout))
    return placed


def read_layout(fs: Any, path: str, name: str, options: ReadOptions) -> InputLayout:
    """X's layout, or the one line for an input that cannot be read."""
    try:
        return layout_of(fs, path, name, options)
    except NncalcError:
        raise
    except Exception as e:
        raise InputError(describe(e, name)) from None


def landed(client: Any, futures: list[Any], name: str, progress: Progress) -> list[Any]:
    """Each task's result in task order, the bar stepped as each lands.  A task that
    raised is the input's error (the lowest block's), a lost scheduler a ClusterError."""
    from distributed import KilledWorker, as_completed

    index = {f.key: k for k, f in enumerate(futures)}
    out: list[Any] = [None] * len(futures)
    failed: dict[int, str] = {}
    for fut in as_completed(futures):
        progress.step()
        k = index[fut.key]
        try:
            out[k] = fut.result()
        except KilledWorker as e:  # workers died on this block again and again
            failed[k] = _("{name}: block {block} lost its worker too often ({why})").format(
                name=name, block=k, why=e
            )
        except Exception as e:
            if lost(client, e):
                raise cluster_lost(client, e) from None
            failed[k] = describe(e, name)
    if failed:
        raise InputError(failed[min(failed)])
    return out
