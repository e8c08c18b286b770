"""Judged data, computed once and reused: the bridge between notebooks and the batch.

Validating and judging the national data takes seconds; a report needs only its
municipality's slice. The batch judges once, stores the judgement (`write_judgement`)
in a cache folder it names, and hands each notebook the store's path
(`judgement_path`): the kernel reads its municipality's row groups and nothing else. A notebook run alone (an
analyst in JupyterLab) passes no path; `judgement()` then uses a per-user cache keyed by
everything the result depends on: the input files' hashes, programme.yaml, the
library's source, `as_of` and this module's own source. This module alone knows the
cache's layout: `<cache>/<key>/` holds one Parquet file per table (each sorted by
municipality, a row group per municipality) and `meta.pkl` (`write_judgement`).
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
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from pumpurs.core.calendar import parse_date
from pumpurs.core.dataset import Dataset
from pumpurs.core.errors import UsageError
from pumpurs.core.project import resolve_data
from pumpurs.core.rules import Judgement, judge
from pumpurs.core.settings import DEFAULT_PROGRAMME, Programme, load_programme
from pumpurs.report.request import ReportRequest
from pumpurs.sources import DataSource, load, open_source, snapshot
from pumpurs.sources.folder import remembered_sha256

NATIONAL = "_national"


def cache_dir() -> Path:
    """The per-user cache of notebooks run alone (XDG_CACHE_HOME/pumpurs)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "pumpurs"


def private_folder(folder: Path) -> Path:
    """`folder`, created if absent, readable by its owner alone (0700): a cache of judged
    data holds pupil pseudonyms. A folder of someone else's is left as it is."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(folder, 0o700)
    return folder


def _owner_only(folder: Path) -> None:
    """Every file of a store readable and writable by its owner alone (0600)."""
    for path in folder.rglob("*"):
        os.chmod(path, 0o700 if path.is_dir() else 0o600)
    os.chmod(folder, 0o700)


def clear_cache(cache: Path | None = None) -> int:
    """Delete every stored judgement of the per-user cache (`pumpurs cache clear`);
    returns how many there were. Notebooks run alone judge again next time."""
    folder = cache or cache_dir()
    if not folder.is_dir():
        return 0
    n = 0
    for entry in folder.iterdir():
        if entry.is_dir():
            n += (entry / META).is_file()
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return n


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


def inputs_key(data: str | Path | DataSource, programme_path: Path, as_of: dt.date | None) -> str:
    """Hash of what a judgement depends on: the source's content, programme.yaml, the
    library's code and the report date (never a file's time)."""
    h = hashlib.sha256()
    h.update(open_source(data).fingerprint().encode())
    h.update(remembered_sha256(Path(programme_path)).encode())
    h.update(code_hash().encode())
    h.update(str(as_of).encode())
    h.update(_store_code())
    return h.hexdigest()[:20]


@cache
def _store_code() -> bytes:
    """This module's source: a store is read only by the code that wrote it."""
    return hashlib.sha256(Path(__file__).read_bytes()).digest()


def _as_date(as_of: str | dt.date | None) -> dt.date | None:
    if as_of is None or as_of == "":
        return None
    return as_of if isinstance(as_of, dt.date) else parse_date(str(as_of))


META = "meta.pkl"
# The tables of a Judgement, where each lives, and how a municipality's rows are found.
LEDGER_TABLES = ("ledger", "plans", "findings")
DATASET_TABLES = ("partners", "expenditures", "support_plans")
WHOLE_TABLES = ("schools", "outcomes")  # every school stays in a slice; outcomes by pupil
POS = "_pos"  # the row's position in the national table, for the national order


def store_path(key: str, cache: Path | None = None) -> Path:
    """The folder of judgement `key`: one Parquet file per table, and meta.pkl."""
    return (cache or cache_dir()) / key


def derived_path(store: Path, name: str) -> Path:
    """A file of facts derived from a stored judgement (the index's key figures for a
    period): kept beside it, and pruned with it."""
    return Path(store) / f"{name}.json"


