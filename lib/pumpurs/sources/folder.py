"""The one place where data sources plug in: a data folder -> raw tables -> Dataset.

Reading knows file formats and dialects; it never judges values. It hands each table
on as text (one str column per header, plus `_row`, the row number as the user sees
it) so that `validate` can name the exact cell of every problem.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pumpurs.core.contract import DATA_TIME_ZONE, OPTIONAL_TABLES, TABLES
from pumpurs.core.dataset import SHEET_ROWS, Dataset, RawTable, Source
from pumpurs.core.errors import InputError, Problem
from pumpurs.core.settings import Programme
from pumpurs.core.validate import MAX_PROBLEMS, more_problems
from pumpurs.sources.files import sha256_file

FORMATS = (".csv", ".xlsx", ".parquet")
INTERNAL_COLUMNS = frozenset({"_row"})  # what the readers add beside the user's columns
WORKBOOK = "data.xlsx"


def find_sources(folder: Path) -> tuple[dict[str, tuple[Path, str | None]], list[Problem]]:
    """Map each table to its file (or workbook sheet); problems for missing/ambiguous ones."""
    problems: list[Problem] = []
    if not folder.is_dir():
        raise InputError(
            [Problem(str(folder), None, None, None, "is not a folder; give the data folder")]
        )
    files: dict[str, Path] = {}
    occupied: set[str] = set()  # a table's name taken by something that is not a file
    for p in sorted(folder.iterdir()):
        key = p.name.lower()
        if key.rsplit(".", 1)[0] not in (*TABLES, "data"):
            continue  # not a table's file: never opened, never named
        if key in files:
            problems.append(
                Problem(
                    folder.name,
                    None,
                    None,
                    None,
                    f"{files[key].name} and {p.name} both name the file {key}; keep one",
                )
            )
            continue
        if p.is_symlink():  # read, it would put any file this user can read into reports
            occupied.add(key.rsplit(".", 1)[0])
            problems.append(
                Problem(
                    p.name,
                    None,
                    None,
                    None,
                    "is a link; put a copy of the table's file here (a table is read from "
                    "the data folder itself, never through a link to elsewhere)",
                )
            )
            continue
        if not p.is_file():
            occupied.add(key.rsplit(".", 1)[0])
            kind = "a folder" if p.is_dir() else "not a regular file (a pipe or device)"
            problems.append(
                Problem(p.name, None, None, None, f"is {kind}; put the table's file here")
            )
            continue
        files[key] = p
    found: dict[str, tuple[Path, str | None]] = {}
    workbook_sheets: dict[str, str] = {}
    workbook_failed = "data" in occupied  # its tables are not "missing" too
    if WORKBOOK in files:
        try:
            wb = open_workbook(files[WORKBOOK])
        except Exception as e:  # not a workbook: one problem, the other files still count
            workbook_failed = True
            problems.append(
                Problem(
                    files[WORKBOOK].name,
                    None,
                    None,
                    None,
                    f"{e}"
                    if isinstance(e, ValueError)
                    else f"cannot be read ({e}); save it again as CSV, XLSX or Parquet",
                )
            )
        else:
            for s in (ws.title for ws in wb.worksheets if ws.sheet_state == "visible"):
                key = s.strip().lower()  # a hidden sheet (an old copy) is never a table
                if key in workbook_sheets and key in TABLES:
                    problems.append(
                        Problem(
                            WORKBOOK,
                            None,
                            None,
                            None,
                            f'sheets "{workbook_sheets[key]}" and "{s}" both name the table '
                            f"{key}; keep one",
                        )
                    )
                workbook_sheets.setdefault(key, s)
            wb.close()
    for table in TABLES:
        candidates = [files[f"{table}{ext}"] for ext in FORMATS if f"{table}{ext}" in files]
        if table in workbook_sheets:
            candidates.append(files[WORKBOOK])
        if len(candidates) > 1:
            names = " and ".join(
                f"{WORKBOOK} sheet {table}" if c.name.lower() == WORKBOOK else c.name
                for c in candidates
            )
            problems.append(
                Problem(
                    folder.name,
                    None,
                    None,
                    None,
                    f"table {table} is given twice ({names}); keep one",
                )
            )
        elif candidates:
            c = candidates[0]
            found[table] = (c, workbook_sheets[table] if c.name.lower() == WORKBOOK else None)
        elif table not in OPTIONAL_TABLES and not workbook_failed and table not in occupied:
            problems.append(
                Problem(
                    folder.name,
                    None,
                    None,
                    None,
                    f"table {table} is missing; add {table}.csv, {table}.xlsx, {table}.parquet "
                    f"or a sheet {table} in {WORKBOOK}",
                )
            )
    return found, problems


# ---------------------------------------------------------------------------
# Reading one table as text
# ---------------------------------------------------------------------------
def read_table(table: str, path: Path, sheet: str | None, digest: str | None = None) -> RawTable:
    digest = digest or sha256_file(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _read_csv(table, path, digest)
    if suffix == ".xlsx":
        return _read_xlsx(table, path, sheet, digest)
    return _read_parquet(table, path, digest)


MARK = "\ufdd0"
"""Stands in the text for bytes that are not valid in the file's encoding (a Unicode
noncharacter: never part of real text), so that the rows holding them can be named."""


def _mark(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    return MARK, error.end


codecs.register_error("pumpurs-mark", _mark)
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


@dataclass(frozen=True)
class Decoded:
    """A CSV's bytes ready for the readers: UTF-8 or Windows-1257, line ends LF or CRLF."""

    body: bytes  # without BOM and without Excel's `sep=` line
    encoding: str  # how the readers decode `body`
    name: str  # the file's own encoding, as the dialect records it
    marked: bool  # `body` holds MARK where the file had bytes invalid in its encoding
    delimiter: str | None  # given by an Excel `sep=` first line


