"""Bad input is refused with every problem listed, exactly as docs/data-contract.md says.

Each kind of broken input is its own case. For every case the test asserts the complete,
exact list of problem lines (file, row as the user sees it, column, value, message),
that the CLI exits 2 printing them, and that nothing was written anywhere.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from conftest import Tables, snapshot, valid_tables, write_folder, write_table
from pumpurs.cli import app
from pumpurs.core.errors import InputError, Problem
from pumpurs.core.validate import parse_date, parse_money, parse_month
from pumpurs.sources.folder import load_data

MONEY_HINT = "is not an amount in EUR (expected e.g. 12,50 or 12.50)"
DATE_HINT = "is not a date (expected DD.MM.YYYY or YYYY-MM-DD, e.g. 22.11.2019)"
HEAD = "The data has {n} problem{s}; nothing was computed or written:"
DECIMALS = "has more than two decimals (expected cents at most, e.g. 12,50)"
ZERO = (
    "is zero; a row pays an amount, and a correction (credit note, storno) is a negative "
    "amount that names the row it corrects in corrects_entry_id"
)


def not_named(amount: str) -> str:
    """A negative amount without the row it corrects."""
    return (
        f"missing; the amount {amount} is negative, so the row is a correction (credit note, "
        "storno): give the entry_id of the row it corrects, or make the amount positive"
    )


UNREAL = "is not a real date (no such day in the calendar)"
MONTH = "is not a month (expected YYYY-MM, e.g. 2020-03)"
MUNICIPALITY = (
    "is not one of the 43 current municipalities (expected a name such as Aizkraukles novads "
    "or Rīga, or an ISO code such as LV-002)"
)
ROLES = (
    "pedagogue, psychologist, social_pedagogue, teacher_assistant, special_education_teacher, "
    "sign_language_interpreter, assistant, occupational_therapist"
)
CATEGORIES = (
    "consultation, transport_intercity, accommodation, meals, special_transport, "
    "personal_items, learning_materials, ngo_project, staff_development, coordination"
)


def problems_of(folder: Path) -> list[Problem]:
    with pytest.raises(InputError) as info:
        load_data(folder)
    return info.value.problems


def lines_of(folder: Path) -> list[str]:
    return [str(p) for p in problems_of(folder)]


def cli_validate(folder: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["validate", str(folder), *args])
    return result.exit_code, result.stdout, result.stderr


# ---------------------------------------------------------------------------
# The catalogue of broken inputs
# ---------------------------------------------------------------------------
@dataclass
class Case:
    id: str
    expected: list[str]
    mutate: Callable[[Tables], None] | None = None
    after: Callable[[Path], None] | None = None  # edits the written files
    dialect: str = "lv"
    columns: dict[str, list[str]] = field(default_factory=dict)


def _set(table: str, index: int, **values: object) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        t[table][index].update(values)

    return mutate


def _all(*mutations: Callable[[Tables], None]) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        for m in mutations:
            m(t)

    return mutate


def _append_copy(table: str, index: int, **values: object) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        t[table].append({**t[table][index], **values})

    return mutate


def _without_column(table: str, column: str) -> Callable[[Tables], None]:
    def mutate(t: Tables) -> None:
        for row in t[table]:
            del row[column]

    return mutate


def _delete(*names: str) -> Callable[[Path], None]:
    def after(folder: Path) -> None:
        for name in names:
            (folder / name).unlink()

    return after


def _also_as(table: str, dialect: str) -> Callable[[Path], None]:
    def after(folder: Path) -> None:
        write_table(folder, table, valid_tables()[table], dialect)

    return after


def _broken_csv_rows(folder: Path) -> None:
    """schools.csv: a quoted newline in row 2, a blank row 5, a short row 6;
    expenditures.csv: one field too many in row 3."""
    schools = (
        "school_id;name;partner_id;kind;round;joined_on\r\n"
        'S001;"Bebru\r\npamatskola";P001;general;1;02.12.2019\r\n'
        "S002;Pērses sākumskola;P001;general;2;01.09.2020\r\n"
        "S003;Rīgas Valsts tehnikums;P003;vocational;1;28.02.2018\r\n"
        "\r\n"
        "S004;Kokneses pamatskola;P001\r\n"
    )
    (folder / "schools.csv").write_bytes(b"\xef\xbb\xbf" + schools.encode())
    path = folder / "expenditures.csv"
    lines = path.read_bytes().decode("utf-8-sig").split("\r\n")
    lines[2] += ";x"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode())


def _garbage(name: str, replaces: str) -> Callable[[Path], None]:
    def after(folder: Path) -> None:
        (folder / replaces).unlink()
        (folder / name).write_bytes(b"this is not a spreadsheet")

    return after


def _twice(folder: Path) -> None:
    _also_as("partners", "xlsx")(folder)
    _also_as("expenditures", "parquet")(folder)


CASES = [
    Case(
        "bad_amount",
        [
            f'expenditures.csv row 2, column amount_eur: "12.5.0" {MONEY_HINT}',
            f'partners.csv row 3, column allocation_eur: "1.234,56" {MONEY_HINT}',
        ],
        _all(
            _set("expenditures", 0, amount_eur="12.5.0"),
            _set("partners", 1, allocation_eur="1.234,56"),
        ),
    ),
    Case(
        "more_than_two_decimals",
        [
            f'expenditures.csv row 4, column amount_eur: "0,205" {DECIMALS}',
            f'partners.csv row 2, column allocation_eur: "120000,001" {DECIMALS}',
        ],
        _all(
            _set("expenditures", 2, amount_eur="0,205"),
            _set("partners", 0, allocation_eur="120000,001"),
        ),
    ),
    Case(
        "zero_or_negative_amount",
        [
            f'expenditures.csv row 2, column amount_eur: "0,00" {ZERO}',
            "expenditures.csv row 3 (entry_id E2), column corrects_entry_id: " + not_named("-0,10"),
            'partners.csv row 4, column allocation_eur: "-1,00" must not be negative '
            "(the partner's budget, e.g. 120000,00)",
        ],
        _all(
            _set("expenditures", 0, amount_eur="0,00"),
            _set("expenditures", 1, amount_eur="-0,10"),
            _set("partners", 2, allocation_eur="-1,00"),
        ),
    ),
    Case(
        "unreal_date",
        [
            f'expenditures.csv row 7, column paid_on: "2021-02-29" {UNREAL}',
            f'partners.csv row 3, column agreement_date: "31.02.2020" {UNREAL}',
            f'schools.csv row 2, column joined_on: "32.12.2019" {UNREAL}',
        ],
        _all(
            _set("partners", 1, agreement_date="31.02.2020"),
            _set("expenditures", 5, paid_on="2021-02-29"),
            _set("schools", 0, joined_on="32.12.2019"),
        ),
    ),
    Case(
        "wrong_date_format",
        [
            f'expenditures.csv row 2, column paid_on: "5.2.20" {DATE_HINT}',
            f'schools.csv row 3, column joined_on: "2020/09/01" {DATE_HINT}',
            f'support_plans.csv row 2, column created_on: "15-01-2020" {DATE_HINT}',
        ],
        _all(
            _set("schools", 1, joined_on="2020/09/01"),
            _set("support_plans", 0, created_on="15-01-2020"),
            _set("expenditures", 0, paid_on="5.2.20"),
        ),
    ),
    Case(
        "bad_month",
        [
            f'expenditures.csv row 2, column service_month: "2020-13" {MONTH}',
            f'expenditures.csv row 3, column service_month: "2020-00" {MONTH}',
            f'expenditures.csv row 4, column service_month: "02/2020" {MONTH}',
        ],
        _all(
            _set("expenditures", 0, service_month="2020-13"),
            _set("expenditures", 1, service_month="2020-00"),
            _set("expenditures", 2, service_month="02/2020"),
        ),
    ),
    Case(
        "bad_semester_and_school_year",
        [
            'outcomes.csv row 2, column school_year: "2019/2019" has years that do not follow '
            "each other (expected e.g. 2019/2020)",
            'outcomes.csv row 3, column school_year: "2020/21" is not a school year '
            "(expected e.g. 2019/2020)",
            'support_plans.csv row 2, column semester: "2019/2021-2" has years that do not '
            "follow each other (expected e.g. 2019/2020)",
            'support_plans.csv row 3, column semester: "2020/2021-3" is not a semester '
            "(expected e.g. 2019/2020-1 or 2019/2020-2)",
            'support_plans.csv row 4, column semester: "2020-2021-1" is not a semester '
            "(expected e.g. 2019/2020-1 or 2019/2020-2)",
        ],
        _all(
            _set("support_plans", 0, semester="2019/2021-2"),
            _set("support_plans", 1, semester="2020/2021-3"),
            _set("support_plans", 2, semester="2020-2021-1"),
            _set("outcomes", 0, school_year="2019/2019"),
            _set("outcomes", 1, school_year="2020/21"),
        ),
    ),
    Case(
        "grade_out_of_range_for_level",
        [
            'support_plans.csv row 2, column grade: "13" is not a grade of general education '
            "(expected 1 to 12)",
            'support_plans.csv row 3, column grade: "0" is not a grade of general education '
            "(expected 1 to 12)",
            'support_plans.csv row 4, column grade: "5" is not a year of vocational education '
            "(expected 1 to 4)",
        ],
        _all(
            _set("support_plans", 0, grade=13),
            _set("support_plans", 1, grade=0),
            _set("support_plans", 2, grade=5),
        ),
    ),
    Case(
        "not_a_whole_number",
        [
            'schools.csv row 2, column round: "1.5" is not a whole number (expected e.g. 7)',
            'schools.csv row 3, column round: "first" is not a whole number (expected e.g. 7)',
            'schools.csv row 4, column round: "0" is not a round number (expected 1, 2, 3 ...)',
            'support_plans.csv row 2, column grade: "7,0" is not a whole number (expected e.g. 7)',
        ],
        _all(
            _set("schools", 0, round="1.5"),
            _set("schools", 1, round="first"),
            _set("schools", 2, round=0),
            _set("support_plans", 0, grade="7,0"),
        ),
    ),
    Case(
        "unknown_enum_value",
        [
            f'expenditures.csv row 2, column category: "food" is not one of: {CATEGORIES}',
            f'expenditures.csv row 5, column specialist_role: "doctor" is not one of: {ROLES}',
            'outcomes.csv row 3, column status: "dropped" is not one of: '
            "continues, graduated, left, transferred, unknown",
            'partners.csv row 2, column kind: "city" is not one of: municipality, vpil',
            'schools.csv row 4, column kind: "private" is not one of: general, vocational',
            f'support_plans.csv row 2, column author_role: "teacher" is not one of: {ROLES}',
            'support_plans.csv row 3, column level: "primary" is not one of: general, vocational',
        ],
        _all(
            _set("partners", 0, kind="city"),
            _set("schools", 2, kind="private"),
            _set("support_plans", 0, author_role="teacher"),
            _set("support_plans", 1, level="primary"),
            _set("expenditures", 0, category="food"),
            _set("expenditures", 3, specialist_role="doctor"),
            _set("outcomes", 1, status="dropped"),
        ),
    ),
    Case(
        "duplicate_id",
        [
            'expenditures.csv row 9, column entry_id: "E1" appears more than once (first in row 2);'
            " each entry_id must be unique",
            'expenditures.csv row 10, column entry_id: " E1 " appears more than once (first in row 2);'
            " each entry_id must be unique",
            'partners.csv row 5, column partner_id: "P001" appears more than once (first in row 2);'
            " each partner_id must be unique",
            'schools.csv row 5, column school_id: "S002" appears more than once (first in row 3);'
            " each school_id must be unique",
            'support_plans.csv row 5, column plan_id: "PL3" appears more than once '
            "(first in row 4); each plan_id must be unique",
        ],
        _all(
            _append_copy("partners", 0),
            _append_copy("schools", 1),
            _append_copy("support_plans", 2, student_id="stu-z"),
            _append_copy("expenditures", 0),
            _append_copy("expenditures", 0, entry_id=" E1 "),
        ),
    ),
    Case(
        "unknown_reference",
        [
            'expenditures.csv row 2, column partner_id: "P999" is not a partner listed in '
            "partners.csv",
            'expenditures.csv row 5, column school_id: "S404" is not a school listed in '
            "schools.csv",
            'schools.csv row 2, column partner_id: "P999" is not a partner listed in partners.csv',
            'support_plans.csv row 3, column school_id: "S404" is not a school listed in '
            "schools.csv",
        ],
        _all(
            _set("schools", 0, partner_id="P999"),
            _set("support_plans", 1, school_id="S404"),
            _set("expenditures", 0, partner_id="P999"),
            _set("expenditures", 3, school_id="S404"),
        ),
    ),
    Case(
        "consultation_fields",
        [
            'expenditures.csv row 3, column specialist_role: "psychologist" must be empty: '
            "only consultations have it",
            'expenditures.csv row 4, column hours: "1,0" must be empty: only consultations have it',
            "expenditures.csv row 5, column hours: missing; a consultation needs the hours of "
            "consultation",
            "expenditures.csv row 5, column specialist_role: missing; a consultation needs the "
            "specialist's role",
        ],
        _all(
            _set("expenditures", 1, specialist_role="psychologist"),
            _set("expenditures", 2, hours=1.0),
            _set("expenditures", 3, hours=None, specialist_role=None),
        ),
    ),
    Case(
        "pupil_and_partner_fields",
        [
            "expenditures.csv row 2, column student_id: missing; this category is paid per "
            "pupil, give the pupil's student_id",
            "expenditures.csv row 6, column ngo_project_id: missing; an ngo_project row needs "
            "the project's id",
            'expenditures.csv row 7, column ngo_project_id: "NGO-1" must be empty: only '
            "ngo_project rows have it",
            'expenditures.csv row 7, column student_id: "stu-a" must be empty: this category is '
            "not paid per pupil",
        ],
        _all(
            _set("expenditures", 0, student_id=None),
            _set("expenditures", 4, ngo_project_id=None),
            _set("expenditures", 5, ngo_project_id="NGO-1", student_id="stu-a"),
        ),
    ),
    Case(
        "bad_hours",
        [
            'expenditures.csv row 5, column hours: "1,5h" is not a number (expected e.g. 1,5 or '
            "1.5)",
            'expenditures.csv row 9, column hours: "0" must be more than 0 hours',
        ],
        _all(
            _set("expenditures", 3, hours="1,5h"),
            _append_copy("expenditures", 3, entry_id="E8", hours="0"),
        ),
    ),
    Case(
        "missing_value",
        [
            "expenditures.csv row 2, column document_ref: missing; every row needs a value here",
            "partners.csv row 3, column name: missing; every row needs a value here",
            "schools.csv row 4, column partner_id: missing; every row needs a value here",
            "support_plans.csv row 2, column student_id: missing; every row needs a value here",
        ],
        _all(
            _set("expenditures", 0, document_ref=""),
            _set("partners", 1, name="   "),
            _set("schools", 2, partner_id=None),
            _set("support_plans", 0, student_id=""),
        ),
    ),
    Case(
        "missing_column",
        [
            "expenditures.csv row 1, column document_ref: column is missing; add a column named "
            "document_ref to the header row",
            "schools.csv row 1, column round: column is missing; add a column named round to the "
            "header row",
        ],
        _all(_without_column("expenditures", "document_ref"), _without_column("schools", "round")),
    ),
    Case(
        "missing_table",
        [
            "data: table schools is missing; add schools.csv, schools.xlsx, schools.parquet or a "
            "sheet schools in data.xlsx",
            "data: table support_plans is missing; add support_plans.csv, support_plans.xlsx, "
            "support_plans.parquet or a sheet support_plans in data.xlsx",
        ],
        after=_delete("schools.csv", "support_plans.csv"),
    ),
    Case(
        "table_given_twice",
        [
            "data: table expenditures is given twice (expenditures.csv and "
            "expenditures.parquet); keep one",
            "data: table partners is given twice (partners.csv and partners.xlsx); keep one",
        ],
        after=_twice,
    ),
    Case(
        "unknown_municipality",
        [
            f'partners.csv row 2, column municipality: "Kokneses novads" {MUNICIPALITY}',
            f'partners.csv row 3, column municipality: "LV-999" {MUNICIPALITY}',
        ],
        _all(
            _set("partners", 0, municipality="Kokneses novads"),
            _set("partners", 1, municipality="LV-999"),
        ),
    ),
    Case(
        "wrong_number_of_fields",
        [
            'expenditures.csv row 3: "E2;P001;S001;stu-a;meals;2020-02;05.02.2020;0,10;INV-E2;;;;x"'
            " has 13 fields but the header has 12; check the separator (;) and quotes",
            f'expenditures.csv row 5, column amount_eur: "12.5.0" {MONEY_HINT}',
            'schools.csv row 6: "S004;Kokneses pamatskola;P001" has 3 fields but the header has 6;'
            " check the separator (;) and quotes",
        ],
        _set("expenditures", 3, amount_eur="12.5.0"),
        after=_broken_csv_rows,
    ),
    Case(
        "unreadable_file",
        [
            f'expenditures.csv row 2, column amount_eur: "12.5.0" {MONEY_HINT}',
            "outcomes.xlsx: is not an Excel .xlsx workbook; save it again as CSV, XLSX or Parquet",
        ],
        _set("expenditures", 0, amount_eur="12.5.0"),
        after=_garbage("outcomes.xlsx", "outcomes.csv"),
    ),
]


def _run_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tables = valid_tables()
    if case.mutate:
        case.mutate(tables)
    folder = write_folder(tmp_path / "data", tables, case.dialect, case.columns)
    if case.after:
        case.after(folder)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)

    assert lines_of(folder) == case.expected

    code, stdout, stderr = cli_validate(folder)
    n = len(case.expected)
    assert code == 2
    assert stdout == ""
    assert stderr == "\n".join([HEAD.format(n=n, s="s" if n != 1 else ""), *case.expected]) + "\n"
    assert snapshot(tmp_path) == before  # nothing written, nothing touched


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_broken_input_is_refused_with_every_problem(
    case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _run_case(case, tmp_path, monkeypatch)


def test_there_are_many_distinct_kinds_of_broken_input() -> None:
    assert len({c.id for c in CASES}) == len(CASES) >= 12


# ---------------------------------------------------------------------------
# The same problems, named the way each format shows them
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("dialect", "expenditures", "partners"),
    [
        ("lv", "expenditures.csv", "partners.csv"),
        ("cp1257", "expenditures.csv", "partners.csv"),
        ("plain", "expenditures.csv", "partners.csv"),
        ("xlsx", "expenditures.xlsx", "partners.xlsx"),
        ("xlsx-text", "expenditures.xlsx", "partners.xlsx"),
        ("workbook", "data.xlsx sheet expenditures", "data.xlsx sheet partners"),
        ("workbook-text", "data.xlsx sheet expenditures", "data.xlsx sheet partners"),
        ("parquet", "expenditures.parquet", "partners.parquet"),
    ],
)
def test_problem_rows_and_files_are_named_alike_in_every_format(
    dialect: str, expenditures: str, partners: str, tmp_path: Path
) -> None:
    tables = valid_tables()
    tables["expenditures"][4]["amount_eur"] = "12.5.0"
    tables["expenditures"][6]["partner_id"] = "P404"
    tables["schools"][2]["partner_id"] = "P404"
    folder = write_folder(tmp_path / "data", tables, dialect)
    schools = expenditures.replace("expenditures", "schools")
    assert lines_of(folder) == sorted(
        [
            f'{expenditures} row 6, column amount_eur: "12.5.0" {MONEY_HINT}',
            f'{expenditures} row 8, column partner_id: "P404" is not a partner listed in {partners}',
            f'{schools} row 4, column partner_id: "P404" is not a partner listed in {partners}',
        ]
    )


def test_problems_carry_file_row_column_value_and_message(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["expenditures"][0]["amount_eur"] = "12.5.0"
    tables["expenditures"][1]["document_ref"] = None
    tables["schools"][0]["partner_id"] = "P999"
    problems = problems_of(write_folder(tmp_path / "data", tables))
    assert problems == [
        Problem("expenditures.csv", 2, "amount_eur", "12.5.0", MONEY_HINT),
        Problem(
            "expenditures.csv", 3, "document_ref", None, "missing; every row needs a value here"
        ),
        Problem("schools.csv", 2, "partner_id", "P999", "is not a partner listed in partners.csv"),
    ]
    assert [(p.code, p.expected) for p in problems] == [
        ("bad_amount", "e.g. 12,50 or 12.50"),
        ("missing_value", ""),
        ("unknown_reference", ""),
    ]


def test_every_problem_the_library_makes_carries_a_known_code() -> None:
    """Each Problem(...) in core/ and sources/ names its code (core/errors.py
    PROBLEM_CODES), so a machine can tell the kinds of problem apart."""
    import ast

    from pumpurs.core.errors import PROBLEM_CODES

    root = Path(__file__).resolve().parents[1] / "lib" / "pumpurs"
    calls = []
    for path in [*(root / "core").rglob("*.py"), *(root / "sources").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Problem":
                code = [k.value for k in node.keywords if k.arg == "code"]
                code += node.args[6:7]
                calls.append((path.name, node.lineno, code))
    assert len(calls) > 30
    without = [(f, n) for f, n, c in calls if not c]
    assert without == []
    literal = {c[0].value for _, _, c in calls if isinstance(c[0], ast.Constant)}
    assert literal <= set(PROBLEM_CODES), literal - set(PROBLEM_CODES)
    with pytest.raises(ValueError) as info:
        Problem("f.csv", 2, "x", "1", "is odd", code="odd")
    assert str(info.value) == "Problem code 'odd' is not in PROBLEM_CODES"


def test_a_blank_row_in_a_spreadsheet_keeps_the_row_numbers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    folder = write_folder(tmp_path / "data", dialect="xlsx")
    wb = load_workbook(folder / "schools.xlsx")
    wb.active.insert_rows(3)  # row 3 is now empty; S002 moves to row 4, S003 to row 5
    wb.active["E5"] = "x"
    wb.save(folder / "schools.xlsx")
    assert lines_of(folder) == [
        'schools.xlsx row 5, column round: "x" is not a whole number (expected e.g. 7)'
    ]


def test_a_blank_line_and_a_quoted_newline_keep_csv_row_numbers(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["schools"][0]["name"] = "Bebru\npamatskola"
    tables["schools"][2]["round"] = "x"
    folder = write_folder(tmp_path / "data", tables)
    # the fast path (no blank line): the quoted newline is one spreadsheet row
    assert lines_of(folder) == [
        'schools.csv row 4, column round: "x" is not a whole number (expected e.g. 7)'
    ]
    path = folder / "schools.csv"
    text = path.read_bytes().decode("utf-8-sig").split("\r\n")
    path.write_bytes("\r\n".join([*text[:3], "", *text[3:]]).encode("utf-8"))
    # the exact path (a blank line): the blank line is row 4, S003 is row 5
    assert lines_of(folder) == [
        'schools.csv row 5, column round: "x" is not a whole number (expected e.g. 7)'
    ]


def test_problems_in_every_table_are_reported_together(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["partners"][2]["municipality"] = "Atlantīda"
    tables["schools"][1]["joined_on"] = "31.09.2020"
    tables["support_plans"][2]["grade"] = 9
    tables["expenditures"][6]["amount_eur"] = "-30,00"
    tables["expenditures"][3]["category"] = "Consultations"
    tables["outcomes"][0]["status"] = ""
    folder = write_folder(tmp_path / "data", tables)
    # the consultation row with an unknown category is one problem, not three
    assert lines_of(folder) == [
        f'expenditures.csv row 5, column category: "Consultations" is not one of: {CATEGORIES}',
        "expenditures.csv row 8 (entry_id E7), column corrects_entry_id: " + not_named("-30,00"),
        "outcomes.csv row 2, column status: missing; every row needs a value here",
        f'partners.csv row 4, column municipality: "Atlantīda" {MUNICIPALITY}',
        f'schools.csv row 3, column joined_on: "31.09.2020" {UNREAL}',
        'support_plans.csv row 4, column grade: "9" is not a year of vocational education '
        "(expected 1 to 4)",
    ]


def test_a_table_given_in_a_file_and_in_the_workbook_is_refused(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data", dialect="workbook")
    write_table(folder, "outcomes", valid_tables()["outcomes"], "lv")
    assert lines_of(folder) == [
        "data: table outcomes is given twice (outcomes.csv and data.xlsx sheet outcomes); keep one"
    ]


def test_a_folder_that_does_not_exist(tmp_path: Path) -> None:
    assert lines_of(tmp_path / "nope") == [
        f"{tmp_path / 'nope'}: is not a folder; give the data folder"
    ]


def test_an_empty_folder_lists_every_required_table(tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    assert [p.message.split(";")[0] for p in problems_of(tmp_path / "data")] == [
        "table expenditures is missing",
        "table partners is missing",
        "table schools is missing",
        "table support_plans is missing",
    ]


def test_input_error_counts_and_orders_problems() -> None:
    a = Problem("b.csv", 3, "x", "1", "bad")
    b = Problem("a.csv", 10, "y", None, "missing")
    c = Problem("a.csv", None, None, None, "whole file")
    err = InputError([a, b, c, a], max_shown=2)
    assert err.problems == [c, b, a]  # duplicates dropped, file then row
    assert str(err) == (
        "The data has 3 problems; nothing was computed or written:\n"
        "a.csv: whole file\n"
        "a.csv row 10, column y: missing\n"
        "... and 1 more"
    )
    assert str(InputError([a])).startswith("The data has 1 problem; ")
    assert str(Problem("f.csv", None, "kind", None, "is odd")) == "f.csv column kind: is odd"


# ---------------------------------------------------------------------------
# Bugs found while writing these tests: each asserts the behaviour the contract wants
# ---------------------------------------------------------------------------
def test_a_corrupt_workbook_is_a_problem_not_a_crash(tmp_path: Path, monkeypatch) -> None:
    """find_sources opens data.xlsx outside read_folder's guard: BadZipFile escapes."""
    folder = write_folder(tmp_path / "data")
    (folder / "data.xlsx").write_bytes(b"this is not a spreadsheet")
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    assert lines_of(folder) == [
        "data.xlsx: is not an Excel .xlsx workbook; save it again as CSV, XLSX or Parquet"
    ]
    code, _, stderr = cli_validate(folder)
    assert code == 2
    assert "data.xlsx: is not an Excel .xlsx workbook" in stderr
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("table", "index", "column", "value", "row"),
    [
        ("expenditures", 0, "amount_eur", "123456789012345678901234,00", 2),
        ("partners", 1, "allocation_eur", "99999999999999999999", 3),
        ("support_plans", 0, "grade", "99999999999999999999", 2),
        ("schools", 2, "round", "123456789012345678901", 4),
        ("partners", 0, "agreement_date", "22.11.3019", 2),
        ("expenditures", 1, "paid_on", "05.02.0202", 3),
    ],
    ids=["huge-amount", "huge-allocation", "huge-grade", "huge-round", "year-3019", "year-0202"],
)
def test_an_absurd_number_or_year_is_a_problem_not_a_crash(
    table: str, index: int, column: str, value: str, row: int, tmp_path: Path
) -> None:
    """Overflowing integers and dates outside pandas' datetime64[ns] range used to crash
    load_data (OverflowError, TypeError, OutOfBoundsDatetime) instead of being reported."""
    tables = valid_tables()
    tables[table][index][column] = value
    tables["expenditures"][2]["amount_eur"] = "12.5.0"  # and the rest is still reported
    problems = problems_of(write_folder(tmp_path / "data", tables))
    where = [(p.file, p.row, p.column, p.value) for p in problems]
    assert where == sorted(
        [
            (f"{table}.csv", row, column, value),
            ("expenditures.csv", 4, "amount_eur", "12.5.0"),
        ],
        key=lambda w: (w[0], w[1]),
    )
    code, _, _ = cli_validate(tmp_path / "data")
    assert code == 2


