"""`pumpurs run`: render every municipality's report (and the national overview) in one go.

The batch reads as its steps (`run_batch`):

1. `validate_inputs` - programme.yaml, the notebooks' parameters, the params files and
   the chosen municipalities; anything wrong is refused (exit 2) before a kernel starts.
2. worker processes start in the background (`pumpurs.run.worker`): each warms one Jupyter
   kernel while the batch goes on.
3. `prepare_shared` - the data is validated and judged ONCE (`session.prepare_slices`);
   every municipality's slice is cached in `<out>/.cache` for the kernels to read.
   Bad data raises InputError (exit 2) and nothing is written.
4. `plan_work` - a report whose inputs (its judged slice, parameters, notebook, code,
   programme.yaml) are unchanged and whose outputs are intact is skipped.
5. `render_reports` - the reports are rendered in parallel (longest first), each into a
   temporary folder under `<out>/<period>/.tmp/`, and moved into place only when
   complete; status.json is updated after each one.
6. `write_index` - `<out>/<period>/index.html`: one line per municipality.

A public batch deletes `<out>/.cache` when it ends: the cached slices are pupil-level.

Exit status: 0 all done; 1 some reports failed (kept in `_failed/`, listed in
status.json and in red in the index; `--retry-failed` redoes only those); 2 bad input.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import json
import os
import pickle
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pumpurs import __version__
from pumpurs.core.calendar import Period, last_complete_half_year, parse_period, report_date
from pumpurs.core.errors import SettingsError, UsageError
from pumpurs.core.project import notebooks_dir
from pumpurs.core.settings import DEFAULT_PROGRAMME, Programme, load_programme
from pumpurs.report.audience import Audience
from pumpurs.sources import open_source
from pumpurs.sources.files import sha256_file

DEFAULT_NOTEBOOKS = notebooks_dir()
MUNICIPALITY_NOTEBOOK = "municipality_report.ipynb"
OVERVIEW_NOTEBOOK = "programme_overview.ipynb"
OVERVIEW = "overview"  # the overview's report id and folder name
TMP, FAILED, CACHE = ".tmp", "_failed", ".cache"
STATUS_FILE, INDEX_FILE, MANIFEST_FILE, LOCK_FILE = (
    "status.json",
    "index.html",
    "manifest.json",
    ".lock",
)
MANIFEST_FORMAT = 1
AUDIENCES = ("internal", "public")
LANGS = ("lv", "en")
# Parameters the batch sets itself: a params file may not change them.
BATCH_PARAMETERS = frozenset(
    {"data", "period", "as_of", "output_dir", "programme_path", "judgement_path"}
)
# What every report notebook must declare, so the batch can drive it.
REQUIRED_PARAMETERS = ("data", "period", "as_of", "audience", "lang", "output_dir")
# Paths, not values: their content is hashed separately, so moving a folder re-renders nothing.
UNHASHED_PARAMETERS = frozenset({"data", "output_dir", "programme_path", "judgement_path"})
CACHE_MAX_AGE_DAYS = 14


# ---------------------------------------------------------------------------
# What the batch is asked to do, and what it works with
# ---------------------------------------------------------------------------
@dataclass
class RunOptions:
    """The `pumpurs run` command line, as values (None = the documented default)."""

    data: Path
    municipalities: list[str] = field(default_factory=list)
    all: bool = False
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
    data: Path
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

    @property
    def period_dir(self) -> Path:
        return self.out / self.period.label

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
    national: Any  # Judgement
    slices: dict[str, Any]  # report id -> (scoped) Judgement
    slice_files: dict[str, Path]  # report id -> the file its notebook loads (judgement_path)
    slice_hashes: dict[str, str]
    data_files: list[dict[str, str]]  # {"role", "path", "sha256"}
    programme_sha256: str
    templates_sha256: str


@dataclass
class Plan:
    render: list[ReportSpec]
    up_to_date: list[ReportSpec]


@dataclass
class Outcome:
    """What `run_batch` did: the exit status and a line for each report rendered."""

    exit_code: int
    rendered: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    up_to_date: int = 0
    seconds: float = 0.0
    period_dir: Path | None = None
    message: str = ""


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------
def _json_hash(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _now() -> str:
    return dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")


def _write_json(path: Path, obj: Any) -> None:
    from pumpurs.present.render import write_atomic

    write_atomic(path, json.dumps(obj, ensure_ascii=False, indent=2) + "\n")


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def templates_hash() -> str:
    """The report templates (CSS, Jinja): a new look must re-render the reports too."""
    h = hashlib.sha256()
    folder = Path(str(resources.files("pumpurs") / "templates"))
    for p in sorted(folder.glob("*")) if folder.is_dir() else []:
        if p.is_file():
            h.update(p.name.encode())
            h.update(p.read_bytes())
    return h.hexdigest()[:16]


def notebook_parameters(path: Path) -> list[str]:
    """The parameter names of a notebook's `parameters` cell (papermill's own reading)."""
    from pumpurs.run.worker import skip_rfc3987_syntax

    skip_rfc3987_syntax()
    import papermill

    try:
        return list(papermill.inspect_notebook(str(path)))
    except Exception as e:  # a notebook papermill cannot read is a setup problem
        raise SettingsError(f"{path}: cannot read its parameters cell ({e})") from None


def report_notebook_parameters(path: Path) -> list[str]:
    """A report notebook's parameter names, refusing one the batch cannot drive."""
    if not path.is_file():
        raise SettingsError(f"{path}: notebook not found (give the folder with --notebooks)")
    names = notebook_parameters(path)
    need = [*REQUIRED_PARAMETERS, *(["municipality"] if path.name == MUNICIPALITY_NOTEBOOK else [])]
    missing = [p for p in need if p not in names]
    if missing:
        raise SettingsError(
            f"{path}: its parameters cell lacks {', '.join(missing)}; "
            "the batch needs them (see interfaces.md, Reports)"
        )
    return names


