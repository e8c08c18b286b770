"""The one place where data sources plug in: a data folder -> raw tables -> Dataset.

Reading knows file formats and dialects; it never judges values. It hands each table
on as text (one str column per header, plus `_row`, the row number as the user sees
it) so that `validate` can name the exact cell of every problem.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import iterparse

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from pumpurs.core.contract import OPTIONAL_TABLES, TABLES
from pumpurs.core.dataset import SHEET_ROWS, Dataset, RawTable, Source
from pumpurs.core.errors import InputError, Problem
from pumpurs.core.settings import Programme
from pumpurs.core.validate import MAX_PROBLEMS
from pumpurs.sources.cells import (
    NO_HEADER,
    as_text,
    cell_text,
    nameless_values,
    normalise_headers,
    with_rows,
)
from pumpurs.sources.csv_reader import _read_csv
from pumpurs.sources.files import sha256_file
from pumpurs.sources.interface import read_valid
from pumpurs.sources.memory import frames_as_raw, load_frames  # noqa: F401  (their old home)

FORMATS = (".csv", ".xlsx", ".parquet")
WORKBOOK = "data.xlsx"


def find_sources(folder: Path) -> tuple[dict[str, tuple[Path, str | None]], list[Problem]]:
    """Map each table to its file (or workbook sheet); problems for missing/ambiguous ones."""
    problems: list[Problem] = []
    if not folder.is_dir():
        raise InputError(
            [
                Problem(
                    str(folder),
                    None,
                    None,
                    None,
                    "is not a folder; give the data folder",
                    code="not_a_folder",
                )
            ]
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
                    code="duplicate_table",
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
                    code="not_a_file",
                )
            )
            continue
        if not p.is_file():
            occupied.add(key.rsplit(".", 1)[0])
            kind = "a folder" if p.is_dir() else "not a regular file (a pipe or device)"
            problems.append(
                Problem(
                    p.name,
                    None,
                    None,
                    None,
                    f"is {kind}; put the table's file here",
                    code="not_a_file",
                )
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
                    code="unreadable_file",
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
                            code="duplicate_table",
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
                    code="duplicate_table",
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
                    code="missing_table",
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


def _excel_float(v: float) -> str:
    """A workbook's number as Excel shows and computes it: 15 significant digits. A formula
    `=0.1+0.2` stores 0.30000000000000004; its value is 0.3, not an amount with more than
    two decimals (540.125 still has three). Other sources keep every digit of a float."""
    if np.isnan(v):
        return ""
    text = repr(v)
    return text if len(text) <= 15 else format(v, ".15g")


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
    from openpyxl import load_workbook  # heavy: imported only when a workbook is read

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
        frame = with_rows(frame, np.asarray(one.numbers, dtype=np.int64))
        return RawTable(source, normalise_headers(frame), one.headers, one.problems)
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
    headers = [cell_text(h).strip() for h in header]
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
        cells = [_excel_float(v) if isinstance(v, float) else cell_text(v) for v in r[:width]]
        if not any(c.strip() for c in cells):
            continue
        cells += [""] * (width - len(cells))
        records.append(cells)
        numbers.append(i)
    problems = stray + _formulas_and_merges(ws, headers, label)
    return _Sheet(label, headers, records, numbers, problems)


def _values_without_header(
    r: tuple[Any, ...], width: int, nameless: list[int], label: str, row: int, out: list[Problem]
) -> None:
    """A value under an empty header cell or right of the header: refused, as a CSV row
    with a field more than its header is (it may be a value typed one column off)."""
    from openpyxl.utils import get_column_letter

    for j in [*nameless, *range(width, len(r))]:
        text = cell_text(r[j]).strip() if j < len(r) else ""
        if text and len(out) < MAX_PROBLEMS:
            where = f"column {get_column_letter(j + 1)}"
            out.append(
                Problem(label, row, None, text, NO_HEADER.format(where=where), code="no_header")
            )


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
                    code="not_a_sheet",
                )
            )
            continue
        for c in wanted:
            if names.count(c) > 1:
                problems.append(
                    Problem(
                        part.label,
                        1,
                        c,
                        None,
                        "this column appears twice; keep one",
                        code="duplicate_column",
                    )
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
                        code="missing_column",
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
                code="merged_cells",
            )
        )
    if seen:
        problems.extend(_formulas_without_values(ws, headers, label))
    return problems


def _formulas_without_values(ws: Any, headers: list[str], label: str) -> list[Problem]:
    """Formula cells with no saved result: read as values they look empty, so say what
    they are. Programs that write workbooks without calculating (scripts, some exports)
    leave them."""
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
                            code="formula_without_value",
                        )
                    )
            cell.clear()
    return problems


def _read_parquet(table: str, path: Path, digest: str) -> RawTable:
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
    out = with_rows(out, np.arange(2, arrow.num_rows + 2))
    source = Source(table, path, None, digest, "parquet")
    problems = nameless_values(out, source, "column {n}")
    return RawTable(source, normalise_headers(out), headers, problems)


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
            problems.append(
                Problem(label, None, None, None, _unreadable(e), code="unreadable_file")
            )
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
    return read_valid(FolderSource(Path(folder)), programme)
