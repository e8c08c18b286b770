"""Step 1 of a batch: check the call, the settings, the notebooks and the params files.

`validate_inputs` turns `RunOptions` into `Inputs` or raises (exit 2) before any
kernel starts or anything is written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from importlib import resources
from pathlib import Path
from typing import Any

from pumpurs.core.calendar import Period, last_complete_half_year, parse_period, report_date
from pumpurs.core.errors import SettingsError, UsageError
from pumpurs.core.settings import DEFAULT_PROGRAMME, Programme, load_programme
from pumpurs.present.texts import text
from pumpurs.report.audience import AUDIENCES
from pumpurs.report.request import ReportRequest
from pumpurs.run.folders import read_folder_settings
from pumpurs.run.model import (
    BATCH_PARAMETERS,
    DEFAULT_NOTEBOOKS,
    LANGS,
    MUNICIPALITY_NOTEBOOK,
    OVERVIEW,
    OVERVIEW_NOTEBOOK,
    REQUIRED_PARAMETERS,
    Inputs,
    ReportSpec,
    RunOptions,
)
from pumpurs.sources import is_url, open_source
from pumpurs.sources.folder import FolderSource


def templates_hash() -> str:
    """The report templates (CSS, Jinja) and the PDF engine: a new look must re-render the
    reports too."""
    from pumpurs.present.pdf import pdf_engine

    h = hashlib.sha256()
    h.update(f"pdf:{pdf_engine()}".encode())
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
            "the batch needs them (see docs/outputs.md)"
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


def _audiences_in(out: Path) -> dict[str, str]:
    """The audience of every period folder already under --out."""
    if not out.is_dir():
        return {}
    found = {}
    for period_dir in sorted(out.iterdir()):
        audience = read_folder_settings(period_dir).get("audience") if period_dir.is_dir() else None
        if audience:
            found[period_dir.name] = audience
    return found


def _text_path(option: str, given: str | Path | None) -> None:
    """Reports and manifests record their folders as text: a name that is not UTF-8
    (written on another system) is refused before anything starts."""
    if given is None:
        return
    raw = os.fsencode(Path(given).resolve())
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        shown = raw.decode("utf-8", "backslashreplace")
        raise UsageError(
            f"{option} {shown}: the name is not valid UTF-8 text; rename the folder "
            "(letters such as ā, ē, ī are fine)"
        ) from None


def validate_inputs(opts: RunOptions) -> Inputs:
    """Check the call, the settings, the notebooks and the params files; raise, write nothing."""
    from pumpurs.present.pdf import pdf_engine

    pdf_engine()  # a PUMPURS_PDF_ENGINE that cannot be honoured stops the batch here
    if opts.all and opts.municipalities:
        raise UsageError("give either --municipality NAME (repeatable) or --all, not both")
    if not opts.all and not opts.municipalities and not opts.retry_failed and not opts.overview:
        raise UsageError('say which reports: --municipality "Aizkraukles novads" or --all')
    if opts.workers is not None and opts.workers < 1:
        raise UsageError(f"--workers {opts.workers}: give 1 or more")
    url = is_url(str(opts.data))
    for option, given in (
        ("DATA", None if url else opts.data),
        ("--out", opts.out),
        ("--programme", opts.programme),
        ("--params", opts.params),
        ("--notebooks", opts.notebooks),
    ):
        _text_path(option, given)
    # A folder or a DuckDB file by its absolute path (the kernels run elsewhere), or a URL.
    source = open_source(str(opts.data) if url else str(Path(opts.data).resolve()))
    data = source.spec
    folder = None if url else Path(data)
    if folder is not None and not folder.exists():
        raise UsageError(f"{opts.data}: no such data folder (or DuckDB file)")
    if isinstance(source, FolderSource) and not Path(data).is_dir():
        raise UsageError(f"{opts.data}: no such data folder")
    programme_path = Path(opts.programme or DEFAULT_PROGRAMME).resolve()
    programme = load_programme(programme_path)
    period = parse_period(opts.period) if opts.period else default_period(programme, opts.today)
    if opts.as_of:  # a date outside the period is refused before anything else
        report_date(period, opts.as_of)
    notebook_dir = Path(opts.notebooks or DEFAULT_NOTEBOOKS).resolve()
    params_dir = Path(opts.params).resolve() if opts.params else programme_path.parent
    out = Path(opts.out).resolve()
    if folder is not None and (out == folder or folder in out.parents):
        raise UsageError(f"--out {opts.out} is inside the data folder; write reports elsewhere")
    # A period folder keeps one audience: a public folder never receives an internal
    # report (and --retry-failed renders in the audience and language of the batch).
    recorded = read_folder_settings(out / period.label)
    if opts.audience and recorded.get("audience") and opts.audience != recorded["audience"]:
        raise UsageError(
            f"{out / period.label} holds {recorded['audience']} reports; write "
            f"--audience {opts.audience} reports to another folder with --out"
        )
    # ... and so does the whole --out folder: an internal batch keeps pupil-level data in
    # <out>/.cache, which must never sit beside public reports.
    held = _audiences_in(out)
    wanted_audience = opts.audience or recorded.get("audience")
    others = sorted(f for f, a in held.items() if wanted_audience and a != wanted_audience)
    if others:
        raise UsageError(
            f"{out} holds {held[others[0]]} reports ({', '.join(others)}); write "
            f"--audience {wanted_audience} reports to another folder with --out"
        )
    one = set(held.values())
    audience_given = wanted_audience or (one.pop() if len(one) == 1 else None)
    lang_given = opts.lang or recorded.get("lang")
    audience = _choice(audience_given or "internal", AUDIENCES, "--audience")
    lang = _choice(lang_given or "lv", LANGS, "--lang")
    # The batch's one request: its report date decided once (a period's last day by
    # default), its audience's policy built once; every notebook gets it as parameters.
    request = ReportRequest.build(
        data,
        period=period,
        as_of=opts.as_of,
        audience=audience,
        lang=lang,
        programme=programme,
        programme_path=programme_path,
    ).dated()
    as_of = request.report_date()

    wanted = [programme.municipality(m) for m in opts.municipalities]
    if opts.all or (opts.retry_failed and not opts.municipalities):
        wanted = list(programme.municipalities)
    with_overview = opts.all or opts.overview or (opts.retry_failed and not opts.municipalities)

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
            **request.to_parameters(),
            "output_dir": ".",  # the kernel's cwd: the report's temporary folder
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
        request=request,
        source=source,
    )


def _overview_name(lang: str) -> str:
    return text("run.overview_name", lang)
