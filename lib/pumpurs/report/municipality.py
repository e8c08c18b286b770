"""What one municipality's ESF report says, as tables — computed here, shown by notebooks.

`municipality_report()` gathers everything the report notebook presents from a
Judgement: title facts, key figures, the monthly series with the forecast, spending by
category, school and semester, cap usage, findings, indicators and next steps. Tables
keep raw values (cents, counts); formatting and privacy are applied when shown.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from pumpurs.core.calendar import Period, month_of
from pumpurs.core.forecast import forecast, forecast_series
from pumpurs.core.indicators import indicators
from pumpurs.core.money import to_cents
from pumpurs.core.rules import Judgement
from pumpurs.core.settings import Municipality, Programme
from pumpurs.core.totals import row_esf_cents, totals_many
from pumpurs.report.audience import Audience

KEY_FIGURES = ("allocation", "declared", "eligible", "at_risk", "esf", "state")
CORRECTED = "corrected"  # a key figure after `declared`, where corrections are known


@dataclass
class MunicipalityReport:
    municipality: Municipality
    period: Period
    as_of: dt.date
    audience: Audience
    fingerprint: str
    partners: pd.DataFrame
    schools: pd.DataFrame
    key_figures: pd.DataFrame  # figure, period_cents, cumulative_cents
    absorption: float | None
    series: pd.DataFrame  # forecast_series
    forecast: pd.DataFrame  # per partner
    by_category: pd.DataFrame
    by_school: pd.DataFrame
    by_semester: pd.DataFrame
    by_partner: pd.DataFrame
    totals: dict[str, dict[str, Any]]  # by -> total line
    cap_usage: pd.DataFrame  # category, band, pupil_months
    findings_by_rule: pd.DataFrame  # rule, severity, findings, at_risk_cents
    findings: pd.DataFrame  # row level (internal); empty for public
    indicators: pd.DataFrame
    next_steps: pd.DataFrame  # rule, findings, at_risk_cents
    programme: Programme
    counts: dict[str, int] = field(default_factory=dict)
    partner_names: dict[str, str] = field(default_factory=dict)
    school_names: dict[str, str] = field(default_factory=dict)  # every school, any partner
    standing: Standing | None = None
    top_fixes: pd.DataFrame = field(default_factory=pd.DataFrame)  # partner_id, rule, ...
    fix_counts: pd.DataFrame = field(default_factory=pd.DataFrame)  # every partner × rule line
    by_category_period: pd.DataFrame = field(default_factory=pd.DataFrame)
    by_school_period: pd.DataFrame = field(default_factory=pd.DataFrame)
    totals_period: dict[str, dict[str, Any]] = field(default_factory=dict)
    corrections: pd.DataFrame = field(default_factory=pd.DataFrame)  # see corrections_of
    release: dict[str, str] | None = None  # public: the period's suppression (run/release.py)
    changes: Any = None  # report/changes.py: since the previous report (set by the caller)

    @property
    def public(self) -> bool:
        return self.audience.is_public

    @property
    def empty(self) -> bool:
        """No money declared up to the report date: a one-page report, status `empty`."""
        return self.standing is None or self.standing.empty


@dataclass(frozen=True)
class Standing:
    """Where the municipality stands, for page 1: the facts its sentences are made of."""

    empty: bool  # nothing declared up to the report date
    ended: bool  # the report date is at or after the programme's last day
    allocation_cents: int
    eligible_cents: int
    remaining_cents: int  # allocation - eligible (negative: above the allocation)
    share: float | None  # final absorption once ended, else projected at the end
    colour: str  # green | amber | red | grey (against the absorption band)
    period_at_risk_cents: int  # money at risk in the period's service months
    earlier_at_risk_cents: int
    new_errors: int  # error findings with a row in the period (or about the report date)
    errors: int
    warnings: int
    due: dt.date  # corrections are due by the next reporting deadline

    @classmethod
    def of(
        cls,
        led: pd.DataFrame,
        partners: pd.DataFrame,
        findings: pd.DataFrame,
        programme: Programme,
        period: Period,
        as_of: dt.date,
        projection: pd.DataFrame,
        eligible_cents: int,
    ) -> Standing:
        """The standing of a municipality's or the programme's rows and findings: one
        computation for page 1 of both reports."""
        ended, share, colour = absorption_verdict(led, partners, programme, as_of, projection)
        allocation = int(partners["allocation_cents"].sum())
        in_period = period.holds(led["service_month"])
        at_risk = led["ineligible_cents"] + led["over_allocation_cents"]
        is_error = (findings["severity"] == "error").to_numpy()
        new = _new_in_period(findings, led, period).to_numpy() if len(findings) else is_error
        return cls(
            empty=bool(led.empty),
            ended=ended,
            allocation_cents=allocation,
            eligible_cents=eligible_cents,
            remaining_cents=allocation - eligible_cents,
            share=share,
            colour=colour,
            period_at_risk_cents=int(at_risk[in_period].sum()),
            earlier_at_risk_cents=int(at_risk[~in_period].sum()),
            new_errors=int((is_error & new).sum()),
            errors=int(is_error.sum()),
            warnings=int((findings["severity"] == "warning").sum()),
            due=period.end_date + dt.timedelta(days=programme.reporting.corrections_due_days),
        )


CAP_BANDS = (
    (0, 50, "0–50 %"),
    (50, 80, "50–80 %"),
    (80, 100, "80–<100 %"),
    (100, 100, "100 %"),
    (100, None, ">100 %"),
)


def _cap_usage(ledger: pd.DataFrame, programme: Programme) -> pd.DataFrame:
    """How close pupils' monthly (or semester) totals run to each per-pupil cap."""
    rows = []
    for cap in programme.caps:
        if cap.per == "ngo_project":
            continue
        part = ledger[(ledger["category"] == cap.category) & (ledger["amount_cents"] > 0)]
        key = (
            ["student_id", "service_month"]
            if cap.per == "student_month"
            else ["student_id", "semester"]
        )
        limit = to_cents(cap.versions[-1].limit_eur)
        sums = part.groupby(key)["amount_cents"].sum().to_numpy()
        for lo, hi, band in CAP_BANDS:
            if hi is None:
                n = int((sums > limit).sum())
            elif lo == hi:
                n = int((sums == limit).sum())
            else:
                n = int(((sums * 100 >= lo * limit) & (sums * 100 < hi * limit)).sum())
            rows.append({"category": cap.category, "cap_cents": limit, "band": band, "groups": n})
    return pd.DataFrame(rows, columns=["category", "cap_cents", "band", "groups"])


