"""The one interface every source implements, and how a source's tables become a typed
`Dataset` (core/validate.py) with every problem placed where the user finds it."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from pumpurs.core.dataset import Dataset, RawTable
from pumpurs.core.errors import InputError, Problem
from pumpurs.core.settings import Programme, load_programme
from pumpurs.core.validate import validate_tables


class DataSource(Protocol):
    """The one interface every source implements."""

    label: str  # how messages name it: the folder, or the URL without its password
    spec: str  # what a notebook is handed to open the same source again

    def locate(self, problem: Problem) -> Problem:
        """The problem as the user finds the row (a database row by its key)."""
        ...

    def read(self) -> tuple[dict[str, RawTable], list[Problem]]:
        """The tables as text, and every problem met while reading them."""
        ...

    def fingerprint(self) -> str:
        """A hash of the content: equal for equal data, whatever the files' times."""
        ...

    def describe(self) -> list[dict[str, str]]:
        """What was read: [{"role": "data", "path": …, "sha256": …}] for a manifest."""
        ...


def is_url(spec: str | Path) -> bool:
    return isinstance(spec, str) and "://" in spec


def read_valid(source: DataSource, programme: Programme | None = None) -> Dataset:
    """Read and validate `source`; raises InputError listing every problem, each placed
    as the user finds the row."""
    programme = programme or load_programme()
    raws, problems = source.read()
    folder: Path | str = source.label if is_url(source.spec) else Path(source.label)
    try:
        return validate_tables(raws, programme, folder, problems)
    except InputError as e:
        raise InputError([source.locate(p) for p in e.problems]) from None
