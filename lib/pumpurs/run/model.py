"""What a batch is asked to do and what it works with: options, specs, inputs, plans.

The data classes every step of `pumpurs run` passes on, the folder and file names of a
period folder, and the small JSON helpers. No step runs here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pumpurs.core.calendar import Period
from pumpurs.core.project import notebooks_dir
from pumpurs.core.settings import OVERVIEW_SLUG, Programme
from pumpurs.present.render import write_atomic
from pumpurs.report.audience import Audience
from pumpurs.report.request import LANGS as LANGS
from pumpurs.report.request import ReportRequest
from pumpurs.run import outputs
from pumpurs.run.protocol import Result
from pumpurs.sources import DataSource

DEFAULT_NOTEBOOKS = notebooks_dir()
MUNICIPALITY_NOTEBOOK = "municipality_report.ipynb"
OVERVIEW_NOTEBOOK = "programme_overview.ipynb"
OVERVIEW = OVERVIEW_SLUG  # the overview's report id and folder name
TMP, FAILED, CACHE, LOCKS = ".tmp", "_failed", ".cache", ".locks"
STATUS_FILE, INDEX_FILE, LOCK_FILE = ("status.json", "index.html", ".lock")
MANIFEST_FILE = outputs.MANIFEST
MANIFEST_FORMAT = 1

# Parameters the batch sets itself: a params file may not change them.
BATCH_PARAMETERS = frozenset(
    {"data", "period", "as_of", "output_dir", "programme_path", "judgement_path"}
)
# What every report notebook must declare, so the batch can drive it.
REQUIRED_PARAMETERS = ("data", "period", "as_of", "audience", "lang", "output_dir")
# Paths, not values: their content is hashed separately, so moving a folder re-renders nothing.
UNHASHED_PARAMETERS = frozenset({"data", "output_dir", "programme_path", "judgement_path"})


# ---------------------------------------------------------------------------
# What the batch is asked to do, and what it works with
# ---------------------------------------------------------------------------
@dataclass
class RunOptions:
    """The `pumpurs run` command line, as values (None = the documented default)."""

    data: str | Path  # a data folder, a DuckDB file or a database URL
    municipalities: list[str] = field(default_factory=list)
    all: bool = False
    overview: bool = False  # the national overview (with --all, or alone: `pumpurs render`)
    period: str | None = None
    as_of: str | None = None
    audience: str | None = None
    lang: str | None = None
    out: Path = Path("reports")
    workers: int | None = None
    retry_failed: bool = False
    force: bool = False
    programme: Path | None = None
    notebooks: Path | None = None
    params: Path | None = None
    timeout: float = 1800.0
    progress: bool | None = None  # None: a progress bar when stdout is a terminal
    today: dt.date | None = None  # for the default period; None = today


@dataclass
class ReportSpec:
    """One report to render (or found up to date): where, from what, with what."""

    id: str  # the municipality's slug, or "overview"
    kind: str  # municipality | overview
    name: str
    code: str
    notebook: Path
    params_file: Path | None
    parameters: dict[str, Any]
    lang: str
    audience: str
    input_hash: str = ""
    slice_hash: str = ""


@dataclass
class Inputs:
    """Everything checked before any kernel starts."""

    options: RunOptions
    data: str | Path  # a data folder, a DuckDB file or a database URL
    out: Path
    period: Period
    as_of: dt.date
    programme_path: Path
    programme: Programme
    notebook_dir: Path
    notebook_params: dict[str, list[str]]  # notebook file name -> its parameter names
    reports: list[ReportSpec]  # everything selected, the overview last
    lang: str
    audience: str
    request: ReportRequest | None = None  # the batch's request (None: `pumpurs index`)
    source: DataSource | None = None  # the data, opened once for the whole batch

    @property
    def period_dir(self) -> Path:
        return self.out / self.period.label

    @property
    def data_source(self) -> DataSource | str | Path:
        """What the batch reads the data from: the source it opened once."""
        return self.source if self.source is not None else self.data

    def policy(self, audience: str | None = None) -> Audience:
        """The batch's audience policy, built once with the programme (a params file
        may give one municipality's report another audience: that one's policy)."""
        wanted = audience or self.audience
        if self.request is not None and self.request.audience.name == wanted:
            return self.request.audience
        return Audience.of(wanted, self.programme)

    private_cache: Path | None = None  # public batches: a temporary folder of their own

    @property
    def cache_dir(self) -> Path:
        """Judged slices hold pupil-level data: a public batch keeps them outside the
        reports folder, in a folder of its own that it deletes (a kill leaves it in the
        system's temporary folder, never in the published tree)."""
        return self.private_cache or self.out / CACHE


@dataclass
class Shared:
    """The judged data and what is derived from it once for all reports."""

    key: str
    store: Path  # the stored judgement every notebook reads its slice from (judgement_path)
    names: dict[str, str]  # report id -> municipality name, or session.NATIONAL
    slice_hashes: dict[str, str]
    slice_sizes: dict[str, dict[str, Any]]  # report id -> ledger_rows, findings
    data_files: list[dict[str, str]]  # {"role", "path", "sha256"}
    programme_sha256: str
    templates_sha256: str
    judged: Any = None  # the national Judgement when this batch judged it, else read lazily
    early: Path | None = None  # a store of the few municipalities rendered, written first
    storing: Future[Any] | None = None  # the national store, while a thread writes it
    release_sha: str = ""  # public: the hash of the period's suppression decisions
    changes_sha: dict[str, str] = field(default_factory=dict)  # report id -> run/changes.digest
    _slices: dict[str, Any] = field(default_factory=dict)  # municipality name -> Judgement
    held: Any = None  # the store's shared lock (session.use_store), released by `close`

    def close(self) -> None:
        """The store may be pruned (by a later batch on other data) once this ends."""
        if self.held is not None:
            self.held.close()
            self.held = None

    def wait_stored(self) -> None:
        """Wait until the national store is whole (it may be written while reports render);
        raises what writing it raised."""
        if self.storing is not None:
            self.storing.result()

    @property
    def national(self) -> Any:
        """The national Judgement, read from the store only when something needs it (a
        rerun with nothing to render and an index from cached figures needs nothing)."""
        if self.judged is None:
            from pumpurs.run.session import read_judgement

            self.judged = read_judgement(self.store)
        return self.judged

    def slice(self, rid: str) -> Any:
        """A report's Judgement (the national one for the overview), made when first asked."""
        if rid == OVERVIEW:
            return self.national
        name = self.names[rid]
        if name not in self._slices:
            self._slices[name] = self.national.scoped(municipality=name)
        return self._slices[name]


@dataclass
class Plan:
    render: list[ReportSpec]
    up_to_date: list[ReportSpec]


@dataclass
class Outcome:
    """What `run_batch` did: the exit status and a line for each report rendered."""

    exit_code: int
    rendered: list[Result] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)
    up_to_date: int = 0
    seconds: float = 0.0
    period_dir: Path | None = None
    message: str = ""
    planned: int = 0  # reports that were to be rendered (not up to date)
    indexed: bool = True  # index.html was written (not by `pumpurs render`)
    status: dict[str, Any] = field(default_factory=dict)  # status.json's reports, as left


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
def _json_hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _write_json(path: Path, obj: Any) -> None:

    write_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
