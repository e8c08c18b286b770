"""Synthetic PuMPuRS data: a realistic data folder with a known list of rule breaches.

Why synthetic: the real ledger is about minors and never leaves the programme, yet the
tests, notebooks, benchmarks and a new user's first run need data of the real shape and
size whose findings are known in advance.

How: a clean world is generated first (partners, schools, pupils with plans, monthly
spending in every category; every row eligible, every cap respected), then breaches of
every error rule are injected, then the result is judged by `expected_findings` (a
compact, independent reading of rules.md) and checked against what was injected: a
generator bug can never write a wrong expected_findings.csv silently.

Figures that are rules (caps, period, target groups, budget, late-plan days) come from
programme.yaml. Figures that only shape the demo (how many pupils take meals, what an
hour of a psychologist costs, municipal populations of ~2020, rounded) are assumptions
made here; `data/municipalities_2009.csv` lists the 119 pre-reform municipalities with
the current municipality each became part of, `data/vpil.csv` the state vocational
institutions used as VPIL partners.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from pumpurs.core.calendar import month_end, semester_of_month, semester_start
from pumpurs.core.contract import CATEGORIES, ELIGIBILITY_RULES, SPECIALIST_ROLES, TABLES
from pumpurs.core.errors import UsageError
from pumpurs.core.settings import Programme, load_programme

SCALES = ("small", "national")
FINDINGS_FILE = "expected_findings.csv"
FINDINGS_COLUMNS = ("rule", "partner_id", "entry_ids", "plan_id")
ELIG_RULES = ELIGIBILITY_RULES

# The seed's own partner (programme.md): in every demo data set.
KOKNESE = "Kokneses novads"
KOKNESE_AGREEMENT = dt.date(2019, 11, 22)
KOKNESE_SCHOOLS = (
    ("Bebru pamatskola", 1),
    ("Kokneses pamatskola-attīstības centrs", 1),
    ("I. Gaiša Kokneses vidusskola", 2),
    ("Pērses sākumskola", 2),
)
SMALL_PARTNERS = (  # (name, schools); the VPIL last
    (KOKNESE, 4),
    ("Jaunjelgavas novads", 2),
    ("Madonas novads", 3),
    ("Cesvaines novads", 1),
    ("Rīgas Valsts tehnikums", 2),
)
NATIONAL_SCHOOLS = 611  # institutions involved (seed and ministry pages)
JOIN_SHARE = 0.87  # of the 119 pre-reform municipalities (the target is >= 80 %)
N_VPIL = 20
# Plans per school year after the published series ends (assumed; only semester 1 of the
# last year falls inside the programme period).
ASSUMED_PLANS = {"2021/2022": 21300, "2022/2023": 19400, "2023/2024": 18600}
SMALL_PLAN_SHARE = 0.004  # small scale: this share of the national plan numbers

CAT = {c: i for i, c in enumerate(CATEGORIES)}
ROLE = {r: i for i, r in enumerate(SPECIALIST_ROLES)}
MONTHLY = ("transport_intercity", "accommodation", "meals", "special_transport")
# Share of plans (general, vocational) with each kind of support; rows per month.
SUPPORT_SHARE = {
    "meals": (0.40, 0.35),
    "transport_intercity": (0.22, 0.35),
    "accommodation": (0.03, 0.25),
    "special_transport": (0.015, 0.01),
    "personal_items": (0.30, 0.30),
    "learning_materials": (0.0, 0.45),
    "consultation": (0.60, 0.55),
}
MONTHLY_ROW_SHARE = {
    "meals": 0.93,
    "transport_intercity": 0.9,
    "accommodation": 0.92,
    "special_transport": 0.85,
}
COVID_MONTHS = {"2020-03": 0.6, "2020-04": 0.15, "2020-05": 0.15}  # transport in remote learning
HOURLY_EUR = {  # an hour of each specialist in 2017 (assumed)
    "pedagogue": 11.0,
    "psychologist": 17.0,
    "social_pedagogue": 13.0,
    "teacher_assistant": 8.5,
    "special_education_teacher": 13.0,
    "sign_language_interpreter": 18.0,
    "assistant": 7.0,
    "occupational_therapist": 17.0,
}
PUPIL_ROLE_SHARE = (0.2, 0.3, 0.25, 0.08, 0.1, 0.01, 0.04, 0.02)  # in SPECIALIST_ROLES order
PLAN_AUTHOR_SHARE = (0.45, 0.25, 0.2, 0.02, 0.08, 0.0, 0.0, 0.0)
RISK_CODES = (
    "absences",
    "low_achievement",
    "learning_difficulties",
    "low_motivation",
    "family",
    "social",
    "health",
    "behaviour",
    "language",
)
RISK_SHARE = (0.45, 0.4, 0.25, 0.3, 0.2, 0.12, 0.08, 0.15, 0.05)
VILLAGES = (
    "Aizupes", "Allažu", "Bērzaunes", "Birzgales", "Dzelzavas", "Ērberģes", "Gaujienas",
    "Ilzenes", "Jaunannas", "Kalsnavas", "Lazdonas", "Liezēres", "Mārcienas", "Mētrienas",
    "Ošupes", "Praulienas", "Sarkaņu", "Vestienas", "Zaubes", "Drustu", "Kalncempju",
    "Lizuma", "Rankas", "Stradu", "Tirzas", "Litenes", "Lejasciema", "Daukstu",
    "Stāmerienas", "Jaungulbenes", "Druvienas", "Beļavas", "Sinoles", "Galgauskas",
    "Skaistkalnes", "Bārbeles", "Valles", "Misas", "Kurmenes", "Zālītes", "Svitenes",
    "Codes", "Dāviņu", "Gailīšu", "Mežotnes", "Viesturu", "Ceraukstes", "Brunavas",
    "Īslīces", "Ozolaines", "Saikavas", "Vecsalienas", "Naujenes", "Kalkūnes", "Sventes",
    "Biķernieku", "Laucesas", "Medumu", "Nīcgales", "Višķu", "Aulejas", "Ezernieku",
    "Kombuļu", "Andrupenes", "Škaunes", "Asūnes", "Vecpils", "Embūtes", "Kalvenes",
    "Lažas", "Cīravas", "Dunalkas", "Tadaiķu", "Bunkas", "Gramzdas", "Kalētu", "Virgas",
    "Ances", "Puzes", "Usmas", "Zlēku", "Popes", "Tārgales", "Ugāles", "Ziru", "Jūrkalnes",
    "Aiviekstes", "Ābeļu", "Bebrenes", "Dunavas", "Elkšņu", "Kalupes", "Līksnas", "Maļinovas",
    "Pilskalnes", "Rubenes", "Saliņu", "Šēdervas", "Tabores", "Vaboles", "Zasas", "Salienas",
    "Demenes", "Bērzpils", "Briežuciema", "Krišjāņu", "Kubulu", "Lazdulejas", "Tilžas",
    "Vectilžas", "Vīksnas", "Bērzkalnes", "Kupravas", "Mežvidu", "Šķilbēnu", "Susāju", "Žīguru",
    "Ziemeru", "Annas", "Jaunalūksnes", "Jaunlaicenes", "Liepnas", "Mālupes", "Mārkalnes",
    "Pededzes", "Veclaicenes", "Zeltiņu", "Alsviķu", "Trapenes", "Virešu", "Ērģemes", "Kārķu",
    "Vijciema", "Zvārtavas", "Ēveles", "Jērcēnu", "Plāņu", "Trikātas", "Brenguļu", "Kauguru",
    "Vaidavas", "Dikļu", "Bērzaines", "Rencēnu", "Matīšu", "Ramatas", "Sēļu", "Skaņkalnes",
    "Staiceles", "Vilzēnu", "Lodes", "Umurgas", "Vidrižu", "Katvaru", "Pāles", "Viļķenes",
    "Ainažu", "Liepupes", "Braslavas", "Lēdurgas", "Stalbes", "Straupes", "Raiskuma",
    "Mārsnēnu", "Skujenes", "Zosēnu", "Inešu", "Kaives", "Taurenes", "Dzērbenes", "Nītaures",
)  # fmt: skip
SCHOOL_KINDS = ("pamatskola", "sākumskola", "vidusskola")


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------
@dataclass
class Demo:
    """A generated data set in the typed form `load_data` returns, plus what it breaks."""

    partners: pd.DataFrame
    schools: pd.DataFrame
    support_plans: pd.DataFrame
    expenditures: pd.DataFrame
    outcomes: pd.DataFrame
    findings: pd.DataFrame  # expected_findings.csv
    municipality_written: pd.Series  # partners' municipality as written (name or ISO code)
    agreement_no: pd.Series  # an extra partners column a user's file would carry
    scale: str
    seed: int


def write_demo(
    out: Path, scale: str = "small", seed: int = 1, *, programme: Programme | None = None
) -> str:
    """Write a synthetic data folder and its expected_findings.csv; return a summary.

    The folder is written beside `out` under a temporary name and renamed into place at
    the end, so a crash never leaves a half-written folder. Same seed, same bytes.
    """
    out = Path(out)
    if scale not in SCALES:
        raise UsageError(f'"{scale}" is not a demo scale; use small or national')
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} already exists and is not an empty folder; give a new folder")
    prog = programme or load_programme()
    demo = build_demo(scale, seed, prog)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = _write_files(demo, tmp)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        if out.exists():
            out.rmdir()  # empty, checked above
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _summary(demo, out, files)


def build_demo(scale: str, seed: int, programme: Programme | None = None) -> Demo:
    """Generate the data set in memory (what write_demo writes), judged and checked."""
    if scale not in SCALES:
        raise UsageError(f'"{scale}" is not a demo scale; use small or national')
    prog = programme or load_programme()
    rng = np.random.default_rng(seed)
    cal = _Calendar.of(prog)
    world = _world(rng, prog, cal, scale)
    plans = _plans(rng, world, cal, scale)
    ledger = _Ledger(rng, world, plans, cal, prog)
    ledger.clean()
    inj = _Injector(rng, world, plans, ledger, cal, prog, scale)
    inj.run()
    return _assemble(rng, world, plans, ledger, inj, cal, prog, scale, seed)


def expected_findings(
    partners: pd.DataFrame,
    schools: pd.DataFrame,
    support_plans: pd.DataFrame,
    expenditures: pd.DataFrame,
    programme: Programme,
) -> pd.DataFrame:
    """The error findings (and PLAN_LATE warnings) rules.md gives, one line per finding.

    Takes the typed tables `load_data` returns (as_of = the latest paid_on, so every row
    counts). Columns: rule, partner_id, entry_ids (sorted, joined by ';'), plan_id.
    """
    lines, eligible = _judge(partners, schools, support_plans, expenditures, programme)
    return _complete(lines, eligible, partners, schools, support_plans, programme)


# ---------------------------------------------------------------------------
# Calendar: months as integers (year * 12 + month - 1), days since 1970-01-01
# ---------------------------------------------------------------------------
def _mi(text: str) -> int:
    return int(text[:4]) * 12 + int(text[5:7]) - 1


def _mtext(mi: int) -> str:
    return f"{mi // 12:04d}-{mi % 12 + 1:02d}"


def _mdate(mi: int) -> dt.date:
    return dt.date(mi // 12, mi % 12 + 1, 1)


def _month_days(mi: np.ndarray) -> np.ndarray:
    """First day of each month, as days since the epoch."""
    return (
        (np.asarray(mi, dtype=np.int64) - 1970 * 12)
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


def _day_month(days: np.ndarray) -> np.ndarray:
    return (
        np.asarray(days, dtype=np.int64)
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
        + 1970 * 12
    )


def _day(d: dt.date) -> int:
    return (d - dt.date(1970, 1, 1)).days


def _weekday(days: np.ndarray) -> np.ndarray:
    """Move a Saturday or Sunday to the Monday after: agreements are signed on workdays."""
    dow = (days + 3) % 7  # 0 = Monday
    return days + np.where(dow >= 5, 7 - dow, 0)


def _texts(values: np.ndarray, fmt) -> np.ndarray:
    """Format many repeated values fast: each distinct value once."""
    u, inv = np.unique(values, return_inverse=True)
    return np.array([fmt(v) for v in u], dtype=object)[inv]


@dataclass(frozen=True)
class _Calendar:
    """The demo's semesters: from the first September after the grant agreement to the
    semester holding the programme's last month."""

    y0: int
    n_sem: int
    start_m: int  # programme period, first and last month
    end_m: int

    @classmethod
    def of(cls, prog: Programme) -> _Calendar:
        grant = prog.project.grant_agreement_date
        y0 = grant.year if grant.month < 9 else grant.year + 1
        end_m = _mi(prog.final_period.end_month)
        return cls(
            y0,
            int(cls.sem_of(np.array([end_m]), y0)[0]) + 1,
            _mi(prog.period[0].start_month),
            end_m,
        )

    @staticmethod
    def sem_of(mi: np.ndarray, y0: int) -> np.ndarray:
        y, mo = mi // 12, mi % 12
        return np.where(mo >= 8, (y - y0) * 2, (y - 1 - y0) * 2 + 1)

    def sem(self, mi: np.ndarray) -> np.ndarray:
        return self.sem_of(np.asarray(mi), self.y0)

    def start(self, i: np.ndarray | int) -> np.ndarray:
        """The first month of semester i (September or January)."""
        i = np.asarray(i)
        y = self.y0 + i // 2
        return np.where(i % 2 == 0, y * 12 + 8, (y + 1) * 12)

    def school_months(self, i: np.ndarray | int) -> np.ndarray:
        """Months with lessons: September-December, January-May."""
        return np.where(np.asarray(i) % 2 == 0, 4, 5)

    def label(self, i: int) -> str:
        y = self.y0 + i // 2
        return f"{y}/{y + 1}-{1 if i % 2 == 0 else 2}"

    def start_days(self, n: int | None = None) -> np.ndarray:
        return _month_days(self.start(np.arange(n or self.n_sem + 1)))


