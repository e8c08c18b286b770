"""Issue 22, part 3: the municipal report's corrections list, its words and its indicators,
in memory (a tiny world through the real rules, report and view)."""

from __future__ import annotations

import datetime as dt
import re

from openpyxl import load_workbook

from factory import entry, plan, world
from pumpurs.core.calendar import parse_period
from pumpurs.core.rules import judge
from pumpurs.present import report_view as view
from pumpurs.present.messages import finding_messages
from pumpurs.report.municipality import municipality_report

NAME = "Aizkraukles novads"
RAW_SEMESTER = re.compile(r"\d{4}/\d{4}-[12]")
RAW_MONTH = re.compile(r"\b\d{4}-\d{2}\b|\b\d{2}\.\d{4}\b")  # 2023-12, 12.2023
RAW_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b|\b\d{4}-\d{2}-\d{2}\b")


def _report(rows, plans=None, period="2020-H1", as_of=None, **kw):
    j = judge(world(rows, plans, **kw), _programme(), as_of=as_of)
    return municipality_report(j, _programme(), NAME, parse_period(period))


def _programme():
    from pumpurs.core.settings import load_programme

    return load_programme(None)


def _tables(html: str) -> list[tuple[str, list[str], list[list[str]]]]:
    """(caption, headers, rows of cell texts) of every table in `html`."""
    out = []
    for t in re.findall(r"<table.*?</table>", html, flags=re.S):
        caption = re.findall(r"<caption>(.*?)</caption>", t, flags=re.S)
        heads = [re.sub("<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", t, re.S)]
        body = re.findall(r"<tbody>(.*?)</tbody>", t, flags=re.S)
        rows = [
            [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)]
            for tr in re.findall(r"<tr[^>]*>(.*?)</tr>", body[0] if body else "", flags=re.S)
        ]
        out.append((caption[0] if caption else "", heads, rows))
    return out


# ---------------------------------------------------------------------------- item 1
def test_a_cap_of_a_semester_shows_its_semester_in_the_annex():
    """Rīga: 36 of 483 error rows (caps per pupil and semester) had an empty month."""
    r = _report([entry(category="personal_items", amount_eur="30.00")])  # cap 25.00 a semester
    (caption, heads, rows), *_ = _tables(view.findings_rows(r, "lv").data)
    assert caption == "Kokneses novads (P1): riskam pakļauts 5,00\u00a0€"
    assert heads[0] == "Mēnesis vai semestris"
    assert rows == [
        [
            "2019./2020. m. g. 2. semestris",
            "E1",
            "Individuālās lietošanas priekšmeti",
            "Pārsniegts individuālās lietošanas priekšmetu limits",
            "5,00\u00a0€",
            "Samaziniet summas līdz limitam.",
        ]
    ]


def test_late_plans_are_listed_as_warnings_without_money():
    late = [plan(created="2020-03-20")]  # more than 30 days after 1 January 2020
    r = _report([entry(service_month="2020-04", paid_on="2020-05-10")], late)
    assert list(r.findings["severity"]) == ["warning", "warning"]
    tables = _tables(view.findings_rows(r, "lv").data)
    assert tables == [
        (
            "Kokneses novads (P1): brīdinājumi (nav riskam pakļautas summas)",
            ["Mēnesis vai semestris", "Skolas kods", "Skolēns (pseidonīms)", "Noteikums",
             "Kas jālabo"],
            [["", "", "", "Finansējuma apguves risks",
              "Pārplānojiet izdevumus līdz projekta beigām."],
             ["2019./2020. m. g. 2. semestris", "S1", "st1", "Atbalsta plāns izveidots novēloti",
              "Izveidojiet plānus semestra sākumā."]],
        )
    ]  # fmt: skip


def test_every_error_row_is_in_the_annex_as_page_1_says():
    """Rīga's annex said "Parādīti 50 no 429" while page 1 said every finding is in it."""
    rows = [entry(amount_eur=f"{10 + i}.00", document_ref=f"D{i}") for i in range(60)]
    r = _report(rows, plans=[])
    html = view.findings_rows(r, "lv").data
    (caption, _heads, shown), *_ = _tables(html)
    assert (r.findings["severity"] == "error").sum() == 60
    assert sorted(row[1] for row in shown) == sorted(f"E{i}" for i in range(1, 61))
    assert "Parādīti" not in html
    assert "pielikumā „Labojamās rindas”" in view.top_fixes(r, "lv").data


