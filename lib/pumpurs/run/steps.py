"""The batch as steps an orchestrator runs apart (Airflow, Dagster, Prefect, Dask):

1. `judge` - the data is read, validated and judged ONCE into the store of its data
   version (`<out>/.cache/<key>`, or `cache`), with the index's key figures; returns the
   store's path. The store is pinned: a later batch on the same --out does not prune it
   (it goes once unused for 14 days).
2. `render` - any subset of the reports, from that store, in as many processes at once
   as the orchestrator likes, all into one --out: each report is locked on its own
   (`folders.reports_locked`), status.json is merged under a short lock. No data is
   read: the store is the data version the manifests record.
3. `index` - `<out>/<period>/index.html` from status.json, the manifests and the key
   figures kept in the store.

`pumpurs run` is the three in one process (plus the workers kept warm between them).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pumpurs.core.calendar import parse_period
from pumpurs.core.errors import UsageError
from pumpurs.run import session
from pumpurs.run.batch import _said, _touch, _Workers, prepare_shared, render_planned
from pumpurs.run.folders import read_folder_settings, read_status, status_locked
from pumpurs.run.index import index_figures, write_index
from pumpurs.run.inputs import templates_hash, validate_inputs
from pumpurs.run.log import log
from pumpurs.run.model import (
    CACHE,
    DEFAULT_NOTEBOOKS,
    OVERVIEW,
    STATUS_FILE,
    Inputs,
    Outcome,
    RunOptions,
    Shared,
    _read_json,
)
from pumpurs.run.runtime import private_runtime
from pumpurs.sources.files import sha256_file

STEP_FILE = "step.json"  # in a store: the data version and report date it holds


def judge(opts: RunOptions, cache: Path | None = None) -> Path:
    """Judge the data once for `opts.period` (and `opts.as_of`) into a store that
    `render` and `index` read; returns the store's folder. Bad data: InputError (exit 2),
    nothing written; data that keeps changing while read: TemporaryError (exit 75)."""
    inputs = validate_inputs(dataclasses.replace(opts, all=True, municipalities=[]))
    if cache is not None:
        inputs.private_cache = Path(cache).resolve()
    elif not inputs.policy().keeps_judged_data_beside_reports:
        raise UsageError(
            f"{inputs.out} holds {inputs.audience} reports: judged data (pupil level) is never "
            "kept beside them; give --cache a folder of your own for it"
        )
    shared = prepare_shared(inputs)
    with contextlib.closing(shared):
        index_figures(inputs, shared)  # kept in the store: `index` reads no judgement
        step = {
            "data": str(inputs.data),
            "data_files": shared.data_files,
            "programme_path": str(inputs.programme_path),
            "programme_sha256": shared.programme_sha256,
            "period": inputs.period.label,
            "as_of": inputs.as_of.isoformat(),
        }
        session.derived_path(shared.store, "step").write_text(
            json.dumps(step, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        (shared.store / session.PINNED).touch()
    return shared.store


def read_step(store: Path) -> dict[str, Any]:
    """What `judge` recorded in a store; a folder that is no such store is refused."""
    step = _read_json(Path(store) / STEP_FILE)
    if not session.is_stored(Path(store).name, Path(store).parent) or not isinstance(step, dict):
        raise UsageError(
            f"--store {store}: not a store written by `pumpurs judge` (or removed since); "
            "run `pumpurs judge DATA --period P` and give the path it prints"
        )
    return step


def _held(store: Path, inputs: Inputs, step: dict[str, Any]) -> Shared:
    """The store as the batch's shared data, held (no pruning removes it) while used."""
    held = session.use_store(store.parent, store.name)
    try:
        step = read_step(store)  # again, now that no pruner can remove it
        if sha256_file(inputs.programme_path) != step["programme_sha256"]:
            raise UsageError(
                f"{inputs.programme_path} changed since the data was judged into {store}; "
                "run `pumpurs judge` again"
            )
        _touch(store)
        facts = session.read_meta(store)["reports"]
        names = {OVERVIEW: session.NATIONAL} | {
            m.slug: m.name for m in inputs.programme.municipalities
        }
        return Shared(
            key=store.name,
            held=held,
            store=store,
            names=names,
            slice_hashes={r: facts[n]["hash"] for r, n in names.items() if n in facts},
            slice_sizes={r: facts[n] for r, n in names.items() if n in facts},
            data_files=step["data_files"],
            programme_sha256=step["programme_sha256"],
            templates_sha256=templates_hash(),
        )
    except BaseException:
        held.close()
        raise


