"""The linters are part of the tests: ruff (style), mypy (strict, the whole package) and
import-linter (which module may import which library, which layer may import which)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from tests.conftest import ROOT

LINT_IMPORTS = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"


def run(cmd: list[str], cwd: Path = ROOT, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        cmd,
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.parametrize(
    "cmd",
    [
        pytest.param(["-m", "ruff", "check", "."], id="ruff"),
        pytest.param(["-m", "ruff", "format", "--check", "."], id="ruff-format"),
        # the whole package, strict: tens of seconds without its cache
        pytest.param(["-m", "mypy"], id="mypy", marks=pytest.mark.slow),
        pytest.param(["-c", LINT_IMPORTS, "--no-cache", "--no-logo"], id="lint-imports"),
    ],
)
def test_tool_is_clean(cmd: list[str]) -> None:
    proc = run([sys.executable, *cmd])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_linters_that_judge_are_the_pinned_ones() -> None:
    """A linter's next release finds new things: the tests run the versions pinned in the
    test extra, so a failure means the code changed, not the tool."""
    text = (ROOT / "pyproject.toml").read_text()
    pins = dict(re.findall(r'"(ruff|mypy|import-linter)==([\w.]+)"', text))
    assert sorted(pins) == ["import-linter", "mypy", "ruff"]
    assert {name: version(name) for name in pins} == pins


# Imports that must each break a fence, injected into a copy of the package.
INJECTED = {
    "cli/random.py": ["import dask", "import rich", "import onnx"],
    "render/basics.py": ["import typer"],
    "models/safetensors_io.py": ["import onnx"],  # a sibling of the owner is not the owner
    "engines/dask/layout.py": ["import pyarrow"],  # nor is another module of its package
    "formats/npyio.py": ["import polars"],
    "core/layer.py": ["from nncalc.runner import job"],  # upward: core is below runner
    "formats/jsonio.py": ["from nncalc import operands"],
}


def test_a_forbidden_import_breaks_the_fence(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "nncalc", tmp_path / "nncalc",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for module, lines in INJECTED.items():
        path = tmp_path / "nncalc" / module
        path.write_text(path.read_text() + "".join(f"\n{line}  # injected\n" for line in lines))
    proc = run([sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo"], cwd=tmp_path,
               PYTHONPATH=str(tmp_path))  # fmt: skip
    text = proc.stdout + proc.stderr
    assert proc.returncode == 1, text
    assert "each heavy library is imported by its one owning module or package only BROKEN" in text
    assert "imports run downward, layer by layer BROKEN" in text, text
    for module, lines in INJECTED.items():
        importer = "nncalc." + module.removesuffix(".py").replace("/", ".")
        for line in lines:
            imported = line.split()[-1] if line.startswith("import") else None
            if imported is not None:  # a library: the owners contract names the import
                assert f"{importer} -> {imported}" in text, (importer, imported, text)
            else:
                assert importer in text, (importer, text)
