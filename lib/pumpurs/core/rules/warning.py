"""The warnings (docs/rules.md): facts to act on that put no money at risk, each check
registered beside its id. A warning's check answers with its findings."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pumpurs.core import calendar as cal
from pumpurs.core.forecast import forecast
from pumpurs.core.registry import rule
from pumpurs.core.settings import Programme


@rule("PLAN_LATE")
def _plan_late(
    led: pd.DataFrame,
    plans: pd.DataFrame,
    partners: pd.DataFrame,
    programme: Programme,
    as_of: dt.date,
) -> pd.DataFrame:
    days = programme.warnings.plan_late_days
    start = (
        cal.semester_start(plans["semester"])
        if len(plans)
        else pd.Series([], dtype="datetime64[ns]")
    )
    late = plans[(plans["created_on"] - start).dt.days > days] if len(plans) else plans
    return pd.DataFrame(
        {
            "rule": "PLAN_LATE",
            "partner_id": late["partner_id"].to_numpy(),
            "school_id": late["school_id"].to_numpy(),
            "student_id": late["student_id"].to_numpy(),
            "period": late["semester"].to_numpy(),
            "entry_ids": [() for _ in range(len(late))],
            "amount_cents": pd.NA,
            "limit_cents": pd.NA,
            "at_risk_cents": 0,
            "plan_id": late["plan_id"].to_numpy(),
            "created_on": late["created_on"].to_numpy(),
        }
    )


@rule("ABSORPTION_RISK")
def _absorption(
    led: pd.DataFrame,
    plans: pd.DataFrame,
    partners: pd.DataFrame,
    programme: Programme,
    as_of: dt.date,
) -> pd.DataFrame:
    fc = forecast(led, partners, programme, as_of)
    risky = fc[fc["status"].isin(["low", "high"])]
    return pd.DataFrame(
        {
            "rule": "ABSORPTION_RISK",
            "partner_id": risky["partner_id"].to_numpy(),
            "school_id": "",
            "student_id": "",
            "period": "",
            "entry_ids": [() for _ in range(len(risky))],
            "amount_cents": risky["projected_cents"].to_numpy(),
            "limit_cents": risky["allocation_cents"].to_numpy(),
            "at_risk_cents": 0,
            "share": risky["projected_share"].to_numpy(),
        }
    )
