"""The national overview as the project holder files it: page 1, the tables and report.xlsx
with their "Kopā" lines, reconciled with the key figures (in memory, a two-municipality
world)."""

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
from pumpurs.report.overview import programme_overview

PERIOD = parse_period("2021-H1")


@pytest.fixture(scope="module")
def overview(programme):
    """Aizkraukles novads (P1) and Rīga (P2, a VPIL); pupil st1 has plans in both, one
    row is at risk in the half-year (no plan), two before it."""
    plans = [
        plan(semester="2020/2021-1", created="2020-09-02"),
        plan(semester="2020/2021-2", created="2021-01-04"),
        plan(school="S2", semester="2020/2021-2", created="2021-01-04", grade="2"),
        plan(student="st2", school="S2", semester="2020/2021-2", created="2021-01-04", grade="2"),
    ]
    rows = [
        entry(service_month="2020-09", paid_on="2020-10-05", amount_eur="10.10"),
        entry(service_month="2021-01", paid_on="2021-02-05", amount_eur="20.10"),
        entry(service_month="2021-02", paid_on="2021-03-05", amount_eur="5.00", student_id="st9"),
        entry(partner_id="P2", school_id="S2", service_month="2021-03", paid_on="2021-04-05",
              amount_eur="30.30"),
        entry(partner_id="P2", school_id="S2", student_id="st2", service_month="2021-04",
              paid_on="2021-05-05", amount_eur="0.10"),
        entry(partner_id="P2", school_id="S2", student_id="st2", service_month="2020-10",
              paid_on="2020-11-05", amount_eur="7.00", category="accommodation",
              document_ref="X"),
        entry(partner_id="P2", school_id="S2", student_id="st5", service_month="2020-10",
              paid_on="2020-11-05", amount_eur="3.00"),
    ]  # fmt: skip
    j = judge(world(rows, plans), programme, as_of=dt.date(2021, 6, 30))
    return programme_overview(j, programme, PERIOD)


def _kf(o) -> dict[str, tuple[int, int]]:
    k = o.key_figures.set_index("figure")
    return {f: (int(k.loc[f, "period_cents"]), int(k.loc[f, "cumulative_cents"])) for f in k.index}


def test_the_municipality_table_s_total_line_is_the_key_figures(overview):
    k, total, rows = _kf(overview), overview.total, overview.by_municipality
    assert list(rows["municipality"]) == ["Aizkraukles novads", "Rīga"]
    assert total["allocation_cents"] == k["allocation"][1] == 20_000_000
    assert total["eligible_cents"] == k["eligible"][1] == 1010 + 2010 + 3030 + 10
    assert total["eligible_period_cents"] == k["eligible"][0] == 2010 + 3030 + 10
    assert total["at_risk_cents"] == k["at_risk"][1] == 500 + 700 + 300
    assert total["at_risk_period_cents"] == k["at_risk"][0] == 500
    assert total["esf_cents"] == k["esf"][1]
    for column in ("eligible_cents", "esf_cents", "at_risk_cents", "errors", "new_errors"):
        assert total[column] == int(rows[column].sum())
    assert overview.standing.errors == total["errors"] == 3
    assert overview.standing.new_errors == total["new_errors"] == 1


def test_page_one_gives_the_verdict_key_figures_and_who_must_act(overview, programme):
    words = " ".join(re.sub(r"<[^>]+>", " ", view.summary(overview, "lv", programme).data).split())
    assert (
        "Līdz 2021. gada 30. jūnijam attiecināti 60,60 € no 200 000,00 € piešķīruma (0,0 %)"
        in words
    )
    assert "Šajā pusgadā riskam pakļauti 5,00 €, iepriekšējos periodos 10,00 €." in words
    assert "1 no 3 kļūdu konstatējumiem attiecas uz šo pusgadu." in words
    figures = view.key_figures(overview, "lv", programme).data
    assert "Pusgadā" in figures and "Kopš projekta sākuma" in figures
    assert "Valsts budžets" in figures and ">ESF<" in figures
    act = " ".join(
        re.sub(
            r"<[^>]+>", " ", overview_view.overview_needs_action(overview, "lv", programme).data
        ).split()
    )
    assert "Pašvaldības, kurām visvairāk jārīkojas" in act
    assert act.index("Aizkraukles novads: apguve") < act.index("Rīga: apguve")  # red, then at risk
    assert "riskam pakļauti 5,00 € šajā pusgadā, 5,00 € kopā; 1 no 1 kļūdu" in act


def test_pupils_in_two_municipalities_are_explained(overview, programme):
    assert overview.by_municipality["pupils"].tolist() == [1, 2]
    assert overview.counts["pupils"] == 2  # st1 counts in both municipalities
    html = overview_view.overview_municipalities(overview, "lv", programme).data
    assert "Skolēnu kolonnas summa pārsniedz valsts skaitu (2) par 1" in html
    last = re.findall(r"<tr class=\"total\">(.*?)</tr>", html)[0]
    assert re.sub(r"<[^>]+>", "|", last).split("|")[1] == "Kopā"


