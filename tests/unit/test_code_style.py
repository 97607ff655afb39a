"""Lint, format and types are part of the suite, so the README's test command enforces them too."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> list[str]:
    """The tool installed beside this Python (the venv's), else the one on PATH."""
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -r requirements-dev.txt")
    return [found]


@pytest.mark.parametrize("args", [["check", "."], ["format", "--check", "."]], ids=["lint", "format"])
def test_the_tree_passes_ruff(args: list[str]) -> None:
    result = subprocess.run([*_tool("ruff"), *args], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_tree_passes_mypy() -> None:
    # The files, strictness per package and cache (.mypy_cache, gitignored) come from pyproject.toml.
    # No baseline: any type error fails, with mypy's whole output.
    result = subprocess.run(_tool("mypy"), cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
