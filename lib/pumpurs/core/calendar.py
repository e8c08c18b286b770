"""The programme's calendar: months, semesters, school years and half-year periods.

Semester 1 is September-December (`2019/2020-1`), semester 2 January-August
(`2019/2020-2`); half-years are `2020-H1` (January-June) and `2020-H2`.
Vectorised helpers take and return pandas Series of `YYYY-MM` strings.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pumpurs.core.errors import UsageError

PERIOD_RE = re.compile(r"^(\d{4})-H([12])$")


def by_distinct(func: Callable[[pd.Series], pd.Series]) -> Callable[[pd.Series], pd.Series]:
    """Compute on each distinct value once: a ledger has 600k rows but only ~90 months."""

    @functools.wraps(func)
    def wrapped(values: pd.Series) -> pd.Series:
        if len(values) < 1000:
            return func(values)
        codes, uniques = pd.factorize(values, use_na_sentinel=False)
        out = func(pd.Series(uniques, dtype=values.dtype)).iloc[codes]
        out.index = values.index
        return out

    return wrapped


def year_month(months: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """The year and the month of each `YYYY-MM`, as integer arrays."""
    y = months.str.slice(0, 4).astype("int64").to_numpy()
    m = months.str.slice(5, 7).astype("int64").to_numpy()
    return y, m


@by_distinct
def semester_of_month(months: pd.Series) -> pd.Series:
    """'2019-10' -> '2019/2020-1'; '2020-03' -> '2019/2020-2'."""
    if len(months) == 0:
        return months.astype(str)
    y, m = year_month(months)
    first = m >= 9
    start = np.where(first, y, y - 1)
    part = np.where(first, "1", "2")
    out = pd.Series(start.astype(str), index=months.index)
    return out + "/" + pd.Series((start + 1).astype(str), index=months.index) + "-" + part


@by_distinct
def school_year_of_month(months: pd.Series) -> pd.Series:
    return semester_of_month(months).str.slice(0, 9)


@by_distinct
def half_year_of_month(months: pd.Series) -> pd.Series:
    if len(months) == 0:
        return months.astype(str)
    y, m = year_month(months)
    return pd.Series(y.astype(str), index=months.index) + np.where(m <= 6, "-H1", "-H2")


@by_distinct
def semester_start(semesters: pd.Series) -> pd.Series:
    """The day a semester begins: 1 September or 1 January."""
    y1 = semesters.str.slice(0, 4).astype("int64")
    second = semesters.str.slice(10, 11) == "2"
    year = y1.where(~second, y1 + 1)
    month = pd.Series(np.where(second, 1, 9), index=semesters.index)
    return pd.to_datetime(pd.DataFrame({"year": year, "month": month, "day": 1})).astype(
        "datetime64[ns]"
    )


@by_distinct
def month_start(months: pd.Series) -> pd.Series:
    return pd.to_datetime(months + "-01", format="%Y-%m-%d").astype("datetime64[ns]")


@by_distinct
def month_end(months: pd.Series) -> pd.Series:
    return (month_start(months) + pd.offsets.MonthEnd(0)).astype("datetime64[ns]")


def month_of(date: dt.date) -> str:
    return f"{date.year:04d}-{date.month:02d}"


def months_between(first: str, last: str) -> int:
    """Whole months from `first` to `last` inclusive (0 if last < first)."""
    y1, m1 = int(first[:4]), int(first[5:7])
    y2, m2 = int(last[:4]), int(last[5:7])
    return max(0, (y2 - y1) * 12 + (m2 - m1) + 1)


def add_months(month: str, n: int) -> str:
    y, m = int(month[:4]), int(month[5:7])
    total = y * 12 + (m - 1) + n
    return f"{total // 12:04d}-{total % 12 + 1:02d}"


@dataclass(frozen=True)
class Period:
    """A reporting half-year: `2020-H2` = 2020-07 ... 2020-12."""

    label: str
    first_month: str
    last_month: str

    @property
    def start_date(self) -> dt.date:
        return dt.date(int(self.first_month[:4]), int(self.first_month[5:7]), 1)

    @property
    def end_date(self) -> dt.date:
        y, m = int(self.last_month[:4]), int(self.last_month[5:7])
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)

    def holds(self, months: pd.Series) -> pd.Series:
        """Which `YYYY-MM` months fall in this half-year."""
        return (months >= self.first_month) & (months <= self.last_month)


def parse_period(text: str) -> Period:
    m = PERIOD_RE.match(text.strip().upper())
    if not m:
        raise UsageError(f'"{text}" is not a reporting period; write a half-year, e.g. 2020-H2')
    y, h = int(m.group(1)), int(m.group(2))
    return Period(f"{y}-H{h}", f"{y}-{'01' if h == 1 else '07'}", f"{y}-{'06' if h == 1 else '12'}")


def report_date(
    period: Period | str | None = None,
    as_of: str | dt.date | None = None,
    *,
    paid_on: pd.Series | None = None,
    programme_end: str | None = None,
) -> dt.date:
    """The date a report is made at. The one rule (docs/commands.md, "The report date");
    every command, the batch, the notebooks and `pumpurs.open` come here:

    1. `as_of` when given. With a period it must lie within it: a date within the
       half-year is a report made before it ended (a draft); one before its first day or
       after its last is refused (the half-year would show nothing, or payments of the
       next one).
    2. else, with a period, the period's last day (a report for a half-year is as of
       its end, whatever has been paid by then);
    3. else the latest `paid_on` in the data;
    4. else (data with no payment at all) the programme's last day (`programme_end`, its
       final `YYYY-MM`): the date never depends on the day a command is run.
    """
    p = parse_period(period) if isinstance(period, str) and period else period or None
    if as_of:
        day = as_of if isinstance(as_of, dt.date) else parse_date(str(as_of))
        if isinstance(day, dt.datetime):
            day = day.date()
        if p is not None and not p.start_date <= day <= p.end_date:
            holds = f"{day.year}-H{1 if day.month <= 6 else 2}"
            raise UsageError(
                f"--as-of {day.isoformat()} is outside the period {p.label} "
                f"({p.start_date.isoformat()} to {p.end_date.isoformat()}); give a report date "
                f"within it, or --period {holds} for a report at {day.isoformat()}"
            )
        return day
    if p is not None:
        return p.end_date
    if paid_on is not None and len(paid_on) and pd.notna(latest := paid_on.max()):
        day_paid: dt.date = pd.Timestamp(latest).date()
        return day_paid
    if programme_end:
        last: dt.date = month_end(pd.Series([programme_end])).iloc[0].date()
        return last
    raise UsageError("no report date: give --as-of YYYY-MM-DD (the data holds no payment)")


def last_complete_half_year(today: dt.date) -> Period:
    if today.month >= 7:
        return parse_period(f"{today.year}-H1")
    return parse_period(f"{today.year - 1}-H2")


def parse_date(text: str) -> dt.date:
    """A date given on the command line: YYYY-MM-DD or DD.MM.YYYY."""
    t = text.strip()
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(t, fmt).date()
        except ValueError:
            pass
    raise UsageError(f'"{text}" is not a date; write YYYY-MM-DD or DD.MM.YYYY, e.g. 2023-12-31')