def is_stored(key: str, cache: Path | None = None) -> bool:
    return (store_path(key, cache) / META).is_file()


def _frame(j: Judgement, table: str) -> pd.DataFrame:
    return getattr(j, table) if table in LEDGER_TABLES else getattr(j.dataset, table)


def _to_arrow(frame: pd.DataFrame) -> pa.Table:
    out = frame.copy()
    if "entry_ids" in out:  # tuples -> lists (Parquet's list<string>)
        out["entry_ids"] = [list(t) for t in out["entry_ids"]]
    return pa.Table.from_pandas(out, preserve_index=False)


def _dtypes(frame: pd.DataFrame) -> dict[str, Any]:
    """The frame's dtypes themselves (pickled in meta): a categorical keeps its categories,
    which a Parquet row group, holding only its own values, would not give back."""
    return {str(c): t for c, t in frame.dtypes.items()}


def _from_arrow(table: pa.Table, dtypes: dict[str, Any]) -> pd.DataFrame:
    """Back to pandas with the dtypes the judgement had (object text stays object)."""
    frame = table.to_pandas()
    if "entry_ids" in frame:
        frame["entry_ids"] = pd.Series([tuple(t) for t in frame["entry_ids"]], dtype=object)
    for col, dtype in dtypes.items():
        if col in frame and frame[col].dtype != dtype:
            frame[col] = frame[col].astype(dtype)
    return frame


def write_judgement(
    j: Judgement, folder: Path, only: Sequence[str] = (), rest_in: Path | None = None
) -> dict[str, Any]:
    """Store a national judgement once, compactly: each table sorted (stably) by
    municipality, one Parquet row group per municipality, so a report reads its own rows
    and nothing else. Returns the meta: row groups, and per report its content hash and
    size. Written into a temporary folder and renamed, so a store is whole or absent.

    `only`: a store of these municipalities' rows alone (and the whole tables), read
    exactly as the national store reads them: what a report of one municipality starts
    from while the national store is still being written. Asked for the nation or another
    municipality, it reads them from `rest_in` (the national store), once that is whole."""
    if only and rest_in is None:
        raise ValueError("a store of a few municipalities names the store of the rest")
    private_folder(folder.parent)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    names = list(dict.fromkeys(only)) or [m.name for m in j.programme.municipalities]
    rows = j.municipality_rows(names if only else None)  # table -> municipality -> positions

    def grouped(table: str) -> tuple[str, dict[str, list[int]]]:
        own = {n: rows[table][n] for n in names}
        frame = _frame(j, table)
        counts = np.array([len(own[n]) for n in names], dtype=np.int64)
        placed = np.concatenate([np.zeros(0, np.int64), *own.values()])
        rest = np.zeros(0, np.int64)
        if not only:
            unplaced = np.ones(len(frame), dtype=bool)
            unplaced[placed] = False
            rest = np.flatnonzero(unplaced)  # rows of no municipality
        order = np.concatenate([placed, rest]).astype(np.int64)
        counts = np.append(counts, len(rest))
        bounds = np.concatenate([[0], np.cumsum(counts)])
        arrow = _to_arrow(frame).take(pa.array(order))
        arrow = arrow.append_column(POS, pa.array(_positions(frame)[order], type=pa.int64()))
        path = tmp / f"{table}.parquet"
        with pq.ParquetWriter(path, arrow.schema, **_encodings(arrow.schema)) as w:
            for i, n in enumerate(counts):
                if n:  # one municipality's rows: its own row group(s)
                    w.write_table(arrow.slice(bounds[i], int(n)), row_group_size=int(n))
        return table, _row_groups(path, [*names, ""], counts)

    def whole(table: str) -> None:
        arrow = _to_arrow(_frame(j, table))
        pq.write_table(arrow, tmp / f"{table}.parquet", **_encodings(arrow.schema))

    try:
        # Arrow encodes and compresses without the GIL: the tables are written side by
        # side (the report's hashes meanwhile), biggest first.
        from concurrent.futures import ThreadPoolExecutor

        split = sorted((*LEDGER_TABLES, *DATASET_TABLES), key=lambda t: -len(_frame(j, t)))
        with ThreadPoolExecutor(max(1, min(4, os.cpu_count() or 1))) as pool:
            written = [pool.submit(grouped, t) for t in split]
            kept = [pool.submit(whole, t) for t in WHOLE_TABLES]
            facts = _few_facts(j, names) if only else _slice_facts(j, names, rows)
            done = dict(f.result() for f in written)
            groups = {t: done[t] for t in rows if t in done}  # in the tables' own order
            for pending in kept:
                pending.result()
        meta: dict[str, Any] = {
            "as_of": j.as_of,
            "programme": j.programme,
            "sources": j.dataset.sources,
            "folder": j.dataset.folder,
            "groups": groups,
            "dtypes": {
                t: _dtypes(_frame(j, t)) for t in (*LEDGER_TABLES, *DATASET_TABLES, *WHOLE_TABLES)
            },
            "reports": facts,
            "only": list(names) if only else None,  # a store of a few municipalities;
            "rest_in": str(rest_in) if only else None,  # every other name is read there
        }
        with open(tmp / META, "wb") as f:
            pickle.dump(meta, f, protocol=pickle.HIGHEST_PROTOCOL)
        _owner_only(tmp)
        _move_into_place(tmp, folder)
    except BaseException:  # a full disk or a kill: no half-written store is left behind
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return meta