def key_figures(
    period_led: pd.DataFrame, led: pd.DataFrame, partners: pd.DataFrame
) -> pd.DataFrame:
    """Page 1's money: the half-year beside the figures since the start (a municipality's
    or the programme's); the ESF of each is the sum of its rows' shares."""

    def figs(frame: pd.DataFrame) -> dict[str, int]:
        eligible = int(frame["eligible_cents"].sum())
        esf = int(row_esf_cents(frame).sum())
        return {
            "allocation": int(partners["allocation_cents"].sum()),
            "declared": int(frame["amount_cents"].sum()),
            "eligible": eligible,
            "at_risk": int(frame["ineligible_cents"].sum() + frame["over_allocation_cents"].sum()),
            "esf": esf,
            "state": eligible - esf,
        }

    p, c = figs(period_led), figs(led)
    names = list(KEY_FIGURES)
    if "corrected_cents" in led.columns and led["corrected_cents"].any():
        names.insert(names.index("declared") + 1, CORRECTED)
        p[CORRECTED] = int(period_led["corrected_cents"].sum())
        c[CORRECTED] = int(led["corrected_cents"].sum())
    return pd.DataFrame(
        {
            "figure": names,
            "period_cents": [p[k] for k in names],
            "cumulative_cents": [c[k] for k in names],
        }
    )


def corrections_of(j: Judgement) -> pd.DataFrame:
    """Every correction known at the report date beside the row it corrects, for the
    correction annex: row_id, original_cents and net_cents of the corrected row, then the
    correction's entry_id, paid_on, amount_cents (negative) and document_ref; by row and
    (paid_on, entry_id)."""
    cols = ["row_id", "original_cents", "net_cents", "entry_id", "paid_on", "amount_cents",
            "document_ref"]  # fmt: skip
    e = j.dataset.expenditures
    if "corrects_entry_id" not in e.columns or not (e["amount_cents"] < 0).any():
        return pd.DataFrame(columns=cols)
    known = e[(e["amount_cents"] < 0) & (e["paid_on"] <= pd.Timestamp(j.as_of))]
    rows = j.ledger.loc[j.ledger["corrected_cents"] > 0, ["entry_id", "amount_cents"]]
    rows = rows.assign(
        original_cents=rows["amount_cents"] + j.ledger.loc[rows.index, "corrected_cents"]
    ).rename(columns={"entry_id": "row_id", "amount_cents": "net_cents"})
    out = known[["corrects_entry_id", "entry_id", "paid_on", "amount_cents", "document_ref"]]
    out = out.rename(columns={"corrects_entry_id": "row_id"}).merge(rows, on="row_id")
    out = out.sort_values(["row_id", "paid_on", "entry_id"], kind="stable")
    return out[cols].reset_index(drop=True)