@pytest.mark.parametrize("written", ["12 50", "1 23,00", "12 345 6,00", "12€50"])
def test_a_space_inside_an_amount_is_not_silently_dropped(written: str, tmp_path: Path) -> None:
    """BUG: parse_money deletes every space before matching, so a mistyped "12 50" is read
    as 1 250,00 EUR (100 times the amount) instead of being refused. Only a thousands
    separator (a space or no-break space before each group of exactly three digits) may
    be dropped."""
    tables = valid_tables()
    tables["expenditures"][0]["amount_eur"] = written
    assert lines_of(write_folder(tmp_path / "data", tables)) == [
        f'expenditures.csv row 2, column amount_eur: "{written}" {MONEY_HINT}'
    ]


# ---------------------------------------------------------------------------
# The vectorised parsers
# ---------------------------------------------------------------------------
def _cents(values: list[str]) -> list[object]:
    parsed, _ = parse_money(pd.Series(values, dtype="str"))
    return parsed.tolist()


def test_parse_money_exact_values() -> None:
    assert _cents(["70,00", "70.00", "70", "12,5", "0,1", "0,2", "1 234,56", "1\u00a0234,56"]) == [
        7000,
        7000,
        7000,
        1250,
        10,
        20,
        123456,
        123456,
    ]
    assert _cents(["12,50 €", "€12.50", "12,50 EUR", "+3,00", "-3,00"]) == [
        1250,
        1250,
        1250,
        300,
        -300,
    ]
    assert sum(_cents(["0,1", "0,2"])) == 30  # no 0.30000000000000004


