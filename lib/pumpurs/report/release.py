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
another), and they combine every published sum by linear programming. A hidden cell
is *pinned* when its smallest and largest value consistent with everything published
are the same integer. `intervals` computes those bounds (scipy's HiGHS; integer
programming confirms a narrow interval), `protect` hides cells (secondary, "x") until
no hidden cell is pinned, the smallest counts first. The audit of a written release
(`run/audit.py`) reads the files into the same `Release` and asks `intervals`.

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


def _bounds(kind: str, min_count: int) -> tuple[float, float | None]:
    """What a mark alone says: "<5" is 1..4, "x" at least 5."""
    return (1.0, float(min_count - 1)) if kind == PRIMARY else (float(min_count), None)


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


class _Problem:
    """The linear program of one component: hidden cells as variables, published sums
    as equalities (or upper bounds), the marks as bounds."""

    def __init__(self, cells: list[Cell], release: Release, rels: list[Relation]) -> None:
        self.cells = cells
        at = {c: i for i, c in enumerate(cells)}
        eq_rows: list[np.ndarray] = []
        ub_rows: list[np.ndarray] = []
        eq_b: list[float] = []
        ub_b: list[float] = []
        self.uses: dict[Cell, list[Relation]] = {c: [] for c in cells}
        for rel in rels:
            row = np.zeros(len(cells))
            rhs = 0.0
            known = True
            for c in rel.parts:
                if c in at:
                    row[at[c]] += 1
                else:
                    v = release.shown(c)
                    known = known and v is not None
                    rhs -= v or 0
            if isinstance(rel.total, int):
                rhs += rel.total
            elif rel.total in at:
                row[at[rel.total]] -= 1
            else:
                v = release.shown(rel.total)
                known = known and v is not None
                rhs += v or 0
            if not known or not row.any():
                continue  # a part nobody can read (a file missing) ties nothing
            for c in rel.cells():
                if c in at:
                    self.uses[c].append(rel)
            (ub_rows if rel.at_most else eq_rows).append(row)
            (ub_b if rel.at_most else eq_b).append(rhs)
        self.a_eq = np.array(eq_rows) if eq_rows else None
        self.b_eq = np.array(eq_b) if eq_b else None
        self.a_ub = np.array(ub_rows) if ub_rows else None
        self.b_ub = np.array(ub_b) if ub_b else None
        self.bounds = [_bounds(release.hidden[c], release.min_count) for c in cells]
        self.points: list[np.ndarray] = []  # feasible values met on the way (see `pinned`)

    def _moves(self, i: int) -> bool:
        """Whether the points met so far give cell i two integers apart."""
        if not self.points:
            return False
        seen = np.array([p[i] for p in self.points])
        return bool(math.ceil(seen.min() - 1e-6) < math.floor(seen.max() + 1e-6))

    def pinned(self, wanted: list[int]) -> dict[int, tuple[float, float]]:
        """The cells of `wanted` a reader can pin, with their interval.

        Every solve gives a whole feasible point, not only the extreme it was asked for:
        a cell whose values differ by at least 1 across the points met so far cannot be
        pinned, and needs no solve of its own. Only the others are bounded exactly, which
        keeps a large component (hundreds of hidden cells) to a few dozen solves."""
        out: dict[int, tuple[float, float]] = {}
        open_ = list(wanted)
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
            if self.points:
                seen = np.array([p[i] for p in self.points])
                if math.ceil(seen.min() - 1e-6) < math.floor(seen.max() + 1e-6):
                    continue
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
        self.points.append(np.asarray(res.x, dtype=float))
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
                    math.ceil((lo or 0) - 1e-6),
                    math.inf if hi is None else math.floor(hi + 1e-6),
                )
            )
        ilo, ihi = math.ceil(lo - 1e-6), math.floor(hi + 1e-6)
        if ihi - ilo <= 1:  # a narrow one: integers may pin what fractions do not
            lo2 = self.extreme(i, 1.0, True)
            hi2 = self.extreme(i, -1.0, True)
            if lo2 is not None and hi2 is not None and not math.isnan(lo2 + hi2):
                ilo, ihi = round(lo2), round(hi2)
        return float(ilo), float(ihi)


def intervals(
    release: Release, cells: Iterable[Cell] | None = None
) -> dict[Cell, tuple[float, float]]:
    """Each hidden cell's (smallest, largest) value consistent with everything published
    (of `cells`, or of every hidden cell)."""
    wanted = set(release.hidden if cells is None else cells) & set(release.hidden)
    rels = [r for r in release.relations if any(c in release.hidden for c in r.cells())]
    out: dict[Cell, tuple[float, float]] = {}
    for group in _components(release.hidden, rels):
        if not wanted.intersection(group):
            continue
        members = set(group)
        problem = _Problem(group, release, [r for r in rels if members.intersection(r.cells())])
        for i, c in enumerate(group):
            if c in wanted:
                out[c] = problem.interval(i)
    return out