def test_no_main_correction_of_nothing_and_each_names_its_partner():
    """A row before the agreement, before its school joined and without a plan is at risk
    once (ELIG_AGREEMENT); its other two findings are 0,00 € and no main correction."""
    r = _report([entry(service_month="2019-10", paid_on="2019-11-05", amount_eur="12.00")],
                plans=[], period="2019-H2")  # fmt: skip
    assert list(r.top_fixes["rule"]) == ["ELIG_AGREEMENT"]
    assert list(r.top_fixes["at_risk_cents"]) == [1200]
    # every line stays counted where privacy needs a rule's lines to add up
    assert sorted(r.fix_counts["rule"]) == ["ELIG_AGREEMENT", "ELIG_NO_PLAN", "ELIG_SCHOOL_JOINED"]
    items = re.findall(r"<li>(.*?)</li>", view.top_fixes(r, "lv").data, flags=re.S)
    assert items == [
        "Kokneses novads (P1): Pirms sadarbības līguma — 1 konstatējums, riskam pakļauti "
        "12,00\u00a0€. Izņemiet mēnešus pirms līguma."
    ]


# ---------------------------------------------------------------------------- item 2
def test_messages_name_months_semesters_and_dates_in_words():
    programme = _programme()
    j = judge(
        world([entry(service_month="2019-10", paid_on="2019-11-05", amount_eur="12.00"),
               entry(category="personal_items", amount_eur="30.00", student_id="st2"),
               entry(service_month="2020-04", paid_on="2020-05-10")],
              [plan(created="2020-03-20"), plan(student="st2", created="2020-01-05")]),
        programme,
    )  # fmt: skip
    said: dict[str, str] = {}
    for rule, words in zip(j.findings["rule"], finding_messages(j.findings, programme, "lv"),
                           strict=True):  # fmt: skip
        said.setdefault(rule, words)  # the first of each rule
    assert said["ELIG_AGREEMENT"] == (
        "Ieraksts E1: pakalpojuma mēnesis 2019. gada oktobris ir pirms partnera P1 līguma "
        "(2019. gada 22. novembris); pieprasiet tikai mēnešus no līguma noslēgšanas."
    )
    assert said["ELIG_SCHOOL_JOINED"] == (
        "Ieraksts E1: pakalpojuma mēnesis 2019. gada oktobris ir pirms tam, kad skola S1 "
        "iesaistījās projektā (2019. gada 1. decembris); labojiet mēnesi vai izņemiet rindu."
    )
    assert said["ELIG_NO_PLAN"] == (
        "Ieraksts E1: skolēnam st1 skolā S1 nav individuālā atbalsta plāna 2019./2020. m. g. "
        "1. semestrim, kas izveidots līdz 2019. gada 31. oktobrim; pievienojiet plānu vai "
        "labojiet rindu."
    )
    assert said["PLAN_LATE"] == (
        "Plāns PL1 skolēnam st1 skolā S1 izveidots 2020. gada 20. martā, vairāk nekā 30 dienas "
        "pēc 2019./2020. m. g. 2. semestra sākuma; plāni jāizveido semestra sākumā."
    )
    assert said["CAP_PERSONAL_ITEMS"].startswith(
        "Skolēns st2, 2019./2020. m. g. 2. semestris: individuālās lietošanas priekšmeti kopā"
    )
    for message in said.values():
        assert not RAW_SEMESTER.search(message), message
        assert not RAW_MONTH.search(message), message
        assert not RAW_DATE.search(message), message