def test_every_indicator_target_with_its_date_and_met_in_latvian(overview):
    shown = overview_view.overview_indicators(overview, "lv").data
    assert "Mērķis spēkā no" in shown and "Sasniegts" in shown
    assert "<td>Iesaistītās izglītības iestādes</td>" in shown
    cells = re.findall(r"<td[^>]*>(.*?)</td>", shown)
    at = cells.index("Iesaistītās izglītības iestādes")
    assert cells[at + 1 : at + 5] == ["2", "611", "11.12.2019", "nē — mērķis nav sasniegts"]
    at = cells.index("Iesaistītās pašvaldības")
    assert cells[at + 1 : at + 5] == ["2 no 43 (4,7\u00a0%)", "80\u00a0%", "16.03.2017",
                                      "nē — mērķis nav sasniegts"]  # fmt: skip


def test_the_overview_workbook_is_latvian_and_reconciles(overview, tmp_path):
    overview_view.overview_export(overview, str(tmp_path), "lv")
    wb = load_workbook(tmp_path / "report.xlsx")
    assert wb.sheetnames == [
        "Galvenie rādītāji", "Pašvaldības", "Konstatējumi", "Semestri", "Rādītāji"
    ]  # fmt: skip
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not isinstance(v, bool), (ws.title, row)
                assert v not in ("scope", "comparison", "programme", "at_least", "cumulative")
    key = {r[0]: r[1:] for r in wb["Galvenie rādītāji"].iter_rows(min_row=2, values_only=True)}
    towns = list(wb["Pašvaldības"].iter_rows(values_only=True))
    head, body, total = towns[0], towns[1:-1], dict(zip(towns[0], towns[-1], strict=True))
    assert total["Pašvaldība"] == "Kopā"
    assert total["Piešķīrums"] == key["Piešķīrums"][1] == 200_000.00
    assert total["Attiecināms"] == key["Attiecināms"][1] == 60.60
    assert total["Attiecināms pusgadā"] == key["Attiecināms"][0] == 50.50
    assert total["Riskam pakļauts"] == key["Riskam pakļauts"][1] == 15.00
    assert total["ESF"] == key["ESF"][1] and total["Valsts budžets"] == key["Valsts budžets"][1]
    for name in ("Attiecināms", "ESF", "Riskam pakļauts", "Kļūdas"):
        col = head.index(name)
        assert round(sum(r[col] for r in body), 2) == total[name]
    semesters = list(wb["Semestri"].iter_rows(values_only=True))
    sem_total = dict(zip(semesters[0], semesters[-1], strict=True))
    assert sem_total["Semestris"] == "Kopā"
    assert sem_total["Attiecināms"] == key["Attiecināms"][1]
    assert sem_total["ESF"] == key["ESF"][1]
    indicators = list(wb["Rādītāji"].iter_rows(values_only=True))
    assert indicators[0] == ("Rādītājs", "Skaits", "No", "Daļa", "Mērķis (skaits)",
                             "Mērķis (daļa)", "Mērķis spēkā no", "Sasniegts")  # fmt: skip
    institutions = [r for r in indicators if r[0] == "Iesaistītās izglītības iestādes"][0]
    assert institutions[1] == 2 and institutions[4] == 611
    assert institutions[6] == dt.datetime(2019, 12, 11)
    assert institutions[7] == "nē — mērķis nav sasniegts"


def test_who_must_act_after_the_end_is_who_has_money_at_risk():
    """Once the programme has ended absorption is final: the municipalities named are
    those with the most at risk this half-year, not every one outside the band."""
    import pandas as pd

    from pumpurs.report.overview import needs_action

    rows = pd.DataFrame(
        {
            "municipality": ["A", "B", "C", "D"],
            "colour": ["amber", "green", "red", "amber"],
            "at_risk_period_cents": [100, 5000, 0, 0],
            "new_errors": [1, 2, 0, 0],
            "at_risk_cents": [100, 9000, 0, 0],
        }
    )
    assert needs_action(rows, ended=True)["municipality"].tolist() == ["B", "A"]
    assert needs_action(rows, ended=False)["municipality"].tolist() == ["C", "A", "D", "B"]


def test_the_findings_table_has_a_total_line_of_the_money_at_risk(overview, programme):
    html = overview_view.overview_findings(overview, "lv", programme).data
    last = re.sub(r"<[^>]+>", "|", re.findall(r"<tr class=\"total\">(.*?)</tr>", html)[0])
    cells = [c for c in last.split("|") if c]
    assert cells == ["Kopā", "5", "15,00\u00a0€"]  # 3 errors, 2 warnings; the key figure
