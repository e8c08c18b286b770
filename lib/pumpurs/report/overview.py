"""The national view: every municipality side by side, findings by rule, semester trend."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from pumpurs.core.calendar import Period
from pumpurs.core.indicators import indicators
from pumpurs.core.rules import Judgement
from pumpurs.core.settings import Programme
from pumpurs.core.totals import totals
from pumpurs.report.audience import Audience


@dataclass
class Overview:
    period: Period
    as_of: dt.date
    audience: Audience
    fingerprint: str
    budget_cents: int
    by_municipality: pd.DataFrame
    total: dict
    findings_by_rule: pd.DataFrame
    trend: pd.DataFrame  # semester, pupils, plans, eligible_cents
    indicators: pd.DataFrame
    release: dict[str, str] | None = None  # public: the period's suppression (run/release.py)

    @property
    def public(self) -> bool:
        return self.audience.is_public


def programme_overview(
    j: Judgement,
    programme: Programme,
    period: Period,
    audience: str | Audience = "internal",
    release: dict[str, str] | None = None,
) -> Overview:
    audience = Audience.of(audience, programme)
    t = totals(j.ledger, j.partners, "municipality")
    rows = t.rows.copy()
    rows["at_risk_cents"] = rows["ineligible_cents"] + rows["over_allocation_cents"]
    errors = (
        j.findings[j.findings["severity"] == "error"]
        .groupby(j.findings["partner_id"].map(j.partners.set_index("partner_id")["municipality"]))
        .size()
    )
    rows["errors"] = rows["municipality"].map(errors).fillna(0).astype("int64")
    pupils = j.plans.groupby("municipality")["student_id"].nunique()
    rows["pupils"] = rows["municipality"].map(pupils).fillna(0).astype("int64")
    rows = rows[
        ["municipality", "municipality_code", "allocation_cents", "declared_cents", "eligible_cents",
         "at_risk_cents", "esf_cents", "absorption", "errors", "pupils"]
    ]  # fmt: skip

    f = j.findings
    by_rule = (
        f.groupby(["rule", "severity"], sort=False)
        .agg(findings=("rule", "size"), at_risk_cents=("at_risk_cents", "sum"))
        .reset_index()
    )
    sem = totals(j.ledger, j.partners, "semester").rows[["semester", "eligible_cents"]]
    plans = j.plans.groupby("semester").agg(
        pupils=("student_id", "nunique"), plans=("plan_id", "size")
    )
    trend = (
        plans.join(sem.set_index("semester"), how="outer").fillna(0).astype("int64").reset_index()
    )
    ind = indicators(
        j.plans,
        j.ledger,
        j.partners,
        j.dataset.outcomes,
        programme,
        by="programme",
        per="cumulative",
        as_of=j.as_of,
    )
    rows = rows.sort_values(
        "municipality", key=lambda names: names.map(latvian_order), kind="stable"
    ).reset_index(drop=True)
    return Overview(
        period=period,
        as_of=j.as_of,
        audience=audience,
        fingerprint=j.dataset.fingerprint,
        budget_cents=int(programme.budget.total_eur * 100),
        by_municipality=rows,
        total=t.total,
        findings_by_rule=by_rule,
        trend=trend,
        indicators=ind,
        release=release if audience.is_public else None,
    )


def latvian_order(name: str) -> tuple[tuple[str, int], ...]:
    """A sort key in the Latvian alphabet's order (a, ā, b, c, č, ..., ž): each letter by
    its base letter, then plain before marked. Python's own order puts Ā after Z."""
    import unicodedata

    key = []
    for ch in name.lower():
        base = unicodedata.normalize("NFD", ch)
        key.append((base[0], len(base) - 1))
    return tuple(key)
