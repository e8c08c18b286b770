"""Forecast: the pace projection behind ABSORPTION_RISK, exact at its boundaries."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pumpurs.core.forecast import FORECAST_COLUMNS, SERIES_COLUMNS, forecast, forecast_series
from pumpurs.core.settings import Programme


def ledger(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """(partner_id, service_month, amount_cents, ineligible_cents) rows, nothing over
    the allocation (see test_over_allocation_is_not_eligible_spend)."""
    frame = pd.DataFrame(
        rows, columns=["partner_id", "service_month", "amount_cents", "ineligible_cents"]
    ).astype(
        {
            "partner_id": str,
            "service_month": str,
            "amount_cents": "int64",
            "ineligible_cents": "int64",
        }
    )
    frame["over_allocation_cents"] = 0
    frame["eligible_cents"] = (
        frame["amount_cents"] - frame["ineligible_cents"] - frame["over_allocation_cents"]
    )
    frame["esf_rate"] = "0.85"
    return frame


def partners(allocations: dict[str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {"partner_id": list(allocations), "allocation_cents": list(allocations.values())}
    ).astype({"partner_id": str, "allocation_cents": "int64"})


def one(frame: pd.DataFrame, partner_id: str) -> dict:
    hit = frame[frame["partner_id"] == partner_id]
    assert len(hit) == 1
    return hit.iloc[0].to_dict()


# as_of 2023-06-15: the extension (end 2023-12) is in force; the pace window is
# 2022-07 … 2023-06 and 6 months are left (2023-07 … 2023-12).
AS_OF = dt.date(2023, 6, 15)


def test_projection_is_exact(programme: Programme):
    led = ledger(
        [
            ("P1", "2021-01", 500_000, 0),  # before the window: to date only
            ("P1", "2022-06", 7_777, 0),  # one month before the window
            ("P1", "2022-07", 120_000, 20_000),  # window starts here
            ("P1", "2023-06", 20_000, 0),  # as_of's month is in the window
        ]
    )
    f = forecast(led, partners({"P1": 1_000_000}), programme, AS_OF)
    assert list(f.columns) == list(FORECAST_COLUMNS)
    p = one(f, "P1")
    assert (
        p["eligible_to_date_cents"] == 500_000 + 7_777 + 100_000 + 20_000
    )  # before the allocation cut
    assert p["pace_cents_per_month"] == pytest.approx(120_000 / 12)
    assert p["months_left"] == 6
    assert p["projected_cents"] == 627_777 + 60_000
    assert p["projected_share"] == pytest.approx(687_777 / 1_000_000)
    assert p["status"] == "low"
    assert f["projected_cents"].dtype == "int64"
    assert f["projected_share"].dtype == "Float64"


@pytest.mark.parametrize(
    ("window", "as_of", "expected"),
    [
        (1, dt.date(2023, 6, 15), 1 + 1),  # 1 + 1 × 6/12 = 1.5 -> 2 (half-up)
        (1, dt.date(2023, 7, 1), 1 + 0),  # 1 + 1 × 5/12 = 1.42 -> 1
        (3, dt.date(2023, 8, 31), 3 + 1),  # 3 + 3 × 4/12 = 4 exactly
        (7, dt.date(2023, 10, 2), 7 + 1),  # 7 + 7 × 2/12 = 8.17 -> 8
        (9, dt.date(2023, 10, 2), 9 + 2),  # 9 + 9 × 2/12 = 10.5 -> 11
    ],
)
def test_projection_rounds_half_up_once(
    programme: Programme, window: int, as_of: dt.date, expected: int
):
    led = ledger([("P1", "2023-06", window, 0)])
    assert (
        one(forecast(led, partners({"P1": 100}), programme, as_of), "P1")["projected_cents"]
        == expected
    )


def _at(to_date_before_window: int, allocation: int, programme: Programme) -> str:
    """A partner whose projection is to_date_before_window + 120 000 + 60 000."""
    led = ledger([("P1", "2021-01", to_date_before_window, 0), ("P1", "2023-01", 120_000, 0)])
    return one(forecast(led, partners({"P1": allocation}), programme, AS_OF), "P1")


@pytest.mark.parametrize(
    ("before", "projected", "status"),
    [
        (720_000, 900_000, "ok"),  # exactly 90 %: not low
        (719_999, 899_999, "low"),  # one cent below
        (820_000, 1_000_000, "ok"),  # exactly 100 %: not high
        (820_001, 1_000_001, "high"),  # one cent above
    ],
)
def test_band_boundaries_are_exact(programme: Programme, before: int, projected: int, status: str):
    p = _at(before, 1_000_000, programme)
    assert p["projected_cents"] == projected
    assert p["status"] == status


def test_threshold_in_fractions_of_a_cent(programme: Programme):
    # 90 % of 123.45 € is 111.105 €: a projection of 111.10 € is below it, 111.11 € is not.
    # The spend lies before the pace window, so the projection is the spend itself.
    led = ledger([("P1", "2021-06", 11_110, 0), ("P2", "2021-06", 11_111, 0)])
    f = forecast(led, partners({"P1": 12_345, "P2": 12_345}), programme, AS_OF)
    assert one(f, "P1")["projected_cents"] == 11_110 and one(f, "P1")["status"] == "low"
    assert one(f, "P2")["projected_cents"] == 11_111 and one(f, "P2")["status"] == "ok"


def test_partner_without_spend_and_zero_allocation(programme: Programme):
    led = ledger([("P3", "2023-03", 100, 0)])
    f = forecast(led, partners({"P2": 50_000, "P1": 0, "P3": 0, "P4": 0}), programme, AS_OF)
    assert f["partner_id"].tolist() == ["P1", "P2", "P3", "P4"]
    p2 = one(f, "P2")
    assert (
        p2["eligible_to_date_cents"] == 0 and p2["projected_cents"] == 0 and p2["status"] == "low"
    )
    assert pd.isna(one(f, "P1")["projected_share"]) and one(f, "P1")["status"] == "ok"
    assert one(f, "P3")["status"] == "high"  # spending with no allocation at all


def test_ledger_rows_of_partners_out_of_scope_are_ignored(programme: Programme):
    led = ledger([("P1", "2023-03", 100, 0), ("P9", "2023-03", 999, 0)])
    f = forecast(led, partners({"P1": 1000}), programme, AS_OF)
    assert f["partner_id"].tolist() == ["P1"]
    assert one(f, "P1")["eligible_to_date_cents"] == 100


@pytest.mark.parametrize(
    ("as_of", "months_left", "ended"),
    [
        (dt.date(2022, 6, 30), 6, False),  # signed period: end 2022-12
        (dt.date(2022, 11, 30), 1, False),  # still the signed period (extension from 2022-12-01)
        (dt.date(2022, 12, 1), 12, False),  # the extension is in force: end 2023-12
        (dt.date(2023, 11, 30), 1, False),
        (dt.date(2023, 12, 1), 0, False),  # in the end month: still before the end
        (dt.date(2024, 3, 1), 0, True),  # after the end
    ],
)
def test_months_left_across_the_period_extension(
    programme: Programme, as_of: dt.date, months_left: int, ended: bool
):
    assert programme.period_at(dt.date(2022, 11, 30)).end_month == "2022-12"
    assert programme.period_at(dt.date(2022, 12, 1)).end_month == "2023-12"
    led = ledger([("P1", "2022-05", 1200, 0)])
    p = one(forecast(led, partners({"P1": 1_000_000}), programme, as_of), "P1")
    assert p["months_left"] == months_left
    assert p["status"] == ("ended" if ended else "low")


def test_over_allocation_is_not_eligible_spend(programme: Programme):
    """docs/rules.md: eligible spend is after the allocation cut, so a partner whose excess is
    already a BUDGET_ALLOCATION finding is not also projected above its allocation."""
    led = ledger([("P2", "2022-03", 1500, 0), ("P2", "2023-02", 1000, 0)])
    led.loc[1, "over_allocation_cents"] = 1000
    led["eligible_cents"] = (
        led["amount_cents"] - led["ineligible_cents"] - led["over_allocation_cents"]
    )
    p = one(forecast(led, partners({"P2": 1500}), programme, AS_OF), "P2")
    assert (p["eligible_to_date_cents"], p["projected_cents"], p["status"]) == (1500, 1500, "ok")


def test_series_for_a_chart(programme: Programme):
    led = ledger(
        [
            ("P1", "2021-01", 1000, 0),
            ("P1", "2022-01", 1200, 200),
            ("P2", "2022-05", 500, 0),
            ("P9", "2022-05", 7, 0),  # not in partners: out of scope
            ("P1", "2022-09", 300, 0),  # service after as_of's month: counted at as_of's month
        ]
    )
    prt = partners({"P1": 5000, "P2": 1000})
    as_of = dt.date(2022, 6, 30)  # signed period in force: 2017-03 … 2022-12
    s = forecast_series(led, prt, programme, as_of, ["P1"])
    assert list(s.columns) == list(SERIES_COLUMNS)
    assert s["month"].iloc[0] == "2017-03" and s["month"].iloc[-1] == "2022-12"
    assert len(s) == 70
    by = s.set_index("month")
    assert by.loc["2020-12", "cumulative_eligible_cents"] == 0
    assert by.loc["2021-01", "cumulative_eligible_cents"] == 1000
    assert by.loc["2022-01", "cumulative_eligible_cents"] == 2000
    assert by.loc["2022-06", "cumulative_eligible_cents"] == 2300
    assert by.loc["2022-07":, "cumulative_eligible_cents"].isna().all()
    assert by.loc[:"2022-05", "projected_cumulative_cents"].isna().all()
    # pace: window 2021-07 … 2022-06 = 1000 -> 83.33 per month, from 2300 at 2022-06
    assert by.loc["2022-06", "projected_cumulative_cents"] == 2300
    assert by.loc["2022-07", "projected_cumulative_cents"] == 2383
    assert by.loc["2022-12", "projected_cumulative_cents"] == 2800
    assert (s["allocation_cents"] == 5000).all()
    # for one partner the end of the line is forecast()'s projection
    f = one(forecast(led, prt, programme, as_of), "P1")
    assert f["projected_cents"] == by.loc["2022-12", "projected_cumulative_cents"]
    assert f["eligible_to_date_cents"] == by.loc["2022-06", "cumulative_eligible_cents"]
    # the whole scope: both partners, both allocations
    s_all = forecast_series(led, prt, programme, as_of)
    assert s_all.set_index("month").loc["2022-06", "cumulative_eligible_cents"] == 2800
    assert (s_all["allocation_cents"] == 6000).all()
    assert s["cumulative_eligible_cents"].dtype == "Int64"
    assert s["projected_cumulative_cents"].dtype == "Int64"


def test_series_after_the_end_is_all_actual(programme: Programme):
    led = ledger([("P1", "2023-12", 100, 0)])
    s = forecast_series(led, partners({"P1": 100}), programme, dt.date(2024, 2, 1))
    assert s["month"].iloc[-1] == "2023-12"
    assert s["cumulative_eligible_cents"].notna().all()
    assert s["cumulative_eligible_cents"].iloc[-1] == 100
    assert s["projected_cumulative_cents"].isna().all()
