"""``evaluate --engine dask``: each block of X parsed where it lies (the count pass),
then scored there against its label cells into a few numbers — its confusion counts,
its loss's sums of whole 4,096-row blocks and the loss of each row at its two ends
(:class:`nncalc.core.metrics.Part`) — which the client merges in row order into the
local engine's very bits.  No row, output or label travels to the client."""

from __future__ import annotations

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

from .batch import can_read, check_settings, describe, parsed_blocks
from .cluster import (
    client_for,
    close,
    cluster_lost,
    drain,
    lost,
    quiet,
    scheduler_address,
    start_fork_server,
)
from .count import empty
from .layout import cut, layout_of
from .records import Block, ClusterError, EvalSpec, Parsed, Progress, Settings, replace
from .score import blas_threads, parse_block, summary
from .storage import expand

# the input's name, layout and rows → its network and what its tasks share
Prepare = Callable[[str, Any, int], tuple[Network, EvalSpec]]


def score_labelled(
    parsed: Parsed, block: Block, name: str, spec: EvalSpec, network: Network
) -> Part | str:
    """One parsed block through the network, scored against its --label-column cells:
    its :class:`Part`, or the error's one line (rows counted in the whole input)."""
    from threadpoolctl import threadpool_limits

    from nncalc.core.metrics import LOSSES, Evaluation
    from nncalc.engines import local
    from nncalc.formats.labels import Parser, column_labels

    ev = Evaluation(LOSSES[spec.loss], spec.k, spec.threshold, start=block.first_row)
    labels = column_labels(Parser(spec.k, spec.names, spec.width), name,
                           deque(parsed.ids or []), block.first_row)  # fmt: skip
    try:
        with ExitStack() as stack:
            stack.enter_context(threadpool_limits(limits=spec.blas_threads, user_api="blas"))
            stack.enter_context(np.errstate(all="ignore"))
            outputs = local.run(iter(parsed.chunks), network, stack, finite=spec.finite,
                                first_row=block.first_row)  # fmt: skip
            for a in local.located(outputs, name):
                y = labels.take(len(a))
                assert y is not None, "a label cell for every row"
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
) -> list[Part]:
    """Score one CSV/TSV input on the cluster; each block's :class:`Part`, in row order.

    ``options.id_column`` is the label column.  ``prepare(name, layout, rows)`` builds
    the network once the rows are counted (a local run's shape errors and --verbose
    lines).  An error in the data is the first one a whole read would meet, as one
    :class:`InputError`; the cluster's own failure a :class:`ClusterError`."""
    progress = progress or Progress()
    check_settings(settings)
    if scheduler_address(settings) is None:
        start_fork_server()  # our workers' imports run while the input is looked at
    inputs = expand([name], settings.storage_options)
    if len(inputs) != 1:
        raise UsageError(_("evaluate scores one input; {name} names {count}").format(
            name=name, count=len(inputs)))  # fmt: skip
    shown, fs, path = inputs[0]
    try:
        layout = layout_of(fs, path, shown, options)
    except NncalcError:
        raise
    except Exception as e:
        raise InputError(describe(e, shown)) from None
    if layout.fmt not in (Format.CSV, Format.TSV):
        raise UsageError(_("--id-column reads CSV or TSV inputs; {name} is {format}").format(
            name=shown, format=layout.fmt.value))  # fmt: skip
    blocks = cut(0, fs, path, settings.blocksize, layout)
    progress.total(2 * len(blocks))
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
        parsed = [client.submit(parse_block, b, shown, layout, pure=False, retries=retries)
                  for b in blocks]  # fmt: skip
        futures += parsed
        counted = [client.submit(summary, p, pure=False) for p in parsed]
        futures += counted
        placed = parsed_blocks(blocks, landed(client, counted, shown, progress), shown)
        if isinstance(placed, tuple):  # the first error a whole read meets
            raise InputError(placed[1])
        rows = placed[-1].total_rows
        if rows == 0:
            raise InputError(empty(shown, layout))
        network, spec = prepare(shown, layout, rows)
        from nncalc.engines.local import blas_cap

        spec = replace(spec, blas_threads=blas_cap(network) or blas_threads())
        [sent] = client.scatter([network], broadcast=True)
        scored = [client.submit(score_labelled, p, b, shown, spec, sent, pure=False,
                                retries=retries)
                  for p, b in zip(parsed, placed, strict=True)]  # fmt: skip
        # only the scores are held: a block's rows are released once it is scored
        futures = scored
        del parsed, counted
        found = landed(client, scored, shown, progress)
    except BaseException:  # Ctrl-C, the cluster lost, a bad row: stop its work first
        client.cancel(futures)
        quiet()
        if cluster is None:  # a cluster we leave running: its running tasks still finish
            drain(client, {f.key for f in futures})
        close(client, cluster)
        raise
    close(client, cluster)
    for part in found:
        if isinstance(part, str):  # the lowest block's: the first a local run meets
            raise InputError(part)
    return found


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
