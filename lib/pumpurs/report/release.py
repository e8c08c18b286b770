"""One suppression for a whole public release (docs/privacy.md; rules.md, "Publishing
small numbers").

A public release is every file of a period read together: each municipality's report
(page 1's sentences, the main corrections, the findings table, the key figures), the
national overview and the index. The same count is often printed in several places
(a municipality's error findings: on its page 1, in the overview and in the index) and
counts add up to others printed elsewhere (a municipality's rule rows to its errors;
every municipality's row of a rule to the national row). Hiding a small count table by
table lets a reader subtract it back, so the decision is taken here, once, over one
table of every count the release publishes (`Release.values`) and the sums that tie
them (`Relation`).

The reader modelled is the one the rules name: they know each hidden count lies
between 1 and min_count − 1 ("<5") or is at least min_count ("x", hidden to protect
another; at least 1 where the "x" is a total of "<5" parts, `loose_cells`), and they
combine every published sum by linear programming. A hidden cell is *pinned* when its
smallest and largest value consistent with everything published are the same integer.
`pinned` finds those (scipy's HiGHS, component by component; only integer points prove
that a cell can take two values; integer programming where the interval is narrow).
`protect` hides cells: the small ones, then subtraction first (a sum with one hidden
cell), then rounds of linear checks, then each "x" shown again where the release stays
safe (docs/privacy.md, "How it is decided"). The audit of a written release
(`run/audit.py`) reads the files into the same `Release` and asks `pinned`.

A new published count (a new report section) enters here: a cell function, its values
and its sums in `release_model`; docs/privacy.md, "Adding a published count".

Counts that concern a partner and no pupil (a partner's allocation or absorption
finding: one per partner) are counts all the same here: hiding them costs little and
saves a rule for which counts need no protection.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pumpurs.core.settings import OVERVIEW_SLUG

PRIMARY = "primary"
SECONDARY = "secondary"

Cell = tuple[str, ...]  # a count's identity: what it counts and whose (see `release_model`)


@dataclass(frozen=True)
class Relation:
    """`parts` add up to `total` (a cell, or a number printed nowhere but known), or to at
    most `total` (`at_most`: a list that may be cut short, such as the five main
    corrections). `name` says, for a person, which published sum this is."""

    parts: tuple[Cell, ...]
    total: Cell | int
    name: str
    at_most: bool = False

    def cells(self) -> tuple[Cell, ...]:
        return self.parts if isinstance(self.total, int) else (*self.parts, self.total)


@dataclass
class Release:
    """Every count a release publishes, and the sums a reader knows tie them.

    `values`: a count's true value (None where the reader of the files cannot know it).
    `hidden`: the cells not shown, and how (PRIMARY "<5", SECONDARY "x").
    """

    min_count: int
    values: dict[Cell, int | None]
    relations: list[Relation] = field(default_factory=list)
    hidden: dict[Cell, str] = field(default_factory=dict)

    def shown(self, cell: Cell) -> int | None:
        return None if cell in self.hidden else self.values.get(cell)

    def touching(self) -> dict[Cell, list[Relation]]:
        """The relations each cell is in (built once: the relations do not change)."""
        key = (id(self.relations), len(self.relations))
        if self._index_key != key:
            index: dict[Cell, list[Relation]] = {}
            for rel in self.relations:
                for c in dict.fromkeys(rel.cells()):
                    index.setdefault(c, []).append(rel)
            self._index, self._index_key = index, key
        return self._index

    _index: dict[Cell, list[Relation]] = field(default_factory=dict, repr=False, compare=False)
    _index_key: tuple[int, int] = field(default=(0, 0), repr=False, compare=False)


def _bounds(kind: str, min_count: int, loose: bool = False) -> tuple[float, float | None]:
    """What a mark alone says: "<5" is 1..4, "x" at least 5; an "x" that stands for a
    total of "<5" parts only (`loose`) at least 1 (see `loose_cells`)."""
    if kind == PRIMARY:
        return (1.0, float(min_count - 1))
    return (1.0, None) if loose else (float(min_count), None)


def loose_cells(hidden: Mapping[Cell, str], relations: Iterable[Relation]) -> set[Cell]:
    """The "x" cells that say nothing but "at least 1": each is the total of a published
    sum whose parts are all "<5". A reader cannot tell such an "x" from one that hides a
    count of min_count or more, because `protect` marks so a small total it cannot show as
    "<5" (its parts, each at least 1, would then be pinned); the decision and the audit
    read these marks alike (the same function on the same marks)."""
    out: set[Cell] = set()
    for rel in relations:
        t = rel.total
        if isinstance(t, int) or hidden.get(t) != SECONDARY or not rel.parts:
            continue
        if all(hidden.get(c) == PRIMARY for c in rel.parts):
            out.add(t)
    same = [r for r in relations if len(r.parts) == 1 and not isinstance(r.total, int)]
    grew = bool(out)
    while grew:  # the same count printed again ("x" there too) says no more
        grew = False
        for r in same:
            pair: tuple[Cell, Cell] = (r.parts[0], r.total)  # type: ignore[assignment]
            for x, y in (pair, pair[::-1]):
                if x in out and y not in out and hidden.get(y) == SECONDARY:
                    out.add(y)
                    grew = True
    return out


def _components(hidden: Iterable[Cell], rels: list[Relation]) -> list[list[Cell]]:
    """Groups of hidden cells tied by relations: each is solved on its own (fast)."""
    parent: dict[Cell, Cell] = {c: c for c in hidden}

    def find(c: Cell) -> Cell:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    for rel in rels:
        inside = [c for c in rel.cells() if c in parent]
        for c in inside[1:]:
            parent[find(c)] = find(inside[0])
    groups: dict[Cell, list[Cell]] = {}
    for c in parent:
        groups.setdefault(find(c), []).append(c)
    return list(groups.values())


_EPS = 1e-6


class _Problem:
    """The linear program of one component: hidden cells as variables, published sums
    as equalities (or upper bounds), the marks as bounds. The matrices are built once
    (sparse) and every solve of the component reuses them.

    When the true values are known (the batch deciding, not the audit), they are a
    feasible point from the start: a cell that any other solve moves by 1 or more from its
    true value cannot be pinned, without a solve of its own."""

    def __init__(
        self, cells: list[Cell], release: Release, rels: list[Relation], loose: set[Cell]
    ) -> None:
        from scipy.sparse import csr_matrix

        self.cells = cells
        at = {c: i for i, c in enumerate(cells)}
        eq: tuple[list[int], list[int], list[float]] = ([], [], [])
        ub: tuple[list[int], list[int], list[float]] = ([], [], [])
        eq_b: list[float] = []
        ub_b: list[float] = []
        for rel in rels:
            row: dict[int, float] = {}
            rhs = 0.0
            known = True
            for c in rel.parts:
                if c in at:
                    row[at[c]] = row.get(at[c], 0.0) + 1
                else:
                    v = release.shown(c)
                    known = known and v is not None
                    rhs -= v or 0
            if isinstance(rel.total, int):
                rhs += rel.total
            elif rel.total in at:
                row[at[rel.total]] = row.get(at[rel.total], 0.0) - 1
            else:
                v = release.shown(rel.total)
                known = known and v is not None
                rhs += v or 0
            row = {k: v for k, v in row.items() if v}
            if not known or not row:
                continue  # a part nobody can read (a file missing) ties nothing
            target, rhs_of = (ub, ub_b) if rel.at_most else (eq, eq_b)
            at_row = len(rhs_of)
            for k, coef in row.items():
                target[0].append(at_row)
                target[1].append(k)
                target[2].append(coef)
            rhs_of.append(rhs)
        n = len(cells)

        def matrix(t: tuple[list[int], list[int], list[float]], rows: int) -> Any:
            return csr_matrix((t[2], (t[0], t[1])), shape=(rows, n)) if rows else None

        self.a_eq, self.b_eq = matrix(eq, len(eq_b)), (np.array(eq_b) if eq_b else None)
        self.a_ub, self.b_ub = matrix(ub, len(ub_b)), (np.array(ub_b) if ub_b else None)
        self.bounds = [_bounds(release.hidden[c], release.min_count, c in loose) for c in cells]
        self.points: list[np.ndarray] = []  # feasible values met on the way
        truth = [release.values.get(c) for c in cells]
        self.truth = np.array(truth, dtype=float) if all(v is not None for v in truth) else None
        if self.truth is not None:
            self.points.append(self.truth)

    def _moves(self, i: int) -> bool:
        """Whether the points met so far (integer ones only) give cell i two values."""
        if len(self.points) < 2:
            return False
        seen = [p[i] for p in self.points]
        return bool(max(seen) - min(seen) > 0.5)

    def pinned(self, wanted: list[int]) -> dict[int, tuple[float, float]]:
        """The cells of `wanted` a reader can pin, with their interval.

        Every solve gives a whole feasible point, not only the extreme it was asked for:
        a cell with two different values across the integer points met so far cannot be
        pinned, and needs no solve of its own. Random directions first (most cells part
        after a few), then each remaining cell on its own."""
        out: dict[int, tuple[float, float]] = {}
        open_ = [i for i in wanted if not self._moves(i)]
        rng = np.random.default_rng(len(self.cells))  # the same points on every run
        while len(open_) > 2:  # push them down and up along random weights: most part
            c = np.zeros(len(self.cells))
            c[open_] = rng.uniform(0.5, 1.5, len(open_)) * rng.choice([-1.0, 1.0], len(open_))
            if self.solve(c, False) is None or self.solve(-c, False) is None:
                break
            left = [i for i in open_ if not self._moves(i)]
            if len(left) == len(open_):
                break
            open_ = left
        for i in open_:
            if self._moves(i):
                continue
            if self.truth is None:
                lo, hi = self.interval(i)
            else:  # the true value is one point: the least and the most of the LP decide
                low = self.extreme(i, 1.0, False)
                if self._moves(i):
                    continue
                high = self.extreme(i, -1.0, False)
                if self._moves(i):
                    continue
                if low is None or high is None or math.isnan(low) or math.isnan(high):
                    lo, hi = self.interval(i)
                elif math.ceil(low - _EPS) == math.floor(high + _EPS):
                    lo = hi = float(self.truth[i])  # one integer in the interval: pinned
                else:  # fractional extremes around two integers: ask for integers
                    lo, hi = self.interval(i)
            if lo == hi or (math.isnan(lo) and math.isnan(hi)):
                out[i] = (lo, hi)
        return out

    def extreme(self, i: int, sign: float, integral: bool) -> float | None:
        """The smallest (sign 1) or largest (sign −1) value of cell i; None if unbounded,
        nan if the published figures contradict each other."""
        c = np.zeros(len(self.cells))
        c[i] = sign
        return self.solve(c, integral, i)

    def solve(self, c: np.ndarray, integral: bool, i: int = 0) -> float | None:
        """Minimise c·x; the value of cell i at the optimum (the point is kept)."""
        from scipy.optimize import Bounds, LinearConstraint, linprog, milp

        if integral:
            cons = []
            if self.a_eq is not None:
                cons.append(LinearConstraint(self.a_eq, self.b_eq, self.b_eq))
            if self.a_ub is not None:
                cons.append(LinearConstraint(self.a_ub, -np.inf, self.b_ub))
            lo = np.array([b[0] for b in self.bounds])
            hi = np.array([np.inf if b[1] is None else b[1] for b in self.bounds])
            res = milp(c, constraints=cons, bounds=Bounds(lo, hi), integrality=np.ones(len(c)))
        else:
            res = linprog(
                c,
                A_ub=self.a_ub,
                b_ub=self.b_ub,
                A_eq=self.a_eq,
                b_eq=self.b_eq,
                bounds=self.bounds,
                method="highs",
            )
        if res.status == 3:
            return None
        if res.status != 0:
            return math.nan
        x = np.asarray(res.x, dtype=float)
        if np.abs(x - np.round(x)).max(initial=0.0) < _EPS:  # only integers prove a value
            self.points.append(np.round(x))
        return float(res.x[i])

    def interval(self, i: int) -> tuple[float, float]:
        """The integer interval of cell i (inf when no upper bound)."""
        lo = self.extreme(i, 1.0, False)
        hi = self.extreme(i, -1.0, False)
        if lo is None or hi is None or math.isnan(lo) or math.isnan(hi):
            return (
                (math.nan, math.nan)
                if lo is not None and math.isnan(lo)
                else (
                    math.ceil((lo or 0) - _EPS),
                    math.inf if hi is None else math.floor(hi + _EPS),
                )
            )
        ilo, ihi = math.ceil(lo - _EPS), math.floor(hi + _EPS)
        if ihi - ilo <= 1:  # a narrow one: integers may pin what fractions do not
            lo2 = self.extreme(i, 1.0, True)
            hi2 = self.extreme(i, -1.0, True)
            if lo2 is not None and hi2 is not None and not math.isnan(lo2 + hi2):
                ilo, ihi = round(lo2), round(hi2)
        return float(ilo), float(ihi)


def _problems(release: Release, wanted: set[Cell]) -> Iterable[tuple[list[Cell], _Problem]]:
    """The components holding a cell of `wanted`, each as its linear program: the hidden
    cells reached from them through sums, and those sums."""
    touching = release.touching()
    hidden = release.hidden
    done: set[Cell] = set()
    for start in sorted(wanted):
        if start in done:
            continue
        group, rels, queue = [start], {}, [start]
        done.add(start)
        while queue:
            for rel in touching.get(queue.pop(), []):
                if id(rel) in rels:
                    continue
                rels[id(rel)] = rel
                for c in rel.cells():
                    if c in hidden and c not in done:
                        done.add(c)
                        group.append(c)
                        queue.append(c)
        mine = list(rels.values())
        yield group, _Problem(group, release, mine, loose_cells(hidden, mine))


def intervals(
    release: Release, cells: Iterable[Cell] | None = None
) -> dict[Cell, tuple[float, float]]:
    """Each hidden cell's (smallest, largest) value consistent with everything published
    (of `cells`, or of every hidden cell)."""
    wanted = set(release.hidden if cells is None else cells) & set(release.hidden)
    out: dict[Cell, tuple[float, float]] = {}
    for group, problem in _problems(release, wanted):
        for i, c in enumerate(group):
            if c in wanted:
                out[c] = problem.interval(i)
    return out


def relations_of(release: Release, cell: Cell) -> list[Relation]:
    """The published sums a cell is part of (what a reader uses to pin it)."""
    return [r for r in release.relations if cell in r.cells()]


def pinned(
    release: Release, cells: Iterable[Cell] | None = None, whole: bool = False
) -> dict[Cell, tuple[float, float]]:
    """The hidden cells a reader can work out exactly: {cell: (value, value)}; (nan, nan)
    where the published figures contradict each other. Of `cells` (default every hidden
    cell), or, `whole`, of every cell of the components holding one of them."""
    wanted = set(release.hidden if cells is None else cells) & set(release.hidden)
    out: dict[Cell, tuple[float, float]] = {}
    for group, problem in _problems(release, wanted):
        asked = [i for i, c in enumerate(group) if whole or c in wanted]
        for i, iv in problem.pinned(asked).items():
            out[group[i]] = iv
    return out


def protect(
    values: Mapping[Cell, int],
    relations: list[Relation],
    min_count: int,
    protected: Iterable[Cell] | None = None,
    shown_always: Iterable[Cell] = (),
) -> dict[Cell, str]:
    """Which cells to hide (docs/privacy.md, "How it is decided"):

    1. every count 1..min_count−1 (of `protected`, default all) is hidden, "<5";
    2. a "<5" total whose parts are all "<5" and number min_count − 1 or more is marked
       "x" instead (`loose_cells`): its own "<5" would pin every part at 1;
    3. while a hidden cell is pinned: the shown cells that share a sum with it are tried,
       the tightest sum (fewest hidden cells) first and the smallest count first; the
       first that frees it is hidden ("x"); when none does alone, the smallest is hidden
       and the search goes on;
    4. each "x" is then shown again, the largest count first, where the release stays
       safe without it (the greedy step 3 hides more than it needs).

    A cell that nothing can protect (every other cell of its sums hidden) stays pinned:
    the audit reports it.
    """
    which = set(values if protected is None else protected)
    keep = set(shown_always)  # printed where no mark can go (the overview's indicators)
    release = Release(min_count, dict(values), relations)
    release.hidden = {
        c: PRIMARY for c, v in values.items() if c in which and v is not None and 0 < v < min_count
    }
    touching: dict[Cell, list[Relation]] = {}
    for rel in relations:
        for c in rel.cells():
            touching.setdefault(c, []).append(rel)
    hidden = release.hidden
    # 2. a small total of at least min_count − 1 small parts: "x", not "<5"
    for rel in relations:
        t = rel.total
        if (
            not isinstance(t, int)
            and hidden.get(t) == PRIMARY
            and len(rel.parts) >= min_count - 1
            and all(hidden.get(c) == PRIMARY for c in rel.parts)
            and not any(  # its parts stay "<5", and it is not a part of a loose total
                r.parts and t in r.parts and not isinstance(r.total, int) and r.total in hidden
                for r in touching.get(t, [])
            )
        ):
            hidden[t] = SECONDARY

    def candidates(cell: Cell) -> list[Cell]:
        """Shown cells sharing a sum with `cell`: the tightest sum first, smallest first."""

        def hidden_in(rel: Relation) -> int:
            return sum(c in hidden for c in rel.cells())

        out: list[Cell] = []
        for rel in sorted(touching.get(cell, []), key=hidden_in):
            pool = sorted(
                (int(values[c] or 0), c)
                for c in rel.cells()
                if c not in hidden and c not in keep and (values.get(c) or 0) >= min_count
            )
            out += [c for _v, c in pool if c not in out]
        return out

    def wider() -> list[Cell]:
        pool = {c for h in hidden for r in touching.get(h, []) for c in r.cells()}
        return [
            c
            for _v, c in sorted(
                (int(values[c] or 0), c)
                for c in pool
                if c not in hidden and c not in keep and (values.get(c) or 0) >= min_count
            )
        ]

    def lone(rels: Iterable[Relation]) -> list[Relation]:
        """Sums with a single hidden cell: subtraction gives it back, no LP needed."""
        return [r for r in rels if not r.at_most and sum(c in hidden for c in r.cells()) == 1]

    def smallest(rel: Relation) -> Cell | None:
        pool = sorted(
            (int(values[c] or 0), c)
            for c in rel.cells()
            if c not in hidden and c not in keep and (values.get(c) or 0) >= min_count
        )
        return pool[0][1] if pool else None

    # 3a. subtraction first (cheap): a sum with one hidden cell gets a second
    todo_rels = lone(relations)
    while todo_rels:
        rel = todo_rels.pop()
        if sum(c in hidden for c in rel.cells()) != 1 or (pick := smallest(rel)) is None:
            continue
        hidden[pick] = SECONDARY
        todo_rels += lone(touching.get(pick, []))
    # 3b. then linear reasoning, the release's every component
    stuck: set[Cell] = set()
    shown_again = False
    todo = sorted(pinned(release))
    while True:
        while todo:  # a round: each pinned cell gets the smallest cell of its tightest sum
            picked: set[Cell] = set()
            for cell in todo:
                near = {c for r in touching.get(cell, []) for c in r.cells()}
                if cell in stuck or picked & near:
                    continue  # a cell hidden this round may have freed it: next round
                pool = candidates(cell) or wider()
                if not pool:
                    stuck.add(cell)  # nothing left to hide around it: the audit will say so
                    continue
                hidden[pool[0]] = SECONDARY
                picked.add(pool[0])
            # the cells still pinned, and the new ones ("x" that can be worked out
            # protects nothing), checked together
            todo = sorted(set(pinned(release, set(todo) | picked)) - stuck)
        if shown_again:
            todo = sorted(set(pinned(release)) - stuck)  # the whole release once more
            if not todo:
                break
            continue
        # 4. show again each "x" the release does not need, the largest first: its sums
        # keep two hidden cells and its neighbours stay free; the whole release is
        # checked after, and step 3 runs again if that freed too much
        shown_again = True
        for c in sorted(
            (c for c, k in hidden.items() if k == SECONDARY and (values.get(c) or 0) >= min_count),
            key=lambda c: (-int(values[c] or 0), c),
        ):
            del hidden[c]
            near = {h for r in touching.get(c, []) for h in r.cells() if h in hidden}
            if lone(touching.get(c, [])) or (near and pinned(release, near)):
                hidden[c] = SECONDARY
        todo = sorted(set(pinned(release)) - stuck)
        if not todo:
            break
    return release.hidden


# ---------------------------------------------------------------------------
# What a public release publishes, from the judged data
# ---------------------------------------------------------------------------
NATIONAL = OVERVIEW_SLUG  # the overview's report id: national cells are keyed by it


def findings_cell(where: str, rule: str, severity: str) -> Cell:
    """A findings-by-rule row: a municipality's (its slug) or the nation's."""
    return ("findings", where, rule, severity)


def errors_cell(where: str) -> Cell:
    """Error findings of a municipality: page 1's "of B", the overview's and the index's."""
    return ("errors", where)


