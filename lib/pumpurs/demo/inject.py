"""Injected breaches: a known share of rows breaking each rule, recorded for the oracle."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pumpurs.core.settings import Programme
from pumpurs.demo.common import (
    CAT,
    MONTHLY,
    _Calendar,
    _cap_cents,
    _month_days,
)
from pumpurs.demo.ledger import (
    ALGA,
    BIL,
    CEKS,
    INV,
    LEDGER_COLS,
    _Ledger,
    _round10,
    _rows,
)
from pumpurs.demo.world import (
    _Plans,
    _World,
)

# ---------------------------------------------------------------------------
# Injected breaches
# ---------------------------------------------------------------------------
COUNTS = {  # (national, small)
    "period_partner": (40, 2),
    "period_school": (15, 1),
    "period_before": (4, 1),
    "period_pupil": (6, 1),
    "agreement": (80, 2),
    "partner_school": (60, 1),
    "partner_pupil": (60, 1),
    "joined": (150, 2),
    "no_plan_next": (450, 1),
    "no_plan_school": (300, 1),
    "target_group": (180, 2),
    "materials": (150, 2),
    "dup_same": (350, 2),
    "dup_cross": (30, 1),
    "dup_triple": (10, 1),
    "cap_second": (120, 1),
    "cap_single": (90, 1),
    "cap_cross": (10, 1),
    "items_second": (190, 2),
    "items_cross": (10, 1),
    "ngo": (10, 2),
    "budget": (10, 2),
}
CAP_WEIGHT = {
    "meals": 2.0,
    "transport_intercity": 1.2,
    "accommodation": 0.5,
    "special_transport": 0.25,
}


class _Injector:
    """Adds rows that break the rules, and remembers which rule each one breaks."""

    def __init__(
        self,
        rng: np.random.Generator,
        world: _World,
        plans: _Plans,
        ledger: _Ledger,
        cal: _Calendar,
        prog: Programme,
        scale: str,
    ) -> None:
        self.rng, self.world, self.plans, self.ledger = rng, world, plans, ledger
        self.cal, self.prog = cal, prog
        self.national = scale == "national"
        self.C = ledger.frame
        self.next_key = len(self.C)
        self.added: list[pd.DataFrame] = []
        self.elig: list[tuple[str, np.ndarray]] = []
        self.groups: dict[str, list[np.ndarray]] = {}
        self.new_plans: list[pd.DataFrame] = []
        self.budget = np.zeros(0, dtype=np.int64)
        self.cap_rule = {c.category: c.rule for c in prog.caps}
        S, P = world.schools, world.partners
        self.sp, self.joined_m, self.active = (
            S["p"].to_numpy(),
            S["joined_m"].to_numpy(),
            S["active"].to_numpy(),
        )
        self.agr_m = P["agr_m"].to_numpy()
        F = plans.frame
        self.pkeys = np.unique(
            self._pkey(F["st"].to_numpy(), F["s"].to_numpy(), F["sem"].to_numpy())
        )

    # -- helpers -------------------------------------------------------------
    def n(self, what: str, weight: float = 1.0) -> int:
        national, small = COUNTS[what]
        return max(1, round(national * weight)) if self.national else small

    @staticmethod
    def _pkey(st, s, sem) -> np.ndarray:
        return (
            (np.asarray(st, dtype=np.int64) << 20)
            | (np.asarray(s, dtype=np.int64) << 6)
            | (np.asarray(sem) + 1)
        )

    def has_plan(self, st, s, sem) -> np.ndarray:
        key = self._pkey(st, s, sem)
        i = np.minimum(np.searchsorted(self.pkeys, key), len(self.pkeys) - 1)
        return self.pkeys[i] == key

    def pick(self, idx: np.ndarray, k: int) -> np.ndarray:
        idx = np.asarray(idx)
        if len(idx) == 0:
            return idx
        return np.sort(self.rng.choice(idx, size=min(k, len(idx)), replace=False))

    def template(self, idx: np.ndarray) -> pd.DataFrame:
        return self.C.iloc[idx][list(LEDGER_COLS)].reset_index(drop=True)

    def add(
        self, rows: pd.DataFrame, rules=(), group: str | None = None, dgroup=None, paid=None
    ) -> np.ndarray:
        keys = np.arange(self.next_key, self.next_key + len(rows))
        self.next_key += len(rows)
        rows = rows[list(LEDGER_COLS)].copy()
        rows["dgroup"] = -1 if dgroup is None else dgroup
        rows["paid"] = -1 if paid is None else paid
        rows["key"] = keys
        self.added.append(rows)
        for rule in rules:
            self.elig.append((rule, keys))
        if group:
            self.groups.setdefault(group, []).append(keys)
        return keys

    def pupil_rows(self, cats=(*MONTHLY, "consultation")) -> np.ndarray:
        C = self.C
        return np.flatnonzero(
            (C["st"].to_numpy() >= 0) & np.isin(C["cat"].to_numpy(), [CAT[c] for c in cats])
        )

    def other_partner(self, p: np.ndarray, month: np.ndarray) -> np.ndarray:
        """A partner other than p whose agreement is in force in `month` (-1 if none)."""
        n_p = len(self.agr_m)
        out = np.full(len(p), -1)
        for _ in range(20):
            q = (p + self.rng.integers(1, n_p, len(p))) % n_p
            ok = (out < 0) & (self.agr_m[q] <= month)
            out[ok] = q[ok]
        return out

    def movers(self) -> pd.DataFrame:
        """Pupils with plans at two partners' schools in the same semester."""
        F = self.plans.frame
        a = (
            F.loc[F["mover"] == 1, ["st", "sem", "s"]]
            .reset_index()
            .rename(columns={"index": "plan_a", "s": "s_a"})
        )
        b = (
            F.loc[F["mover"] == 2, ["st", "sem", "s"]]
            .reset_index()
            .rename(columns={"index": "plan_b", "s": "s_b"})
        )
        pairs = a.merge(b, on=["st", "sem"])
        return pairs.iloc[self.rng.permutation(len(pairs))].reset_index(drop=True)

    # -- the breaches --------------------------------------------------------
    def run(self) -> None:
        self.period()
        self.agreement()
        self.school_partner()
        self.school_joined()
        self.no_plan()
        self.target_group()
        self.materials()
        self.duplicates()
        pairs = self.movers()
        used = self.caps(pairs)
        self.items(pairs.iloc[used:])
        self.ngo()
        self.choose_budget()

    def period(self) -> None:
        rng, cal, led = self.rng, self.cal, self.ledger
        n_p, n_s = len(self.agr_m), len(self.sp)
        k = self.n("period_partner")
        p = rng.integers(0, n_p, k)
        rows = _rows(
            p=p,
            cat=CAT["coordination"],
            m=cal.end_m + rng.integers(1, 4, k),
            amt=_round10(rng.uniform(30000, 90000, k)),
            dkind=ALGA,
        )
        self.add(rows, ("ELIG_PERIOD",))
        k = self.n("period_school")
        s = rng.integers(0, n_s, k)
        m = cal.end_m + rng.integers(1, 3, k)
        self.add(
            led.consultations(self.sp[s], s, -1, m, rng.integers(0, 8, k), rng.integers(4, 30, k)),
            ("ELIG_PERIOD",),
        )
        k = self.n("period_before")
        p = rng.integers(0, n_p, k)
        m = np.full(k, cal.start_m - 1)
        rules = ("ELIG_PERIOD", "ELIG_AGREEMENT")
        self.add(
            _rows(
                p=p,
                cat=CAT["coordination"],
                m=m,
                amt=_round10(rng.uniform(30000, 90000, k)),
                dkind=ALGA,
            ),
            rules,
        )
        F = self.plans.frame
        last = np.flatnonzero((F["sem"].to_numpy() == cal.n_sem - 1) & (F["mover"].to_numpy() == 0))
        j = self.pick(last, self.n("period_pupil"))
        s = F["s"].to_numpy()[j]
        m = np.full(len(j), cal.end_m + 1)
        rows = _rows(
            p=self.sp[s],
            s=s,
            st=F["st"].to_numpy()[j],
            cat=CAT["meals"],
            m=m,
            amt=led.monthly_amount("meals", m),
            dkind=INV,
        )
        self.add(rows, ("ELIG_PERIOD", "ELIG_NO_PLAN"))

    def agreement(self) -> None:
        rng, cal = self.rng, self.cal
        cand = np.flatnonzero(self.agr_m > cal.start_m)
        k = self.n("agreement")
        p = rng.choice(cand, size=k)
        back = 1 + (rng.random(k) * np.minimum(4, self.agr_m[p] - cal.start_m)).astype(np.int64)
        cat = np.where(rng.random(k) < 0.6, CAT["coordination"], CAT["staff_development"])
        rows = _rows(
            p=p,
            cat=cat,
            m=self.agr_m[p] - back,
            amt=_round10(rng.uniform(20000, 90000, k)),
            dkind=np.where(cat == CAT["coordination"], ALGA, INV),
        )
        self.add(rows, ("ELIG_AGREEMENT",))

    def school_partner(self) -> None:
        rng, cal = self.rng, self.cal
        k = self.n("partner_school")
        s = rng.integers(0, len(self.sp), k)
        p = self.other_partner(self.sp[s], np.full(k, cal.end_m))
        lo = np.maximum.reduce([self.joined_m[s], self.agr_m[p], cal.start(self.active[s])])
        m = lo + (rng.random(k) * (cal.end_m + 1 - lo)).astype(np.int64)
        self.add(
            self.ledger.consultations(p, s, -1, m, rng.integers(0, 8, k), rng.integers(4, 30, k)),
            ("ELIG_SCHOOL_PARTNER",),
        )
        j = self.pick(self.pupil_rows(), 3 * self.n("partner_pupil"))
        T = self.template(j)
        T["p"] = self.other_partner(T["p"].to_numpy(), T["m"].to_numpy())
        T = T.loc[T["p"] >= 0].iloc[: self.n("partner_pupil")]
        self.add(T, ("ELIG_SCHOOL_PARTNER",))

    def school_joined(self) -> None:
        rng, cal = self.rng, self.cal
        lo = np.maximum(self.agr_m[self.sp], cal.start_m)
        cand = np.flatnonzero(self.joined_m > lo)
        k = self.n("joined")
        s = rng.choice(cand, size=k)
        m = lo[s] + (rng.random(k) * (self.joined_m[s] - lo[s])).astype(np.int64)
        self.add(
            self.ledger.consultations(
                self.sp[s], s, -1, m, rng.integers(0, 8, k), rng.integers(4, 30, k)
            ),
            ("ELIG_SCHOOL_JOINED",),
        )

    def no_plan(self) -> None:
        rng, cal, C, led = self.rng, self.cal, self.C, self.ledger
        # support goes on into the next semester, but no new plan was drawn up there
        j = self.pupil_rows()
        sem = cal.sem(C["m"].to_numpy()[j])
        ok = (sem < cal.n_sem - 1) & ~self.has_plan(
            C["st"].to_numpy()[j], C["s"].to_numpy()[j], sem + 1
        )
        j = self.pick(j[ok], self.n("no_plan_next"))
        T = self.template(j)
        nxt = cal.sem(T["m"].to_numpy()) + 1
        T["m"] = cal.start(nxt) + (rng.random(len(T)) * cal.school_months(nxt)).astype(np.int64)
        cons = T["cat"].to_numpy() == CAT["consultation"]
        T.loc[cons, "amt"] = (
            T["h2"].to_numpy()[cons]
            * led.rate(T["role"].to_numpy()[cons], T["m"].to_numpy()[cons], T["p"].to_numpy()[cons])
            // 2
        )
        self.add(T, ("ELIG_NO_PLAN",))
        # claimed at another school of the same partner, where the pupil has no plan
        by_partner = pd.Series(np.arange(len(self.sp))).groupby(self.sp).apply(np.asarray).to_dict()
        j = rng.permutation(self.pupil_rows())
        want = self.n("no_plan_school")
        chosen: list[int] = []
        other: list[int] = []
        for i in j:
            if len(chosen) >= want:
                break
            p, s, st, m = (int(C[c].iat[i]) for c in ("p", "s", "st", "m"))
            pool = [x for x in by_partner[p] if x != s and self.joined_m[x] <= m]
            if not pool:
                continue
            s2 = int(rng.choice(pool))
            if not self.has_plan([st], [s2], cal.sem(np.array([m])))[0]:
                chosen.append(i)
                other.append(s2)
        T = self.template(np.array(chosen, dtype=np.int64))
        T["s"] = np.array(other, dtype=np.int64)
        self.add(T, ("ELIG_NO_PLAN",))
        # a plan drawn up on 1 October cannot cover September
        F = self.plans.frame
        d = self.plans.day_after
        s = F["s"].to_numpy()[d]
        months = cal.start(F["sem"].to_numpy()[d])
        rows = _rows(
            p=self.sp[s],
            s=s,
            st=F["st"].to_numpy()[d],
            cat=CAT["meals"],
            m=months,
            amt=led.monthly_amount("meals", months),
            dkind=INV,
        )
        self.add(rows, ("ELIG_NO_PLAN",))

    def target_group(self) -> None:
        rng, cal, world = self.rng, self.cal, self.world
        starts = cal.start(np.arange(cal.n_sem))
        lo, _ = world.grade_range(starts, np.zeros(cal.n_sem, dtype=np.int64))
        general = world.schools["kind"].to_numpy() == 0
        open_ = np.array([(general & (self.active <= i)).any() for i in range(cal.n_sem)])
        sems = np.flatnonzero((lo > 1) & open_)
        k = self.n("target_group")
        sem = rng.choice(sems, size=k)
        S = world.schools
        w = S["w"].to_numpy() * (S["kind"].to_numpy() == 0)
        s = np.array(
            [rng.choice(len(w), p=(x := w * (self.active <= i)) / x.sum()) for i in sem],
            dtype=np.int64,
        )
        grade = np.maximum(1, lo[sem] - rng.integers(1, 4, k))
        st = self.plans.n_students + np.arange(k)
        self.plans.n_students += k
        created = cal.start_days()[sem] + rng.integers(3, 21, k)
        base = len(self.plans.frame) + sum(len(x) for x in self.new_plans)
        self.new_plans.append(
            pd.DataFrame(
                {
                    "st": st,
                    "s": s,
                    "sem": sem,
                    "grade": grade,
                    "level": 0,
                    "mover": 0,
                    "created": created,
                }
            )
        )
        two = rng.random(k) < 0.5
        j = np.r_[np.arange(k), np.flatnonzero(two)]
        m = cal.start(sem[j]) + (rng.random(len(j)) * cal.school_months(sem[j])).astype(np.int64)
        cat = np.where(rng.random(len(j)) < 0.6, CAT["meals"], CAT["transport_intercity"])
        amt = np.where(
            cat == CAT["meals"],
            self.ledger.monthly_amount("meals", m),
            self.ledger.monthly_amount("transport_intercity", m),
        )
        rows = _rows(
            p=self.sp[s[j]],
            s=s[j],
            st=st[j],
            cat=cat,
            m=m,
            amt=amt,
            dkind=np.where(cat == CAT["meals"], INV, BIL),
            plan=base + j,
        )
        self.add(rows.drop_duplicates(["st", "m", "cat"]), ("ELIG_TARGET_GROUP",))

    def materials(self) -> None:
        C, F = self.C, self.plans.frame
        j = self.pupil_rows()
        j = j[F["level"].to_numpy()[C["plan"].to_numpy()[j]] == 0]
        T = self.template(self.pick(j, self.n("materials")))
        T["cat"], T["role"], T["h2"], T["dkind"] = CAT["learning_materials"], -1, 0, INV
        T["amt"] = _round10(self.rng.uniform(1000, 6000, len(T)))
        self.add(T, ("ELIG_MATERIALS_VOCATIONAL",))

    def duplicates(self) -> None:
        rng, C = self.rng, self.C
        j = self.pick(np.arange(len(C)), self.n("dup_same"))
        T = self.template(j)
        self.add(
            T,
            group="DUPLICATE_CLAIM",
            dgroup=C["dgroup"].to_numpy()[j],
            paid=C["paid"].to_numpy()[j] + rng.integers(7, 61, len(j)),
        )
        staff = np.flatnonzero(C["cat"].to_numpy() == CAT["staff_development"])
        k_cross, k_triple = self.n("dup_cross"), self.n("dup_triple")
        j = self.pick(staff, 3 * (k_cross + k_triple))
        q = self.other_partner(C["p"].to_numpy()[j], C["m"].to_numpy()[j])
        j, q = j[q >= 0][: k_cross + k_triple], q[q >= 0][: k_cross + k_triple]
        T = self.template(j)
        T["p"] = q
        g, paid = C["dgroup"].to_numpy()[j], C["paid"].to_numpy()[j]
        self.add(T, group="DUPLICATE_CLAIM", dgroup=g, paid=paid + rng.integers(5, 21, len(j)))
        t = slice(k_cross, None)  # the last ones are claimed a third time, by the first partner
        self.add(
            self.template(j[t]),
            group="DUPLICATE_CLAIM",
            dgroup=g[t],
            paid=paid[t] + rng.integers(30, 51, len(j[t])),
        )

    def caps(self, pairs: pd.DataFrame) -> int:
        """Per monthly category: a second invoice, a single row above the cap, and a pupil
        who moved whose two schools (two partners) together claim above the cap."""
        rng, C, cal = self.rng, self.C, self.cal
        cat_all, st_all, m_all = C["cat"].to_numpy(), C["st"].to_numpy(), C["m"].to_numpy()
        used = 0
        for cat, weight in CAP_WEIGHT.items():
            rule, c = self.cap_rule[cat], CAT[cat]
            kind = BIL if cat == "transport_intercity" else INV
            same = np.flatnonzero(cat_all == c)
            j = self.pick(same, self.n("cap_second", weight))
            T = self.template(j)
            cap = _cap_cents(self.prog, cat, T["m"].to_numpy())
            T["amt"] = np.minimum(cap, cap - T["amt"].to_numpy() + rng.integers(100, 2001, len(T)))
            self.add(T, group=rule)
            have = np.unique((st_all[same] << 20) | (m_all[same] - cal.start_m + 24))
            j = self.pupil_rows()
            j = j[~np.isin((st_all[j] << 20) | (m_all[j] - cal.start_m + 24), have)]
            j = self.pick(j, self.n("cap_single", weight) + self.n("cap_second", weight) - len(T))
            T = self.template(j).drop_duplicates(["st", "m"])
            T["cat"], T["role"], T["h2"], T["dkind"] = c, -1, 0, kind
            T["amt"] = _cap_cents(self.prog, cat, T["m"].to_numpy()) + rng.integers(
                100, 2501, len(T)
            )
            self.add(T, group=rule)
            k = self.n("cap_cross", weight)
            pr = pairs.iloc[used : used + k]
            used += len(pr)
            m = cal.start(pr["sem"].to_numpy())
            cap = _cap_cents(self.prog, cat, m)
            sa, sb = pr["s_a"].to_numpy(), pr["s_b"].to_numpy()
            a = _rows(
                p=self.sp[sa],
                s=sa,
                st=pr["st"],
                cat=c,
                m=m,
                amt=cap + rng.integers(100, 1001, len(pr)),
                dkind=kind,
            )
            b = _rows(
                p=self.sp[sb],
                s=sb,
                st=pr["st"],
                cat=c,
                m=m,
                amt=_round10(rng.uniform(500, cap)),
                dkind=kind,
            )
            self.add(a, group=rule, paid=_month_days(m) + rng.integers(1, 8, len(pr)))
            self.add(b, group=rule, paid=_month_days(m + 1) + rng.integers(14, 26, len(pr)))
        return used

    def items(self, pairs: pd.DataFrame) -> None:
        rng, C, cal = self.rng, self.C, self.cal
        rule = self.cap_rule["personal_items"]
        sel = np.flatnonzero(C["cat"].to_numpy() == CAT["personal_items"])
        sem = cal.sem(C["m"].to_numpy()[sel])
        total = (
            pd.Series(C["amt"].to_numpy()[sel])
            .groupby([C["st"].to_numpy()[sel], sem])
            .transform("sum")
            .to_numpy()
        )
        pick = self.pick(np.arange(len(sel)), self.n("items_second"))
        T = self.template(sel[pick])
        cap = _cap_cents(self.prog, "personal_items", cal.start(sem[pick]))
        T["amt"] = np.clip(cap - total[pick] + rng.integers(100, 1501, len(T)), 100, cap)
        self.add(T, group=rule)
        pr = pairs.iloc[: self.n("items_cross")]
        m = cal.start(pr["sem"].to_numpy())
        sa, sb = pr["s_a"].to_numpy(), pr["s_b"].to_numpy()
        a = _rows(
            p=self.sp[sa],
            s=sa,
            st=pr["st"],
            cat=CAT["personal_items"],
            m=m,
            amt=_round10(rng.uniform(1600, 2400, len(pr))),
            dkind=CEKS,
        )
        b = _rows(
            p=self.sp[sb],
            s=sb,
            st=pr["st"],
            cat=CAT["personal_items"],
            m=m,
            amt=_round10(rng.uniform(1000, 2000, len(pr))),
            dkind=CEKS,
        )
        self.add(a, group=rule)
        self.add(b, group=rule)

    def ngo(self) -> None:
        rng, C = self.rng, self.C
        sel = np.flatnonzero(C["ngo"].to_numpy() >= 0)
        ngo = C["ngo"].to_numpy()[sel]
        projects = self.pick(np.unique(ngo), self.n("ngo"))
        first = np.array([sel[ngo == x][0] for x in projects], dtype=np.int64)
        T = self.template(first)
        total = pd.Series(C["amt"].to_numpy()[sel]).groupby(ngo).sum().reindex(projects).to_numpy()
        cap = _cap_cents(self.prog, "ngo_project", T["m"].to_numpy())
        T["amt"] = cap - total + _round10(rng.uniform(5000, 90000, len(T)))
        self.add(T, group=self.cap_rule["ngo_project"])

    def choose_budget(self) -> None:
        spend = self.C.groupby("p")["amt"].sum()
        big = spend.index[spend.to_numpy() >= spend.median()].to_numpy()
        self.budget = self.pick(big, self.n("budget"))
