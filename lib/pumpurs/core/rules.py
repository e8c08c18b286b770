"""Judging every euro exactly as docs/rules.md says: three passes, allocation, warnings.

`judge()` is the one entry point. It returns a `Judgement`: the ledger as known at
`as_of` with each row's ineligible, over-allocation and eligible cents, the support
plans known at `as_of`, and the findings table. Totals and indicators are computed
from a Judgement, never from the raw data, so every view agrees.

Ledger columns (one row per expenditure with paid_on <= as_of; a correction is judged
as part of the row it corrects, docs/rules.md "Corrections", and its own row carries no
money: amount, corrected, ineligible and eligible all 0):
  entry_id, partner_id, municipality, municipality_code, school_id, student_id,
  category, service_month (YYYY-MM), semester (YYYY/YYYY-N), school_year (YYYY/YYYY),
  half_year (YYYY-HN), paid_on (datetime64), amount_cents (the net amount: the row's
  amount plus its corrections paid by `as_of`; 0 for a withdrawn row), corrected_cents
  (those corrections as a positive figure), ineligible_cents,
  over_allocation_cents, eligible_cents (= amount - ineligible - over_allocation),
  esf_rate (e.g. "0.85", the rate in force in the service month), esf_cents (the
  row's part of its partner's ESF share, totals.esf_shares), document_ref,
  specialist_role, hours, ngo_project_id.
  municipality, municipality_code, semester, school_year, half_year and esf_rate are
  categoricals with sorted categories (one byte a row, not a string).
Plans columns: the support_plans columns plus partner_id, municipality,
  municipality_code, school_year.
Findings columns: rule, severity (error|warning), partner_id, school_id, student_id,
  period, entry_ids (tuple[str, ...]), amount_cents (Int64, NA if none),
  limit_cents (Int64, NA if none), at_risk_cents (int64), then DETAIL_COLUMNS: the
  structured facts present/messages.py turns into a sentence (core writes no words).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from pumpurs.core import calendar as cal
from pumpurs.core import registry
from pumpurs.core.dataset import Dataset
from pumpurs.core.money import to_cents
from pumpurs.core.settings import Programme
from pumpurs.core.totals import esf_shares

FINDING_COLUMNS = (
    "rule",
    "severity",
    "partner_id",
    "school_id",
    "student_id",
    "period",
    "entry_ids",
    "amount_cents",
    "limit_cents",
    "at_risk_cents",
)
# What a finding's message is made of (present/messages.py words them); empty where the
# rule has no such detail.
DETAIL_COLUMNS = (
    "plan_id",  # PLAN_LATE
    "detail_date",  # agreement (ELIG_AGREEMENT), school joined (ELIG_SCHOOL_*), plan
    #                 deadline (ELIG_NO_PLAN), plan created (PLAN_LATE)
    "other_partner",  # the school's own partner (ELIG_SCHOOL_*)
    "semester",  # the service month's semester (ELIG_NO_PLAN)
    "plan_level",  # ELIG_TARGET_GROUP
    "plan_grade",  # ELIG_TARGET_GROUP
    "document_ref",  # DUPLICATE_CLAIM
    "period_start",  # ELIG_PERIOD: the programme period in force
    "period_end",
    "share",  # ABSORPTION_RISK: projected share of the allocation
    "category",  # the cost category of the finding's rows (a cap's category), or ""
    "corrections",  # how many of entry_ids are corrections (they follow the rows' ids)
)


@dataclass
class Judgement:
    as_of: dt.date
    ledger: pd.DataFrame
    plans: pd.DataFrame
    findings: pd.DataFrame
    dataset: Dataset
    programme: Programme

    @property
    def partners(self) -> pd.DataFrame:
        return self.dataset.partners

    def scoped(self, partner: str | None = None, municipality: str | None = None) -> Judgement:
        """The same judgement seen from one partner or one current municipality.

        Judging always runs on the whole data (a pupil's cap spans partners); only the
        view is narrowed.
        """
        partners = self.dataset.partners
        if partner is not None:
            ids = set(partners.loc[partners["partner_id"] == partner, "partner_id"])
        elif municipality is not None:
            ids = set(partners.loc[partners["municipality"] == municipality, "partner_id"])
        else:
            return self
        ds, keep = self.dataset, self._kept(ids)
        narrow = replace(  # every school stays: rows may name another partner's school
            ds,
            partners=partners[keep["partners"]].reset_index(drop=True),
            support_plans=ds.support_plans[keep["support_plans"]],
            expenditures=ds.expenditures[keep["expenditures"]],
            outcomes=ds.outcomes[keep["outcomes"]],
        )
        return Judgement(
            as_of=self.as_of,
            ledger=self.ledger[keep["ledger"]].reset_index(drop=True),
            plans=self.plans[keep["plans"]].reset_index(drop=True),
            findings=self.findings[keep["findings"]].reset_index(drop=True),
            dataset=narrow,
            programme=self.programme,
        )

    def _kept(self, ids: set[str]) -> dict[str, np.ndarray]:
        """Per table, which rows the view of partners `ids` keeps (what `scoped` means)."""
        ds = self.dataset
        own_schools = ds.schools.loc[ds.schools["partner_id"].isin(ids), "school_id"]
        plans = self.plans["partner_id"].isin(ids).to_numpy()
        students = self.plans["student_id"][plans]
        return {
            "ledger": self.ledger["partner_id"].isin(ids).to_numpy(),
            "plans": plans,
            "findings": self.findings["partner_id"].isin(ids).to_numpy(),
            "partners": ds.partners["partner_id"].isin(ids).to_numpy(),
            "expenditures": ds.expenditures["partner_id"].isin(ids).to_numpy(),
            "support_plans": ds.support_plans["school_id"].isin(own_schools).to_numpy(),
            "outcomes": ds.outcomes["student_id"].isin(students).to_numpy(),
        }

    def municipality_codes(self, partner_ids: pd.Series) -> np.ndarray:
        """Each row's current municipality, as its position in the programme's list of
        municipalities, found from the row's partner; -1 for a partner in none."""
        partners = self.dataset.partners
        names = [m.name for m in self.programme.municipalities]
        town = pd.Index(names).get_indexer(partners["municipality"].astype(str))
        at = pd.Index(partners["partner_id"].astype(str)).get_indexer(partner_ids)
        return np.where(at >= 0, town[np.maximum(at, 0)], -1)

    def _municipality_order(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per table: its row positions ordered by current municipality (stable, so each
        municipality's rows keep the national order), and where each municipality's rows
        begin and end in that order (`bounds[i]:bounds[i + 1]`), in one pass per table."""
        ds, names = self.dataset, [m.name for m in self.programme.municipalities]
        by_partner = self.municipality_codes

        def bounds(code: np.ndarray) -> np.ndarray:
            counts = np.bincount(code[code >= 0], minlength=len(names))
            return np.concatenate([[0], np.cumsum(counts)])

        at_school = pd.Index(ds.schools["school_id"]).get_indexer(ds.support_plans["school_id"])
        school_partner = np.where(
            at_school >= 0, ds.schools["partner_id"].to_numpy(dtype=object)[at_school], ""
        )
        codes = {
            "ledger": by_partner(self.ledger["partner_id"]),
            "plans": by_partner(self.plans["partner_id"]),
            "findings": by_partner(self.findings["partner_id"]),
            "partners": by_partner(ds.partners["partner_id"]),
            "expenditures": by_partner(ds.expenditures["partner_id"]),
            "support_plans": by_partner(pd.Series(school_partner, dtype=object)),
        }
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for table, code in codes.items():
            order = np.argsort(np.where(code < 0, len(names), code), kind="stable")
            out[table] = (order, bounds(code))
        # a pupil's outcomes go with every municipality that has a plan for the pupil
        pairs = pd.DataFrame(
            {"student_id": self.plans["student_id"].to_numpy(), "m": codes["plans"]}
        )
        pairs = pairs[pairs["m"] >= 0].drop_duplicates()
        outcomes = pd.DataFrame(
            {"student_id": ds.outcomes["student_id"].to_numpy(), "pos": np.arange(len(ds.outcomes))}
        )
        hit = outcomes.merge(pairs, on="student_id").sort_values(["m", "pos"], kind="stable")
        out["outcomes"] = (hit["pos"].to_numpy(dtype=np.int64), bounds(hit["m"].to_numpy()))
        return out

    def municipality_rows(
        self, names: Sequence[str] | None = None
    ) -> dict[str, dict[str, np.ndarray]]:
        """Each table's row positions per current municipality (ascending): exactly the
        rows `scoped(municipality=m)` keeps, for every m at once, or for a few `names`
        (found then as `scoped` finds them: cheaper than ordering every table)."""
        if names is not None:
            partners = self.dataset.partners
            kept = {
                n: self._kept(set(partners.loc[partners["municipality"] == n, "partner_id"]))
                for n in names
            }
            tables = next(iter(kept.values()), {})
            return {t: {n: np.flatnonzero(kept[n][t]) for n in names} for t in tables}
        names = [m.name for m in self.programme.municipalities]
        return {
            table: {n: order[b[i] : b[i + 1]] for i, n in enumerate(names)}
            for table, (order, b) in self._municipality_order().items()
        }

    def by_municipality(self) -> dict[str, Judgement]:
        """`scoped(municipality=m)` for every current municipality, in one pass: each table
        is reordered by municipality once, and each view is a slice of it (no copy)."""
        names, ds = [m.name for m in self.programme.municipalities], self.dataset
        frames = {
            "ledger": self.ledger,
            "plans": self.plans,
            "findings": self.findings,
            "partners": ds.partners,
            "expenditures": ds.expenditures,
            "support_plans": ds.support_plans,
            "outcomes": ds.outcomes,
        }
        keeps_index = {"expenditures", "support_plans", "outcomes"}  # as scoped() keeps them
        grouped = {t: (frames[t].iloc[o], b) for t, (o, b) in self._municipality_order().items()}

        def part(table: str, i: int) -> pd.DataFrame:
            frame, b = grouped[table]
            out = frame.iloc[b[i] : b[i + 1]]
            return out if table in keeps_index else out.reset_index(drop=True)

        views = {}
        for i, name in enumerate(names):
            narrow = replace(
                ds,
                partners=part("partners", i),
                support_plans=part("support_plans", i),
                expenditures=part("expenditures", i),
                outcomes=part("outcomes", i),
            )
            views[name] = Judgement(
                as_of=self.as_of,
                ledger=part("ledger", i),
                plans=part("plans", i),
                findings=part("findings", i),
                dataset=narrow,
                programme=self.programme,
            )
        return views

    @property
    def errors(self) -> pd.DataFrame:
        return self.findings[self.findings["severity"] == "error"]


PASS1_RULES = registry.ids("eligibility")
CAP_GROUP_KEYS = {
    "student_month": ["student_id", "service_month"],
    "student_semester": ["student_id", "semester"],
    "ngo_project": ["ngo_project_id"],
}
CAP_PERIOD_COLUMN = {
    "student_month": "service_month",
    "student_semester": "semester",
    "ngo_project": "ngo_project_id",
}


def rule_ids(programme: Programme) -> list[str]:
    """Every rule id in docs/rules.md order (the caps come from programme.yaml)."""
    caps = [c.rule for c in programme.caps]
    before = [r.id for r in registry.RULES if r.stage in ("eligibility", "duplicate")]
    after = [r.id for r in registry.RULES if r.stage in ("allocation", "warning")]
    return [*before, *caps, *after]


# ---------------------------------------------------------------------------
# Versions in force, vectorised
# ---------------------------------------------------------------------------
def _version_index(versions: list, months: pd.Series) -> np.ndarray:
    """Index of the version in force on the first day of each month."""
    starts = np.array([np.datetime64(v.effective_from, "D") for v in versions])
    days = cal.month_start(months).to_numpy().astype("datetime64[D]")
    return np.clip(np.searchsorted(starts, days, side="right") - 1, 0, len(versions) - 1)


# ---------------------------------------------------------------------------
# Integer codes: grouping and joining on strings, done once per distinct value
# ---------------------------------------------------------------------------
def group_codes(*columns: pd.Series | np.ndarray) -> np.ndarray:
    """One dense integer per distinct combination of the columns' values (0, 1, …, in
    order of first appearance): grouping on integers, not on strings, is what keeps a
    6-million-row ledger fast; equal tuples get equal codes, so any grouping agrees.
    Codes (non-negative integers, such as other group codes) are used as they are."""
    code, size = np.zeros(len(columns[0]), dtype=np.int64), 1
    for column in columns:
        if _is_code(column):
            part, n = column, int(column.max()) + 1 if len(column) else 1
        else:
            part, uniques = pd.factorize(column, use_na_sentinel=False)  # NaN: its own code
            n = max(len(uniques), 1)
        if size * n >= 2**62:  # the combined number would overflow: make it dense first
            code, uniques = pd.factorize(code)
            size = max(len(uniques), 1)
        code, size = code * n + part, size * n
    return pd.factorize(code)[0].astype(np.int64, copy=False)


def _is_code(column: pd.Series | np.ndarray) -> bool:
    return (
        isinstance(column, np.ndarray)
        and column.dtype.kind in "iu"
        and (len(column) == 0 or (column.min() >= 0 and column.max() < 2**31))
    )


def _take(values: np.ndarray, at: np.ndarray, missing: Any) -> np.ndarray:
    """values[at], `missing` where at is -1 (nothing was found, or there is nothing)."""
    if len(values) == 0:
        return np.full(len(at), missing)
    return np.where(at >= 0, values[np.maximum(at, 0)], missing)


def positions(values: pd.Series, keys: pd.Series) -> np.ndarray:
    """Where each value is in `keys` (unique), -1 where it is not: a left join's row
    numbers, looked up once per distinct value."""
    codes, uniques = pd.factorize(values)
    found = pd.Index(keys).get_indexer(uniques)
    return _take(found, codes, -1)


def index_in(values: pd.Series, keys: Sequence[str]) -> np.ndarray:
    """Where each value is among a few distinct `keys`, -1 where it is not: a long column
    (a ledger's entry ids) probed against a short one. Text held by Arrow is probed in its
    buffers, without a Python string per row (6.7 million of them would take ~0.5 GB)."""
    if isinstance(values.array, pd.arrays.ArrowStringArray):
        import pyarrow as pa
        import pyarrow.compute as pc

        column = pa.chunked_array(pa.array(values.array))
        wanted = pa.array([str(k) for k in keys], type=column.type)
        found = pc.index_in(column, value_set=wanted).fill_null(-1)
        return np.asarray(found.to_numpy(), dtype=np.int64)
    return pd.Index(list(keys)).get_indexer(values)


# ---------------------------------------------------------------------------
# Preparing the ledger and the plans
# ---------------------------------------------------------------------------
def _default_as_of(ds: Dataset, programme: Programme) -> dt.date:
    """No report date given: the one rule decides (core/calendar.py `report_date`)."""
    end = programme.final_period.end_month
    return cal.report_date(paid_on=ds.expenditures["paid_on"], programme_end=end)


def _category(values: pd.Series, at: np.ndarray) -> pd.Categorical:
    """values[at] (missing where at is -1) as a categorical with sorted categories: a byte
    per row instead of a string (a 6-million-row ledger: 40 MB instead of 600 MB)."""
    codes, names = pd.factorize(values, sort=True)
    return pd.Categorical.from_codes(_take(codes, at, -1), categories=names)


def _prepare(
    ds: Dataset, programme: Programme, as_of: dt.date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    cutoff = pd.Timestamp(as_of)
    e = ds.expenditures
    known = e["paid_on"] <= cutoff
    # Every row known stays (credit notes too, with no money: see _net_amounts): leaving
    # out a few rows would copy every text column (~1 GB for a 6.7-million-row ledger),
    # and when every row is known pandas copies none.
    led = e.loc[known].drop(columns=["_row", "corrects_entry_id"], errors="ignore")
    led = _net_amounts(led.reset_index(drop=True), e.loc[known & (e["amount_cents"] < 0)])
    partners = ds.partners[["partner_id", "municipality", "municipality_code"]]
    at = positions(led["partner_id"], partners["partner_id"])
    for c in ("municipality", "municipality_code"):
        led[c] = _category(partners[c], at)
    # What follows from the month alone, worked out once per distinct month (~90).
    code, names = pd.factorize(led["service_month"])
    months = pd.Series(names)
    semester = cal.semester_of_month(months)
    rates = np.asarray([str(v.rate) for v in programme.esf_rate], dtype=object)
    by_month = {
        "semester": semester,
        "school_year": semester.str.slice(0, 9),
        "half_year": cal.half_year_of_month(months),
        "esf_rate": pd.Series(rates[_version_index(programme.esf_rate, months)]).astype(str),
    }
    for c, values in by_month.items():
        led[c] = _category(values, code)

    p = ds.support_plans
    plans = p.loc[p["created_on"] <= cutoff].drop(columns="_row").reset_index(drop=True)
    school_partner = ds.schools[["school_id", "partner_id"]]
    plans = plans.merge(school_partner, on="school_id", how="left", validate="many_to_one")
    plans = plans.merge(partners, on="partner_id", how="left", validate="many_to_one")
    plans["school_year"] = plans["semester"].str.slice(0, 9)
    return led, plans


def _net_amounts(led: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """Each row's net amount as of the report date (its amount plus the corrections known
    then) in `amount_cents`, and those corrections as a positive figure in
    `corrected_cents`; a credit note's own row keeps no money (0 and 0), so it is in no
    pass and adds nothing to any total. The ledger's ids are probed against the
    corrected ones (index_in), not joined."""
    corrected = np.zeros(len(led), dtype=np.int64)
    amount = led["amount_cents"].to_numpy(dtype=np.int64)
    if len(corrections) and "corrects_entry_id" in corrections.columns:
        taken = corrections.groupby("corrects_entry_id", sort=False)["amount_cents"].sum()
        at = index_in(led["entry_id"], taken.index.tolist())
        hit = np.flatnonzero(at >= 0)
        corrected[hit] = -taken.to_numpy(dtype=np.int64)[at[hit]]
    at = led.columns.get_loc("amount_cents") + 1
    led.insert(at, "corrected_cents", corrected)
    led["amount_cents"] = np.where(amount < 0, 0, amount - corrected)
    return led


def _correction_ids(ds: Dataset, as_of: dt.date, rows: set[str]) -> dict[str, tuple[str, ...]]:
    """The corrections known at `as_of` of each of `rows` (the rows findings name) that was
    corrected, by (paid_on, entry_id)."""
    e = ds.expenditures
    if "corrects_entry_id" not in e.columns or not rows:  # a data set without the column
        return {}
    notes = e[(e["amount_cents"] < 0).to_numpy() & (e["paid_on"] <= pd.Timestamp(as_of))]
    notes = notes[notes["corrects_entry_id"].isin(rows)]
    notes = notes.sort_values(["corrects_entry_id", "paid_on", "entry_id"])
    out: dict[str, tuple[str, ...]] = {}
    pairs = zip(notes["corrects_entry_id"].tolist(), notes["entry_id"].tolist(), strict=True)
    for row, note in pairs:
        out[row] = (*out.get(row, ()), note)
    return out


# ---------------------------------------------------------------------------
# Pass 1: whole rows
# ---------------------------------------------------------------------------
def _month_number(dates: pd.Series) -> np.ndarray:
    """year * 12 + month of each date (-1 where there is none): months compare as ints."""
    number = (dates.dt.year * 12 + dates.dt.month).to_numpy(dtype="float64", na_value=-1)
    return number.astype(np.int64)


def _first_plans(plans: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Per `key`, the plan created first (ties: the smaller plan_id), in no particular
    order: only the few plans tied on their day are sorted by id, not every plan."""
    g = group_codes(*(plans[c] for c in key))
    created = plans["created_on"].to_numpy()
    first = created == pd.Series(created).groupby(g).transform("min").to_numpy()
    tied = np.bincount(g[first], minlength=len(g))[g] > 1
    ties = plans[first & tied].sort_values("plan_id").drop_duplicates(key)
    return pd.concat([plans[first & ~tied], ties])


def _pass1(
    led: pd.DataFrame, plans: pd.DataFrame, ds: Dataset, programme: Programme
) -> pd.DataFrame:
    """A boolean column per eligibility rule, in docs/rules.md order. Whatever depends on
    the month alone is computed once per distinct month (a ledger has ~90); the helpers
    below hold their row-long temporaries only while they run."""
    month_code, month_names = pd.factorize(led["service_month"], sort=True)
    month_code = month_code.astype(np.int32)
    months = pd.Series(np.asarray(month_names, dtype=object), dtype=object)
    per = _version_index(programme.period, months)
    start = np.asarray([v.start_month for v in programme.period], dtype=object)[per]
    end = np.asarray([v.end_month for v in programme.period], dtype=object)[per]
    m = months.to_numpy(dtype=object)
    breaks = pd.DataFrame(index=led.index)
    breaks["ELIG_PERIOD"] = ((m < start) | (m > end))[month_code]
    agreement, partner, joined = _partner_and_school_rules(led, ds, months, month_code)
    breaks["ELIG_AGREEMENT"] = agreement
    breaks["ELIG_SCHOOL_PARTNER"] = partner
    breaks["ELIG_SCHOOL_JOINED"] = joined

    has_plan, grade, level = _plan_of_rows(led, plans, months, month_code)
    has_student = (led["student_id"] != "").to_numpy()
    breaks["ELIG_NO_PLAN"] = has_student & ~has_plan
    breaks["ELIG_TARGET_GROUP"] = (
        has_student & has_plan & _outside_target_group(programme, months, month_code, grade, level)
    )
    vocational_only = led["category"].isin(programme.vocational_only_categories).to_numpy()
    breaks["ELIG_MATERIALS_VOCATIONAL"] = (
        vocational_only & has_student & has_plan & (level == "general")
    )
    breaks["_plan_level"] = level
    breaks["_plan_grade"] = grade
    return breaks


def _partner_and_school_rules(
    led: pd.DataFrame, ds: Dataset, months: pd.Series, month_code: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ELIG_AGREEMENT, ELIG_SCHOOL_PARTNER and ELIG_SCHOOL_JOINED of every row."""
    y, mm = cal.year_month(months)
    number = (y * 12 + mm).astype(np.int32)[month_code]
    agreement = _month_number(ds.partners["agreement_date"])
    before_agreement = number < _take(
        agreement, positions(led["partner_id"], ds.partners["partner_id"]), -1
    )
    school_at = positions(led["school_id"], ds.schools["school_id"])
    has_school = (led["school_id"] != "").to_numpy()
    partner = pd.factorize(pd.concat([led["partner_id"], ds.schools["partner_id"]]))[0]
    school_partner = _take(partner[len(led) :], school_at, -1)  # the school's own partner
    other_partner = has_school & (school_partner != partner[: len(led)])
    del partner, school_partner
    joined = _month_number(ds.schools["joined_on"])
    before_joining = has_school & (number < _take(joined, school_at, -1))
    return before_agreement, other_partner, before_joining


def _plan_of_rows(
    led: pd.DataFrame, plans: pd.DataFrame, months: pd.Series, month_code: np.ndarray
) -> tuple[np.ndarray, np.ndarray, pd.Categorical]:
    """Whether each row has its plan — the first for (student, school, semester), created
    by the last day of the service month — and that plan's grade (0 if none) and level
    ("" if none)."""
    key = ["student_id", "school_id", "semester"]
    first_plan = _first_plans(plans, key)[[*key, "created_on", "level", "grade"]]
    joint = group_codes(*(pd.concat([led[c], first_plan[c]], ignore_index=True) for c in key))
    plan_at = pd.Index(joint[len(led) :]).get_indexer(joint[: len(led)])
    del joint
    created = _take(first_plan["created_on"].to_numpy(), plan_at, np.datetime64("NaT"))
    has_plan = (plan_at >= 0) & (created <= cal.month_end(months).to_numpy()[month_code])
    del created
    grade = _take(first_plan["grade"].to_numpy(dtype=np.int64), plan_at, 0).astype(np.int16)
    levels = pd.Index(pd.unique(first_plan["level"])).append(pd.Index([""])).unique()
    level = pd.Categorical.from_codes(  # a code per row, not 600 000 strings
        _take(levels.get_indexer(first_plan["level"]), plan_at, levels.get_loc("")),
        categories=levels,
    )
    return has_plan, grade, level


def _outside_target_group(
    programme: Programme,
    months: pd.Series,
    month_code: np.ndarray,
    grade: np.ndarray,
    level: pd.Categorical,
) -> np.ndarray:
    """Whether the plan's grade is outside the target group in force in the month (the
    vocational bounds for a vocational plan, the general ones otherwise)."""
    bounds = np.array(
        [
            [
                v.general.min_grade,
                v.general.max_grade,
                v.vocational.min_grade,
                v.vocational.max_grade,
            ]
            for v in programme.target_group
        ],
        dtype=np.int16,
    )[_version_index(programme.target_group, months)]  # one row per distinct month
    vocational = np.asarray(level == "vocational")
    low = bounds[month_code, np.where(vocational, 2, 0)]
    high = bounds[month_code, np.where(vocational, 3, 1)]
    return (grade < low) | (grade > high)


# ---------------------------------------------------------------------------
# Groups (duplicates, caps): who carries the money at risk
# ---------------------------------------------------------------------------
def _attribute_latest_first(
    rows: pd.DataFrame, group: str, available: str, excess: pd.Series
) -> pd.Series:
    """Each row loses min(its available amount, excess still to attribute), latest first.

    `rows` carries `paid_on` and `entry_id`; `excess` is indexed by group id. Ties in
    paid_on fall back to entry_id, so the result does not depend on row order.
    """
    order = rows.sort_values([group, "paid_on", "entry_id"], ascending=[True, False, False])
    before = order.groupby(group, sort=False)[available].cumsum() - order[available]
    left = order[group].map(excess).fillna(0).astype("int64") - before
    loss = left.clip(lower=0).where(left < order[available], order[available])
    return loss.clip(lower=0).astype("int64").reindex(rows.index)


def _group_findings(
    rule: str, members: pd.DataFrame, period: str, limit: pd.Series | None = None
) -> pd.DataFrame:
    """One finding per (group, partner) carrying money at risk.

    `members` has the group id `g`, entry_id, partner_id, school_id, student_id,
    amount_cents, loss and the period column.
    """
    hit_groups = members.loc[members["loss"] > 0, "g"].unique()
    m = members[members["g"].isin(hit_groups)]
    if m.empty:
        return _empty_findings()
    groups = m.groupby("g", sort=False).agg(
        amount_cents=("amount_cents", "sum"),
        entry_ids=("entry_id", lambda s: tuple(sorted(s))),
        student_id=("student_id", "first"),
        period=(period, "first"),
    )
    losers = m[m["loss"] > 0]
    owners = losers.groupby(["g", "partner_id"], sort=False).agg(
        at_risk_cents=("loss", "sum"),
        school_n=("school_id", "nunique"),
        school_id=("school_id", "first"),
    )
    owners["school_id"] = owners["school_id"].where(owners["school_n"] == 1, "")
    f = owners.drop(columns="school_n").reset_index().join(groups, on="g")
    f["rule"] = rule
    f["limit_cents"] = f["g"].map(limit) if limit is not None else pd.NA
    return f


def _empty_findings() -> pd.DataFrame:
    f = pd.DataFrame({c: pd.Series([], dtype=object) for c in FINDING_COLUMNS})
    return f


def _pass2(led: pd.DataFrame, eligible: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Duplicates: eligible rows alike in document_ref, category, student_id, service_month
    and original amount (before corrections; a withdrawn row is not eligible here). A
    duplicate loses its net amount. The cheap columns narrow the rows first; only the few
    rows they pair up have their document references compared."""
    at = np.flatnonzero(eligible)
    cheap = (pd.factorize(led[c])[0] for c in ("category", "student_id", "service_month"))
    original = led["amount_cents"].to_numpy() + led["corrected_cents"].to_numpy()
    rough = group_codes(*(c[at] for c in cheap), original[at])
    del original
    paired = np.bincount(rough)[rough] > 1
    at = at[paired]
    codes = group_codes(rough[paired], led["document_ref"].iloc[at])
    keep = np.bincount(codes)[codes] > 1  # another eligible row has the same whole key
    at, codes = at[keep], codes[keep]
    loss = np.zeros(len(led), dtype=np.int64)
    if len(at) == 0:
        return loss, _empty_findings()
    wanted = ["entry_id", "partner_id", "school_id", "student_id", "service_month", "paid_on"]
    dup = led[[*wanted, "amount_cents"]].iloc[at]
    dup["g"] = codes
    first = dup.sort_values(["g", "paid_on", "entry_id"]).groupby("g").cumcount() == 0
    dup["loss"] = np.where(first.reindex(dup.index), 0, dup["amount_cents"])
    loss[dup.index.to_numpy()] = dup["loss"].to_numpy()
    return loss, _group_findings("DUPLICATE_CLAIM", dup, "service_month")


def _cap_first_month(
    per: str,
    month: tuple[np.ndarray, np.ndarray],
    semester: tuple[np.ndarray, np.ndarray],
    g: np.ndarray,
) -> pd.Series:
    """The first month of each cap group (indexed by group code), whose limit applies to
    the whole group. `month` and `semester` are the rows' codes into sorted names, and
    the names (YYYY-MM and YYYY/YYYY-N sort as time)."""
    codes, names = semester if per == "student_semester" else month
    per_group = pd.Series(codes).groupby(g, sort=True).min()
    if per == "student_semester":  # the semester's first month, whichever month is spent
        start = cal.semester_start(pd.Series(names, dtype=object))
        names = start.dt.strftime("%Y-%m").to_numpy(dtype=object)
    return pd.Series(names[per_group.to_numpy()], index=per_group.index)


def _pass3(
    led: pd.DataFrame, eligible: np.ndarray, programme: Programme
) -> tuple[np.ndarray, list[pd.DataFrame]]:
    """Caps: each group's eligible money above its limit, latest rows first. Groups are
    found on integer codes; only the rows of groups over a limit are looked at again."""
    loss = np.zeros(len(led), dtype=np.int64)
    found: list[pd.DataFrame] = []
    coded: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def codes(column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in coded:  # sorted: code order is value order
            found_codes, names = pd.factorize(led[column], sort=True)
            coded[column] = (found_codes, np.asarray(names, dtype=object))
        return coded[column]

    amount = led["amount_cents"].to_numpy(dtype=np.int64)
    for cap in programme.caps:
        at = np.flatnonzero(eligible & (led["category"] == cap.category).to_numpy())
        if len(at) == 0:
            continue
        g = group_codes(*(codes(c)[0][at] for c in CAP_GROUP_KEYS[cap.per]))
        month_codes, months = codes("service_month")
        semester_codes, semesters = codes("semester")
        first_month = _cap_first_month(
            cap.per, (month_codes[at], months), (semester_codes[at], semesters), g
        )
        limits = np.array([to_cents(v.limit_eur) for v in cap.versions], dtype=np.int64)
        limit = pd.Series(
            limits[_version_index(cap.versions, first_month)], index=first_month.index
        )
        total = pd.Series(amount[at]).groupby(g, sort=True).sum()
        excess = (total - limit).clip(lower=0)
        over = excess[excess > 0]
        if over.empty:
            continue
        hit = np.isin(g, over.index.to_numpy())
        period = CAP_PERIOD_COLUMN[cap.per]
        wanted = ["entry_id", "partner_id", "school_id", "student_id", "paid_on", "amount_cents"]
        rows = led[list(dict.fromkeys([*wanted, period]))].iloc[at[hit]]
        rows["g"] = g[hit]
        rows["loss"] = _attribute_latest_first(rows, "g", "amount_cents", over)
        loss[rows.index.to_numpy()] = rows["loss"].to_numpy()
        found.append(_group_findings(cap.rule, rows, period, limit))
    return loss, found


def _allocation(led: pd.DataFrame, partners: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Over-allocation: the partner's eligible money above its allocation, latest rows first."""
    avail = led["amount_cents"] - led["ineligible_cents"]
    per_partner = avail.groupby(led["partner_id"]).sum()
    alloc = (
        partners.set_index("partner_id")["allocation_cents"].reindex(per_partner.index).fillna(0)
    )
    excess = (per_partner - alloc).clip(lower=0)
    over = excess[excess > 0].astype("int64")
    result = np.zeros(len(led), dtype=np.int64)
    if over.empty:
        return result, _empty_findings()
    rows = led.loc[led["partner_id"].isin(over.index), ["partner_id", "paid_on", "entry_id"]].copy()
    rows["avail"] = avail.loc[rows.index]
    rows["loss"] = _attribute_latest_first(rows, "partner_id", "avail", over)
    result[rows.index.to_numpy()] = rows["loss"].to_numpy()
    f = pd.DataFrame(
        {
            "rule": "BUDGET_ALLOCATION",
            "partner_id": over.index.astype(str),
            "school_id": "",
            "student_id": "",
            "period": "",
            "entry_ids": [() for _ in range(len(over))],
            "amount_cents": per_partner.loc[over.index].to_numpy(),
            "limit_cents": alloc.loc[over.index].astype("int64").to_numpy(),
            "at_risk_cents": over.to_numpy(),
        }
    )
    return result, f


def _pass1_findings(led: pd.DataFrame, breaks: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """One finding per rule broken; the amount is at risk on the row's first finding only."""
    b = breaks[list(PASS1_RULES)].to_numpy()
    b = b & (led["amount_cents"].to_numpy() > 0)[:, None]  # a withdrawn row has no finding
    any_break = b.any(axis=1)
    first = np.argmax(b, axis=1)
    loss = np.where(any_break, led["amount_cents"].to_numpy(), 0)
    parts = []
    for i, rule in enumerate(PASS1_RULES):
        idx = np.flatnonzero(b[:, i])
        if len(idx) == 0:
            continue
        rows = led.iloc[idx]
        parts.append(
            pd.DataFrame(
                {
                    "rule": rule,
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
    f = pd.concat(parts, ignore_index=True) if parts else _empty_findings()
    return loss, f


def _plan_late(plans: pd.DataFrame, programme: Programme) -> pd.DataFrame:
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


def _absorption(
    led: pd.DataFrame, programme: Programme, partners: pd.DataFrame, as_of: dt.date
) -> pd.DataFrame:
    from pumpurs.core.forecast import forecast

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


# ---------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------
def judge(ds: Dataset, programme: Programme, as_of: dt.date | None = None) -> Judgement:
    """Judge every row known at `as_of` (default: the latest paid_on) by docs/rules.md."""
    as_of = as_of or _default_as_of(ds, programme)
    led, plans = _prepare(ds, programme, as_of)

    breaks = _pass1(led, plans, ds, programme)
    loss1, f1 = _pass1_findings(led, breaks)
    eligible = (loss1 == 0) & (led["amount_cents"].to_numpy() > 0)  # withdrawn: in no pass
    loss2, f2 = _pass2(led, eligible)
    eligible &= loss2 == 0
    loss3, f3 = _pass3(led, eligible, programme)
    led["ineligible_cents"] = loss1 + loss2 + loss3
    led["over_allocation_cents"], f4 = _allocation(led, ds.partners)
    led["eligible_cents"] = (
        led["amount_cents"] - led["ineligible_cents"] - led["over_allocation_cents"]
    )
    led["esf_cents"] = esf_shares(led)  # apportioned once: every table sums these

    corrected = bool(led["corrected_cents"].any())
    f_late = _plan_late(plans, programme)
    f_abs = _absorption(led, programme, ds.partners, as_of)
    findings = pd.concat([f1, f2, *f3, f4, f_late, f_abs], ignore_index=True)
    findings = _finish_findings(findings, led, breaks, ds, programme)
    named = {i for t in findings["entry_ids"] for i in t} if corrected else set()
    findings = _with_corrections(findings, _correction_ids(ds, as_of, named))
    cols = [
        "entry_id", "partner_id", "municipality", "municipality_code", "school_id", "student_id",
        "category", "service_month", "semester", "school_year", "half_year", "paid_on",
        "amount_cents", "corrected_cents", "ineligible_cents", "over_allocation_cents",
        "eligible_cents", "esf_rate", "esf_cents", "document_ref", "specialist_role", "hours",
        "ngo_project_id",
    ]  # fmt: skip
    return Judgement(as_of, led[cols], plans, findings, ds, programme)


def _with_corrections(f: pd.DataFrame, ids: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Each finding's entry_ids followed by the corrections of its rows known at the
    report date, and how many there are (`corrections`)."""
    if not ids or f.empty:
        return f
    extra = [tuple(c for e in t for c in ids.get(e, ())) for t in f["entry_ids"]]
    f["entry_ids"] = [(*t, *x) for t, x in zip(f["entry_ids"], extra, strict=True)]
    f["corrections"] = np.array([len(x) for x in extra], dtype=np.int64)
    return f


# ---------------------------------------------------------------------------
# Finishing: order, severity and the facts each message needs
# ---------------------------------------------------------------------------
def _finish_findings(
    f: pd.DataFrame, led: pd.DataFrame, breaks: pd.DataFrame, ds: Dataset, programme: Programme
) -> pd.DataFrame:
    f = f.copy()
    for c in ("plan_id", "share", "created_on", "_row"):
        if c not in f.columns:
            f[c] = pd.NA
    f["severity"] = f["rule"].map(
        lambda r: registry.BY_ID[r].severity if r in registry.BY_ID else "error"
    )
    order = {r: i for i, r in enumerate(rule_ids(programme))}
    f["_order"] = f["rule"].map(order)
    f["_first"] = f["entry_ids"].map(lambda t: t[0] if len(t) else "")
    f = f.sort_values(["_order", "partner_id", "period", "_first", "plan_id"], na_position="first")
    f = f.reset_index(drop=True)

    agreement = dict(zip(ds.partners["partner_id"], ds.partners["agreement_date"], strict=True))
    school_partner = dict(zip(ds.schools["school_id"], ds.schools["partner_id"], strict=True))
    school_joined = dict(zip(ds.schools["school_id"], ds.schools["joined_on"], strict=True))
    rows = f["_row"].astype("Int64").fillna(-1).to_numpy(dtype=np.int64)
    known = rows >= 0
    for col, source in (
        ("_semester", led["semester"]),
        ("_level", breaks["_plan_level"]),
        ("_grade", breaks["_plan_grade"]),
    ):
        values = np.full(len(f), "", dtype=object)
        values[known] = np.asarray(source.iloc[rows[known]], dtype=object)
        f[col] = values
    dup_first = {
        t[0] for t, rule in zip(f["entry_ids"], f["rule"], strict=True) if rule == "DUPLICATE_CLAIM"
    }
    wanted = led["entry_id"].isin(dup_first)
    document = dict(zip(led.loc[wanted, "entry_id"], led.loc[wanted, "document_ref"], strict=True))
    is_period = (f["rule"] == "ELIG_PERIOD").to_numpy()
    f["_start"], f["_end"], f["_deadline"] = "", "", pd.NaT
    if is_period.any():
        idx = _version_index(programme.period, f.loc[is_period, "period"])
        f.loc[is_period, "_start"] = [programme.period[i].start_month for i in idx]
        f.loc[is_period, "_end"] = [programme.period[i].end_month for i in idx]
    no_plan = (f["rule"] == "ELIG_NO_PLAN").to_numpy()
    if no_plan.any():
        f.loc[no_plan, "_deadline"] = cal.month_end(f.loc[no_plan, "period"]).to_numpy()
    n = len(f)
    rule = f["rule"].to_numpy(dtype=object)
    partner = f["partner_id"].astype(object).to_numpy()
    school = f["school_id"].astype(object).fillna("").to_numpy()
    date = np.full(n, None, dtype=object)
    other = np.full(n, "", dtype=object)
    agree = rule == "ELIG_AGREEMENT"
    date[agree] = [agreement[p] for p in partner[agree]]
    at_school = (rule == "ELIG_SCHOOL_PARTNER") | (rule == "ELIG_SCHOOL_JOINED")
    other[at_school] = [school_partner[s] for s in school[at_school]]
    date[at_school] = [school_joined[s] for s in school[at_school]]
    date[no_plan] = f.loc[no_plan, "_deadline"].to_numpy()
    late = rule == "PLAN_LATE"
    date[late] = f.loc[late, "created_on"].to_numpy()
    f["detail_date"] = pd.to_datetime(pd.Series(date, dtype=object)).dt.date.astype(object)
    f["detail_date"] = f["detail_date"].where(f["detail_date"].notna(), None)
    f["other_partner"] = other
    f["semester"] = np.where(no_plan, f["_semester"], "")
    target = rule == "ELIG_TARGET_GROUP"
    f["plan_level"] = np.where(target, f["_level"], "")
    f["plan_grade"] = pd.array(
        [int(g) if t and g != "" else pd.NA for g, t in zip(f["_grade"], target, strict=True)],
        dtype="Int64",
    )
    dup = rule == "DUPLICATE_CLAIM"
    f["document_ref"] = ""
    f.loc[dup, "document_ref"] = [document[t[0]] for t in f.loc[dup, "entry_ids"]]
    f["period_start"], f["period_end"] = f["_start"], f["_end"]
    f["share"] = pd.to_numeric(f["share"], errors="coerce")
    firsts = {e[0] for e in f["entry_ids"] if len(e)}
    named = led.loc[led["entry_id"].isin(firsts), ["entry_id", "category"]]
    category = dict(zip(named["entry_id"], named["category"], strict=True))
    cap_category = {c.rule: c.category for c in programme.caps}
    f["category"] = [
        cap_category.get(r) or (category.get(e[0], "") if len(e) else "")
        for r, e in zip(f["rule"], f["entry_ids"], strict=True)
    ]
    for c in ("amount_cents", "limit_cents"):
        f[c] = pd.array(f[c].tolist(), dtype="Int64") if len(f) else pd.array([], dtype="Int64")
    f["at_risk_cents"] = f["at_risk_cents"].astype("int64")
    for c in ("partner_id", "school_id", "student_id", "period", "plan_id"):
        f[c] = f[c].fillna("").astype(str)
    f["entry_ids"] = f["entry_ids"].map(tuple)
    f["corrections"] = np.zeros(len(f), dtype=np.int64)  # filled by _with_corrections
    return f[[*FINDING_COLUMNS, *DETAIL_COLUMNS]]
