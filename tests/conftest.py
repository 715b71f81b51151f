from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"

settings.register_profile(
    "default",
    deadline=None,
    max_examples=60,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def run_nncalc(
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    cwd: Path = ROOT,
    timeout: float = 60,
) -> subprocess.CompletedProcess[bytes]:
    """nncalc as a user runs it: a real process, real pipes, real exit codes."""
    full_env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NNCALC_DEBUG")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "nncalc", *args],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        cwd=cwd,
        env=full_env,
        timeout=timeout,
        check=False,
    )


def assert_one_error_line(
    proc: subprocess.CompletedProcess[bytes], code: int = 1, contains: str = ""
) -> str:
    err = proc.stderr.decode()
    assert proc.returncode == code, (proc.returncode, err)
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("nncalc: error: ")
    assert contains in lines[0], lines[0]
    return lines[0]


@pytest.fixture(autouse=True)
def _english_again() -> Iterator[None]:
    """A test that switched nncalc to Chinese in this process (``--lang zh`` through
    CliRunner) leaves it English for the next one."""
    yield
    from nncalc import i18n

    if i18n.current() != "en":
        i18n.use("en")


@pytest.fixture(autouse=True)
def library_hints() -> Iterator[None]:
    """Each test starts with the library speaking Python (a CliRunner test switches the
    process to flags, as the command line does, for itself only)."""
    from nncalc.errors import speak_flags

    speak_flags(False)
    yield
    speak_flags(False)


@pytest.fixture
def samples() -> Path:
    return SAMPLES


# Tests on a real Dask cluster or a local S3 server take seconds each (and the first
# starts the cluster): they are `slow`, outside the fast lane `pytest -m "not slow"`.
SLOW_FIXTURES = {"cluster", "cli_cluster", "s3"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def cluster() -> Iterator[str]:
    """A LocalCluster of two worker processes on 127.0.0.1, shared by every Dask test
    (engine-level calls, and the CLI through --scheduler); started once per run."""
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=":0", silence_logs=logging.ERROR,
    ) as c:  # fmt: skip
        yield c.scheduler_address
