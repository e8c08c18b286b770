"""Reading a CSV file as text, whatever its dialect: the encoding (UTF-8 with or without
a BOM, Windows-1257, UTF-16), the delimiter (`,` `;` tab, or a `sep=` line), quotes left
open, blank and swallowed rows; every cell kept exactly as written, with the row number
the user sees (docs/data-contract.md)."""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from pyarrow import csv as pacsv

from pumpurs.core.dataset import RawTable, Source
from pumpurs.core.errors import Problem
from pumpurs.core.validate import MAX_PROBLEMS, more_problems
from pumpurs.sources.cells import nameless_values, normalise_headers, with_rows

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
            normalise_headers(_empty_frame(body, delim, encoding)),
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
        frame = with_rows(frame, np.arange(2, len(frame) + 2))
        if blank.any():  # Excel writes cleared rows as ";;;;": skip them like blank lines
            frame = frame.loc[~blank].reset_index(drop=True)
    if b'"' in body and not (records is not None and _one_line_a_row(body, records)):
        problems.extend(_swallowed_rows(frame, delim, source))
    if decoded.marked:
        problems.extend(_marked_cells(frame, headers, decoded.name, source))
    problems.extend(nameless_values(frame, source, "field {n}"))
    return RawTable(source, normalise_headers(frame), headers, problems)


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
        Problem(source.label, 1, None, h.replace(MARK, "\ufffd"), why, code="bad_encoding")
        for h in headers
        if MARK in h
    ]
    rows = frame["_row"].to_numpy()
    for i, column in enumerate(frame.columns):
        if column == "_row":
            continue
        cells = frame.iloc[:, i]
        for at in np.flatnonzero(cells.str.contains(MARK, regex=False).to_numpy(dtype=bool)):
            if len(problems) < MAX_PROBLEMS:
                value = str(cells.iloc[at]).replace(MARK, "\ufffd")
                problems.append(
                    Problem(source.label, int(rows[at]), column, value, why, code="bad_encoding")
                )
    return problems


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
        code="open_quote",
    )


def _empty_frame(body: bytes, delim: str, encoding: str) -> pd.DataFrame:
    frame = pd.DataFrame(columns=_header_of(body, delim, encoding), dtype=str)
    return with_rows(frame, np.asarray([], dtype=np.int64))


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
                    code="field_count",
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
    return with_rows(frame, np.asarray(numbers, dtype=np.int64)), header
