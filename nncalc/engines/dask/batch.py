"""One run: every input's layout and blocks, the count pass, the score pass, then each
input's ``_SUCCESS`` (or its parts removed, when a block failed) and its outcome."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import PurePosixPath
from typing import Any

from nncalc.core import Network
from nncalc.errors import NncalcError, UsageError
from nncalc.formats import ReadOptions

from .cluster import client_for, close, drain, start_fork_server
from .count import NetworkFor, fixed, place
from .layout import cut, layout_of
from .records import OUTPUT_FORMATS, SUCCESS, Block, Job, Layout, Outcome, Progress, Settings
from .score import submit
from .storage import clear, expand, join, put, results_in


def run(
    names: Sequence[str],
    out: str,
    network: Network | None,
    options: ReadOptions,
    fmt: str,
    out_header: Callable[[Layout], list[str] | None],
    settings: Settings | None = None,
    *,
    network_for: NetworkFor | None = None,
    force: bool = False,
    upto: int | None = None,
    argmax: bool = False,
    classes: list[str] | None = None,
    threshold: float = 0.5,
    progress: Progress | None = None,
    expanded: list[tuple[str, Any, str]] | None = None,
) -> list[Outcome]:
    """Forward every input on a Dask cluster into ``out/<stem>/part-NNNNN.<fmt>``.

    ``out_header(layout)`` names the output columns (None: no header line), given what
    was detected in the input.  ``network_for(name, layout, rows)`` builds each input's
    network (default: ``network`` for every input).  Returns one :class:`Outcome` per
    input, in input order.  ``expanded`` is what :func:`expand` already gave for
    ``names`` (the caller listed them): a remote glob is listed once.
    """
    from fsspec.core import url_to_fs

    settings = settings or Settings()
    progress = progress or Progress()
    if settings.scheduler is None:
        start_fork_server()  # our workers' imports run while the inputs are looked at
    if network_for is None:
        assert network is not None, "a network, or network_for"
        network_for = fixed(network)
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"--engine dask writes csv, tsv, ndjson or parquet parts, not {fmt}")
    if settings.blocksize < 1:
        raise UsageError("--blocksize must be at least 1 byte")
    so = settings.storage_options
    inputs = expand(names, so) if expanded is None else expanded
    out_fs, root = url_to_fs(out, **(so or {}))
    folders: list[str] = []
    seen: dict[str, str] = {}
    for shown, _, path in inputs:
        stem = PurePosixPath(path).stem
        if stem in seen:
            raise UsageError(f"{seen[stem]} and {shown} would both write {join(out, stem)}")
        seen[stem] = shown
        folder = join(root, stem)
        if results_in(out_fs, folder) and not force:
            raise UsageError(f"{join(out, stem)} already holds results; refusing to replace "
                             "them (use --force)")  # fmt: skip
        folders.append(folder)
    for folder in folders:
        clear(out_fs, folder, parts=True)
        out_fs.makedirs(folder, exist_ok=True)

    started = time.perf_counter()
    errors: dict[int, tuple[int, str]] = {}  # input → (block index, message), the first
    layouts: dict[int, Layout] = {}
    for i, (shown, fs, path) in enumerate(inputs):
        try:
            layouts[i] = layout_of(fs, path, shown, options)
        except NncalcError as e:
            if isinstance(e, UsageError):
                raise
            errors[i] = (-1, str(e))
    client, cluster = client_for(settings)
    futures: list[Any] = []
    try:
        rows_of, parts_of, seconds = _compute(
            client, inputs, layouts, errors, network_for, out_header, settings, out_fs, folders,
            Job(None, fmt, None, upto, None, argmax, classes, not options.allow_nonfinite,
                threshold),
            progress, futures,
        )  # fmt: skip
    except BaseException:  # Ctrl-C, or a bug: stop the cluster's work before cleaning up
        with contextlib.suppress(Exception):
            client.cancel(futures)
        # an interrupted cluster shuts down loudly (the scheduler logs every message it
        # can no longer send): the one line nncalc prints is the message
        import logging

        # distributed's and tornado's loggers (tornado logs an exception from the cancel
        # callback that an interrupted client.sync leaves behind, with a traceback)
        logging.disable(logging.CRITICAL)
        if cluster is None:  # a cluster we leave running: its running tasks still finish
            drain(client, {f.key for f in futures})
        close(client, cluster)
        for folder in folders:  # no input is complete yet: leave no parts, no temporaries
            clear(out_fs, folder, parts=True)
        raise
    close(client, cluster)
    outcomes = []
    for i, (shown, _, _) in enumerate(inputs):
        if i in errors:
            clear(out_fs, folders[i], parts=True)
            outcomes.append(Outcome(shown, 0, 0, seconds.get(i, 0.0), errors[i][1]))
        else:
            clear(out_fs, folders[i], parts=False)
            put(out_fs, join(folders[i], SUCCESS), b"")
            outcomes.append(Outcome(shown, rows_of[i], parts_of[i],
                                    seconds.get(i, time.perf_counter() - started)))  # fmt: skip
    return outcomes


def _compute(
    client: Any,
    inputs: list[tuple[str, Any, str]],
    layouts: dict[int, Layout],
    errors: dict[int, tuple[int, str]],
    network_for: NetworkFor,
    out_header: Callable[[Layout], list[str] | None],
    settings: Settings,
    out_fs: Any,
    folders: list[str],
    template: Job,
    progress: Progress,
    futures: list[Any],
) -> tuple[dict[int, int], dict[int, int], dict[int, float]]:
    """Both passes; (rows, parts, seconds) per input.  A block's error is kept in
    ``errors`` (the lowest block's, the first a whole read would meet)."""
    from distributed import KilledWorker, as_completed

    started = time.perf_counter()
    blocks: dict[int, list[Block]] = {
        i: cut(i, inputs[i][1], inputs[i][2], settings.blocksize, layouts[i]) for i in layouts
    }
    placed, nets = place(client, inputs, layouts, blocks, network_for, errors, futures)
    progress.total(sum(len(bl) for bl in placed.values()))
    per_input = submit(client, inputs, layouts, placed, nets, template, out_header, out_fs, folders)
    owner: dict[Any, tuple[int, int]] = {}
    for i, fs_list in per_input.items():
        futures += fs_list
        for k, f in enumerate(fs_list):
            owner[f.key] = (i, k)
    rows_of = dict.fromkeys(placed, 0)
    parts_of = dict.fromkeys(placed, 0)
    left = {i: len(fl) for i, fl in per_input.items()}
    seconds: dict[int, float] = {}
    for fut in as_completed([f for fl in per_input.values() for f in fl]):
        i, k = owner[fut.key]
        progress.step()
        left[i] -= 1
        if not fut.cancelled():
            try:
                rows, err = fut.result()
            except KilledWorker as e:  # workers died on this block again and again
                rows, err = 0, f"{inputs[i][0]}: block {k} lost its worker too often ({e})"
            if err is None:
                rows_of[i] += rows
                parts_of[i] += 1
            elif i not in errors or k < errors[i][0]:
                # the lowest block's error is the first a whole read meets; later blocks
                # still run (a cancelled task that is running would write its part after
                # the clean-up), their parts are removed with the others
                errors[i] = (k, err)
        if left[i] == 0:
            seconds[i] = time.perf_counter() - started
    return rows_of, parts_of, seconds