def new_errors_cell(where: str) -> Cell:
    """Page 1's "A of B": error findings with a row in the half-year."""
    return ("new_errors", where)


def fix_cell(where: str, partner: str, rule: str) -> Cell:
    """One of page 1's main corrections: a partner's findings of one rule."""
    return ("fix", where, partner, rule)


def pupils_cell(where: str) -> Cell:
    return ("pupils", where)


def plans_cell(where: str) -> Cell:
    return ("plans", where)


def plans_year_cell(where: str, school_year: str) -> Cell:
    """A municipality's plans of one school year (its indicator table's support plans)."""
    return ("plans_year", where, school_year)


def cell_text(cell: Cell) -> str:
    """A cell as JSON keys and messages show it."""
    return "|".join(cell)


def _fixes_by_town(f: Any, code: np.ndarray) -> dict[int, Any]:
    """Each municipality's main corrections, all of them, as `_top_fixes(mine, None)`
    gives them (the same order: the most money first, then partner and rule), grouped
    once for the whole country rather than once a municipality."""
    errors = f["severity"].to_numpy() == "error" if len(f) else np.zeros(0, dtype=bool)
    if not errors.any():
        return {}
    g = (
        f[errors]
        .assign(_town=code[errors])
        .groupby(["_town", "partner_id", "rule"], sort=False)
        .agg(findings=("rule", "size"), at_risk_cents=("at_risk_cents", "sum"))
        .reset_index()
        .sort_values(
            ["_town", "at_risk_cents", "partner_id", "rule"],
            ascending=[True, False, True, True],
            kind="stable",
        )
    )
    cols = ["partner_id", "rule", "findings", "at_risk_cents"]
    return {int(t): part.reset_index(drop=True)[cols] for t, part in g.groupby("_town", sort=False)}


