"""Pass 1, whole rows (docs/rules.md): each eligibility rule's check, registered beside
its id. A check answers, for every ledger row, whether the row breaks its rule; what
the checks share (the month's number, the row's school, the row's plan) is worked out
once per judging in `Rows`, and whatever depends on the month alone once per distinct
month (a ledger has ~90)."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import pandas as pd

from pumpurs.core import calendar as cal
from pumpurs.core import registry
from pumpurs.core.dataset import Dataset
from pumpurs.core.registry import rule
from pumpurs.core.rules.codes import group_codes, month_number, positions, take, version_index
from pumpurs.core.rules.findings import empty_findings
from pumpurs.core.settings import Programme


class Rows:
    """The ledger's rows as the eligibility checks see them. Each shared piece is worked
    out on first use and kept while the pass runs (then dropped with the object)."""

    def __init__(
        self, led: pd.DataFrame, plans: pd.DataFrame, ds: Dataset, programme: Programme
    ) -> None:
        self.led, self.plans, self.ds, self.programme = led, plans, ds, programme
        month_code, month_names = pd.factorize(led["service_month"], sort=True)
        self.month_code = month_code.astype(np.int32)
        self.months = pd.Series(np.asarray(month_names, dtype=object), dtype=object)

    @cached_property
    def month_number(self) -> np.ndarray:
        """year * 12 + month of each row's service month: months compare as ints."""
        y, mm = cal.year_month(self.months)
        number: np.ndarray = (y * 12 + mm).astype(np.int32)[self.month_code]
        return number

    @cached_property
    def school_at(self) -> np.ndarray:
        """Each row's school's position in the schools table (-1: none)."""
        return positions(self.led["school_id"], self.ds.schools["school_id"])

    @cached_property
    def has_school(self) -> np.ndarray:
        given: np.ndarray = (self.led["school_id"] != "").to_numpy()
        return given

    @cached_property
    def has_student(self) -> np.ndarray:
        given: np.ndarray = (self.led["student_id"] != "").to_numpy()
        return given

    @cached_property
    def plan(self) -> tuple[np.ndarray, np.ndarray, pd.Categorical]:
        """Whether each row has its plan — the first for (student, school, semester),
        created by the last day of the service month — and that plan's grade (0 if none)
        and level ("" if none)."""
        led, plans, months, month_code = self.led, self.plans, self.months, self.month_code
        key = ["student_id", "school_id", "semester"]
        first_plan = _first_plans(plans, key)[[*key, "created_on", "level", "grade"]]
        joint = group_codes(*(pd.concat([led[c], first_plan[c]], ignore_index=True) for c in key))
        plan_at = pd.Index(joint[len(led) :]).get_indexer(joint[: len(led)])
        del joint
        created = take(first_plan["created_on"].to_numpy(), plan_at, np.datetime64("NaT"))
        has_plan = (plan_at >= 0) & (created <= cal.month_end(months).to_numpy()[month_code])
        del created
        grade = take(first_plan["grade"].to_numpy(dtype=np.int64), plan_at, 0).astype(np.int16)
        levels = pd.Index(pd.unique(first_plan["level"])).append(pd.Index([""])).unique()
        level = pd.Categorical.from_codes(  # a code per row, not 600 000 strings
            take(levels.get_indexer(first_plan["level"]), plan_at, levels.get_loc("")),
            categories=levels,
        )
        return has_plan, grade, level


@rule("ELIG_PERIOD")
def _outside_period(rows: Rows) -> np.ndarray:
    periods = rows.programme.period
    per = version_index(periods, rows.months)
    start = np.asarray([v.start_month for v in periods], dtype=object)[per]
    end = np.asarray([v.end_month for v in periods], dtype=object)[per]
    m = rows.months.to_numpy(dtype=object)
    outside: np.ndarray = ((m < start) | (m > end))[rows.month_code]
    return outside


@rule("ELIG_AGREEMENT")
def _before_agreement(rows: Rows) -> np.ndarray:
    partners = rows.ds.partners
    agreement = month_number(partners["agreement_date"])
    at = positions(rows.led["partner_id"], partners["partner_id"])
    before: np.ndarray = rows.month_number < take(agreement, at, -1)
    return before


@rule("ELIG_SCHOOL_PARTNER")
def _other_partners_school(rows: Rows) -> np.ndarray:
    led, schools = rows.led, rows.ds.schools
    partner = pd.factorize(pd.concat([led["partner_id"], schools["partner_id"]]))[0]
    school_partner = take(partner[len(led) :], rows.school_at, -1)  # the school's own partner
    other: np.ndarray = rows.has_school & (school_partner != partner[: len(led)])
    return other


