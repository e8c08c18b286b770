"""Changes since the previous report, where reports find them.

The comparison needs the national data judged at two dates (report/changes.py). The
batch works it out once for every municipality and the programme, from the judgement it
made and one more judgement as of the previous half-year's last day, and keeps it beside
the stored judgement (`changes-<period>.pkl`); each notebook reads its own part. A
notebook run alone (no store) judges the national data at both dates through the
per-user cache (`session.judgement`), so it says what the batch says.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
from pathlib import Path
from typing import Any

from pumpurs.core.calendar import Period
from pumpurs.report.changes import NATIONAL, Changes, changes_all, judge_previous, programme_start
from pumpurs.report.changes import previous_period as _previous
from pumpurs.report.request import ReportRequest
from pumpurs.run.background import in_background


def _file(store: Path, period: Period) -> Path:
    return Path(store) / f"changes-{period.label}.pkl"


def compute(national: Any, period: Period, names: list[str] | None = None) -> dict[str, Changes]:
    """Every municipality's comparison and the programme's (key `NATIONAL`); `names`:
    these municipalities' only."""
    earlier = _previous(period)
    if earlier.last_month < programme_start(national.programme):
        found = changes_all(national, national, period, names)  # nothing to compare
    else:
        found = changes_all(national, judge_previous(national, period), period, names)
    if names is not None:  # the programme's names the municipalities that moved: all
        found.pop(NATIONAL, None)
    return found


def keep(store: Path, period: Period, found: dict[str, Changes]) -> None:
    """Write the comparisons beside a store (whole or absent; a cache that cannot be
    written costs time only)."""
    from pumpurs.present.render import write_atomic

    with contextlib.suppress(OSError):
        write_atomic(_file(store, period), pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL))


def kept(store: Path, period: Period) -> dict[str, Changes] | None:
    with contextlib.suppress(OSError, pickle.UnpicklingError, EOFError, AttributeError):
        found: dict[str, Changes] = pickle.loads(_file(store, period).read_bytes())
        return found
    return None


def stored_changes(
    store: Path, period: Period, national: Any = None, name: str = NATIONAL
) -> dict[str, Changes]:
    """The period's comparisons kept beside `store` (or the national store an early one
    names) holding `name`'s, worked out now (and kept) when missing."""
    from pumpurs.run.release import _national_store

    for folder in (Path(store), _national_store(Path(store))):
        found = kept(folder, period)
        if found is not None and name in found:
            return found
    if national is None:
        from pumpurs.run.session import read_judgement

        national = read_judgement(_national_store(Path(store)), NATIONAL)
    found = compute(national, period)
    keep(_national_store(Path(store)), period, found)
    return found


def changes_for(
    request: ReportRequest, municipality: str | None, judgement_path: str = ""
) -> Changes:
    """For a notebook: its report's comparison (`municipality` None: the programme's)."""
    programme, period = request.programme, request.period
    if period is None:
        raise ValueError("changes since the previous report need the report's period")
    name = programme.municipality(municipality).name if municipality else NATIONAL
    if judgement_path:
        return stored_changes(Path(judgement_path), period, name=name)[name]
    from pumpurs.run.session import judgement

    now = judgement(request, None)
    earlier = _previous(period)
    if earlier.last_month < programme_start(programme):
        return changes_all(now, now, period, [] if name == NATIONAL else [name])[name]
    then = judgement(request.data, None, earlier.end_date, request.settings_path())
    return changes_all(now, then, period, None if name == NATIONAL else [name])[name]


def digest(c: Changes) -> str:
    """What a report's input hash adds: its comparison's figures."""
    h = hashlib.sha256(c.reason.encode())
    for frame in (c.figures, c.reasons, c.by_rule, c.moved):
        h.update(frame.to_json(orient="split", default_handler=str).encode())
    return h.hexdigest()[:16]


def prepare(inputs: Any, shared: Any) -> dict[str, str]:
    """The batch's comparisons, worked out once (or read where kept) before it renders;
    returns each report's digest for its input hash. A run of a few municipalities works
    out theirs alone and keeps them beside its early store and the national store (a run
    asking for others works them all out again)."""
    wanted = [shared.names[r.id] for r in inputs.reports]
    where = Path(shared.early or shared.store)
    found = kept(where, inputs.period)
    if found is None and shared.early is not None:
        found = kept(shared.store, inputs.period)  # whole, from an earlier run
    if found is None or not set(wanted) <= set(found):
        # a run of a few municipalities (its early store) works out theirs alone; the
        # national store keeps every municipality's and the programme's
        few = [n for n in wanted if n != NATIONAL] if shared.early is not None else None
        found = compute(shared.national, inputs.period, few)
        keep(where, inputs.period, found)
        if shared.early is not None:  # and beside the national store once it is whole,
            # so a rerun reads no judgement
            def later(done: dict[str, Changes] = found) -> None:
                shared.wait_stored()
                if kept(shared.store, inputs.period) is None:
                    keep(shared.store, inputs.period, done)

            in_background(later)
    return {rid: digest(found[name]) for rid, name in shared.names.items() if name in found}
