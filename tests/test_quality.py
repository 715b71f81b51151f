"""The linters are part of the tests: ruff (style, import bans) and mypy (strict on the math)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.parametrize(
    "cmd",
    [["ruff", "check", "."], ["ruff", "format", "--check", "."], ["mypy"]],
    ids=["ruff", "ruff-format", "mypy"],
)
def test_tool_is_clean(cmd: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", *cmd],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_rich_and_typer_stay_in_their_modules() -> None:
    # the banned-api rule above enforces it; this checks the rule is configured at all
    text = (ROOT / "pyproject.toml").read_text()
    assert '"rich".msg' in text and '"typer".msg' in text
