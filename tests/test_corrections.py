"""Corrections (credit notes, stornos) in the ledger: read from every source, refused
exactly where the data contract says, and judged on each row's net amount as of the
report date (docs/rules.md, "Corrections")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from conftest import Row, valid_tables, write_folder
from pumpurs.core.errors import InputError, Problem
from pumpurs.sources.folder import load_data

DIALECTS = ["lv", "plain", "xlsx", "parquet", "workbook"]


def _credit(entry_id: str, of: str, amount: str, like: str = "", **kw: object) -> Row:
    """A correction of one of conftest's rows (or one naming `of` with `like`'s service)."""
    row = next(r for r in valid_tables()["expenditures"] if r["entry_id"] == (like or of))
    out = {
        **row,
        "entry_id": entry_id,
        "amount_eur": Decimal(amount),
        "corrects_entry_id": of,
        "document_ref": f"KR-{entry_id}",
        "paid_on": dt.date(2020, 3, 2),
    }
    out.update(kw)
    return out


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_correction_is_read_from_every_file_dialect(dialect: str, tmp_path: Path) -> None:
    tables = valid_tables()
    tables["expenditures"].append(_credit("C1", "E1", "-20.00"))
    ds = load_data(write_folder(tmp_path / "data", tables, dialect))
    e = ds.expenditures.set_index("entry_id")
    assert e.loc["C1", "amount_cents"] == -2000
    assert e.loc["C1", "corrects_entry_id"] == "E1"
    assert (e.drop(index="C1")["corrects_entry_id"] == "").all()


@pytest.mark.parametrize("dialect", ["lv", "parquet"])
def test_a_ledger_without_the_column_reads_as_before(dialect: str, tmp_path: Path) -> None:
    ds = load_data(write_folder(tmp_path / "data", valid_tables(), dialect))
    assert ds.expenditures["corrects_entry_id"].tolist() == [""] * 7
    assert ds.expenditures["amount_cents"].tolist() == [7000, 10, 20, 2550, 460000, 123456, 3000]


# ---------------------------------------------------------------------------
# Refusals: every one at once, each naming both rows
# ---------------------------------------------------------------------------
LATE = dt.date(2021, 8, 2)


def _broken() -> list[Row]:
    """conftest's ledger (rows 2-8) and, from row 9, one broken correction of each kind."""
    rows = valid_tables()["expenditures"]
    rows[1]["amount_eur"] = Decimal("0.00")  # row 3: zero
    rows[2]["amount_eur"] = Decimal("-0.20")  # row 4: negative, names no row
    rows[3]["corrects_entry_id"] = "E1"  # row 5: positive, names a row
    return [
        *rows,
        _credit("C1", "E1", "-50.00"),  # row 9: valid alone; with row 14, E1 goes below zero
        _credit("C2", "C1", "-1.00", like="E1"),  # row 10: a correction of a correction
        _credit("C3", "E99", "-1.00", like="E1"),  # row 11: names no row
        _credit(
            "C4", "E6", "-1.00", partner_id="P001", paid_on=LATE
        ),  # row 12: another partner's row
        _credit("C5", "E7", "-1.00", school_id="S001", student_id="stu-a", paid_on=LATE),  # row 13
        _credit("C6", "E1", "-30.00", paid_on=dt.date(2020, 2, 4), service_month="2020-02"),
    ]