def test_no_raw_semester_in_any_output_and_plural_sheet_names(tmp_path):
    rows = [
        entry(service_month="2020-02", paid_on="2020-03-10", amount_eur="5.00", student_id="st2")
    ]  # no plan: ELIG_NO_PLAN, its message names a semester
    r = _report(rows)  # fmt: skip
    view.export(r, str(tmp_path), "lv")
    csv_text = (tmp_path / "findings.csv").read_bytes().decode("utf-8-sig")
    assert "2019./2020. m. g. 2. semestrim" in csv_text
    wb = load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == [
        "Galvenie rādītāji", "Partneri", "Izdevumi pa kategorijām", "Izdevumi pa skolām",
        "Izdevumi pa semestriem", "Konstatējumi", "Rādītāji", "Labojamās rindas",
    ]  # fmt: skip
    cells = [str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True)
             for c in row if c is not None]  # fmt: skip
    shown = [csv_text, view.findings_rows(r, "lv").data, *cells]
    for words in shown:
        assert not RAW_SEMESTER.search(words), RAW_SEMESTER.search(words)
    for words in ("Neattiecināms", "Riskam pakļautie"):
        assert all(words not in s for s in shown), words


# ---------------------------------------------------------------------------- item 3
def test_a_late_plan_after_the_end_speaks_of_a_closed_programme(tmp_path):
    plans = [plan(semester="2023/2024-1", created="2023-11-01")]  # PLAN_LATE
    rows = [entry(service_month="2023-11", paid_on="2023-12-01", amount_eur="20.00")]
    r = _report(rows, plans, period="2023-H2", as_of=dt.date(2023, 12, 31))
    assert r.standing is not None and r.standing.ended
    view.export(r, str(tmp_path), "lv")
    csv_text = (tmp_path / "findings.csv").read_bytes().decode("utf-8-sig")
    annex = view.findings_rows(r, "lv").data
    for said in (csv_text, annex):
        assert "plāni jāizveido semestra sākumā" not in said
        assert "Izveidojiet plānus semestra sākumā" not in said
    assert (
        "Plāns PL1 skolēnam st1 skolā S1 izveidots 2023. gada 1. novembrī, vairāk nekā 30 dienas "
        "pēc 2023./2024. m. g. 1. semestra sākuma; programma ir beigusies: pievienojiet "
        "paskaidrojumu par novēloto plānu."
    ) in csv_text
    assert "Programma ir beigusies: pievienojiet paskaidrojumu par novēloto plānu." in annex


# ---------------------------------------------------------------------------- item 4
def test_every_school_year_with_data_and_no_empty_target(tmp_path):
    """Aizkraukles 2023-H2 showed four of seven school years: 1 435 of its 2 148 plans."""
    semesters = [("2019/2020-2", "2020-01-10"), ("2020/2021-1", "2020-09-02"),
                 ("2021/2022-1", "2021-09-02"), ("2022/2023-1", "2022-09-02"),
                 ("2023/2024-1", "2023-09-02")]  # fmt: skip
    plans = [plan(semester=s, created=c) for s, c in semesters]
    rows = [entry(service_month="2023-10", paid_on="2023-11-02")]
    r = _report(rows, plans, period="2023-H2", as_of=dt.date(2023, 12, 31))
    (_caption, heads, body), *_ = _tables(view.indicators(r, "lv", r.programme).data)
    years = ["2019/2020", "2020/2021", "2021/2022", "2022/2023", "2023/2024"]
    assert heads == ["Rādītājs", *years, "Kopš projekta sākuma"]
    plans_row = next(row for row in body if row[0] == "Individuālie atbalsta plāni")
    assert plans_row[1:] == ["1", "1", "1", "1", "1", "5"]
    assert not any("Mērķis" in h for h in heads)
    view.export(r, str(tmp_path), "lv")
    ws = load_workbook(tmp_path / "report.xlsx")["Rādītāji"]
    sheet = list(ws.iter_rows(values_only=True))
    assert sheet[0] == ("Rādītājs", "Periods", "Vērtība")
    assert "Iesaistītās pašvaldības" not in {row[0] for row in sheet}
    assert sorted({row[1] for row in sheet[1:]}) == [*years, "Kopš projekta sākuma"]


def test_the_semester_table_names_semesters_in_words():
    """The PDF's "Izdevumi pa semestriem" said "2019/20 2. sem."; a chart's axis may."""
    r = _report([entry(service_month="2020-02", paid_on="2020-03-10")])
    (_caption, _heads, body), *_ = _tables(view.by_semester(r, "lv").data)
    assert [row[0] for row in body] == ["2019./2020. m. g. 2. semestris", "Kopā"]
