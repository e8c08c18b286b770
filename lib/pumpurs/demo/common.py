"""Settings of the synthetic world, the Demo it builds, and the month/day arithmetic every part uses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pumpurs.core.contract import CATEGORIES, ELIGIBILITY_RULES, SPECIALIST_ROLES
from pumpurs.core.settings import Programme

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
