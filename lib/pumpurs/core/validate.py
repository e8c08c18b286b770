"""Validation: turn raw text tables into typed ones, collecting every problem at once.

Parsing (text -> dates, cents, months) is vectorised here; the declarative single-table
checks (vocabularies, uniqueness, ranges) are a pandera schema; what pandera cannot say
(conditional fields per category, references between tables) follows as plain code.
Each problem names file, row, column, value and what was expected.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pumpurs.core.contract import (
    CATEGORIES,
    KEYS,
    MONEY_COLUMNS,
    OPTIONAL_TABLES,
    PARTNER_CATEGORIES,
    PUPIL_CATEGORIES,
    TABLES,
    Col,
)
from pumpurs.core.dataset import Dataset, RawTable
from pumpurs.core.errors import InputError, Problem
from pumpurs.core.money import format_eur, to_cents
from pumpurs.core.parse import (  # noqa: F401  (parse_*: re-exported, their old home)
    CONTROL_RE,
    FORMULA_HINT,
    PARSERS,
    TEXT_CONTROL_RE,
    ZERO_AMOUNT,
    on_distinct,
    parse_date,
    parse_enum,
    parse_money,
    parse_month,
)
from pumpurs.core.rules.codes import index_in
from pumpurs.core.settings import Programme

# ---------------------------------------------------------------------------
# One table
# ---------------------------------------------------------------------------
MAX_PROBLEMS = 1000
"""Per table: a file of junk rows is answered with this many problems and a count of the
rest, so that memory stays bounded whatever the file holds."""


def more_problems(file: str, more: int) -> Problem:
    """The line that stands for the problems past the cap."""
    return Problem(
        file,
        None,
        None,
        None,
        f"has {more} more problems not listed (the first {MAX_PROBLEMS} are); "
        "fix these and run again",
        code="too_many_problems",
    )


class _Collector:
    def __init__(self, raw: RawTable):
        self.raw = raw
        self.file = raw.source.label
        self.rows = raw.frame["_row"].to_numpy()
        self.problems: list[Problem] = []
        self.more = 0

    def add(
        self,
        mask: np.ndarray,
        column: str,
        message: str,
        values: pd.Series | None = None,
        *,
        code: str,
    ) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        room = MAX_PROBLEMS - len(self.problems)
        if room <= 0:
            self.more += int(mask.sum())
            return
        index = np.flatnonzero(mask)
        self.more += max(0, len(index) - room)
        index = index[:room]
        shown = (values if values is not None else self.raw.frame[column]).to_numpy()[index]
        for row, value in zip(self.rows[index], shown, strict=True):
            text = None if value is None or (isinstance(value, str) and value == "") else str(value)
            file, seen = self.raw.where(int(row))  # a table of several sheets names the sheet
            self.problems.append(Problem(file, seen, column, text, message, code=code))


def _typed_table(name: str, raw: RawTable) -> tuple[pd.DataFrame | None, _Collector]:
    out = _Collector(raw)
    frame = raw.frame
    missing = [c.name for c in TABLES[name] if c.required and c.name not in frame.columns]
    contract = {c.name for c in TABLES[name]}
    dupes = sorted({c for c in frame.columns if c in contract and list(frame.columns).count(c) > 1})
    for c in dupes:
        out.problems.append(
            Problem(
                out.file,
                raw.source.header_row,
                c,
                None,
                "this column appears twice; keep one",
                code="duplicate_column",
            )
        )
    for c in missing:
        out.problems.append(
            Problem(
                out.file,
                raw.source.header_row,
                c,
                None,
                f"column is missing; add a column named {c} to {raw.source.columns_in}",
                code="missing_column",
            )
        )
    if missing or dupes:
        return None, out
    frame = frame.loc[:, ~frame.columns.duplicated()]  # repeated extra columns are ignored
    typed = pd.DataFrame(index=frame.index)
    for col in TABLES[name]:
        if col.name not in frame.columns:  # an optional column not given: empty everywhere
            typed[col.name] = _absent(col, len(frame), frame.index)
            continue
        text = _nfc(frame[col.name].astype(str).str.strip())
        pattern = TEXT_CONTROL_RE if col.kind == "text" else CONTROL_RE
        control = np.zeros(len(text), dtype=bool)
        if _may_hold_control(text, allow_breaks=col.kind == "text"):
            control = text.str.contains(pattern, regex=True).to_numpy(dtype=bool)
        out.add(
            control,
            col.name,
            "contains a control character; remove it",
            text,
            code="control_character",
        )
        shown = text  # what messages quote
        text = text.where(~control, "")  # refused above: judged as empty, reported once
        empty = (text == "").to_numpy()
        if col.nonempty:
            out.add(
                empty & ~control,
                col.name,
                "missing; every row needs a value here",
                text,
                code="missing_value",
            )
        if col.kind == "id":
            formula = text.str.match(r"[=+\-@]").to_numpy()
            out.add(formula, col.name, FORMULA_HINT, text, code="formula")
        if col.kind in ("id", "text"):
            typed[col.name] = text
            continue
        parser = on_distinct(parse_enum(col) if col.kind == "enum" else PARSERS[col.kind])
        values, bads = parser(text)
        for bad in bads:
            out.add(bad.mask & ~empty, col.name, bad.message, shown, code=bad.code)
        typed[MONEY_COLUMNS.get(col.name, col.name)] = values.where(
            ~empty, _empty_value(col.kind, values)
        )
    typed["_row"] = out.rows
    return typed, out


def _may_hold_marks(arrow: pa.Array | pa.ChunkedArray) -> bool:
    """False when no cell holds a combining mark (U+0300-U+036F, UTF-8 bytes 0xCC and
    0xCD: what a decomposed ā, č, ģ, ķ, ļ, ņ, š, ū or ž is written with), found in the
    text's bytes at once rather than cell by cell."""
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    for chunk in chunks:
        if not (pa.types.is_string(chunk.type) or pa.types.is_large_string(chunk.type)):
            return True
        data = chunk.buffers()[2]
        if data is not None and _BYTE_MARK[np.frombuffer(data, dtype=np.uint8)].any():
            return True
    return False


