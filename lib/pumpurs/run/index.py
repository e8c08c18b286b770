"""Step 6 of a batch: the period's index.html, every municipality with its status,
key figures and the links the outputs registry lists."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from pumpurs.run import outputs
from pumpurs.run.folders import public_error
from pumpurs.run.inputs import _overview_name
from pumpurs.run.model import INDEX_FILE, MANIFEST_FILE, OVERVIEW, Inputs, Shared, _read_json


def write_index(
    inputs: Inputs, shared: Shared, status: dict[str, Any], figures: dict[str, Any] | None = None
) -> Path:
    """index.html for the period: every current municipality, its status and key figures
    (`figures`: `index_figures`, when the caller has them already)."""
    from pumpurs.present.index_page import IndexRow, index_html
    from pumpurs.present.render import write_atomic

    rows: list[IndexRow] = []
    period_dir = inputs.period_dir
    public = not inputs.policy().sees_error_details
    from pumpurs.report.overview import latvian_order

    figures = figures or index_figures(inputs, shared)
    if public:
        from pumpurs.run.release import hide_index_counts

        figures = hide_index_counts(figures, inputs, shared)
    # in the Latvian alphabet's order, as a reader looks a name up (programme.yaml is by code)
    for m in sorted(inputs.programme.municipalities, key=lambda m: latvian_order(m.name)):
        rows.append(_index_row(period_dir, m.slug, m.name, m.code, status, figures[m.slug], public))
    if (period_dir / OVERVIEW).is_dir() or OVERVIEW in status:
        overview = _index_row(
            period_dir,
            OVERVIEW,
            _overview_name(inputs.lang),
            "LV",
            status,
            figures[OVERVIEW],
            public,
        )
    else:
        overview = IndexRow(
            id=OVERVIEW,
            name=_overview_name(inputs.lang),
            code="LV",
            status="missing",
            figures=figures[OVERVIEW],
        )
    page = index_html(
        rows, overview, inputs.period.label, inputs.as_of, inputs.lang, inputs.audience
    )
    path = period_dir / INDEX_FILE
    write_atomic(path, page)
    return path


def index_figures(inputs: Inputs, shared: Shared) -> dict[str, Any]:
    """Every line's key figures (report id -> Figures): computed from the judgement once
    per judgement and period, then kept beside the stored judgement, so that a rerun with
    nothing new reads no judgement at all."""
    from dataclasses import asdict

    from pumpurs.present.index_page import Figures, key_figures, key_figures_by_municipality
    from pumpurs.present.render import write_atomic
    from pumpurs.run.session import derived_path

    path = derived_path(shared.store, f"index-figures-{inputs.period.label}")
    kept = _read_json(path)
    if isinstance(kept, dict) and set(kept) == set(shared.names):
        return {rid: Figures(**values) for rid, values in kept.items()}
    national = shared.national
    towns = key_figures_by_municipality(national, inputs.period, inputs.programme)
    figures = {
        rid: key_figures(national, inputs.period, inputs.programme)
        if rid == OVERVIEW
        else towns[name]
        for rid, name in shared.names.items()
    }
    shared.wait_stored()  # kept inside the store's folder, which may still be being written
    with contextlib.suppress(OSError):  # a cache that cannot be written costs time only
        write_atomic(path, json.dumps({rid: asdict(f) for rid, f in figures.items()}))
    return figures


def _index_row(
    period_dir: Path,
    rid: str,
    name: str,
    code: str,
    status: dict[str, Any],
    figures: Any,
    public: bool,
) -> Any:
    """One line of the index; a public index names only the kind of error (a message may
    quote a value from the data)."""
    from pumpurs.present.index_page import IndexRow

    entry = status.get(rid, {})
    error = entry.get("error", "")
    report_dir = period_dir / rid
    manifest = _read_json(report_dir / MANIFEST_FILE)
    has_report = isinstance(manifest, dict)
    failed = entry.get("status") == "failed"
    state = "failed" if failed else ("missing" if not has_report else "ok")
    if state == "ok" and entry.get("status") == "empty":
        state = "empty"
    links = outputs.links(report_dir, rid) if has_report else {}
    return IndexRow(
        id=rid,
        name=name,
        code=code,
        status=state,
        error="" if state != "failed" else (public_error(error) if public else error),
        failed_notebook=entry.get("failed_notebook", "") if state == "failed" else "",
        links=links,
        rendered=(manifest or {}).get("created", "") if has_report else "",
        figures=figures,
    )