# ---------------------------------------------------------------------------
# Step 1: validate_inputs
# ---------------------------------------------------------------------------
def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise UsageError(f'{option} "{value}" is not valid; use one of: {", ".join(allowed)}')
    return value


def read_params_file(path: Path, allowed: list[str], programme: Programme) -> dict[str, Any]:
    """A municipality's params file: notebook parameters, checked key by key.

    A key the notebook does not declare (a typo) or one the batch sets itself is
    refused, naming the file, the key and the keys allowed.
    """
    import yaml

    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise SettingsError(f"{path}: not valid YAML ({e})") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SettingsError(f"{path}: must be a mapping of notebook parameters (key: value)")
    settable = sorted(set(allowed) - BATCH_PARAMETERS)
    for key, value in raw.items():
        if key in BATCH_PARAMETERS:
            raise SettingsError(
                f'{path}: key "{key}" is set by `pumpurs run` itself and cannot be set here; '
                f"allowed keys: {', '.join(settable)}"
            )
        if key not in allowed:
            raise SettingsError(
                f'{path}: unknown key "{key}"; check its spelling. '
                f"Allowed keys: {', '.join(settable)}"
            )
        if isinstance(value, dict | list):
            raise SettingsError(f'{path}: key "{key}" must be a single value, not a list or map')
    if "municipality" in raw:
        named = programme.find_municipality(str(raw["municipality"]))
        if named is None or named.slug != path.stem:
            raise SettingsError(
                f'{path}: municipality "{raw["municipality"]}" does not match the file name; '
                f"{path.name} is for "
                + (
                    f'"{m.name}"'
                    if (m := programme.find_municipality(path.stem))
                    else "no known municipality"
                )
            )
        raw["municipality"] = named.name
    for key, allowed_values in (("lang", LANGS), ("audience", AUDIENCES)):
        if key in raw and raw[key] not in allowed_values:
            raise SettingsError(
                f'{path}: {key} "{raw[key]}" is not valid; use one of: {", ".join(allowed_values)}'
            )
    return raw


def params_files(params_dir: Path, programme_path: Path, programme: Programme) -> dict[str, Path]:
    """The municipalities' params files by slug; a file for no municipality is refused."""
    found: dict[str, Path] = {}
    if not params_dir.is_dir():
        return found
    slugs = {m.slug for m in programme.municipalities}
    for p in sorted(params_dir.glob("*.y*ml")):
        if p.resolve() == programme_path.resolve() or p.suffix not in (".yaml", ".yml"):
            continue
        if p.stem not in slugs:
            m = programme.find_municipality(p.stem)
            hint = f'; did you mean "{m.slug}{p.suffix}"?' if m else ""
            raise SettingsError(
                f"{p}: the file name is not a municipality's slug (e.g. aizkraukles-novads.yaml)"
                + hint
            )
        found[p.stem] = p
    return found