E1 = "row 2 (entry_id E1), the row it corrects"
REPEATS = "(it corrects the money, not the service)"
EXPECTED = [
    'expenditures.csv row 2 (entry_id E1), column amount_eur: "70,00" is taken below zero by its corrections '
    "(row 9 (entry_id C1); row 14 (entry_id C6): -€80.00 in all); corrections take back at most "
    "the row's amount",
    'expenditures.csv row 3, column amount_eur: "0,00" is zero; a row pays an amount, and a '
    "correction (credit note, storno) is a negative amount that names the row it corrects in "
    "corrects_entry_id",
    "expenditures.csv row 4 (entry_id E3), column corrects_entry_id: missing; the amount -0,20 "
    "is negative, so the row is a correction (credit note, storno): give the entry_id of the row "
    "it corrects, or make the amount positive",
    'expenditures.csv row 5 (entry_id E4), column corrects_entry_id: "E1" must be empty: the '
    "amount 25,50 is positive, and only a correction (a negative amount) names a row it corrects",
    'expenditures.csv row 10 (entry_id C2), column corrects_entry_id: "C1" names row 9 '
    "(entry_id C1), itself a correction (-50,00); a correction names the positive row it "
    "corrects, not another correction",
    'expenditures.csv row 11 (entry_id C3), column corrects_entry_id: "E99" is not an entry_id '
    "in expenditures.csv; a correction names the row it corrects",
    'expenditures.csv row 12 (entry_id C4), column partner_id: "P001" differs from row 7 '
    '(entry_id E6), the row it corrects, which has "P002"; a correction repeats the partner_id '
    f"of its row {REPEATS}",
    'expenditures.csv row 13 (entry_id C5), column school_id: "S001" differs from row 8 '
    '(entry_id E7), the row it corrects, which has "S003"; a correction repeats the school_id of '
    f"its row {REPEATS}",
    'expenditures.csv row 13 (entry_id C5), column student_id: "stu-a" differs from row 8 '
    '(entry_id E7), the row it corrects, which has "stu-c"; a correction repeats the student_id '
    f"of its row {REPEATS}",
    f'expenditures.csv row 14 (entry_id C6), column paid_on: "04.02.2020" is before {E1}, was '
    'paid ("05.02.2020"); a correction is paid on or after its row',
    f'expenditures.csv row 14 (entry_id C6), column service_month: "2020-02" differs from {E1}, '
    f'which has "2020-01"; a correction repeats the service_month of its row {REPEATS}',
]


def test_every_broken_correction_is_refused_at_once_naming_both_rows(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["expenditures"] = _broken()
    with pytest.raises(InputError) as info:
        load_data(write_folder(tmp_path / "data", tables, "lv"))
    assert [str(p) for p in info.value.problems] == EXPECTED


@pytest.mark.parametrize("dialect", ["plain", "xlsx", "parquet", "workbook"])
def test_every_dialect_refuses_the_same_corrections(dialect: str, tmp_path: Path) -> None:
    """The same cells refused in every dialect (values are shown as each file writes them)."""
    tables = valid_tables()
    tables["expenditures"] = _broken()
    with pytest.raises(InputError) as info:
        load_data(write_folder(tmp_path / "data", tables, dialect))

    def where(p: Problem) -> tuple:
        return (p.row, p.key, p.column)

    lv = [p.split(":")[0] for p in EXPECTED]
    assert len(info.value.problems) == len(lv)
    assert [where(p) for p in info.value.problems] == [
        (int(s.split("row ")[1].split()[0].rstrip(",")), s.split("(")[1].split(")")[0] if "(" in s
         else None, s.split("column ")[1]) for s in lv
    ]  # fmt: skip


def test_pumpurs_load_writes_corrections_and_a_database_reads_them(tmp_path: Path) -> None:
    from pumpurs.sources import FramesSource, load
    from pumpurs.sources.database import write_dataset

    tables = valid_tables()
    tables["expenditures"].append(_credit("C1", "E1", "-20.00"))
    url = f"duckdb:///{tmp_path / 'db.duckdb'}"
    write_dataset(load_data(write_folder(tmp_path / "data", tables)), url)
    e = load(url).expenditures.set_index("entry_id")
    assert (e.loc["C1", "amount_cents"], e.loc["C1", "corrects_entry_id"]) == (-2000, "E1")
    assert e.drop(index="C1")["corrects_entry_id"].eq("").all()
    # and the in-memory source takes the column as it is given
    memory = load(FramesSource({n: pd.DataFrame(rows) for n, rows in tables.items()}))
    assert memory.expenditures["corrects_entry_id"].tolist() == [""] * 7 + ["E1"]
