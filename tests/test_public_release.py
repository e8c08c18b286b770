"""A public release read as an outsider would: no hidden count comes back (issue 23)."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
import pytest

from factory import entry, world
from pumpurs.core.calendar import parse_period
from pumpurs.core.rules import judge
from pumpurs.core.settings import load_programme
from pumpurs.present import report_view as view
from pumpurs.present.texts import text
from pumpurs.report.municipality import municipality_report

PROGRAMME = load_programme()


@pytest.fixture(scope="module")
def report():
    j = judge(world([entry()]), PROGRAMME)
    return municipality_report(
        j, PROGRAMME, "Aizkraukles novads", parse_period("2020-H1"), "public"
    )


def _rules(*rows: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": [r[0] for r in rows],
            "severity": [r[1] for r in rows],
            "findings": [r[2] for r in rows],
            "at_risk_cents": [100] * len(rows),
        }
    )


def test_page_one_gives_no_total_of_hidden_rule_rows(report):
    """Six "<5" error rows and "0 of 6" would pin each row at 1: the sentence says money only."""
    rules = [f"R{i}" for i in range(6)]
    r = replace(
        report,
        findings_by_rule=_rules(*[(rule, "error", 1) for rule in rules]),
        standing=replace(report.standing, errors=6, new_errors=0),
    )
    said = view._sentences(r, "lv", PROGRAMME)[-1]
    zero = view.fmt_eur(0, "lv")
    assert said == text("summary.risk_uncounted", "lv").format(period_risk=zero, earlier_risk=zero)
    assert " 6 " not in str(view.summary(r, "lv", PROGRAMME).data)


def test_page_one_counts_when_no_rule_row_is_hidden(report):
    r = replace(
        report,
        findings_by_rule=_rules(("R1", "error", 7), ("R2", "error", 5)),
        standing=replace(report.standing, errors=12, new_errors=0),
    )
    assert view._sentences(r, "en", PROGRAMME)[-1].endswith(
        "0 of the 12 error findings concern this half-year."
    )


def test_next_steps_repeat_the_tables_secondary_mark(report):
    """A count hidden as "x" in the findings table is not printed in the next steps: the
    error rows add up to the errors the index and the overview publish (12), so 9 is hidden."""
    r = replace(report, findings_by_rule=_rules(("R1", "error", 3), ("R2", "error", 9)))
    r = replace(r, next_steps=r.findings_by_rule)
    table = view.rule_counts_shown(r, "en")
    steps = str(view.next_steps(r, "en").data)
    assert table == {("R1", "error"): "<5", ("R2", "error"): "x"}
    assert view.findings_shown(r)["findings"].tolist() == ["<5", "x"]
    assert "R2: x findings" in steps and "R1: &lt;5 findings" in steps and "9 " not in steps


def test_main_corrections_hide_the_lines_of_a_rule_with_a_hidden_line(report):
    """ELIG_NO_PLAN 8 with P025 5 and P042 "<5" would make P042 3."""
    fixes = pd.DataFrame(
        {
            "partner_id": ["P025", "P042"],
            "rule": ["ELIG_NO_PLAN", "ELIG_NO_PLAN"],
            "findings": [5, 3],
            "at_risk_cents": [500, 300],
        }
    )
    r = replace(
        report,
        findings_by_rule=_rules(("ELIG_NO_PLAN", "error", 8)),
        top_fixes=fixes,
        fix_counts=fixes,
    )
    assert view._fix_counts_shown(r, "lv") == ["x", "<5"]
    page = str(view.top_fixes(r, "lv").data)
    assert "— x konstatējumi" in page and "— &lt;5 konstatējumi" in page
    note = text("privacy.note", "lv", mark="&lt;5", n=5, secondary="x")
    assert note in page


def test_a_share_of_few_pupils_is_x_with_its_own_note(report):
    ind = report.indicators
    share = ind["indicator"] == "continued_share"
    assert share.any() and (ind.loc[share, "denominator"].fillna(0) < 5).all()
    page = str(view.indicators(report, "lv", PROGRAMME).data)
    row = page[page.index(view.label("continued_share", "lv")) :].split("</tr>")[0]
    assert "&lt;5" not in row and "<5" not in row
    assert ">x<" in row
    assert text("privacy.share_note", "lv", secondary="x", n=5) in page
