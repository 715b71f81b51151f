"""The cluster: a Client on a named scheduler (left running) or on a LocalCluster of our
own (closed after), and a clean stop when a run is interrupted."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from typing import Any

from nncalc import i18n
from nncalc.i18n import _

from .records import ClusterError, Settings

# what a worker needs before its first task: imported once, in the fork server
PRELOAD = ["distributed", "numpy", "threadpoolctl", "orjson", "fsspec",
           "nncalc.engines.dask.count", "nncalc.engines.dask.score"]  # fmt: skip

# distributed's defaults for distributed.nanny.pre-spawn-environ (distributed.yaml; a
# user's own setting of it in YAML is not read: the server starts before dask loads), but
# MALLOC_TRIM_THRESHOLD_: setting it turns off glibc's dynamic mmap threshold, so every
# numpy temporary above 128 KiB is fresh zeroed pages, mapped and unmapped (a block
# scores ~15 % slower); it keeps long-lived workers small, and ours live for one run
NANNY_PRE_SPAWN = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1, "OPENBLAS_NUM_THREADS": 1}
METHOD_VARIABLE = "DASK_DISTRIBUTED__WORKER__MULTIPROCESSING_METHOD"


def start_fork_server() -> None:
    """Start the process our LocalCluster's workers are forked from, and return at once.

    With Dask's default ``spawn``, every worker is a new interpreter that imports
    distributed, numpy and nncalc (~0.5 s each, all on the start-up's critical path) and
    is shut down slowly (~0.4 s).  A fork server imports them once, while this process
    reads the inputs' first lines, and forks each worker from a clean, single-threaded
    process (the reason ``fork`` from this threaded client is not safe).  Kept as is
    where the user chose another method, or where the platform has no fork server.
    """
    import multiprocessing

    if "forkserver" not in multiprocessing.get_all_start_methods():
        return
    # decided before dask is even imported (~0.1 s, which the server's start then
    # overlaps): a method the user set in the environment is theirs; one set in Dask's
    # YAML is read below, and then the server just stays idle
    if os.environ.get(METHOD_VARIABLE, "spawn") != "spawn":
        return
    from multiprocessing import forkserver

    multiprocessing.get_context("forkserver").set_forkserver_preload(PRELOAD)
    # variables the nanny sets before spawning a worker (OPENBLAS_NUM_THREADS=1, …) must
    # be there before numpy is imported: in the server
    pre = {k: str(v) for k, v in NANNY_PRE_SPAWN.items() if k not in os.environ}
    pre.setdefault("PYTHONHASHSEED", os.environ.get("PYTHONHASHSEED", "6640"))
    # the workers' own log lines (a heartbeat that fails while an interrupted cluster
    # shuts down) would break the one-line rule: whatever a worker meets reaches this
    # process as a task's result or a lost worker, and is reported from here
    if "DASK_LOGGING__DISTRIBUTED" not in os.environ:
        pre["DASK_LOGGING__DISTRIBUTED"] = "critical"
    saved = {k: os.environ.get(k) for k in pre}
    os.environ.update(pre)
    # the server, and every worker forked from it, write to /dev/null, not our stderr:
    # a worker reports through its tasks' results; what it would print (a traceback when
    # the terminal's Ctrl-C reaches the process group while it starts) breaks the rule
    # of one line
    err = os.dup(2)
    try:  # (an interrupt between two lines must still give stderr back)
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 2)
        os.close(null)
        forkserver.ensure_running()
    finally:
        os.dup2(err, 2)
        os.close(err)
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    import dask.config

    # only the user's own settings are there yet (distributed is not imported)
    if dask.config.get("distributed.worker.multiprocessing-method", "spawn") == "spawn":
        dask.config.set({"distributed.worker.multiprocessing-method": "forkserver"})


def scheduler_address(settings: Settings) -> str | None:
    """``--scheduler``, else Dask's own ``scheduler-address`` (``DASK_SCHEDULER_ADDRESS``
    or YAML), as ``Client()`` itself would take it; None: a LocalCluster of our own."""
    if settings.scheduler:
        return settings.scheduler
    import dask.config

    address = dask.config.get("scheduler-address", None)
    return str(address) if address else None


def client_for(
    settings: Settings, say: Callable[[str], object] = lambda line: None
) -> tuple[Any, Any]:
    """A Client on the named scheduler, or on a LocalCluster of our own (closed after).

    Connecting waits as long as Dask's ``distributed.comm.timeouts.connect`` says; an
    address that is malformed, or a scheduler that does not answer in that time, is one
    :class:`ClusterError`.  Ctrl-C while our cluster starts stops what had started."""
    import logging
    import sys

    import dask.config

    # distributed logs its own INFO lines from its import on: quieter unless the user
    # configured it (DASK_LOGGING__DISTRIBUTED, YAML), and without touching os.environ
    # (the processes this one starts would inherit it)
    if "distributed" not in sys.modules and dask.config.get("logging.distributed", None) is None:
        dask.config.set({"logging.distributed": "error"})

    from distributed import Client, LocalCluster

    # tornado logs, with a traceback, the cancel callback that Ctrl-C leaves behind in
    # distributed's sync() (the event loop thread runs it after the interrupt): the one
    # line nncalc prints is the message, and the run's own errors are reported as such
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL + 1)
    address = scheduler_address(settings)
    if address:
        try:
            remote = Client(address)
        except Exception as e:  # OSError (no answer), ValueError/TypeError (malformed)
            why = " ".join(str(e).split()) or type(e).__name__
            raise ClusterError(
                _("cannot reach the scheduler {address}: {reason}").format(
                    address=address, reason=why
                )
            ) from None
        say(
            _("scheduler {address} (left running); dashboard {link}").format(
                address=address, link=remote.dashboard_link
            )
        )
        from .language import Language

        # the words of a task's error line only: a worker that cannot take the plugin
        # (no nncalc there) fails the run's first task with its own one line
        with contextlib.suppress(Exception):
            remote.register_plugin(Language(i18n.current()), name=Language.name)
        return remote, None
    workers = settings.workers or os.cpu_count() or 1
    # polars (the CSV fast path) would start a thread per core in every worker
    share = str(max(1, (os.cpu_count() or 1) // workers))
    cluster: Any = None
    client: Any = None
    try:
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            # the scheduler always serves HTTP (health, metrics; the dashboard too with
            # bokeh): ":0" puts it on a free port, as None would mean 8787, which warns
            # when another cluster holds it
            # our own scheduler runs in this process: its log lines (a worker removed
            # while Ctrl-C stops the cluster) would break the one-line rule; whatever it
            # meets reaches the user as a task's result or a ClusterError
            dashboard_address=":0", silence_logs=logging.CRITICAL,
            # the workers' messages (a bad row, an empty input) in the run's language
            env={"POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS", share),
                 "NNCALC_LANG": i18n.current()},
        )  # fmt: skip
        client = Client(cluster)
    except BaseException:
        quiet()
        close(client, cluster)
        # a cluster interrupted in its constructor is not ours to close, but distributed's
        # exit hook would try (and print its assertion): forget it, its processes end
        # with this one
        from distributed.deploy.spec import SpecCluster

        SpecCluster._instances.clear()
        raise
    say(_("scheduler {address} (a local cluster of {workers} workers, closed after the "
          "run); dashboard {link}").format(address=cluster.scheduler_address, workers=workers,
                                           link=client.dashboard_link))  # fmt: skip
    return client, cluster


def lost(client: Any, e: BaseException) -> bool:
    """Whether an exception is the cluster's (the scheduler gone), not a task's."""
    from concurrent.futures import CancelledError

    from distributed.comm.core import CommClosedError

    return isinstance(e, CommClosedError | CancelledError) or client.status not in (
        "running", "connecting",
    )  # fmt: skip


def cluster_lost(client: Any, e: BaseException, removed: bool = False) -> ClusterError:
    """The one line for a scheduler lost mid-run (``removed``: the run's incomplete
    outputs were removed)."""
    address = getattr(client.scheduler, "address", None) or _("the scheduler")
    why = " ".join(str(e).split()) or type(e).__name__
    if removed:
        return ClusterError(_("lost the scheduler {address}: {reason}; inputs not complete "
                              "were removed").format(address=address, reason=why))  # fmt: skip
    return ClusterError(_("lost the scheduler {address}: {reason}").format(
        address=address, reason=why))  # fmt: skip


def quiet() -> None:
    """An interrupted cluster shuts down loudly (the scheduler logs every message it can
    no longer send, asyncio every task left unretrieved, "Task exception was never
    retrieved … AllExit"): the one line nncalc prints is the message."""
    import logging

    logging.disable(logging.CRITICAL)


def executing(dask_worker: Any) -> list[str]:
    return [str(ts.key) for ts in dask_worker.state.executing]


def drain(client: Any, keys: set[Any], timeout: float = 30) -> None:
    """Wait until no worker still runs one of ``keys``: a cancelled task that is running
    finishes, and would write its part after the clean-up."""
    wanted = {str(k) for k in keys}
    end = time.monotonic() + timeout
    with contextlib.suppress(Exception):
        while time.monotonic() < end:
            running = client.run(executing)
            if not any(wanted.intersection(ks) for ks in running.values()):
                return
            time.sleep(0.05)


def close(client: Any, cluster: Any) -> None:
    """Our own cluster first (its workers stop, so no task writes after we clean up),
    then the client."""
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close()
    with contextlib.suppress(Exception):
        client.close()