def _decode(data: bytes) -> Decoded:
    """The encoding of a CSV, detected, never asked: UTF-16 with a BOM (Excel's "Unicode
    Text") and UTF-8 (with or without BOM) are read as UTF-8, anything else as Windows-1257.
    A UTF-8 file with a row pasted in another encoding stays UTF-8 (its first line with a
    non-ASCII letter is UTF-8): the bytes that are not are marked, and named as problems,
    rather than the whole file being decoded wrongly."""
    if data.startswith(UTF16_BOMS):
        text = data.decode("utf-16", errors="pumpurs-mark")  # the BOM gives the byte order
        return _lines(text.encode("utf-8"), "utf-8", "utf-16", MARK in text)
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    bad = _utf8_error(body)
    if bad is None:
        return _lines(body, "utf-8", "utf-8", False)
    if body is not data or _utf8_error(_first_foreign_line(body, bad)) is None:
        return _marked(body, "utf-8")
    return _lines(body, "cp1257", "cp1257", False)  # a byte no letter there: see _read_csv


def _marked(body: bytes, encoding: str) -> Decoded:
    """The text as UTF-8 with MARK for each byte not valid in `encoding`."""
    text = body.decode(encoding, errors="pumpurs-mark")
    return _lines(text.encode("utf-8"), "utf-8", encoding, True)