def _nfc(text: pd.Series) -> pd.Series:
    """Text as it looks: each letter with its mark in one character (Unicode NFC). A Mac or
    a web form may send "ī" as "i" and a combining macron (NFD); it looks the same as the
    id typed elsewhere, so it must match the same. A column without combining marks (what
    Windows and Excel write) is left as it is."""
    if isinstance(text.array, pd.arrays.ArrowStringArray):
        arrow = pa.array(text.array)
        if not _may_hold_marks(arrow):
            return text
        composed = pc.utf8_normalize(arrow, "NFC")
        differs = pc.fill_null(pc.not_equal(composed, arrow), False)
        if not pc.any(differs).as_py():
            return text  # already composed (what Windows and Excel write)
        at = np.flatnonzero(np.asarray(differs))
        text = text.copy()
        text.iloc[at] = np.asarray(pc.take(composed, pa.array(at)).to_pylist(), dtype=object)
        return text
    return text.str.normalize("NFC")


_BYTE_MARK = np.zeros(256, dtype=bool)
_BYTE_MARK[[0xCC, 0xCD]] = True
_BYTE_CONTROL = np.zeros(256, dtype=bool)  # UTF-8 bytes that are, or begin, a control
_BYTE_CONTROL[[*range(0x20), 0x7F, 0xC2]] = True  # C1 controls U+0080-U+009F: 0xC2 0x80-0x9F
_BYTE_CONTROL_TEXT = _BYTE_CONTROL.copy()
_BYTE_CONTROL_TEXT[[0x09, 0x0A, 0x0D]] = False  # a text cell may hold tabs and line breaks


def _may_hold_control(text: pd.Series, allow_breaks: bool) -> bool:
    """False when no byte of the column's UTF-8 text could be a control character: the
    regex (CONTROL_RE) then need not look at each of a million cells. Text not held by
    Arrow as plain UTF-8 buffers (a string view inlines short strings elsewhere), or any
    suspect byte (0xC2 also begins "§" and the no-break space), sends it to the regex."""
    if not isinstance(text.array, pd.arrays.ArrowStringArray):
        return True
    table = _BYTE_CONTROL_TEXT if allow_breaks else _BYTE_CONTROL
    arrow = pa.array(text.array)
    if not (pa.types.is_string(arrow.type) or pa.types.is_large_string(arrow.type)):
        return True
    chunks = arrow.chunks if isinstance(arrow, pa.ChunkedArray) else [arrow]
    for chunk in chunks:
        data = chunk.buffers()[2]
        if data is not None and table[np.frombuffer(data, dtype=np.uint8)].any():
            return True
    return False


