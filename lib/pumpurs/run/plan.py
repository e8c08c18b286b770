"""Step 4 of `pumpurs run`, `plan_work`, and what a planned report hands its worker.

`plan_work` decides which reports to render: a report whose inputs (its judged slice,
parameters, notebook, code, programme.yaml; `input_hash`) are unchanged and whose outputs
are intact is skipped; the rest go longest first (`expected_cost`). `make_task` turns a
planned report into the worker's instructions, with its manifest (minus the outputs).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pumpurs._version import __version__
from pumpurs.core.calendar import Period
from pumpurs.present.texts import text
from pumpurs.report.audience import Audience
from pumpurs.run import outputs
from pumpurs.run.folders import outputs_intact
from pumpurs.run.model import (
    MANIFEST_FILE,
    MANIFEST_FORMAT,
    UNHASHED_PARAMETERS,
    Inputs,
    Plan,
    ReportSpec,
    Shared,
    _json_hash,
    _read_json,
)
from pumpurs.run.protocol import Task
from pumpurs.sources.files import sha256_file


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
            **({"release": shared.release_sha} if shared.release_sha else {}),
            **({"changes": shared.changes_sha[spec.id]} if spec.id in shared.changes_sha else {}),
        }
    )[:32]


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
    size = shared.slice_sizes.get(spec.id)
    if size is None:
        return 1.0
    return 1.0 + size["ledger_rows"] / 20_000 + size["findings"] / 100


def _title(spec: ReportSpec, period: Period) -> str:
    from pumpurs.present.fmt import fmt_period

    words = fmt_period(period.label, spec.lang)
    if spec.kind == "overview":
        return text("run.title_overview", spec.lang, period=words)
    return text("run.title_report", spec.lang, name=spec.name, period=words)


def _footer(spec: ReportSpec, period: Period) -> str:
    from pumpurs.present.fmt import fmt_period

    return f"{spec.name} · PuMPuRS · {fmt_period(period.label, spec.lang)}"


def make_task(inputs: Inputs, shared: Shared, spec: ReportSpec, workdir: Path) -> Task:
    """The worker's instructions for one report, with its manifest (minus the outputs)."""
    from pumpurs.run.session import code_hash

    audience = inputs.policy(spec.audience)
    expect = outputs.notebook_writes(spec.kind, audience)
    forbid = outputs.refused(spec.kind, audience)
    parameters = dict(spec.parameters)
    shown = dict(parameters)
    if "judgement_path" in inputs.notebook_params[spec.notebook.name]:
        # The notebook may start from the early store of its own rows; it records the
        # national store, which reads the same rows and outlives the run.
        parameters["judgement_path"] = str(shared.early or shared.store)
        shown["judgement_path"] = str(shared.store)
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
    from pumpurs.report.municipality import has_no_data

    return {
        "id": spec.id,
        "name": spec.name,
        "empty": spec.kind == "municipality" and has_no_data(shared.slice(spec.id)),
        "notebook": str(spec.notebook),
        "parameters": parameters,
        "shown_parameters": _shown_parameters(shown, audience),
        "shown_notebook": str(spec.notebook) if audience.sees_local_paths else spec.notebook.name,
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
