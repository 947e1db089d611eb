"""Imports point down the chain: the model layers never import the service layers."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
LOWER = ["text", "patterns", "features", "classifier", "explain", "chatlogs"]
FORBIDDEN = (
    "fastapi",
    "starlette",
    "sqlalchemy",
    "pydantic_settings",
    "training",
    "app.api",
    "app.store",
    "app.settings",
    "uvicorn",
)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", LOWER)
def test_lower_layers_do_not_import_service_layers(package):
    folder = APP / package
    if not folder.exists():
        pytest.skip(f"app/{package} does not exist yet")
    for path in folder.rglob("*.py"):
        bad = {n for n in _imports(path) if n.startswith(FORBIDDEN)}
        assert not bad, f"{path.relative_to(APP.parent)} imports {sorted(bad)}"


def test_only_app_text_imports_underthesea():
    for path in APP.rglob("*.py"):
        if "underthesea" in {n.split(".")[0] for n in _imports(path)}:
            assert path.parent.name == "text", path
