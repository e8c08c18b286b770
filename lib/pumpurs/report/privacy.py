"""Publishing small numbers without identifying a pupil (docs/rules.md, "Publishing small numbers").

Public reports are about minors. A count of pupils or plans from 1 to min_count−1 is
shown as "<5" (primary suppression). A hidden cell must not be recoverable from a total,
so more cells are hidden (secondary suppression, shown as "x") until every hidden small
count can still be anything from 1 to min_count−1, whatever totals the table shows (or
are published elsewhere). When a table is too small for that, its totals are hidden too.

The reader is assumed to know the scheme ("<5" means 1..min_count−1, "x" at least
min_count) and to combine every total the table shows: bounds are propagated over all
row and column totals, and each possible value of a hidden small count is tried for a
contradiction. Secondary cells are the smallest non-zero cells that protect, so as
little as possible is hidden. (This is not a full integer-programming attack; for the
small tables of a report it finds what a determined reader would.)

Zero is shown as 0: "nobody" identifies no one, and hiding zeros would also hide the
fact that a school has no supported pupils, which a public reader is entitled to.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from pumpurs.core.contract import RULE_IDS as RULES

PRIMARY = "primary"
SECONDARY = "secondary"
SECONDARY_MARK = "x"

# Columns that hold a pupil, a plan or an entry: never in a public table.
PUPIL_LEVEL_COLUMNS = frozenset(
    {
        "student_id",
        "plan_id",
        "entry_id",
        "entry_ids",
        "corrections",
        "document_ref",
        "message",
        "message_lv",
        "message_en",
        "amount_cents",
        "limit_cents",
        "amount_eur",
        "limit_eur",
        "hours",
        "grade",
        "plan_grade",
        "detail_date",
        "risk_factors",
        "created_on",
        "paid_on",
    }
)

Cell = tuple[int, int]  # (row position, column position)


def primary_mark(min_count: int = 5) -> str:
    """The text shown for a small count: '<5' for min_count 5."""
    return f"<{min_count}"


@dataclass(frozen=True)
class _Equation:
    """parts sum to total: every cell is (row, col); `known_total` when the total is not a cell."""

    parts: tuple[Cell, ...]
    total: Cell | None
    known_total: int | None = None


def _equations(
    n_rows: int,
    cols: list[int],
    total_row: bool,
    total_col: int | None,
    sums_known: bool,
    values: list[list[int | None]],
) -> list[_Equation]:
    data_rows = list(range(n_rows - 1 if total_row else n_rows))
    data_cols = [c for c in cols if c != total_col]
    eqs: list[_Equation] = []
    # Column totals: for the data columns, and for the row-total column.
    for c in cols:
        parts = tuple((r, c) for r in data_rows if values[r][c] is not None)
        if total_row and values[n_rows - 1][c] is not None:
            eqs.append(_Equation(parts, (n_rows - 1, c)))
        elif sums_known:
            eqs.append(_Equation(parts, None, sum(values[r][c] or 0 for r in data_rows)))
    # Row totals: every row (the total row too) when a row-total column is given.
    if total_col is not None:
        for r in range(n_rows):
            if values[r][total_col] is None:
                continue
            parts = tuple((r, c) for c in data_cols if values[r][c] is not None)
            eqs.append(_Equation(parts, (r, total_col)))
    return eqs


def _start_bounds(kind: str, min_count: int) -> tuple[float, float]:
    """What the marks alone say: '<5' is 1..4, 'x' is at least 5."""
    if kind == PRIMARY:
        return 1.0, float(min_count - 1)
    return float(min_count), math.inf


Bounds = dict[Cell, tuple[float, float]]


class _Reader:
    """A reader who knows the scheme and combines every total the table shows.

    Keeps integer bounds for each hidden cell and tightens them over all totals until
    nothing changes (a work list: only totals touching a changed cell are looked at
    again). `exposed` then tries each value 1..min_count−1 of a small count for a
    contradiction, which also catches deductions that go round a cycle of row and
    column totals.
    """

    def __init__(
        self,
        eqs: list[_Equation],
        values: list[list[int | None]],
        hidden: dict[Cell, str],
        min_count: int,
    ) -> None:
        self.min_count = min_count
        self.forms: list[tuple[float, list[tuple[Cell, int]]]] = []
        self.index: dict[Cell, list[int]] = {}
        for eq in eqs:
            signed = [(cell, 1) for cell in eq.parts]
            if eq.total is not None:
                signed.append((eq.total, -1))
            target = float(eq.known_total) if eq.known_total is not None else 0.0
            unknown = []
            for cell, sign in signed:
                if cell in hidden:
                    unknown.append((cell, sign))
                else:
                    target -= sign * (values[cell[0]][cell[1]] or 0)
            if unknown:
                for cell, _sign in unknown:
                    self.index.setdefault(cell, []).append(len(self.forms))
                self.forms.append((target, unknown))
        start = {cell: _start_bounds(kind, min_count) for cell, kind in hidden.items()}
        self.base = self._run(start, list(range(len(self.forms))))

    def _run(self, bounds: Bounds, queue: list[int]) -> Bounds | None:
        """Tighten `bounds` in place from the totals in `queue`; None on a contradiction."""
        queued = set(queue)
        budget = 200 * (len(self.forms) + 1)  # the bounds are integers: this always ends
        while queue and budget > 0:
            budget -= 1
            f = queue.pop()
            queued.discard(f)
            target, unknown = self.forms[f]
            terms = []
            for cell, sign in unknown:
                lo, hi = bounds[cell]
                terms.append((cell, sign, *((lo, hi) if sign > 0 else (-hi, -lo))))
            fin_lo = sum(t[2] for t in terms if t[2] != -math.inf)
            inf_lo = sum(1 for t in terms if t[2] == -math.inf)
            fin_hi = sum(t[3] for t in terms if t[3] != math.inf)
            inf_hi = sum(1 for t in terms if t[3] == math.inf)
            if (inf_lo == 0 and fin_lo > target) or (inf_hi == 0 and fin_hi < target):
                return None
            for cell, sign, a, b in terms:
                a_inf, b_inf = a == -math.inf, b == math.inf
                rest_lo = -math.inf if inf_lo - a_inf > 0 else fin_lo - (0.0 if a_inf else a)
                rest_hi = math.inf if inf_hi - b_inf > 0 else fin_hi - (0.0 if b_inf else b)
                new_a, new_b = target - rest_hi, target - rest_lo  # bounds of sign * x
                if sign < 0:
                    new_a, new_b = -new_b, -new_a
                lo, hi = bounds[cell]
                nlo = max(lo, math.ceil(new_a)) if new_a != -math.inf else lo
                nhi = min(hi, math.floor(new_b)) if new_b != math.inf else hi
                if nlo > nhi:
                    return None
                if (nlo, nhi) != (lo, hi):
                    bounds[cell] = (float(nlo), float(nhi))
                    for g in self.index[cell]:
                        if g != f and g not in queued:
                            queued.add(g)
                            queue.append(g)
        return bounds

    def exposed(self, cells: list[Cell]) -> list[Cell]:
        """The small-count cells of `cells` a reader can narrow below 1..min_count−1."""
        if self.base is None:  # cannot happen with consistent totals (checked on entry)
            return []
        m = self.min_count
        out = []
        for cell in cells:
            lo, hi = self.base[cell]
            if lo > 1 or hi < m - 1:
                out.append(cell)
                continue
            for v in range(1, m):
                trial = dict(self.base)
                trial[cell] = (float(v), float(v))
                if self._run(trial, list(self.index.get(cell, []))) is None:
                    out.append(cell)
                    break
        return out


def _exposed(
    eqs: list[_Equation],
    values: list[list[int | None]],
    hidden: dict[Cell, str],
    min_count: int,
    cells: list[Cell],
) -> list[Cell]:
    return _Reader(eqs, values, hidden, min_count).exposed(cells)


def _check_totals(
    eqs: list[_Equation], values: list[list[int | None]], table: pd.DataFrame
) -> None:
    for eq in eqs:
        total = eq.known_total if eq.total is None else values[eq.total[0]][eq.total[1]]
        got = sum(values[r][c] or 0 for r, c in eq.parts)
        if total is not None and got != total:
            where = eq.total if eq.total is not None else eq.parts[0]
            raise ValueError(
                f"suppress_counts: the total {total} in row {where[0] + 1}, column "
                f"{table.columns[where[1]]} is not the sum of its parts ({got}); counts of "
                "distinct pupils across rows do not add up: leave total_row/total_column "
                "off for them"
            )


def suppression_mask(
    table: pd.DataFrame,
    count_columns: list[str],
    total_row: bool = False,
    total_column: str | None = None,
    sums_known: bool = False,
    min_count: int = 5,
) -> pd.DataFrame:
    """Which count cells to hide: "" (shown), "primary" (<min_count) or "secondary".

    `total_row`: the last row holds the column totals (it is shown). `total_column`: a
    count column holding each row's total of the other count columns. `sums_known`: the
    column sums are published elsewhere even though this table has no total row.
    Totals must be exact sums (ValueError otherwise).
    """
    if min_count < 1:
        raise ValueError("min_count must be at least 1")
    missing = [c for c in count_columns if c not in table.columns]
    if total_column is not None and total_column not in count_columns:
        missing.append(total_column)
    if missing:
        raise ValueError(f"suppress_counts: no such count columns: {missing}")
    n_rows = len(table)
    positions = [table.columns.get_loc(c) for c in count_columns]
    values: list[list[int | None]] = [[None] * table.shape[1] for _ in range(n_rows)]
    for c, name in zip(positions, count_columns, strict=True):
        for r, v in enumerate(table[name].tolist()):
            if v is None or (not isinstance(v, str) and pd.isna(v)):
                continue
            if isinstance(v, str) or float(v) != int(float(v)) or float(v) < 0:
                raise ValueError(f"suppress_counts: column {name} holds {v!r}, not a count")
            values[r][c] = int(v)
    hidden: dict[Cell, str] = {}
    for r in range(n_rows):
        for c in positions:
            v = values[r][c]
            if v is not None and 0 < v < min_count:
                hidden[(r, c)] = PRIMARY
    total_pos = table.columns.get_loc(total_column) if total_column is not None else None
    eqs = _equations(n_rows, positions, total_row, total_pos, sums_known, values)
    _check_totals(eqs, values, table)
    data_rows = n_rows - 1 if total_row else n_rows
    primaries = sorted(hidden)
    given_up: set[Cell] = set()
    # Hiding a cell only ever makes the reader know less, so a small count that is safe
    # stays safe: only the exposed ones need checking again after each step.
    exposed = _exposed(eqs, values, hidden, min_count, primaries)
    while True:
        exposed = [
            c for c in _exposed(eqs, values, hidden, min_count, exposed) if c not in given_up
        ]
        if not exposed:
            break
        cell = exposed[0]
        own = [eq for eq in eqs if cell in eq.parts or cell == eq.total]
        near = {x for eq in own for x in (*eq.parts, eq.total) if x is not None}
        wider = {
            x
            for eq in eqs
            if any(y in hidden for y in (*eq.parts, eq.total))
            for x in (*eq.parts, eq.total)
            if x is not None
        }

        def candidates(pool: set[Cell], totals: bool) -> list[tuple[int, Cell]]:
            is_total = {x: x[0] >= data_rows or x[1] == total_pos for x in pool}
            return sorted(
                (values[x[0]][x[1]] or 0, x)
                for x in pool
                if x not in hidden and (values[x[0]][x[1]] or 0) > 0 and is_total[x] == totals
            )

        # Prefer hiding a data cell near the exposed one; a total only when nothing else is left.
        pools = [
            candidates(near, False),
            candidates(wider, False),
            candidates(near, True),
            candidates(wider, True),
        ]
        pick = None
        for pool in pools:
            for _v, cand in pool:
                if not _exposed(eqs, values, {**hidden, cand: SECONDARY}, min_count, [cell]):
                    pick = cand
                    break
            if pick is not None:
                break
        if pick is None:  # no single cell is enough: hide the largest nearby, then look again
            pool = next((p for p in pools if p), [])
            if not pool:
                given_up.add(cell)  # nothing left to hide: as safe as this table can be
                continue
            pick = pool[-1][1]
        hidden[pick] = SECONDARY
    mask = pd.DataFrame("", index=table.index, columns=table.columns, dtype=object)
    for (r, c), kind in hidden.items():
        mask.iat[r, c] = kind
    return mask


def suppress_counts(
    table: pd.DataFrame,
    count_columns: list[str],
    total_row: bool = False,
    min_count: int = 5,
    total_column: str | None = None,
    sums_known: bool = False,
) -> pd.DataFrame:
    """A display copy with small counts shown as '<5' and secondary cells as 'x'.

    Counts 1..min_count−1 become f"<{min_count}"; 0 stays 0 (it identifies no one).
    Cells hidden only so that a small count cannot be worked out from a total become
    "x". Totals are shown unless they are small counts themselves. Count columns turn
    into object columns of ints and strings (fmt.format_table passes the strings
    through). `min_count` comes from programme.yaml `publishing.min_count`.
    """
    mask = suppression_mask(table, count_columns, total_row, total_column, sums_known, min_count)
    out = table.copy()
    for name in count_columns:
        col = out[name].astype(object)
        kinds = mask[name]
        col[kinds == PRIMARY] = primary_mark(min_count)
        col[kinds == SECONDARY] = SECONDARY_MARK
        out[name] = col.map(lambda v: int(v) if isinstance(v, int | float) and v == v else v)
    return out


def _text_of(data: str | bytes) -> str:
    """The readable text of a report file: HTML/CSV as is, PDF via pypdf, XLSX unzipped."""
    if isinstance(data, str):
        return data
    if data[:5] == b"%PDF-":
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        return "\n".join(page.extract_text() or "" for page in reader.pages)
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "\n".join(
                z.read(n).decode("utf-8", "replace")
                for n in z.namelist()
                if n.endswith((".xml", ".rels", ".html", ".csv", ".txt"))
            )
    return data.decode("utf-8", "replace")


def assert_no_identifiers(text_or_bytes: str | bytes, identifiers: Iterable[str]) -> list[str]:
    """The identifiers (student_id, plan_id, ...) that appear in a public report; [] if none.

    Accepts HTML/CSV text, or the bytes of a PDF (text via pypdf) or an XLSX (its XML).
    An id counts as found only as a whole token, so 'S1' is not found inside 'S10'.
    Returns the sorted leaked ids so a caller can say which ones leaked.
    """
    ids = sorted({i for i in identifiers if i}, key=len, reverse=True)
    if not ids:
        return []
    text = _text_of(text_or_bytes)
    found: set[str] = set()
    chunk = 2000  # keep each alternation regex a reasonable size
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        pattern = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(i) for i in part) + r")(?![\w-])",
        )
        found.update(m.group(1) for m in pattern.finditer(text))
    return sorted(found)


def public_findings(findings: pd.DataFrame) -> pd.DataFrame:
    """Findings for a public report: one row per rule × school, no pupil-level data.

    Drops student_id, entry_ids, plan ids, messages and per-pupil amounts, and counts
    instead: `findings` (how many) and `students` (distinct pupils involved), with the
    money at risk summed. The counts are raw: pass the result through
    `suppress_counts(..., ["findings", "students"], ...)` before showing it.
    """
    keys = [c for c in ("rule", "severity", "partner_id", "school_id") if c in findings.columns]
    if "rule" not in keys:
        raise ValueError("public_findings: the findings table has no rule column")
    df = findings.copy()
    for k in keys:
        df[k] = df[k].astype(object).where(df[k].notna(), "").astype(str)
    if "student_id" in df.columns:
        sid = df["student_id"].astype(object)
        df["_student"] = sid.where(sid.notna() & (sid.astype(str) != ""), None)
    else:
        df["_student"] = None
    if "at_risk_cents" not in df.columns:
        df["at_risk_cents"] = 0
    grouped = df.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(
        findings=("rule", "size"),
        students=("_student", "nunique"),
        at_risk_cents=("at_risk_cents", "sum"),
    ).reset_index()
    out["findings"] = out["findings"].astype("int64")
    out["students"] = out["students"].astype("int64")
    out["at_risk_cents"] = out["at_risk_cents"].astype("int64")
    order = {r: i for i, r in enumerate(RULES)}
    out["_o"] = out["rule"].map(lambda r: order.get(r, len(order)))
    out = out.sort_values(["_o", *keys[1:]], kind="stable").drop(columns="_o")
    return out.reset_index(drop=True)