def test_parse_money_flags_each_bad_cell_once() -> None:
    values = pd.Series(["12.5.0", "12,505", "1,234.56", "abc", "12,50"], dtype="str")
    parsed, bads = parse_money(values)
    assert parsed.isna().tolist() == [True, True, True, True, False]
    assert [b.message for b in bads] == [MONEY_HINT, DECIMALS]
    assert bads[0].mask.tolist() == [True, False, True, True, False]
    assert bads[1].mask.tolist() == [False, True, False, False, False]


def _written(cents: int, dialect: str, thousands: str) -> str:
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    groups = f"{whole:,}".replace(",", thousands)
    return f"{sign}{groups}{',' if dialect == 'lv' else '.'}{frac:02d}"


@settings(deadline=None)
@given(
    cents=st.integers(min_value=-(10**13), max_value=10**13),
    dialect=st.sampled_from(["lv", "plain"]),
    thousands=st.sampled_from(["", " ", "\u00a0"]),
)
def test_parse_money_round_trips_any_cents_value(cents: int, dialect: str, thousands: str) -> None:
    if dialect == "plain" and thousands:
        thousands = ""  # plain CSV writes no thousands separator
    assert _cents([_written(cents, dialect, thousands)]) == [cents]


@settings(deadline=None)
@given(day=st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 12, 31)))
def test_parse_date_round_trips_both_forms(day: dt.date) -> None:
    values = pd.Series([day.strftime("%d.%m.%Y"), day.isoformat()], dtype="str")
    parsed, bads = parse_date(values)
    assert parsed.tolist() == [pd.Timestamp(day), pd.Timestamp(day)]
    assert not any(b.mask.any() for b in bads)


