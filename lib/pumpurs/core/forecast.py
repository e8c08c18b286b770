"""Where each partner's spending is heading: the pace rule behind ABSORPTION_RISK.

A partner's projection at the programme end is its eligible spend to date plus its
pace (the eligible spend of the last `absorption_pace_months` service months up to
`as_of`'s month, per month) times the whole months left. Spend here is eligible as
docs/rules.md defines it (after passes 1-3 and the allocation cut): money above the
allocation is already a BUDGET_ALLOCATION finding and is not counted twice. The
programme's last month is still "before the end" (0 months left).

Exactness: the projection is computed in integers and rounded half-up to the cent once;
the band test compares that projected amount in cents with the exact threshold
(absorption_low × allocation, absorption_high × allocation as fractions), so
"exactly 90 %" is not low and "one cent above 100 %" is high, with no float error.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from pumpurs.core.calendar import add_months, month_of
from pumpurs.core.settings import Programme

FORECAST_COLUMNS = (
    "partner_id",
    "allocation_cents",
    "eligible_to_date_cents",
    "pace_cents_per_month",
    "months_left",
    "projected_cents",
    "projected_share",
    "status",
)
SERIES_COLUMNS = (
    "month",
    "cumulative_eligible_cents",
    "projected_cumulative_cents",
    "allocation_cents",
)


def forecast(
    ledger: pd.DataFrame, partners: pd.DataFrame, programme: Programme, as_of: dt.date
) -> pd.DataFrame:
    """One row per partner in `partners` (sorted by partner_id); ledger rows of other
    partners are ignored. Status: "ended" once `as_of`'s month is at or after the
    programme end month (the period version in force at `as_of`); otherwise "low" when
    projected_cents < absorption_low × allocation, "high" when projected_cents >
    absorption_high × allocation, else "ok" — both comparisons exact."""
    now, end, left, n = _clock(programme, as_of)
    spend = _spend(ledger)
    in_window = (spend["_m"] > now - n) & (spend["_m"] <= now)
    spend["_w"] = np.where(in_window, spend["_e"], 0)
    per = spend.groupby("partner_id")[["_e", "_w"]].sum()

    out = partners[["partner_id", "allocation_cents"]].copy()
    out["partner_id"] = out["partner_id"].astype(str)
    out = out.sort_values("partner_id").reset_index(drop=True)
    alloc = out["allocation_cents"].astype("int64").to_numpy()
    to_date = per["_e"].reindex(out["partner_id"], fill_value=0).to_numpy(dtype=np.int64)
    window = per["_w"].reindex(out["partner_id"], fill_value=0).to_numpy(dtype=np.int64)

    projected = _project(to_date, window, left, n)
    lo_num, lo_den = Decimal(programme.warnings.absorption_low).as_integer_ratio()
    hi_num, hi_den = Decimal(programme.warnings.absorption_high).as_integer_ratio()
    low = projected * lo_den < lo_num * alloc
    high = projected * hi_den > hi_num * alloc
    status = np.where(low, "low", np.where(high, "high", "ok"))
    if now > end:  # "before the programme end": its last month still warns
        status = np.full(len(out), "ended")

    out["allocation_cents"] = alloc
    out["eligible_to_date_cents"] = to_date
    out["pace_cents_per_month"] = window / n
    out["months_left"] = np.full(len(out), left, dtype=np.int64)
    out["projected_cents"] = projected
    share = pd.array(projected / np.where(alloc > 0, alloc, 1), dtype="Float64")
    share[alloc == 0] = pd.NA
    out["projected_share"] = share
    out["status"] = pd.Series(status, dtype=str)
    return out[list(FORECAST_COLUMNS)]


def forecast_series(
    ledger: pd.DataFrame,
    partners: pd.DataFrame,
    programme: Programme,
    as_of: dt.date,
    partner_ids: list[str] | None = None,
) -> pd.DataFrame:
    """Monthly chart data from the programme start to its end month (the period version
    in force at `as_of`) for the chosen partners (default: all of `partners`).

    cumulative_eligible_cents is the actual eligible spend (as in `forecast`) up to `as_of`'s month and NA after; rows with a service month
    outside [start, as_of's month] are counted at the nearer edge, so the last actual
    value is the scope's eligible_to_date. projected_cumulative_cents is NA before
    `as_of`'s month and from it a straight line at the scope's pace, rounded half-up
    once for the whole scope (so with several partners it may differ by a few cents
    from the sum of their own rounded projections).
    """
    if partner_ids is not None:
        wanted = {str(p) for p in partner_ids}
        ledger = ledger[ledger["partner_id"].astype(str).isin(wanted)]
        partners = partners[partners["partner_id"].astype(str).isin(wanted)]
    else:
        ledger = ledger[
            ledger["partner_id"].astype(str).isin(set(partners["partner_id"].astype(str)))
        ]
    now, end, _, n = _clock(programme, as_of)
    period = programme.period_at(as_of)
    start = _index(period.start_month)
    months = np.arange(start, end + 1)

    spend = _spend(ledger)
    last_actual = min(now, end)
    by_month = (
        pd.Series(spend["_e"].to_numpy(), index=np.clip(spend["_m"].to_numpy(), start, last_actual))
        .groupby(level=0)
        .sum()
    )
    cumulative = by_month.reindex(months, fill_value=0).cumsum().to_numpy(dtype=np.int64)
    actual = pd.array(cumulative, dtype="Int64")
    actual[months > now] = pd.NA

    to_date = int(spend["_e"].sum())
    in_window = (spend["_m"] > now - n) & (spend["_m"] <= now)
    window = int(spend.loc[in_window, "_e"].sum())
    ahead = np.maximum(months - now, 0)
    projected = pd.array(_project(np.full(len(months), to_date), window, ahead, n), dtype="Int64")
    projected[months < now] = pd.NA

    allocation = int(partners["allocation_cents"].astype("int64").sum()) if len(partners) else 0
    return pd.DataFrame(
        {
            "month": pd.Series(
                [add_months(period.start_month, i) for i in range(len(months))], dtype=str
            ),
            "cumulative_eligible_cents": actual,
            "projected_cumulative_cents": projected,
            "allocation_cents": np.full(len(months), allocation, dtype=np.int64),
        }
    )[list(SERIES_COLUMNS)]


# ---------------------------------------------------------------------------
def _index(month: str) -> int:
    """'YYYY-MM' -> a month count, so month arithmetic is integer arithmetic."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _clock(programme: Programme, as_of: dt.date) -> tuple[int, int, int, int]:
    """(as_of's month, programme end month, whole months left after as_of's month, pace
    months) — the end is the period version in force at as_of."""
    now = _index(month_of(as_of))
    end = _index(programme.period_at(as_of).end_month)
    return now, end, max(0, end - now), programme.warnings.absorption_pace_months


def _spend(ledger: pd.DataFrame) -> pd.DataFrame:
    """partner_id, month index and eligible cents (docs/rules.md: after passes 1-3 and the
    allocation cut) per ledger row."""
    code, names = pd.factorize(ledger["service_month"].astype(str))  # once per month
    index = np.array([_index(m) for m in names], dtype=np.int64)
    return pd.DataFrame(
        {
            "partner_id": ledger["partner_id"].astype(str).reset_index(drop=True),
            "_m": index[code] if len(index) else np.zeros(0, dtype=np.int64),
            "_e": ledger["eligible_cents"].astype("int64").to_numpy(dtype=np.int64),
        }
    )


def _project(
    to_date: np.ndarray, window: np.ndarray | int, months: np.ndarray | int, n: int
) -> np.ndarray:
    """to_date + window / n × months, rounded half-up to the cent in integers:
    floor((2·(to_date·n + window·months) + n) / (2·n))."""
    exact_times_n = np.asarray(to_date, dtype=np.int64) * n + np.asarray(
        window, dtype=np.int64
    ) * np.asarray(months, dtype=np.int64)
    return (2 * exact_times_n + n) // (2 * n)