# Positions run upwards and ids share their prefixes: delta encodings store them in a
# fraction of a dictionary's bytes; everything else repeats and is dictionary-encoded.
_DELTA = {POS: "DELTA_BINARY_PACKED", "_row": "DELTA_BINARY_PACKED",
          "entry_id": "DELTA_BYTE_ARRAY", "document_ref": "DELTA_BYTE_ARRAY"}  # fmt: skip


def _encodings(schema: pa.Schema) -> dict[str, Any]:
    delta = {c: e for c, e in _DELTA.items() if c in schema.names}
    return {
        "compression": "zstd",
        "use_dictionary": [c for c in schema.names if c not in delta],
        "column_encoding": delta,
    }


def _move_into_place(tmp: Path, folder: Path) -> None:
    """Rename the finished store into place. Another process (a second kernel judging
    the same data) may have finished first: its store is the same, so ours goes."""
    if (folder / META).is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        return
    shutil.rmtree(folder, ignore_errors=True)  # a store cut short (no meta): replaced
    try:
        os.rename(tmp, folder)
    except OSError:
        if not (folder / META).is_file():
            raise
        shutil.rmtree(tmp, ignore_errors=True)


def _positions(frame: pd.DataFrame) -> np.ndarray:
    """The rows' index labels (a slice of the raw tables keeps the national labels)."""
    if frame.index.dtype.kind != "i":
        raise ValueError("a judgement's tables have integer row labels")
    return frame.index.to_numpy()


def _slice_facts(
    j: Judgement, names: list[str], rows: dict[str, dict[str, np.ndarray]]
) -> dict[str, dict[str, Any]]:
    """Per report: its content hash (`content_hash` of the slice, computed from the national
    row hashes, not by building 43 slices) and its size."""
    tables = _hashed_tables(j)
    columns = {t: list(f.columns) for t, f in tables}
    hashed = {t: _row_hashes(f) for t, f in tables}
    facts = {
        NATIONAL: {
            "hash": _combine(columns, hashed, j.as_of),
            "ledger_rows": len(j.ledger),
            "findings": len(j.findings),
        }
    }
    for name in names:
        take = {t: rows[t][name] for t in rows}
        part = {
            "ledger": hashed["ledger"][take["ledger"]],
            "plans": hashed["plans"][take["plans"]],
            "findings": hashed["findings"][take["findings"]],
            "partners": hashed["partners"][take["partners"]],
            "schools": hashed["schools"],
            "outcomes": hashed["outcomes"][take["outcomes"]],
            "entry_ids": hashed["entry_ids"][take["findings"]],
        }
        facts[name] = {
            "hash": _combine(columns, part, j.as_of),
            "ledger_rows": len(take["ledger"]),
            "findings": len(take["findings"]),
        }
    return facts