def _absent(col: Col, n: int, index: pd.Index) -> pd.Series:
    """An optional column the table does not have, as if every cell were empty."""
    empty = _empty_value(col.kind, pd.Series([], dtype=object))
    if isinstance(empty, str):  # the text type a read column has
        return pd.Series(empty, index=index, dtype=pd.Series([""]).astype(str).str.strip().dtype)
    return pd.Series([empty] * n, index=index)


def _empty_value(kind: str, values: pd.Series) -> object:
    if kind in ("money", "int"):
        return pd.NA
    if kind == "number":
        return np.nan
    if kind == "date":
        return pd.NaT
    return ""


def _pandera_checks(name: str, typed: pd.DataFrame, out: _Collector) -> None:
    """The declarative single-table rules, as a pandera schema run lazily."""
    import pandera.pandas as pa

    rules: list[tuple[str, pa.Check, str, str]] = {
        "partners": [
            (
                "allocation_cents",
                pa.Check.ge(0),
                "must not be negative (the partner's budget, e.g. 120000,00)",
                "negative_amount",
            ),
        ],
        "schools": [
            ("round", pa.Check.ge(1), "is not a round number (expected 1, 2, 3 ...)", "bad_round")
        ],
        "expenditures": [
            (
                "amount_cents",
                pa.Check.ne(0),
                ZERO_AMOUNT,
                "zero_amount",
            ),
            (
                "hours",
                pa.Check(lambda s: s.isna() | (s > 0), element_wise=False),
                "must be more than 0 hours",
                "bad_hours",
            ),
        ],
    }.get(name, [])
    columns: dict[str, pa.Column] = {}
    messages: dict[tuple[str, int], tuple[str, str]] = {}
    for column, check, message, code in rules:
        col = columns.setdefault(column, pa.Column(checks=[], nullable=True))
        messages[(column, len(col.checks))] = (message, code)
        col.checks.append(check)
    key = KEYS.get(name)
    if key:
        columns[key] = pa.Column(unique=True, checks=columns.get(key, pa.Column()).checks)
    if not columns:
        return
    schema = pa.DataFrameSchema(columns, strict=False)
    try:
        schema.validate(typed, lazy=True)
    except pa.errors.SchemaErrors as err:
        fc = err.failure_cases
        pos = typed.index.get_indexer(fc["index"]) if len(fc) else []
        for (column, number, check), idx in zip(
            fc[["column", "check_number", "check"]].itertuples(index=False), pos, strict=True
        ):
            if idx < 0:
                continue
            if check == "field_uniqueness":
                continue  # reported below with the other row's number
            mask = np.zeros(len(typed), dtype=bool)
            mask[idx] = True
            raw_col = {v: k for k, v in MONEY_COLUMNS.items()}.get(column, column)
            message, code = messages[(column, int(number))]
            out.add(mask, raw_col, message, code=code)
        if key and (fc["check"] == "field_uniqueness").any():
            _duplicates(typed, key, out)


def _duplicates(typed: pd.DataFrame, key: str, out: _Collector) -> None:
    ids = typed[key]
    dup = ids.duplicated(keep=False) & (ids != "")
    first_row = typed.loc[dup].groupby(key)["_row"].transform("min")
    later = dup.copy()
    later.loc[dup] = typed.loc[dup, "_row"] != first_row
    for idx in np.flatnonzero(later.to_numpy()):
        mask = np.zeros(len(typed), dtype=bool)
        mask[idx] = True
        file, other = out.raw.where(int(first_row.loc[typed.index[idx]]))
        first = f"{file} row {other}" if out.raw.sheets else f"row {other}"
        out.add(
            mask,
            key,
            f"appears more than once (first in {first}); each {key} must be unique",
            code="duplicate_key",
        )


# ---------------------------------------------------------------------------
# Rules between columns and tables
# ---------------------------------------------------------------------------
def _references(
    typed: pd.DataFrame,
    column: str,
    target: pd.DataFrame | None,
    target_file: str,
    out: _Collector,
    what: str,
) -> None:
    if target is None:
        return
    key = column
    given = typed[column] != ""
    unknown = given & ~typed[column].isin(target[key])
    out.add(
        unknown.to_numpy(),
        column,
        f"is not a {what} listed in {target_file}",
        code="unknown_reference",
    )