def _versioned(prog: Programme, versions: list, months: np.ndarray, attr) -> np.ndarray:
    """A versioned setting's value in force in each month."""
    u, inv = np.unique(months, return_inverse=True)
    vals = [attr(prog.in_force(versions, _mdate(int(m)))) for m in u]
    return np.array(vals)[inv] if len(u) else np.array([])


def _cap_cents(prog: Programme, category: str, months: np.ndarray) -> np.ndarray:
    cap = next(c for c in prog.caps if c.category == category)
    return _versioned(prog, cap.versions, months, lambda v: int(v.limit_eur * 100)).astype(np.int64)


def _grade_range(
    prog: Programme, months: np.ndarray, level: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    lo = _versioned(
        prog, prog.target_group, months, lambda v: (v.general.min_grade, v.vocational.min_grade)
    )
    hi = _versioned(
        prog, prog.target_group, months, lambda v: (v.general.max_grade, v.vocational.max_grade)
    )
    if len(level) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    idx = np.arange(len(level))
    return lo[idx, level], hi[idx, level]


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
        mprobs, vprobs = (0.6, 0.4, 0, 0, 0), (1, 0, 0, 0, 0)
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
        months = np.arange(cal.start(0), cal.end_m + 1)
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
        first_call = max(cal.start(2) + 1, cal.start_m)  # first calls in autumn 2018
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
        want, chosen, other = self.n("no_plan_school"), [], []
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
        m = cal.start(F["sem"].to_numpy()[d])
        rows = _rows(
            p=self.sp[s],
            s=s,
            st=F["st"].to_numpy()[d],
            cat=CAT["meals"],
            m=m,
            amt=led.monthly_amount("meals", m),
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


def _judge(partners, schools, plans, e, prog: Programme) -> tuple[pd.DataFrame, pd.Series]:
    """Passes 1-3 of rules.md over the whole ledger: finding lines, eligible cents per partner."""
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
    dup_cols = ["document_ref", "category", "student_id", "service_month", "amount_cents"]
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


# ---------------------------------------------------------------------------
# Writing the folder
# ---------------------------------------------------------------------------
def _eur_text(cents: pd.Series, sep: str) -> pd.Series:
    c = cents.astype(np.int64)
    return (c // 100).astype(str) + sep + (c % 100).astype(str).str.zfill(2)


def _date_text(values: pd.Series, fmt: str) -> pd.Series:
    days = values.to_numpy().astype("datetime64[D]").astype(np.int64)
    return pd.Series(
        _texts(days, lambda d: (dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).strftime(fmt)),
        index=values.index,
    )


def _hours_text(hours: pd.Series, sep: str) -> pd.Series:
    h2 = np.round(hours.fillna(0).to_numpy() * 2).astype(np.int64)
    text = _texts(
        h2, lambda v: "" if v == 0 else (f"{v // 2}" if v % 2 == 0 else f"{v // 2}{sep}5")
    )
    return pd.Series(text, index=hours.index)


def _file_frames(demo: Demo) -> dict[str, pd.DataFrame]:
    """The tables as a user's files hold them (money in EUR, the user's own columns)."""
    p = demo.partners
    partners = pd.DataFrame(
        {
            "partner_id": p["partner_id"],
            "name": p["name"],
            "kind": p["kind"],
            "municipality": demo.municipality_written,
            "agreement_date": p["agreement_date"],
            "allocation_eur": p["allocation_cents"] / 100,
            "agreement_no": demo.agreement_no,
        }
    )
    return {
        "partners": partners,
        "schools": demo.schools[[c.name for c in TABLES["schools"]]],
        "support_plans": demo.support_plans[[c.name for c in TABLES["support_plans"]]],
        "expenditures": demo.expenditures,
        "outcomes": demo.outcomes,
    }


def _latvian(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel in Latvia: decimal comma, DD.MM.YYYY."""
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if c == "amount_cents":
            out[c] = _eur_text(s, ",")
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[c] = _date_text(s, "%d.%m.%Y")
        elif c == "hours":
            out[c] = _hours_text(s, ",")
    return out.rename(columns={"amount_cents": "amount_eur"})


def _write_csv(frame: pd.DataFrame, path: Path, *, sep: str, encoding: str, crlf: bool) -> None:
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n" if crlf else "\n")
    path.write_bytes(text.encode(encoding))


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame], *, text_dates: set[str]) -> None:
    """Workbook with real Excel dates (or, for sheets in text_dates, dates typed as text)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties(
        {"title": "PuMPuRS demo data", "author": "pumpurs demo-data", "created": FIXED_TIME}
    )
    date_fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    money_fmt = wb.add_format({"num_format": "#,##0.00"})
    for name, frame in sheets.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, list(frame.columns))
        for c, col in enumerate(frame.columns):
            s = frame[col]
            if pd.api.types.is_datetime64_any_dtype(s):
                if name in text_dates:
                    for r, v in enumerate(_date_text(s, "%d.%m.%Y"), start=1):
                        ws.write_string(r, c, v)
                else:
                    for r, v in enumerate(s.dt.to_pydatetime(), start=1):
                        ws.write_datetime(r, c, v, date_fmt)
            elif pd.api.types.is_float_dtype(s):
                for r, v in enumerate(s.tolist(), start=1):
                    ws.write_number(r, c, v, money_fmt)
            elif pd.api.types.is_integer_dtype(s):
                for r, v in enumerate(s.tolist(), start=1):
                    ws.write_number(r, c, v)
            else:
                for r, v in enumerate(s.astype(str).tolist(), start=1):
                    ws.write_string(r, c, v)
        ws.set_column(0, len(frame.columns) - 1, 16)
    wb.close()


def _write_files(demo: Demo, folder: Path) -> list[tuple[str, int, str]]:
    """Each table in the dialect a user would really bring; small and national differ so
    that between them every reader and dialect is exercised."""
    t = _file_frames(demo)
    written: list[tuple[str, int, str]] = []

    def csv(name: str, frame: pd.DataFrame, what: str, *, latvian: bool, encoding: str) -> None:
        if latvian:
            _write_csv(_latvian(frame), folder / name, sep=";", encoding=encoding, crlf=True)
        else:
            _write_csv(frame, folder / name, sep=",", encoding=encoding, crlf=False)
        written.append((name, len(frame), what))

    def parquet(name: str, frame: pd.DataFrame) -> None:
        frame.to_parquet(folder / name, index=False)
        written.append((name, len(frame), "Parquet"))

    ledger = "CSV ; decimal comma DD.MM.YYYY, Windows-1257"
    if demo.scale == "small":
        sheets = {"partners": t["partners"], "schools": t["schools"]}
        _write_xlsx(folder / "data.xlsx", sheets, text_dates={"schools"})
        written.append(("data.xlsx", len(t["partners"]), "sheet partners, Excel dates"))
        written.append(("data.xlsx", len(t["schools"]), "sheet schools, dates as text DD.MM.YYYY"))
        plans = t["support_plans"].assign(
            created_on=_date_text(t["support_plans"]["created_on"], "%Y-%m-%d")
        )
        csv("support_plans.csv", plans, "CSV , ISO dates, UTF-8", latvian=False, encoding="utf-8")
        csv("expenditures.csv", t["expenditures"], ledger, latvian=True, encoding="cp1257")
        parquet("outcomes.parquet", t["outcomes"])
    else:
        _write_xlsx(folder / "partners.xlsx", {"partners": t["partners"]}, text_dates=set())
        written.append(("partners.xlsx", len(t["partners"]), "Excel dates"))
        what = "CSV ; DD.MM.YYYY, UTF-8 with BOM"
        csv("schools.csv", t["schools"], what, latvian=True, encoding="utf-8-sig")
        parquet("support_plans.parquet", t["support_plans"])
        csv("expenditures.csv", t["expenditures"], ledger, latvian=True, encoding="cp1257")
        csv("outcomes.csv", t["outcomes"], "CSV , UTF-8", latvian=False, encoding="utf-8")
    csv(FINDINGS_FILE, demo.findings, "the injected breaches", latvian=False, encoding="utf-8")
    return written


def _summary(demo: Demo, out: Path, files: list[tuple[str, int, str]]) -> str:
    lines = [f"Wrote {out} ({demo.scale}, seed {demo.seed}):"]
    for name, rows, what in files:
        lines.append(f"  {name:<22} {rows:>9,} rows  {what}")
    e = demo.expenditures
    lines.append(
        f"  {len(demo.partners)} partners in {demo.partners['municipality'].nunique()} municipalities, "
        f"{demo.support_plans['student_id'].nunique():,} pupils, declared "
        f"{e['amount_cents'].sum() / 100:,.2f} EUR"
    )
    counts = demo.findings["rule"].value_counts()
    shown = ", ".join(f"{r} {counts[r]}" for r in demo.findings["rule"].unique())
    lines.append(f"  injected breaches ({len(demo.findings)} findings): {shown}")
    return "\n".join(lines)