def render(opts: RunOptions, store: Path, echo: Callable[[str], None] = log) -> Outcome:
    """Render the reports `opts` selects (`municipalities`, `overview`, `all`) from a
    store `judge` wrote, into `opts.out`; the data, period, report date and programme are
    the store's. Other processes may render other reports of the period meanwhile; a
    report another process is rendering: TemporaryError (exit 75). No index (`index`)."""
    t0 = time.perf_counter()
    store = Path(store).resolve()
    step = read_step(store)
    opts = dataclasses.replace(
        opts,
        data=step["data"],
        period=step["period"],
        as_of=step["as_of"],
        programme=Path(step["programme_path"]),
    )
    inputs = validate_inputs(opts)
    public = not inputs.policy().keeps_judged_data_beside_reports
    if public and inputs.out in store.parents:
        raise UsageError(
            f"--store {store} is inside --out {inputs.out}: a public folder keeps no judged "
            "data; judge with --cache outside it"
        )
    for var, folder in private_runtime().items():
        echo(f"{var}={folder}: its default folder cannot be written")
    with _Workers(inputs) as workers:
        shared = _held(store, inputs, step)
        outcome = render_planned(inputs, shared, workers, echo, prune=False, index=False)
    outcome.seconds = time.perf_counter() - t0
    _said(outcome, opts, echo)
    return outcome


def index(period_dir: Path, store: Path | None = None) -> Path:
    """Write `<out>/<period>/index.html` from status.json, the manifests and the key figures
    the store keeps (`store`: by default the one status.json names in `<out>/.cache`)."""
    period_dir = Path(period_dir).resolve()
    recorded = _read_json(period_dir / STATUS_FILE)
    if not isinstance(recorded, dict):
        raise UsageError(
            f"{period_dir}: no {STATUS_FILE} here; give the period folder a `pumpurs render` "
            "or `pumpurs run` wrote to (OUT/PERIOD, e.g. reports/2021-H1)"
        )
    key = recorded.get("judgement")
    if store is None:
        if not key:
            raise UsageError(f"{period_dir}: status.json names no judged data; give --store")
        store = period_dir.parent / CACHE / str(key)
    store = Path(store).resolve()
    step = read_step(store)
    if step["period"] != period_dir.name:
        raise UsageError(
            f"--store {store} holds the data judged for {step['period']}, not {period_dir.name}"
        )
    settings = read_folder_settings(period_dir)
    held = session.use_store(store.parent, store.name)
    try:
        meta = session.read_meta(store)
        programme = meta["programme"]
        period = parse_period(step["period"])
        inputs = Inputs(
            options=RunOptions(data=step["data"], out=period_dir.parent),
            data=step["data"],
            out=period_dir.parent,
            period=period,
            as_of=dt.date.fromisoformat(step["as_of"]),
            programme_path=Path(step["programme_path"]),
            programme=programme,
            notebook_dir=DEFAULT_NOTEBOOKS,
            notebook_params={},
            reports=[],
            lang=settings.get("lang", "lv"),
            audience=settings.get("audience", "internal"),
        )
        names = {OVERVIEW: session.NATIONAL} | {m.slug: m.name for m in programme.municipalities}
        shared = Shared(
            key=store.name,
            store=store,
            names=names,
            slice_hashes={},
            slice_sizes={},
            data_files=step["data_files"],
            programme_sha256=step["programme_sha256"],
            templates_sha256="",
        )
        figures = index_figures(inputs, shared)
        with status_locked(period_dir):
            return write_index(inputs, shared, read_status(period_dir), figures)
    finally:
        held.close()
