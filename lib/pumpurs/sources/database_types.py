"""A database's tables and columns as the contract sees them: names matched case-blind,
twin columns, rows in key order; what a column may hold (`type_family`, the families
each contract kind allows) and its values as the text the validators read (dates on
Riga's clock, a driver's row-by-row values as one Arrow text column)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pumpurs.core.contract import DATA_TIME_ZONE, KEYS, TABLES, Col
from pumpurs.core.errors import Problem
from pumpurs.core.validate import MAX_PROBLEMS
from pumpurs.sources.cells import cell_text


@dataclass(frozen=True)
class Column:
    name: str  # as the database spells it
    type: str  # the database's type name, as messages show it


def text_array(values: Sequence[Any]) -> pa.Array:
    """One column's values as the driver gave them, as text (what `cell_text` makes of
    each), without a Python call per value where the column is all text or integers."""
    try:  # Arrow's own reading of a column of one type: text, or integers
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        array = None
    if array is not None and (
        pa.types.is_string(array.type)
        or pa.types.is_integer(array.type)
        or pa.types.is_null(array.type)
    ):
        return pc.fill_null(pc.cast(array, pa.string()), "")
    zone = _zone()
    return pa.array(
        [
            cell_text(v.astimezone(zone) if isinstance(v, dt.datetime) and v.tzinfo else v)
            for v in values
        ],
        pa.string(),
    )


def _zone() -> Any:

    return ZoneInfo(DATA_TIME_ZONE)


_INT = re.compile(r"U?(TINY|SMALL|MEDIUM|BIG|HUGE)?INT(EGER)?\d*|(SMALL|BIG)?SERIAL\d*")


_FAMILY_OF_BASE = {
    **dict.fromkeys(("NUMERIC", "DECIMAL", "NUMBER", "DEC"), "decimal"),
    **dict.fromkeys(("REAL", "FLOAT", "FLOAT4", "FLOAT8", "DOUBLE"), "float"),
    **dict.fromkeys(("BOOL", "BOOLEAN"), "bool"),
    "DATE": "date",
    **dict.fromkeys(("TIMESTAMP", "DATETIME", "DATETIME2", "SMALLDATETIME"), "timestamp"),
    **dict.fromkeys(("TIMESTAMPTZ", "DATETIMEOFFSET"), "timestamptz"),
    **dict.fromkeys(("", "NULL"), "untyped"),  # SQLite lets a column have no type
}


_TEXT_BASES = re.compile(
    r"(N|LONG |TINY|MEDIUM|LONG)?(VAR)?CHAR(ACTER)?( VARYING)?2?|N?TEXT|STRING|N?CLOB|BPCHAR"
    r"|CITEXT|NAME|ENUM|USER-DEFINED"  # a DuckDB ENUM; PostgreSQL's enums are USER-DEFINED
)


def type_family(type_name: str) -> str:
    """A database's type name as one of: text, int, decimal, float, date, timestamp,
    timestamptz, bool, untyped, other (UUID, INTERVAL, JSON, arrays, money, …)."""
    t = " ".join(type_name.upper().split())
    if t.endswith("[]") or t.startswith(("ARRAY", "STRUCT", "MAP(", "LIST", "UNION(")):
        return "other"
    base = re.sub(r"\s*\(.*", "", t)  # VARCHAR(10), DECIMAL(14,2), ENUM('a', 'b')
    if base.startswith("TIMESTAMP"):  # TIMESTAMP(6), TIMESTAMP_NS, … WITH TIME ZONE
        zoned = "WITH TIME ZONE" in t or base in ("TIMESTAMPTZ", "TIMESTAMP_TZ")
        return "timestamptz" if zoned else "timestamp"
    if base == "DOUBLE PRECISION":
        return "float"
    if base in _FAMILY_OF_BASE:
        return _FAMILY_OF_BASE[base]
    if _TEXT_BASES.fullmatch(base):
        return "text"
    if _INT.fullmatch(base):
        return "int"
    return "other"


_TEXTUAL = {"text", "other", "untyped"}  # "other" is read as its text (a UUID's, say)


ALLOWED: dict[str, set[str]] = {
    "id": _TEXTUAL | {"int"},
    "text": _TEXTUAL,
    "enum": _TEXTUAL,
    "money": {"text", "untyped", "int", "decimal"},
    "date": {"text", "untyped", "date", "timestamp", "timestamptz"},
    "month": _TEXTUAL,
    "int": {"text", "untyped", "int", "decimal"},
    "number": {"text", "untyped", "int", "decimal", "float"},
    "semester": _TEXTUAL,
    "school_year": _TEXTUAL,
}


NATIVE = {"text", "int", "decimal", "float", "date", "timestamp", "timestamptz", "bool", "untyped"}


EXPECTED = {
    "id": "text or an integer",
    "text": "text",
    "enum": "text",
    "money": "NUMERIC(14,2), an integer or text (never a binary fraction: 0.1 is not exact)",
    "date": "DATE or text YYYY-MM-DD",
    "month": "text YYYY-MM",
    "int": "INTEGER or text",
    "number": "a number or text",
    "semester": "text such as 2019/2020-1",
    "school_year": "text such as 2019/2020",
}


def type_problem(label: str, col: Col, column: Column) -> Problem | None:
    family = type_family(column.type)
    if family in ALLOWED[col.kind]:
        return None
    return Problem(
        label,
        None,
        col.name,
        None,
        f"is of type {column.type}; this column holds {EXPECTED[col.kind]}; change its type",
        code="bad_column_type",
    )


def local_day(column: Any) -> Any:
    """A column of moments (TIMESTAMPTZ) as the wall-clock time in DATA_TIME_ZONE, whose
    day `as_text` then takes: a Riga midnight stored as 22:00 UTC is still its Riga day.
    Any other column is left as it is."""

    kind = column.type
    if not (pa.types.is_timestamp(kind) and kind.tz):
        return column
    return pc.local_timestamp(column.cast(pa.timestamp(kind.unit, DATA_TIME_ZONE)))


_OFFSET = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)? ?(Z|[+-]\d{2}(:?\d{2})?)$"


def day_text(column: pa.Array) -> pa.Array:
    """Text timestamps of a date column (SQLite's DATETIME: `2020-02-05 00:00:00`) as
    their day, one with a UTC offset (`2020-02-04 22:00:00+00`) as its day in
    DATA_TIME_ZONE; anything else is left for the validator to name."""
    stamp = pc.match_substring_regex(column, r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
    day = pc.if_else(stamp, pc.utf8_slice_codeunits(column, 0, 10), column)
    zoned = pc.match_substring_regex(column, _OFFSET)
    if not pc.any(zoned).as_py():
        return day
    zone = _zone()
    local = [
        dt.datetime.fromisoformat(v).astimezone(zone).date().isoformat() if z else None
        for v, z in zip(column.to_pylist(), zoned.to_pylist(), strict=True)
    ]
    return pc.if_else(zoned, pa.array(local, pa.string()), day)


def value_scale(column: Any) -> Any:
    """A DECIMAL(18,3) money column's text judged by its value, not its type's scale:
    `535.800` is 535,80 € (`535.80`); `540.125` stays, and is refused for its third
    decimal."""

    return pc.replace_substring_regex(column, r"^([+-]?\d+\.\d\d\d*?)0+$", r"\1")


ORDER = {**KEYS, "outcomes": "student_id"}
"""The column a table's rows are counted by (then every other column, for ties)."""


def keyless_rows(frame: pd.DataFrame, name: str, key: str) -> dict[int, str]:
    """The rows without a key, each as a few of its other values (`partner_id P1,
    school_id S1, …`): what `locate` names them by. Kept apart from the table's text,
    which is not held once it is validated."""
    out: dict[int, str] = {}
    for position in np.flatnonzero(frame[key].to_numpy() == "")[:MAX_PROBLEMS]:
        row = frame.iloc[position]
        values = [
            f"{c.name} {str(row[c.name])[:40]}"
            for c in TABLES[name]
            if c.name != key and c.name in row.index and str(row[c.name])
        ]
        out[int(position) + 1] = ", ".join(values[:4])
    return out


def by_contract_name(names: list[str]) -> dict[str, list[str]]:
    """The database's tables by the contract's name each would be (case ignored)."""
    out: dict[str, list[str]] = {}
    for n in sorted(names):
        out.setdefault(contract_name(n), []).append(n)
    return out


def contract_name(name: str) -> str:
    """A table's or column's name as the contract spells it."""
    return name.strip().lower()


def twin_columns(table: str, columns: list[Column]) -> list[Problem]:
    """Two columns that both name one of the contract's (`Amount_EUR` and `amount_eur`)."""
    seen: dict[str, list[str]] = {}
    for c in columns:
        seen.setdefault(contract_name(c.name), []).append(c.name)
    wanted = {c.name for c in TABLES[table]}
    return [
        Problem(
            table,
            None,
            name,
            None,
            f"is named by {len(names)} columns ({', '.join(names)}); keep one of them",
            code="duplicate_column",
        )
        for name, names in seen.items()
        if name in wanted and len(names) > 1
    ]


def in_key_order(table: pa.Table, name: str) -> pa.Table:
    """Rows in key order (then by every other column), compared as bytes: the same order
    from every backend whatever the database's collation, so positions are stable."""
    by = list(
        dict.fromkeys(c for c in (ORDER[name], *table.column_names) if c in table.column_names)
    )
    return table.sort_by([(c, "ascending") for c in by]) if by else table
