"""The version lives in a leaf module: no wing imports the package's front door
(`pumpurs/__init__.py`, which names the analysts' API) to learn it."""

from __future__ import annotations

import ast
from pathlib import Path

import pumpurs
from pumpurs import _version

LIB = Path(pumpurs.__file__).parent


def _imports_of_the_front_door(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == "pumpurs" and node.level == 0:
            found.extend(
                f"{path.relative_to(LIB)}: from pumpurs import {a.name}" for a in node.names
            )
        if isinstance(node, ast.Import):
            found.extend(
                f"{path.relative_to(LIB)}: import pumpurs"
                for a in node.names
                if a.name == "pumpurs"
            )
    return found


def test_no_module_of_the_library_imports_the_package_front_door():
    modules = sorted(p for p in LIB.rglob("*.py") if p != LIB / "__init__.py")
    assert [line for p in modules for line in _imports_of_the_front_door(p)] == []


def test_the_version_is_a_leaf_re_exported_by_the_package():
    tree = ast.parse((LIB / "_version.py").read_text(encoding="utf-8"))
    assert [n for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)] == []
    assert pumpurs.__version__ == _version.__version__ == "0.1.0"
