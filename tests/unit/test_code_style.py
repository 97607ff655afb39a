"""Lint, format and types are part of the suite, so the README's test command enforces them too."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
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


# Type errors known when mypy joined the suite (issue 14), without line numbers. The list may only shrink.
MYPY_BASELINE = ROOT / "tests" / "mypy_baseline.txt"
REGENERATE = "mypy | grep ': error: ' | sed -E 's/^([^:]+):[0-9]+: /\\1: /' | sort > tests/mypy_baseline.txt"


def _mypy_errors(output: str) -> Counter[str]:
    """mypy's error lines without their line numbers, so moving code does not change them."""
    return Counter(
        re.sub(r"^([^:]+):\d+: ", r"\1: ", line) for line in output.splitlines() if ": error: " in line
    )


def test_the_tree_passes_mypy() -> None:
    # The files, strictness per package and cache (.mypy_cache, gitignored) come from pyproject.toml.
    # Errors older than mypy in this project are listed in tests/mypy_baseline.txt, which may only shrink:
    # a new error fails, and so does a listed one that is gone (delete its line).
    result = subprocess.run(_tool("mypy"), cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode not in (0, 1):  # 2: mypy itself failed (bad config, crash)
        pytest.fail(result.stdout + result.stderr)
    found = _mypy_errors(result.stdout)
    known = _mypy_errors(MYPY_BASELINE.read_text())
    new, gone = found - known, known - found
    assert not new, "New type errors:\n" + "\n".join(sorted(new.elements())) + "\n\n" + result.stdout
    assert not gone, (
        f"Fixed (or moved), so no longer in {MYPY_BASELINE.name}:\n"
        + "\n".join(sorted(gone.elements()))
        + f"\n\nWith no new error left, regenerate it: {REGENERATE}"
    )
