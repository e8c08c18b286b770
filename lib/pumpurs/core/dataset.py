"""The five tables as the library holds them, and where each came from.

`RawTable` is a table as read (text cells, row numbers as the user sees them);
`Dataset` is the validated, typed result every computation starts from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pumpurs.core.errors import Problem


@dataclass(frozen=True)
class Source:
    """Where a table came from: the file (and sheet) and the file's sha256."""

    table: str
    path: Path
    sheet: str | None
    sha256: str
    dialect: str  # e.g. "csv ; cp1257", "csv , utf-8", "xlsx", "parquet", "postgresql"
    header_row: int | None = 1  # where column names live: row 1 of a file, none in a database
    columns_in: str = "the header row"  # how a message says where to add a column

    @property
    def label(self) -> str:
        """How messages name it: the file name, or `data.xlsx sheet expenditures`."""
        return f"{self.path.name} sheet {self.sheet}" if self.sheet else self.path.name


SHEET_ROWS = 10_000_000
"""A table read from several sheets numbers its rows sheet by sheet: row r of its k-th
sheet (from 0) is k * SHEET_ROWS + r in `_row` (a sheet has at most 1 048 576 rows)."""


@dataclass
class RawTable:
    source: Source
    frame: pd.DataFrame  # str columns named by the user's headers (trimmed, lower case) + `_row`
    headers: list[str]  # as the user wrote them
    problems: list[Problem] = field(default_factory=list)
    sheets: tuple[str, ...] = ()  # how messages name each sheet, when read from several

    def where(self, row: int) -> tuple[str, int]:
        """The file (and sheet) and the row as the user sees it, for a `_row` number."""
        if not self.sheets:
            return self.source.label, row
        return self.sheets[row // SHEET_ROWS], row % SHEET_ROWS


@dataclass
class Dataset:
    """A validated data folder: typed tables with money in integer cents."""

    partners: pd.DataFrame
    schools: pd.DataFrame
    support_plans: pd.DataFrame
    expenditures: pd.DataFrame
    outcomes: pd.DataFrame
    sources: dict[str, Source]
    folder: Path | str  # the data folder, or the database's URL (never with a password)

    def table(self, name: str) -> pd.DataFrame:
        return getattr(self, name)

    @property
    def fingerprint(self) -> str:
        """A short hash of every input file: two reports with the same one saw the same data."""
        h = hashlib.sha256()
        for name in sorted(self.sources):
            h.update(f"{name}:{self.sources[name].sha256}\n".encode())
        return h.hexdigest()[:12]