def relations_of(release: Release, cell: Cell) -> list[Relation]:
    """The published sums a cell is part of (what a reader uses to pin it)."""
    return [r for r in release.relations if cell in r.cells()]


def pinned(
    release: Release, cells: Iterable[Cell] | None = None
) -> dict[Cell, tuple[float, float]]:
    """The hidden cells a reader can work out exactly: {cell: (value, value)}; (nan, nan)
    where the published figures contradict each other."""
    wanted = set(release.hidden if cells is None else cells) & set(release.hidden)
    rels = [r for r in release.relations if any(c in release.hidden for c in r.cells())]
    out: dict[Cell, tuple[float, float]] = {}
    for group in _components(release.hidden, rels):
        if not wanted.intersection(group):
            continue
        members = set(group)
        problem = _Problem(group, release, [r for r in rels if members.intersection(r.cells())])
        asked = [i for i, c in enumerate(group) if c in wanted]
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
    """Which cells to hide: every count 1..min_count−1 (of `protected`, default all), then
    secondary cells, the smallest first, until no hidden cell is pinned.

    For a pinned cell, the smallest shown cell of the sum that holds it tightest (the one
    with the fewest hidden cells) is hidden, and every pinned cell is looked at again: a
    cell pinned by two sums gets one in each. A cell that nothing can
    protect (every other cell of its sums hidden) stays pinned: the audit reports it.
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
    todo = sorted(pinned(release))
    known = set(todo)  # pinned as the release stands now; the others are looked at again
    stuck: set[Cell] = set()
    while todo:
        cell = todo.pop(0)
        if cell not in known and not pinned(release, [cell]):
            continue  # a cell hidden since has freed it: hiding more only widens
        near = {c for rel in touching.get(cell, []) for c in rel.cells()}

        def shown(pool: set[Cell]) -> list[tuple[int, Cell]]:
            return sorted(
                (int(values[c] or 0), c)
                for c in pool
                if c not in release.hidden and c not in keep and (values.get(c) or 0) >= min_count
            )

        # In the sum that holds it tightest (the fewest hidden cells), hide the smallest
        # shown cell; then look again (a cell pinned by two sums gets one in each).
        def hidden_in(rel: Relation) -> int:
            return sum(c in release.hidden for c in rel.cells())

        pool: list[tuple[int, Cell]] = []
        for rel in sorted(touching.get(cell, []), key=hidden_in):
            pool = shown(set(rel.cells()))
            if pool:
                break
        if not pool:
            wider = {c for h in release.hidden for r in touching.get(h, []) for c in r.cells()}
            pool = shown(near) or shown(wider)
        if not pool:
            stuck.add(cell)  # nothing left to hide around it: the audit will say so
            continue
        pick = pool[0][1]
        release.hidden[pick] = SECONDARY
        known.clear()
        # this cell again, and the new one (an "x" that can be worked out protects nothing);
        # the rest are looked at when their turn comes
        todo[:0] = [cell, pick]
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


YEARS_SHOWN = 4  # the indicator table shows the last four school years and the cumulative


def cell_text(cell: Cell) -> str:
    """A cell as JSON keys and messages show it."""
    return "|".join(cell)


def release_model(j: Any, programme: Any, period: Any, min_count: int) -> Release:
    """Every count the period's public release publishes, from the national judgement `j`,
    and the sums that tie them (what `protect` decides over)."""
    import pandas as pd

    from pumpurs.report.municipality import _new_in_period, _top_fixes

    towns = list(programme.municipalities)
    f = j.findings
    code = j.municipality_codes(f["partner_id"]) if len(f) else np.zeros(0, dtype=np.int64)
    new = _new_in_period(f, j.ledger, period) if len(f) else pd.Series([], dtype=bool)
    plan_code = j.municipality_codes(j.plans["partner_id"]) if len(j.plans) else np.zeros(0)
    from pumpurs.core.indicators import _periods

    seen = [j.plans["school_year"].astype(str)] if len(j.plans) else []
    years = _periods("school_year", programme, j.as_of, seen)
    shown_years = years[-YEARS_SHOWN:]
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
        all_fixes = _top_fixes(mine, None)
        shown = _top_fixes(mine)
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
                at_most=len(years) > YEARS_SHOWN,
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