def _few_facts(j: Judgement, names: Sequence[str]) -> dict[str, dict[str, Any]]:
    """`_slice_facts` of a few municipalities, from their own rows (hashing the nation's
    rows for one report would cost more than the report's slice)."""
    facts = {}
    for name in names:
        own = j.scoped(municipality=name)
        facts[name] = {
            "hash": content_hash(own),
            "ledger_rows": len(own.ledger),
            "findings": len(own.findings),
        }
    return facts


def _hashed_tables(j: Judgement) -> list[tuple[str, pd.DataFrame]]:
    return [
        ("ledger", j.ledger),
        ("plans", j.plans),
        ("findings", j.findings.drop(columns=["entry_ids"])),
        ("partners", j.dataset.partners),
        ("schools", j.dataset.schools),
        ("outcomes", j.dataset.outcomes),
        ("entry_ids", pd.DataFrame({"entry_ids": [";".join(t) for t in j.findings["entry_ids"]]})),
    ]


def _row_hashes(frame: pd.DataFrame) -> np.ndarray:
    return pd.util.hash_pandas_object(frame, index=False).to_numpy()


def _combine(columns: dict[str, list[str]], hashes: dict[str, np.ndarray], as_of: dt.date) -> str:
    h = hashlib.sha256()
    for table, names in columns.items():
        h.update(table.encode())
        h.update(",".join(map(str, names)).encode())
        h.update(np.ascontiguousarray(hashes[table]).tobytes())
    h.update(str(as_of).encode())
    return h.hexdigest()[:20]


def _row_groups(path: Path, names: list[str], counts: np.ndarray) -> dict[str, list[int]]:
    """Which row groups hold each municipality's rows (a very large one may need two)."""
    md = pq.ParquetFile(path).metadata
    sizes = [md.row_group(i).num_rows for i in range(md.num_row_groups)]
    out: dict[str, list[int]] = {}
    group = 0
    for name, n in zip(names, counts, strict=True):
        left = int(n)
        while left > 0:
            out.setdefault(name, []).append(group)
            left -= sizes[group]
            group += 1
    return out


def read_meta(folder: str | Path) -> dict[str, Any]:
    with open(Path(folder) / META, "rb") as f:
        meta: dict[str, Any] = pickle.load(f)
    return meta


def read_judgement(folder: str | Path, name: str = NATIONAL) -> Judgement:
    """The national judgement, or municipality `name`'s slice, from a store: exactly what
    `Judgement.scoped(municipality=name)` gives, row order and index included."""
    folder = Path(folder)
    meta = read_meta(folder)
    held = meta.get("only")
    if held is not None and name not in held:  # a store of a few: the rest is elsewhere
        return read_judgement(_wait_for_store(folder, Path(meta["rest_in"])), name)
    frames: dict[str, pd.DataFrame] = {}
    for table, groups in meta["groups"].items():
        path = folder / f"{table}.parquet"
        if name == NATIONAL:
            arrow = pq.read_table(path).combine_chunks()
            national_order = np.argsort(arrow[POS].to_numpy(), kind="stable")
            frame = _from_arrow(arrow.take(pa.array(national_order)), meta["dtypes"][table])
        elif name in groups:
            frame = _from_arrow(
                pq.ParquetFile(path).read_row_groups(groups[name]), meta["dtypes"][table]
            )
        else:
            schema = pq.read_schema(path)
            frame = _from_arrow(schema.empty_table(), meta["dtypes"][table])
        index = pd.Index(frame.pop(POS).to_numpy(), dtype="int64")
        keeps_index = table in ("expenditures", "support_plans") and name != NATIONAL
        frame.index = index if keeps_index else pd.RangeIndex(len(frame))
        frames[table] = frame
    for table in WHOLE_TABLES:
        frames[table] = _from_arrow(
            pq.read_table(folder / f"{table}.parquet"), meta["dtypes"][table]
        )
    if name != NATIONAL:
        outcomes = frames["outcomes"]
        frames["outcomes"] = outcomes[outcomes["student_id"].isin(frames["plans"]["student_id"])]
    ds = Dataset(
        partners=frames["partners"],
        schools=frames["schools"],
        support_plans=frames["support_plans"],
        expenditures=frames["expenditures"],
        outcomes=frames["outcomes"],
        sources=meta["sources"],
        folder=meta["folder"],
    )
    return Judgement(
        as_of=meta["as_of"],
        ledger=frames["ledger"],
        plans=frames["plans"],
        findings=frames["findings"],
        dataset=ds,
        programme=meta["programme"],
    )


