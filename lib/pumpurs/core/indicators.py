"""The six programme indicators of docs/rules.md, per period and scope, with their targets.

Indicators are counted from a Judgement (plans known at `as_of`, the judged ledger),
never from raw data, so they agree with totals and findings. The output is long: one
row per indicator × scope × period, every period of the programme up to `as_of`
present (zeros included) so that charts and comparisons have a regular time axis.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd

from pumpurs.core.calendar import month_of, semester_of_month
from pumpurs.core.contract import INDICATORS
from pumpurs.core.errors import UsageError
from pumpurs.core.settings import Programme, TargetVersion

BY_SCOPES = {"programme": None, "partner": "partner_id", "municipality": "municipality"}
PERS = ("semester", "school_year", "cumulative")
CONTINUED = ("continues", "graduated")
COLUMNS = (
    "indicator",
    "scope",
    "period",
    "value",
    "count",
    "denominator",
    "target",
    "target_source",
    "comparison",
    "met",
)
_S, _P = "_scope", "_period"


def indicators(
    plans: pd.DataFrame,
    ledger: pd.DataFrame,
    partners: pd.DataFrame,
    outcomes: pd.DataFrame,
    programme: Programme,
    *,
    by: str = "programme",
    per: str = "cumulative",
    as_of: dt.date,
) -> pd.DataFrame:
    """Long table: indicator, scope, period, value, count, denominator, target, ….

    `value` is a float (counts are whole numbers; shares are 0..1). `count` is the
    numerator where the value is a share (municipalities, continuing pupils), and
    `denominator` what it is divided by (43, pupils) — the publishing layer needs the
    pupil count to suppress small numbers. Targets apply at programme scope only.
    """
    if by not in BY_SCOPES:
        raise UsageError(f'"{by}" is not an indicator scope; use one of: {", ".join(BY_SCOPES)}')
    if per not in PERS:
        raise UsageError(f'"{per}" is not an indicator period; use one of: {", ".join(PERS)}')

    p = _tag(plans, by, per)
    ngo_rows = ledger[
        (ledger["eligible_cents"].astype("int64") > 0)
        & ledger["ngo_project_id"].notna()
        & (ledger["ngo_project_id"].astype(str) != "")
    ]
    ngo = _tag(ngo_rows, by, per)
    periods = _periods(per, programme, as_of, [p[_P], ngo[_P]])
    scopes = _scopes(by, partners, [p[_S], ngo[_S]])
    grid = pd.MultiIndex.from_product([scopes, periods], names=[_S, _P])

    parts = [
        _counts("students_supported", p.groupby([_S, _P])["student_id"].nunique(), grid),
        _counts("support_plans", p.groupby([_S, _P]).size(), grid),
        _counts("institutions_involved", p.groupby([_S, _P])["school_id"].nunique(), grid),
        _municipalities(partners, by, periods, grid, as_of, len(programme.municipalities)),
        _counts("ngo_projects", ngo.groupby([_S, _P])["ngo_project_id"].nunique(), grid),
        _continued(p, outcomes, grid),
    ]
    out = pd.concat(parts, ignore_index=True)
    out = _with_targets(out, programme, as_of) if by == "programme" else _no_targets(out)
    order = {name: i for i, name in enumerate(INDICATORS)}
    out = out.sort_values(
        ["indicator", "scope", "period"], key=lambda s: s.map(order) if s.name == "indicator" else s
    )
    return out.reset_index(drop=True)[list(COLUMNS)]


def period_end(periods: pd.Series, as_of: dt.date) -> pd.Series:
    """Last day of each period: 31 Dec / 31 Aug for semesters, 31 Aug for school years,
    `as_of` for "cumulative"."""
    text = periods.astype(str)
    first_year = pd.to_numeric(text.str.slice(0, 4), errors="coerce")
    first_sem = text.str.endswith("-1")
    year = first_year.where(first_sem, first_year + 1)
    month = np.where(first_sem, 12, 8)  # both months end on the 31st
    ends = pd.to_datetime(
        pd.DataFrame({"year": year.fillna(2000), "month": month, "day": 31}), errors="coerce"
    )
    ends = ends.where(text != "cumulative", pd.Timestamp(as_of))
    return ends.astype("datetime64[ns]")


# ---------------------------------------------------------------------------
def _tag(frame: pd.DataFrame, by: str, per: str) -> pd.DataFrame:
    """Add the scope and period labels a row counts under."""
    col = BY_SCOPES[by]
    out = frame.copy()
    out[_S] = "programme" if col is None else frame[col].astype(str)
    out[_P] = "cumulative" if per == "cumulative" else frame[per].astype(str)
    out[_S] = out[_S].astype(str)
    out[_P] = out[_P].astype(str)
    return out


def _periods(per: str, programme: Programme, as_of: dt.date, seen: list[pd.Series]) -> list[str]:
    """Every semester/school year from the programme start to `as_of` (capped at the
    programme end), plus any period that occurs in the data."""
    if per == "cumulative":
        return ["cumulative"]
    period = programme.period_at(as_of)
    last = min(month_of(as_of), period.end_month)
    months = pd.Series(pd.period_range(period.start_month, last, freq="M").strftime("%Y-%m"))
    labels = semester_of_month(months.astype(str)) if len(months) else pd.Series([], dtype=str)
    if per == "school_year":
        labels = labels.str.slice(0, 9)
    found = set(labels.tolist())
    for s in seen:
        found.update(s.dropna().astype(str).tolist())
    return sorted(found)


def _scopes(by: str, partners: pd.DataFrame, seen: list[pd.Series]) -> list[str]:
    """Every partner / current municipality in scope, even without plans or spend."""
    if by == "programme":
        return ["programme"]
    found = set(partners[BY_SCOPES[by]].dropna().astype(str).tolist())
    for s in seen:
        found.update(s.dropna().astype(str).tolist())
    return sorted(found)


def _counts(name: str, counts: pd.Series, grid: pd.MultiIndex) -> pd.DataFrame:
    values = counts.reindex(grid, fill_value=0).astype("int64")
    return _frame(name, grid, values.to_numpy(dtype="float64"), None, None)


def _frame(
    name: str,
    grid: pd.MultiIndex,
    value: np.ndarray | pd.Series,
    count: np.ndarray | pd.Series | None,
    denominator: np.ndarray | pd.Series | None,
) -> pd.DataFrame:
    n = len(grid)
    na_int = pd.array([pd.NA] * n, dtype="Int64")
    return pd.DataFrame(
        {
            "indicator": pd.Series([name] * n, dtype=str),
            "scope": pd.Series(grid.get_level_values(_S), dtype=str),
            "period": pd.Series(grid.get_level_values(_P), dtype=str),
            "value": pd.array(np.asarray(value, dtype="float64"), dtype="Float64"),
            "count": na_int if count is None else pd.array(count, dtype="Int64"),
            "denominator": na_int if denominator is None else pd.array(denominator, dtype="Int64"),
        }
    )


def _municipalities(
    partners: pd.DataFrame,
    by: str,
    periods: list[str],
    grid: pd.MultiIndex,
    as_of: dt.date,
    all_municipalities: int,
) -> pd.DataFrame:
    """Current municipalities with a partner agreement signed by the period's end (and by
    `as_of`: an agreement dated later is not yet known), out of all 43."""
    parts = partners[
        partners["municipality"].notna() & (partners["municipality"].astype(str) != "")
    ]
    parts = _tag(parts, by, "cumulative")
    cut = pd.DataFrame({_P: periods})
    cut["_cutoff"] = period_end(cut[_P], as_of).clip(upper=pd.Timestamp(as_of))
    pairs = parts[[_S, "municipality", "agreement_date"]].merge(cut, how="cross")
    signed = pd.to_datetime(pairs["agreement_date"]).astype("datetime64[ns]") <= pairs["_cutoff"]
    counts = pairs[signed].groupby([_S, _P])["municipality"].nunique()
    counts = counts.reindex(grid, fill_value=0).astype("int64").to_numpy()
    return _frame(
        "municipalities_involved",
        grid,
        counts / all_municipalities,
        counts,
        np.full(len(grid), all_municipalities),
    )


def _continued(p: pd.DataFrame, outcomes: pd.DataFrame, grid: pd.MultiIndex) -> pd.DataFrame:
    """Share of pupil-years with a plan whose outcome that school year is continues or
    graduated. A pupil without an outcome row counts in the denominator; a pupil-year
    with several outcome rows counts as continued if any of them says so. Cumulative
    counts pupil-years (a pupil supported in two school years counts twice)."""
    pupils = p[[_S, _P, "student_id", "school_year"]].astype(str).drop_duplicates()
    good = outcomes.loc[
        outcomes["status"].astype(str).isin(CONTINUED), ["student_id", "school_year"]
    ].astype(str)
    good = good.drop_duplicates().assign(_good=1)
    pupils = pupils.merge(good, on=["student_id", "school_year"], how="left")
    pupils["_good"] = pupils["_good"].fillna(0).astype("int64")
    g = pupils.groupby([_S, _P])["_good"].agg(["sum", "size"])
    g = g.reindex(grid, fill_value=0).astype("int64")
    num, den = g["sum"].to_numpy(), g["size"].to_numpy()
    frame = _frame("continued_share", grid, num / np.maximum(den, 1), num, den)
    frame.loc[den == 0, "value"] = pd.NA  # no pupils: no share
    return frame


# ---------------------------------------------------------------------------
# indicator -> programme.targets field; the value compared is count / denominator for a
# share and the value itself (a whole count) otherwise.
_TARGETS = {
    "institutions_involved": "institutions_involved",
    "municipalities_involved": "municipalities_involved_share",
}


def _no_targets(out: pd.DataFrame) -> pd.DataFrame:
    n = len(out)
    out["target"] = pd.array([pd.NA] * n, dtype="Float64")
    out["target_source"] = pd.Series([""] * n, dtype=str, index=out.index)
    out["comparison"] = pd.Series([""] * n, dtype=str, index=out.index)
    out["met"] = pd.array([pd.NA] * n, dtype="boolean")
    return out


def _with_targets(out: pd.DataFrame, programme: Programme, as_of: dt.date) -> pd.DataFrame:
    """The target version in force on the period's last day (as_of for cumulative);
    `met` is decided exactly in integers, never on the float value."""
    out = _no_targets(out)
    ends = period_end(out["period"], as_of).to_numpy(dtype="datetime64[D]")
    for name, field in _TARGETS.items():
        versions: list[TargetVersion] = getattr(programme.targets, field)
        rows = (out["indicator"] == name).to_numpy()
        if not versions or not rows.any():
            continue
        chosen = np.zeros(len(out), dtype=np.int64)  # before the first: the first (in_force)
        for i, v in enumerate(versions):
            chosen[ends >= np.datetime64(v.effective_from, "D")] = i
        for i, v in enumerate(versions):
            mask = rows & (chosen == i)
            if not mask.any():
                continue
            num, den = Decimal(v.value).as_integer_ratio()
            share = out.loc[mask, "denominator"].notna().to_numpy()
            count = out.loc[mask, "count"].fillna(0).to_numpy(dtype=np.int64)
            counted = out.loc[mask, "value"].fillna(0).to_numpy(dtype="float64").astype(np.int64)
            whole = np.where(share, count, counted)
            parts = np.where(
                share, out.loc[mask, "denominator"].fillna(1).to_numpy(dtype=np.int64), 1
            )
            # whole / parts against num / den, cross-multiplied in integers
            lhs, rhs = whole * den, num * parts
            met = lhs >= rhs if v.comparison == "at_least" else lhs <= rhs
            out.loc[mask, "target"] = float(v.value)
            out.loc[mask, "target_source"] = v.source
            out.loc[mask, "comparison"] = v.comparison
            out.loc[mask, "met"] = met
    return out
