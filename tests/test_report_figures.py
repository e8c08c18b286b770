"""A report's figures, in memory: every table of a scope carries the same ESF as page 1."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from openpyxl import load_workbook

from factory import entry, plan, world
from pumpurs.core.calendar import parse_period
from pumpurs.core.rules import judge
from pumpurs.present import overview_view
from pumpurs.present import report_view as view
from pumpurs.report.municipality import municipality_report
from pumpurs.report.overview import programme_overview


@pytest.fixture(scope="module")
def two_halves(programme):
    """Two rows of 0.10 € (0.085 ESF each): one in 2020-H2, one in 2021-H1."""
    plans = [plan(semester="2020/2021-1", created="2020-09-02"),
             plan(semester="2020/2021-2", created="2021-01-04")]  # fmt: skip
    rows = [
        entry(service_month="2020-09", paid_on="2020-10-05", amount_eur="0.10"),
        entry(service_month="2021-01", paid_on="2021-02-05", amount_eur="0.10"),
    ]
    return judge(world(rows, plans), programme)


def test_the_judged_ledger_carries_each_row_s_esf(two_halves):
    # the partner's 0.17 € split 0.09 + 0.08: the cent to the smaller entry_id
    assert two_halves.ledger[["entry_id", "esf_cents"]].values.tolist() == [["E1", 9], ["E2", 8]]


def test_the_half_year_s_esf_is_the_semester_row_s_esf(two_halves, programme):
    """Rīga 2021-H1: 564 905,77 € on page 1 against 564 905,76 € on the semester row that
    holds the same rows. Worked out again on the half-year's rows, 0.085 was 0.09."""
    r = municipality_report(two_halves, programme, "Aizkraukles novads", parse_period("2021-H1"))
    figures = r.key_figures.set_index("figure")
    semester = r.by_semester.set_index("semester").loc["2020/2021-2"]
    assert figures.loc["esf", "period_cents"] == semester["esf_cents"] == 8
    assert figures.loc["state", "period_cents"] == semester["state_cents"] == 2
    assert figures.loc["esf", "cumulative_cents"] == r.totals["semester"]["esf_cents"] == 17


def test_the_first_esf_table_says_why_a_row_may_differ_by_a_cent(two_halves, programme):
    r = municipality_report(two_halves, programme, "Aizkraukles novads", parse_period("2021-H1"))
    for lang, words in (
        ("lv", "var atšķirties no tā attiecināmās summas × 85\u00a0% par centu vai diviem"),
        ("en", "may differ from its eligible amount × 85% by a cent or two"),
    ):
        html = view.key_figures(r, lang, programme).data
        assert html.index("</table>") < html.index(words)


def test_the_workbook_holds_numbers_and_prints_on_a4(two_halves, programme, tmp_path):
    """The key-figures sheet stored '88,8 %', '1 032' and '2 148' as text; every sheet now
    holds numbers in number formats and prints on A4, fitted to the width, header repeated."""
    r = municipality_report(two_halves, programme, "Aizkraukles novads", parse_period("2021-H1"))
    view.export(r, str(tmp_path), "lv")
    wb = load_workbook(tmp_path / "report.xlsx")
    rows = list(wb["Galvenie rādītāji"].iter_rows())
    assert [c.value for c in rows[0]] == [
        "Rādītājs", "Pusgads", "Kopš projekta sākuma", "Daļa", "Skaits"
    ]  # fmt: skip
    by_name = {row[0].value: row for row in rows[1:]}
    absorption = by_name["Apguve"][3]
    assert absorption.value == pytest.approx(20 / 10_000_000)
    assert "%" in absorption.number_format
    assert by_name["Atbalstītie skolēni"][4].value == 1
    assert by_name["Individuālie atbalsta plāni"][4].value == 2
    assert by_name["ESF"][1].value == 0.08 and by_name["ESF"][2].value == 0.17
    numeric_text = re.compile(r"^[\d\s\u00a0.,]+(%|€)?$")
    for ws in wb.worksheets:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                assert not (isinstance(cell.value, str) and numeric_text.match(cell.value)), (
                    ws.title,
                    cell.coordinate,
                    cell.value,
                )
        assert ws.page_setup.paperSize == 9, ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage, ws.title
        assert ws.page_setup.fitToWidth in (None, 1), ws.title  # 1 page wide (the default)
        assert ws.page_setup.fitToHeight == 0, ws.title  # as many pages down as it takes
        assert ws.print_title_rows == "$1:$1", ws.title


