"""The test oracle: an independent, compact reading of the rules that lists every finding
the injected data must give (expected_findings.csv). It shares no code with the engine
(core/rules/) on purpose: the tests compare the two."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pumpurs.core.calendar import month_end, semester_of_month, semester_start
from pumpurs.core.settings import Programme
from pumpurs.demo.common import (
    ELIG_RULES,
    FINDINGS_COLUMNS,
    _grade_range,
    _mi,
    _versioned,
)
from pumpurs.demo.inject import (
    _Injector,
)


def _rule_order(prog: Programme) -> tuple[str, ...]:
    return (
        *ELIG_RULES,
        "DUPLICATE_CLAIM",
        *(c.rule for c in prog.caps),
        "BUDGET_ALLOCATION",
        "PLAN_LATE",
    )


def _month_ints(month: pd.Series) -> np.ndarray:
    return (
        month.str.slice(0, 4).astype(np.int64) * 12 + month.str.slice(5, 7).astype(np.int64) - 1
    ).to_numpy()


def _date_months(dates: pd.Series) -> np.ndarray:
    """Months of dates as integers; -1 where there is no date."""
    return (dates.dt.year * 12 + dates.dt.month - 1).fillna(-1).astype(np.int64).to_numpy()


def _group_lines(rule: str, d: pd.DataFrame, gid: np.ndarray, risk: np.ndarray) -> pd.DataFrame:
    """One line per (group, partner) carrying money at risk, naming all the group's rows."""
    ids = pd.Series(d["entry_id"].to_numpy()).groupby(gid).agg(lambda x: ";".join(sorted(x)))
    carried = pd.DataFrame({"g": gid, "partner_id": d["partner_id"].to_numpy(), "risk": risk})
    carried = carried.loc[carried["risk"] > 0].drop_duplicates(["g", "partner_id"])
    return pd.DataFrame(
        {
            "rule": rule,
            "partner_id": carried["partner_id"].to_numpy(),
            "entry_ids": ids.reindex(carried["g"]).to_numpy(),
        }
    )


