"""The layout table of CONTRIBUTING.md, enforced: which layer may import which, read from the source."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: What each layer never imports (a module and everything under it), as CONTRIBUTING's layout says.
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "portal.core": (
        "streamlit",
        "sqlalchemy",
        "db",
        "portal.services",
        "portal.queries",
        "portal.ui",
        "portal.api",
    ),
    "db": ("streamlit", "portal.services", "portal.queries", "portal.ui", "portal.api"),
    "portal.services": ("streamlit", "portal.queries", "portal.ui", "portal.api"),
    "portal.queries": ("streamlit", "portal.ui", "portal.api"),
    "portal.api": ("streamlit", "portal.ui"),
}

#: The imports that cross the table on purpose, each with its reason (CONTRIBUTING names them too).
ALLOWED: dict[tuple[str, str], str] = {
    # The stored scorecard totals are computed from the same inputs as the live read, by one loader.
    ("portal.services.scorecards", "portal.queries.scorecard_data"): "one loader for scorecard inputs",
}


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, root: Path) -> set[str]:
    """Every module ``path`` imports, at its top or inside a function, absolute or relative."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], *([base] if base else [])])
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def layer_violations(root: Path = ROOT) -> list[str]:
    """'importer -> imported' for every import the table forbids and ALLOWED does not name."""
    found = []
    for path in sorted([*(root / "portal").rglob("*.py"), *(root / "db").rglob("*.py")]):
        importer = _module_name(path, root)
        for layer, forbidden in FORBIDDEN.items():
            if not _under(importer, layer):
                continue
            for imported in sorted(_imports(path, root)):
                if any(_under(imported, f) for f in forbidden) and not any(
                    _under(imported, target) and importer == source for source, target in ALLOWED
                ):
                    found.append(f"{importer} -> {imported}")
    return sorted(set(found))


def test_every_layer_imports_only_what_contributing_allows() -> None:
    assert layer_violations() == []


def test_the_layer_check_notices_a_forbidden_import(tmp_path: Path) -> None:
    core = tmp_path / "portal" / "core"
    core.mkdir(parents=True)
    (tmp_path / "db").mkdir()
    (core / "__init__.py").write_text("")
    (core / "bad.py").write_text("def f() -> None:\n    from sqlalchemy import select\n")
    services = tmp_path / "portal" / "services"
    services.mkdir()
    (services / "late.py").write_text("from ..queries import lines\nfrom ..ui.widgets import x\n")
    assert layer_violations(tmp_path) == [
        "portal.core.bad -> sqlalchemy",
        "portal.core.bad -> sqlalchemy.select",
        "portal.services.late -> portal.queries",
        "portal.services.late -> portal.queries.lines",
        "portal.services.late -> portal.ui.widgets",
        "portal.services.late -> portal.ui.widgets.x",
    ]


@pytest.mark.parametrize(
    "order",
    [
        ("portal.queries.notifications", "portal.services.notifications"),
        ("portal.services.notifications", "portal.queries.notifications"),
    ],
)
def test_the_notification_reads_and_services_import_plainly_in_either_order(order: tuple[str, str]) -> None:
    # A fresh interpreter: an import cycle shows only when a module is imported first.
    script = "; ".join(f"import {name}" for name in order) + (
        "; import sys; assert not hasattr(sys.modules['portal.services.notifications'], '__getattr__')"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
