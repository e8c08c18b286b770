"""Where the programme's data comes from: sources as plug-ins behind one interface.

A source hands over the five tables as text (`RawTable`s, with the problems found while
reading), a content fingerprint (what a cache and a manifest are keyed by) and a list of
what it read (for manifests). The registry maps a URL's scheme to a source's factory, as
papermill's I/O registry does: a plain path is a data folder (every file dialect, see
sources/folder.py) or a DuckDB file; `duckdb://`, `postgresql://` and any other
SQLAlchemy URL is a database (sources/database.py); tables already in memory are a
`FramesSource` (sources/memory.py). `open_source` never makes its caller branch on the
kind. A new source is one class (sources/interface.py's `DataSource`) and one `register`
call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from pumpurs.core.dataset import Dataset
from pumpurs.core.errors import UsageError
from pumpurs.core.settings import Programme
from pumpurs.sources.database import DUCKDB_SUFFIXES, SECRET_KEY, DatabaseSource
from pumpurs.sources.database import shown as shown_url
from pumpurs.sources.folder import FolderSource
from pumpurs.sources.interface import DataSource, is_url, read_valid
from pumpurs.sources.memory import FramesSource

__all__ = [
    "ANY",
    "DataSource",
    "FramesSource",
    "conninfo",
    "is_url",
    "load",
    "open_source",
    "register",
    "schemes",
    "shown",
    "snapshot",
]


Factory = Callable[[str], DataSource]
ANY = "*"  # the factory for a scheme nobody registered (any SQLAlchemy URL)
_REGISTRY: dict[str, Factory] = {}


def register(scheme: str, factory: Factory) -> None:
    """Make `scheme://…` (or, for scheme "", a plain path) open with `factory`."""
    _REGISTRY[scheme] = factory


def schemes() -> list[str]:
    return sorted(s for s in _REGISTRY if s and s != ANY)


def open_source(spec: str | Path | DataSource) -> DataSource:
    """The source a user named on the command line or in a notebook.

    A scheme is looked up as written (`postgresql+psycopg`), then without its driver
    (`postgresql`), then as any SQLAlchemy URL.
    """
    if not isinstance(spec, str | Path):
        return spec
    text = str(spec)
    scheme = text.split("://", 1)[0].lower() if is_url(text) else ""
    for name in (scheme, scheme.split("+", 1)[0], ANY if scheme else ""):
        if name in _REGISTRY:
            return _REGISTRY[name](text)
    known = ", ".join(f"{s}://" for s in schemes()) or "none yet"
    raise UsageError(
        f'{shown(text)}: no data source is known for "{scheme}://"; give a data folder '
        f"(other sources: {known})"
    )


def shown(spec: str | Path) -> str:
    """A DATA argument as people may see it (a message, a log, `doctor`): a URL from its
    parsed pieces with no password, a PostgreSQL keyword string with its secrets as ***,
    a path as it is. The one place that decides; never a pattern run over the text."""
    text = str(spec)
    if is_url(text):
        return shown_url(text)
    pairs = conninfo(text)
    if pairs is not None:
        return " ".join(f"{k}=***" if SECRET_KEY.search(k) else f"{k}={v}" for k, v in pairs)
    return text


_PAIR = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']*)\s*")
LIBPQ_KEYS = frozenset(
    ("host", "hostaddr", "port", "dbname", "user", "password", "passfile", "service")
)


def conninfo(text: str) -> list[tuple[str, str]] | None:
    """A libpq keyword string (`host=db port=5432 dbname=p user=anna`) as its pairs, or
    None for anything else (a folder's path)."""
    pairs, at = [], 0
    while at < len(text):
        m = _PAIR.match(text, at)
        if m is None or m.end() == at:
            return None
        pairs.append((m.group(1), m.group(2)))
        at = m.end()
    return pairs if any(k.lower() in LIBPQ_KEYS for k, _ in pairs) else None


@contextmanager
def snapshot(source: DataSource) -> Iterator[DataSource]:
    """Every question asked of `source` inside the block (fingerprint, read, describe) is
    answered from one view of the data: a database's one read-only transaction, so a
    write meanwhile cannot make the key, the tables and the manifest disagree. A source
    without a snapshot (a folder) answers as before."""
    hold = getattr(source, "snapshot", None)
    if hold is None:
        yield source
        return
    with hold():
        yield source


def load(spec: str | Path | DataSource, programme: Programme | None = None) -> Dataset:
    """Read and validate a source; raises InputError listing every problem."""
    return read_valid(open_source(spec), programme)


def _path(text: str) -> DataSource:
    """A plain path: a DuckDB file by its suffix, else a data folder."""
    if conninfo(text) is not None and not Path(text).exists():
        raise UsageError(
            f"{shown(text)}: is a PostgreSQL keyword string, not a data folder; write it as a "
            "URL, postgresql://USER@HOST:PORT/DBNAME, with the password in PGPASSWORD or "
            "~/.pgpass"
        )
    if Path(text).suffix.lower() in DUCKDB_SUFFIXES:
        return DatabaseSource(text)
    return FolderSource(Path(text))


def _database(text: str) -> DataSource:
    return DatabaseSource(text)


register("", _path)
for _scheme in ("duckdb", "postgresql", "postgres", "sqlite", ANY):
    register(_scheme, _database)
