"""`pumpurs run`: render every municipality's report (and the national overview) in one go.

The batch reads as its steps (`run_batch`):

1. `validate_inputs` - programme.yaml, the notebooks' parameters, the params files and
   the chosen municipalities; anything wrong is refused (exit 2) before a kernel starts.
2. worker processes start in the background (`pumpurs.run.worker`): each warms one Jupyter
   kernel while the batch goes on.
3. `prepare_shared` - the data is validated and judged ONCE (`session.load_and_judge`)
   and stored in `<out>/.cache` (`session.write_judgement`: Parquet, a row group per
   municipality): each kernel reads its municipality's rows and nothing else. A run of
   a few municipalities stores their rows first and the national store on a thread.
   Bad data raises InputError (exit 2) and nothing is written.
4. `plan_work` (`run/plan.py`) - a report whose inputs (its judged slice, parameters,
   notebook, code, programme.yaml) are unchanged and whose outputs are intact is skipped.
5. `render_reports` - the reports are rendered in parallel (longest first), each into a
   temporary folder under `<out>/<period>/.tmp/`, and moved into place only when
   complete; status.json is updated after each one. Meanwhile this process, which
   only waits for the workers, computes the index's key figures (`index_figures`).
6. `write_index` - `<out>/<period>/index.html`: one line per municipality.

A public batch deletes `<out>/.cache` when it ends: the cached slices are pupil-level.

Exit status: 0 all done; 1 some reports failed (kept in `_failed/`, listed in
status.json and in red in the index; `--retry-failed` redoes only those); 2 bad input;
75 temporary (a report locked by another process, data that kept changing while read).
The same steps apart, for an orchestrator: `pumpurs.run.steps`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pumpurs.core.errors import InputError, TemporaryError
from pumpurs.run import changes, outputs, release, session
from pumpurs.run.background import in_background
from pumpurs.run.folders import (
    install_report,
    outputs_intact,
    public_error,
    read_status,
    recover_interrupted,
    reports_locked,
    status_locked,
    update_status,
)
from pumpurs.run.index import index_figures, write_index
from pumpurs.run.inputs import (
    templates_hash,
    validate_inputs,
)
from pumpurs.run.log import log
from pumpurs.run.model import (
    FAILED,
    INDEX_FILE,
    MANIFEST_FILE,
    OVERVIEW,
    TMP,
    Inputs,
    Outcome,
    Plan,
    RunOptions,
    Shared,
    _now,
)
from pumpurs.run.plan import make_task, plan_work
from pumpurs.run.protocol import Result, Task, WorkerConfig
from pumpurs.run.runtime import private_runtime
from pumpurs.sources import open_source, snapshot
from pumpurs.sources.files import sha256_file

__all__ = [
    "RunOptions",
    "Outcome",
    "run_batch",
    "validate_inputs",
    "reports_locked",
    "outputs_intact",
    "recover_interrupted",
    "install_report",
]


# ---------------------------------------------------------------------------
# Step 3: prepare_shared
# ---------------------------------------------------------------------------
def prepare_shared(inputs: Inputs, first: int = 0) -> Shared:
    """Validate and judge the data once and store the judgement for the kernels.

    A judgement already stored for exactly these inputs (data, programme, code, as_of)
    is reused, so a rerun with nothing changed does not judge again. InputError (bad
    data) propagates before anything is written. Data that changes while it is read is
    read again (`READ_ATTEMPTS`); data that keeps changing is a TemporaryError (exit 75).

    `first`: when the batch renders at most this many municipality reports (and no
    overview), their rows are stored first, in a small store of their own that the
    kernels start from, and the national store is written meanwhile on a thread (one
    report waits for its kernel, not for the nation's Parquet files).
    """
    cache = inputs.cache_dir
    key = session.inputs_key(inputs.data_source, inputs.programme_path, inputs.as_of)
    for attempt in range(1, READ_ATTEMPTS + 1):
        # held before the store is looked for, so no other batch's pruning removes it
        # between being found and being read; no cache yet, no store to hold: bad data
        # then leaves nothing behind
        held = session.use_store(cache, key) if cache.is_dir() else None
        try:
            read = _read_once(inputs, key)
        except BaseException:
            if held is not None:
                held.close()
            raise
        if not isinstance(read, str):
            break
        if held is not None:
            held.close()
        if attempt == READ_ATTEMPTS:
            raise TemporaryError(
                f"{inputs.data}: the data changed while it was being read, {READ_ATTEMPTS} "
                "times in a row; nothing was rendered. Run again once the files are complete "
                "(or copy them to a folder nobody writes to)"
            )
        if read:  # a database's snapshot began on newer data: read that, at once
            key = read
        else:
            time.sleep(READ_WAIT_SECONDS * attempt)
            key = session.inputs_key(inputs.data_source, inputs.programme_path, inputs.as_of)
    assert not isinstance(read, str)  # the loop ends by break or raise
    if held is None:  # held before the judgement is stored
        held = session.use_store(cache, key)
    try:
        return _stored(inputs, first, key, held, *read)
    except BaseException:
        held.close()
        raise


# A data folder being written while the batch reads it (a nightly export still copying
# its files) is read again after a short wait, this many times in all, before the batch
# gives up with a temporary failure (exit 75). A database is read in one snapshot.
READ_ATTEMPTS = 4
READ_WAIT_SECONDS = 2.0  # times the attempt's number: 2, 4, 6 s


def _read_once(inputs: Inputs, key: str) -> tuple[Any, list[dict[str, str]]] | str:
    """The judgement (None when stored already) and the data's files, if the data read was
    the data of `key` throughout; else a string: what was judged must be what the
    manifests record. The string is the newer key a database's snapshot holds (its
    reading cannot tear: read it at once), or "" for a folder that changed meanwhile. A
    file cut short by a writer may read as bad data: that is bad data only if the data
    is still the same afterwards."""
    # A database answers the key, the reading and the manifests' hashes from one snapshot,
    # so a write meanwhile cannot make them disagree; a folder answers each anew.
    try:
        with snapshot(open_source(inputs.data_source)) as source:
            now = session.inputs_key(source, inputs.programme_path, inputs.as_of)
            if now != key:
                return now if hasattr(source, "snapshot") else ""
            stored = session.is_stored(key, inputs.cache_dir)
            # read from the store only if a step needs it
            national = (
                None if stored else session.load_and_judge(source, inputs.programme, inputs.as_of)
            )
            data_files = source.describe()
            again = session.inputs_key(source, inputs.programme_path, inputs.as_of)
    except (InputError, TemporaryError):
        if session.inputs_key(inputs.data_source, inputs.programme_path, inputs.as_of) != key:
            return ""
        raise
    if again != key:
        return ""
    return national, data_files


def _stored(
    inputs: Inputs,
    first: int,
    key: str,
    held: Any,
    national: Any,
    data_files: list[dict[str, str]],
) -> Shared:
    """Store the judgement (unless stored already) and gather what every report shares."""
    cache = inputs.cache_dir
    store = session.store_path(key, cache)
    names = {OVERVIEW: session.NATIONAL} | {m.slug: m.name for m in inputs.programme.municipalities}
    programme_sha256, templates_sha256 = sha256_file(inputs.programme_path), templates_hash()
    early, storing = None, None
    if national is None:
        _touch(store)
        facts = session.read_meta(store)["reports"]
    else:
        few = [names[r.id] for r in inputs.reports if r.kind == "municipality"]
        if 0 < len(few) == len(inputs.reports) <= first:
            early = cache / f".{key}.first-{uuid.uuid4().hex[:8]}.tmp"  # pruned if left
            facts = session.write_judgement(national, early, only=few, rest_in=store)["reports"]
            # started last: nothing may fail between here and the batch awaiting it
            storing = in_background(_yielding, session.write_judgement, national, store)
        else:
            facts = session.write_judgement(national, store)["reports"]
    return Shared(
        key=key,
        held=held,
        judged=national,
        store=store,
        early=early,
        storing=storing,
        names=names,
        slice_hashes={rid: facts[name]["hash"] for rid, name in names.items() if name in facts},
        slice_sizes={rid: facts[name] for rid, name in names.items() if name in facts},
        data_files=data_files,
        programme_sha256=programme_sha256,
        templates_sha256=templates_sha256,
    )


# How much lower than the batch's own the priority of its background threads is (the
# national store while a few reports render from the early one, the index's figures):
# above the workers' (WORKER_NICENESS), since a report is what the user waits for.
BACKGROUND_NICENESS = 10


def _yielding(work: Callable[..., Any], *args: Any) -> Any:
    """Run `work` in this thread at a lower priority. Linux gives each thread its own
    niceness (and a thread's new threads inherit it); elsewhere nice() would lower the
    whole batch, so there the thread keeps the batch's."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.nice(BACKGROUND_NICENESS)
    return work(*args)


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


PUBLIC_CACHE_PREFIX = "pumpurs-public-cache-"


def remove_stale_public_caches() -> None:
    """Public batches keep pupil-level slices in a temporary folder named after their
    process; a killed batch leaves it behind. Remove those of processes that are gone."""
    for d in Path(tempfile.gettempdir()).glob(f"{PUBLIC_CACHE_PREFIX}*"):
        pid = d.name[len(PUBLIC_CACHE_PREFIX) :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except OSError:
            continue


# ---------------------------------------------------------------------------
# Step 4: plan_work (run/plan.py); step 5: render_reports
# ---------------------------------------------------------------------------
class Progress:
    """Progress for people: a rich bar at a terminal, one plain line per report otherwise."""

    def __init__(
        self,
        total: int,
        names: dict[str, str],
        rich_bar: bool,
        echo: Callable[[str], None] = print,
    ) -> None:
        self.total, self.names, self.rich_bar, self.echo = total, names, rich_bar, echo
        self.running: list[str] = []
        self.done = 0
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.rich_bar:
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )
            from rich.progress import Progress as RichProgress

            self._progress = RichProgress(
                SpinnerColumn(),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("{task.description}"),
                transient=False,
            )
            self._progress.__enter__()
            self._task = self._progress.add_task("", total=self.total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.__exit__(*exc)

    def _describe(self) -> str:
        return ", ".join(self.names.get(i, i) for i in self.running)

    def started(self, task: Task) -> None:
        self.running.append(task["id"])
        if self._progress is not None:
            self._progress.update(self._task, description=self._describe())

    def finished(self, result: Result, status_word: str) -> None:
        with contextlib.suppress(ValueError):
            self.running.remove(result["id"])
        self.done += 1
        name = self.names.get(result["id"], result["id"])
        secs = f"{result.get('seconds', 0.0):6.2f} s"
        if self._progress is not None:
            colour = "green" if result["ok"] else "red"
            line = f"[{colour}]{status_word:7}[/] {name}  {secs}"
            if not result["ok"]:
                line += f"  [red]{_escape(result['error'])}[/]"
            self._progress.console.print(line, highlight=False)
            self._progress.update(self._task, advance=1, description=self._describe())
        else:
            line = f"{name}\t{status_word}\t{secs}"
            if not result["ok"]:
                line += f"\t{result['error']}"
            self.echo(line)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def render_reports(
    inputs: Inputs,
    shared: Shared,
    plan: Plan,
    pool: Any,
    status: dict[str, Any],
    progress: Progress,
) -> list[Result]:
    """Render the planned reports in parallel; install each one as soon as it is complete.

    status.json is rewritten after every report, so a killed batch still knows which
    reports failed. A failed report keeps its notebook in `_failed/<id>.ipynb`; the
    previous good report, if any, is left as it was.
    """
    period_dir = inputs.period_dir
    tmp = period_dir / TMP
    tmp.mkdir(parents=True, exist_ok=True)
    specs = {s.id: s for s in plan.render}
    workdirs: dict[str, Path] = {}
    tasks = []
    for spec in plan.render:
        workdirs[spec.id] = tmp / f"{spec.id}.new-{uuid.uuid4().hex[:8]}"
        tasks.append(make_task(inputs, shared, spec, workdirs[spec.id]))
    results: list[Result] = []

    def done(result: Result) -> None:
        spec = specs[result["id"]]
        work = workdirs[spec.id]
        failed_nb = period_dir / FAILED / f"{spec.id}.ipynb"
        entry: dict[str, Any] = {
            "name": spec.name,
            "kind": spec.kind,
            "seconds": round(float(result.get("seconds", 0.0)), 3),
            "timings": {k: round(v, 3) for k, v in result.get("timings", {}).items()},
            "finished": _now(),
            "input_hash": spec.input_hash,
        }
        if result["ok"]:
            try:
                install_report(period_dir, spec.id, work)
            except OSError as e:
                result = {**result, "ok": False, "error": f"could not move the report in: {e}"}
        if result["ok"]:
            from pumpurs.report.municipality import has_no_data

            no_data = spec.kind == "municipality" and has_no_data(shared.slice(spec.id))
            entry["status"] = "empty" if no_data else "ok"
            with contextlib.suppress(FileNotFoundError):
                failed_nb.unlink()
        else:
            entry["status"] = "failed"
            shows = inputs.policy(spec.audience).sees_error_details
            entry["error"] = result["error"] if shows else public_error(result["error"])
            executed = work / outputs.NOTEBOOK
            # A public folder keeps no failed notebook: its outputs may quote pupils.
            if executed.is_file() and shows:
                with contextlib.suppress(OSError):
                    failed_nb.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(executed, failed_nb)
                    entry["failed_notebook"] = f"{FAILED}/{spec.id}.ipynb"
            shutil.rmtree(work, ignore_errors=True)
        status.update(update_status(period_dir, inputs, {spec.id: entry}, shared.key))
        results.append(result)
        progress.finished(result, entry["status"] if result["ok"] else "FAILED")

    pool.render(tasks, on_start=progress.started, on_done=done)
    return results


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def worker_config(inputs: Inputs) -> WorkerConfig:
    """What every worker needs to start its kernel."""
    from pumpurs.run.worker import notebook_imports

    books = sorted({r.notebook for r in inputs.reports})
    return {
        "env": {
            "PYTHONHASHSEED": "0",  # same notebook, same output (set order, hashes)
        },
        "warm_imports": notebook_imports(list(books)),
        "cwd": str(Path.cwd()),
    }


def _likely_up_to_date(inputs: Inputs) -> bool:
    """A cheap guess made before judging: every selected report has a manifest."""
    if inputs.options.force:
        return False
    return all((inputs.period_dir / r.id / MANIFEST_FILE).is_file() for r in inputs.reports)


class _Workers:
    """The worker pool, started early when it will probably be needed, else on demand."""

    def __init__(self, inputs: Inputs) -> None:
        self.inputs = inputs
        self.n = min(inputs.options.workers or default_workers(), max(1, len(inputs.reports)))
        self.pool: Any = None

    def start(self, n: int | None = None) -> Any:
        from pumpurs.run.worker import WorkerPool

        if self.pool is None:
            self.pool = WorkerPool(min(self.n, n or self.n), worker_config(self.inputs)).start()
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def __enter__(self) -> _Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@contextlib.contextmanager
def _public_cache_removed(inputs: Inputs) -> Iterator[None]:
    """A public batch deletes `<out>/.cache` when it ends: the cache holds pupil-level data."""
    try:
        yield
    finally:
        if not inputs.policy().keeps_judged_data_beside_reports:
            shutil.rmtree(inputs.cache_dir, ignore_errors=True)


def run_batch(opts: RunOptions, echo: Callable[[str], None] = log) -> Outcome:
    """Validate, prepare, plan, render, index: the `pumpurs run` command without the CLI.

    Raises PumpursError for bad input or a bad call (exit 2, nothing written) or a
    TemporaryError (exit 75: retry later); otherwise returns the outcome (exit 0, or 1
    when some reports failed). Runtime folders that cannot be written are moved
    (`runtime.private_runtime`, in os.environ).
    """
    t0 = time.perf_counter()
    inputs = validate_inputs(opts)
    for var, folder in private_runtime().items():  # a home that cannot be written
        echo(f"{var}={folder}: its default folder cannot be written")
    if not inputs.policy().keeps_judged_data_beside_reports:
        remove_stale_public_caches()
        prefix = f"{PUBLIC_CACHE_PREFIX}{os.getpid()}-"
        inputs.private_cache = Path(tempfile.mkdtemp(prefix=prefix))
    with (
        _public_cache_removed(inputs),
        _Workers(inputs) as workers,
    ):
        if not opts.retry_failed and not _likely_up_to_date(inputs):
            workers.start()  # kernels warm up while the data is judged
        shared = prepare_shared(inputs, first=workers.n)
        outcome = render_planned(inputs, shared, workers, echo, prune=True, index=True)
        if release.audit_after_run(inputs, echo):  # public: nothing can be worked out
            outcome.exit_code = 1
    outcome.seconds = time.perf_counter() - t0
    _said(outcome, opts, echo)
    return outcome


def render_planned(
    inputs: Inputs,
    shared: Shared,
    workers: _Workers,
    echo: Callable[[str], None],
    prune: bool,
    index: bool,
) -> Outcome:
    """Steps 4-6 with the reports' locks held: plan, render, and (`index`) the index;
    `prune`: the judgements of other data versions nobody holds are removed."""
    outcome = Outcome(exit_code=0, period_dir=inputs.period_dir)
    ids = [r.id for r in inputs.reports]
    with (
        contextlib.closing(shared),
        _national_store_awaited(shared),
        reports_locked(inputs.period_dir, ids),
    ):
        recover_interrupted(inputs.period_dir, ids)
        if prune:
            session.prune_cache(inputs.cache_dir, shared.key, last=0)
        status = read_status(inputs.period_dir)
        shared.release_sha = release.prepare(inputs, shared)  # public: one suppression
        shared.changes_sha = changes.prepare(inputs, shared)  # since the previous report
        plan = plan_work(inputs, shared, status)
        outcome.up_to_date = len(plan.up_to_date)
        outcome.status = status
        if plan.render:
            pool = workers.start(len(plan.render))
            echo(
                f"rendering {len(plan.render)} report(s) for {inputs.period.label} "
                f"with {pool.n} worker(s); {len(plan.up_to_date)} up to date"
            )
            opts = inputs.options
            bar = opts.progress if opts.progress is not None else sys.stdout.isatty()
            names = {s.id: s.name for s in plan.render}
            with (
                _meanwhile(_yielding, index_figures, inputs, shared) if index else _nothing(),
                Progress(len(plan.render), names, bar, echo) as progress,
            ):
                results = render_reports(inputs, shared, plan, pool, status, progress)
            outcome.rendered = [r for r in results if r["ok"]]
            outcome.failed = [r for r in results if not r["ok"]]
            outcome.exit_code = 1 if outcome.failed else 0
        with contextlib.suppress(OSError):
            (inputs.period_dir / TMP).rmdir()
        update_status(inputs.period_dir, inputs, {}, shared.key)  # what `index` reads from
        if index:
            figures = index_figures(inputs, shared)  # kept beside the store: read again
            with status_locked(inputs.period_dir):  # every process's latest outcomes
                write_index(inputs, shared, read_status(inputs.period_dir), figures)
        workers.close()
    outcome.planned, outcome.indexed = len(plan.render), index
    return outcome


def _said(outcome: Outcome, opts: RunOptions, echo: Callable[[str], None]) -> None:
    """The closing lines: what was rendered, or why nothing was."""
    if outcome.planned:
        echo(summary(outcome, outcome.status))
    elif opts.retry_failed:
        outcome.message = "nothing to retry: no report failed last time"
        echo(outcome.message)
    else:
        outcome.message = f"nothing to render: {outcome.up_to_date} reports up to date"
        echo(outcome.message)


@contextlib.contextmanager
def _nothing() -> Iterator[None]:
    yield


@contextlib.contextmanager
def _national_store_awaited(shared: Shared) -> Iterator[None]:
    """The batch ends only when the national store written on a thread is whole (its
    error, such as a full disk, is the batch's); the early store goes when rendering ends."""
    try:
        yield
    except BaseException:
        with contextlib.suppress(Exception):
            shared.wait_stored()
        raise
    finally:
        if shared.early is not None:
            shutil.rmtree(shared.early, ignore_errors=True)
    shared.wait_stored()


@contextlib.contextmanager
def _meanwhile(work: Callable[..., Any], *args: Any) -> Iterator[None]:
    """Run `work` on a thread while the block runs (the batch process only waits for its
    workers then); the block's end waits for it and raises what it raised."""

    with ThreadPoolExecutor(1, thread_name_prefix="pumpurs-meanwhile") as pool:
        done = pool.submit(work, *args)
        yield
        done.result()


def summary(outcome: Outcome, status: dict[str, Any]) -> str:
    """The closing lines: how many, how fast, and which reports failed and why."""
    n = len(outcome.rendered) + len(outcome.failed)
    per = outcome.seconds / n if n else 0.0
    index = outcome.period_dir / INDEX_FILE if outcome.period_dir else Path(INDEX_FILE)
    lines = [
        f"rendered {len(outcome.rendered)} of {n} report(s) in {outcome.seconds:.1f} s "
        f"({per:.2f} s per report); {outcome.up_to_date} were up to date; "
        + (f"index: {index}" if outcome.indexed else f"index: `pumpurs index {index.parent}`")
    ]
    if outcome.failed:
        lines.append(f"{len(outcome.failed)} report(s) FAILED:")
        for r in outcome.failed:
            entry = status.get(r["id"], {})
            where = entry.get("failed_notebook")
            name = entry.get("name", r["id"])
            lines.append(f"  {name}: {r['error']}" + (f" (notebook: {where})" if where else ""))
        lines.append("fix the cause, then rerun only these with --retry-failed")
    return "\n".join(lines)
