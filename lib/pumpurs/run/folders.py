"""A period folder kept whole: reports replaced in one rename, a killed batch undone,
one batch at a time, and status.json (what --retry-failed and the index read).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pumpurs.core.errors import UsageError
from pumpurs.run.model import (
    LOCK_FILE,
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
