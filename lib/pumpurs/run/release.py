"""The period's suppression decisions, where reports and the index find them.

A public report hides what the whole release hides (report/release.py decides it from
the national judgement). The batch decides once and keeps the decisions beside the
stored judgement (`release-<period>-<min_count>.json`); every notebook of the period,
and a single-municipality run, reads the same file, or decides the same way from the
national judgement when there is none, so a report rendered alone hides exactly what it
hides in the release.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from pumpurs.core.calendar import Period
from pumpurs.core.errors import UsageError
from pumpurs.core.settings import Programme
from pumpurs.report.audience import Audience
from pumpurs.report.release import decide
from pumpurs.report.request import ReportRequest


def _file(store: Path, period: Period, min_count: int) -> Path:
    from pumpurs.run.session import derived_path

    return derived_path(_national_store(store), f"release-{period.label}-{min_count}")


def _national_store(store: Path) -> Path:
    """The store holding every municipality (an early store of a few names it)."""
    from pumpurs.run.session import read_meta

    with contextlib.suppress(OSError, KeyError, TypeError, ValueError):
        meta = read_meta(store)
        if meta.get("only") is not None and meta.get("rest_in"):
            return Path(meta["rest_in"])
    return Path(store)


def stored_marks(
    store: Path,
    period: Period,
    programme: Programme,
    national: Any = None,
    audience: Audience | None = None,
) -> dict[str, str]:
    """The period's decisions kept beside `store`, decided now (and kept) when missing.
    `audience`: the public policy the caller built already."""
    audience = audience or Audience.of("public", programme)
    path = _file(store, period, audience.min_count)
    with contextlib.suppress(OSError, ValueError):
        kept = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(kept, dict):
            return {str(k): str(v) for k, v in kept.items()}
    if national is None:
        from pumpurs.run.session import NATIONAL, read_judgement

        national = read_judgement(_national_store(store), NATIONAL)
    marks = decide(national, programme, period, audience.min_count)
    from pumpurs.present.render import write_atomic

    with contextlib.suppress(OSError):  # a cache that cannot be written costs time only
        write_atomic(path, json.dumps(marks, sort_keys=True, ensure_ascii=False))
    return marks


def marks_hash(marks: dict[str, str]) -> str:
    """What a public report's input hash adds: the period's decisions."""
    return hashlib.sha256(json.dumps(marks, sort_keys=True).encode()).hexdigest()[:16]


def release_marks(request: ReportRequest, judgement_path: str | Path = "") -> dict[str, str] | None:
    """For a notebook: the decisions of the release its report belongs to (None for an
    internal report, which hides nothing)."""
    audience, period = request.audience, request.period
    if not audience.is_public:
        return None
    if period is None:
        raise UsageError("a public report is for a half-year: give its period (2021-H1)")
    if judgement_path:
        return stored_marks(Path(judgement_path), period, request.programme, audience=audience)
    from pumpurs.run.session import judgement

    national = judgement(request, None)
    return decide(national, request.programme, period, audience.min_count)


def hide_index_counts(figures: dict[str, Any], inputs: Any, shared: Any) -> dict[str, Any]:
    """A public index's error findings as the release shows them (the same count is on
    the municipality's page 1 and in the overview)."""
    from dataclasses import replace

    from pumpurs.present.view_common import release_mark
    from pumpurs.report.release import errors_cell

    audience = inputs.policy("public")
    marks = stored_marks(shared.store, inputs.period, inputs.programme, audience=audience)
    return {
        rid: replace(f, errors_mark=release_mark(audience, marks, errors_cell(rid)) or "")
        for rid, f in figures.items()
    }


def prepare(inputs: Any, shared: Any) -> str:
    """A public batch decides the period's suppression before it renders (every notebook
    reads the same decisions); returns their hash for the reports' input hashes, "" for
    an internal batch."""
    if not inputs.policy().is_public:
        return ""
    shared.wait_stored()  # the decisions are kept in the national store's folder
    judged = shared.judged  # None on a rerun: read only if the decisions are not kept
    public = inputs.policy()
    return marks_hash(stored_marks(shared.store, inputs.period, inputs.programme, judged, public))


RELEASE_FILE = "release.json"  # a public period folder's mark that its audit found nothing


def audit_after_run(inputs: Any, echo: Any) -> int:
    """A public batch's last step: read the period's files as an outsider would
    (run/audit.py). Clean: release.json says so (what to publish is the folder). A hidden
    count that can be worked out: release.json is removed, the counts are listed on the
    terminal only (never in the public folder) and the batch exits 1. Returns 0 or 1."""
    from datetime import UTC, datetime

    from pumpurs.present.render import write_atomic
    from pumpurs.run.audit import audit

    if not inputs.policy().is_public:
        return 0
    mark = inputs.period_dir / RELEASE_FILE
    leaks, hidden = audit(inputs.period_dir)
    if leaks:
        mark.unlink(missing_ok=True)
        for leak in leaks:
            echo(leak.line())
        echo(
            f"the release is NOT done: {len(leaks)} of {hidden} hidden counts can be worked out "
            f"from the published figures; do not publish {inputs.period_dir}"
        )
        return 1
    now = datetime.now(UTC).isoformat(timespec="seconds")
    write_atomic(mark, json.dumps({"audited": now, "hidden": hidden, "pinned": 0}) + "\n")
    return 0
