"""The cluster: a Client on a named scheduler (left running) or on a LocalCluster of our
own (closed after), and a clean stop when a run is interrupted."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

from nncalc.errors import UsageError

from .records import Settings


def client_for(settings: Settings) -> tuple[Any, Any]:
    """A Client on the named scheduler, or on a LocalCluster of our own (closed after)."""
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "error")
    import logging

    from distributed import Client, LocalCluster

    # tornado logs, with a traceback, the cancel callback that Ctrl-C leaves behind in
    # distributed's sync() (the event loop thread runs it after the interrupt): the one
    # line nncalc prints is the message, and the run's own errors are reported as such
    logging.getLogger("tornado.application").setLevel(logging.CRITICAL + 1)
    if settings.scheduler:
        try:
            return Client(settings.scheduler, timeout="10s"), None
        except OSError as e:
            raise UsageError(f"cannot reach the scheduler {settings.scheduler}: {e}") from None
    # ":0": the scheduler's HTTP endpoint (health, metrics) on a free port; the default
    # 8787 warns when another cluster holds it
    workers = settings.workers or os.cpu_count() or 1
    # polars (the CSV fast path) would start a thread per core in every worker
    share = str(max(1, (os.cpu_count() or 1) // workers))
    cluster = LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", silence_logs=logging.ERROR,
        env={"POLARS_MAX_THREADS": os.environ.get("POLARS_MAX_THREADS", share)},
    )  # fmt: skip
    return Client(cluster), cluster


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
