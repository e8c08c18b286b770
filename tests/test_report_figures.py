"""A report's figures, in memory: every table of a scope carries the same ESF as page 1."""

from __future__ import annotations

import pytest

from factory import entry, plan, world
from pumpurs.core.calendar import parse_period
from pumpurs.core.rules import judge
from pumpurs.present import report_view as view
from pumpurs.report.municipality import municipality_report


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