def _expenditure_fields(typed: pd.DataFrame, out: _Collector) -> None:
    cat = typed["category"]
    pupil = cat.isin(PUPIL_CATEGORIES)
    partner = cat.isin(PARTNER_CATEGORIES)
    consult = cat == "consultation"
    known = cat.isin(CATEGORIES)  # an unknown category is one problem, not three
    has = {c: (typed[c] != "") for c in ("student_id", "specialist_role", "ngo_project_id")}
    has["hours"] = typed["hours"].notna()
    raw = out.raw.frame
    for c in ("student_id",):
        out.add(
            (pupil & ~has[c]).to_numpy(),
            c,
            "missing; this category is paid per pupil, give the pupil's student_id",
            code="missing_value",
        )
        out.add(
            (partner & has[c]).to_numpy(),
            c,
            "must be empty: this category is not paid per pupil",
            code="must_be_empty",
        )
    for c, need in (
        ("specialist_role", "the specialist's role"),
        ("hours", "the hours of consultation"),
    ):
        out.add(
            (consult & ~has[c] & (raw[c].str.strip() == "")).to_numpy(),
            c,
            f"missing; a consultation needs {need}",
            code="missing_value",
        )
        out.add(
            (~consult & has[c] & known).to_numpy(),
            c,
            "must be empty: only consultations have it",
            code="must_be_empty",
        )
    out.add(
        (cat.eq("ngo_project") & ~has["ngo_project_id"]).to_numpy(),
        "ngo_project_id",
        "missing; an ngo_project row needs the project's id",
        code="missing_value",
    )
    out.add(
        (cat.ne("ngo_project") & known & has["ngo_project_id"]).to_numpy(),
        "ngo_project_id",
        "must be empty: only ngo_project rows have it",
        code="must_be_empty",
    )


def _at_most(typed: pd.DataFrame, column: str, budget: int, out: _Collector) -> None:
    """No amount can exceed the programme's whole budget: a larger one is a typo (and
    would let sums leave exact 64-bit arithmetic)."""
    over = (typed[column].fillna(0).abs() > budget).to_numpy()
    name = column.replace("_cents", "_eur")
    out.add(
        over,
        name,
        f"is more than the programme's whole budget ({format_eur(budget, 'en')}); check the amount",
        code="above_budget",
    )


def _grades(typed: pd.DataFrame, out: _Collector) -> None:
    grade = typed["grade"]
    general = (typed["level"] == "general") & grade.notna() & ~grade.between(1, 12)
    vocational = (typed["level"] == "vocational") & grade.notna() & ~grade.between(1, 4)
    out.add(
        general.fillna(False).to_numpy(),
        "grade",
        "is not a grade of general education (expected 1 to 12)",
        code="bad_grade",
    )
    out.add(
        vocational.fillna(False).to_numpy(),
        "grade",
        "is not a year of vocational education (expected 1 to 4)",
        code="bad_grade",
    )


def _municipalities(typed: pd.DataFrame, programme: Programme, out: _Collector) -> None:
    found = typed["municipality"].map(lambda t: programme.find_municipality(t) if t else None)
    unknown = found.isna() & (typed["municipality"] != "")
    out.add(
        unknown.to_numpy(),
        "municipality",
        "is not one of the 43 current municipalities (expected a name such as Aizkraukles novads "
        "or Rīga, or an ISO code such as LV-002)",
        code="unknown_municipality",
    )
    typed["municipality"] = found.map(lambda m: m.name if m is not None else "").astype(str)
    typed["municipality_code"] = found.map(lambda m: m.code if m is not None else "").astype(str)


# ---------------------------------------------------------------------------
# Corrections (credit notes, stornos): each names a positive row of the same service
# ---------------------------------------------------------------------------
CORRECTION_SAME = (
    "partner_id",
    "school_id",
    "student_id",
    "category",
    "service_month",
    "specialist_role",
    "hours",
    "ngo_project_id",
)
"""What a correction repeats from the row it corrects: it changes the money, not the service."""


