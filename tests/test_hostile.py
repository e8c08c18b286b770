"""Hostile and careless input, built from the demo data: each is refused with a message
naming file, row, column and value (exit 2, nothing written), or made harmless.

One test per defect of the hostile-input review; the numbers in the names are its items.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from pumpurs.core.errors import InputError, SettingsError
from pumpurs.core.settings import DEFAULT_PROGRAMME, load_programme
from pumpurs.demo import write_demo
from pumpurs.sources.folder import load_data

PROGRAMME = load_programme()


@pytest.fixture(scope="session")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("demo") / "small"
    write_demo(folder, scale="small", seed=1)
    return folder


@pytest.fixture
def data(demo: Path, tmp_path: Path) -> Path:
    """A fresh copy of the small demo to spoil."""
    copy = tmp_path / "data"
    shutil.copytree(demo, copy)
    (copy / "expected_findings.csv").unlink()
    return copy


def _read(path: Path) -> tuple[list[str], str]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1257"):
        try:
            return raw.decode(encoding).split("\n"), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError(path)


def set_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """Write `value` verbatim into a CSV cell (row as the user sees it: header = 1)."""
    path = folder / f"{table}.csv"
    lines, encoding = _read(path)
    sep = ";" if ";" in lines[0] else ","
    header = lines[0].rstrip("\r").split(sep)
    cells = lines[row - 1].rstrip("\r").split(sep)
    cells[header.index(column)] = value
    lines[row - 1] = sep.join(cells)
    text = "\n".join(lines)
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:  # a value Windows-1257 cannot hold: the file becomes UTF-8
        path.write_bytes(text.encode("utf-8-sig"))


def refused(folder: Path) -> list[str]:
    with pytest.raises(InputError) as e:
        load_data(folder, PROGRAMME)
    return [str(p) for p in e.value.problems]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pumpurs.cli", *args], capture_output=True, text=True, timeout=600
    )


# --- 2: markup from the data never runs --------------------------------------------
MARKUP = (
    "<details open ontoggle=alert(1)>x</details><svg onload=alert(2)>"
    '<meta http-equiv=refresh content="0;url=http://example.org"><style>*{display:none}</style>'
)


@pytest.mark.slow
def test_2_markup_in_names_is_shown_as_text_in_html_and_pdf(data: Path, tmp_path: Path) -> None:
    book = openpyxl.load_workbook(data / "data.xlsx")
    sheet = book["partners"]
    for row in sheet.iter_rows(min_row=2):
        row[1].value = f"{row[1].value} {MARKUP}"
    book["schools"]["B2"].value = MARKUP
    book.save(data / "data.xlsx")
    out = tmp_path / "out"
    towns = ("--municipality", "aizkraukles-novads", "--municipality", "riga")
    done = cli("run", str(data), *towns, "--period", "2021-H1", "--out", str(out), "--workers", "2")
    assert done.returncode == 0, done.stderr[-2000:]
    for report in (out / "2021-H1").glob("*/report.html"):
        page = report.read_text(encoding="utf-8")
        for live in (
            "<details",
            "<svg onload",
            "<meta http-equiv=refresh",
            "<style>*{display:none",
        ):
            assert live not in page, (report, live)
    # The PDF of a municipality with such partners still has its pages and its words.
    from pypdf import PdfReader

    kokneses = out / "2021-H1" / "aizkraukles-novads"
    pdf = PdfReader(str(kokneses / "report.pdf"))
    assert len(pdf.pages) > 2
    text = "".join(p.extract_text() or "" for p in pdf.pages)
    assert "ontoggle=alert(1)" in text and "Galvenie rādītāji" in text


# --- 3: formula injection ------------------------------------------------------------
@pytest.mark.parametrize(
    "bad", ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3"]
)
def test_3_ids_that_a_spreadsheet_would_run_are_refused(data: Path, bad: str) -> None:
    set_cell(data, "expenditures", 2, "entry_id", bad)
    assert refused(data) == [
        f'expenditures.csv row 2, column entry_id: "{bad}" starts with a character a spreadsheet '
        "runs as a formula (=, +, -, @); an id starts with a letter or a digit"
    ]


def test_3_free_text_starting_a_formula_is_neutralised_in_every_csv(data: Path) -> None:
    from pumpurs.present.export import safe_cell

    assert safe_cell("=1+1") == "'=1+1" and safe_cell("@x") == "'@x" and safe_cell("a=b") == "a=b"
    book = openpyxl.load_workbook(data / "data.xlsx")
    cell = book["partners"]["B2"]
    cell.value = "=HYPERLINK(1)"  # a partner's name: free text, stored as text
    cell.data_type = "s"
    book.save(data / "data.xlsx")
    done = cli("totals", str(data), "--by", "partner", "--format", "csv")
    assert done.returncode == 0, done.stderr
    assert ",'=HYPERLINK(1)," in done.stdout and ",=HYPERLINK" not in done.stdout


# --- 6: amounts that overflow -----------------------------------------------------------
def test_6_an_amount_above_the_programme_budget_is_refused(data: Path) -> None:
    set_cell(data, "expenditures", 2, "amount_eur", "999999999999999,99")
    assert refused(data) == [
        'expenditures.csv row 2, column amount_eur: "999999999999999,99" is more than the '
        "programme's whole budget (€39,812,376.00); check the amount"
    ]


def test_6_money_in_json_is_exact_decimals(data: Path) -> None:
    set_cell(data, "expenditures", 2, "amount_eur", "39812376,00")
    done = cli("totals", str(data), "--format", "json")
    assert done.returncode == 0, done.stderr
    assert '"declared_eur": ' in done.stdout
    doc = json.loads(done.stdout, parse_float=str)
    assert all(len(v.split(".")[1]) == 2 for k, v in doc["total"].items() if k.endswith("_eur"))


# --- 7: dates outside any sane range ------------------------------------------------------
@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("expenditures", "service_month", "0000-05"),
        ("expenditures", "service_month", "9999-05"),
        ("expenditures", "paid_on", "01.01.1899"),
        ("support_plans", "semester", "0000/0001-1"),
        ("support_plans", "semester", "3000/3001-1"),
    ],
)
def test_7_years_outside_2000_to_2100_are_refused(
    data: Path, table: str, column: str, value: str
) -> None:
    set_cell(data, table, 2, column, value)
    assert refused(data) == [
        f'{table}.csv row 2, column {column}: "{value}" is outside the years 2000–2100 (check the year)'
    ]


# --- 12: report folders that collide --------------------------------------------------------
@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('  - {name: "Riga", code: LV-XXX}', 'municipalities.43.name "Riga" and "Rīga" share the folder name "riga"'),
        ('  - {name: "Overview", code: LV-XXX}', 'municipalities.43.name "Overview" would share the folder "overview"'),
        ('  - {name: "///", code: LV-XXX}', 'municipalities.43.name "///" has no letters or digits for a folder name'),
    ],
)  # fmt: skip
def test_12_municipality_names_that_collide_are_refused(
    tmp_path: Path, entry: str, message: str
) -> None:
    text = DEFAULT_PROGRAMME.read_text(encoding="utf-8").rstrip("\n") + "\n" + entry + "\n"
    path = tmp_path / "programme.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError, match=message.replace(".", r"\.")):
        load_programme(path)


# --- 13: control characters and look-alike digits ----------------------------------------------
@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("E\x001", "E\\x001"),
        ("E\x1b[31m1", "E\\x1b[31m1"),
        ("E\x7f1", "E\\x7f1"),  # DEL
        ("E\x851", "E\\x851"),  # a C1 control (NEL): two bytes in UTF-8, 0xC2 0x85
        ("E\t1", "E\\x091"),  # a tab is not part of an id
    ],
)
def test_13_control_characters_are_refused_and_shown_escaped(
    data: Path, value: str, shown: str
) -> None:
    set_cell(data, "expenditures", 2, "entry_id", value)
    assert refused(data) == [
        f'expenditures.csv row 2, column entry_id: "{shown}" contains a control character; remove it'
    ]


@pytest.mark.parametrize("amount", ["１２,５０", "١٢,٥٠"])
def test_13_only_ascii_digits_are_amounts(data: Path, amount: str) -> None:
    set_cell(data, "expenditures", 2, "amount_eur", amount)
    assert refused(data) == [
        f'expenditures.csv row 2, column amount_eur: "{amount}" is not an amount in EUR '
        "(expected e.g. 12,50 or 12.50)"
    ]


def test_13_letters_that_share_a_first_byte_with_controls_are_kept(data: Path) -> None:
    set_cell(data, "expenditures", 2, "document_ref", "§ 12\u00a0b\tā")  # 0xC2 0xA7, NBSP, tab
    ds = load_data(data, PROGRAMME)
    assert "§ 12\u00a0b\tā" in set(ds.expenditures["document_ref"])


def test_13_a_line_break_in_free_text_is_kept(data: Path) -> None:
    set_cell(data, "expenditures", 2, "document_ref", '"INV\n7"')
    ds = load_data(data, PROGRAMME)
    assert "INV\n7" in set(ds.expenditures["document_ref"])


# --- 1: a quote that does not close never swallows rows silently ---------------------------
def test_1_an_unclosed_quote_in_the_last_column_is_refused(data: Path) -> None:
    set_cell(data, "support_plans", 3, "risk_factors", '"dzīves apstākļi')
    problems = refused(data)
    assert len(problems) == 1
    assert problems[0].startswith('support_plans.csv row 3, column risk_factors: "dzīves apstākļi')
    assert 'opens a quote (") that does not close' in problems[0]


def test_1_an_unclosed_quote_in_a_middle_column_of_a_large_file_is_refused(data: Path) -> None:
    """The rest of the file (far more than the csv module's 128 KB field limit) ends up in
    one cell of a row that is too short: still named as the quote that opened there."""
    set_cell(data, "expenditures", 3, "document_ref", '"ALGA-2017')
    problems = refused(data)
    assert len(problems) == 1
    assert problems[0].startswith('expenditures.csv row 3, column document_ref: "ALGA-2017')
    assert 'opens a quote (") that does not close' in problems[0]


def test_1_the_row_of_an_unclosed_quote_counts_rows_as_excel_does(data: Path) -> None:
    """A quoted line break earlier in the file stays inside its row: the row named is the
    one Excel shows, and the column is the one where the quote opened."""
    set_cell(data, "support_plans", 2, "risk_factors", '"two\nlines"')
    set_cell(data, "support_plans", 5, "risk_factors", '"never closed')  # line 5 = Excel row 4
    problems = refused(data)
    assert len(problems) == 1
    assert problems[0].startswith(
        'support_plans.csv row 4, column risk_factors: "never closed …" opens a quote'
    )


def test_1_a_quote_closed_rows_later_is_refused_where_it_opened(data: Path) -> None:
    """An even number of quotes: the rows between the two fall into one cell of a row of
    the right width, so the reader accepts the file; the cell's lines give it away."""
    set_cell(data, "support_plans", 3, "risk_factors", '"dzīves apstākļi')
    set_cell(data, "support_plans", 6, "risk_factors", 'cits"')
    problems = refused(data)
    assert any(
        p.startswith(
            'support_plans.csv row 3, column risk_factors: "dzīves apstākļi …" opens a quote'
        )
        for p in problems
    ), problems


def test_1_a_quote_inside_a_field_is_a_plain_character(data: Path) -> None:
    set_cell(data, "support_plans", 3, "risk_factors", '12" monitors')
    plans = load_data(data, PROGRAMME).support_plans
    assert '12" monitors' in set(plans["risk_factors"])


# --- 4: files that would hang or exhaust memory -----------------------------------------------
def test_4_a_used_range_to_xfd1048576_reads_only_the_used_cells(data: Path) -> None:
    book = openpyxl.load_workbook(data / "data.xlsx")
    book["schools"]["XFD1048576"].value = None  # the range grows, the cells stay empty
    book["schools"].cell(row=1048576, column=16384).value = ""
    book.save(data / "data.xlsx")
    ds = load_data(data, PROGRAMME)
    assert len(ds.schools) > 0


def test_4_a_row_after_a_long_gap_is_read_not_lost(data: Path) -> None:
    before = len(load_data(data, PROGRAMME).schools)
    book = openpyxl.load_workbook(data / "data.xlsx")
    sheet = book["schools"]
    last = [c.value for c in sheet[sheet.max_row]]
    sheet.delete_rows(sheet.max_row)
    for column, value in enumerate(last, start=1):
        sheet.cell(row=900_000, column=column).value = value
    book.save(data / "data.xlsx")
    assert len(load_data(data, PROGRAMME).schools) == before


def test_4_rows_of_the_wrong_width_give_a_bounded_list_of_problems(data: Path) -> None:
    path = data / "support_plans.csv"
    lines, _ = _read(path)
    path.write_text(lines[0] + "\n" + "x\n" * 5000, encoding="utf-8")
    problems = refused(data)
    ours = [p for p in problems if p.startswith("support_plans.csv")]
    assert len(ours) == 1001
    assert ours[0] == (  # the file's own line comes first, then its rows
        "support_plans.csv: has 4000 more problems not listed (the first 1000 are); "
        "fix these and run again"
    )
    assert ours[1] == (
        'support_plans.csv row 2: "x" has 1 field but the header has 9; check the separator (,) '
        "and quotes"
    )


def test_4_a_workbook_that_unpacks_too_far_is_refused(data: Path, monkeypatch) -> None:
    from pumpurs.sources import folder

    monkeypatch.setattr(folder, "MAX_UNPACKED", 1000)
    problems = refused(data)
    assert problems == [
        "data.xlsx: unpacks to 0 MB, more than the 0 MB a workbook may have; save its large "
        "tables as CSV or Parquet",
        "outcomes.parquet: unpacks to 0 MB, more than the 0 MB a Parquet table may have; check "
        "that this is the programme's table",
    ]


def test_4_a_file_of_junk_rows_gives_a_bounded_list_of_problems(data: Path) -> None:
    path = data / "expenditures.csv"
    lines, _ = _read(path)
    junk = "\n".join(f"J{i};P999;;;teleport;13-13;x;y;;;;" for i in range(5000))
    path.write_text(lines[0] + "\n" + junk + "\n", encoding="utf-8")
    problems = refused(data)
    assert len(problems) <= 1001
    summary = [p for p in problems if "more problems not listed" in p]
    assert summary and summary[0].startswith("expenditures.csv: has ")


def test_4_an_encrypted_workbook_says_so(data: Path) -> None:
    (data / "data.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)
    assert refused(data) == [
        "data.xlsx: is password-protected or an old .xls workbook; save it without a password "
        "as .xlsx"
    ]


# --- 9: two sources for one table ---------------------------------------------------------------
def test_9_two_files_for_one_table_are_refused_naming_both(data: Path) -> None:
    shutil.copy(data / "expenditures.csv", data / "Expenditures.CSV")
    assert refused(data) == [
        "data: Expenditures.CSV and expenditures.csv both name the file expenditures.csv; keep one"
    ]


def test_9_two_sheets_for_one_table_are_refused_naming_both(data: Path) -> None:
    book = openpyxl.load_workbook(data / "data.xlsx")
    copy = book.copy_worksheet(book["partners"])
    copy.title = "Partners "
    book.save(data / "data.xlsx")
    assert refused(data) == [
        'data.xlsx: sheets "partners" and "Partners " both name the table partners; keep one'
    ]


# --- 14: a folder or a pipe where a table should be ---------------------------------------------
def test_14_a_folder_in_a_tables_place_says_what_it_is(data: Path) -> None:
    (data / "outcomes.parquet").unlink()
    (data / "outcomes.csv").mkdir()
    assert refused(data) == ["outcomes.csv: is a folder; put the table's file here"]


def test_14_a_pipe_in_a_tables_place_says_what_it_is(data: Path) -> None:
    (data / "expenditures.csv").unlink()
    os.mkfifo(data / "expenditures.csv")
    assert refused(data) == [
        "expenditures.csv: is not a regular file (a pipe or device); put the table's file here"
    ]


LINK = (
    "is a link; put a copy of the table's file here (a table is read from the data folder "
    "itself, never through a link to elsewhere)"
)


def test_14_a_symlink_loop_in_a_tables_place_says_what_it_is(data: Path) -> None:
    (data / "expenditures.csv").unlink()
    (data / "expenditures.csv").symlink_to(data / "expenditures.csv")
    assert refused(data) == [f"expenditures.csv: {LINK}"]


def test_14_a_link_to_a_regular_file_is_refused_as_documented(data: Path, tmp_path: Path) -> None:
    """Issue 25 (unclear item): README says links are refused, yet a link to a file was read:
    a link in the data folder could put any file the batch may read into public reports."""
    for name in ("data.xlsx", "support_plans.csv"):
        (data / name).rename(tmp_path / name)
        (data / name).symlink_to(tmp_path / name)
    assert refused(data) == [f"data.xlsx: {LINK}", f"support_plans.csv: {LINK}"]


def test_14_a_formula_without_a_saved_result_says_so(data: Path) -> None:
    book = openpyxl.load_workbook(data / "data.xlsx")
    book["partners"]["F3"] = "=100*2"  # openpyxl, like many scripts, saves no result
    book.save(data / "data.xlsx")
    assert refused(data) == [
        'data.xlsx sheet partners row 3, column allocation_eur: "=100*2" is a formula with no '
        "saved result (the workbook was written without calculating); open it in Excel and "
        "save it, or paste the values"
    ]


def test_14_a_megabyte_row_is_read_or_refused_in_words(data: Path) -> None:
    set_cell(data, "support_plans", 3, "risk_factors", "x" * (1 << 20))
    ds = load_data(data, PROGRAMME)  # a long note is a note, not a reader's error
    assert ds.support_plans["risk_factors"].str.len().max() == 1 << 20


# --- 8: a clear line and exit 2 instead of a traceback ---------------------------------------------
def test_8_an_unreadable_file_message(data: Path, monkeypatch) -> None:
    """Reading raises PermissionError (simulated: CI runs as root, who reads anything)."""
    from pumpurs.sources import folder

    real = folder.sha256_file

    def denied(path: Path) -> str:
        if path.name == "support_plans.csv":
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(folder, "sha256_file", denied)
    assert refused(data) == [
        "support_plans.csv: cannot be opened: permission denied; let this user read the file"
    ]


def test_8_an_out_folder_that_cannot_be_written_is_one_line_and_exit_2(
    data: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the reports folder should be")
    done = cli(
        "run", str(data), "--municipality", "aizkraukles-novads", "--period", "2021-H1",
        "--out", str(blocker / "reports"), "--workers", "1",
    )  # fmt: skip
    assert done.returncode == 2, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "give --out a folder you can write to" in lines[0].lower()


def test_8_a_folder_name_that_is_not_utf8_is_read_and_refused_for_reports(
    data: Path, tmp_path: Path
) -> None:
    odd = Path(os.fsdecode(bytes(tmp_path) + b"/dati-\xe9"))  # written on a Windows-1257 system
    data.rename(odd)
    assert len(load_data(odd, PROGRAMME).partners) > 0  # every reader copes (Parquet too)
    done = cli(
        "run", str(odd), "--municipality", "aizkraukles-novads", "--period", "2021-H1",
        "--out", str(tmp_path / "out"), "--workers", "1",
    )  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.strip().endswith(
        "dati-\\xe9: the name is not valid UTF-8 text; rename the folder (letters such as ā, ē, "
        "ī are fine)"
    )
    assert not (tmp_path / "out").exists()


def test_8_an_unrelated_file_with_a_non_utf8_name_is_left_alone(data: Path, tmp_path: Path) -> None:
    (data / os.fsdecode(b"piez\xeemes.txt")).write_bytes(b"notes")
    done = cli(
        "run", str(data), "--municipality", "aizkraukles-novads", "--period", "2021-H1",
        "--out", str(tmp_path / "out"), "--workers", "1",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "out" / "2021-H1" / "aizkraukles-novads" / "report.pdf").exists()


@pytest.fixture
def small_disk(tmp_path: Path):
    """A real 1 MB file system (tmpfs): room for the judged data (0.3 MB) and one report
    (about 0.5 MB), not three."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small file system here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_8_a_full_disk_mid_batch_keeps_finished_reports_and_a_rerun_completes(
    data: Path, small_disk: Path
) -> None:
    from pumpurs.run.outputs import OUTPUTS

    out = small_disk / "reports"
    call = ["run", str(data), "--period", "2021-H1", "--out", str(out), "--workers", "1"]
    for slug in ("aizkraukles-novads", "madonas-novads", "riga"):
        call += ["--municipality", slug]
    first = cli(*call)
    assert first.returncode in (1, 2), first.stderr[-2000:]
    assert "Traceback" not in first.stderr
    assert "No space left on device" in first.stdout + first.stderr
    names = {o.name for o in OUTPUTS if "municipality" in o.kinds}
    finished = [
        d for d in (out / "2021-H1").iterdir() if d.is_dir() and d.name not in ("_failed", ".locks")
    ]
    for folder in finished:  # whatever is there is whole: no report cut short
        assert {p.name for p in folder.iterdir()} == names, folder
    subprocess.run(["mount", "-o", "remount,size=40m", str(small_disk)], check=True)
    second = cli(*call)
    assert second.returncode == 0, second.stderr[-2000:]
    for slug in ("aizkraukles-novads", "madonas-novads", "riga"):
        assert {p.name for p in (out / "2021-H1" / slug).iterdir()} == names


# --- 10: the cache stays bounded and clean ---------------------------------------------------
def test_10_the_cache_keeps_the_current_and_the_last_judgement_only(tmp_path: Path) -> None:
    import os as _os

    from pumpurs.run import session

    cache = tmp_path / "cache"
    for i, key in enumerate(["old1", "old2", "last", "now"]):
        (cache / key).mkdir(parents=True)
        (cache / key / "_national.pkl").write_bytes(b"x")
        _os.utime(cache / key, (1_000_000 + i, 1_000_000 + i))
    (cache / ".old.cut-short.tmp").mkdir()  # a store whose writer was killed an hour ago
    (cache / ".old.cut-short.tmp" / "ledger.parquet").write_bytes(b"half a table")
    _os.utime(cache / ".old.cut-short.tmp", (1_000_000, 1_000_000))
    (cache / ".now.being-written.tmp").mkdir()  # another kernel is writing it right now
    session.prune_cache(cache, "now", max_age_days=10**6)
    assert sorted(p.name for p in cache.iterdir()) == [".now.being-written.tmp", "last", "now"]


def test_10_an_out_folder_holds_one_audience(tmp_path: Path) -> None:
    """An internal batch caches pupil-level data in <out>/.cache: never beside public
    reports, whatever the period."""
    from pumpurs.core.errors import UsageError
    from pumpurs.run.folders import write_status
    from pumpurs.run.inputs import validate_inputs
    from pumpurs.run.model import RunOptions

    data = tmp_path / "data"
    data.mkdir()
    out = tmp_path / "out"
    (out / "2021-H1").mkdir(parents=True)
    public = type(
        "Inputs",
        (),
        {"period": type("P", (), {"label": "2021-H1"}), "audience": "public", "lang": "lv"},
    )
    write_status(out / "2021-H1", public, {})  # type: ignore[arg-type]
    options = {"data": data, "municipalities": ["Rīga"], "period": "2021-H2", "out": out}
    with pytest.raises(UsageError) as e:
        validate_inputs(RunOptions(**options, audience="internal"))  # type: ignore[arg-type]
    assert str(e.value) == (
        f"{out} holds public reports (2021-H1); write --audience internal reports to another "
        "folder with --out"
    )
    assert validate_inputs(RunOptions(**options)).audience == "public"  # type: ignore[arg-type]


def test_10_a_killed_public_batchs_pupil_data_is_removed_at_the_next_start(tmp_path) -> None:
    import subprocess as _sp
    import tempfile

    from pumpurs.run.batch import PUBLIC_CACHE_PREFIX, remove_stale_public_caches

    gone = _sp.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = Path(tempfile.mkdtemp(prefix=f"{PUBLIC_CACHE_PREFIX}{gone.pid}-"))
    (stale / "riga.pkl").write_bytes(b"pupil-level data")
    alive = Path(tempfile.mkdtemp(prefix=f"{PUBLIC_CACHE_PREFIX}{os.getpid()}-"))
    try:
        remove_stale_public_caches()
        assert not stale.exists() and alive.exists()
    finally:
        shutil.rmtree(alive, ignore_errors=True)
        shutil.rmtree(stale, ignore_errors=True)


# --- 11: data that changes while it is read ------------------------------------------------------
def test_11_data_changed_mid_batch_stops_before_any_report(
    data: Path, tmp_path: Path, monkeypatch
) -> None:
    from pumpurs.core.errors import TemporaryError
    from pumpurs.run import session
    from pumpurs.run.batch import RunOptions, run_batch

    real = session.load_and_judge

    def judge_while_someone_writes(*args, **kwargs):  # the file changes under the batch
        judged = real(*args, **kwargs)
        path = data / "support_plans.csv"
        path.write_bytes(path.read_bytes() + b"\n")
        return judged

    monkeypatch.setattr(session, "load_and_judge", judge_while_someone_writes)
    monkeypatch.setattr("pumpurs.run.batch.READ_WAIT_SECONDS", 0.0)
    out = tmp_path / "out"
    # read again, and again: data that keeps changing is a temporary failure (exit 75)
    with pytest.raises(TemporaryError, match="the data changed while it was being read, 4 "):
        run_batch(
            RunOptions(
                data=data,
                municipalities=["Aizkraukles novads"],
                period="2021-H1",
                out=out,
                workers=1,
                progress=False,
            ),  # fmt: skip
            echo=lambda _line: None,
        )
    assert not list(out.rglob("report.html"))
    assert not [p for p in out.rglob("*") if p.is_file()]  # no judgement stored either
