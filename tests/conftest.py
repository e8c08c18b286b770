"""Shared fixtures: a tiny valid data folder, written from Python rows in any dialect.

Rows hold *canonical* Python values (``dt.date`` for dates, ``Decimal`` for money,
``int``/``float`` for numbers, ``str`` for text, ``None`` for an empty cell); the
writer renders them the way a user's file would hold them in the chosen dialect:

- ``"lv"``       Latvian Excel CSV: ``;``, decimal comma, ``DD.MM.YYYY``, UTF-8 with BOM
- ``"cp1257"``   the same, but encoded in Windows-1257
- ``"plain"``    plain CSV: ``,``, decimal point, ISO dates, UTF-8 without BOM
- ``"xlsx"``     one XLSX file per table, real Excel dates and numbers
- ``"xlsx-text"`` one XLSX file per table, dates and amounts as text (``DD.MM.YYYY``)
- ``"workbook"`` one ``data.xlsx`` with a sheet per table, real Excel dates
- ``"workbook-text"`` the same, dates and amounts as text (``DD.MM.YYYY``, ``12,50``)
- ``"parquet"``  Parquet with native types (date32, float64 money)

A ``str`` value is always written verbatim: that is how tests inject broken cells.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import io
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from pumpurs.core.settings import Programme, load_programme

Row = dict[str, Any]
Tables = dict[str, list[Row]]

DIALECTS = ("lv", "cp1257", "plain", "xlsx", "xlsx-text", "workbook", "workbook-text", "parquet")

# ---------------------------------------------------------------------------
# The canonical tiny data set (valid). Latvian letters on purpose.
# ---------------------------------------------------------------------------
PARTNERS: list[Row] = [
    {
        "partner_id": "P001",
        "name": "Kokneses novads",
        "kind": "municipality",
        "municipality": "Aizkraukles novads",
        "agreement_date": dt.date(2019, 11, 22),
        "allocation_eur": Decimal("120000.00"),
    },
    {
        "partner_id": "P002",
        "name": "Rīgas valstspilsētas pašvaldība",
        "kind": "municipality",
        "municipality": "Rīga",
        "agreement_date": dt.date(2017, 5, 2),
        "allocation_eur": Decimal("250000.50"),
    },
    {
        "partner_id": "P003",
        "name": "Rīgas Valsts tehnikums",
        "kind": "vpil",
        "municipality": "LV-RIX",
        "agreement_date": dt.date(2018, 1, 31),
        "allocation_eur": Decimal("0.00"),
    },
]
SCHOOLS: list[Row] = [
    {
        "school_id": "S001",
        "name": "Bebru pamatskola",
        "partner_id": "P001",
        "kind": "general",
        "round": 1,
        "joined_on": dt.date(2019, 12, 2),
    },
    {
        "school_id": "S002",
        "name": "Pērses sākumskola",
        "partner_id": "P001",
        "kind": "general",
        "round": 2,
        "joined_on": dt.date(2020, 9, 1),
    },
    {
        "school_id": "S003",
        "name": "Rīgas Valsts tehnikums",
        "partner_id": "P003",
        "kind": "vocational",
        "round": 1,
        "joined_on": dt.date(2018, 2, 28),
    },
]
SUPPORT_PLANS: list[Row] = [
    {
        "plan_id": "PL1",
        "student_id": "stu-a",
        "school_id": "S001",
        "semester": "2019/2020-2",
        "created_on": dt.date(2020, 1, 15),
        "author_role": "pedagogue",
        "level": "general",
        "grade": 7,
        "risk_factors": "R1;R3",
    },
    {
        "plan_id": "PL2",
        "student_id": "stu-b",
        "school_id": "S002",
        "semester": "2020/2021-1",
        "created_on": dt.date(2020, 9, 20),
        "author_role": "psychologist",
        "level": "general",
        "grade": 12,
        "risk_factors": None,
    },
    {
        "plan_id": "PL3",
        "student_id": "stu-c",
        "school_id": "S003",
        "semester": "2020/2021-1",
        "created_on": dt.date(2020, 9, 14),
        "author_role": "social_pedagogue",
        "level": "vocational",
        "grade": 4,
        "risk_factors": "R2",
    },
]


def _exp(entry_id: str, partner: str, category: str, amount: str, **kw: Any) -> Row:
    row: Row = {
        "entry_id": entry_id,
        "partner_id": partner,
        "school_id": None,
        "student_id": None,
        "category": category,
        "service_month": "2020-01",
        "paid_on": dt.date(2020, 2, 5),
        "amount_eur": Decimal(amount),
        "document_ref": f"INV-{entry_id}",
        "specialist_role": None,
        "hours": None,
        "ngo_project_id": None,
    }
    row.update(kw)
    return row


EXPENDITURES: list[Row] = [
    _exp("E1", "P001", "meals", "70.00", school_id="S001", student_id="stu-a"),
    _exp(
        "E2", "P001", "meals", "0.10", school_id="S001", student_id="stu-a", service_month="2020-02"
    ),
    _exp(
        "E3", "P001", "meals", "0.20", school_id="S001", student_id="stu-a", service_month="2020-02"
    ),
    _exp(
        "E4",
        "P001",
        "consultation",
        "25.50",
        school_id="S002",
        service_month="2020-09",
        paid_on=dt.date(2020, 10, 1),
        specialist_role="psychologist",
        hours=1.5,
    ),
    _exp(
        "E5",
        "P001",
        "ngo_project",
        "4600.00",
        service_month="2020-10",
        paid_on=dt.date(2020, 11, 30),
        ngo_project_id="NGO-2020-01",
    ),
    _exp(
        "E6",
        "P002",
        "coordination",
        "1234.56",
        service_month="2021-06",
        paid_on=dt.date(2021, 7, 1),
    ),
    _exp(
        "E7",
        "P003",
        "transport_intercity",
        "30.00",
        school_id="S003",
        student_id="stu-c",
        service_month="2020-12",
        paid_on=dt.date(2021, 1, 4),
    ),
]
OUTCOMES: list[Row] = [
    {"student_id": "stu-a", "school_year": "2019/2020", "status": "continues"},
    {"student_id": "stu-c", "school_year": "2020/2021", "status": "graduated"},
]

VALID: Tables = {
    "partners": PARTNERS,
    "schools": SCHOOLS,
    "support_plans": SUPPORT_PLANS,
    "expenditures": EXPENDITURES,
    "outcomes": OUTCOMES,
}


def valid_tables() -> Tables:
    """A deep copy of the valid data set, free to be broken by a test."""
    return copy.deepcopy(VALID)


# ---------------------------------------------------------------------------
# Rendering values per dialect
# ---------------------------------------------------------------------------
def _text(value: Any, decimal_comma: bool, lv_dates: bool) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.date):
        return value.strftime("%d.%m.%Y") if lv_dates else value.isoformat()
    if isinstance(value, Decimal | float):
        text = format(value, "f") if isinstance(value, Decimal) else repr(value)
        return text.replace(".", ",") if decimal_comma else text
    return str(value)


def _excel_value(value: Any, text_dates: bool) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.date):
        if text_dates:
            return value.strftime("%d.%m.%Y")
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, Decimal):
        return _text(value, True, True) if text_dates else float(value)
    return value


def _columns(rows: list[Row], columns: list[str] | None) -> list[str]:
    if columns is not None:
        return columns
    seen: dict[str, None] = {}
    for r in rows:
        seen.update(dict.fromkeys(r))
    return list(seen)


def csv_text(
    rows: list[Row], columns: list[str], delimiter: str, decimal_comma: bool, lv_dates: bool
) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([_text(r.get(c), decimal_comma, lv_dates) for c in columns])
    return buf.getvalue()


def write_table(
    folder: Path,
    table: str,
    rows: list[Row],
    dialect: str = "lv",
    columns: list[str] | None = None,
) -> Path:
    """Write one table in `dialect`; `columns` (the header as written) defaults to the row keys."""
    cols = _columns(rows, columns)
    folder.mkdir(parents=True, exist_ok=True)
    if dialect in ("lv", "cp1257", "plain"):
        lv = dialect != "plain"
        text = csv_text(rows, cols, ";" if lv else ",", lv, lv)
        path = folder / f"{table}.csv"
        if dialect == "lv":
            path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
        elif dialect == "cp1257":
            path.write_bytes(text.encode("cp1257"))
        else:
            path.write_bytes(text.encode("utf-8"))
        return path
    if dialect in ("xlsx", "xlsx-text"):
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        ws.title = table
        _fill_sheet(ws, rows, cols, dialect == "xlsx-text")
        path = folder / f"{table}.xlsx"
        wb.save(path)
        return path
    if dialect == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        arrays = {c: _arrow_column([r.get(c) for r in rows]) for c in cols}
        path = folder / f"{table}.parquet"
        pq.write_table(pa.table(arrays), path)
        return path
    raise ValueError(f"unknown dialect {dialect}")


def _fill_sheet(ws: Any, rows: list[Row], cols: list[str], text_dates: bool) -> None:
    ws.append(cols)
    for r in rows:
        ws.append([_excel_value(r.get(c), text_dates) for c in cols])


def _arrow_column(values: list[Any]) -> Any:
    import pyarrow as pa

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, dt.date) for v in present):
        return pa.array(values, type=pa.date32())
    if present and all(isinstance(v, Decimal) for v in present):
        return pa.array([None if v is None else float(v) for v in values], type=pa.float64())
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return pa.array(values, type=pa.int64())
    if present and all(isinstance(v, float) for v in present):
        return pa.array(values, type=pa.float64())
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def write_folder(
    folder: Path,
    tables: Tables | None = None,
    dialect: str = "lv",
    columns: dict[str, list[str]] | None = None,
) -> Path:
    """Write a data folder (default: the valid data set) in one dialect; returns the folder."""
    tables = valid_tables() if tables is None else tables
    columns = columns or {}
    folder.mkdir(parents=True, exist_ok=True)
    if dialect in ("workbook", "workbook-text"):
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for table, rows in tables.items():
            ws = wb.create_sheet(table)
            _fill_sheet(ws, rows, _columns(rows, columns.get(table)), dialect == "workbook-text")
        wb.save(folder / "data.xlsx")
        return folder
    for table, rows in tables.items():
        write_table(folder, table, rows, dialect, columns.get(table))
    return folder


def snapshot(*folders: Path) -> dict[str, tuple[int, int]]:
    """Every file under the folders with its size and mtime: compare to prove nothing was written."""
    out: dict[str, tuple[int, int]] = {}
    for folder in folders:
        for root, _dirs, files in os.walk(folder):
            for name in files:
                p = Path(root) / name
                st = p.stat()
                out[str(p)] = (st.st_size, st.st_mtime_ns)
    return out


# ---------------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def programme() -> Programme:
    return load_programme()


@pytest.fixture
def make_folder(tmp_path: Path) -> Callable[..., Path]:
    """`make_folder(tables=None, dialect="lv", name="data", columns=None)` -> the folder."""

    def make(
        tables: Tables | None = None,
        dialect: str = "lv",
        name: str = "data",
        columns: dict[str, list[str]] | None = None,
    ) -> Path:
        return write_folder(tmp_path / name, tables, dialect, columns)

    return make


# ---------------------------------------------------------------------------
# A real PostgreSQL server, started by the tests themselves (not a mock)
# ---------------------------------------------------------------------------
PG_PASSWORD = "pumpurs-test-ä"


@pytest.fixture(scope="session")
def pg_server() -> Any:
    """A server of tools/pgtemp.py for this test session, stopped at the end (also after a
    failure). Skipped only where no PostgreSQL is installed, and never when
    PUMPURS_REQUIRE_POSTGRES is set (CI sets it: a skipped database test there fails)."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
    from pgtemp import ServerError, postgres_bin, temporary_postgres

    if postgres_bin() is None:
        if os.environ.get("PUMPURS_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required here (PUMPURS_REQUIRE_POSTGRES) but not installed")
        pytest.skip("no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql")
    # A password, as a real server asks for one: every database test then also shows that
    # it reaches the server from PGPASSWORD, with no password in any URL.
    before = os.environ.get("PGPASSWORD")
    os.environ["PGPASSWORD"] = PG_PASSWORD
    try:
        server = temporary_postgres(password=PG_PASSWORD)
        url = server.__enter__()
    except ServerError as e:
        pytest.fail(str(e))
    try:
        yield url
    finally:
        server.__exit__(None, None, None)
        if before is None:
            os.environ.pop("PGPASSWORD", None)
        else:
            os.environ["PGPASSWORD"] = before


@pytest.fixture
def postgres_url(pg_server: str) -> str:
    """A new, empty database on the test server: its URL (no password)."""
    import uuid

    from pgtemp import create_database

    return create_database(pg_server, f"t_{uuid.uuid4().hex[:12]}")