def _corrections(typed: pd.DataFrame, out: _Collector) -> None:
    """A negative row names the positive row it corrects (same partner and service, paid on
    or after it), and a row's corrections never take it below zero. Each problem names
    both rows; only the few rows involved are looked at one by one."""
    raw = out.raw.frame
    amount = typed["amount_cents"]
    known = amount.notna().to_numpy()
    cents = amount.fillna(0).to_numpy(dtype=np.int64)
    negative, positive = known & (cents < 0), known & (cents > 0)
    refs = typed["corrects_entry_id"]
    has_ref = (refs != "").to_numpy(dtype=bool)
    if not (negative.any() or has_ref.any()):
        return  # a ledger without corrections
    entry_ids = typed["entry_id"]
    rows = out.rows
    # Text is taken row by row only for the rows named (no Python string per ledger row).
    ref = _Lazy(refs)
    ids = _Lazy(entry_ids)

    def shown(column: str, i: int) -> str | None:
        text = str(raw[column].iloc[i]).strip() if column in raw.columns else ""
        return text or None

    def which(i: int) -> str:
        return f"row {int(rows[i])} (entry_id {ids[i]})"

    def add(i: int, column: str, value: str | None, message: str, code: str) -> None:
        if len(out.problems) >= MAX_PROBLEMS:
            out.more += 1
            return
        key = f"entry_id {ids[i]}" if ids[i] else None
        out.problems.append(Problem(out.file, int(rows[i]), column, value, message, key, code))

    for i in np.flatnonzero(negative & ~has_ref).tolist():
        add(
            i,
            "corrects_entry_id",
            None,
            f"missing; the amount {shown('amount_eur', i)} is negative, so the row is a "
            "correction (credit note, storno): give the entry_id of the row it corrects, "
            "or make the amount positive",
            "correction_without_row",
        )
    for i in np.flatnonzero(positive & has_ref).tolist():
        add(
            i,
            "corrects_entry_id",
            ref[i],
            f"must be empty: the amount {shown('amount_eur', i)} is positive, and only a "
            "correction (a negative amount) names a row it corrects",
            "must_be_empty",
        )
    corrections = np.flatnonzero(negative & has_ref)
    if len(corrections) == 0:
        return
    target = _rows_named(entry_ids, refs.iloc[corrections].tolist())
    for i in corrections[target < 0].tolist():
        add(
            i,
            "corrects_entry_id",
            ref[i],
            f"is not an entry_id in {out.file}; a correction names the row it corrects",
            "unknown_reference",
        )
    found = target >= 0
    not_row = found & ~positive[np.maximum(target, 0)]
    for i, t in zip(corrections[not_row].tolist(), target[not_row].tolist(), strict=True):
        what = "itself a correction" if negative[t] else "a row without a valid amount"
        add(
            i,
            "corrects_entry_id",
            ref[i],
            f"names {which(t)}, {what} ({shown('amount_eur', t)}); a correction names "
            "the positive row it corrects, not another correction",
            "correction_of_correction",
        )
    named = found & ~not_row  # naming a positive row, whatever else is wrong with it
    _same_service(typed, corrections[named], target[named], shown, which, add)
    _not_below_zero(corrections[named], target[named], cents, shown, which, add)


class _Lazy:
    """A text column read one cell at a time: `lazy[i]`."""

    def __init__(self, column: pd.Series) -> None:
        self.column = column

    def __getitem__(self, i: int) -> str:
        return str(self.column.iloc[i])


def _rows_named(ids: pd.Series, refs: list[str]) -> np.ndarray:
    """Where each of `refs` is among the entry `ids` (its first row), -1 where nowhere.
    The ledger's ids are probed against the few distinct refs, not indexed themselves."""
    wanted = pd.Index(pd.unique(np.asarray(refs, dtype=object)))
    hit = index_in(ids, wanted.tolist())
    at = np.flatnonzero(hit >= 0)
    first = pd.Series(at).groupby(hit[at]).min()  # a repeated entry_id is refused elsewhere
    where = np.full(len(wanted), -1, dtype=np.int64)
    where[first.index.to_numpy()] = first.to_numpy()
    found: np.ndarray = where[wanted.get_indexer(refs)]
    return found


_Shown = Callable[[str, int], "str | None"]
_Which = Callable[[int], str]
_Add = Callable[[int, str, "str | None", str, str], None]


def _same_service(
    typed: pd.DataFrame,
    corrections: np.ndarray,
    targets: np.ndarray,
    shown: _Shown,
    which: _Which,
    add: _Add,
) -> None:
    """Each correction repeats its row's partner and service and is paid on or after it;
    compared column by column for all corrections at once, each difference a problem
    naming both rows."""
    for column in CORRECTION_SAME:
        values = typed[column]
        mine, theirs = values.iloc[corrections], values.iloc[targets]
        same = (mine.to_numpy() == theirs.to_numpy()) | (
            mine.isna().to_numpy() & theirs.isna().to_numpy()
        )
        for i, t in zip(corrections[~same].tolist(), targets[~same].tolist(), strict=True):
            other = shown(column, t)
            has = f'"{other}"' if other is not None else "it empty"
            add(
                i,
                column,
                shown(column, i),
                f"differs from {which(t)}, the row it corrects, which has {has}; a correction "
                f"repeats the {column} of its row (it corrects the money, not the service)",
                "correction_differs",
            )
    paid = typed["paid_on"]
    early = (paid.iloc[corrections].to_numpy() < paid.iloc[targets].to_numpy()) & ~(
        paid.iloc[corrections].isna().to_numpy() | paid.iloc[targets].isna().to_numpy()
    )
    for i, t in zip(corrections[early].tolist(), targets[early].tolist(), strict=True):
        add(
            i,
            "paid_on",
            shown("paid_on", i),
            f'is before {which(t)}, the row it corrects, was paid ("{shown("paid_on", t)}"); '
            "a correction is paid on or after its row",
            "correction_before_row",
        )


