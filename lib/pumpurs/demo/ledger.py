"""The clean ledger: realistic monthly spending in every category, before any breach."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pumpurs.core.contract import SPECIALIST_ROLES
from pumpurs.core.settings import Programme
from pumpurs.demo.common import (
    CAT,
    COVID_MONTHS,
    HOURLY_EUR,
    MONTHLY,
    MONTHLY_ROW_SHARE,
    PUPIL_ROLE_SHARE,
    SUPPORT_SHARE,
    _Calendar,
    _cap_cents,
    _day_month,
    _mi,
    _month_days,
)
from pumpurs.demo.world import (
    _Plans,
    _World,
)

# ---------------------------------------------------------------------------
# The clean ledger
# ---------------------------------------------------------------------------
INV, BIL, ALGA, CEKS = 0, 1, 2, 3  # document kinds
LEDGER_COLS = ("p", "s", "st", "cat", "m", "amt", "role", "h2", "ngo", "dkind", "dkey", "plan")


def _rows(**cols) -> pd.DataFrame:
    """Ledger rows; absent columns get their 'none' value (-1, or 0 hours)."""
    n = len(next(iter(cols.values())))
    out = {}
    for c in LEDGER_COLS:
        v = cols.get(c, 0 if c == "h2" else -1)
        out[c] = np.broadcast_to(np.asarray(v, dtype=np.int64), (n,)).copy()
    return pd.DataFrame(out)


def _round10(x: np.ndarray) -> np.ndarray:
    """Euro amounts in cents rounded to 10 cents (prices people write)."""
    return (np.round(np.asarray(x) / 10) * 10).astype(np.int64)


class _Ledger:
    """Every row eligible and every cap respected; paid dates per document."""

    def __init__(
        self,
        rng: np.random.Generator,
        world: _World,
        plans: _Plans,
        cal: _Calendar,
        prog: Programme,
    ) -> None:
        self.rng, self.world, self.plans, self.cal, self.prog = rng, world, plans, cal, prog
        self.frame = pd.DataFrame()
        self.flags: dict[str, np.ndarray] = {}  # per plan: which kinds of support it gets
        self.ngo_names: list[str] = []
        self.partner_rate = 0.9 + 0.25 * rng.random(len(world.partners))

    # -- helpers -------------------------------------------------------------
    def rate(self, role: np.ndarray, m: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Cents per hour of a specialist: by role, rising with the years, by partner."""
        base = np.array([HOURLY_EUR[r] for r in SPECIALIST_ROLES])[role] * 100
        years = m // 12 - self.cal.y0
        growth = 1.03**years * np.where(years >= 5, 1.08, 1.0)
        return _round10(base * growth * self.partner_rate[p])

    def consultations(self, p, s, st, m, role, h2) -> pd.DataFrame:
        amt = np.asarray(h2) * self.rate(role, m, p) // 2
        dkey = (
            (np.asarray(s) + 1) * 100000 + (np.asarray(m) - self.cal.start_m)
        ) * 16 + np.asarray(role)
        return _rows(
            p=p,
            s=s,
            st=st,
            cat=CAT["consultation"],
            m=m,
            amt=amt,
            role=role,
            h2=h2,
            dkind=ALGA,
            dkey=dkey,
        )

    def monthly_amount(self, cat: str, m: np.ndarray) -> np.ndarray:
        """What a month of support costs, never above the cap in force."""
        rng, n = self.rng, len(m)
        if cat == "meals":
            price = np.array([142, 180, 200, 235, 250, 280, 320, 350])[rng.integers(0, 8, n)]
            cost = rng.integers(12, 22, n) * price
        elif cat == "transport_intercity":
            cost = _round10(rng.uniform(500, 4000, n))
        elif cat == "accommodation":
            cost = _round10(rng.uniform(1000, 4800, n))
        else:
            cost = _round10(rng.uniform(1000, 4200, n))
        return np.minimum(cost, _cap_cents(self.prog, cat, m))

    # -- generation ----------------------------------------------------------
    def clean(self) -> None:
        parts = [self._pupil_rows(), self._school_rows(), self._partner_rows(), self._ngo_rows()]
        f = pd.concat(parts, ignore_index=True)
        f = self._fit_caps(f)
        self.frame = self._paid(f)

    def plan_months(self) -> tuple[np.ndarray, np.ndarray]:
        """(plan row, month) for every month a plan's support can be paid."""
        f, cal = self.plans.frame, self.cal
        sem = f["sem"].to_numpy()
        sm = cal.start(sem)
        first = np.maximum(sm, _day_month(f["created"].to_numpy()))
        last = sm + cal.school_months(sem) - 1
        last = np.where(f["mover"].to_numpy() == 1, sm, last)
        nm = np.maximum(last - first + 1, 0)
        rep = np.repeat(np.arange(len(f)), nm)
        off = np.arange(len(rep)) - np.repeat(np.cumsum(nm) - nm, nm)
        return rep, first[rep] + off

    def _pupil_rows(self) -> pd.DataFrame:
        rng, f, world = self.rng, self.plans.frame, self.world
        n = len(f)
        st = f["st"].to_numpy()
        s = f["s"].to_numpy()
        level = f["level"].to_numpy()
        p = world.schools["p"].to_numpy()[s]
        u = rng.random((self.plans.n_students, len(SUPPORT_SHARE)))
        flags = {}
        for j, (cat, share) in enumerate(SUPPORT_SHARE.items()):
            wanted = np.array(share)[level]
            flags[cat] = (u[st, j] + rng.normal(0, 0.05, n) < wanted) & (wanted > 0)
        flags["personal_items"] &= f["mover"].to_numpy() != 1  # one plan per semester buys items
        self.flags = flags
        rep, month = self.plan_months()
        covid = np.ones(len(month))
        for text, factor in COVID_MONTHS.items():
            covid[month == _mi(text)] = factor
        parts = []
        for cat in MONTHLY:
            keep = flags[cat][rep] & (
                rng.random(len(rep)) < MONTHLY_ROW_SHARE[cat] * np.where(cat == "meals", 1, covid)
            )
            r, m = rep[keep], month[keep]
            if cat == "meals" or cat == "accommodation":
                dkey = ((s[r] + 1) * 100000 + (m - self.cal.start_m)) * 16 + CAT[cat]
            elif cat == "special_transport":
                dkey = ((p[r] + 1 + 50000) * 100000 + (m - self.cal.start_m)) * 16 + CAT[cat]
            else:
                dkey = np.full(len(r), -1)
            kind = BIL if cat == "transport_intercity" else INV
            amt = self.monthly_amount(cat, m)
            parts.append(
                _rows(
                    p=p[r],
                    s=s[r],
                    st=st[r],
                    cat=CAT[cat],
                    m=m,
                    amt=amt,
                    dkind=kind,
                    dkey=dkey,
                    plan=r,
                )
            )
        role = rng.choice(len(SPECIALIST_ROLES), size=n, p=PUPIL_ROLE_SHARE)
        keep = flags["consultation"][rep] & (rng.random(len(rep)) < 0.7)
        r, m = rep[keep], month[keep]
        h2 = rng.choice([2, 3, 4, 6, 8], size=len(r), p=[0.3, 0.2, 0.25, 0.15, 0.1])
        c = self.consultations(p[r], s[r], st[r], m, role[r], h2)
        c["plan"] = r
        parts.append(c)
        parts.extend(self._purchases(rep, month, flags, p, s, st))
        return pd.concat(parts, ignore_index=True)

    def _purchases(self, rep, month, flags, p, s, st) -> list[pd.DataFrame]:
        """Items for individual use (at most twice a semester, within the cap) and
        learning materials (vocational pupils only)."""
        rng = self.rng
        first_idx = (
            np.flatnonzero(np.r_[True, rep[1:] != rep[:-1]]) if len(rep) else np.zeros(0, int)
        )
        plan_of = rep[first_idx]
        nm = np.diff(np.r_[first_idx, len(rep)])
        first_m = month[first_idx]
        out = []
        for cat in ("personal_items", "learning_materials"):
            has = flags[cat][plan_of]
            r, fm, k = plan_of[has], first_m[has], nm[has]
            m1 = fm + (rng.random(len(r)) * k).astype(np.int64)
            m2 = fm + (rng.random(len(r)) * k).astype(np.int64)
            two = rng.random(len(r)) < 0.3
            if cat == "personal_items":
                cap = _cap_cents(self.prog, cat, self.cal.start(self.cal.sem(m1)))
                a1 = _round10(rng.uniform(500, cap))
                a2 = _round10(rng.uniform(300, np.maximum(cap - a1, 300)))
                two &= (cap - a1) >= 300
                a2 = np.minimum(a2, cap - a1)
                kind, dkey1, dkey2 = CEKS, np.full(len(r), -1), np.full(len(r), -1)
            else:
                a1 = _round10(rng.uniform(800, 9000, len(r)))
                a2 = _round10(rng.uniform(800, 6000, len(r)))
                kind = INV
                dkey1 = ((s[r] + 1) * 100000 + (m1 - self.cal.start_m)) * 16 + CAT[cat]
                dkey2 = ((s[r] + 1) * 100000 + (m2 - self.cal.start_m)) * 16 + CAT[cat]
                two &= m1 != m2
            out.append(
                _rows(
                    p=p[r],
                    s=s[r],
                    st=st[r],
                    cat=CAT[cat],
                    m=m1,
                    amt=a1,
                    dkind=kind,
                    dkey=dkey1,
                    plan=r,
                )
            )
            t = two
            out.append(
                _rows(
                    p=p[r][t],
                    s=s[r][t],
                    st=st[r][t],
                    cat=CAT[cat],
                    m=m2[t],
                    amt=a2[t],
                    dkind=kind,
                    dkey=dkey2[t],
                    plan=r[t],
                )
            )
        return out

    def _school_rows(self) -> pd.DataFrame:
        """Specialists' group work at each school, month by month (no pupil named)."""
        rng, cal, S = self.rng, self.cal, self.world.schools
        months = np.arange(int(cal.start(0)), cal.end_m + 1)
        months = months[(months % 12 != 6) & (months % 12 != 7)]  # no lessons in July, August
        n_s, n_r = len(S), len(SPECIALIST_ROLES)
        share = np.array([0.4, 0.6, 0.5, 0.3, 0.25, 0.03, 0.12, 0.04])
        roles = rng.random((n_s, n_r)) < share
        first = np.arange(min(n_s, n_r))
        roles[first, first] = True  # every role works somewhere, even in a small demo
        open_ = months[None, :] >= cal.start(S["active"].to_numpy())[:, None]
        cube = open_[:, :, None] & roles[:, None, :] & (rng.random((n_s, len(months), n_r)) < 0.85)
        si, mi, ri = np.nonzero(cube)
        m = months[mi]
        h2 = np.maximum(
            4, np.round(rng.uniform(4, 32, len(si)) * S["w"].to_numpy()[si] ** 0.4)
        ).astype(np.int64)
        return self.consultations(S["p"].to_numpy()[si], si, -1, m, ri, h2)

    def _partner_rows(self) -> pd.DataFrame:
        """Coordination (payroll, every month) and staff development (now and then)."""
        rng, cal, P = self.rng, self.cal, self.world.partners
        months = np.arange(cal.start_m, cal.end_m + 1)
        agr = P["agr_m"].to_numpy()
        size = np.sqrt(P["pop"].to_numpy() / P["pop"].max())
        grid = months[None, :] >= agr[:, None]
        pi, mi = np.nonzero(grid & (rng.random(grid.shape) < 0.97))
        base = 25000 + 120000 * size
        amt = _round10(base[pi] * rng.uniform(0.9, 1.1, len(pi)))
        coord = _rows(
            p=pi, cat=CAT["coordination"], m=months[mi], amt=amt, dkind=ALGA,
            dkey=((pi + 1 + 50000) * 100000 + (months[mi] - cal.start_m)) * 16 + 15,
        )  # fmt: skip
        lessons = (months % 12 != 6) & (months % 12 != 7)
        pi, mi = np.nonzero(grid & lessons[None, :] & (rng.random(grid.shape) < 0.12))
        amt = _round10(rng.uniform(15000, 220000, len(pi)) * (0.6 + 0.8 * size[pi]))
        staff = _rows(p=pi, cat=CAT["staff_development"], m=months[mi], amt=amt, dkind=INV)
        return pd.concat([coord, staff], ignore_index=True)

    def _ngo_rows(self) -> pd.DataFrame:
        """Youth NGO projects: 36 municipalities, 78 projects, each within its cap."""
        rng, cal, P = self.rng, self.cal, self.world.partners
        small = len(P) < 20
        muni = np.flatnonzero(
            (P["kind"] == "municipality").to_numpy() & (P["agr_m"].to_numpy() <= cal.start(4))
        )
        n_part = min(len(muni), 2 if small else 36)
        chosen = np.sort(
            rng.choice(
                muni,
                size=n_part,
                replace=False,
                p=P["pop"].to_numpy()[muni] ** 0.5 / (P["pop"].to_numpy()[muni] ** 0.5).sum(),
            )
        )
        n_proj = 4 if small else 78
        per = np.ones(n_part, dtype=np.int64) + rng.multinomial(
            n_proj - n_part, np.full(n_part, 1 / n_part)
        )
        owner = np.repeat(chosen, per)
        first_call = max(int(cal.start(2)) + 1, cal.start_m)  # first calls in autumn 2018
        lo = np.maximum(first_call, P["agr_m"].to_numpy()[owner])
        start = lo + (rng.random(n_proj) * (cal.start(cal.n_sem - 3) - lo)).astype(np.int64)
        dur = rng.integers(2, 7, n_proj)
        order = np.lexsort((owner, start))
        owner, start, dur = owner[order], start[order], dur[order]
        cap = _cap_cents(self.prog, "ngo_project", start)
        total = np.where(rng.random(n_proj) < 0.15, cap, _round10(rng.uniform(120000, cap)))
        rows = []
        seq: dict[int, int] = {}
        for j in range(n_proj):
            year = int(start[j] // 12)
            seq[year] = seq.get(year, 0) + 1
            self.ngo_names.append(f"NVO-{year}-{seq[year]:03d}")
            k = int(rng.integers(1, min(dur[j], 4) + 1))
            cuts = (
                np.sort(rng.choice(np.arange(1, int(total[j]) // 100), size=k - 1, replace=False))
                * 100
            )
            amounts = np.diff(np.r_[0, cuts, total[j]])
            months = start[j] + np.sort(rng.choice(dur[j], size=k, replace=False))
            rows.append(
                _rows(
                    p=np.full(k, owner[j]),
                    cat=CAT["ngo_project"],
                    m=months,
                    amt=amounts,
                    ngo=j,
                    dkind=INV,
                )
            )
        return pd.concat(rows, ignore_index=True)

    def _fit_caps(self, f: pd.DataFrame) -> pd.DataFrame:
        """A pupil who moved in the first weeks is supported by two schools that month:
        keep the month's total within the cap (half the groups exactly at it)."""
        rng = self.rng
        for cat in MONTHLY:
            sel = f["cat"].to_numpy() == CAT[cat]
            g = f.loc[sel, ["st", "m", "amt"]]
            multi = g.duplicated(["st", "m"], keep=False).to_numpy()
            if not multi.any():
                continue
            g = g.loc[multi]
            cap = _cap_cents(self.prog, cat, g["m"].to_numpy())
            before = g.groupby(["st", "m"])["amt"].cumsum().to_numpy() - g["amt"].to_numpy()
            room = cap - before
            last = ~g.duplicated(["st", "m"], keep="last").to_numpy()
            exact = last & (rng.random(len(g)) < 0.5)
            amt = np.where(exact, room, np.minimum(g["amt"].to_numpy(), room))
            f.loc[g.index, "amt"] = amt
        return f.loc[f["amt"].to_numpy() >= 100].reset_index(drop=True)

    def _paid(self, f: pd.DataFrame) -> pd.DataFrame:
        """One payment date per document, usually in the month after the service."""
        code = np.where(
            f["dkey"].to_numpy() >= 0,
            f["dkind"].to_numpy() * 10**15 + f["dkey"].to_numpy(),
            -1 - np.arange(len(f)),
        )
        group, _ = pd.factorize(code)
        f["dgroup"] = group
        first = np.unique(group, return_index=True)[1]
        gm = f["m"].to_numpy()[first]
        gk = f["dkind"].to_numpy()[first]
        f["paid"] = self.pay_days(gm, gk)[group]
        return f

    def pay_days(self, month: np.ndarray, kind: np.ndarray) -> np.ndarray:
        rng, n = self.rng, len(month)
        u = rng.random(n)
        shift = np.where(u < 0.12, 0, np.where(u < 0.92, 1, 2))
        day = np.where(shift == 0, rng.integers(19, 28, n), rng.integers(1, 27, n))
        payroll = kind == ALGA
        shift = np.where(payroll, 1, shift)
        day = np.where(payroll, rng.integers(4, 12, n), day)
        return _month_days(month + shift) + day
