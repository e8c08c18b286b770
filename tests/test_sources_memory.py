"""sources/memory.py: tables already in memory are a source of their own, and no module
of sources/ imports the package above it (the loop hidden in function bodies is gone)."""

from __future__ import annotations

import ast
from pathlib import Path

import pandas as pd

from conftest import valid_tables
from pumpurs.sources import FramesSource, load, memory, open_source

SOURCES = Path(__file__).resolve().parents[1] / "lib" / "pumpurs" / "sources"


def test_in_memory_tables_are_read_by_sources_memory() -> None:
    frames = {name: pd.DataFrame(rows) for name, rows in valid_tables().items()}
    source = open_source(memory.FramesSource(frames))
    assert FramesSource is memory.FramesSource
    assert source.label == "(memory)"
    ds = memory.load_frames(frames)
    assert len(ds.expenditures) == len(frames["expenditures"])
    assert ds.expenditures.equals(load(source).expenditures)


def test_no_module_of_sources_imports_the_package_above_it() -> None:
    upward = []
    for path in sorted(SOURCES.glob("*.py")):
        if path.name == "__init__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "pumpurs.sources":
                upward.append((path.name, node.lineno, [a.name for a in node.names]))
            if isinstance(node, ast.Import) and any(
                a.name == "pumpurs.sources" for a in node.names
            ):
                upward.append((path.name, node.lineno, ["pumpurs.sources"]))
    assert upward == []