@rule("ELIG_SCHOOL_JOINED")
def _before_school_joined(rows: Rows) -> np.ndarray:
    joined = month_number(rows.ds.schools["joined_on"])
    before: np.ndarray = rows.has_school & (rows.month_number < take(joined, rows.school_at, -1))
    return before


@rule("ELIG_NO_PLAN")
def _no_plan(rows: Rows) -> np.ndarray:
    has_plan, _, _ = rows.plan
    no_plan: np.ndarray = rows.has_student & ~has_plan
    return no_plan


@rule("ELIG_TARGET_GROUP")
def _outside_target_group(rows: Rows) -> np.ndarray:
    """The plan's grade is outside the target group in force in the month (the
    vocational bounds for a vocational plan, the general ones otherwise)."""
    has_plan, grade, level = rows.plan
    groups = rows.programme.target_group
    bounds = np.array(
        [
            [
                v.general.min_grade,
                v.general.max_grade,
                v.vocational.min_grade,
                v.vocational.max_grade,
            ]
            for v in groups
        ],
        dtype=np.int16,
    )[version_index(groups, rows.months)]  # one row per distinct month
    vocational = np.asarray(level == "vocational")
    low = bounds[rows.month_code, np.where(vocational, 2, 0)]
    high = bounds[rows.month_code, np.where(vocational, 3, 1)]
    outside: np.ndarray = rows.has_student & has_plan & ((grade < low) | (grade > high))
    return outside


@rule("ELIG_MATERIALS_VOCATIONAL")
def _materials_for_general(rows: Rows) -> np.ndarray:
    has_plan, _, level = rows.plan
    categories = rows.programme.vocational_only_categories
    vocational_only = rows.led["category"].isin(categories).to_numpy()
    general: np.ndarray = vocational_only & rows.has_student & has_plan & (level == "general")
    return general


def _first_plans(plans: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Per `key`, the plan created first (ties: the smaller plan_id), in no particular
    order: only the few plans tied on their day are sorted by id, not every plan."""
    g = group_codes(*(plans[c] for c in key))
    created = plans["created_on"].to_numpy()
    first = created == pd.Series(created).groupby(g).transform("min").to_numpy()
    tied = np.bincount(g[first], minlength=len(g))[g] > 1
    ties = plans[first & tied].sort_values("plan_id").drop_duplicates(key)
    return pd.concat([plans[first & ~tied], ties])


def breaks(
    led: pd.DataFrame, plans: pd.DataFrame, ds: Dataset, programme: Programme
) -> pd.DataFrame:
    """A boolean column per eligibility rule, in the registry's order, each from the
    rule's registered check; and the row's plan's level and grade (for the messages)."""
    rows = Rows(led, plans, ds, programme)
    _, grade, level = rows.plan  # first: its temporaries are freed before the others exist
    out = pd.DataFrame(index=led.index)
    for rule_id in registry.ids("eligibility"):
        out[rule_id] = registry.check(rule_id)(rows)
    out["_plan_level"] = level
    out["_plan_grade"] = grade
    return out


def row_findings(led: pd.DataFrame, broken: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """One finding per rule broken; the amount is at risk on the row's first finding only."""
    rule_ids = registry.ids("eligibility")
    b = broken[list(rule_ids)].to_numpy()
    b = b & (led["amount_cents"].to_numpy() > 0)[:, None]  # a withdrawn row has no finding
    any_break = b.any(axis=1)
    first = np.argmax(b, axis=1)
    loss = np.where(any_break, led["amount_cents"].to_numpy(), 0)
    parts = []
    for i, rule_id in enumerate(rule_ids):
        idx = np.flatnonzero(b[:, i])
        if len(idx) == 0:
            continue
        rows = led.iloc[idx]
        parts.append(
            pd.DataFrame(
                {
                    "rule": rule_id,
                    "partner_id": rows["partner_id"].to_numpy(),
                    "school_id": rows["school_id"].to_numpy(),
                    "student_id": rows["student_id"].to_numpy(),
                    "period": rows["service_month"].to_numpy(),
                    "entry_ids": [(e,) for e in rows["entry_id"]],
                    "amount_cents": rows["amount_cents"].to_numpy(),
                    "limit_cents": pd.NA,
                    "at_risk_cents": np.where(first[idx] == i, rows["amount_cents"].to_numpy(), 0),
                    "_row": idx,
                }
            )
        )
    f = pd.concat(parts, ignore_index=True) if parts else empty_findings()
    return loss, f
