"""The findings table: its columns, one finding per group carrying money at risk, and
the finishing touches (order, severity, the facts each message needs, corrections)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pumpurs.core import calendar as cal
from pumpurs.core import registry
from pumpurs.core.dataset import Dataset
from pumpurs.core.rules.codes import version_index
from pumpurs.core.settings import Programme

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


def rule_ids(programme: Programme) -> list[str]:
    """Every rule id in docs/rules.md order (the caps come from programme.yaml)."""
    caps = [c.rule for c in programme.caps]
    before = [r.id for r in registry.RULES if r.stage in ("eligibility", "duplicate")]
    after = [r.id for r in registry.RULES if r.stage in ("allocation", "warning")]
    return [*before, *caps, *after]


def empty_findings() -> pd.DataFrame:
    f = pd.DataFrame({c: pd.Series([], dtype=object) for c in FINDING_COLUMNS})
    return f


def group_findings(
    rule: str, members: pd.DataFrame, period: str, limit: pd.Series | None = None
) -> pd.DataFrame:
    """One finding per (group, partner) carrying money at risk.

    `members` has the group id `g`, entry_id, partner_id, school_id, student_id,
    amount_cents, loss and the period column.
    """
    hit_groups = members.loc[members["loss"] > 0, "g"].unique()
    m = members[members["g"].isin(hit_groups)]
    if m.empty:
        return empty_findings()
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


def with_corrections(f: pd.DataFrame, ids: dict[str, tuple[str, ...]]) -> pd.DataFrame:
    """Each finding's entry_ids followed by the corrections of its rows known at the
    report date, and how many there are (`corrections`)."""
    if not ids or f.empty:
        return f
    extra = [tuple(c for e in t for c in ids.get(e, ())) for t in f["entry_ids"]]
    f["entry_ids"] = [(*t, *x) for t, x in zip(f["entry_ids"], extra, strict=True)]
    f["corrections"] = np.array([len(x) for x in extra], dtype=np.int64)
    return f


def finish_findings(
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
        idx = version_index(programme.period, f.loc[is_period, "period"])
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
    f["corrections"] = np.zeros(len(f), dtype=np.int64)  # filled by with_corrections
    return f[[*FINDING_COLUMNS, *DETAIL_COLUMNS]]