def has_no_data(j: Judgement) -> bool:
    """Nothing declared up to the report date (the judgement is already scoped)."""
    return bool(j.ledger.empty)


def standing_colour(share: float | Decimal | None, programme: Programme) -> str:
    """green inside the absorption band, amber within `reporting.amber_margin` below it or
    above it, red further below; grey without an allocation."""
    if share is None:
        return "grey"
    low = Decimal(programme.warnings.absorption_low)
    high = Decimal(programme.warnings.absorption_high)
    margin = Decimal(programme.reporting.amber_margin)
    share = Decimal(str(share))  # the band's edges compare exactly
    if low <= share <= high:
        return "green"
    if share > high or share >= low - margin:
        return "amber"
    return "red"


def programme_ended(programme: Programme, as_of: dt.date) -> bool:
    """The report date is on or after the last day of the programme's last month: the
    day after it lies beyond that month."""
    end = programme.period_at(as_of).end_month
    return month_of(as_of + dt.timedelta(days=1)) > end


def absorption_verdict(
    ledger: pd.DataFrame,
    partners: pd.DataFrame,
    programme: Programme,
    as_of: dt.date,
    projection: pd.DataFrame | None = None,
) -> tuple[bool, float | None, str]:
    """(ended, share, colour) for page 1 and the index: the final absorption once the
    programme has ended, else the absorption projected to its end (`projection`: the
    forecast when the caller has it already)."""
    ended = programme_ended(programme, as_of)
    allocation = int(partners["allocation_cents"].sum())
    if allocation <= 0 or ledger.empty:
        return ended, None, "grey"
    if ended:
        reached = int(ledger["eligible_cents"].sum())
    else:
        fc = projection if projection is not None else forecast(ledger, partners, programme, as_of)
        reached = int(fc["projected_cents"].sum())
    share = reached / allocation
    return ended, share, standing_colour(share, programme)


def _new_in_period(findings: pd.DataFrame, ledger: pd.DataFrame, period: Period) -> pd.Series:
    """A finding is new in the period when one of its rows has a service month in it; a
    finding about the report date itself (no rows: allocation, absorption) is current."""
    lengths = findings["entry_ids"].map(len).to_numpy(dtype=np.int64)
    ids = [i for t in findings["entry_ids"] for i in t]
    at = pd.Index(ledger["entry_id"]).get_indexer(ids) if ids else np.zeros(0, dtype=np.int64)
    months = ledger["service_month"].to_numpy(dtype=object)
    month = np.where(at >= 0, months[at] if len(months) else "", "").astype(str)
    inside = (month >= period.first_month) & (month <= period.last_month)
    owner = np.repeat(np.arange(len(findings)), lengths)  # the finding each id belongs to
    hits = np.bincount(owner[inside], minlength=len(findings)) > 0
    return pd.Series(hits | (lengths == 0), index=findings.index)


def _top_fixes(findings: pd.DataFrame, n: int | None = 5) -> pd.DataFrame:
    """The fixes with the most money at risk: one line per partner and rule. The `n` main
    corrections hold money (a line of 0,00 € — a second finding of a row whose amount is
    at risk on its first — corrects nothing that pays); `n` None: every line, with its
    count (the lines of a rule add up to the findings table's row, privacy needs them
    all)."""
    errors = findings[findings["severity"] == "error"]
    cols = ["partner_id", "rule", "findings", "at_risk_cents"]
    if errors.empty:
        return pd.DataFrame(columns=cols)
    grouped = (
        errors.groupby(["partner_id", "rule"], sort=False)
        .agg(findings=("rule", "size"), at_risk_cents=("at_risk_cents", "sum"))
        .reset_index()
    )
    grouped = grouped.sort_values(
        ["at_risk_cents", "partner_id", "rule"], ascending=[False, True, True], kind="stable"
    )
    if n is not None:
        grouped = grouped[grouped["at_risk_cents"] > 0].head(n)
    return grouped.reset_index(drop=True)[cols]