def release_model(j: Any, programme: Any, period: Any, min_count: int) -> Release:
    """Every count the period's public release publishes, from the national judgement `j`,
    and the sums that tie them (what `protect` decides over)."""
    import pandas as pd

    from pumpurs.report.municipality import _new_in_period, _top_fixes

    towns = list(programme.municipalities)
    f = j.findings
    code = j.municipality_codes(f["partner_id"]) if len(f) else np.zeros(0, dtype=np.int64)
    new = _new_in_period(f, j.ledger, period) if len(f) else pd.Series([], dtype=bool)
    if len(f):  # only what the counts need: each municipality's slice is cheap to take
        f = f[["rule", "severity", "partner_id", "at_risk_cents"]]
    fixes = _fixes_by_town(f, code)
    plan_code = j.municipality_codes(j.plans["partner_id"]) if len(j.plans) else np.zeros(0)
    from pumpurs.core.indicators import _periods

    seen = [j.plans["school_year"].astype(str)] if len(j.plans) else []
    years = _periods("school_year", programme, j.as_of, seen)
    shown_years = years  # the indicator table shows every school year with data
    values: dict[Cell, int | None] = {}
    rels: list[Relation] = []
    national_rows: dict[tuple[str, str], list[Cell]] = {}
    town_errors, town_plans = [], []
    for i, m in enumerate(towns):
        s = m.slug
        mine = f[code == i]
        errors = mine["severity"] == "error"
        by_rule = mine.groupby(["rule", "severity"], sort=False).size()
        rows = []
        for (rule, sev), n in by_rule.items():
            cell = findings_cell(s, rule, sev)
            values[cell] = int(n)
            national_rows.setdefault((rule, sev), []).append(cell)
            if sev == "error":
                rows.append(cell)
        values[errors_cell(s)] = int(errors.sum())
        values[new_errors_cell(s)] = int((new[code == i] & errors).sum()) if len(mine) else 0
        town_errors.append(errors_cell(s))
        rels.append(Relation(tuple(rows), errors_cell(s), f"{m.name}: error rows = errors"))
        rels.append(
            Relation((new_errors_cell(s),), errors_cell(s), f"{m.name}: A of B", at_most=True)
        )
        all_fixes = fixes.get(i, _top_fixes(mine.iloc[:0], None))
        shown = all_fixes.head(5)  # what _top_fixes(mine) gives (page 1's five lines)
        complete = len(shown) == len(all_fixes)
        for rule, part in shown.groupby("rule", sort=False):
            cells = []
            for p, n in zip(part["partner_id"], part["findings"], strict=True):
                values[fix_cell(s, p, rule)] = int(n)
                cells.append(fix_cell(s, p, rule))
            rels.append(
                Relation(
                    tuple(cells),
                    findings_cell(s, rule, "error"),
                    f"{m.name}: main corrections of {rule} = its findings row",
                    at_most=not complete,
                )
            )
        mine_plans = j.plans[plan_code == i]
        values[pupils_cell(s)] = int(mine_plans["student_id"].nunique())
        values[plans_cell(s)] = int(len(mine_plans))
        town_plans.append(plans_cell(s))
        per_year = mine_plans["school_year"].astype(str).value_counts()
        for y in shown_years:
            values[plans_year_cell(s, y)] = int(per_year.get(y, 0))
        rels.append(
            Relation(
                tuple(plans_year_cell(s, y) for y in shown_years),
                plans_cell(s),
                f"{m.name}: plans by school year add up to its plans",
                at_most=False,
            )
        )
    # the overview: national rows of each rule, every municipality's row adds up to it
    whole = (code >= 0).all() if len(code) else True
    by_rule = f.groupby(["rule", "severity"], sort=False).size()
    error_rows = []
    for (rule, sev), n in by_rule.items():
        cell = findings_cell(NATIONAL, rule, sev)
        values[cell] = int(n)
        if sev == "error":
            error_rows.append(cell)
        rels.append(
            Relation(
                tuple(national_rows.get((rule, sev), [])),
                cell,
                f"the overview's {rule} = the municipalities' {rule} rows",
                at_most=not whole,
            )
        )
    values[errors_cell(NATIONAL)] = int((f["severity"] == "error").sum()) if len(f) else 0
    rels.append(Relation(tuple(error_rows), errors_cell(NATIONAL), "overview: error rows = errors"))
    rels.append(
        Relation(
            tuple(town_errors),
            errors_cell(NATIONAL),
            "index: municipalities' errors = national errors",
            at_most=not whole,
        )
    )
    # the overview's "Kopā" line: the municipalities' new errors add up to the nation's
    values[new_errors_cell(NATIONAL)] = (
        int((new & (f["severity"] == "error")).sum()) if len(f) else 0
    )
    rels.append(
        Relation(
            tuple(new_errors_cell(m.slug) for m in towns),
            new_errors_cell(NATIONAL),
            "overview: municipalities' new errors = the nation's",
            at_most=not whole,
        )
    )
    rels.append(
        Relation(
            (new_errors_cell(NATIONAL),), errors_cell(NATIONAL), "overview: A of B", at_most=True
        )
    )
    values[plans_cell(NATIONAL)] = int(len(j.plans))
    plans_whole = (plan_code >= 0).all() if len(plan_code) else True
    rels.append(
        Relation(
            tuple(town_plans),
            plans_cell(NATIONAL),
            "overview: plans = the municipalities' plans",
            at_most=not plans_whole,
        )
    )
    return Release(min_count, values, rels)


def decide(j: Any, programme: Any, period: Any, min_count: int) -> dict[str, str]:
    """The period's suppression: {cell_text: PRIMARY | SECONDARY} for every hidden count."""
    model = release_model(j, programme, period, min_count)
    national_plans = [plans_cell(NATIONAL)]  # the overview's indicator: always printed
    hidden = protect(model.values, model.relations, min_count, shown_always=national_plans)  # type: ignore[arg-type]
    return {cell_text(c): kind for c, kind in sorted(hidden.items())}
