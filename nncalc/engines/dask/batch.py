"""One run: every input's layout and blocks, then per input its count tasks (when it
has several text blocks) and its score tasks, each input finished — its ``_SUCCESS``
written, or its parts removed and its one error line kept — as soon as its last task
lands.  Only the cluster's own failure (unreachable, lost) stops the whole run."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from nncalc.core import Network
from nncalc.errors import InputError, NncalcError, UsageError, cannot_open
from nncalc.formats import Format, ReadOptions
from nncalc.i18n import _

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
from .count import NetworkFor, count_block, empty, fixed, placed_blocks
from .layout import cut, layout_of
from .records import (
    FAST_BLOCKSIZE,
    MIN_BLOCKSIZE,
    OUTPUT_FORMATS,
    SUCCESS,
    WORKERS_PER_CORE,
    Block,
    ClusterError,
    InputLayout,
    Outcome,
    Progress,
    Settings,
    TaskSpec,
    replace,
)
from .score import parse_block, score, score_parsed, shared, summary
from .storage import expand, is_local, join, listing, out_name, put, remove, results, stem_of


def check(settings: Settings, fmt: str) -> None:
    """What can be refused before anything is read."""
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(_("--engine dask writes csv, tsv, ndjson or parquet parts, not {format}")
                         .format(format=fmt))  # fmt: skip
    check_settings(settings)


def check_settings(settings: Settings) -> None:
    """--blocksize and --workers that no run can use."""
    if settings.blocksize < MIN_BLOCKSIZE:
        raise UsageError(_("--blocksize {size} B is below {least} B: each block is one Dask "
                           "task (the default, 64MiB, suits most inputs)")
                         .format(size=settings.blocksize, least=MIN_BLOCKSIZE))  # fmt: skip
    cores = os.cpu_count() or 1
    if settings.workers is not None and settings.workers > WORKERS_PER_CORE * cores:
        raise UsageError(_("--workers {workers}: this machine has {cores} cores; at most "
                           "{most} worker processes").format(
            workers=settings.workers, cores=cores, most=WORKERS_PER_CORE * cores))  # fmt: skip


def slow_blocks() -> str:
    return _(
        "--blocksize below {size}MiB: blocks this small are parsed by the slow line "
        "parser (several times slower)"
    ).format(size=FAST_BLOCKSIZE >> 20)


def describe(e: BaseException, name: str) -> str:
    """One line for what a task (or a read on the client) raised that is not nncalc's
    own error: a deleted input, missing credentials, a storage service's refusal."""
    if isinstance(e, NncalcError):
        return str(e.located(name) if isinstance(e, InputError) else e)
    if isinstance(e, OSError) and not type(e).__module__.startswith(("botocore", "aiobotocore")):
        return str(cannot_open(e, name))
    why = " ".join(str(e).split())[:300] or type(e).__name__
    return str(InputError(_("cannot read it: {reason}").format(reason=why), source=name))


