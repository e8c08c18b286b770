"""The project's error hierarchy: each error says the thing, the bad value and the fix.

Commands map them to exit statuses: `InputError` and `SettingsError` and `UsageError`
are the user's to fix (exit 2, nothing written); `TemporaryError` is a failure that a
later retry may not meet (a lost connection, a lock held by another run, data written
while it was read: exit 75, sysexits' EX_TEMPFAIL, so a scheduler can retry); anything
else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, as the user sees it in their file."""

    file: str
    row: int | None  # as in Excel: the header is row 1; None for the file as a whole
    column: str | None
    value: str | None
    message: str
    key: str | None = None  # the row's key where rows have no visible number (a database)

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f" row {self.row}"
            if self.key:
                where += f" ({_visible(self.key)})"  # a key is the data's text too
        if self.column:
            where += f", column {self.column}" if self.row is not None else f" column {self.column}"
        if self.value is None:
            return f"{where}: {self.message}"
        return f'{where}: "{_visible(self.value)}" {self.message}'


def _visible(value: str, limit: int = 200) -> str:
    """A value as a message may show it: control characters as escapes (an ESC from the
    data must not drive the terminal), and no more than `limit` characters."""
    shown = "".join(
        f"\\x{ord(c):02x}" if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F else c for c in value
    )
    return shown if len(shown) <= limit else shown[:limit] + "…"


class PumpursError(Exception):
    """Base of every error the user can act on."""

    exit_code = 2


class UsageError(PumpursError):
    """The command was called wrongly (unknown municipality, bad date, ...)."""


class SourceError(PumpursError):
    """The data source cannot be reached or read: a database that refuses the connection,
    a driver that is not installed, a URL that names no database."""


class TemporaryError(PumpursError):
    """Nothing is wrong with the input or the call, but the run could not finish now: the
    database connection was lost, another run holds the lock, the data changed while it
    was read. Retrying later may succeed; exit status 75 (EX_TEMPFAIL)."""

    exit_code = 75


class SettingsError(PumpursError):
    """`programme.yaml` or a municipality's params file is wrong."""


class InputError(PumpursError):
    """The data folder breaks the data contract; carries every problem found."""

    def __init__(self, problems: list[Problem], max_shown: int | None = None):
        self.problems = sorted(set(problems), key=_problem_order)
        shown = self.problems if max_shown is None else self.problems[:max_shown]
        lines = [str(p) for p in shown]
        if len(shown) < len(self.problems):
            lines.append(f"... and {len(self.problems) - len(shown)} more")
        n = len(self.problems)
        head = f"The data has {n} problem{'s' if n != 1 else ''}; nothing was computed or written:"
        super().__init__("\n".join([head, *lines]))


def _problem_order(p: Problem) -> tuple:
    return (p.file, p.row if p.row is not None else 0, p.column or "", p.value or "", p.message)
