"""A period folder kept whole: reports replaced in one rename, a killed batch undone,
one process per report at a time, and status.json (what --retry-failed and the index
read), updated under a short lock so that processes rendering other reports of the
same period into one --out (an orchestrator's fan-out) never lose each other's lines.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pumpurs.core.errors import TemporaryError
from pumpurs.run.model import (
    LOCK_FILE,
    LOCKS,
    STATUS_FILE,
    TMP,
    Inputs,
    _now,
    _read_json,
    _write_json,
)
from pumpurs.sources.files import sha256_file


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


def recover_interrupted(period_dir: Path, ids: Iterable[str] | None = None) -> None:
    """Finish or undo what a killed batch left in `.tmp/` for the reports `ids` (those
    whose locks the caller holds; None: every report).

    A report folder renamed aside (`<id>.old-*`) whose new version never arrived is
    put back; every other temporary folder is an unfinished report and is deleted. A
    report another process is rendering right now is not this call's to touch.
    """
    tmp = period_dir / TMP
    if not tmp.is_dir():
        return
    mine = None if ids is None else set(ids)
    for d in sorted(tmp.iterdir()):
        rid = _report_of(d.name)
        if mine is not None and rid not in mine:
            continue
        if ".old-" in d.name:
            final = period_dir / rid
            if not final.exists():
                with contextlib.suppress(OSError):
                    d.rename(final)
                continue  # put back, or kept aside if that failed: never deleted
        if d.is_dir():
            shutil.rmtree(d, ignore_errors=True)
        else:
            with contextlib.suppress(OSError):
                d.unlink()


def _report_of(name: str) -> str:
    """The report id of a temporary folder's name (`<id>.new-…`, `<id>.old-…`)."""
    for mark in (".new-", ".old-"):
        if mark in name:
            return name.split(mark)[0]
    return name


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


def write_status(
    period_dir: Path, inputs: Inputs, reports: dict[str, Any], judgement: str | None = None
) -> None:
    """status.json: the last outcome of every report of the period (what --retry-failed
    reads), and the key of the judged data last rendered from (what `pumpurs index`
    reads its key figures from; None: the one recorded stays)."""
    if judgement is None:
        before = _read_json(period_dir / STATUS_FILE)
        judgement = before.get("judgement") if isinstance(before, dict) else None
    _write_json(
        period_dir / STATUS_FILE,
        {
            "period": inputs.period.label,
            "audience": inputs.audience,
            "lang": inputs.lang,
            "updated": _now(),
            **({"judgement": judgement} if judgement else {}),
            "reports": dict(sorted(reports.items())),
        },
    )


def update_status(
    period_dir: Path, inputs: Inputs, changed: dict[str, Any], judgement: str | None = None
) -> dict[str, Any]:
    """Record these reports' outcomes in status.json beside every other process's (read
    again under the period's status lock); returns every report's status."""
    with status_locked(period_dir):
        reports = read_status(period_dir)
        before = _read_json(period_dir / STATUS_FILE)
        same = isinstance(before, dict) and before.get("judgement") == judgement
        if changed or not same:
            reports.update(changed)
            write_status(period_dir, inputs, reports, judgement)
    return reports


@contextlib.contextmanager
def status_locked(period_dir: Path) -> Iterator[None]:
    """The period's status.json and index.html are read and written by one process at a
    time (held for milliseconds: a write of status.json, or of the index)."""
    period_dir.mkdir(parents=True, exist_ok=True)
    with open(period_dir / LOCK_FILE, "a+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def public_error(error: str) -> str:
    """What a public folder may say about a failure: its kind, never its details (a
    traceback can quote a pupil's pseudonym)."""
    kind = error.split(":")[0].strip() or "error"
    return f"{kind} (run this municipality with --audience internal to see the details)"


@contextlib.contextmanager
def reports_locked(period_dir: Path, ids: Iterable[str]) -> Iterator[None]:
    """Each report of a period is written by one process at a time: a second process
    would delete the first's half-made report. Processes rendering other reports of the
    same period go on side by side. A report locked by another process: TemporaryError
    (exit 75; retry when that one has finished), and nothing is locked."""
    folder = period_dir / LOCKS
    folder.mkdir(parents=True, exist_ok=True)
    held: list[Any] = []
    busy: list[str] = []
    try:
        for rid in sorted(set(ids)):
            f = open(folder / f"{rid}.lock", "a+")  # noqa: SIM115 - held while rendering
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                busy.append(rid)
                continue
            held.append(f)
        if busy:
            shown = ", ".join(busy[:5]) + (f" and {len(busy) - 5} more" if len(busy) > 5 else "")
            raise TemporaryError(
                f"another pumpurs process is rendering {shown} in {period_dir}; nothing was "
                "rendered. Run again when it has finished"
            )
        yield
    finally:
        for f in held:
            f.close()