def _utf8_error(data: bytes) -> int | None:
    """Where the bytes stop being UTF-8, or None."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        return e.start
    return None


def _first_foreign_line(body: bytes, before: int) -> bytes:
    """The first line holding a byte that is not ASCII (there is one at `before`)."""
    found = re.compile(rb"[\x80-\xff]").search(body, 0, before + 1)
    if found is None:
        return b""
    start = max(body.rfind(b"\n", 0, found.start()), body.rfind(b"\r", 0, found.start())) + 1
    end = re.compile(rb"[\r\n]").search(body, found.start())
    return body[start : end.start() if end else len(body)]


SEP_LINE = re.compile(rb'"?sep=([^\r\n])"?[ \t]*\r?\n', re.IGNORECASE)


def _lines(body: bytes, encoding: str, name: str, marked: bool) -> Decoded:
    """Line ends as the readers expect, and Excel's `sep=;` line taken as the separator.

    A file whose lines end in a carriage return alone (Excel for Mac's "CSV (Macintosh)")
    has them as line feeds. Excel hides a first line `sep=;` and shows the header as row 1:
    so do we."""
    if b"\r" in body and b"\n" not in body:
        body = body.replace(b"\r", b"\n")
    delimiter = None
    sep = SEP_LINE.match(body)
    if sep:
        delimiter, body = sep.group(1).decode("latin-1"), body[sep.end() :]
    return Decoded(body, encoding, name, marked, delimiter)


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (";", ",", "\t")}
    return max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","


def _first_line(body: bytes) -> bytes:
    """The bytes before the first line break (without copying the rest of a large file)."""
    end = body.find(b"\n")
    return body if end < 0 else body[:end]


def _end_without_breaks(body: bytes) -> int:
    """Where the body ends once its trailing line breaks are left out."""
    end = len(body)
    while end and body[end - 1] in b"\r\n":
        end -= 1
    return end


def _has_blank_line(body: bytes) -> bool:
    """An empty line before the last row ("\n\n", or the same with CRLF line ends); empty
    lines at the very end (\n or \r\n) do not count. Searched in place."""
    end = len(body)
    while end:
        if body.endswith(b"\r\n", 0, end):
            end -= 2
        elif body.endswith(b"\n", 0, end):
            end -= 1
        else:
            break
    return body.find(b"\n\n", 0, end) >= 0 or body.find(b"\n\r\n", 0, end) >= 0


def _read_csv(table: str, path: Path, digest: str) -> RawTable:
    data = path.read_bytes()
    decoded = _decode(data)
    try:
        return _read_decoded(table, path, digest, decoded)
    except UnicodeDecodeError:  # Windows-1257 with a byte that is no letter: name its rows
        return _read_decoded(table, path, digest, _marked(data, "cp1257"))


def _read_decoded(table: str, path: Path, digest: str, decoded: Decoded) -> RawTable:
    body, encoding = decoded.body, decoded.encoding
    first = _first_line(body).decode(encoding, errors="replace")
    delim = decoded.delimiter or _sniff_delimiter(first)
    source = Source(table, path, None, digest, f"csv {delim} {decoded.name}")
    problems: list[Problem] = []
    frame = None
    if _opens_at_the_end(body, delim):  # a quote that never closes: say where, read no further
        return RawTable(
            source,
            _normalise_headers(_empty_frame(body, delim, encoding)),
            [],
            [_quote_left_open(body, delim, encoding, source)],
        )
    records = None  # the fast reader's rows, before cleared rows are skipped
    if not _has_blank_line(body):
        frame = _read_csv_arrow(body, delim, encoding)
    if frame is None:
        # Blank lines or broken rows: the exact reader that knows every row's number.
        frame, headers = _read_csv_exact(body, encoding, delim, source, problems)
    else:
        records = len(frame)
        headers = [str(c) for c in frame.columns]  # as written, before normalising
        blank = _blank_rows(frame)
        frame = _with_rows(frame, np.arange(2, len(frame) + 2))
        if blank.any():  # Excel writes cleared rows as ";;;;": skip them like blank lines
            frame = frame.loc[~blank].reset_index(drop=True)
    if b'"' in body and not (records is not None and _one_line_a_row(body, records)):
        problems.extend(_swallowed_rows(frame, delim, source))
    if decoded.marked:
        problems.extend(_marked_cells(frame, headers, decoded.name, source))
    problems.extend(_nameless_values(frame, source, "field {n}"))
    return RawTable(source, _normalise_headers(frame), headers, problems)


def _nameless_values(frame: pd.DataFrame, source: Source, where: str) -> list[Problem]:
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
            problems.append(Problem(source.label, row, None, str(cells.iloc[at]), message))
    return problems


def _marked_cells(
    frame: pd.DataFrame, headers: list[str], encoding: str, source: Source
) -> list[Problem]:
    """The cells (and header names) holding bytes that are not text in the file's encoding:
    each named with its row, and the fix."""
    if encoding == "utf-8":
        why = (
            "is not UTF-8 text like the rest of the file (it was typed or pasted in another "
            'encoding, e.g. Windows-1257); save the file again as "CSV UTF-8" or type it again'
        )
    else:
        why = (
            f"holds characters that are not {'UTF-16' if encoding == 'utf-16' else 'Windows-1257'} "
            'text; save the file again as "CSV UTF-8"'
        )
    problems = [
        Problem(source.label, 1, None, h.replace(MARK, "\ufffd"), why) for h in headers if MARK in h
    ]
    rows = frame["_row"].to_numpy()
    for i, column in enumerate(frame.columns):
        if column == "_row":
            continue
        cells = frame.iloc[:, i]
        for at in np.flatnonzero(cells.str.contains(MARK, regex=False).to_numpy(dtype=bool)):
            if len(problems) < MAX_PROBLEMS:
                value = str(cells.iloc[at]).replace(MARK, "\ufffd")
                problems.append(Problem(source.label, int(rows[at]), column, value, why))
    return problems


def _with_rows(frame: pd.DataFrame, rows: np.ndarray) -> pd.DataFrame:
    """The user's columns and `_row`, the row number as the user sees it. A user's column
    named like an internal one (`_ROW`, ` _row`) is an extra column like any other: it is
    left out here, so it can neither replace nor sit beside the row numbers."""
    keep = [str(c).strip().lower() not in INTERNAL_COLUMNS for c in frame.columns]
    if not all(keep):
        frame = frame.iloc[:, keep].copy()
    frame["_row"] = np.asarray(rows, dtype=np.int64)
    return frame


def _one_line_a_row(body: bytes, records: int) -> bool:
    """The file has a line for the header and one for each record the reader found, and
    no bare carriage return (the reader ends rows at those too): no cell holds a break."""
    lines = body.count(b"\n") + (not body.endswith(b"\n"))
    return lines == records + 1 and body.count(b"\r") == body.count(b"\r\n")


def _blank_rows(cells: pd.DataFrame) -> np.ndarray:
    """Rows whose every cell is empty or spaces: a column is looked at only where the
    columns before it were blank (a real row stops the search at its first value)."""
    if not len(cells.columns):
        return np.zeros(len(cells), dtype=bool)
    blank = np.ones(len(cells), dtype=bool)
    for i in range(len(cells.columns)):  # by position: a header may be repeated
        at = np.flatnonzero(blank)
        if not len(at):
            break
        empty = cells.iloc[at, i].astype(str).str.strip().eq("")
        blank[at] = empty.fillna(True).to_numpy(dtype=bool)  # a missing cell is empty too
    return blank


def _swallowed_rows(frame: pd.DataFrame, delim: str, source: Source) -> list[Problem]:
    """A quote that does not close takes the following lines into one cell: refuse it.

    A cell may hold line breaks (Excel's Alt+Enter), but a line inside a cell that has
    as many separators as a whole row is a row swallowed by an unclosed quote; the
    problem names the row where the quote opened.
    """
    problems: list[Problem] = []
    width = len(frame.columns) - 1
    for i, column in enumerate(frame.columns):
        if column == "_row":
            continue
        cells = frame.iloc[:, i]
        multi = cells.str.contains("\n", regex=False).to_numpy()
        for row, cell in zip(frame["_row"].to_numpy()[multi], cells.to_numpy()[multi], strict=True):
            found = _unclosed_quote(cell, delim, width, source, int(row), str(column))
            if found:
                problems.append(found)
    return problems


def _opens_at_the_end(body: bytes, delim: str) -> bool:
    """An odd number of quotes whose last one opens a field: nothing after it can close
    it, so the rest of the file would be one cell. (A quote inside an unquoted field, as
    in `12" monitors`, is a plain character: such files go to the readers as usual.)"""
    if not body.count(b'"') % 2:
        return False
    last = body.rfind(b'"')
    before = body[last - 1 : last] if last else b""
    return before in (b"", b"\n", b"\r", delim.encode())


def _header_of(body: bytes, delim: str, encoding: str) -> list[str]:
    first = _first_line(body).rstrip(b"\r").decode(encoding, errors="replace")
    return next(csv.reader([first], delimiter=delim), [])


def _open_quote(source: Source, row: int, column: str | None, start: str, lines: int) -> Problem:
    """The one wording of a quote that never closes, wherever it is found."""
    return Problem(
        source.label,
        row,
        column,
        f"{start} …",
        f'opens a quote (") that does not close: the {lines} lines after it fall '
        "into this one cell; close the quote or remove it",
    )


def _empty_frame(body: bytes, delim: str, encoding: str) -> pd.DataFrame:
    frame = pd.DataFrame(columns=_header_of(body, delim, encoding), dtype=str)
    return _with_rows(frame, np.asarray([], dtype=np.int64))


def _quote_left_open(body: bytes, delim: str, encoding: str, source: Source) -> Problem:
    """The problem for an odd number of quote characters: the row (as Excel counts rows,
    a quoted line break staying inside its row) and column where the last quote opened
    that never closes. Found with array arithmetic on the bytes, so a 200 MB file swallowed
    by one quote costs a few hundred MB, not a string per line."""
    data = np.frombuffer(body, dtype=np.uint8)
    quotes = np.flatnonzero(data == ord('"'))
    breaks = np.flatnonzero(data == ord("\n"))
    # quotes before each line break: odd means the break lies inside a quoted cell
    inside = (np.searchsorted(quotes, breaks) % 2).astype(bool)
    opener = int(quotes[-1])  # the last quote of the file opens the cell that never closes
    line = int(np.searchsorted(breaks, opener))  # 0-based physical line of the opener
    # Rows end at breaks outside quotes; the opener's row is one more than those before it.
    row = int((~inside[:line]).sum()) + 1
    # The row may have begun on an earlier line (a quoted line break before the opener).
    prior = np.flatnonzero(~inside[:line])
    row_start = int(breaks[prior[-1]]) + 1 if len(prior) else 0
    prefix = body[row_start:opener].decode(encoding, errors="replace")
    header = _header_of(body, delim, encoding)
    fields = next(csv.reader([prefix], delimiter=delim), [""])
    index = len(fields) - 1 if prefix else 0
    column = header[index].strip().lower() if index < len(header) else None
    cell = body[opener + 1 : opener + 41].split(b"\n", 1)[0].decode(encoding, errors="replace")
    return _open_quote(source, row, column, cell, len(breaks) - line)


def _unclosed_quote(
    cell: str, delim: str, width: int, source: Source, row: int, column: str | None
) -> Problem | None:
    """The problem for a cell that swallowed the rows after it, or None."""
    first_break = cell.find("\n")
    if first_break < 0:
        return None
    # Look at the first lines after the break only: a swallowed file can be 200 MB.
    sample = cell[first_break + 1 : first_break + 1 + (1 << 16)].split("\n")[:100]
    if any(line.count(delim) >= max(width - 1, 1) for line in sample):
        return _open_quote(source, row, column, cell[: min(first_break, 40)], cell.count("\n"))
    return None


def _read_csv_arrow(body: bytes, delim: str, encoding: str) -> pd.DataFrame | None:
    """Fast path for well-formed files; None when any row has the wrong number of fields."""
    import pyarrow as pa

    header = next(
        csv.reader(io.StringIO(_first_line(body).rstrip(b"\r").decode(encoding)), delimiter=delim),
        [],
    )
    broken = False

    def on_invalid(_row) -> str:
        nonlocal broken
        broken = True
        return "error"  # stop at the first broken row: the exact reader names them all

    cols = [f"c{i}" for i in range(len(header))]
    if body.find(b"\n", 0, _end_without_breaks(body)) < 0:  # the header alone: an empty table
        return pd.DataFrame({h: pd.Series([], dtype=str) for h in header})
    try:
        tbl = _arrow_csv(body, cols, delim, encoding, on_invalid)
    except pa.ArrowInvalid:  # a broken row, or one longer than a read block: the exact
        return None  # reader copes
    if broken:
        return None
    frame = tbl.to_pandas()
    frame.columns = header
    return frame


def _arrow_csv(body: bytes, cols: list[str], delim: str, encoding: str, on_invalid: object) -> Any:
    import pyarrow as pa
    from pyarrow import csv as pacsv

    return pacsv.read_csv(
        io.BytesIO(body),
        read_options=pacsv.ReadOptions(column_names=cols, skip_rows=1, encoding=encoding),
        parse_options=pacsv.ParseOptions(
            delimiter=delim, invalid_row_handler=on_invalid, newlines_in_values=True
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={c: pa.string() for c in cols},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _read_csv_exact(
    body: bytes, encoding: str, delim: str, source: Source, problems: list[Problem]
) -> tuple[pd.DataFrame, list[str]]:
    csv.field_size_limit(max(csv.field_size_limit(), len(body) + 1))  # a long note is data
    # Streamed: the file is not decoded into one string first (memory stays near its size).
    text = io.TextIOWrapper(io.BytesIO(body), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delim)
    header = next(reader, [])
    records, numbers = [], []
    more = 0
    for number, fields in enumerate(reader, start=2):
        if not fields or not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            if len(problems) >= MAX_PROBLEMS:
                more += 1  # counted, not kept: memory stays bounded
                continue
            cells = (
                _unclosed_quote(f, delim, len(header), source, number, header[i].lower())
                for i, f in enumerate(fields)
                if "\n" in f and i < len(header)
            )
            swallowed = next((p for p in cells if p), None)
            if swallowed:
                problems.append(swallowed)
                continue
            problems.append(
                Problem(
                    source.label,
                    number,
                    None,
                    delim.join(fields)[:80],
                    f"has {len(fields)} field{'s' if len(fields) != 1 else ''} but the "
                    f"header has {len(header)}; "
                    f"check the separator ({delim}) and quotes",
                )
            )
            continue
        records.append(fields)
        numbers.append(number)
    if more:
        problems.append(more_problems(source.label, more))
    frame = (
        pd.DataFrame(records, columns=header, dtype=str)
        if records
        else pd.DataFrame(columns=header, dtype=str)
    )
    return _with_rows(frame, np.asarray(numbers, dtype=np.int64)), header


def _cell_text(v) -> str:
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


def _excel_float(v: float) -> str:
    """A workbook's number as Excel shows and computes it: 15 significant digits. A formula
    `=0.1+0.2` stores 0.30000000000000004; its value is 0.3, not an amount with more than
    two decimals (540.125 still has three). Other sources keep every digit of a float."""
    if np.isnan(v):
        return ""
    text = repr(v)
    return text if len(text) <= 15 else format(v, ".15g")


def as_text(array: Any) -> Any:
    """An Arrow column as the text the validators read, in one vectorised pass: dates
    ISO, decimals exact, NULL and NaN as "" (the text `_cell_text` gives one value).

    A point in time with a zone is the date it is in Latvia then (`DATA_TIME_ZONE`: a Riga
    midnight stored as UTC is still that Riga day); one without a zone keeps its own date.
    A decimal is judged by its value, not its type: 535.800 in a `decimal(12,3)` column is
    535.80 (540.125 still has more than two decimals)."""
    import pyarrow as pa
    import pyarrow.compute as pc

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


MAX_UNPACKED = 200 << 20
"""What a workbook's XML or a Parquet table's pages and text may unpack to: 200 MB (some
500 000 ledger rows of XML, some two million of Parquet) reads in under a minute and 2 GB;
beyond it, or a zip or decompression bomb, the file is refused before it is unpacked."""
PARQUET_MAX_ROWS = 2_000_000
"""Rows a Parquet table may have: three times the national ledger (668 274 rows). A file
that claims more (a 0.2 MB file can hold 20 million repeated rows) is refused unread."""


def open_workbook(path: Path) -> Any:
    """A workbook opened for reading values only, refusing what would hang or exhaust
    memory (a zip that unpacks to gigabytes) or cannot be read (an encrypted file)."""
    import zipfile

    from openpyxl import load_workbook

    if not zipfile.is_zipfile(path):
        head = path.read_bytes()[:8]
        if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE: an encrypted (or old .xls) workbook
            raise ValueError(
                "is password-protected or an old .xls workbook; save it without a password as .xlsx"
            )
        raise ValueError("is not an Excel .xlsx workbook; save it again as CSV, XLSX or Parquet")
    with zipfile.ZipFile(path) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    if unpacked > MAX_UNPACKED:
        raise ValueError(
            f"unpacks to {unpacked // (1 << 20)} MB, more than the "
            f"{MAX_UNPACKED // (1 << 20)} MB a workbook may have; save its large "
            "tables as CSV or Parquet"
        )
    return load_workbook(path, read_only=True, data_only=True)


def _read_xlsx(table: str, path: Path, sheet: str | None, digest: str) -> RawTable:
    """A table's sheet of data.xlsx, or a table's own workbook: every visible sheet of it.

    A ledger kept over several sheets ("2017-2020", "2021-2024") is one table: its sheets
    are read in order, each with its own header, and messages name the sheet. A hidden
    sheet (an old copy, a lookup list) is never data; a visible one that does not carry
    the table's header is refused, never skipped, for its rows would be lost unseen."""
    wb = open_workbook(path)
    try:
        if sheet:
            sheets = [wb[sheet]]
        else:
            sheets = [ws for ws in wb.worksheets if ws.sheet_state == "visible"]
        source = Source(table, path, sheet, digest, "xlsx")
        several = len(sheets) > 1
        parts = [
            _read_sheet(ws, f'{path.name} sheet "{ws.title}"' if several else source.label)
            for ws in sheets
        ]
    finally:
        wb.close()
    parts = [p for p in parts if p.headers or p.problems] or parts[:1]  # an empty sheet
    if len(parts) <= 1:  # one sheet with cells: named by its file alone, as ever
        one = parts[0] if parts else _Sheet(source.label, [], [], [], [])
        one.problems = [replace(p, file=source.label) for p in one.problems]
        frame = (
            pd.DataFrame(one.records, columns=one.headers, dtype=str)
            if one.records
            else pd.DataFrame(columns=one.headers, dtype=str)
        )
        frame = _with_rows(frame, np.asarray(one.numbers, dtype=np.int64))
        return RawTable(source, _normalise_headers(frame), one.headers, one.problems)
    return _sheets_as_one(table, source, parts)


@dataclass
class _Sheet:
    label: str  # how messages name it
    headers: list[str]
    records: list[list[str]]
    numbers: list[int]
    problems: list[Problem]


def _read_sheet(ws: Any, label: str) -> _Sheet:
    ws.reset_dimensions()  # a used range of XFD1048576 must not make a million empty rows
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    headers = [_cell_text(h).strip() for h in header]
    while headers and not headers[-1]:
        headers.pop()  # empty header cells at the right: padding, not columns
    width = len(headers)
    nameless = [j for j, h in enumerate(headers) if not h]
    records, numbers = [], []
    stray: list[Problem] = []
    for i, r in enumerate(rows, start=2):
        if not r:
            continue  # a row missing from the sheet (a gap up to a far-away cell)
        if len(r) > width or nameless:
            _values_without_header(r, width, nameless, label, i, stray)
        cells = [_excel_float(v) if isinstance(v, float) else _cell_text(v) for v in r[:width]]
        if not any(c.strip() for c in cells):
            continue
        cells += [""] * (width - len(cells))
        records.append(cells)
        numbers.append(i)
    problems = stray + _formulas_and_merges(ws, headers, label)
    return _Sheet(label, headers, records, numbers, problems)


NO_HEADER = (
    "is in a column with no header ({where}); give the column a name in row 1 (a column "
    "the table does not need is ignored) or delete the value"
)


def _values_without_header(
    r: tuple[Any, ...], width: int, nameless: list[int], label: str, row: int, out: list[Problem]
) -> None:
    """A value under an empty header cell or right of the header: refused, as a CSV row
    with a field more than its header is (it may be a value typed one column off)."""
    from openpyxl.utils import get_column_letter

    for j in [*nameless, *range(width, len(r))]:
        text = _cell_text(r[j]).strip() if j < len(r) else ""
        if text and len(out) < MAX_PROBLEMS:
            where = f"column {get_column_letter(j + 1)}"
            out.append(Problem(label, row, None, text, NO_HEADER.format(where=where)))


def _sheets_as_one(table: str, source: Source, parts: list[_Sheet]) -> RawTable:
    """Several sheets of one table's workbook as one table: the contract's columns of each
    sheet by name (their order may differ), rows numbered sheet by sheet (`SHEET_ROWS`)."""
    wanted = [c.name for c in TABLES[table]]
    problems: list[Problem] = []
    named = [[h.strip().lower() for h in p.headers] for p in parts]
    present = {c for names in named for c in names if c in wanted}
    frames = []
    for k, (part, names) in enumerate(zip(parts, named, strict=True)):
        problems.extend(part.problems)
        if not set(names) & set(wanted):
            problems.append(
                Problem(
                    part.label,
                    None,
                    None,
                    None,
                    f"is not a sheet of the table {table}: its first row names none of its "
                    f"columns ({', '.join(wanted[:3])} …); every visible sheet of "
                    f"{source.path.name} is read, so hide or delete this one, or give it the header",
                )
            )
            continue
        for c in wanted:
            if names.count(c) > 1:
                problems.append(
                    Problem(part.label, 1, c, None, "this column appears twice; keep one")
                )
            elif c in present and c not in names:
                problems.append(
                    Problem(
                        part.label,
                        1,
                        c,
                        None,
                        f"column is missing; add a column named {c} to this sheet's header row "
                        "(the other sheets have it)",
                    )
                )
        columns = {c: names.index(c) for c in wanted if c in names}
        frame = pd.DataFrame(
            {c: pd.Series([r[i] for r in part.records], dtype=str) for c, i in columns.items()}
        )
        frame["_row"] = np.asarray(part.numbers, dtype=np.int64) + k * SHEET_ROWS
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame({"_row": []})
    for c in present:
        frame[c] = frame[c].fillna("").astype(str)
    frame = frame[[c for c in wanted if c in present] + ["_row"]]
    frame["_row"] = frame["_row"].astype(np.int64)
    headers = list(parts[0].headers)
    return RawTable(source, frame, headers, problems, tuple(p.label for p in parts))


MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell ref="([A-Z]+)([0-9]+)(?::([A-Z]+)([0-9]+))?"')
FORMULA_RE = re.compile(rb"<(\w+:)?f[ >/]")


def _formulas_and_merges(ws: Any, headers: list[str], label: str) -> list[Problem]:
    """Merged cells over the table and formula cells with no saved result: both read as
    empty cells, so say what they are. One scan of the sheet's bytes finds both."""
    from openpyxl.utils import column_index_from_string

    merges: set[tuple[bytes, ...]] = set()
    seen = False
    with ws._get_source() as src:  # the sheet's XML, streamed from the workbook
        tail = b""
        while chunk := src.read(1 << 20):
            both = tail + chunk
            seen = seen or FORMULA_RE.search(both) is not None
            if b"mergeCell" in both:
                merges.update(m.groups(b"") for m in MERGE_RE.finditer(both))
            tail = chunk[-64:]
    problems = []
    for left, top, right, bottom in sorted(merges, key=lambda m: (int(m[1]), m[0])):
        first = column_index_from_string(left.decode())
        if first > len(headers) or not right:
            continue  # beside the table, or one cell: nothing is hidden
        column = headers[first - 1].lower() or None
        cells = f"{left.decode()}{top.decode()}:{right.decode()}{bottom.decode()}"
        problems.append(
            Problem(
                label,
                int(top),
                column,
                None,
                f"is merged with other cells ({cells}): Excel keeps a merged range's value in "
                "its first cell alone, so the others would be read as empty; unmerge them and "
                "fill in every cell",
            )
        )
    if seen:
        problems.extend(_formulas_without_values(ws, headers, label))
    return problems


def _formulas_without_values(ws: Any, headers: list[str], label: str) -> list[Problem]:
    """Formula cells with no saved result: read as values they look empty, so say what
    they are. Programs that write workbooks without calculating (scripts, some exports)
    leave them."""
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils import column_index_from_string

    problems: list[Problem] = []
    with ws._get_source() as src:
        for _event, cell in iterparse(src):
            if not cell.tag.endswith("}c"):
                continue
            names = {child.tag.rsplit("}", 1)[-1] for child in cell if child.text}
            if "f" in names and "v" not in names:  # no <v>, or an empty one
                ref = cell.get("r", "")
                letters = ref.rstrip("0123456789")
                column = column_index_from_string(letters) if letters else 0
                if 1 <= column <= len(headers) and len(problems) < MAX_PROBLEMS:
                    formula = next(c.text or "" for c in cell if c.tag.endswith("}f"))
                    problems.append(
                        Problem(
                            label,
                            int(ref[len(letters) :]),
                            headers[column - 1].lower(),
                            f"={formula}"[:80],
                            "is a formula with no saved result (the workbook was written "
                            "without calculating); open it in Excel and save it, or paste "
                            "the values",
                        )
                    )
            cell.clear()
    return problems


def _read_parquet(table: str, path: Path, digest: str) -> RawTable:
    import pyarrow as pa
    import pyarrow.parquet as pq

    with path.open("rb") as f:  # a file object: Arrow cannot take a path that is not UTF-8
        footer = pq.ParquetFile(f).metadata
        _parquet_within_limits(footer)
        schema = footer.schema.to_arrow_schema()
        text = [c.name for c in schema if pa.types.is_string(c.type) or pa.types.is_binary(c.type)]
        f.seek(0)
        # Text columns stay dictionaries while read: their unpacked size is known before
        # a single repeated value is copied millions of times.
        arrow = pq.ParquetFile(f, read_dictionary=text).read()
    _text_within_limits(arrow)
    headers = [str(c) for c in arrow.column_names]
    out = pa.table([as_text(arrow.column(i)) for i in range(arrow.num_columns)], names=headers)
    out = out.to_pandas() if headers else pd.DataFrame(index=range(arrow.num_rows))
    out = _with_rows(out, np.arange(2, arrow.num_rows + 2))
    source = Source(table, path, None, digest, "parquet")
    problems = _nameless_values(out, source, "column {n}")
    return RawTable(source, _normalise_headers(out), headers, problems)


def _parquet_within_limits(footer: Any) -> None:
    """Refuse, from the footer alone, a table that claims more rows or unpacks to more
    bytes than a load can hold (a decompression bomb)."""
    if footer.num_rows > PARQUET_MAX_ROWS:
        raise ValueError(
            f"has {_thousands(footer.num_rows)} rows, more than the "
            f"{_thousands(PARQUET_MAX_ROWS)} a table may have; check that this is the "
            "programme's table"
        )
    groups = (footer.row_group(i) for i in range(footer.num_row_groups))
    unpacked = sum(
        g.column(c).total_uncompressed_size for g in groups for c in range(g.num_columns)
    )
    if unpacked > MAX_UNPACKED:
        raise ValueError(
            f"unpacks to {unpacked // (1 << 20)} MB, more than the {MAX_UNPACKED // (1 << 20)} "
            "MB a Parquet table may have; check that this is the programme's table"
        )


def _thousands(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _text_within_limits(arrow: Any) -> None:
    """The text of a table read with its dictionaries kept, counted as it will be
    unpacked: a dictionary of one long value repeated on every row is refused here."""
    import pyarrow as pa
    import pyarrow.compute as pc

    total = 0
    for column in arrow.columns:
        for chunk in column.chunks:
            if pa.types.is_dictionary(chunk.type):
                lengths = pc.binary_length(chunk.dictionary)
                total += int(pc.sum(pc.take(lengths, chunk.indices)).as_py() or 0)
                total += 4 * len(chunk)
            else:
                total += chunk.nbytes
    if total > MAX_UNPACKED:
        raise ValueError(
            f"unpacks to {total // (1 << 20)} MB of text, more than the "
            f"{MAX_UNPACKED // (1 << 20)} MB a Parquet table may have; check that this is "
            "the programme's table"
        )


def _normalise_headers(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [c if c == "_row" else str(c).strip().lower() for c in frame.columns]
    return frame


# ---------------------------------------------------------------------------
# The public entry point
# ---------------------------------------------------------------------------
def read_folder(folder: str | Path) -> tuple[dict[str, RawTable], list[Problem]]:
    folder = Path(folder)
    found, problems = find_sources(folder)
    digests: dict[Path, str] = {}
    raws: dict[str, RawTable] = {}
    for table, (path, sheet) in found.items():
        try:
            if path not in digests:
                digests[path] = sha256_file(path)
            raw = read_table(table, path, sheet, digests[path])
        except Exception as e:  # a file we cannot read at all is one problem, not a crash
            label = f"{path.name} sheet {sheet}" if sheet else path.name
            problems.append(Problem(label, None, None, None, _unreadable(e)))
            continue
        raws[table] = raw
        problems.extend(raw.problems)
    return raws, problems


def _unreadable(e: Exception) -> str:
    """Why a file could not be read, in words, and what to do."""
    if isinstance(e, PermissionError):
        return "cannot be opened: permission denied; let this user read the file"
    if isinstance(e, ValueError):
        return str(e)
    return f"cannot be read ({e}); save it again as CSV, XLSX or Parquet"


class FolderSource:
    """A data folder: one file per table in any dialect, or one data.xlsx."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.label = str(folder)
        self.spec = str(self.folder)

    def locate(self, problem: Problem) -> Problem:
        return problem  # a file's rows are numbered as the user sees them

    def read(self) -> tuple[dict[str, RawTable], list[Problem]]:
        return read_folder(self.folder)

    def files(self) -> list[Path]:
        """The files that hold tables (what a fingerprint and a manifest cover)."""
        if not self.folder.is_dir():
            return []
        return sorted(
            p
            for p in self.folder.iterdir()
            if p.suffix.lower() in FORMATS
            and p.name.lower().rsplit(".", 1)[0] in (*TABLES, "data")
            and p.is_file()
            and not p.is_symlink()
        )

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for p in self.files():
            h.update(p.name.lower().encode())
            h.update(remembered_sha256(p).encode())
        return h.hexdigest()[:20]

    def describe(self) -> list[dict[str, str]]:
        return [
            {"role": "data", "path": str(p), "sha256": remembered_sha256(p)} for p in self.files()
        ]


_HASHES: dict[tuple[str, int, int], str] = {}


def remembered_sha256(path: Path) -> str:
    """sha256 of a file, remembered per (path, size, mtime) within a process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _HASHES:
        _HASHES[key] = sha256_file(path)
    return _HASHES[key]


def load_data(folder: str | Path, programme: Programme | None = None) -> Dataset:
    """Read and validate a data folder; raises InputError listing every problem."""
    from pumpurs.sources import load

    return load(FolderSource(Path(folder)), programme)


def frames_as_raw(
    tables: dict[str, pd.DataFrame], label: str = "(memory)"
) -> tuple[dict[str, RawTable], list[Problem]]:
    """In-memory tables as text tables, like files (values native or in either dialect)."""
    raws: dict[str, RawTable] = {}
    for table, frame in tables.items():
        out = pd.DataFrame(
            {str(c): [_cell_text(v) for v in frame[c].tolist()] for c in frame.columns}, dtype=str
        )
        out = _with_rows(out, np.arange(2, len(frame) + 2))
        source = Source(table, Path(table), None, "", "memory")
        raws[table] = RawTable(source, _normalise_headers(out), [str(c) for c in frame.columns])
    problems = [
        Problem(label, None, None, None, f"table {t} is missing")
        for t in TABLES
        if t not in raws and t not in OPTIONAL_TABLES
    ]
    return raws, problems


def load_frames(tables: dict[str, pd.DataFrame], programme: Programme | None = None) -> Dataset:
    """Validate tables already in memory (a database query, a test's rows) like files.

    Values may be text in either dialect or native Python/pandas values; each table is
    named `<table>` in messages.
    """
    from pumpurs.sources import FramesSource, load

    return load(FramesSource(tables), programme)
