"""Assembling the tables: ids, documents, dates, pseudonyms and outcomes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pumpurs.core.contract import CATEGORIES, SPECIALIST_ROLES
from pumpurs.core.settings import Programme
from pumpurs.demo.common import (
    KOKNESE,
    PLAN_AUTHOR_SHARE,
    RISK_CODES,
    RISK_SHARE,
    Demo,
    _Calendar,
    _mtext,
    _texts,
)
from pumpurs.demo.corrections import add_corrections
from pumpurs.demo.inject import (
    _Injector,
)
from pumpurs.demo.ledger import (
    ALGA,
    LEDGER_COLS,
    _Ledger,
)
from pumpurs.demo.oracle import (
    _check,
    _complete,
    _judge,
)
from pumpurs.demo.world import (
    _Plans,
    _World,
)

# ---------------------------------------------------------------------------
# Assembling the tables (ids, documents, dates) and judging them
# ---------------------------------------------------------------------------
FIXED_TIME = dt.datetime(2024, 1, 31, 12, 0, 0)  # stamped into workbooks: same seed, same bytes
ROUND_UP = 10000  # allocations are whole hundreds of euros


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)


def _dates(days: np.ndarray) -> pd.Series:
    return pd.Series(
        np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]")
    )


def _pseudonyms(rng: np.random.Generator, n: int) -> np.ndarray:
    """Random-looking 8-hex-digit pupil pseudonyms, all different."""
    vals = np.zeros(0, dtype=np.int64)
    while len(vals) < n:
        more = rng.integers(0, 2**32, size=n - len(vals) + 16, dtype=np.int64)
        merged = np.concatenate([vals, more])
        _, first = np.unique(merged, return_index=True)
        vals = merged[np.sort(first)]
    return _texts(vals[:n], lambda v: f"{int(v):08x}")


def _documents(L: pd.DataFrame) -> np.ndarray:
    """Document references: one per invoice, ticket batch, payroll or receipt."""
    g = L["dgroup"].to_numpy()
    groups, first = np.unique(g, return_index=True)
    kind = L["dkind"].to_numpy()[first]
    month = L["m"].to_numpy()[first]
    order = np.lexsort((groups, month, kind))
    seq = np.zeros(len(groups), dtype=np.int64)
    k_sorted = kind[order]
    starts = np.r_[0, np.flatnonzero(np.diff(k_sorted)) + 1]
    run = np.arange(len(order)) - np.repeat(starts, np.diff(np.r_[starts, len(order)]))
    seq[order] = run + 1
    text = np.empty(len(groups), dtype=object)
    for i, (k, m, n) in enumerate(zip(kind, month, seq, strict=True)):
        y = m // 12
        if k == ALGA:
            text[i] = f"ALGA-{y}-{m % 12 + 1:02d}-{n:05d}"
        else:
            text[i] = f"{('INV', 'BIL', '', 'ČEKS')[k]}-{y}-{n:06d}"
    return text[np.searchsorted(groups, g)]


def _assemble(
    rng,
    world: _World,
    plans: _Plans,
    ledger: _Ledger,
    inj: _Injector,
    cal: _Calendar,
    prog: Programme,
    scale: str,
    seed: int,
) -> Demo:
    C = ledger.frame.copy()
    C["key"] = np.arange(len(C))
    L = pd.concat([C[[*LEDGER_COLS, "dgroup", "paid", "key"]], *inj.added], ignore_index=True)
    dg = L["dgroup"].to_numpy().copy()
    new = dg < 0
    dg[new] = dg.max() + 1 + np.arange(int(new.sum()))
    L["dgroup"] = dg
    paid = L["paid"].to_numpy().copy()
    need = paid < 0
    paid[need] = ledger.pay_days(L["m"].to_numpy()[need], L["dkind"].to_numpy()[need])
    L["paid"] = paid
    L = L.iloc[np.lexsort((L["key"].to_numpy(), paid))].reset_index(drop=True)
    entry = _ids("E", len(L), 7)
    key2id = np.empty(int(L["key"].max()) + 1, dtype=object)
    key2id[L["key"].to_numpy()] = entry

    P, S = world.partners, world.schools
    pid = _ids("P", len(P), 3)
    sid = _ids("S", len(S), 4)
    F = pd.concat([plans.frame, *inj.new_plans], ignore_index=True)
    student = _pseudonyms(rng, plans.n_students)
    F_order = np.lexsort(
        (F["st"].to_numpy(), F["created"].to_numpy(), F["s"].to_numpy(), F["sem"].to_numpy())
    )
    plan_id = np.empty(len(F), dtype=object)
    plan_id[F_order] = _ids("IAP-", len(F), 6)

    written = np.where(rng.random(len(P)) < 0.6, P["current"], P["code"]).astype(object)
    lower = rng.random(len(P)) < 0.08
    written[lower] = np.char.lower(written[lower].astype(str))
    written[(P["name"] == KOKNESE).to_numpy()] = "Aizkraukles novads"
    partners = pd.DataFrame(
        {
            "partner_id": pid,
            "name": P["name"],
            "kind": P["kind"],
            "municipality": P["current"],
            "agreement_date": _dates(P["agr"].to_numpy()),
            "allocation_cents": np.zeros(len(P), dtype=np.int64),
            "municipality_code": P["code"],
        }
    )
    schools = pd.DataFrame(
        {
            "school_id": sid,
            "name": S["name"],
            "partner_id": pid[S["p"].to_numpy()],
            "kind": np.where(S["kind"].to_numpy() == 1, "vocational", "general"),
            "round": S["round"].astype(np.int64),
            "joined_on": _dates(S["joined"].to_numpy()),
        }
    )
    risk = rng.random((len(F), len(RISK_CODES))) < np.array(RISK_SHARE)
    risk[:, 3:] &= rng.random((len(F), 1)) < 0.6  # most plans name two or three risks
    mask = risk @ (1 << np.arange(len(RISK_CODES)))
    support_plans = pd.DataFrame(
        {
            "plan_id": plan_id,
            "student_id": student[F["st"].to_numpy()],
            "school_id": sid[F["s"].to_numpy()],
            "semester": _texts(F["sem"].to_numpy(), cal.label),
            "created_on": _dates(F["created"].to_numpy()),
            "author_role": np.array(SPECIALIST_ROLES)[
                rng.choice(len(SPECIALIST_ROLES), size=len(F), p=PLAN_AUTHOR_SHARE)
            ],
            "level": np.where(F["level"].to_numpy() == 1, "vocational", "general"),
            "grade": F["grade"].astype(np.int64),
            "risk_factors": _texts(
                mask, lambda b: ";".join(c for i, c in enumerate(RISK_CODES) if int(b) >> i & 1)
            ),
        }
    )
    support_plans = support_plans.iloc[F_order].reset_index(drop=True)
    h2 = L["h2"].to_numpy()
    s, st, role, ngo = (L[c].to_numpy() for c in ("s", "st", "role", "ngo"))
    expenditures = pd.DataFrame(
        {
            "entry_id": entry,
            "partner_id": pid[L["p"].to_numpy()],
            "school_id": np.where(s >= 0, sid[np.maximum(s, 0)], ""),
            "student_id": np.where(st >= 0, student[np.maximum(st, 0)], ""),
            "category": np.array(CATEGORIES)[L["cat"].to_numpy()],
            "service_month": _texts(L["m"].to_numpy(), _mtext),
            "paid_on": _dates(L["paid"].to_numpy()),
            "amount_cents": L["amt"].to_numpy(),
            "document_ref": _documents(L),
            "specialist_role": np.where(
                role >= 0, np.array(SPECIALIST_ROLES)[np.maximum(role, 0)], ""
            ),
            "hours": np.where(h2 > 0, h2 / 2, np.nan),
            "ngo_project_id": np.where(ngo >= 0, np.array(ledger.ngo_names + [""])[ngo], ""),
        }
    )
    for frame in (partners, schools, support_plans, expenditures):
        for c in frame.columns:
            if frame[c].dtype == object:
                frame[c] = frame[c].astype(str)

    lines, _ = _judge(partners, schools, support_plans, expenditures, prog)
    touched = {i for ids in lines["entry_ids"] for i in str(ids).split(";")}
    clean = L["key"].to_numpy() < len(C)  # rows the generator made without a breach
    expenditures = add_corrections(expenditures, touched, clean, seed)
    lines, eligible = _judge(partners, schools, support_plans, expenditures, prog)
    elig = eligible.reindex(pid, fill_value=0).to_numpy()
    over = np.isin(np.arange(len(P)), inj.budget)
    alloc = np.where(
        over,
        np.floor(elig * rng.uniform(0.82, 0.95, len(P)) / ROUND_UP) * ROUND_UP,
        np.maximum(
            np.ceil(elig * rng.uniform(1.02, 1.16, len(P)) / ROUND_UP) * ROUND_UP, 100 * ROUND_UP
        ),
    ).astype(np.int64)
    partners["allocation_cents"] = alloc
    budget = int(prog.budget.total_eur * 100)
    if alloc.sum() >= budget:
        raise RuntimeError(
            f"demo data generator: allocations add up to {alloc.sum() / 100:.2f} EUR, "
            f"above the programme budget {budget / 100:.2f} EUR; lower the demo's spending"
        )
    findings = _complete(lines, eligible, partners, schools, support_plans, prog)
    late = plans.late if prog.warnings.plan_late_days >= 30 else np.r_[plans.late, plans.day_after]
    _check(findings, inj, key2id, set(plan_id[late]), set(pid[inj.budget]), prog)
    return Demo(
        partners=partners,
        schools=schools,
        support_plans=support_plans,
        expenditures=expenditures,
        outcomes=_outcomes(rng, F, student, cal),
        findings=findings,
        municipality_written=pd.Series(written.astype(str)),
        agreement_no=pd.Series([f"{prog.project.number}/{i + 1:03d}" for i in range(len(P))]),
        scale=scale,
        seed=seed,
    )


def _outcomes(rng, F: pd.DataFrame, student: np.ndarray, cal: _Calendar) -> pd.DataFrame:
    """What became of each supported pupil in each school year with a plan."""
    f = F.assign(year=F["sem"] // 2).sort_values(["st", "year", "sem", "mover"], kind="stable")
    last = f.drop_duplicates(["st", "year"], keep="last")
    st, year = last["st"].to_numpy(), last["year"].to_numpy()
    grade, level = last["grade"].to_numpy(), last["level"].to_numpy()
    have = set(zip(st.tolist(), year.tolist(), strict=True))
    nxt = np.array(
        [(a, b + 1) in have for a, b in zip(st.tolist(), year.tolist(), strict=True)], dtype=bool
    )
    final = year == (cal.n_sem - 1) // 2
    done = ((level == 0) & (grade == 12)) | ((level == 1) & (grade == 4))
    nine = (level == 0) & (grade == 9)
    u = rng.random(len(st))
    choices = np.array(["continues", "graduated", "left", "transferred", "unknown"])
    idx = np.select(
        [
            nxt,
            final,
            done,
            nine,
        ],
        [
            np.where(u < 0.95, 0, 3),
            np.where(u < 0.85, 0, np.where(u < 0.9, 2, 4)),
            np.where(u < 0.9, 1, 4),
            np.where(
                u < 0.5, 1, np.where(u < 0.8, 0, np.where(u < 0.9, 3, np.where(u < 0.95, 2, 4)))
            ),
        ],
        default=np.where(u < 0.55, 0, np.where(u < 0.7, 2, np.where(u < 0.82, 3, 4))),
    )
    labels = _texts(year, lambda y: cal.label(int(y) * 2)[:9])
    out = pd.DataFrame({"student_id": student[st], "school_year": labels, "status": choices[idx]})
    return (
        out.astype(str)
        .sort_values(["school_year", "student_id"], kind="stable")
        .reset_index(drop=True)
    )
