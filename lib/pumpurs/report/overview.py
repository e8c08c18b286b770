"""The national overview, the document the project holder files: page 1's verdict and key
figures for the programme, the municipalities that most need action, every municipality
side by side with a "Kopā" line, findings by rule, the semester trend and the indicators
with their targets. Tables keep raw values (cents, counts); words come when shown."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pumpurs.core.calendar import Period
from pumpurs.core.forecast import forecast
from pumpurs.core.indicators import indicators
from pumpurs.core.rules import Judgement
from pumpurs.core.settings import Programme
from pumpurs.core.totals import totals
from pumpurs.report.audience import Audience
from pumpurs.report.municipality import (
    Standing,
    _new_in_period,
    key_figures,
    programme_ended,
    standing_colour,
)


@dataclass
class Overview:
    period: Period
    as_of: dt.date
    audience: Audience
    fingerprint: str
    budget_cents: int
    by_municipality: pd.DataFrame  # one row per municipality (MUNICIPALITY_COLUMNS)
    total: dict[str, Any]  # the municipality table's "Kopā" line: the sum of its rows
    findings_by_rule: pd.DataFrame
    trend: pd.DataFrame  # semester, pupils, plans, eligible_cents, esf_cents
    indicators: pd.DataFrame  # indicator, value, count, denominator, target, target_from, met
    standing: Standing | None = None
    key_figures: pd.DataFrame = field(default_factory=pd.DataFrame)  # as a municipality's
    counts: dict[str, int] = field(default_factory=dict)  # pupils, plans (distinct, national)
    trend_total: dict[str, Any] = field(default_factory=dict)  # the semester table's "Kopā" line
    needs_action: pd.DataFrame = field(default_factory=pd.DataFrame)  # by_municipality rows
    release: dict[str, str] | None = None  # public: the period's suppression (run/release.py)
    changes: Any = None  # report/changes.py: since the previous report (set by the caller)

    @property
    def public(self) -> bool:
        return self.audience.is_public

    @property
    def empty(self) -> bool:
        """Nothing declared up to the report date."""
        return self.standing is None or self.standing.empty

    @property
    def absorption(self) -> float | None:
        """Eligible of the allocation, to date."""
        a = self.total.get("absorption")
        return None if a is None or pd.isna(a) else float(a)

    @property
    def pupils_counted_twice(self) -> int:
        """How many more pupils the municipalities' column adds up to than there are:
        a pupil supported in two municipalities counts in each."""
        return int(self.by_municipality["pupils"].sum()) - int(self.counts.get("pupils", 0))


MUNICIPALITY_COLUMNS = [
    "municipality", "municipality_code", "allocation_cents", "declared_cents",
    "corrected_cents", "eligible_period_cents", "eligible_cents", "at_risk_period_cents", "at_risk_cents",
    "esf_cents", "state_cents", "absorption", "projected_share", "colour", "errors",
    "new_errors", "pupils", "plans",
]  # fmt: skip
_SUMMED_COLUMNS = [
    c for c in MUNICIPALITY_COLUMNS if c.endswith("_cents") or c in ("errors", "new_errors")
]
NEEDS_ACTION = 5  # the municipalities page 1 names


def programme_overview(
    j: Judgement,
    programme: Programme,
    period: Period,
    audience: str | Audience = "internal",
    release: dict[str, str] | None = None,
) -> Overview:
    audience = Audience.of(audience, programme)
    led, partners, f = j.ledger, j.partners, j.findings
    in_period = period.holds(led["service_month"])
    period_led = led[in_period]
    t, t_period = (
        totals(led, partners, "municipality"),
        totals(period_led, partners, "municipality"),
    )
    rows = t.rows.copy()
    rows["eligible_period_cents"] = (
        rows["municipality"]
        .map(t_period.rows.set_index("municipality")["eligible_cents"])
        .fillna(0)
        .astype("int64")
    )
    at_risk = (led["ineligible_cents"] + led["over_allocation_cents"]).astype("int64")
    rows["at_risk_cents"] = rows["ineligible_cents"] + rows["over_allocation_cents"]
    risk_period = at_risk[in_period].groupby(led["municipality"][in_period], observed=True).sum()
    rows["at_risk_period_cents"] = _mapped(rows, risk_period)
    town = f["partner_id"].map(partners.set_index("partner_id")["municipality"])
    is_error = (f["severity"] == "error").to_numpy()
    new = _new_in_period(f, led, period).to_numpy() if len(f) else is_error
    rows["errors"] = _mapped(rows, town[is_error].value_counts())
    rows["new_errors"] = _mapped(rows, town[is_error & new].value_counts())
    rows["pupils"] = _mapped(rows, j.plans.groupby("municipality")["student_id"].nunique())
    rows["plans"] = _mapped(rows, j.plans.groupby("municipality").size())
    fc = forecast(led, partners, programme, j.as_of)
    ended = programme_ended(programme, j.as_of)
    reached = fc.set_index("partner_id")["eligible_to_date_cents" if ended else "projected_cents"]
    by_town = reached.groupby(partners.set_index("partner_id")["municipality"]).sum()
    rows["projected_share"] = _ratio(_mapped(rows, by_town), rows["allocation_cents"])
    rows["colour"] = [
        standing_colour(None if pd.isna(s) else float(s), programme)
        for s in rows["projected_share"]
    ]
    rows = rows[MUNICIPALITY_COLUMNS]
    rows = rows.sort_values(
        "municipality", key=lambda names: names.map(latvian_order), kind="stable"
    ).reset_index(drop=True)
    total: dict[str, Any] = {c: int(rows[c].sum()) for c in _SUMMED_COLUMNS}
    total["allocation_cents"] = int(t.total["allocation_cents"])
    total["absorption"] = t.total["absorption"]

    standing = Standing.of(
        led, partners, f, programme, period, j.as_of, fc, int(t.total["eligible_cents"])
    )

    by_rule = (
        f.groupby(["rule", "severity"], sort=False)
        .agg(findings=("rule", "size"), at_risk_cents=("at_risk_cents", "sum"))
        .reset_index()
    )
    sem = totals(led, partners, "semester")
    plans = j.plans.groupby("semester").agg(
        pupils=("student_id", "nunique"), plans=("plan_id", "size")
    )
    money = sem.rows.set_index("semester")[["eligible_cents", "esf_cents"]]
    trend = plans.join(money, how="outer").fillna(0).astype("int64").reset_index()
    counts = {"pupils": int(j.plans["student_id"].nunique()), "plans": int(len(j.plans))}
    trend_total = {
        "pupils": counts["pupils"],  # distinct: a pupil of several semesters counts once
        "plans": int(trend["plans"].sum()),
        "eligible_cents": int(trend["eligible_cents"].sum()),
        "esf_cents": int(trend["esf_cents"].sum()),
    }
    ind = indicators(
        j.plans, led, partners, j.dataset.outcomes, programme,
        by="programme", per="cumulative", as_of=j.as_of,
    )  # fmt: skip
    ind["target_from"] = [_target_from(programme, name, j.as_of) for name in ind["indicator"]]
    return Overview(
        period=period,
        as_of=j.as_of,
        audience=audience,
        fingerprint=j.dataset.fingerprint,
        budget_cents=int(programme.budget.total_eur * 100),
        by_municipality=rows,
        total=total,
        findings_by_rule=by_rule,
        trend=trend,
        indicators=ind,
        standing=standing,
        key_figures=key_figures(period_led, led, partners),
        counts=counts,
        trend_total=trend_total,
        needs_action=needs_action(rows, ended),
        release=release if audience.is_public else None,
    )


def needs_action(rows: pd.DataFrame, ended: bool, n: int = NEEDS_ACTION) -> pd.DataFrame:
    """The municipalities that most need action: while the programme runs, absorption
    projected out of the band (red, then amber) first; then, and alone once it has ended
    (absorption is final, nothing to re-plan), the most money at risk in the half-year
    (corrections before filing), then new errors; only those with something to act on."""
    band = rows["colour"].map({"red": 0, "amber": 1}).fillna(2)
    acting = (rows["at_risk_period_cents"] > 0) | (rows["new_errors"] > 0)
    if ended:
        band = band * 0
    else:
        acting |= band < 2
    ranked = rows.assign(_band=band)[acting].sort_values(
        ["_band", "at_risk_period_cents", "new_errors", "at_risk_cents"],
        ascending=[True, False, False, False],
        kind="stable",
    )
    return ranked.drop(columns="_band").head(n).reset_index(drop=True)


def _target_from(programme: Programme, indicator: str, as_of: dt.date) -> dt.date | None:
    """The date the target in force at `as_of` took effect (None: no target)."""
    field_name = {
        "institutions_involved": "institutions_involved",
        "municipalities_involved": "municipalities_involved_share",
    }.get(indicator)
    versions = getattr(programme.targets, field_name) if field_name else []
    return programme.in_force(versions, as_of).effective_from if versions else None


def _mapped(rows: pd.DataFrame, by_name: pd.Series) -> pd.Series:
    by_name = pd.Series(by_name.to_numpy(), index=by_name.index.astype(str))
    return rows["municipality"].map(by_name).fillna(0).astype("int64")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    den = den.astype("Float64")
    return (num.astype("Float64") / den).where(den.notna() & (den != 0), pd.NA).astype("Float64")


def latvian_order(name: str) -> tuple[tuple[str, int], ...]:
    """A sort key in the Latvian alphabet's order (a, ā, b, c, č, ..., ž): each letter by
    its base letter, then plain before marked. Python's own order puts Ā after Z."""
    key = []
    for ch in name.lower():
        base = unicodedata.normalize("NFD", ch)
        key.append((base[0], len(base) - 1))
    return tuple(key)