STORE_WAIT_SECONDS = 600.0


def _wait_for_store(early: Path, national: Path, timeout: float = STORE_WAIT_SECONDS) -> Path:
    """The national store a batch is writing beside an early one (a custom notebook may
    ask the early store for the nation, or for a municipality it does not hold)."""
    deadline = time.monotonic() + timeout
    while not (national / META).is_file():
        if time.monotonic() > deadline:
            raise UsageError(
                f"{early}: holds only some municipalities' rows, and the national store "
                f"{national} was not written within {timeout:.0f} s (see the batch's error); "
                "leave judgement_path empty to judge the data in the notebook"
            )
        time.sleep(0.05)
    return national


def load_slice(path: str | Path, name: str | None = None) -> Judgement:
    """What a batch-run notebook reads: its municipality's slice of the store at `path`."""
    return read_judgement(path, name or NATIONAL)


TMP_GRACE_SECONDS = 3600  # a store being written is not a leftover
BUSY_SECONDS = 600  # a judgement a notebook read this recently may still be being read


LOCK_SUFFIX = ".lock"
# A store `pumpurs judge` wrote for later steps (`pumpurs render`, `pumpurs index`, each
# its own process): pruned only once unused for `max_age_days`, not by the next batch.
PINNED = "pinned"


def _lock_path(cache: Path, key: str) -> Path:
    return cache / f"{key}{LOCK_SUFFIX}"


