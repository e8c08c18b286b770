"""Changes since the previous report (rules.md): the earlier half-year's figures as then
and as now from two judgements of the same data, and why they moved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest

from factory import correction, entry, plan, world
from pumpurs.core.calendar import parse_period
from pumpurs.core.rules import judge
from pumpurs.core.settings import load_programme
from pumpurs.present import changes_view, overview_view
from pumpurs.present import report_view as view
from pumpurs.report.changes import (
    BEFORE_START,
    NATIONAL,
    NO_EARLIER,
    changes_all,
    changes_of,
    judge_previous,
    previous_period,
    risk_rows,
)
from pumpurs.report.municipality import municipality_report
from pumpurs.report.overview import programme_overview

PROGRAMME = load_programme(None)
TOWN = "Aizkraukles novads"
PERIOD = parse_period("2020-H2")  # compared with 2020-H1, as of 2020-06-30


def _data():
    """Known on 2020-06-30: E1 (2019-12, 7.00), E2 40.00, E3 60.00, E4/E5 a duplicate of
    5.00 (E5 at risk). Since: E6 20.00 for a pupil without a plan and E7 30.00 over the
    April meals cap of 70.00, both paid late for the first half-year; a credit note of
    15.00 for E2 and a full one for E5 (the duplicate is gone); E8 a row of the
    half-year itself."""
    plans = [
        plan(student="st1", semester="2019/2020-1", created="2019-12-01"),
        plan(student="st1", semester="2019/2020-2", created="2020-01-10"),
        plan(student="st1", semester="2020/2021-1", created="2020-09-05"),
    ]
    entries = [
        entry(entry_id="E1", service_month="2019-12", paid_on="2019-12-20", amount_eur="7.00"),
        entry(entry_id="E2", service_month="2020-03", paid_on="2020-04-01", amount_eur="40.00"),
        entry(entry_id="E3", service_month="2020-04", paid_on="2020-05-01", amount_eur="60.00"),
        entry(entry_id="E4", service_month="2020-05", paid_on="2020-05-01", amount_eur="5.00",
              document_ref="DUP-1"),
        entry(entry_id="E5", service_month="2020-05", paid_on="2020-05-02", amount_eur="5.00",
              document_ref="DUP-1"),
        entry(entry_id="E6", student_id="st2", service_month="2020-05", paid_on="2020-08-05",
              amount_eur="20.00"),
        entry(entry_id="E7", service_month="2020-04", paid_on="2020-07-10", amount_eur="30.00"),
        correction("E2", "-15.00", entry_id="C1", paid_on="2020-09-01", service_month="2020-03"),
        correction("E5", "-5.00", entry_id="C2", paid_on="2020-08-01", service_month="2020-05"),
        entry(entry_id="E8", service_month="2020-09", paid_on="2020-10-01", amount_eur="10.00"),
    ]  # fmt: skip
    return world(entries, plans)


@pytest.fixture(scope="module")
def judged():
    now = judge(_data(), PROGRAMME, PERIOD.end_date)
    then = judge_previous(now, PERIOD)
    return now, then, changes_all(now, then, PERIOD)


def _figures(c) -> dict[str, tuple[int, ...]]:
    return {row.figure: tuple(row[1:]) for row in c.figures.itertuples(index=False)}


def test_the_earlier_figures_as_then_and_as_now_to_the_cent(judged) -> None:
    *_, found = judged
    c = found[TOWN]
    assert c.compared and c.previous == parse_period("2020-H1")
    assert c.then == dt.date(2020, 6, 30) and c.now == dt.date(2020, 12, 31)
    f = _figures(c)
    # half-year then, now, diff; to its end then, now, diff
    assert f["declared"] == (11000, 14000, 3000, 11700, 14700, 3000)
    assert f["corrected"] == (0, 2000, 2000, 0, 2000, 2000)
    assert f["at_risk"] == (500, 4000, 3500, 500, 4000, 3500)
    assert f["eligible"] == (10500, 10000, -500, 11200, 10700, -500)
    assert f["allocation"][3:] == (10000000, 10000000, 0)
    assert f["esf"] == (8925, 8500, -425, 9520, 9095, -425)


def test_as_then_equals_the_previous_reports_own_key_figures(judged) -> None:
    """The previous half-year's report rendered from the same data says, to the cent,
    what the comparison calls "then" — for the municipality and for the programme."""
    now, then, found = judged
    earlier = judge(_data(), PROGRAMME, dt.date(2020, 6, 30))
    own = municipality_report(earlier, PROGRAMME, TOWN, previous_period(PERIOD)).key_figures
    c = found[TOWN].figures.set_index("figure")
    own = own.set_index("figure")
    for figure in own.index:
        assert c.loc[figure, "half_then_cents"] == own.loc[figure, "period_cents"], figure
        assert c.loc[figure, "cum_then_cents"] == own.loc[figure, "cumulative_cents"], figure
    nat = programme_overview(earlier, PROGRAMME, previous_period(PERIOD)).key_figures
    n = found[NATIONAL].figures.set_index("figure")
    for row in nat.itertuples():
        assert n.loc[row.figure, "half_then_cents"] == row.period_cents
        assert n.loc[row.figure, "cum_then_cents"] == row.cumulative_cents


def test_why_late_rows_and_corrections_paid_since_add_up(judged) -> None:
    *_, found = judged
    r = found[TOWN].reasons.set_index("reason")
    assert r.loc["late_rows", "half_cents"] == 5000 and r.loc["late_rows", "half_rows"] == 2
    assert r.loc["corrections_since", "cum_cents"] == -2000
    assert r.loc["corrections_since", "cum_rows"] == 2
    assert r.loc["declared", "cum_cents"] == 3000
    assert r.loc["risk_up", "cum_cents"] == 4000 and r.loc["risk_down", "cum_cents"] == -500
    assert r.loc["at_risk", "cum_cents"] == 3500
    assert r.loc["eligible", "cum_cents"] == -500
    f = found[TOWN].figures.set_index("figure")
    for scope in ("half", "cum"):  # each explained move is the figure's move
        for figure in ("declared", "at_risk", "eligible"):
            assert r.loc[figure, f"{scope}_cents"] == f.loc[figure, f"{scope}_diff_cents"]


def test_findings_new_and_no_longer_found_by_rule_and_partner(judged) -> None:
    *_, found = judged
    t = found[TOWN].by_rule.set_index("rule")
    assert list(t.index) == ["ELIG_NO_PLAN", "DUPLICATE_CLAIM", "CAP_MEALS"]
    assert set(t["partner_id"]) == {"P1"}
    assert t.loc["ELIG_NO_PLAN"].tolist()[1:] == [1, 0, 0, 2000, 2000]
    assert t.loc["DUPLICATE_CLAIM"].tolist()[1:] == [0, 1, 500, 0, -500]
    assert t.loc["CAP_MEALS"].tolist()[1:] == [1, 0, 0, 2000, 2000]


def test_money_at_risk_by_rule_is_the_findings_money(judged) -> None:
    now, then, _ = judged
    for j in (now, then):
        rows = risk_rows(j).groupby("rule")["cents"].sum()
        f = j.findings[j.findings["at_risk_cents"] > 0].groupby("rule")["at_risk_cents"].sum()
        assert rows.to_dict() == f.to_dict()


def test_a_first_half_year_and_a_time_before_the_programme_have_nothing_to_compare(
    judged,
) -> None:
    *_, found = judged
    assert found["Rīga"].reason == NO_EARLIER  # P2 has no row at all
    early = changes_of(judge(_data(), PROGRAMME, dt.date(2017, 6, 30)), parse_period("2017-H1"))
    assert early.reason == BEFORE_START and early.previous == parse_period("2016-H2")
    r = municipality_report(judged[0], PROGRAMME, TOWN, PERIOD)
    r.changes = early
    html = changes_view.section(r, "lv").data
    assert "pirms programmas sākuma: nav ar ko salīdzināt" in html
    r.changes = found["Rīga"]
    assert "nav ar ko salīdzināt" in changes_view.section(r, "lv").data


def test_the_overview_names_the_municipalities_that_moved(judged) -> None:
    *_, found = judged
    moved = found[NATIONAL].moved
    assert moved["municipality"].tolist() == [TOWN]
    assert moved.iloc[0].tolist()[1:] == [5000, -2000, 3000, 3500, -500]


def _report(judged, audience="internal"):
    now, _, found = judged
    r = municipality_report(now, PROGRAMME, TOWN, PERIOD, audience)
    r.changes = found[TOWN]
    return r


def test_the_section_in_latvian(judged) -> None:
    html = changes_view.section(_report(judged), "lv").data
    assert "2020. gada 30. jūnijā" in html and "2020. gada 31. decembrī" in html
    assert "Vēlāk samaksātas rindas par iepriekšējiem mēnešiem" in html
    assert "+50,00\u00a0€" in html and "-20,00\u00a0€" in html
    assert "Kokneses novads (P1)" in html


def test_public_shows_the_amounts_and_no_count_of_findings(judged) -> None:
    # The release's one suppression does not know these counts: a public report shows
    # none of them (not even suppressed table by table), and says where they are.
    r = _report(judged, "public")
    t = changes_view._rules_shown(r, r.changes, "lv")
    assert "findings_new" not in t.columns and "findings_gone" not in t.columns
    assert t["risk_diff_cents"].tolist() == [2000, -500, 2000, 3500]  # the "Kopā" line too
    html = changes_view.section(r, "lv").data
    assert "Publiskajā pārskatā redzamas tikai summas" in html
    internal = changes_view._rules_shown(_report(judged), r.changes, "lv")
    assert internal["findings_new"].tolist() == [1, 0, 1, 2]
    reasons = changes_view.reasons_table(r, r.changes, "lv")
    assert "Rindas pusgadā" not in reasons.columns


def test_the_workbook_has_the_izmainas_sheet_with_latvian_headers(judged, tmp_path: Path) -> None:
    r = _report(judged)
    view.export(r, str(tmp_path), "lv")
    wb = openpyxl.load_workbook(tmp_path / "report.xlsx")
    assert "Izmaiņas" in wb.sheetnames and "Izmaiņas pēc noteikumiem" in wb.sheetnames
    ws = wb["Izmaiņas"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["Rādītājs", "Pusgadā: toreiz", "Pusgadā: tagad", "Pusgadā: starpība"]
    rows = {row[0]: row for row in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["Deklarēts"][1:4] == (110, 140, 30)


def test_the_overview_workbook_has_it_too(judged, tmp_path: Path) -> None:
    now, _, found = judged
    o = programme_overview(now, PROGRAMME, PERIOD)
    o.changes = found[NATIONAL]
    overview_view.overview_export(o, str(tmp_path), "lv")
    names = openpyxl.load_workbook(tmp_path / "report.xlsx").sheetnames
    assert {"Izmaiņas", "Izmaiņas pēc noteikumiem", "Izmaiņas pa pašvaldībām"} <= set(names)
    html = changes_view.section(o, "lv").data
    assert "Pašvaldības, kuru iepriekšējie skaitļi mainījušies visvairāk" in html


def test_a_report_without_changes_shows_no_section(judged) -> None:
    r = municipality_report(judged[0], PROGRAMME, TOWN, PERIOD)
    assert changes_view.section(r, "lv").data == ""
    assert not changes_view.sheets(r, "lv")
    shown = changes_view.figures_table(judged[2][TOWN], "en")
    assert shown.iloc[0].tolist() == [
        "Allocation",
        "–",
        "–",
        "–",
        "€100,000.00",
        "€100,000.00",
        "€0.00",
    ]


def test_the_analysts_get_the_same_comparison(judged) -> None:
    from pumpurs.api import ProgrammeView

    now, _, found = judged
    view_ = ProgrammeView(now, label="test").municipality(TOWN)
    t = view_.changes()
    assert t["figures"]["figure"].tolist() == found[TOWN].figures["figure"].tolist()
    assert float(t["figures"].set_index("figure").loc["declared", "cum_diff_eur"]) == 30.0
    assert set(t) == {"figures", "reasons", "by_rule"}
    assert "moved" in ProgrammeView(now, label="test").changes()
