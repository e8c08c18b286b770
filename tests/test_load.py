"""Every dialect and format a user brings loads to the same typed tables (docs/data-contract.md)."""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import DIALECTS, Tables, csv_text, valid_tables, write_folder, write_table
from pumpurs.core.errors import InputError
from pumpurs.sources.folder import Dataset, find_sources, load_data, read_folder

TABLE_NAMES = ("partners", "schools", "support_plans", "expenditures", "outcomes")


def _ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text)


def _frame(data: dict[str, list], dtypes: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(v, dtype=dtypes.get(c, "str")) for c, v in data.items()})


DT = "datetime64[ns]"

EXPECTED: dict[str, pd.DataFrame] = {
    "partners": _frame(
        {
            "partner_id": ["P001", "P002", "P003"],
            "name": [
                "Kokneses novads",
                "Rīgas valstspilsētas pašvaldība",
                "Rīgas Valsts tehnikums",
            ],
            "kind": ["municipality", "municipality", "vpil"],
            "municipality": ["Aizkraukles novads", "Rīga", "Rīga"],
            "agreement_date": [_ts("2019-11-22"), _ts("2017-05-02"), _ts("2018-01-31")],
            "allocation_cents": [12000000, 25000050, 0],
            "_row": [2, 3, 4],
            "municipality_code": ["LV-002", "LV-RIX", "LV-RIX"],
        },
        {"agreement_date": DT, "allocation_cents": "int64", "_row": "int64"},
    ),
    "schools": _frame(
        {
            "school_id": ["S001", "S002", "S003"],
            "name": ["Bebru pamatskola", "Pērses sākumskola", "Rīgas Valsts tehnikums"],
            "partner_id": ["P001", "P001", "P003"],
            "kind": ["general", "general", "vocational"],
            "round": [1, 2, 1],
            "joined_on": [_ts("2019-12-02"), _ts("2020-09-01"), _ts("2018-02-28")],
            "_row": [2, 3, 4],
        },
        {"round": "int64", "joined_on": DT, "_row": "int64"},
    ),
    "support_plans": _frame(
        {
            "plan_id": ["PL1", "PL2", "PL3"],
            "student_id": ["stu-a", "stu-b", "stu-c"],
            "school_id": ["S001", "S002", "S003"],
            "semester": ["2019/2020-2", "2020/2021-1", "2020/2021-1"],
            "created_on": [_ts("2020-01-15"), _ts("2020-09-20"), _ts("2020-09-14")],
            "author_role": ["pedagogue", "psychologist", "social_pedagogue"],
            "level": ["general", "general", "vocational"],
            "grade": [7, 12, 4],
            "risk_factors": ["R1;R3", "", "R2"],
            "_row": [2, 3, 4],
        },
        {"created_on": DT, "grade": "int64", "_row": "int64"},
    ),
    "expenditures": _frame(
        {
            "entry_id": ["E1", "E2", "E3", "E4", "E5", "E6", "E7"],
            "partner_id": ["P001", "P001", "P001", "P001", "P001", "P002", "P003"],
            "school_id": ["S001", "S001", "S001", "S002", "", "", "S003"],
            "student_id": ["stu-a", "stu-a", "stu-a", "", "", "", "stu-c"],
            "category": [
                "meals",
                "meals",
                "meals",
                "consultation",
                "ngo_project",
                "coordination",
                "transport_intercity",
            ],
            "service_month": [
                "2020-01",
                "2020-02",
                "2020-02",
                "2020-09",
                "2020-10",
                "2021-06",
                "2020-12",
            ],
            "paid_on": [
                _ts("2020-02-05"),
                _ts("2020-02-05"),
                _ts("2020-02-05"),
                _ts("2020-10-01"),
                _ts("2020-11-30"),
                _ts("2021-07-01"),
                _ts("2021-01-04"),
            ],
            "amount_cents": [7000, 10, 20, 2550, 460000, 123456, 3000],
            "corrects_entry_id": [""] * 7,  # optional: no correction in this ledger
            "document_ref": [f"INV-E{i}" for i in range(1, 8)],
            "specialist_role": ["", "", "", "psychologist", "", "", ""],
            "hours": [float("nan"), float("nan"), float("nan"), 1.5] + [float("nan")] * 3,
            "ngo_project_id": ["", "", "", "", "NGO-2020-01", "", ""],
            "_row": [2, 3, 4, 5, 6, 7, 8],
        },
        {"paid_on": DT, "amount_cents": "int64", "hours": "float64", "_row": "int64"},
    ),
    "outcomes": _frame(
        {
            "student_id": ["stu-a", "stu-c"],
            "school_year": ["2019/2020", "2020/2021"],
            "status": ["continues", "graduated"],
            "_row": [2, 3],
        },
        {"_row": "int64"},
    ),
}


def assert_expected(ds: Dataset, tables: tuple[str, ...] = TABLE_NAMES) -> None:
    for name in tables:
        pd.testing.assert_frame_equal(ds.table(name), EXPECTED[name], check_exact=True, obj=name)


# ---------------------------------------------------------------------------
# Dialects and formats
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", DIALECTS)
def test_every_dialect_loads_to_the_same_typed_tables(dialect: str, tmp_path: Path) -> None:
    ds = load_data(write_folder(tmp_path / "data", dialect=dialect))
    assert_expected(ds)
    assert ds.folder == tmp_path / "data"


@pytest.mark.parametrize(
    ("dialect", "partners_dialect", "label"),
    [
        ("lv", "csv ; utf-8", "partners.csv"),
        ("cp1257", "csv ; cp1257", "partners.csv"),
        ("plain", "csv , utf-8", "partners.csv"),
        ("xlsx", "xlsx", "partners.xlsx"),
        ("workbook", "xlsx", "data.xlsx sheet partners"),
        ("parquet", "parquet", "partners.parquet"),
    ],
)
def test_the_dialect_is_detected_and_recorded(
    dialect: str, partners_dialect: str, label: str, tmp_path: Path
) -> None:
    ds = load_data(write_folder(tmp_path / "data", dialect=dialect))
    assert ds.sources["partners"].dialect == partners_dialect
    assert ds.sources["partners"].label == label
    assert set(ds.sources) == set(TABLE_NAMES)


