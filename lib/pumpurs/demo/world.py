"""The world: partners (the seed's Kokneses novads among them), their schools, pupils and support plans."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from importlib import resources

import numpy as np
import pandas as pd

from pumpurs.core.settings import Programme
from pumpurs.demo.common import (
    ASSUMED_PLANS,
    JOIN_SHARE,
    KOKNESE,
    KOKNESE_AGREEMENT,
    KOKNESE_SCHOOLS,
    N_VPIL,
    NATIONAL_SCHOOLS,
    SCHOOL_KINDS,
    SMALL_PARTNERS,
    SMALL_PLAN_SHARE,
    VILLAGES,
    _Calendar,
    _day,
    _day_month,
    _grade_range,
    _weekday,
)


# ---------------------------------------------------------------------------
# The world: partners and schools
# ---------------------------------------------------------------------------
@dataclass
class _World:
    # name, genitive, kind, current, code, pop, agr (day), agr_m, n_schools
    partners: pd.DataFrame
    # name, p, kind (0 general, 1 vocational), round, joined (day), joined_m, active (semester), w
    schools: pd.DataFrame
    prog: Programme
    targets: np.ndarray  # plans wanted per semester

    def grade_range(self, months: np.ndarray, level: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _grade_range(self.prog, months, level)


def _read_data(name: str) -> pd.DataFrame:
    text = resources.files("pumpurs").joinpath("data", name).read_text(encoding="utf-8")
    return pd.read_csv(io.StringIO(text))


def _agreement_days(
    rng: np.random.Generator, n: int, probs, cal: _Calendar, prog: Programme
) -> np.ndarray:
    """Agreements come in waves: most in 2017, the last ones in 2020."""
    y0 = cal.y0
    first = prog.project.grant_agreement_date + dt.timedelta(days=18)
    windows = [
        (first, dt.date(y0, 8, 31)),
        (dt.date(y0, 9, 1), dt.date(y0, 12, 20)),
        (dt.date(y0 + 1, 1, 8), dt.date(y0 + 1, 12, 20)),
        (dt.date(y0 + 2, 1, 8), dt.date(y0 + 2, 12, 20)),
        (dt.date(y0 + 3, 1, 8), dt.date(y0 + 3, 6, 30)),
    ]
    lo = np.array([_day(a) for a, _ in windows])
    hi = np.array([_day(b) for _, b in windows])
    w = rng.choice(len(windows), size=n, p=np.asarray(probs) / np.sum(probs))
    return _weekday(lo[w] + (rng.random(n) * (hi[w] - lo[w])).astype(np.int64))


def _world(rng: np.random.Generator, prog: Programme, cal: _Calendar, scale: str) -> _World:
    munis = _read_data("municipalities_2009.csv")
    vpils = _read_data("vpil.csv")
    if scale == "small":
        names = [n for n, _ in SMALL_PARTNERS]
        m = munis.set_index("name").loc[[n for n in names if n in set(munis["name"])]].reset_index()
        v = vpils.set_index("name").loc[[n for n in names if n in set(vpils["name"])]].reset_index()
        counts = dict(SMALL_PARTNERS)
        mprobs: tuple[float, ...] = (0.6, 0.4, 0, 0, 0)
        vprobs: tuple[float, ...] = (1, 0, 0, 0, 0)
    else:
        forced = ((munis["name"] == KOKNESE) | (munis["kind"] == "city")).to_numpy()
        others = np.flatnonzero(~forced)
        w = munis["population"].to_numpy()[others] ** 0.3
        n_join = round(JOIN_SHARE * len(munis)) - int(forced.sum())
        chosen = rng.choice(others, size=n_join, replace=False, p=w / w.sum())
        m = munis.iloc[np.sort(np.concatenate([np.flatnonzero(forced), chosen]))].reset_index(
            drop=True
        )
        v = vpils.iloc[np.sort(rng.choice(len(vpils), size=N_VPIL, replace=False))].reset_index(
            drop=True
        )
        counts = {}
        mprobs, vprobs = (0.42, 0.18, 0.25, 0.12, 0.03), (0.5, 0.25, 0.2, 0.05, 0)
    agr = _agreement_days(rng, len(m), mprobs, cal, prog)
    cities = (m["kind"] == "city").to_numpy()
    agr[cities] = _agreement_days(rng, int(cities.sum()), (0.7, 0.3, 0, 0, 0), cal, prog)
    agr[(m["name"] == KOKNESE).to_numpy()] = _day(KOKNESE_AGREEMENT)
    mp = pd.DataFrame(
        {
            "name": m["name"],
            "genitive": m["genitive"],
            "kind": "municipality",
            "current": m["current"],
            "pop": m["population"].astype(float),
            "agr": agr,
            "n_schools": [counts.get(n, 0) for n in m["name"]],
        }
    )
    vp = pd.DataFrame(
        {
            "name": v["name"],
            "genitive": "",
            "kind": "vpil",
            "current": v["current"],
            "pop": 9000.0 * v["branches"],
            "agr": _agreement_days(rng, len(v), vprobs, cal, prog),
            "n_schools": [counts.get(n, b) for n, b in zip(v["name"], v["branches"], strict=True)],
        }
    )
    partners = pd.concat([mp, vp], ignore_index=True)
    partners = partners.sort_values(["agr", "name"], kind="stable").reset_index(drop=True)
    partners["agr_m"] = _day_month(partners["agr"].to_numpy())
    partners["code"] = [prog.municipality(c).code for c in partners["current"]]
    if scale == "national":
        gen = (partners["kind"] == "municipality") & (partners["name"] != KOKNESE)
        vocational = int(partners.loc[partners["kind"] == "vpil", "n_schools"].sum())
        partners.loc[gen, "n_schools"] = _spread(
            partners.loc[gen, "pop"].to_numpy() ** 0.8,
            NATIONAL_SCHOOLS - vocational - len(KOKNESE_SCHOOLS),
        )
        partners.loc[partners["name"] == KOKNESE, "n_schools"] = len(KOKNESE_SCHOOLS)
    return _World(partners, _schools(rng, partners, cal), prog, _plan_targets(cal, prog, scale))


def _spread(weights: np.ndarray, total: int) -> np.ndarray:
    """Split `total` in proportion to weights, at least 1 each, summing exactly."""
    raw = weights / weights.sum() * total
    n = np.maximum(1, np.floor(raw)).astype(np.int64)
    order = np.argsort(-(raw - np.floor(raw)), kind="stable")
    i = 0
    while n.sum() < total:
        n[order[i % len(n)]] += 1
        i += 1
    while n.sum() > total:
        n[np.argmax(n)] -= 1
    return n


def _schools(rng: np.random.Generator, partners: pd.DataFrame, cal: _Calendar) -> pd.DataFrame:
    villages = list(rng.permutation(sorted(set(VILLAGES))))
    candidates = [f"{v} {kind}" for kind in SCHOOL_KINDS[::-1] for v in villages]
    used: set[str] = set()
    rows = []
    last_join = _day(dt.date(cal.y0 + (cal.n_sem - 1) // 2 - 1, 9, 1))
    for p, part in enumerate(partners.itertuples(index=False)):
        k = int(part.n_schools)
        vocational = part.kind == "vpil"
        if part.name == KOKNESE:
            named = list(KOKNESE_SCHOOLS)
        else:
            named = [(n, 0) for n in _school_names(part, k, candidates, used)]
        rounds = np.array([r for _, r in named])
        if part.name != KOKNESE:
            rounds = np.sort(rng.choice([1, 2, 3], size=k, p=[0.5, 0.35, 0.15]))
            rounds[0] = 1
        lo = np.array([0, 0, 150, 420])[rounds]
        hi = np.array([0, 40, 400, 760])[rounds]
        joined = np.minimum(
            _weekday(part.agr + lo + (rng.random(k) * (hi - lo)).astype(np.int64)), last_join
        )
        joined = np.maximum(joined, part.agr)
        for (name, _), r, j in zip(named, rounds, joined, strict=True):
            rows.append((name, p, int(vocational), int(r), int(j), part.pop / k))
    s = pd.DataFrame(rows, columns=["name", "p", "kind", "round", "joined", "size"])
    s["joined_m"] = _day_month(s["joined"].to_numpy())
    s["active"] = np.searchsorted(cal.start_days(), s["joined"].to_numpy(), side="left")
    w = s["size"].to_numpy() ** 0.6 * rng.lognormal(0, 0.35, len(s))
    gen = s["kind"].to_numpy() == 0
    w = w / w[gen].mean() if gen.any() else w
    w[~gen] = 3.5 * rng.lognormal(0, 0.3, int((~gen).sum()))
    s["w"] = w
    return s


def _school_names(part, k: int, candidates: list[str], used: set[str]) -> list[str]:
    """Plausible and unique: the VPIL itself and its branches; a town's numbered schools;
    a novads' central school and its village schools."""
    names: list[str] = []

    def take(name: str) -> None:
        used.add(name)
        names.append(name)

    if part.kind == "vpil":
        take(part.name)
        while len(names) < k:
            take(f"{part.name} {candidates.pop().split()[0]} struktūrvienība")
        return names
    gen = part.genitive
    big = part.pop > 15000
    n = 1
    while len(names) < k:
        if not names and " " not in gen and not big:
            candidate = f"{gen} vidusskola"
        elif big and len(names) < max(2, k // 2):
            kind = ("vidusskola", "pamatskola", "vidusskola", "sākumskola")[n % 4]
            candidate = f"{gen} {n}. {kind}"
            n += 1
        elif candidates:
            candidate = candidates.pop()
        else:
            candidate = f"{gen} {n}. pamatskola"
            n += 1
        if candidate not in used:
            take(candidate)
    return names


# ---------------------------------------------------------------------------
# Pupils and their support plans
# ---------------------------------------------------------------------------
@dataclass
class _Plans:
    # st, s, sem, grade, level, mover (0; 1 = left mid-semester; 2 = arrived), created
    frame: pd.DataFrame
    n_students: int
    late: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # plan rows
    day_after: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


def _plan_targets(cal: _Calendar, prog: Programme, scale: str) -> np.ndarray:
    published = {v.school_year: v.value for v in prog.targets.support_plans_per_school_year}
    years = {**ASSUMED_PLANS, **published}
    out = np.zeros(cal.n_sem)
    for i in range(cal.n_sem):
        label = cal.label(i)[:9]
        share = 0.5 if i >= 2 else (0.42 if i == 0 else 0.58)  # the first year ramps up
        out[i] = years.get(label, 0) * share
    return out * (SMALL_PLAN_SHARE if scale == "small" else 1.0)


def _draw_grades(rng, level: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    weights = {
        0: np.array([2, 2, 3, 3, 6, 8, 10, 10, 10, 7, 5, 4], float),
        1: np.array([4, 3, 2, 1], float),
    }
    out = np.zeros(len(level), dtype=np.int64)
    for lvl, wts in weights.items():
        pairs = zip(lo[level == lvl], hi[level == lvl], strict=True)
        for a, b in sorted({(int(x), int(y)) for x, y in pairs}):
            sel = (level == lvl) & (lo == a) & (hi == b)
            p = wts[a - 1 : b] / wts[a - 1 : b].sum()
            out[sel] = a + rng.choice(b - a + 1, size=int(sel.sum()), p=p)
    return out


def _plans(rng: np.random.Generator, world: _World, cal: _Calendar, scale: str) -> _Plans:
    """Semester by semester: most pupils keep their plan into the next semester (grade + 1
    in a new year), some leave or graduate, some move school, new ones fill each school's
    share of the semester's plans; a few move to another partner's school mid-semester."""
    S = world.schools
    n_s = len(S)
    kind = S["kind"].to_numpy()
    w = S["w"].to_numpy()
    sp = S["p"].to_numpy()
    active_from = S["active"].to_numpy()
    targets = world.targets
    prev = {k: np.zeros(0, dtype=np.int64) for k in ("st", "s", "g", "lvl")}
    next_st = 0
    parts = []
    for i in range(cal.n_sem):
        active = active_from <= i
        if not active.any():
            continue
        quota = rng.poisson(targets[i] * w * active / (w * active).sum())
        st, s, g, lvl = (prev[k] for k in ("st", "s", "g", "lvl"))
        if len(st):
            new_year = i % 2 == 0
            keep = rng.random(len(st)) < (0.55 if new_year else 0.82)
            st, s, g, lvl = st[keep], s[keep], g[keep], lvl[keep]
            if new_year:
                g = g + 1
                voc = np.flatnonzero(active & (kind == 1))
                switch = (lvl == 0) & (g == 10) & (rng.random(len(st)) < 0.25)
                if len(voc) and switch.any():
                    s[switch] = rng.choice(voc, size=int(switch.sum()), p=w[voc] / w[voc].sum())
                    lvl[switch], g[switch] = 1, 1
                stay = g <= np.where(lvl == 0, 12, 4)
                st, s, g, lvl = st[stay], s[stay], g[stay], lvl[stay]
            move = rng.random(len(st)) < 0.03
            for k in (0, 1):
                pool = np.flatnonzero(active & (kind == k))
                sel = move & (lvl == k)
                if len(pool) and sel.any():
                    s[sel] = rng.choice(pool, size=int(sel.sum()), p=w[pool] / w[pool].sum())
            order = rng.permutation(len(st))
            rank = pd.Series(s[order]).groupby(s[order]).cumcount().to_numpy()
            take = np.sort(order[rank < quota[s[order]]])
            st, s, g, lvl = st[take], s[take], g[take], lvl[take]
        new = np.maximum(quota - np.bincount(s, minlength=n_s), 0)
        ns = np.repeat(np.arange(n_s), new)
        nl = kind[ns]
        lo, hi = world.grade_range(np.full(len(ns), cal.start(i)), nl)
        st = np.concatenate([st, np.arange(next_st, next_st + len(ns))])
        next_st += len(ns)
        s, g, lvl = (
            np.concatenate([s, ns]),
            np.concatenate([g, _draw_grades(rng, nl, lo, hi)]),
            np.concatenate([lvl, nl]),
        )
        mover = np.zeros(len(st), dtype=np.int64)
        # pupils who move to another partner's school in the first weeks of the semester
        n_mid = rng.binomial(len(st), 0.004) if scale == "national" else 2
        cand = rng.permutation(len(st))[: n_mid * 3]
        moved_s: list[int] = []
        moved_i: list[int] = []
        for j in cand:
            if len(moved_i) >= n_mid:
                break
            pool = np.flatnonzero(active & (kind == kind[s[j]]) & (sp != sp[s[j]]))
            if len(pool):
                moved_i.append(int(j))
                moved_s.append(int(rng.choice(pool)))
        mi_ = np.array(moved_i, dtype=np.int64)
        mover[mi_] = 1
        parts.append(
            pd.DataFrame({"st": st, "s": s, "sem": i, "grade": g, "level": lvl, "mover": mover})
        )
        if len(mi_):
            parts.append(
                pd.DataFrame(
                    {
                        "st": st[mi_],
                        "s": np.array(moved_s),
                        "sem": i,
                        "grade": g[mi_],
                        "level": lvl[mi_],
                        "mover": 2,
                    }
                )
            )
            s = s.copy()
            s[mi_] = moved_s
        prev = {"st": st, "s": s, "g": g, "lvl": lvl}
    frame = pd.concat(parts, ignore_index=True)
    return _created(rng, _Plans(frame, next_st), cal, world.prog, scale)


def _created(
    rng: np.random.Generator, plans: _Plans, cal: _Calendar, prog: Programme, scale: str
) -> _Plans:
    """Plans are drawn up in the first weeks of the semester; a few late (PLAN_LATE), and
    a few exactly on day 30 of the first semester (1 October: not late, but after
    September, so September support has no plan yet)."""
    f = plans.frame
    n = len(f)
    late_days = prog.warnings.plan_late_days
    mover = f["mover"].to_numpy()
    off = np.minimum(min(28, late_days - 2), np.floor(rng.exponential(6, n))).astype(np.int64)
    off[mover == 1] = rng.integers(0, 8, int((mover == 1).sum()))
    off[mover == 2] = rng.integers(10, min(29, late_days - 1), int((mover == 2).sum()))
    normal = np.flatnonzero(mover == 0)
    n_late = max(3, round(n * 0.0025)) if scale == "national" else 3
    late = np.sort(rng.choice(normal, size=n_late, replace=False))
    off[late] = rng.integers(late_days + 5, late_days + 46, n_late)
    first = np.setdiff1d(normal[f["sem"].to_numpy()[normal] % 2 == 0], late)
    n_after = 40 if scale == "national" else 2
    day_after = np.sort(rng.choice(first, size=n_after, replace=False))
    off[day_after] = 30  # 1 September + 30 days = 1 October
    f["created"] = cal.start_days()[f["sem"].to_numpy()] + off
    plans.late, plans.day_after = late, day_after
    return plans
