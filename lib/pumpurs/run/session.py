"""Judged data, computed once and reused: the bridge between notebooks and the batch.

Validating and judging the national data takes seconds; a report needs only its
municipality's slice. The batch judges once (`prepare_slices`) into a cache folder it
names, and hands each notebook the path of its slice (`judgement_path`): the kernel
loads that file and nothing else. A notebook run alone (an analyst in JupyterLab)
passes no path; `judgement()` then uses a per-user cache keyed by everything the result
depends on: the input files' hashes, programme.yaml, the library's source and `as_of`.
This module alone knows the cache's layout: `<cache>/<key>/<slug or _national>.pkl`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import os
import pickle
import shutil
import tempfile
import time
from functools import cache
from pathlib import Path

import pandas as pd

from pumpurs.core.calendar import parse_date
from pumpurs.core.dataset import Dataset
from pumpurs.core.project import resolve_data
from pumpurs.core.rules import Judgement, judge
from pumpurs.core.settings import DEFAULT_PROGRAMME, Programme, load_programme, slugify
from pumpurs.sources import load, open_source
from pumpurs.sources.folder import remembered_sha256

NATIONAL = "_national"


def cache_dir() -> Path:
    """The per-user cache of notebooks run alone (XDG_CACHE_HOME/pumpurs)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pumpurs"


# What runs reports but does not shape their content: editing it re-renders nothing.
NOT_CONTENT = (
    "run/",
    "cli/",
    "demo/",
    "present/index_page.py",
    "present/summary.py",
    "present/views.py",
)


@cache
def code_hash() -> str:
    """The source of what a report's content depends on (rules, totals, views, rendering):
    a change there must invalidate cached judgements and rendered reports."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256()
    for p in sorted(root.rglob("*.py")):
        name = p.relative_to(root).as_posix()
        if name.startswith(NOT_CONTENT):
            continue
        h.update(name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()[:16]


def inputs_key(data: str | Path, programme_path: Path, as_of: dt.date | None) -> str:
    """Hash of what a judgement depends on: the source's content, programme.yaml, the
    library's code and the report date (never a file's time)."""
    h = hashlib.sha256()
    h.update(open_source(data).fingerprint().encode())
    h.update(remembered_sha256(Path(programme_path)).encode())
    h.update(code_hash().encode())
    h.update(str(as_of).encode())
    return h.hexdigest()[:20]


def _as_date(as_of: str | dt.date | None) -> dt.date | None:
    if as_of is None or as_of == "":
        return None
    return as_of if isinstance(as_of, dt.date) else parse_date(str(as_of))


def slice_path(key: str, name: str, cache: Path | None = None) -> Path:
    """Where the judgement `key` keeps the slice of municipality `name` (or NATIONAL)."""
    return (cache or cache_dir()) / key / f"{slugify(name) if name != NATIONAL else NATIONAL}.pkl"


def slices_cached(key: str, programme: Programme, cache: Path) -> bool:
    """Whether every slice of this judgement is already in `cache`."""
    names = [NATIONAL, *(m.name for m in programme.municipalities)]
    return all(slice_path(key, n, cache).is_file() for n in names)


def load_slice(path: str | Path) -> Judgement:
    """A slice the batch wrote: the one file a batch-run notebook reads."""
    with open(path, "rb") as f:
        judged: Judgement = pickle.load(f)
    return judged


def _write(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            pickle.dump(obj, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:  # a full disk or a kill: no half-written pickle is left behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


CACHE_KEEP = 1  # judgements kept besides the current one (a switch back to the last data)


def prune_cache(cache: Path, keep: str, max_age_days: int = 14) -> None:
    """Keep the current judgement and the last one before it; drop the rest, and anything
    unused for `max_age_days`, so that the cache does not grow with every data version."""
    if not cache.is_dir():
        return
    limit = time.time() - max_age_days * 86400
    others = []
    for d in cache.iterdir():
        with contextlib.suppress(OSError):
            if d.is_dir() and d.name != keep:
                others.append((d.stat().st_mtime, d))
            elif d.is_file() and d.suffix == ".tmp":  # a write cut short (full disk, kill)
                d.unlink()
    others.sort(reverse=True)
    for i, (mtime, d) in enumerate(others):
        if i >= CACHE_KEEP or mtime < limit:
            shutil.rmtree(d, ignore_errors=True)


def load_and_judge(data: Path, programme: Programme, as_of: dt.date | None) -> Judgement:
    ds: Dataset = load(data, programme)
    return judge(ds, programme, as_of)


def prepare_slices(
    data: str | Path,
    as_of: str | dt.date | None = None,
    programme_path: str | Path | None = None,
    judgement_: Judgement | None = None,
    cache: Path | None = None,
) -> tuple[str, Judgement]:
    """Judge once and write the national view and every municipality's slice to `cache`."""
    data, prog_path = Path(data), Path(programme_path or DEFAULT_PROGRAMME)
    when = _as_date(as_of)
    key = inputs_key(data, prog_path, when)
    programme = load_programme(prog_path)
    j = judgement_ or load_and_judge(data, programme, when)
    _write(slice_path(key, NATIONAL, cache), j)
    for m in programme.municipalities:
        _write(slice_path(key, m.name, cache), j.scoped(municipality=m.name))
    return key, j


def judgement(
    data: str | Path,
    municipality: str | None = None,
    as_of: str | dt.date | None = None,
    programme_path: str | Path | None = None,
    judgement_path: str | Path | None = None,
) -> Judgement:
    """The judgement of `data` (national, or one municipality's view): the slice the batch
    handed over, else from the per-user cache if fresh, else judged now."""
    if judgement_path:
        return load_slice(judgement_path)
    data, prog_path = resolve_data(data), Path(programme_path or DEFAULT_PROGRAMME)
    when = _as_date(as_of)
    programme = load_programme(prog_path)
    name = programme.municipality(municipality).name if municipality else NATIONAL
    key = inputs_key(data, prog_path, when)
    path = slice_path(key, name)
    if path.exists():
        with open(path, "rb") as f:
            return pickle.load(f)
    national = slice_path(key, NATIONAL)
    if national.exists():  # judged before, but not this slice: narrow the national view
        with open(national, "rb") as f:
            j = pickle.load(f)
    else:
        j = load_and_judge(data, programme, when)
        _write(national, j)
        prune_cache(cache_dir(), key)
    if municipality:
        j = j.scoped(municipality=name)
        _write(path, j)
    return j


def content_hash(j: Judgement) -> str:
    """A stable hash of a (scoped) judgement's tables: what a report depends on."""
    h = hashlib.sha256()
    for frame in (
        j.ledger,
        j.plans,
        j.findings.drop(columns=["entry_ids"]),
        j.dataset.partners,
        j.dataset.schools,
        j.dataset.outcomes,
    ):
        h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
        h.update(",".join(map(str, frame.columns)).encode())
    h.update("|".join(";".join(t) for t in j.findings["entry_ids"]).encode())
    h.update(str(j.as_of).encode())
    return h.hexdigest()[:20]