def test_semesters_are_in_words_in_the_workbook_and_findings_csv(programme, tmp_path):
    """A person's CSV and workbook said `2019/2020-2`; they name the semester in words."""
    rows = [entry(category="personal_items", amount_eur="30.00")]  # cap 25.00 a semester
    j = judge(world(rows), programme)
    r = municipality_report(j, programme, "Aizkraukles novads", parse_period("2020-H1"))
    view.export(r, str(tmp_path), "lv")
    csv_text = (tmp_path / "findings.csv").read_bytes().decode("utf-8-sig")
    assert ";2019./2020. m. g. 2. semestris;" in csv_text
    assert ";2019/2020-2;" not in csv_text
    wb = load_workbook(tmp_path / "report.xlsx")
    cells = [c for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row]
    assert "2019./2020. m. g. 2. semestris" in cells
    assert "2019/2020-2" not in cells and "2019/20 2. sem." not in cells


def test_a_report_to_file_says_so_and_has_lines_to_sign(two_halves, programme):
    r = municipality_report(two_halves, programme, "Aizkraukles novads", parse_period("2021-H1"))
    title = view.title_block(r, "lv").data
    assert "<th>Paredzēts</th><td>iesniegšanai (skolēni ar pseidonīmiem)</td>" in title
    signature = view.signature(r, "lv").data
    labels = re.findall(r"<div class='line'></div>(.*?)</td>", signature)
    assert labels == ["Sagatavoja (vārds, uzvārds, amats)", "Apstiprināja", "Datums"]
    public = municipality_report(
        two_halves, programme, "Aizkraukles novads", parse_period("2021-H1"), "public"
    )
    assert "<td>publicēšanai (mazi skaiti slēpti)</td>" in view.title_block(public, "lv").data
    assert view.signature(public, "lv").data == ""


PLANNING_AHEAD = (
    "plānojiet izdevumus", "Pārplānojiet", "pārplānojiet", "Groziet līgumu", "groziet līgumu",
    "līdz projekta beigām sasniegs", "Izveidojiet plānus semestra sākumā", "Apguve jāuzmana",
)  # fmt: skip


def test_after_the_end_every_output_speaks_of_a_closed_programme(programme, tmp_path):
    """2023-H2: findings.csv and report.xlsx still said "plānojiet izdevumus" and
    "Pārplānojiet izdevumus"; the PDF "Izveidojiet plānus semestra sākumā", "Groziet
    līgumu" and the verdict "Apguve jāuzmana"."""
    from factory import PARTNERS

    partners = [dict(PARTNERS[0], allocation_eur="10.00"), PARTNERS[1]]
    plans = [plan(semester="2023/2024-1", created="2023-11-01"),  # PLAN_LATE
             plan(student="st2", school="S2", semester="2023/2024-1", created="2023-09-01",
                  grade="2")]  # fmt: skip
    rows = [entry(service_month="2023-11", paid_on="2023-12-01", amount_eur="20.00"),
            entry(partner_id="P2", school_id="S2", student_id="st2", service_month="2023-11",
                  paid_on="2023-12-01", amount_eur="5.00")]  # fmt: skip
    j = judge(world(rows, plans, partners=partners), programme, as_of=dt.date(2023, 12, 31))
    assert set(j.findings["rule"]) == {"PLAN_LATE", "BUDGET_ALLOCATION", "ABSORPTION_RISK"}
    for name in ("Aizkraukles novads", "Rīga"):
        r = municipality_report(j, programme, name, parse_period("2023-H2"))
        out = tmp_path / name
        view.export(r, str(out), "lv")
        shown = [
            view.summary(r, "lv", programme).data,
            view.top_fixes(r, "lv").data,
            view.findings_rows(r, "lv").data,
            view.next_steps(r, "lv").data,
            (out / "findings.csv").read_bytes().decode("utf-8-sig"),
        ]
        wb = load_workbook(out / "report.xlsx")
        shown += [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
                  for c in row if c is not None]  # fmt: skip
        said = "\n".join(shown)
        assert "Programma ir beigusies" in said, name
        for words in PLANNING_AHEAD:
            assert words not in said, (name, words)
    o = programme_overview(j, programme, parse_period("2023-H2"))
    overview_view.overview_export(o, str(tmp_path / "overview"), "lv")
    wb = load_workbook(tmp_path / "overview" / "report.xlsx")
    said = "\n".join(
        [
            view.summary(o, "lv", programme).data,
            overview_view.overview_needs_action(o, "lv", programme).data,
            *(str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
              for c in row if c is not None),
        ]
    )  # fmt: skip
    assert "Programma ir beigusies, un apguve ir galīga" in said
    for words in (*PLANNING_AHEAD, "Vispirms pašvaldības, kuru apguve ir ārpus"):
        assert words not in said, ("overview", words)


def test_the_title_keeps_the_half_year_on_one_line(two_halves, programme):
    """Aizkraukles 2023-H2: the title broke before "pusgads", leaving it alone."""
    r = municipality_report(two_halves, programme, "Aizkraukles novads", parse_period("2021-H1"))
    title = re.findall(r"<h1>(.*?)</h1>", view.title_block(r, "lv").data)[0]
    assert title == "Aizkraukles novads — PuMPuRS pārskats: 2021.\u00a0gada\u00a01.\u00a0pusgads"
