"""The project's error hierarchy: each error says the thing, the bad value and the fix.

Commands map them to exit statuses: `InputError` and `SettingsError` and `UsageError`
are the user's to fix (exit 2, nothing written); `TemporaryError` is a failure that a
later retry may not meet (a lost connection, a lock held by another run, data written
while it was read: exit 75, sysexits' EX_TEMPFAIL, so a scheduler can retry); anything
else is a bug.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, as the user sees it in their file."""

    file: str
    row: int | None  # as in Excel: the header is row 1; None for the file as a whole
    column: str | None
    value: str | None
    message: str
    key: str | None = None  # the row's key where rows have no visible number (a database)
    code: str = field(default="", compare=False)  # what kind of problem: PROBLEM_CODES

    def __post_init__(self) -> None:
        if self.code and self.code not in PROBLEM_CODES:
            raise ValueError(f"Problem code {self.code!r} is not in PROBLEM_CODES")

    @property
    def expected(self) -> str:
        """What the value should have been, where the message says (`(expected …)`)."""
        at = self.message.find("(expected ")
        if at < 0:
            return ""
        depth, start = 0, at + len("(expected ")
        for i in range(at, len(self.message)):
            depth += {"(": 1, ")": -1}.get(self.message[i], 0)
            if depth == 0:
                return self.message[start:i]
        return self.message[start:]

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


PROBLEM_CODES: dict[str, str] = {
    # reading: the folder, its files, sheets and tables, a database's tables and columns
    "not_a_folder": "the data folder does not exist or is a file",
    "not_a_file": "a table's name is taken by a link, a folder or another special file",
    "unreadable_file": "a file cannot be read as CSV, XLSX or Parquet, or is too large",
    "duplicate_table": "two files, sheets or database tables give the same table",
    "missing_table": "a required table is not there",
    "not_a_sheet": "a visible sheet of a table's workbook does not have its header",
    "too_many_rows": "a table has more rows than the programme's data can hold",
    "missing_column": "a required column is not in the table's header",
    "duplicate_column": "two columns give the same column of the contract",
    "bad_column_type": "a database column's type cannot hold the column's values",
    "no_header": "a value stands in a column without a header",
    "bad_encoding": "bytes that are not valid in the file's encoding",
    "open_quote": "a quote opens and never closes, swallowing the lines after it",
    "field_count": "a CSV row has another number of fields than the header",
    "merged_cells": "a workbook's cells are merged",
    "formula_without_value": "a workbook formula was saved without its result",
    "too_many_problems": "more problems than are listed (the first MAX_PROBLEMS are)",
    # values, one cell at a time
    "control_character": "a cell holds a control character",
    "missing_value": "a cell that needs a value is empty",
    "must_be_empty": "a cell that must be empty for this row has a value",
    "formula": "an id starts with a character a spreadsheet runs as a formula",
    "bad_amount": "not an amount in EUR",
    "too_many_decimals": "an amount with more than two decimals",
    "zero_amount": "an amount of zero",
    "negative_amount": "a negative amount where none may be",
    "above_budget": "an amount larger than the programme's whole budget",
    "bad_date": "not a date",
    "unreal_date": "a date that is not in the calendar",
    "year_out_of_range": "a year outside the years the data can have",
    "bad_month": "not a month",
    "bad_semester": "not a semester",
    "bad_school_year": "not a school year",
    "years_not_consecutive": "a semester's or school year's years do not follow each other",
    "bad_whole_number": "not a whole number",
    "bad_number": "not a number",
    "bad_hours": "hours that are not more than 0",
    "bad_round": "a school's round that is not 1, 2, 3 …",
    "bad_grade": "a grade outside the plan's level of education",
    "bad_choice": "not one of the column's values (a vocabulary)",
    # between rows and tables
    "duplicate_key": "a key (partner_id, school_id, entry_id …) appears more than once",
    "unknown_reference": "an id that the table it refers to does not list",
    "unknown_municipality": "not one of the current municipalities",
    "correction_without_row": "a negative amount (a correction) that names no row",
    "correction_of_correction": "a correction that names a correction or a row without amount",
    "correction_differs": "a correction whose service differs from its row's",
    "correction_before_row": "a correction paid before its row",
    "below_zero": "a row taken below zero by its corrections",
}
"""Every kind of problem with the input, by its stable machine code (`Problem.code`,
`pumpurs validate --format json|csv`, docs/data-contract.md): a code is never renamed or
reused; a new kind of problem gets a new one."""


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


def _problem_order(p: Problem) -> tuple[str, int, str, str, str]:
    return (
        p.file,
        p.row if p.row is not None else 0,
        p.column or "",
        p.value or "",
        p.message,
    )
