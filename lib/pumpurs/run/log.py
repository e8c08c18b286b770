"""What a batch (or a step of one) writes to its log: one line per event, each opening
with its local time and UTC offset, so that runs appended to one file week after week
read apart, and a line that opens and a line that closes every run:

    2026-12-07T03:15:00+02:00 run started: /srv/pumpurs/data --all --period 2026-H2 …
    2026-12-07T03:15:41+02:00 Rīga	ok	  3.12 s
    2026-12-07T03:16:12+02:00 run finished: 44 ok, 0 empty, 0 failed, 0 up to date in 72.0 s (exit 0)
"""

from __future__ import annotations

import sys
from typing import TextIO

from pumpurs.run.model import _now


def stamped(text: str) -> str:
    """Every line of `text` after the time (a message of several lines stays one event
    whose lines all say when)."""
    when = _now()
    return "\n".join(f"{when} {line}" for line in (_printable(text).splitlines() or [""]))


def _printable(text: str) -> str:
    """A folder name that is not UTF-8 (os.fsdecode's escapes) as its bytes, never a crash
    of the log."""
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def log(text: str, file: TextIO | None = None) -> None:
    print(stamped(text), file=file or sys.stdout, flush=True)
