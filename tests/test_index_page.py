"""The index's key figures (present/index_page.py): every municipality's line from the
national judgement in one pass equals its figures from its own scoped judgement."""

from __future__ import annotations

import datetime as dt

import pytest

from pumpurs.core.calendar import parse_period
from pumpurs.core.settings import load_programme
from pumpurs.demo import write_demo
from pumpurs.present.index_page import key_figures, key_figures_by_municipality
from pumpurs.run import session


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    write_demo(folder, scale="small", seed=5)
    return folder


@pytest.mark.parametrize(
    ("as_of", "period"),
    [
        (dt.date(2021, 6, 30), "2021-H1"),  # running: the projection decides the colour
        (dt.date(2020, 12, 31), "2019-H2"),  # a period long before the report date
        (dt.date(2024, 3, 31), "2023-H2"),  # ended: what was reached decides it
    ],
)
def test_every_line_equals_the_figures_of_its_scoped_judgement(data, as_of, period):
    judged = session.load_and_judge(data, load_programme(), as_of)
    half = parse_period(period)
    fast = key_figures_by_municipality(judged, half, judged.programme)
    slow = {
        name: key_figures(scoped, half, judged.programme)
        for name, scoped in judged.by_municipality().items()
    }
    assert list(fast) == list(slow)
    assert fast == slow
    with_money = [f for f in fast.values() if f.eligible_cents > 0]
    assert len(with_money) >= 2
    assert any(f.at_risk_cents > 0 for f in with_money)
    assert any(f.errors > 0 for f in with_money)
    assert {f.colour for f in with_money} - {"grey"}  # colours are compared, not only grey
