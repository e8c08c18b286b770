"""Tables already in memory (a query's result, a test's rows, a notebook's frames) as a
source: read as text like files, then validated like them."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from pumpurs.core.contract import OPTIONAL_TABLES, TABLES
from pumpurs.core.dataset import Dataset, RawTable, Source
from pumpurs.core.errors import Problem
from pumpurs.core.settings import Programme
from pumpurs.sources.cells import cell_text, normalise_headers, with_rows
from pumpurs.sources.interface import read_valid


class FramesSource:
    """Tables already in memory (a query's result, a test's rows), validated like files."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], label: str = "(memory)") -> None:
        self.tables = dict(tables)
        self.label = self.spec = label

    def locate(self, problem: Problem) -> Problem:
        return problem

    def read(self) -> tuple[dict[str, RawTable], list[Problem]]:
        return frames_as_raw(self.tables, self.label)

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for name in sorted(self.tables):
            frame = self.tables[name]
            h.update(name.encode())
            h.update(",".join(map(str, frame.columns)).encode())
            h.update(
                pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes()
            )
        return h.hexdigest()[:20]

    def describe(self) -> list[dict[str, str]]:
        return [
            {"role": "data", "path": f"{self.label}/{n}", "sha256": ""} for n in sorted(self.tables)
        ]


def frames_as_raw(
    tables: dict[str, pd.DataFrame], label: str = "(memory)"
) -> tuple[dict[str, RawTable], list[Problem]]:
    """In-memory tables as text tables, like files (values native or in either dialect)."""
    raws: dict[str, RawTable] = {}
    for table, frame in tables.items():
        out = pd.DataFrame(
            {str(c): [cell_text(v) for v in frame[c].tolist()] for c in frame.columns}, dtype=str
        )
        out = with_rows(out, np.arange(2, len(frame) + 2))
        source = Source(table, Path(table), None, "", "memory")
        raws[table] = RawTable(source, normalise_headers(out), [str(c) for c in frame.columns])
    problems = [
        Problem(label, None, None, None, f"table {t} is missing", code="missing_table")
        for t in TABLES
        if t not in raws and t not in OPTIONAL_TABLES
    ]
    return raws, problems


def load_frames(tables: dict[str, pd.DataFrame], programme: Programme | None = None) -> Dataset:
    """Validate tables already in memory (a database query, a test's rows) like files.

    Values may be text in either dialect or native Python/pandas values; each table is
    named `<table>` in messages.
    """
    return read_valid(FramesSource(tables), programme)