def default_period(programme: Programme, today: dt.date | None = None) -> Period:
    """The last complete half-year, but none after the programme's last one: a nightly
    job after the programme's end keeps reporting its final half-year."""
    last = last_complete_half_year(today or dt.date.today())
    end = programme.final_period.end_month
    final = parse_period(f"{end[:4]}-H{1 if int(end[5:]) <= 6 else 2}")
    return final if last.first_month > final.first_month else last


def validate_inputs(opts: RunOptions) -> Inputs:
    """Check the call, the settings, the notebooks and the params files; raise, write nothing."""
    if opts.all and opts.municipalities:
        raise UsageError("give either --municipality NAME (repeatable) or --all, not both")
    if not opts.all and not opts.municipalities and not opts.retry_failed:
        raise UsageError('say which reports: --municipality "Aizkraukles novads" or --all')
    if opts.workers is not None and opts.workers < 1:
        raise UsageError(f"--workers {opts.workers}: give 1 or more")
    data = Path(opts.data).resolve()
    if not data.is_dir():
        raise UsageError(f"{opts.data}: no such data folder")
    programme_path = Path(opts.programme or DEFAULT_PROGRAMME).resolve()
    programme = load_programme(programme_path)
    period = parse_period(opts.period) if opts.period else default_period(programme, opts.today)
    as_of = report_date(period, opts.as_of)
    notebook_dir = Path(opts.notebooks or DEFAULT_NOTEBOOKS).resolve()
    params_dir = Path(opts.params).resolve() if opts.params else programme_path.parent
    out = Path(opts.out).resolve()
    if out == data or data in out.parents:
        raise UsageError(f"--out {opts.out} is inside the data folder; write reports elsewhere")
    # A period folder keeps one audience: a public folder never receives an internal
    # report (and --retry-failed renders in the audience and language of the batch).
    recorded = read_folder_settings(out / period.label)
    if opts.audience and recorded.get("audience") and opts.audience != recorded["audience"]:
        raise UsageError(
            f"{out / period.label} holds {recorded['audience']} reports; write "
            f"--audience {opts.audience} reports to another folder with --out"
        )
    audience_given = opts.audience or recorded.get("audience")
    lang_given = opts.lang or recorded.get("lang")
    audience = _choice(audience_given or "internal", AUDIENCES, "--audience")
    lang = _choice(lang_given or "lv", LANGS, "--lang")

    wanted = [programme.municipality(m) for m in opts.municipalities]
    if opts.all or (opts.retry_failed and not opts.municipalities):
        wanted = list(programme.municipalities)
    with_overview = opts.all or (opts.retry_failed and not opts.municipalities)

    notebook_params: dict[str, list[str]] = {}
    books = [MUNICIPALITY_NOTEBOOK] + ([OVERVIEW_NOTEBOOK] if with_overview else [])
    for name in books:
        notebook_params[name] = report_notebook_parameters(notebook_dir / name)

    files = params_files(params_dir, programme_path, programme)
    allowed = notebook_params[MUNICIPALITY_NOTEBOOK]
    # Every params file is checked, not only the selected ones: a typo should surface now.
    overrides = {slug: read_params_file(p, allowed, programme) for slug, p in files.items()}

    def params_for(book: str, extra: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {
            "data": str(data),
            "period": period.label,
            "as_of": as_of.isoformat(),
            "audience": audience,
            "lang": lang,
            "output_dir": ".",  # the kernel's cwd: the report's temporary folder
            "programme_path": str(programme_path),
        }
        values.update(extra)
        # The command line wins over a params file (a public batch stays public).
        if audience_given:  # the command line, or the folder's own audience
            values["audience"] = audience_given
        if opts.lang:
            values["lang"] = opts.lang
        # In the notebook's own order, so the injected cell reads like its parameters cell.
        return {k: values[k] for k in notebook_params[book] if k in values}

    reports: list[ReportSpec] = []
    seen: set[str] = set()
    for m in wanted:
        if m.slug in seen:
            continue
        seen.add(m.slug)
        extra = {**overrides.get(m.slug, {}), "municipality": m.name}
        params = params_for(MUNICIPALITY_NOTEBOOK, extra)
        reports.append(
            ReportSpec(
                id=m.slug,
                kind="municipality",
                name=m.name,
                code=m.code,
                notebook=notebook_dir / MUNICIPALITY_NOTEBOOK,
                params_file=files.get(m.slug),
                parameters=params,
                lang=params.get("lang", lang),
                audience=params.get("audience", audience),
            )
        )
    if with_overview:
        params = params_for(OVERVIEW_NOTEBOOK, {})
        reports.append(
            ReportSpec(
                id=OVERVIEW,
                kind="overview",
                name=_overview_name(lang),
                code="LV",
                notebook=notebook_dir / OVERVIEW_NOTEBOOK,
                params_file=None,
                parameters=params,
                lang=params.get("lang", lang),
                audience=params.get("audience", audience),
            )
        )
    return Inputs(
        options=opts,
        data=data,
        out=out,
        period=period,
        as_of=as_of,
        programme_path=programme_path,
        programme=programme,
        notebook_dir=notebook_dir,
        notebook_params=notebook_params,
        reports=reports,
        lang=lang,
        audience=audience,
    )


def _overview_name(lang: str) -> str:
    return "Programmas kopsavilkums" if lang == "lv" else "Programme overview"


# ---------------------------------------------------------------------------
# Step 3: prepare_shared
# ---------------------------------------------------------------------------
def _load_slice(path: Path, name: str, national: Any) -> Any:
    """A municipality's slice: unpickled from the cache (faster than scoping again)."""
    from pumpurs.run import session

    try:
        return session.load_slice(path)
    except (OSError, EOFError, pickle.UnpicklingError):
        return national.scoped(municipality=name)


def prepare_shared(inputs: Inputs) -> Shared:
    """Validate and judge the data once; cache every slice for the kernels; hash the slices.

    A judgement already cached for exactly these inputs (data, programme, code, as_of)
    is reused, so a rerun with nothing changed does not judge again. InputError (bad
    data) propagates before anything is written.
    """
    from pumpurs.run import session

    cache = inputs.cache_dir
    key = session.inputs_key(inputs.data, inputs.programme_path, inputs.as_of)
    files = {OVERVIEW: session.slice_path(key, session.NATIONAL, cache)}
    files |= {
        m.slug: session.slice_path(key, m.name, cache) for m in inputs.programme.municipalities
    }
    if session.slices_cached(key, inputs.programme, cache):
        national = session.load_slice(files[OVERVIEW])
    else:
        key, national = session.prepare_slices(
            inputs.data, inputs.as_of, inputs.programme_path, cache=cache
        )
    _touch(cache / key)
    slices: dict[str, Any] = {OVERVIEW: national}
    for m in inputs.programme.municipalities:
        slices[m.slug] = _load_slice(files[m.slug], m.name, national)
    wanted = {r.id for r in inputs.reports}
    slice_hashes = {rid: session.content_hash(j) for rid, j in slices.items() if rid in wanted}
    data_files = open_source(inputs.data).describe()
    return Shared(
        key=key,
        national=national,
        slices=slices,
        slice_files=files,
        slice_hashes=slice_hashes,
        data_files=data_files,
        programme_sha256=sha256_file(inputs.programme_path),
        templates_sha256=templates_hash(),
    )


def _touch(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.utime(path)


def prune_cache(cache: Path, keep: str, max_age_days: int = CACHE_MAX_AGE_DAYS) -> None:
    """Drop judgement caches unused for `max_age_days` (old data versions pile up otherwise)."""
    if not cache.is_dir():
        return
    limit = time.time() - max_age_days * 86400
    for d in cache.iterdir():
        with contextlib.suppress(OSError):
            if d.is_dir() and d.name != keep and d.stat().st_mtime < limit:
                shutil.rmtree(d, ignore_errors=True)


# ---------------------------------------------------------------------------
# Step 4: plan_work
# ---------------------------------------------------------------------------
def input_hash(spec: ReportSpec, shared: Shared, notebook_sha: str) -> str:
    """What a report depends on: its judged slice, parameters, notebook, code, settings."""
    from pumpurs.run.session import code_hash

    params = {k: v for k, v in spec.parameters.items() if k not in UNHASHED_PARAMETERS}
    return _json_hash(
        {
            "format": MANIFEST_FORMAT,
            "kind": spec.kind,
            "slice": shared.slice_hashes[spec.id],
            "parameters": params,
            "notebook": notebook_sha,
            "code": code_hash(),
            "templates": shared.templates_sha256,
            "programme": shared.programme_sha256,
        }
    )[:32]


def outputs_intact(report_dir: Path, manifest: dict[str, Any]) -> bool:
    """Every output the manifest lists exists with the recorded sha256."""
    outputs = manifest.get("outputs")
    if not isinstance(outputs, dict) or not outputs:
        return False
    for name, digest in outputs.items():
        p = report_dir / name
        if not p.is_file() or sha256_file(p) != digest:
            return False
    return True


def recover_interrupted(period_dir: Path) -> None:
    """Finish or undo what a killed batch left in `.tmp/`.

    A report folder renamed aside (`<id>.old-*`) whose new version never arrived is
    put back; every other temporary folder is an unfinished report and is deleted.
    """
    tmp = period_dir / TMP
    if not tmp.is_dir():
        return
    for d in sorted(tmp.iterdir()):
        if ".old-" in d.name:
            final = period_dir / d.name.split(".old-")[0]
            if not final.exists():
                with contextlib.suppress(OSError):
                    d.rename(final)
                continue  # put back, or kept aside if that failed: never deleted
        if d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                d.unlink()


def plan_work(inputs: Inputs, shared: Shared, status: dict[str, Any]) -> Plan:
    """Decide what to render: changed inputs, damaged outputs, --force, --retry-failed."""
    opts = inputs.options
    notebook_sha: dict[Path, str] = {}
    render: list[ReportSpec] = []
    fresh: list[ReportSpec] = []
    failed_before = {rid for rid, s in status.items() if s.get("status") == "failed"}
    for spec in inputs.reports:
        if spec.notebook not in notebook_sha:
            notebook_sha[spec.notebook] = sha256_file(spec.notebook)
        spec.slice_hash = shared.slice_hashes[spec.id]
        spec.input_hash = input_hash(spec, shared, notebook_sha[spec.notebook])
        if opts.retry_failed and spec.id not in failed_before:
            continue
        report_dir = inputs.period_dir / spec.id
        manifest = _read_json(report_dir / MANIFEST_FILE)
        current = (
            isinstance(manifest, dict)
            and manifest.get("input_hash") == spec.input_hash
            and outputs_intact(report_dir, manifest)
        )
        if current and not opts.force and spec.id not in failed_before:
            fresh.append(spec)
        else:
            render.append(spec)
    # Longest first, so the batch does not end waiting for Rīga alone on one core.
    costs = {s.id: expected_cost(s, shared, status) for s in render}
    render.sort(key=lambda s: -costs[s.id])
    return Plan(render=render, up_to_date=fresh)


def expected_cost(spec: ReportSpec, shared: Shared, status: dict[str, Any]) -> float:
    """Seconds a report will probably take: last time's, else guessed from its slice's size.

    Reports with many findings have long tables, and long tables make long PDFs.
    """
    last = status.get(spec.id, {}).get("seconds")
    if isinstance(last, int | float) and last > 0:
        return float(last)
    j = shared.slices.get(spec.id)
    if j is None:
        return 1.0
    return 1.0 + len(j.ledger) / 20_000 + len(j.findings) / 100


# ---------------------------------------------------------------------------
# Step 5: render_reports
# ---------------------------------------------------------------------------
def _title(spec: ReportSpec, period: Period) -> str:
    if spec.kind == "overview":
        return (
            f"PuMPuRS: programmas kopsavilkums, {period.label}"
            if spec.lang == "lv"
            else f"PuMPuRS: programme overview, {period.label}"
        )
    word = "pārskats" if spec.lang == "lv" else "report"
    return f"{spec.name}: PuMPuRS {word}, {period.label}"


def _footer(spec: ReportSpec, period: Period) -> str:
    return f"{spec.name} · PuMPuRS · {period.label}"


def make_task(inputs: Inputs, shared: Shared, spec: ReportSpec, workdir: Path) -> dict[str, Any]:
    """The worker's instructions for one report, with its manifest (minus the outputs)."""
    from pumpurs.run.session import code_hash

    audience = Audience.of(spec.audience, inputs.programme)
    expect = ["report.xlsx"]
    if spec.kind == "municipality" and audience.sees_pupil_rows:
        expect.append("findings.csv")
    forbid = [] if audience.sees_pupil_rows else ["findings.csv"]
    parameters = dict(spec.parameters)
    if "judgement_path" in inputs.notebook_params[spec.notebook.name]:
        parameters["judgement_path"] = str(shared.slice_files[spec.id])
    inputs_list = [
        *shared.data_files,
        {
            "role": "programme",
            "path": str(inputs.programme_path),
            "sha256": shared.programme_sha256,
        },
        {"role": "notebook", "path": str(spec.notebook), "sha256": sha256_file(spec.notebook)},
    ]
    if spec.params_file is not None:
        inputs_list.append(
            {
                "role": "params",
                "path": str(spec.params_file),
                "sha256": sha256_file(spec.params_file),
            }
        )
    manifest = {
        "manifest_format": MANIFEST_FORMAT,
        "report": spec.id,
        "kind": spec.kind,
        "municipality": spec.name if spec.kind == "municipality" else None,
        "municipality_code": spec.code if spec.kind == "municipality" else None,
        "period": inputs.period.label,
        "as_of": inputs.as_of.isoformat(),
        "audience": spec.audience,
        "lang": spec.lang,
        "parameters": _shown_parameters(spec.parameters, audience),
        "inputs": [
            i if audience.sees_local_paths else {**i, "path": Path(i["path"]).name}
            for i in inputs_list
        ],
        "input_hash": spec.input_hash,
        "judgement_hash": spec.slice_hash,
        "pumpurs_version": __version__,
        "code_hash": code_hash(),
        "templates_hash": shared.templates_sha256,
    }
    return {
        "id": spec.id,
        "name": spec.name,
        "notebook": str(spec.notebook),
        "parameters": parameters,
        "shown_parameters": _shown_parameters(parameters, audience),
        "workdir": str(workdir),
        "title": _title(spec, inputs.period),
        "footer": _footer(spec, inputs.period),
        "lang": spec.lang,
        "audience": spec.audience,
        "programme_path": str(inputs.programme_path),
        "expect": expect,
        "forbid": forbid,
        "timeout": inputs.options.timeout,
        "manifest": manifest,
    }


def _shown_parameters(parameters: dict[str, Any], audience: Audience) -> dict[str, Any]:
    """Parameters as a report may record them: a public one names files, not the
    machine's folders (paths are cut to their last part)."""
    if audience.sees_local_paths:
        return parameters
    return {
        k: Path(v).name if k in UNHASHED_PARAMETERS and isinstance(v, str) and v else v
        for k, v in parameters.items()
    }


def install_report(period_dir: Path, report_id: str, new: Path) -> None:
    """Put a complete report folder in place of the old one, never leaving a half state.

    The old folder is renamed aside, the new one renamed in, then the old deleted. A
    kill between the two renames leaves the old one in `.tmp/`, and the next run's
    `recover_interrupted` puts it back.
    """
    final = period_dir / report_id
    old = None
    if final.exists():
        old = period_dir / TMP / f"{report_id}.old-{uuid.uuid4().hex[:8]}"
        final.rename(old)
    new.rename(final)
    _fsync_dir(period_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class Progress:
    """Progress for people: a rich bar at a terminal, one plain line per report otherwise."""

    def __init__(self, total: int, names: dict[str, str], rich_bar: bool) -> None:
        self.total, self.names, self.rich_bar = total, names, rich_bar
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

    def started(self, task: dict[str, Any]) -> None:
        self.running.append(task["id"])
        if self._progress is not None:
            self._progress.update(self._task, description=self._describe())

    def finished(self, result: dict[str, Any], status_word: str) -> None:
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
            print(line, flush=True)


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
) -> list[dict[str, Any]]:
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
    results: list[dict[str, Any]] = []

    def done(result: dict[str, Any]) -> None:
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
            entry["status"] = "ok"
            with contextlib.suppress(FileNotFoundError):
                failed_nb.unlink()
        else:
            entry["status"] = "failed"
            public = spec.parameters.get("audience") == "public"
            entry["error"] = public_error(result["error"]) if public else result["error"]
            executed = work / "report.ipynb"
            # A public folder keeps no failed notebook: its outputs may quote pupils.
            if executed.is_file() and not public:
                with contextlib.suppress(OSError):
                    failed_nb.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(executed, failed_nb)
                    entry["failed_notebook"] = f"{FAILED}/{spec.id}.ipynb"
            shutil.rmtree(work, ignore_errors=True)
        status[spec.id] = entry
        write_status(period_dir, inputs, status)
        results.append(result)
        progress.finished(result, "ok" if result["ok"] else "FAILED")

    pool.render(tasks, on_start=progress.started, on_done=done)
    return results


def read_status(period_dir: Path) -> dict[str, Any]:
    data = _read_json(period_dir / STATUS_FILE)
    if isinstance(data, dict) and isinstance(data.get("reports"), dict):
        return data["reports"]
    return {}


def read_folder_settings(period_dir: Path) -> dict[str, str]:
    """The audience and language a period folder was rendered for (status.json)."""
    data = _read_json(period_dir / STATUS_FILE)
    if not isinstance(data, dict):
        return {}
    return {k: data[k] for k in ("audience", "lang") if isinstance(data.get(k), str)}


def write_status(period_dir: Path, inputs: Inputs, reports: dict[str, Any]) -> None:
    """status.json: the last outcome of every report of the period (what --retry-failed reads)."""
    _write_json(
        period_dir / STATUS_FILE,
        {
            "period": inputs.period.label,
            "audience": inputs.audience,
            "lang": inputs.lang,
            "updated": _now(),
            "reports": dict(sorted(reports.items())),
        },
    )


def public_error(error: str) -> str:
    """What a public folder may say about a failure: its kind, never its details (a
    traceback can quote a pupil's pseudonym)."""
    kind = error.split(":")[0].strip() or "error"
    return f"{kind} (run this municipality with --audience internal to see the details)"


# ---------------------------------------------------------------------------
# Step 6: write_index
# ---------------------------------------------------------------------------
def write_index(inputs: Inputs, shared: Shared, status: dict[str, Any]) -> Path:
    """index.html for the period: every current municipality, its status and key figures."""
    from pumpurs.present.index_page import IndexRow, index_html, key_figures
    from pumpurs.present.render import write_atomic

    rows: list[IndexRow] = []
    period_dir = inputs.period_dir
    public = inputs.audience == "public"
    for m in inputs.programme.municipalities:
        rows.append(
            _index_row(period_dir, m.slug, m.name, m.code, status, shared.slices[m.slug], public)
        )
    if (period_dir / OVERVIEW).is_dir() or OVERVIEW in status:
        overview = _index_row(
            period_dir, OVERVIEW, _overview_name(inputs.lang), "LV", status, shared.national, public
        )
    else:
        overview = IndexRow(
            id=OVERVIEW,
            name=_overview_name(inputs.lang),
            code="LV",
            status="missing",
            figures=key_figures(shared.national),
        )
    page = index_html(
        rows, overview, inputs.period.label, inputs.as_of, inputs.lang, inputs.audience
    )
    path = period_dir / INDEX_FILE
    write_atomic(path, page)
    return path


def _index_row(
    period_dir: Path,
    rid: str,
    name: str,
    code: str,
    status: dict[str, Any],
    judgement: Any,
    public: bool,
) -> Any:
    """One line of the index; a public index names only the kind of error (a message may
    quote a value from the data)."""
    from pumpurs.present.index_page import IndexRow, key_figures

    entry = status.get(rid, {})
    error = entry.get("error", "")
    report_dir = period_dir / rid
    manifest = _read_json(report_dir / MANIFEST_FILE)
    has_report = isinstance(manifest, dict)
    failed = entry.get("status") == "failed"
    state = "failed" if failed else ("ok" if has_report else "missing")
    links = {}
    if has_report:
        for label, fname in (
            ("HTML", "report.html"),
            ("PDF", "report.pdf"),
            ("XLSX", "report.xlsx"),
            ("CSV", "findings.csv"),
            ("ipynb", "report.ipynb"),
        ):
            if (report_dir / fname).is_file():
                links[label] = f"{rid}/{fname}"
    return IndexRow(
        id=rid,
        name=name,
        code=code,
        status=state,
        error="" if state != "failed" else (public_error(error) if public else error),
        failed_notebook=entry.get("failed_notebook", "") if state == "failed" else "",
        links=links,
        rendered=(manifest or {}).get("created", "") if has_report else "",
        figures=key_figures(judgement),
    )


# ---------------------------------------------------------------------------
# The whole batch
# ---------------------------------------------------------------------------
@contextlib.contextmanager
def batch_lock(period_dir: Path) -> Iterator[None]:
    """One batch per period folder at a time (a second one would delete the first's work)."""
    period_dir.mkdir(parents=True, exist_ok=True)
    f = open(period_dir / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole batch
    try:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise UsageError(
                f"another `pumpurs run` is writing {period_dir}; wait for it to finish"
            ) from None
        yield
    finally:
        f.close()


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def worker_config(inputs: Inputs) -> dict[str, Any]:
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
        if inputs.audience == "public":
            shutil.rmtree(inputs.cache_dir, ignore_errors=True)


def run_batch(opts: RunOptions, echo: Callable[[str], None] = print) -> Outcome:
    """Validate, prepare, plan, render, index: the `pumpurs run` command without the CLI.

    Raises PumpursError for bad input or a bad call (exit 2, nothing written);
    otherwise returns the outcome (exit 0, or 1 when some reports failed).
    """
    t0 = time.perf_counter()
    inputs = validate_inputs(opts)
    if inputs.audience == "public":
        inputs.private_cache = Path(tempfile.mkdtemp(prefix="pumpurs-public-cache-"))
    outcome = Outcome(exit_code=0, period_dir=inputs.period_dir)
    with (
        _public_cache_removed(inputs),
        _Workers(inputs) as workers,
    ):
        if not opts.retry_failed and not _likely_up_to_date(inputs):
            workers.start()  # kernels warm up while the data is judged
        shared = prepare_shared(inputs)
        with batch_lock(inputs.period_dir):
            recover_interrupted(inputs.period_dir)
            prune_cache(inputs.cache_dir, shared.key)
            status = read_status(inputs.period_dir)
            plan = plan_work(inputs, shared, status)
            outcome.up_to_date = len(plan.up_to_date)
            if plan.render:
                pool = workers.start(len(plan.render))
                echo(
                    f"rendering {len(plan.render)} report(s) for {inputs.period.label} "
                    f"with {pool.n} worker(s); {len(plan.up_to_date)} up to date"
                )
                bar = opts.progress if opts.progress is not None else sys.stdout.isatty()
                names = {s.id: s.name for s in plan.render}
                with Progress(len(plan.render), names, bar) as progress:
                    results = render_reports(inputs, shared, plan, pool, status, progress)
                outcome.rendered = [r for r in results if r["ok"]]
                outcome.failed = [r for r in results if not r["ok"]]
                outcome.exit_code = 1 if outcome.failed else 0
            workers.close()
            with contextlib.suppress(OSError):
                (inputs.period_dir / TMP).rmdir()
            write_index(inputs, shared, status)
    outcome.seconds = time.perf_counter() - t0
    if plan.render:
        echo(summary(outcome, status))
    elif opts.retry_failed:
        outcome.message = "nothing to retry: no report failed last time"
        echo(outcome.message)
    else:
        outcome.message = f"nothing to render: {len(plan.up_to_date)} reports up to date"
        echo(outcome.message)
    return outcome


def summary(outcome: Outcome, status: dict[str, Any]) -> str:
    """The closing lines: how many, how fast, and which reports failed and why."""
    n = len(outcome.rendered) + len(outcome.failed)
    per = outcome.seconds / n if n else 0.0
    lines = [
        f"rendered {len(outcome.rendered)} of {n} report(s) in {outcome.seconds:.1f} s "
        f"({per:.2f} s per report); {outcome.up_to_date} were up to date; "
        f"index: {outcome.period_dir / INDEX_FILE if outcome.period_dir else INDEX_FILE}"
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
