"""Values as the text the validators read (core/validate.py), whatever held them: a
workbook's or a Python value (`cell_text`), an Arrow column from Parquet or a database
(`as_text`); and the row numbers every reader adds (`with_rows`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from pumpurs.core.contract import DATA_TIME_ZONE
from pumpurs.core.dataset import Source
from pumpurs.core.errors import Problem
from pumpurs.core.validate import MAX_PROBLEMS

INTERNAL_COLUMNS = frozenset({"_row"})  # what the readers add beside the user's columns


def with_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The user's columns and `_row`, the row number as the user sees it. A user's column
    named like an internal one (`_ROW`, ` _row`) is an extra column like any other: it is
    left out here, so it can neither replace nor sit beside the row numbers."""
    keep = [str(c).strip().lower() not in INTERNAL_COLUMNS for c in frame.columns]
    if not all(keep):
        frame = frame.iloc[:, keep].copy()
    frame["_row"] = np.asarray(rows, dtype=np.int64)
    return frame


def cell_text(v: Any) -> str:
    """Excel/Parquet native values -> the text the validators understand."""
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, float) and np.isnan(v):
        return ""
    if isinstance(v, dt.datetime | pd.Timestamp):
        if pd.isna(v):
            return ""
        return v.strftime("%Y-%m-%d")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, Decimal):
        return format(v, "f")
    return str(v)


def as_text(array: Any) -> Any:
    """An Arrow column as the text the validators read, in one vectorised pass: dates
    ISO, decimals exact, NULL and NaN as "" (the text `cell_text` gives one value).

    A point in time with a zone is the date it is in Latvia then (`DATA_TIME_ZONE`: a Riga
    midnight stored as UTC is still that Riga day); one without a zone keeps its own date.
    A decimal is judged by its value, not its type: 535.800 in a `decimal(12,3)` column is
    535.80 (540.125 still has more than two decimals)."""
    chunks, kind = (
        (array.chunks, array.type) if isinstance(array, pa.ChunkedArray) else ([array], array.type)
    )
    if isinstance(kind, pa.ExtensionType):  # PostgreSQL's NUMERIC: its exact text inside
        chunks, kind = [c.storage for c in chunks], kind.storage_type
    column = pa.chunked_array(chunks, type=kind)
    if pa.types.is_dictionary(kind):
        column, kind = pc.cast(column, kind.value_type), kind.value_type
    if pa.types.is_floating(kind):
        column = pc.if_else(pc.is_nan(column), None, column)
    if pa.types.is_timestamp(kind):
        if kind.tz is not None:  # the same instants (UTC inside), read on Riga's clock
            riga = pa.timestamp(kind.unit, tz=DATA_TIME_ZONE)
            column = pc.local_timestamp(
                pa.chunked_array([c.view(riga) for c in column.chunks], riga)
            )
        column = pc.strftime(column, "%Y-%m-%d")
    elif pa.types.is_boolean(kind):
        column = pc.if_else(column, "True", "False")
    elif pa.types.is_decimal(kind) and kind.scale > 2:
        cents = pc.round(column, ndigits=2)
        two = pa.decimal256 if kind.bit_width == 256 else pa.decimal128
        exact = pc.cast(cents, two(kind.precision, 2))
        column = pc.if_else(
            pc.equal(cents, column), pc.cast(exact, pa.string()), pc.cast(column, pa.string())
        )
    elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        column = pc.cast(column, pa.string())
    return pc.fill_null(column, "")


def normalise_headers(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [c if c == "_row" else str(c).strip().lower() for c in frame.columns]
    return frame


def nameless_values(frame: pd.DataFrame, source: Source, where: str) -> list[Problem]:
    """Values in a column whose header is empty (Excel's `a;b;;` after a touched cell):
    refused like a field more than the header, for the value may be typed one column off.
    Empty cells there are padding and fine."""
    problems: list[Problem] = []
    for n, column in enumerate(frame.columns, start=1):
        if column == "_row" or str(column).strip():
            continue
        cells = frame.iloc[:, n - 1].astype(str).str.strip()
        for at in np.flatnonzero(cells.ne("").to_numpy(dtype=bool))[:MAX_PROBLEMS]:
            row = int(frame["_row"].iloc[at])
            message = NO_HEADER.format(where=where.format(n=n))
            problems.append(
                Problem(source.label, row, None, str(cells.iloc[at]), message, code="no_header")
            )
    return problems


NO_HEADER = (
    "is in a column with no header ({where}); give the column a name in row 1 (a column "
    "the table does not need is ignored) or delete the value"
)