def run(
    names: Sequence[str],
    out: str,
    network: Network | None,
    options: ReadOptions,
    fmt: str,
    out_header: Callable[[InputLayout], list[str] | None],
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
    ``names`` (the caller listed them): a remote glob is listed once.  Raises
    :class:`ClusterError` when the cluster cannot be reached or is lost; inputs whose
    ``_SUCCESS`` was written by then are complete, no other keeps a part.
    """
    from fsspec.core import url_to_fs

    settings = settings or Settings()
    progress = progress or Progress()
    check(settings, fmt)
    if options.id_column and fmt == Format.PARQUET.value:
        # a local run refuses it for every input (its writer cannot carry the labels):
        # said once, before a cluster starts, rather than parts written without them
        from nncalc.formats.write import ID_NOT_PARQUET

        raise UsageError(_(ID_NOT_PARQUET))
    if scheduler_address(settings) is None:
        start_fork_server()  # our workers' imports run while the inputs are looked at
    if network_for is None:
        assert network is not None, "a network, or network_for"
        network_for = fixed(network)
    so = settings.storage_options
    inputs = expand(names, so) if expanded is None else expanded
    out_fs, root = url_to_fs(out, **(so or {}))
    folders = output_folders(inputs, out, out_fs, root, force)

    errors: dict[int, str] = {}
    layouts = read_layouts(inputs, options, errors)
    blocks = {i: cut(i, inputs[i][1], inputs[i][2], settings.blocksize, layouts[i])
              for i in layouts}  # fmt: skip
    text = (Format.CSV, Format.TSV, Format.NDJSON)
    if settings.blocksize < FAST_BLOCKSIZE and any(
        len(bl) > 1 and layouts[i].fmt in text for i, bl in blocks.items()
    ):
        progress.warn(slow_blocks())
    started = time.perf_counter()
    finished: dict[int, Outcome] = {}
    if blocks:
        client, cluster = client_for(settings, progress.say)
        work = Run(client, inputs, layouts, blocks, errors, network_for, out_header, settings,
                   out_fs, folders, progress, finished, started)  # fmt: skip
        try:
            work.check_workers()
            work.prepare()
            work.compute(TaskSpec(network=None, fmt=fmt, out_header=None, upto=upto,
                                  argmax=argmax, classes=classes,
                                  finite=not options.allow_nonfinite,
                                  threshold=threshold))  # fmt: skip
        except BaseException:  # Ctrl-C, the cluster lost, or a bug: stop its work first
            with contextlib.suppress(Exception):
                client.cancel(list(work.futures.values()))
            quiet()
            if cluster is None:  # a cluster we leave running: its running tasks still finish
                drain(client, set(work.futures))
            close(client, cluster)
            work.abandon()
            raise
        close(client, cluster)
    return [
        finished.get(i)
        or Outcome(name=shown, rows=0, parts=0, seconds=0.0, error=errors.get(i, _("not run")))
        for i, (shown, _fs, _path) in enumerate(inputs)
    ]


def output_folders(
    inputs: list[tuple[str, Any, str]], out: str, out_fs: Any, root: str, force: bool
) -> list[tuple[str, list[str]]]:
    """Each input's folder and the results already in it (one listing of the output
    root for the whole run); a folder holding results is refused without ``force``."""
    held = listing(out_fs, root)
    seen: dict[str, str] = {}
    folders = []
    for shown, _fs, path in inputs:
        stem = stem_of(path)
        if stem in seen:
            raise UsageError(_("{first} and {second} would both write {target}").format(
                first=seen[stem], second=shown, target=join(out, stem)))  # fmt: skip
        seen[stem] = shown
        folder = join(root, stem)
        if is_local(out_fs) and os.path.islink(folder):
            raise UsageError(_("{folder} is a symbolic link: nncalc writes its parts only into "
                               "folders it makes; remove the link")
                             .format(folder=join(out, stem)))  # fmt: skip
        found = results(held.get(stem, []))
        if found and not force:
            if SUCCESS in found:
                raise UsageError(_("{folder} already holds results; refusing to replace them "
                                   "(use --force)").format(folder=join(out, stem)))  # fmt: skip
            raise UsageError(_("{folder} holds the parts of an earlier run that did not "
                               "finish: --force to replace it")
                             .format(folder=join(out, stem)))  # fmt: skip
        folders.append((folder, [join(folder, n) for n in found]))
    return folders


def read_layouts(
    inputs: list[tuple[str, Any, str]], options: ReadOptions, errors: dict[int, str]
) -> dict[int, InputLayout]:
    """Every input's layout, read in parallel (on an object store each is a request or
    two of latency); an input that cannot be read gets its one error line."""

    def one(i: int) -> InputLayout | BaseException:
        shown, fs, path = inputs[i]
        try:
            lay = layout_of(fs, path, shown, options)
        except Exception as e:
            return e
        if options.id_column and lay.fmt not in (Format.CSV, Format.TSV):
            # only the CSV/TSV reader takes an id column: that input's error, as in a
            # local batch, rather than its rows scored without their labels
            return NncalcError(_("--id-column reads CSV or TSV inputs; {name} is {format}")
                               .format(name=shown, format=lay.fmt.value))  # fmt: skip
        return lay

    with ThreadPoolExecutor(min(16, max(1, len(inputs)))) as pool:
        got = list(pool.map(one, range(len(inputs))))
    layouts = {}
    for i, lay in enumerate(got):
        if isinstance(lay, UsageError):
            raise lay
        if isinstance(lay, BaseException):
            errors[i] = describe(lay, inputs[i][0])
        else:
            layouts[i] = lay
    return layouts


def parsed_blocks(
    blocks: list[Block], counts: list[tuple[int, int, Any]], name: str
) -> list[Block] | tuple[int, str]:
    """Blocks placed in their file from the lines and rows their parse found (a prefix
    sum); or (block, the error line) for the first error a whole read would meet."""
    line, row, out = 1, 0, []
    for k, (b, (lines, rows, error)) in enumerate(zip(blocks, counts, strict=True)):
        if error is not None:
            message, at, col, expected = error
            where = None if at is None else at + line - 1
            return k, str(InputError(message, source=name, line=where, col=col,
                                     expected=expected))  # fmt: skip
        out.append(replace(b, first_line=line, first_row=row, rows=rows))
        line += lines
        row += rows
    return [replace(b, total_rows=row) for b in out]


def can_read(fs: Any, path: str) -> bool:
    """On a worker: its first byte (credentials, endpoint, a shared disk)."""
    with fs.open(path, "rb") as f:
        f.read(1)
    return True


class Run:
    """The state of one run on the cluster: which tasks belong to which input, what is
    left of each, and each input finished as soon as it can be."""

    def __init__(
        self,
        client: Any,
        inputs: list[tuple[str, Any, str]],
        layouts: dict[int, InputLayout],
        blocks: dict[int, list[Block]],
        errors: dict[int, str],
        network_for: NetworkFor,
        out_header: Callable[[InputLayout], list[str] | None],
        settings: Settings,
        out_fs: Any,
        folders: list[tuple[str, list[str]]],
        progress: Progress,
        finished: dict[int, Outcome],
        started: float,
    ) -> None:
        self.client, self.inputs, self.layouts, self.blocks = client, inputs, layouts, blocks
        self.errors, self.network_for, self.out_header = errors, network_for, out_header
        self.settings, self.out_fs, self.folders = settings, out_fs, folders
        self.progress, self.finished, self.started = progress, finished, started
        # the tasks not landed yet, and parsed blocks not scored yet (a reference held
        # keeps a block's rows on its worker: dropped as soon as no task needs them)
        self.futures: dict[Any, Any] = {}
        self.owner: dict[Any, tuple[str, int, int]] = {}  # key → (kind, input, block)
        self.left: dict[int, int] = {}  # tasks not landed yet, per input
        self.written: dict[int, list[str]] = {i: [] for i in blocks}
        self.block_error: dict[int, int] = {}  # input → the block of its error
        self.rows: dict[int, int] = dict.fromkeys(blocks, 0)
        self.counts: dict[int, dict[int, Any]] = {}  # per block: (lines, rows[, error])
        self.parsed: dict[int, list[Any]] = {}  # CSV/TSV: each block's rows, on a worker
        self.scattered: dict[int, Any] = {}
        self.budget: dict[int, int] = {}  # progress steps each input stands for
        self.stepped: dict[int, int] = dict.fromkeys(blocks, 0)

    def check_workers(self) -> None:
        """One task, before anything is written: can a worker read the first input?"""
        shown, fs, path = self.inputs[min(self.layouts)]
        try:
            self.client.submit(can_read, fs, path, pure=False).result()
        except Exception as e:
            if self.lost(e):
                raise self.cluster_lost(e) from None
            raise ClusterError(_("a worker cannot read the inputs: {reason}")
                               .format(reason=describe(e, shown))) from None  # fmt: skip

    def prepare(self) -> None:
        """Results of an earlier run (``--force``) removed; local folders made (an object
        store has no folders to make)."""
        for i, (folder, old) in enumerate(self.folders):
            if i in self.blocks:
                remove(self.out_fs, old)
                if is_local(self.out_fs):
                    self.out_fs.makedirs(folder, exist_ok=True)

    def compute(self, template: TaskSpec) -> None:
        from distributed import KilledWorker, as_completed

        self.template = template
        # every network built first, in input order (its --verbose lines are a local
        # batch's, in its order); a text input's rows are known only once counted, and
        # only a shape error's wording needs them: such an input is counted and asked again
        self.nets: dict[int, Network | None] = {}
        for i in list(self.blocks):
            name, lay = self.inputs[i][0], self.layouts[i]
            try:
                self.nets[i] = self.network_for(name, lay, lay.rows)
            except NncalcError as e:
                if lay.rows is not None:
                    self.fail(i, -1, str(e))
                self.nets[i] = None
        needs_count = {
            i for i, bl in self.blocks.items()
            if self.layouts[i].rows is None and (len(bl) > 1 or self.nets[i] is None)
        }  # fmt: skip
        # one bar for the run: every task, counting and scoring, known from the start
        self.budget = {i: len(bl) * (2 if i in needs_count else 1)
                       for i, bl in self.blocks.items()}  # fmt: skip
        self.progress.total(sum(self.budget.values()))
        self.pending = as_completed()
        for i, bl in self.blocks.items():
            self.left[i] = 0
            if i in self.errors:
                pass
            elif i in needs_count and self.layouts[i].fmt in (Format.CSV, Format.TSV):
                # one read per block: parsed once, its rows kept on the worker; the
                # client learns only its lines and rows, places it, then scores it there
                self.counts[i] = {}
                name, lay, retries = self.inputs[i][0], self.layouts[i], self.settings.retries
                self.parsed[i] = [self.client.submit(parse_block, b, name, lay, pure=False,
                                                     retries=retries) for b in bl]  # fmt: skip
                for k, p in enumerate(self.parsed[i]):
                    self.futures[p.key] = p
                    self.add("count", i, k, self.client.submit(summary, p, pure=False))
            elif i in needs_count:  # NDJSON: its rows are counted, then read again
                self.counts[i] = {}
                for k, b in enumerate(bl):
                    self.add("count", i, k, self.client.submit(
                        count_block, b, pure=False, retries=self.settings.retries))  # fmt: skip
            else:
                self.place(i, None)
            if self.left[i] == 0:  # refused before any task
                self.finish(i)
        for fut in self.pending:
            kind, i, k = self.owner.pop(fut.key)
            del self.futures[fut.key]
            self.progress.step()
            self.stepped[i] += 1
            self.left[i] -= 1
            try:
                result = fut.result()
            except KilledWorker as e:  # workers died on this block again and again
                name = self.inputs[i][0]
                self.fail(i, k, _("{name}: block {k} lost its worker too often ({reason})")
                          .format(name=name, k=k, reason=e))  # fmt: skip
            except Exception as e:
                if self.lost(e):
                    raise self.cluster_lost(e) from None
                self.fail(i, k, describe(e, self.inputs[i][0]))
            else:
                if kind == "count":
                    self.counts[i][k] = result
                    if len(self.counts[i]) == len(self.blocks[i]) and i not in self.block_error:
                        self.place(i, [self.counts[i][j] for j in range(len(self.blocks[i]))])
                else:
                    rows, err = result
                    if err is None:
                        self.rows[i] += rows
                        self.written[i].append(self.part_path(i, k))
                    else:
                        self.fail(i, k, err)
            if self.left[i] == 0:
                self.finish(i)

    def add(self, kind: str, i: int, k: int, fut: Any) -> None:
        self.owner[fut.key] = (kind, i, k)
        self.futures[fut.key] = fut
        self.left[i] += 1
        self.pending.add(fut)

    def place(self, i: int, counts: list[Any] | None) -> None:
        """An input's network, once its rows are known (None: one block, or a format
        whose rows its layout knows), and its score tasks."""
        name, lay, bl = self.inputs[i][0], self.layouts[i], self.blocks[i]
        rows = lay.rows
        if counts is not None:
            if i in self.parsed:
                placed = parsed_blocks(bl, counts, name)
                if isinstance(placed, tuple):  # the first error a whole read meets
                    self.fail(i, placed[0], placed[1])
                    return
                bl, rows = placed, placed[-1].total_rows
            else:
                bl, rows = placed_blocks(bl, counts, lay)
            if rows == 0:
                self.fail(i, -1, empty(name, lay))
                return
        network = self.nets[i]
        if network is None:
            try:
                network = self.network_for(name, lay, rows)
            except NncalcError as e:
                self.fail(i, -1, str(e))
                return
        if rows is None:
            # one text block: its task streams it as a local run would, nothing to place
            bl = [replace(b, whole=True) for b in bl]
        if id(network) not in self.scattered:
            [self.scattered[id(network)]] = self.client.scatter([network], broadcast=True)
        job = shared(self.template, network, self.out_header(lay))
        args = (name, lay, job, self.scattered[id(network)], self.out_fs, self.folders[i][0])
        retries = self.settings.retries
        if i in self.parsed:  # scored where it was parsed
            parsed = self.release(i)  # its rows are released once scored
            for k, b in enumerate(bl):
                fut = self.client.submit(score_parsed, parsed[k], b, *args, pure=False,
                                         retries=retries)  # fmt: skip
                self.add("score", i, k, fut)
            return
        for k, b in enumerate(bl):
            fut = self.client.submit(score, b, *args, pure=False, retries=retries)
            self.add("score", i, k, fut)

    def part_path(self, i: int, k: int) -> str:
        return join(self.folders[i][0], f"part-{k:05d}.{out_name(self.template.fmt)}")

    def release(self, i: int) -> list[Any]:
        """An input's parsed blocks, no longer held by the client."""
        parsed = self.parsed.pop(i, [])
        for p in parsed:
            self.futures.pop(p.key, None)
        return parsed

    def fail(self, i: int, k: int, message: str) -> None:
        """Keep the first error a whole read would meet (the lowest block's); the
        input's other tasks still run (a running task cannot be stopped before it
        writes), and its parts are removed when the last has landed."""
        self.release(i)  # rows no task will score
        if i not in self.errors or k < self.block_error.get(i, len(self.blocks[i])):
            self.errors[i] = message
            self.block_error[i] = k

    def finish(self, i: int) -> None:
        """The input's last task has landed: its ``_SUCCESS``, or no parts at all (and
        on a local disk no temporary a lost worker left)."""
        seconds = time.perf_counter() - self.started
        name = self.inputs[i][0]
        for _step in range(self.budget[i] - self.stepped[i]):  # tasks it no longer needs
            self.progress.step()
        self.stepped[i] = self.budget[i]
        if i in self.errors:
            remove(self.out_fs, self.written[i])
            self.written[i] = []
            self.finished[i] = Outcome(name=name, rows=0, parts=0, seconds=seconds,
                                       error=self.errors[i])  # fmt: skip
            return
        if is_local(self.out_fs):
            folder = self.folders[i][0]
            with contextlib.suppress(OSError):
                stale = [n for n in os.listdir(folder) if n.startswith(".part-")]
                remove(self.out_fs, [join(folder, n) for n in stale])
        put(self.out_fs, join(self.folders[i][0], SUCCESS), b"")
        self.finished[i] = Outcome(name=name, rows=self.rows[i], parts=len(self.written[i]),
                                   seconds=seconds)  # fmt: skip

    def abandon(self) -> None:
        """The run stopped: no input that is not complete keeps a part."""
        for i in self.blocks:
            if i not in self.finished:
                remove(self.out_fs, self.written[i])
                folder = self.folders[i][0]
                if is_local(self.out_fs):
                    with contextlib.suppress(OSError):
                        names = os.listdir(folder)
                        remove(self.out_fs, [join(folder, n) for n in results(names)])

    def lost(self, e: BaseException) -> bool:
        """Whether an exception is the cluster's (the scheduler gone), not a task's."""
        return lost(self.client, e)

    def cluster_lost(self, e: BaseException) -> ClusterError:
        return cluster_lost(self.client, e, removed=True)