def municipality_report(
    j: Judgement,
    programme: Programme,
    municipality: str,
    period: Period,
    audience: str | Audience = "internal",
    release: dict[str, str] | None = None,
) -> MunicipalityReport:
    """What the report says. `release`: for a public report, the period's suppression
    decisions (report/release.py), so that it hides what the whole release hides."""
    audience = Audience.of(audience, programme)
    m = programme.municipality(municipality)
    s = j.scoped(municipality=m.name)
    led = s.ledger
    in_period = period.holds(led["service_month"])
    period_led = led[in_period]
    partners = s.partners.sort_values("partner_id").reset_index(drop=True)
    schools = j.dataset.schools
    schools = schools[schools["partner_id"].isin(partners["partner_id"])].sort_values("school_id")

    t_partner, t_cat, t_school, t_sem = totals_many(
        led, partners, ["partner", "category", "school", "semester"]
    ).values()
    all_schools = j.dataset.schools
    names = dict(zip(all_schools["school_id"], all_schools["name"], strict=True))
    by_school = t_school.rows.copy()
    by_school.insert(1, "name", by_school["school_id"].map(names).fillna(""))

    f = s.findings
    by_rule = (
        f.groupby(["rule", "severity"], sort=False)
        .agg(findings=("rule", "size"), at_risk_cents=("at_risk_cents", "sum"))
        .reset_index()
    )
    errors = by_rule[by_rule["severity"] == "error"].sort_values("at_risk_cents", ascending=False)
    warnings = by_rule[by_rule["severity"] == "warning"]
    next_steps = pd.concat([errors, warnings], ignore_index=True)[
        ["rule", "severity", "findings", "at_risk_cents"]
    ]

    ind = pd.concat(
        [
            indicators(s.plans, led, partners, j.dataset.outcomes, programme,
                       by="municipality", per=per, as_of=j.as_of)
            for per in ("school_year", "cumulative")
        ],
        ignore_index=True,
    )  # fmt: skip

    absorption = t_partner.total.get("absorption")
    fc = forecast(led, partners, programme, j.as_of)
    standing = Standing.of(
        led, partners, f, programme, period, j.as_of, fc, int(t_partner.total["eligible_cents"])
    )
    t_cat_p, t_school_p = totals_many(period_led, partners, ["category", "school"]).values()
    counts = {
        "pupils": int(s.plans["student_id"].nunique()),
        "plans": int(len(s.plans)),
        "schools_with_plans": int(s.plans["school_id"].nunique()),
    }
    return MunicipalityReport(
        municipality=m,
        period=period,
        as_of=j.as_of,
        audience=audience,
        fingerprint=j.dataset.fingerprint,
        partners=partners[["partner_id", "name", "kind", "agreement_date", "allocation_cents"]],
        schools=schools[
            ["school_id", "name", "partner_id", "kind", "round", "joined_on"]
        ].reset_index(drop=True),
        key_figures=key_figures(period_led, led, partners),
        absorption=None if absorption is None or pd.isna(absorption) else float(absorption),
        series=forecast_series(led, partners, programme, j.as_of),
        forecast=fc,
        by_category=t_cat.rows,
        by_school=by_school,
        by_semester=t_sem.rows,
        by_partner=t_partner.rows,
        totals={
            "partner": t_partner.total,
            "category": t_cat.total,
            "school": t_school.total,
            "semester": t_sem.total,
        },
        cap_usage=_cap_usage(period_led, programme),
        findings_by_rule=by_rule,
        findings=f if audience.sees_pupil_rows else f.iloc[0:0],
        indicators=ind,
        next_steps=next_steps,
        counts=counts,
        programme=programme,
        partner_names=dict(zip(partners["partner_id"], partners["name"], strict=True)),
        school_names=names,
        standing=standing,
        top_fixes=_top_fixes(f),
        fix_counts=_top_fixes(f, None),
        by_category_period=t_cat_p.rows,
        by_school_period=t_school_p.rows,
        totals_period={"category": t_cat_p.total, "school": t_school_p.total},
        corrections=corrections_of(s) if audience.sees_pupil_rows else corrections_of(s).iloc[0:0],
        release=release if audience.is_public else None,
    )