def _not_below_zero(
    corrections: np.ndarray,
    targets: np.ndarray,
    cents: np.ndarray,
    shown: _Shown,
    which: _Which,
    add: _Add,
) -> None:
    """A row and all its corrections, whatever their dates, add up to zero or more."""
    if len(corrections) == 0:
        return
    taken = pd.Series(cents[corrections]).groupby(targets).sum()
    below = taken[cents[taken.index.to_numpy()] + taken.to_numpy() < 0]
    for t, minus in zip(below.index.tolist(), below.tolist(), strict=True):
        mine = np.sort(corrections[targets == t])
        named = "; ".join(which(i) for i in mine.tolist())
        add(
            t,
            "amount_eur",
            shown("amount_eur", t),
            f"is taken below zero by its corrections ({named}: {format_eur(int(minus), 'en')} "
            "in all); corrections take back at most the row's amount",
            "below_zero",
        )


# ---------------------------------------------------------------------------
def validate_tables(
    raws: dict[str, RawTable],
    programme: Programme,
    folder: Path | str,
    problems: list[Problem],
) -> Dataset:
    problems = list(problems)
    typed: dict[str, pd.DataFrame | None] = {}
    collectors: dict[str, _Collector] = {}
    for name in TABLES:
        if name not in raws:
            typed[name] = None
            continue
        frame, out = _typed_table(name, raws[name])
        typed[name], collectors[name] = frame, out
        if frame is not None:
            _pandera_checks(name, frame, out)

    def label(name: str) -> str:
        return raws[name].source.label if name in raws else f"{name}.csv"

    if typed.get("partners") is not None:
        _municipalities(typed["partners"], programme, collectors["partners"])
    if typed.get("schools") is not None:
        _references(
            typed["schools"],
            "partner_id",
            typed.get("partners"),
            label("partners"),
            collectors["schools"],
            "partner",
        )
    if typed.get("support_plans") is not None:
        _references(
            typed["support_plans"],
            "school_id",
            typed.get("schools"),
            label("schools"),
            collectors["support_plans"],
            "school",
        )
        _grades(typed["support_plans"], collectors["support_plans"])
    budget = to_cents(programme.budget.total_eur)
    for name, column in (("partners", "allocation_cents"), ("expenditures", "amount_cents")):
        frame = typed.get(name)
        if frame is not None:
            _at_most(frame, column, budget, collectors[name])
    if typed.get("expenditures") is not None:
        e, out = typed["expenditures"], collectors["expenditures"]
        _references(e, "partner_id", typed.get("partners"), label("partners"), out, "partner")
        _references(e, "school_id", typed.get("schools"), label("schools"), out, "school")
        _expenditure_fields(e, out)
        _corrections(e, out)
    said = {(p.file, p.row, p.column) for p in problems if p.row is not None}
    for out in collectors.values():
        # a cell the reader already explained (a formula with no result) is not "missing" too
        problems.extend(p for p in out.problems if (p.file, p.row, p.column) not in said)
        if out.more:
            problems.append(more_problems(out.file, out.more))
    if problems:
        raise InputError(problems)
    tables = {}
    for name in TABLES:
        frame = typed.get(name)
        if frame is None and name in OPTIONAL_TABLES:
            frame = empty_table(name)
        assert frame is not None, name  # every required table was read or refused
        frame = frame.reset_index(drop=True)
        for c in frame.columns:
            if str(frame[c].dtype) == "Int64":
                frame[c] = frame[c].fillna(0).astype("int64")
        tables[name] = frame
    return Dataset(**tables, sources={n: r.source for n, r in raws.items()}, folder=folder)


def empty_table(name: str) -> pd.DataFrame:
    return pd.DataFrame(
        {c.name: pd.Series([], dtype=str) for c in TABLES[name]}
        | {"_row": pd.Series([], dtype="int64")}
    )