def test_windows_1257_keeps_latvian_letters(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data", dialect="cp1257")
    raw = (folder / "schools.csv").read_bytes()
    assert "Pērses sākumskola".encode("cp1257") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really Windows-1257, not UTF-8
    ds = load_data(folder)
    assert ds.schools["name"].tolist()[1] == "Pērses sākumskola"
    assert ds.partners["name"].tolist()[1] == "Rīgas valstspilsētas pašvaldība"
    assert ds.partners["municipality"].tolist() == ["Aizkraukles novads", "Rīga", "Rīga"]


def test_utf8_with_bom_does_not_leak_into_the_first_header(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data", dialect="lv")
    assert (folder / "partners.csv").read_bytes().startswith(b"\xef\xbb\xbfpartner_id;")
    ds = load_data(folder)
    assert ds.partners.columns[0] == "partner_id"


def test_dialects_can_be_mixed_in_one_folder(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    t = valid_tables()
    for table, dialect in zip(
        TABLE_NAMES, ("cp1257", "plain", "xlsx", "parquet", "lv"), strict=True
    ):
        write_table(folder, table, t[table], dialect)
    ds = load_data(folder)
    assert_expected(ds)
    assert [ds.sources[n].dialect for n in TABLE_NAMES] == [
        "csv ; cp1257",
        "csv , utf-8",
        "xlsx",
        "parquet",
        "csv ; utf-8",
    ]


def test_headers_are_matched_case_insensitively_extra_columns_ignored_order_free(
    tmp_path: Path,
) -> None:
    t = valid_tables()
    weird = {
        "partner_id": " Partner_ID ",
        "name": "NAME",
        "kind": "Kind",
        "municipality": "municipality ",
    }
    t["partners"] = [
        {weird.get(k, k): v for k, v in row.items()} | {"Piezīmes": "x", "Unnamed: 9": 1}
        for row in t["partners"]
    ]
    order = [
        "Piezīmes",
        "allocation_eur",
        "municipality ",
        "Kind",
        "Unnamed: 9",
        "agreement_date",
        "NAME",
        " Partner_ID ",
    ]
    expenditures_order = list(reversed(list(t["expenditures"][0])))
    folder = write_folder(
        tmp_path / "data", t, columns={"partners": order, "expenditures": expenditures_order}
    )
    ds = load_data(folder)
    assert_expected(ds)
    assert "piezīmes" not in ds.partners.columns


def test_values_are_trimmed_and_vocabularies_case_free(tmp_path: Path) -> None:
    t = valid_tables()
    t["partners"][2]["kind"] = "VPIL"
    t["schools"][0]["kind"] = " General "
    t["expenditures"][0]["category"] = "Meals"
    t["expenditures"][0]["partner_id"] = " P001 "
    t["expenditures"][3]["specialist_role"] = "Psychologist"
    t["outcomes"][0]["status"] = "CONTINUES"
    ds = load_data(write_folder(tmp_path / "data", t))
    assert_expected(ds)


@pytest.mark.parametrize(
    ("written", "name", "code"),
    [
        ("Rīga", "Rīga", "LV-RIX"),
        ("RĪGA", "Rīga", "LV-RIX"),
        ("riga", "Rīga", "LV-RIX"),
        ("lv-rix", "Rīga", "LV-RIX"),
        (" LV-RIX ", "Rīga", "LV-RIX"),
        ("Aizkraukles novads", "Aizkraukles novads", "LV-002"),
        ("AIZKRAUKLES NOVADS", "Aizkraukles novads", "LV-002"),
        ("lv-002", "Aizkraukles novads", "LV-002"),
        ("aizkraukles-novads", "Aizkraukles novads", "LV-002"),
        ("Kekavas novads", "Ķekavas novads", "LV-052"),
        ("Ventspils", "Ventspils", "LV-VEN"),
        ("ventspils novads", "Ventspils novads", "LV-106"),
    ],
)
def test_municipality_by_name_or_code_in_any_case(
    written: str, name: str, code: str, tmp_path: Path
) -> None:
    t = valid_tables()
    t["partners"][0]["municipality"] = written
    ds = load_data(write_folder(tmp_path / "data", t))
    assert ds.partners.loc[0, "municipality"] == name
    assert ds.partners.loc[0, "municipality_code"] == code


# ---------------------------------------------------------------------------
# Money is exact in every format
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("written", "cents"),
    [
        ("70,00", 7000),
        ("70", 7000),
        ("0,1", 10),
        ("0,2", 20),
        ("12,5", 1250),
        ("1 234,56", 123456),
        ("1\u00a0234,56", 123456),
        ("1\u00a0234\u00a0567,89", 123456789),
        ("12,50 €", 1250),
        ("4 600,00 EUR", 460000),
    ],
)
def test_latvian_amounts_are_exact_cents(written: str, cents: int, tmp_path: Path) -> None:
    t = valid_tables()
    t["expenditures"][0]["amount_eur"] = written
    ds = load_data(write_folder(tmp_path / "data", t))
    assert ds.expenditures.loc[0, "amount_cents"] == cents


def test_point_one_plus_point_two_is_exactly_thirty_cents(tmp_path: Path) -> None:
    for dialect in ("lv", "plain", "xlsx", "parquet"):
        ds = load_data(write_folder(tmp_path / dialect, dialect=dialect))
        e = ds.expenditures
        feb = e.loc[e["service_month"] == "2020-02", "amount_cents"]
        assert feb.tolist() == [10, 20]
        assert int(feb.sum()) == 30
        assert int(e["amount_cents"].sum()) == 7000 + 10 + 20 + 2550 + 460000 + 123456 + 3000


def test_xlsx_number_cells_become_exact_cents(tmp_path: Path) -> None:
    t = valid_tables()
    t["expenditures"][0]["amount_eur"] = 12.5
    t["expenditures"][1]["amount_eur"] = 0.1
    t["expenditures"][2]["amount_eur"] = 70
    t["expenditures"][5]["amount_eur"] = 1234.56
    t["partners"][1]["allocation_eur"] = 250000.5
    ds = load_data(write_folder(tmp_path / "data", t, dialect="xlsx"))
    assert ds.expenditures["amount_cents"].tolist()[:3] == [1250, 10, 7000]
    assert ds.expenditures.loc[5, "amount_cents"] == 123456
    assert ds.partners.loc[1, "allocation_cents"] == 25000050


def test_parquet_decimal_and_timestamp_columns(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data", dialect="parquet")
    e = valid_tables()["expenditures"]
    table = pq.read_table(folder / "expenditures.parquet")
    amounts = pa.array([r["amount_eur"] for r in e], type=pa.decimal128(12, 2))
    paid = pa.array(
        [dt.datetime.combine(r["paid_on"], dt.time()) for r in e], type=pa.timestamp("us")
    )
    table = table.set_column(table.schema.get_field_index("amount_eur"), "amount_eur", amounts)
    table = table.set_column(table.schema.get_field_index("paid_on"), "paid_on", paid)
    pq.write_table(table, folder / "expenditures.parquet")
    ds = load_data(folder)
    assert_expected(ds)


def test_xlsx_text_dates_in_both_forms_and_real_date_months(tmp_path: Path) -> None:
    t = valid_tables()
    t["partners"][0]["agreement_date"] = "2019-11-22"
    t["partners"][1]["agreement_date"] = "02.05.2017"
    t["expenditures"][0]["service_month"] = dt.datetime(2020, 1, 1)  # a month typed as a date
    t["expenditures"][3]["hours"] = "1,5"
    ds = load_data(write_folder(tmp_path / "data", t, dialect="xlsx"))
    assert_expected(ds)


def test_xlsx_whole_numbers_stored_as_floats(tmp_path: Path) -> None:
    t = valid_tables()
    t["support_plans"][0]["grade"] = 7.0
    t["schools"][1]["round"] = 2.0
    ds = load_data(write_folder(tmp_path / "data", t, dialect="xlsx"))
    assert_expected(ds)


def test_workbook_sheet_names_are_matched_loosely_and_extra_sheets_ignored(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    folder = write_folder(tmp_path / "data", dialect="workbook")
    wb = load_workbook(folder / "data.xlsx")
    wb["partners"].title = " Partners "
    wb.create_sheet("Piezīmes").append(["nothing", "to", "see"])
    wb.save(folder / "data.xlsx")
    ds = load_data(folder)
    assert_expected(ds)
    assert ds.sources["partners"].label == "data.xlsx sheet  Partners "


def test_workbook_and_files_can_share_a_folder(tmp_path: Path) -> None:
    t = valid_tables()
    folder = write_folder(
        tmp_path / "data", {"partners": t["partners"], "schools": t["schools"]}, "workbook"
    )
    for table in ("support_plans", "expenditures", "outcomes"):
        write_table(folder, table, t[table], "plain")
    ds = load_data(folder)
    assert_expected(ds)
    assert ds.sources["schools"].label == "data.xlsx sheet schools"
    assert ds.sources["expenditures"].label == "expenditures.csv"


def test_file_names_are_matched_case_insensitively(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data")
    (folder / "partners.csv").rename(folder / "Partners.CSV")
    ds = load_data(folder)
    assert_expected(ds)


# ---------------------------------------------------------------------------
# Shapes of files
# ---------------------------------------------------------------------------
def test_outcomes_is_optional(tmp_path: Path) -> None:
    t = valid_tables()
    del t["outcomes"]
    ds = load_data(write_folder(tmp_path / "data", t))
    assert_expected(ds, ("partners", "schools", "support_plans", "expenditures"))
    assert len(ds.outcomes) == 0
    assert list(ds.outcomes.columns) == ["student_id", "school_year", "status", "_row"]
    assert "outcomes" not in ds.sources


def test_a_header_only_table_is_an_empty_table(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data")
    (folder / "outcomes.csv").write_bytes(b"student_id;school_year;status\r\n")
    ds = load_data(folder)
    assert len(ds.outcomes) == 0
    assert list(ds.outcomes.columns) == ["student_id", "school_year", "status", "_row"]


def test_a_header_only_table_without_a_final_newline_is_an_empty_table(tmp_path: Path) -> None:
    """BUG: the pyarrow fast path cannot skip the header when there is no newline after it
    and the file is reported as "cannot be read (Could not skip initial 1 rows ...)"."""
    folder = write_folder(tmp_path / "data")
    (folder / "outcomes.csv").write_bytes(b"student_id;school_year;status")
    ds = load_data(folder)
    assert len(ds.outcomes) == 0


@pytest.mark.parametrize("dialect", ["lv", "plain", "xlsx", "workbook", "parquet"])
def test_header_only_tables_are_empty_typed_tables(dialect: str, tmp_path: Path) -> None:
    t = valid_tables()
    columns = {name: list(rows[0]) for name, rows in t.items()}
    empty: Tables = {name: [] for name in t}
    empty["partners"] = t["partners"]
    ds = load_data(write_folder(tmp_path / "data", empty, dialect, columns))
    assert_expected(ds, ("partners",))
    for name in ("schools", "support_plans", "expenditures", "outcomes"):
        assert len(ds.table(name)) == 0
        want = EXPECTED[name].iloc[:0]
        pd.testing.assert_frame_equal(ds.table(name), want, obj=name)


def test_parquet_written_by_pandas_with_nullable_dtypes(tmp_path: Path) -> None:
    """BUG: pandas writes nullable columns (Float64, Int64, string - what convert_dtypes()
    gives) with their dtype in the Parquet metadata, so they read back holding pd.NA.
    `load._cell_text` turns pd.NA into the text "<NA>", and every empty `hours` cell is
    refused as `"<NA>" is not a number`."""
    folder = write_folder(tmp_path / "data", dialect="parquet")
    for name in ("expenditures", "support_plans"):
        frame = pd.read_parquet(folder / f"{name}.parquet").convert_dtypes()
        frame.to_parquet(folder / f"{name}.parquet")
    assert str(pd.read_parquet(folder / "expenditures.parquet")["hours"].dtype) == "Float64"
    ds = load_data(folder)
    assert_expected(ds)


def test_a_blank_line_is_skipped_and_rows_keep_their_numbers(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data")
    path = folder / "schools.csv"
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    path.write_bytes("\r\n".join([*lines[:2], "", *lines[2:], "", ""]).encode("utf-8"))
    ds = load_data(folder)
    assert ds.schools["school_id"].tolist() == ["S001", "S002", "S003"]
    assert ds.schools["_row"].tolist() == [2, 4, 5]


def test_an_excel_empty_row_of_separators_is_skipped(tmp_path: Path) -> None:
    """BUG: Excel exports cleared rows as ';;;;;'. The exact reader and the XLSX reader skip
    empty rows, but the pyarrow fast path keeps them and every column of that row is then
    reported as missing."""
    folder = write_folder(tmp_path / "data")
    path = folder / "partners.csv"
    path.write_bytes(path.read_bytes() + b";;;;;\r\n")
    ds = load_data(folder)
    assert_expected(ds, ("partners",))


def test_excel_trailing_empty_columns_are_ignored(tmp_path: Path) -> None:
    """BUG: a CSV saved by Excel after a cell right of the table was touched has trailing
    empty columns (`a;b;c;;`). Nameless columns are extra columns and must be ignored, but
    `_typed_table` reports `outcomes.csv row 1: this column appears twice; keep one`."""
    folder = write_folder(tmp_path / "data")
    path = folder / "outcomes.csv"
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", ";;\r\n")
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    ds = load_data(folder)
    assert_expected(ds, ("outcomes",))


def test_xlsx_stray_cells_right_of_the_table_are_refused_not_lost(tmp_path: Path) -> None:
    """Two stray cells right of the header were once reported as a duplicated column, then
    ignored; a value in a column with no header may be typed one column off, so it is
    refused (issue 25) as a CSV field more than the header is. Empty cells there are fine."""
    from openpyxl import load_workbook

    folder = write_folder(tmp_path / "data", dialect="xlsx")
    wb = load_workbook(folder / "outcomes.xlsx")
    wb.active["F2"] = "piezīme"
    wb.active["G3"] = "vēl viena"
    wb.active["H3"] = ""
    wb.active["B1"] = None  # school_year's header cleared: its values have no column now
    wb.save(folder / "outcomes.xlsx")
    hint = (
        "give the column a name in row 1 (a column the table does not need is ignored) or "
        "delete the value"
    )
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        "outcomes.xlsx row 1, column school_year: column is missing; add a column named "
        "school_year to the header row",
        f'outcomes.xlsx row 2: "2019/2020" is in a column with no header (column B); {hint}',
        f'outcomes.xlsx row 2: "piezīme" is in a column with no header (column F); {hint}',
        f'outcomes.xlsx row 3: "2020/2021" is in a column with no header (column B); {hint}',
        f'outcomes.xlsx row 3: "vēl viena" is in a column with no header (column G); {hint}',
    ]


def test_a_csv_value_under_an_empty_header_is_refused(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data")
    path = folder / "outcomes.csv"
    text = path.read_bytes().decode("utf-8-sig").replace("\r\n", ";;\r\n")
    text = text.replace("continues;;", "continues;;piezīme")  # Excel's empty columns, one used
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        'outcomes.csv row 2: "piezīme" is in a column with no header (field 5); give the column '
        "a name in row 1 (a column the table does not need is ignored) or delete the value"
    ]


def test_a_repeated_extra_column_is_ignored(tmp_path: Path) -> None:
    """BUG: extra columns are "kept and ignored" (docs/data-contract.md), yet a repeated extra
    column (two `notes` columns) is refused as `column notes: this column appears twice`.
    Only a repeated *contract* column is ambiguous."""
    t = valid_tables()
    for row in t["outcomes"]:
        row["notes"] = "x"
    folder = write_folder(
        tmp_path / "data",
        t,
        columns={"outcomes": ["student_id", "notes", "school_year", "status", "notes"]},
    )
    ds = load_data(folder)
    assert_expected(ds, ("outcomes",))


def test_a_repeated_contract_column_is_refused(tmp_path: Path) -> None:
    t = valid_tables()
    folder = write_folder(
        tmp_path / "data",
        t,
        columns={"outcomes": ["student_id", "status", "school_year", "Status"]},
    )
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        "outcomes.csv row 1, column status: this column appears twice; keep one"
    ]


def test_quoted_separators_and_newlines_survive(tmp_path: Path) -> None:
    t = valid_tables()
    t["schools"][0]["name"] = 'Bebru "pamatskola";\nfiliāle'
    t["partners"][0]["name"] = "Kokneses novads, dome"
    for dialect in ("lv", "plain"):
        ds = load_data(write_folder(tmp_path / dialect, t, dialect))
        assert ds.schools.loc[0, "name"] == 'Bebru "pamatskola";\nfiliāle'
        assert ds.partners.loc[0, "name"] == "Kokneses novads, dome"
        assert ds.schools["_row"].tolist() == [2, 3, 4]


def test_the_fast_and_the_exact_csv_readers_agree(tmp_path: Path) -> None:
    fast = load_data(write_folder(tmp_path / "fast"))
    folder = write_folder(tmp_path / "exact")
    for table in TABLE_NAMES:
        path = folder / f"{table}.csv"
        # a trailing blank line between two rows sends the file to the exact reader
        lines = path.read_bytes().split(b"\r\n")
        path.write_bytes(b"\r\n".join([*lines[:-2], b"", *lines[-2:]]))
    exact = load_data(folder)
    for table in TABLE_NAMES:
        got = exact.table(table).drop(columns="_row")
        want = fast.table(table).drop(columns="_row")
        pd.testing.assert_frame_equal(got, want, check_exact=True, obj=table)
        assert exact.table(table)["_row"].iloc[-1] == fast.table(table)["_row"].iloc[-1] + 1


# ---------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------
def test_sources_carry_each_files_sha256_and_the_fingerprint_follows(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data")
    ds = load_data(folder)
    for name, src in ds.sources.items():
        assert src.sha256 == hashlib.sha256((folder / f"{name}.csv").read_bytes()).hexdigest()
        assert src.path == folder / f"{name}.csv"
    again = load_data(folder)
    assert again.fingerprint == ds.fingerprint
    assert len(ds.fingerprint) == 12
    t = valid_tables()
    t["expenditures"][0]["amount_eur"] = Decimal("69.99")
    changed = load_data(write_folder(tmp_path / "other", t))
    assert changed.fingerprint != ds.fingerprint


def test_read_folder_reads_without_judging(tmp_path: Path) -> None:
    t: Tables = valid_tables()
    t["expenditures"][0]["amount_eur"] = "12.5.0"
    raws, problems = read_folder(write_folder(tmp_path / "data", t))
    assert problems == []
    frame = raws["expenditures"].frame
    assert frame.loc[0, "amount_eur"] == "12.5.0"
    assert frame["_row"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    assert raws["expenditures"].headers[0] == "entry_id"


def test_find_sources_maps_tables_to_files_and_sheets(tmp_path: Path) -> None:
    t = valid_tables()
    folder = write_folder(tmp_path / "data", {"partners": t["partners"]}, "workbook")
    write_table(folder, "schools", t["schools"], "xlsx")
    write_table(folder, "expenditures", t["expenditures"], "parquet")
    write_table(folder, "support_plans", t["support_plans"], "lv")
    found, problems = find_sources(folder)
    assert problems == []
    assert found == {
        "partners": (folder / "data.xlsx", "partners"),
        "schools": (folder / "schools.xlsx", None),
        "support_plans": (folder / "support_plans.csv", None),
        "expenditures": (folder / "expenditures.parquet", None),
    }


def test_sources_are_plug_ins_with_a_content_fingerprint(tmp_path) -> None:
    """A folder and the same tables in memory fingerprint their content, not file times."""
    import os

    import pandas as pd

    from pumpurs.core.errors import UsageError
    from pumpurs.sources import FramesSource, open_source
    from pumpurs.sources.folder import FolderSource

    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "partners.csv").write_text("partner_id;name\nP1;A\n", encoding="utf-8")
    source = open_source(folder)
    assert isinstance(source, FolderSource)
    before = source.fingerprint()
    os.utime(folder / "partners.csv", (1, 1))
    assert FolderSource(folder).fingerprint() == before  # time is not content
    (folder / "partners.csv").write_text("partner_id;name\nP1;B\n", encoding="utf-8")
    assert FolderSource(folder).fingerprint() != before
    a = FramesSource({"partners": pd.DataFrame({"partner_id": ["P1"], "name": ["A"]})})
    b = FramesSource({"partners": pd.DataFrame({"partner_id": ["P1"], "name": ["B"]})})
    assert a.fingerprint() and a.fingerprint() != b.fingerprint()
    with pytest.raises(UsageError, match=r'no data source is known for "ftp://"'):
        open_source("ftp://example.org/data")


def test_a_cleared_row_beside_empty_excel_columns_is_skipped(tmp_path):
    """Excel's empty columns to the right share one (empty) header name: a cleared row
    (";;;") is still skipped, and the repeated name does not stop the file being read."""
    from pumpurs.sources.folder import _read_csv

    path = tmp_path / "t.csv"
    path.write_bytes(b"a;b;;\r\n1;2;;\r\n;;;\r\n3;4;;\r\n")
    raw = _read_csv("t", path, "x")
    assert raw.problems == []
    assert raw.frame["a"].tolist() == ["1", "3"]
    assert raw.frame["_row"].tolist() == [2, 4]
    assert raw.headers == ["a", "b", "", ""]


# ---------------------------------------------------------------------------
# Hostile input, round two (issue 25): CSV bytes and line ends
# ---------------------------------------------------------------------------
def _csv_lines(path: Path) -> list[str]:
    """A CSV written by conftest (UTF-8, with or without BOM, CRLF) as its lines."""
    return path.read_bytes().decode("utf-8-sig").split("\r\n")


@pytest.mark.parametrize("dialect", ["lv", "plain"])
def test_cr_only_line_ends_of_csv_macintosh_are_read(dialect: str, tmp_path: Path) -> None:
    """Excel for Mac's "CSV (Macintosh)" ends lines with a carriage return alone (item 15)."""
    folder = write_folder(tmp_path / "data", dialect=dialect)
    for table in TABLE_NAMES:
        path = folder / f"{table}.csv"
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    assert_expected(load_data(folder))


@pytest.mark.parametrize("dialect", ["lv", "plain"])
def test_excel_unicode_text_utf16_is_read(dialect: str, tmp_path: Path) -> None:
    """Excel's "Unicode Text": UTF-16 with a BOM, tab between fields (item 16)."""
    folder = write_folder(tmp_path / "data", dialect=dialect)
    lv = dialect == "lv"
    for table, rows in valid_tables().items():
        text = csv_text(rows, list(rows[0]), "\t", lv, lv)
        (folder / f"{table}.csv").write_bytes(text.encode("utf-16"))  # BOM, little-endian
    ds = load_data(folder)
    assert_expected(ds)
    assert ds.sources["partners"].dialect == "csv \t utf-16"


@pytest.mark.parametrize(("dialect", "sep"), [("lv", ";"), ("plain", ",")])
def test_an_excel_sep_line_gives_the_separator_and_is_not_a_row(
    dialect: str, sep: str, tmp_path: Path
) -> None:
    """Excel writes (and hides) a first line `sep=;`: the header stays row 1."""
    t = valid_tables()
    t["expenditures"][1]["amount_eur"] = "0.1.0"
    folder = write_folder(tmp_path / "data", t, dialect=dialect)
    for table in TABLE_NAMES:
        path = folder / f"{table}.csv"
        path.write_bytes(
            f"sep={sep}\r\n".encode() + path.read_bytes().removeprefix(b"\xef\xbb\xbf")
        )
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        'expenditures.csv row 3, column amount_eur: "0.1.0" is not an amount in EUR '
        "(expected e.g. 12,50 or 12.50)"
    ]
    t["expenditures"][1]["amount_eur"] = Decimal("0.10")
    folder = write_folder(tmp_path / "ok", t, dialect=dialect)
    path = folder / "partners.csv"
    body = path.read_bytes().removeprefix(b"\xef\xbb\xbf").replace(sep.encode(), b";")
    path.write_bytes(b'\xef\xbb\xbf"sep=;"\r\n' + body)
    assert_expected(load_data(folder))


def test_a_utf8_file_with_a_row_pasted_in_windows_1257_names_the_row(tmp_path: Path) -> None:
    """Item 5: the file is not decoded wholly as Windows-1257 (which would turn every "ī"
    into "Ä«"); the pasted row is refused with the fix."""
    for bom in (b"\xef\xbb\xbf", b""):
        folder = write_folder(tmp_path / f"data{len(bom)}")
        path = folder / "partners.csv"
        lines = _csv_lines(path)
        pasted = lines[3].encode("cp1257")  # "P003;Rīgas Valsts tehnikums;…"
        body = b"\r\n".join(
            [*(x.encode() for x in lines[:3]), pasted, *(x.encode() for x in lines[4:])]
        )
        path.write_bytes(bom + body)
        with pytest.raises(InputError) as info:
            load_data(folder)
        assert [str(p) for p in info.value.problems] == [
            'partners.csv row 4, column name: "R\ufffdgas Valsts tehnikums" is not UTF-8 text like '
            "the rest of the file (it was typed or pasted in another encoding, e.g. Windows-1257); "
            'save the file again as "CSV UTF-8" or type it again',
        ]


def test_a_byte_that_is_no_letter_in_windows_1257_names_the_row(tmp_path: Path) -> None:
    """A codec error names the file, the row and the fix, never bytes and positions."""
    folder = write_folder(tmp_path / "data", dialect="cp1257")
    path = folder / "schools.csv"
    path.write_bytes(path.read_bytes().replace(b"Bebru", b"Be\x81ru"))
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        'schools.csv row 2, column name: "Be\ufffdru pamatskola" holds characters that are not '
        'Windows-1257 text; save the file again as "CSV UTF-8"'
    ]


def test_a_wholly_windows_1257_file_with_a_utf8_looking_pair_reads_as_windows_1257(
    tmp_path: Path,
) -> None:
    """The file's first line with a letter beyond ASCII decides: "Pērses" in Windows-1257
    is no UTF-8, so a later "Ā°" (0xC2 0xB0, valid UTF-8 by chance) does not turn the file."""
    t = valid_tables()
    t["schools"][2]["name"] = "RĀ° tehnikums"
    folder = write_folder(tmp_path / "data", t, dialect="cp1257")
    assert "Ā°".encode("cp1257").decode("utf-8") == "°"  # a valid UTF-8 pair
    ds = load_data(folder)
    assert ds.schools["name"].tolist() == ["Bebru pamatskola", "Pērses sākumskola", "RĀ° tehnikums"]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", [" _ROW", "_row"])
def test_a_users_column_named_like_an_internal_one_is_an_ignored_extra(
    dialect: str, name: str, tmp_path: Path
) -> None:
    """Item 9: `_ROW` beside the row numbers the readers add crashed the load."""
    t = valid_tables()
    for i, row in enumerate(t["expenditures"]):
        row[name] = 100 + i
    ds = load_data(write_folder(tmp_path / "data", t, dialect))
    assert_expected(ds)


def test_an_in_memory_column_named_like_an_internal_one_is_ignored() -> None:
    from pumpurs.sources.folder import load_frames

    t = valid_tables()
    frames = {n: pd.DataFrame(rows) for n, rows in t.items()}
    frames["partners"]["_Row "] = [7, 8, 9]
    ds = load_frames(frames)
    assert ds.partners["_row"].tolist() == [2, 3, 4]


# ---------------------------------------------------------------------------
# Hostile input, round two (issue 25): Parquet types and sizes
# ---------------------------------------------------------------------------
def _set_parquet_column(path: Path, name: str, values: pa.Array) -> None:
    table = pq.read_table(path)
    table = table.set_column(table.schema.get_field_index(name), name, values)
    pq.write_table(table, path)


@pytest.mark.parametrize("zone", ["UTC", "Europe/Riga", "America/New_York"])
def test_parquet_timestamps_with_a_zone_are_dates_in_riga(zone: str, tmp_path: Path) -> None:
    """Item 4: Riga midnights stored as UTC (22:00 or 21:00 the day before) are the Riga
    day, whatever zone the column is written in; naive timestamps keep their own date."""
    folder = write_folder(tmp_path / "data", dialect="parquet")
    e = valid_tables()["expenditures"]
    riga = [pd.Timestamp(r["paid_on"]).tz_localize("Europe/Riga").value // 1000 for r in e]
    paid = pa.array(riga, pa.int64()).view(pa.timestamp("us", tz=zone))  # instants, in `zone`
    _set_parquet_column(folder / "expenditures.parquet", "paid_on", paid)
    plans = valid_tables()["support_plans"]
    naive = [dt.datetime.combine(r["created_on"], dt.time(23, 30)) for r in plans]
    _set_parquet_column(folder / "support_plans.parquet", "created_on", pa.array(naive))
    assert str(pq.read_table(folder / "expenditures.parquet")["paid_on"][0]).startswith(
        "2020-02-0" + ("4" if zone != "Europe/Riga" else "5")
    )
    assert_expected(load_data(folder))


def test_parquet_decimals_are_judged_by_value_not_scale(tmp_path: Path) -> None:
    """Item 10: 535.800 in a decimal(12,3) column is 535.80; 540.125 still has three
    decimals. (A text 535,800 in a CSV stays refused: it may mean 535 800.)"""
    folder = write_folder(tmp_path / "data", dialect="parquet")
    e = valid_tables()["expenditures"]
    amounts = [Decimal("535.800"), *(r["amount_eur"] for r in e[1:])]
    _set_parquet_column(
        folder / "expenditures.parquet", "amount_eur", pa.array(amounts, pa.decimal128(12, 3))
    )
    ds = load_data(folder)
    assert ds.expenditures["amount_cents"].tolist()[:2] == [53580, 10]
    amounts[1] = Decimal("540.125")
    _set_parquet_column(
        folder / "expenditures.parquet", "amount_eur", pa.array(amounts, pa.decimal128(12, 3))
    )
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        'expenditures.parquet row 3, column amount_eur: "540.125" has more than two decimals '
        "(expected cents at most, e.g. 12,50)"
    ]


def _outcomes_bomb(folder: Path, rows: int, value: str) -> None:
    """outcomes.parquet of `rows` rows of one repeated value: a few KB on disk."""
    column = pa.DictionaryArray.from_arrays(pa.array([0] * rows, pa.int32()), pa.array([value]))
    table = pa.table({"student_id": column, "school_year": column, "status": column})
    pq.write_table(table, folder / "outcomes.parquet", compression="zstd")


def test_a_parquet_bomb_is_refused_from_its_footer(tmp_path: Path, monkeypatch) -> None:
    """Item 7: rows and unpacked bytes are checked before a row is read."""
    from pumpurs.sources import folder as reader

    folder = write_folder(tmp_path / "data")
    (folder / "outcomes.csv").unlink()
    monkeypatch.setattr(reader, "PARQUET_MAX_ROWS", 999)
    _outcomes_bomb(folder, 1000, "continues")
    monkeypatch.setattr(pq.ParquetFile, "read", None)  # nothing is read past the footer
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        "outcomes.parquet: has 1 000 rows, more than the 999 a table may have; check that this "
        "is the programme's table"
    ]


def test_a_parquet_of_one_long_value_repeated_is_refused_before_it_is_unpacked(
    tmp_path: Path, monkeypatch
) -> None:
    from pumpurs.sources import folder as reader

    folder = write_folder(tmp_path / "data", dialect="parquet")
    monkeypatch.setattr(reader, "MAX_UNPACKED", 1 << 20)
    _outcomes_bomb(folder, 1000, "x" * 1024)  # 3 × 1000 × 1 KB: the pages hold it once
    footer = pq.ParquetFile(folder / "outcomes.parquet").metadata
    assert footer.row_group(0).total_byte_size < 1 << 16
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        "outcomes.parquet: unpacks to 2 MB of text, more than the 1 MB a Parquet table may "
        "have; check that this is the programme's table"
    ]


# ---------------------------------------------------------------------------
# Hostile input, round two (issue 25): workbooks
# ---------------------------------------------------------------------------
def _ledger_over_two_sheets(folder: Path, hidden_copy: bool = False) -> Path:
    """expenditures.xlsx with rows E1-E4 on a sheet "2017-2020" and E5-E7 on "2021-2024"
    (columns in another order there), optionally a hidden first sheet of old rows."""
    from openpyxl import Workbook

    rows = valid_tables()["expenditures"]
    columns = list(rows[0])
    wb = Workbook()
    wb.remove(wb.active)
    if hidden_copy:
        old = wb.create_sheet("vecais")
        old.sheet_state = "hidden"
        old.append(columns)
        old.append(["E1", "P001", "S001", "stu-a", "meals", "2020-01", "05.02.2020", 99999])
    first = wb.create_sheet("2017-2020")
    first.append(columns)
    for r in rows[:4]:
        first.append([_xlsx_value(r[c]) for c in columns])
    second = wb.create_sheet("2021-2024")
    second.append(list(reversed(columns)))
    for r in rows[4:]:
        second.append([_xlsx_value(r[c]) for c in reversed(columns)])
    path = folder / "expenditures.xlsx"
    (folder / "expenditures.csv").unlink()
    wb.save(path)
    return path


def _xlsx_value(value: object) -> object:
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return float(value) if isinstance(value, Decimal) else value


def test_every_visible_sheet_of_a_tables_workbook_is_read_in_order(tmp_path: Path) -> None:
    """Item 1: a ledger over two sheets is read whole; a hidden sheet is never data."""
    folder = write_folder(tmp_path / "data")
    _ledger_over_two_sheets(folder, hidden_copy=True)
    ds = load_data(folder)
    got = ds.expenditures.drop(columns="_row")
    pd.testing.assert_frame_equal(got, EXPECTED["expenditures"].drop(columns="_row"))
    assert ds.expenditures["_row"].tolist()[3:5] == [5, 10_000_002]  # sheet by sheet


def test_a_problem_on_a_second_sheet_names_the_sheet(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    folder = write_folder(tmp_path / "data")
    path = _ledger_over_two_sheets(folder)
    wb = load_workbook(path)
    wb["2021-2024"]["E3"] = "12.5.0"  # amount_eur of E6 (columns reversed: E is amount)
    wb["2021-2024"]["L4"] = "E1"  # entry_id of E7 repeats the first sheet's E1
    wb.save(path)
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        'expenditures.xlsx sheet "2021-2024" row 3, column amount_eur: "12.5.0" is not an amount '
        "in EUR (expected e.g. 12,50 or 12.50)",
        'expenditures.xlsx sheet "2021-2024" row 4, column entry_id: "E1" appears more than once '
        '(first in expenditures.xlsx sheet "2017-2020" row 2); each entry_id must be unique',
    ]


def test_a_visible_sheet_without_the_tables_header_is_refused(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    folder = write_folder(tmp_path / "data")
    path = _ledger_over_two_sheets(folder)
    wb = load_workbook(path)
    notes = wb.create_sheet("Piezīmes")
    notes.append(["E8", "P001", None, None, "coordination", "2021-07", "01.08.2021", 10])
    wb["2021-2024"].delete_cols(3)  # its specialist_role column (reversed: C is the role)
    wb.save(path)
    with pytest.raises(InputError) as info:
        load_data(folder)
    assert [str(p) for p in info.value.problems] == [
        'expenditures.xlsx sheet "2021-2024" row 1, column specialist_role: column is missing; '
        "add a column named specialist_role to this sheet's header row (the other sheets have it)",
        'expenditures.xlsx sheet "Piezīmes": is not a sheet of the table expenditures: its first '
        "row names none of its columns (entry_id, partner_id, school_id …); every visible sheet "
        "of expenditures.xlsx is read, so hide or delete this one, or give it the header",
    ]
    wb["Piezīmes"].sheet_state = "hidden"
    wb.save(path)
    assert len(refused_problems(folder)) == 1


def refused_problems(folder: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        load_data(folder)
    return [str(p) for p in info.value.problems]


def test_a_hidden_sheet_of_data_xlsx_is_not_a_table(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    folder = write_folder(tmp_path / "data", dialect="workbook")
    wb = load_workbook(folder / "data.xlsx")
    old = wb.copy_worksheet(wb["partners"])
    old.title = "Partners "  # an old copy, hidden: not "given twice", not read
    old.sheet_state = "hidden"
    old["F2"] = 1
    wb.save(folder / "data.xlsx")
    assert_expected(load_data(folder))


@pytest.mark.parametrize("dialect", ["xlsx", "workbook"])
def test_merged_cells_over_the_table_are_refused_naming_the_range(
    dialect: str, tmp_path: Path
) -> None:
    """Item 2: a school_id merged over three rows would leave two of them without one."""
    from openpyxl import load_workbook

    folder = write_folder(tmp_path / "data", dialect=dialect)
    path = folder / ("expenditures.xlsx" if dialect == "xlsx" else "data.xlsx")
    wb = load_workbook(path)
    sheet = wb["expenditures"]
    sheet.merge_cells("C2:C4")  # school_id S001 of E1-E3: the same school
    sheet.merge_cells("N2:P2")  # notes right of the table: not the table's business
    wb.save(path)
    label = "expenditures.xlsx" if dialect == "xlsx" else "data.xlsx sheet expenditures"
    assert refused_problems(folder) == [
        f"{label} row 2, column school_id: is merged with other cells (C2:C4): Excel keeps a "
        "merged range's value in its first cell alone, so the others would be read as empty; "
        "unmerge them and fill in every cell"
    ]


@pytest.mark.parametrize("dialect", ["lv", "xlsx", "parquet"])
def test_text_is_read_in_composed_form_so_an_id_matches_as_typed(
    dialect: str, tmp_path: Path
) -> None:
    """Issue 25 (unclear item): "Pērses" typed on a Mac arrives decomposed (e + a combining
    macron). Read as NFC, an id matches the id that looks the same in another table."""
    import unicodedata

    t = valid_tables()
    t["schools"][1]["school_id"] = "Pērse-2"
    t["schools"][1]["name"] = unicodedata.normalize("NFD", "Pērses sākumskola")
    t["support_plans"][1]["school_id"] = unicodedata.normalize("NFD", "Pērse-2")
    t["expenditures"][3]["school_id"] = "Pērse-2"
    ds = load_data(write_folder(tmp_path / "data", t, dialect))
    assert ds.schools["name"].tolist()[1] == "Pērses sākumskola"
    assert ds.support_plans["school_id"].tolist()[1] == "Pērse-2"
    assert len(ds.support_plans.loc[1, "school_id"]) == 7


@pytest.mark.parametrize("dialect", ["xlsx", "workbook"])
def test_a_binary_number_is_judged_as_excel_shows_it(dialect: str, tmp_path: Path) -> None:
    """Item 10's family: an Excel formula `=0.1+0.2` stores 0.30000000000000004, which is
    0.30 at Excel's 15 digits, not an amount with more than two decimals; 540.125 still
    is. (A float column of Parquet or a database keeps every digit: hours may need them.)"""
    t = valid_tables()
    t["expenditures"][0]["amount_eur"] = 0.1 + 0.2
    t["expenditures"][1]["amount_eur"] = 0.1
    t["expenditures"][2]["amount_eur"] = 0.2
    t["expenditures"][3]["amount_eur"] = 25.5
    t["expenditures"][4]["amount_eur"] = 4600.0
    t["expenditures"][5]["amount_eur"] = 1234.56
    t["expenditures"][6]["amount_eur"] = 30.0
    folder = write_folder(tmp_path / "data", t, dialect)
    book = folder / ("expenditures.xlsx" if dialect == "xlsx" else "data.xlsx")
    # openpyxl writes 15 digits; Excel writes all 17 of a formula's result
    _rewrite_xml(book, b"<v>0.3</v>", b"<v>0.30000000000000004</v>")
    ds = load_data(folder)
    assert ds.expenditures["amount_cents"].tolist() == [30, 10, 20, 2550, 460000, 123456, 3000]
    t["expenditures"][1]["amount_eur"] = 540.125
    folder = write_folder(tmp_path / "other", t, dialect)
    label = "expenditures.xlsx" if dialect == "xlsx" else "data.xlsx sheet expenditures"
    assert refused_problems(folder) == [
        f'{label} row 3, column amount_eur: "540.125" has more than two decimals '
        "(expected cents at most, e.g. 12,50)"
    ]


def _rewrite_xml(path: Path, old: bytes, new: bytes) -> None:
    """Replace bytes in a workbook's sheet XML, as another program would have written it."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        members = [(i, z.read(i.filename)) for i in z.infolist()]
    assert sum(data.count(old) for _info, data in members) == 1
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in members:
            z.writestr(info, data.replace(old, new))


def test_a_tables_workbook_with_empty_sheets_beside_its_sheet_reads_as_one_sheet(
    tmp_path: Path,
) -> None:
    """Excel's empty "Sheet2" beside the data changes nothing, and a formula without a
    result is named once, by the file alone."""
    from openpyxl import load_workbook

    folder = write_folder(tmp_path / "data", dialect="xlsx")
    wb = load_workbook(folder / "partners.xlsx")
    wb.create_sheet("Sheet2")
    wb["partners"]["F3"] = "=100*2"
    wb.save(folder / "partners.xlsx")
    assert refused_problems(folder) == [
        'partners.xlsx row 3, column allocation_eur: "=100*2" is a formula with no saved result '
        "(the workbook was written without calculating); open it in Excel and save it, or paste "
        "the values"
    ]
