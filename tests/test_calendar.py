"""The programme's calendar: semesters, school years, half-years, reporting periods."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pumpurs.core.calendar import (
    Period,
    add_months,
    half_year_of_month,
    last_complete_half_year,
    month_end,
    month_of,
    month_start,
    months_between,
    parse_date,
    parse_period,
    school_year_of_month,
    semester_of_month,
    semester_start,
)
from pumpurs.core.errors import UsageError


def _s(*values: str, index: list[int] | None = None) -> pd.Series:
    return pd.Series(list(values), index=index, dtype="str")


def test_semester_boundaries() -> None:
    months = _s("2019-08", "2019-09", "2019-12", "2020-01", "2020-06", "2020-08", "2020-09")
    assert semester_of_month(months).tolist() == [
        "2018/2019-2",  # August still ends the previous school year
        "2019/2020-1",  # September opens the new one
        "2019/2020-1",  # December is the end of semester 1
        "2019/2020-2",  # January begins semester 2 of the same school year
        "2019/2020-2",
        "2019/2020-2",
        "2020/2021-1",
    ]


def test_semester_of_month_keeps_the_index() -> None:
    out = semester_of_month(_s("2019-10", "2020-03", index=[7, 3]))
    assert out.index.tolist() == [7, 3]
    assert out.tolist() == ["2019/2020-1", "2019/2020-2"]


def test_empty_series() -> None:
    empty = _s()
    assert semester_of_month(empty).tolist() == []
    assert half_year_of_month(empty).tolist() == []
    assert school_year_of_month(empty).tolist() == []


def test_school_year_of_month() -> None:
    assert school_year_of_month(_s("2019-08", "2019-09", "2020-08")).tolist() == [
        "2018/2019",
        "2019/2020",
        "2019/2020",
    ]


def test_half_year_boundaries() -> None:
    assert half_year_of_month(
        _s("2020-01", "2020-06", "2020-07", "2020-12", "2021-01")
    ).tolist() == [
        "2020-H1",
        "2020-H1",
        "2020-H2",
        "2020-H2",
        "2021-H1",
    ]


def test_semester_start() -> None:
    out = semester_start(_s("2019/2020-1", "2019/2020-2", "2022/2023-2"))
    assert out.tolist() == [
        pd.Timestamp("2019-09-01"),
        pd.Timestamp("2020-01-01"),
        pd.Timestamp("2023-01-01"),
    ]
    assert out.dtype == "datetime64[ns]"


def test_month_start_and_end() -> None:
    months = _s("2020-02", "2021-02", "2020-12")
    assert month_start(months).tolist() == [
        pd.Timestamp("2020-02-01"),
        pd.Timestamp("2021-02-01"),
        pd.Timestamp("2020-12-01"),
    ]
    assert month_end(months).tolist() == [
        pd.Timestamp("2020-02-29"),
        pd.Timestamp("2021-02-28"),
        pd.Timestamp("2020-12-31"),
    ]
    assert month_end(months).dtype == "datetime64[ns]"


def test_month_arithmetic() -> None:
    assert month_of(dt.date(2020, 3, 31)) == "2020-03"
    assert months_between("2017-03", "2023-12") == 82
    assert months_between("2020-01", "2020-01") == 1
    assert months_between("2020-02", "2020-01") == 0
    assert add_months("2020-11", 2) == "2021-01"
    assert add_months("2020-01", -1) == "2019-12"
    assert add_months("2020-12", 0) == "2020-12"


@settings(deadline=None)
@given(
    year=st.integers(min_value=1990, max_value=2100),
    month=st.integers(min_value=1, max_value=12),
    n=st.integers(min_value=-240, max_value=240),
)
def test_add_months_and_months_between_agree(year: int, month: int, n: int) -> None:
    start = f"{year:04d}-{month:02d}"
    end = add_months(start, n)
    assert months_between(start, end) == max(0, n + 1)
    assert add_months(end, -n) == start


@settings(deadline=None)
@given(
    year=st.integers(min_value=1990, max_value=2100), month=st.integers(min_value=1, max_value=12)
)
def test_a_month_lies_in_its_semester(year: int, month: int) -> None:
    m = f"{year:04d}-{month:02d}"
    sem = semester_of_month(_s(m))
    start = semester_start(sem).iloc[0]
    assert start <= month_start(_s(m)).iloc[0]
    assert (month_start(_s(m)).iloc[0] - start).days < 8 * 31  # semester 2 is eight months
    assert sem.iloc[0][:9] == school_year_of_month(_s(m)).iloc[0]
    assert half_year_of_month(_s(m)).iloc[0] == f"{year}-H{1 if month <= 6 else 2}"


# ---------------------------------------------------------------------------
# Reporting periods and command-line dates
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2020-H1", Period("2020-H1", "2020-01", "2020-06")),
        ("2020-H2", Period("2020-H2", "2020-07", "2020-12")),
        (" 2023-h2 ", Period("2023-H2", "2023-07", "2023-12")),
    ],
)
def test_parse_period(text: str, period: Period) -> None:
    assert parse_period(text) == period


def test_period_end_date() -> None:
    assert parse_period("2020-H1").end_date == dt.date(2020, 6, 30)
    assert parse_period("2023-H2").end_date == dt.date(2023, 12, 31)


@pytest.mark.parametrize("text", ["2020-H3", "2020H1", "2020-S1", "20-H1", "", "2020-07"])
def test_parse_period_errors(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_period(text)
    assert str(info.value) == f'"{text}" is not a reporting period; write a half-year, e.g. 2020-H2'


@pytest.mark.parametrize(
    ("today", "label"),
    [
        (dt.date(2024, 1, 1), "2023-H2"),
        (dt.date(2024, 3, 15), "2023-H2"),
        (dt.date(2024, 6, 30), "2023-H2"),
        (dt.date(2024, 7, 1), "2024-H1"),
        (dt.date(2024, 12, 31), "2024-H1"),
    ],
)
def test_last_complete_half_year(today: dt.date, label: str) -> None:
    assert last_complete_half_year(today).label == label


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("2023-12-31", dt.date(2023, 12, 31)),
        ("31.12.2023", dt.date(2023, 12, 31)),
        (" 2020-02-29 ", dt.date(2020, 2, 29)),
        ("1.2.2020", dt.date(2020, 2, 1)),
    ],
)
def test_parse_date(text: str, date: dt.date) -> None:
    assert parse_date(text) == date


@pytest.mark.parametrize("text", ["31.02.2020", "2021-02-29", "2020/01/01", "yesterday", "12.2020"])
def test_parse_date_errors(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_date(text)
    assert str(info.value) == (
        f'"{text}" is not a date; write YYYY-MM-DD or DD.MM.YYYY, e.g. 2023-12-31'
    )