def test_parse_month_accepts_the_forms_a_spreadsheet_gives() -> None:
    values = pd.Series(["2020-03", "2020-3", "2020-03-01", "03.2020", "01.03.2020"], dtype="str")
    parsed, bads = parse_month(values)
    assert parsed.tolist() == ["2020-03"] * 5
    assert not bads[0].mask.any()


def test_money_in_cents_stays_exact_through_the_whole_load(tmp_path: Path) -> None:
    tables = valid_tables()
    for i, amount in enumerate(["0,1", "0,2", "0,3"]):
        tables["expenditures"][i]["amount_eur"] = amount
    ds = load_data(write_folder(tmp_path / "data", tables))
    assert ds.expenditures["amount_cents"].iloc[:3].sum() == 60
    assert Decimal(int(ds.expenditures["amount_cents"].iloc[:2].sum())) / 100 == Decimal("0.3")


_CELL = st.text(alphabet=st.sampled_from(list("aā§é \t\n\r\x00\x1b\x7f\x85\x9f\xa0€1")), max_size=6)


@settings(max_examples=300, deadline=None)
@given(cells=st.lists(_CELL, min_size=1, max_size=8), start=st.integers(0, 3), text=st.booleans())
def test_the_byte_look_never_hides_a_control_character_from_the_regex(cells, start, text):
    """`_may_hold_control` lets a column skip the regex only when the regex would find
    nothing: Arrow-held, sliced (its buffer holds other rows' bytes too) or not."""
    from pumpurs.core.validate import CONTROL_RE, TEXT_CONTROL_RE, _may_hold_control

    pattern = TEXT_CONTROL_RE if text else CONTROL_RE
    for column in (
        pd.Series(cells, dtype="string[pyarrow]").iloc[start:],
        pd.Series(cells, dtype=object).iloc[start:],
    ):
        found = bool(column.str.contains(pattern, regex=True).any()) if len(column) else False
        if found:
            assert _may_hold_control(column, allow_breaks=text)


def test_the_byte_look_lets_plain_latvian_text_skip_the_regex():
    from pumpurs.core.validate import _may_hold_control

    plain = pd.Series(["Ādažu novads", "E0001", "ēšana\tun\nlīdz"], dtype="string[pyarrow]")
    assert not _may_hold_control(plain, allow_breaks=True)
    assert _may_hold_control(plain, allow_breaks=False)  # the tab and line break in an id
    assert _may_hold_control(plain.astype(object), allow_breaks=True)  # not Arrow: the regex