def _fcntl() -> Any:
    """fcntl where there is one: this module is also a notebook's, on any system."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        return None
    return fcntl


def use_store(cache: Path, key: str) -> IO[str]:
    """Mark store `key` in use for as long as the returned file stays open: a shared lock
    on `<cache>/<key>.lock`, which no pruning (by a batch of another period or report
    date on the same --out) removes the store under. Taken before the store is looked
    for or written, so it is never removed between being found and being read."""
    cache.mkdir(parents=True, exist_ok=True)
    path = _lock_path(cache, key)
    fcntl = _fcntl()
    if fcntl is None:  # no flock (Windows): a notebook's own cache, no batch to share it
        return open(path, "a+")  # noqa: SIM115 - held by the caller
    while True:
        f = open(path, "a+")  # noqa: SIM115 - held by the caller
        fcntl.flock(f, fcntl.LOCK_SH)  # waits only while a pruner removes the store (ms)
        try:
            if os.stat(path).st_ino == os.fstat(f.fileno()).st_ino:
                return f
        except FileNotFoundError:
            pass
        f.close()  # the pruner unlinked this lock file: take the new one


def _remove_unused(cache: Path, key: str) -> bool:
    """Remove store `key` unless a process holds it (`use_store`); True when removed."""
    path = _lock_path(cache, key)
    fcntl = _fcntl()
    with open(path, "a+") as f:
        try:
            if fcntl is not None:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        shutil.rmtree(cache / key, ignore_errors=True)
        with contextlib.suppress(OSError):
            path.unlink()
    return True


def prune_cache(
    cache: Path, keep: str, max_age_days: int = 14, last: int = 1, busy_seconds: float = 0
) -> None:
    """Keep the current judgement and the `last` ones used before it; drop the rest, and
    anything unused for `max_age_days`, so that the cache does not grow with every data
    version. An analyst's own cache keeps one more (switching between two report dates
    is common there); a batch's `--out` cache keeps the current one only (`last=0`), so
    that reports and cache stay smaller than the data. A judgement used in the last
    `busy_seconds` stays: another notebook (on other data) may be reading it right now;
    a judgement a process holds (`use_store`: a batch of another period on the same
    --out) is never removed; a pinned one (`PINNED`) goes only when it is too old."""
    if not cache.is_dir():
        return
    now = time.time()
    limit = now - max_age_days * 86400
    others = []
    for d in cache.iterdir():
        with contextlib.suppress(OSError):
            if d.name.endswith(LOCK_SUFFIX):
                key = d.name[: -len(LOCK_SUFFIX)]
                if key != keep and not (cache / key).exists():
                    _remove_unused(cache, key)  # the lock of a store gone or never written
            elif d.name.endswith(".tmp"):
                if d.stat().st_mtime > now - TMP_GRACE_SECONDS:
                    continue  # another process may be writing it right now
                if d.is_dir():  # a write cut short (full disk, kill)
                    shutil.rmtree(d, ignore_errors=True)
                else:
                    d.unlink()
            elif d.is_dir() and d.name != keep:
                others.append((d.stat().st_mtime, d))
    others.sort(reverse=True)
    for i, (mtime, d) in enumerate(others):
        if mtime > now - busy_seconds:
            continue
        if (d / PINNED).is_file() and mtime >= limit:
            continue  # the steps of an orchestrator come back to it (`pumpurs judge`)
        if i >= last or mtime < limit:
            _remove_unused(cache, d.name)


def load_and_judge(
    data: str | Path | DataSource, programme: Programme, as_of: dt.date | None
) -> Judgement:
    ds: Dataset = load(data, programme)
    return judge(ds, programme, as_of)


def prepare_slices(
    data: str | Path,
    as_of: str | dt.date | None = None,
    programme_path: str | Path | None = None,
    judgement_: Judgement | None = None,
    cache: Path | None = None,
) -> tuple[str, Judgement]:
    """Judge once and store the judgement (every municipality's rows findable) in `cache`."""
    prog_path = Path(programme_path or DEFAULT_PROGRAMME)
    when = _as_date(as_of)
    key = inputs_key(data, prog_path, when)
    programme = load_programme(prog_path)
    j = judgement_ or load_and_judge(data, programme, when)
    write_judgement(j, store_path(key, cache))
    return key, j


def judgement(
    data: str | Path | ReportRequest,
    municipality: str | None = None,
    as_of: str | dt.date | None = None,
    programme_path: str | Path | None = None,
    judgement_path: str | Path | None = None,
) -> Judgement:
    """The judgement of `data` (national, or one municipality's view): read from the store
    the batch handed over, else from the per-user cache if fresh, else judged now.

    `data` is a notebook's `ReportRequest` (its data, report date and programme), or the
    data itself with `as_of` and `programme_path` beside it."""
    if isinstance(data, ReportRequest):
        request = data
        data, as_of, prog_path = (
            request.data,
            request.date_before_reading(),
            request.settings_path(),
        )
        programme = request.programme
    else:
        data, prog_path = resolve_data(data), Path(programme_path or DEFAULT_PROGRAMME)
        programme = load_programme(prog_path)
    name = programme.municipality(municipality).name if municipality else NATIONAL
    if judgement_path:
        return read_judgement(judgement_path, name)
    when = _as_date(as_of)
    with snapshot(open_source(data)) as source:  # the key and the data read agree
        key = inputs_key(source, prog_path, when)
        j = None if is_stored(key) else load_and_judge(source, programme, when)
    if j is not None:
        write_judgement(j, store_path(key))
        prune_cache(cache_dir(), key, busy_seconds=BUSY_SECONDS)
        return j if name == NATIONAL else j.scoped(municipality=name)
    with contextlib.suppress(OSError):
        os.utime(store_path(key))  # in use: no other notebook's pruning removes it now
    return read_judgement(store_path(key), name)


def content_hash(j: Judgement) -> str:
    """A stable hash of a (scoped) judgement's tables: what a report depends on. The store
    computes the same hash for every slice at once (`_slice_facts`)."""
    tables = _hashed_tables(j)
    return _combine(
        {t: list(f.columns) for t, f in tables}, {t: _row_hashes(f) for t, f in tables}, j.as_of
    )