def _netted(e: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """The positive rows with their net amounts (every correction counts: as_of is the
    last payment), withdrawn rows left out, the original amount kept in `original_cents`
    for the duplicate key; and each corrected row's credit note ids, "K1;K2" in
    (paid_on, entry_id) order."""
    if "corrects_entry_id" not in e.columns:
        return e.assign(original_cents=e["amount_cents"]), pd.Series(dtype=str)
    notes = e[e["amount_cents"] < 0].sort_values(["paid_on", "entry_id"])
    rows = e[e["amount_cents"] > 0].copy()
    taken = notes.groupby("corrects_entry_id")["amount_cents"].sum()
    rows["original_cents"] = rows["amount_cents"]
    rows["amount_cents"] = rows["amount_cents"] + rows["entry_id"].map(taken).fillna(0).astype(
        np.int64
    )
    ids = notes.groupby("corrects_entry_id", sort=False)["entry_id"].agg(";".join)
    return rows[rows["amount_cents"] > 0], ids


def _with_notes(lines: pd.DataFrame, notes: pd.Series) -> pd.DataFrame:
    """Each line's entry ids followed by the credit notes of its rows."""
    if notes.empty or lines.empty:
        return lines
    out = lines.copy()
    out["entry_ids"] = [
        ";".join([*ids.split(";"), *(notes[i] for i in ids.split(";") if i in notes.index)])
        if isinstance(ids, str) and ids
        else ids
        for ids in lines["entry_ids"]
    ]
    return out


def _judge(partners, schools, plans, e, prog: Programme) -> tuple[pd.DataFrame, pd.Series]:
    """Passes 1-3 of docs/rules.md over the whole ledger: finding lines, eligible cents per
    partner. Each row is judged on its net amount (docs/rules.md, "Corrections")."""
    e, notes = _netted(e)
    lines, eligible = _passes(partners, schools, plans, e.reset_index(drop=True), prog)
    return _with_notes(lines, notes), eligible


def _passes(partners, schools, plans, e, prog: Programme) -> tuple[pd.DataFrame, pd.Series]:
    month = e["service_month"].astype(str)
    mi = _month_ints(month)
    start = _versioned(prog, prog.period, mi, lambda v: _mi(v.start_month))
    end = _versioned(prog, prog.period, mi, lambda v: _mi(v.end_month))
    agr_m = _date_months(e["partner_id"].map(partners.set_index("partner_id")["agreement_date"]))
    sch = schools.set_index("school_id")
    has_school = (e["school_id"] != "").to_numpy()
    owner = e["school_id"].map(sch["partner_id"]).fillna("").astype(str).to_numpy()
    joined_m = _date_months(e["school_id"].map(sch["joined_on"]))
    semester = semester_of_month(month)
    key = pd.DataFrame(
        {"student_id": e["student_id"], "school_id": e["school_id"], "semester": semester}
    )
    cols = ["student_id", "school_id", "semester", "created_on", "level", "grade"]
    mg = key.merge(plans[cols], how="left", on=["student_id", "school_id", "semester"])
    has_student = (e["student_id"] != "").to_numpy()
    found = has_student & (mg["created_on"] <= month_end(month)).fillna(False).to_numpy()
    level = np.where(mg["level"].fillna("general").to_numpy() == "vocational", 1, 0)
    lo, hi = _grade_range(prog, mi, level)
    grade = mg["grade"].fillna(0).astype(np.int64).to_numpy()
    general = (mg["level"] == "general").fillna(False).to_numpy()
    masks = {
        "ELIG_PERIOD": (mi < start) | (mi > end),
        "ELIG_AGREEMENT": mi < agr_m,
        "ELIG_SCHOOL_PARTNER": has_school & (owner != e["partner_id"].to_numpy()),
        "ELIG_SCHOOL_JOINED": has_school & (mi < joined_m),
        "ELIG_NO_PLAN": has_student & ~found,
        "ELIG_TARGET_GROUP": found & ((grade < lo) | (grade > hi)),
        "ELIG_MATERIALS_VOCATIONAL": found
        & e["category"].isin(prog.vocational_only_categories).to_numpy()
        & general,
    }
    lines = [
        pd.DataFrame(
            {
                "rule": rule,
                "partner_id": e["partner_id"].to_numpy()[m],
                "entry_ids": e["entry_id"].to_numpy()[m],
            }
        )
        for rule, m in masks.items()
    ]
    amount = e["amount_cents"].to_numpy().astype(np.int64)
    risk = np.where(np.logical_or.reduce(list(masks.values())), amount, 0)
    # pass 2: the same claim twice
    dup_cols = ["document_ref", "category", "student_id", "service_month", "original_cents"]
    live = e.loc[risk == 0]
    d = live.loc[live.duplicated(dup_cols, keep=False)].sort_values(["paid_on", "entry_id"])
    gid = d.groupby(dup_cols, sort=False).ngroup().to_numpy()
    later = pd.Series(gid).duplicated().to_numpy()
    lines.append(_group_lines("DUPLICATE_CLAIM", d, gid, np.where(later, 1, 0)))
    pos = e.index.get_indexer(d.index)
    risk[pos[later]] = amount[pos[later]]
    # pass 3: caps, the excess from the latest payment backwards
    for cap in prog.caps:
        sel = (risk == 0) & (e["category"] == cap.category).to_numpy()
        d = e.loc[sel].copy()
        if cap.per == "student_month":
            g = ["student_id", "service_month"]
        elif cap.per == "student_semester":
            d["semester"] = semester[sel]
            g = ["student_id", "semester"]
        else:
            g = ["ngo_project_id"]
        d = d.sort_values(["paid_on", "entry_id"], ascending=False)
        gid = d.groupby(g, sort=False).ngroup().to_numpy()
        first_m = (
            pd.Series(_month_ints(d["service_month"])).groupby(gid).transform("min").to_numpy()
        )
        limit = _versioned(prog, cap.versions, first_m, lambda v: int(v.limit_eur * 100)).astype(
            np.int64
        )
        amt = d["amount_cents"].to_numpy().astype(np.int64)
        total = pd.Series(amt).groupby(gid).transform("sum").to_numpy()
        excess = np.maximum(total - limit, 0)
        before = pd.Series(amt).groupby(gid).cumsum().to_numpy() - amt
        at = np.clip(excess - before, 0, amt)
        over = excess > 0
        lines.append(_group_lines(cap.rule, d.loc[over], gid[over], at[over]))
        pos = e.index.get_indexer(d.index)
        risk[pos] += at
    eligible = pd.Series(amount - risk).groupby(e["partner_id"].to_numpy()).sum()
    eligible = eligible.reindex(partners["partner_id"], fill_value=0)
    return pd.concat(lines, ignore_index=True), eligible


def _complete(lines, eligible, partners, schools, support_plans, prog: Programme) -> pd.DataFrame:
    """Add BUDGET_ALLOCATION and PLAN_LATE to the lines of passes 1-3, in rule order."""
    alloc = partners.set_index("partner_id")["allocation_cents"]
    over = eligible.reindex(alloc.index, fill_value=0) > alloc
    budget = pd.DataFrame({"rule": "BUDGET_ALLOCATION", "partner_id": alloc.index[over.to_numpy()]})
    start = semester_start(support_plans["semester"])
    late = ((support_plans["created_on"] - start).dt.days > prog.warnings.plan_late_days).to_numpy()
    sp = support_plans.loc[late]
    owner = schools.set_index("school_id")["partner_id"]
    plan_late = pd.DataFrame(
        {
            "rule": "PLAN_LATE",
            "partner_id": sp["school_id"].map(owner).to_numpy(),
            "plan_id": sp["plan_id"].to_numpy(),
        }
    )
    found = pd.concat([lines, budget, plan_late], ignore_index=True)
    for c in FINDINGS_COLUMNS:
        found[c] = found[c].fillna("").astype(str) if c in found else ""
    order = {r: i for i, r in enumerate(_rule_order(prog))}
    found["_o"] = found["rule"].map(order)
    found = found.sort_values(["_o", "partner_id", "entry_ids", "plan_id"], kind="stable")
    return found[list(FINDINGS_COLUMNS)].drop_duplicates().reset_index(drop=True)


def _check(
    findings: pd.DataFrame,
    inj: _Injector,
    key2id: np.ndarray,
    late: set,
    budget: set,
    prog: Programme,
) -> None:
    """The judged findings must be exactly the injected breaches (a generator self-check)."""
    problems = []
    want = {(rule, key2id[k]) for rule, keys in inj.elig for k in keys}
    f = findings.loc[findings["rule"].isin(ELIG_RULES)]
    have = set(zip(f["rule"], f["entry_ids"], strict=True))
    if want != have:
        problems.append(
            f"eligibility: injected but not found {sorted(want - have)[:5]}, found but not injected {sorted(have - want)[:5]}"
        )
    for rule in ("DUPLICATE_CLAIM", *(c.rule for c in prog.caps)):
        keys = inj.groups.get(rule, [])
        ids = set(key2id[np.concatenate(keys)]) if keys else set()
        groups = [set(x.split(";")) for x in findings.loc[findings["rule"] == rule, "entry_ids"]]
        covered = set().union(*groups) if groups else set()
        stray = [g for g in groups if not g & ids]
        if ids - covered or stray:
            problems.append(
                f"{rule}: injected but not found {sorted(ids - covered)[:5]}, found but not injected {stray[:3]}"
            )
    for rule, want_set, column in (
        ("BUDGET_ALLOCATION", budget, "partner_id"),
        ("PLAN_LATE", late, "plan_id"),
    ):
        have = set(findings.loc[findings["rule"] == rule, column])
        if have != want_set:
            problems.append(
                f"{rule}: expected {sorted(want_set)[:5]}..., judged {sorted(have)[:5]}..."
            )
    missing = [r for r in _rule_order(prog) if r not in set(findings["rule"])]
    if missing:
        problems.append(f"no breach of {', '.join(missing)}")
    if problems:
        raise RuntimeError(
            "demo data generator: injected and judged breaches disagree:\n" + "\n".join(problems)
        )
