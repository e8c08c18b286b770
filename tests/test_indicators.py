"""Indicators: exact values per period and scope, and targets by version date."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from pumpurs.core.calendar import school_year_of_month
from pumpurs.core.errors import UsageError
from pumpurs.core.indicators import COLUMNS, INDICATORS, indicators
from pumpurs.core.settings import Programme

AS_OF = dt.date(2021, 1, 15)
AIZ, RIGA, JUR = "Aizkraukles novads", "Rīga", "Jūrmala"

PARTNERS = pd.DataFrame(
    {
        "partner_id": ["P1", "P2", "P3", "P4"],
        "name": [
            "Kokneses novads",
            "Skrīveru novads",
            "Rīgas valstspilsētas pašvaldība",
            "Jūrmalas pašvaldība",
        ],
        "kind": ["municipality"] * 4,
        "municipality": [AIZ, AIZ, RIGA, JUR],  # two partners in one municipality
        "municipality_code": ["LV-002", "LV-002", "LV-RIX", "LV-JUR"],
        # P4 signs after AS_OF: not yet involved
        "agreement_date": pd.to_datetime(["2019-11-22", "2018-01-10", "2020-10-01", "2030-01-01"]),
        "allocation_cents": [100, 100, 100, 100],
    }
)
_MUNI = dict(zip(PARTNERS["partner_id"], PARTNERS["municipality"], strict=True))


def plans_frame(rows: list[tuple[str, str, str, str, str]]) -> pd.DataFrame:
    """(plan_id, student_id, school_id, partner_id, semester) -> Judgement.plans shape."""
    frame = pd.DataFrame(
        rows, columns=["plan_id", "student_id", "school_id", "partner_id", "semester"]
    ).astype(str)
    frame["municipality"] = frame["partner_id"].map(_MUNI).astype(str)
    frame["municipality_code"] = ""
    frame["school_year"] = frame["semester"].str.slice(0, 9)
    frame["level"] = "general"
    frame["grade"] = 7
    return frame


PLANS = plans_frame(
    [
        ("pl1", "s1", "S1", "P1", "2019/2020-1"),
        ("pl2", "s1", "S1", "P1", "2019/2020-2"),  # the same pupil again
        ("pl3", "s2", "S2", "P2", "2019/2020-1"),
        ("pl4", "s3", "S3", "P3", "2020/2021-1"),
        ("pl5", "s1", "S1", "P1", "2020/2021-1"),
    ]
)


def ledger_frame(rows: list[tuple[str, str, str, int]]) -> pd.DataFrame:
    """(partner_id, service_month, ngo_project_id, eligible_cents)."""
    frame = pd.DataFrame(
        rows, columns=["partner_id", "service_month", "ngo_project_id", "eligible_cents"]
    )
    frame = frame.astype(
        {"partner_id": str, "service_month": str, "ngo_project_id": str, "eligible_cents": "int64"}
    )
    frame["municipality"] = frame["partner_id"].map(_MUNI).astype(str)
    frame["school_year"] = school_year_of_month(frame["service_month"])
    frame["semester"] = (
        frame["school_year"]
        + "-"
        + frame["service_month"].str.slice(5, 7).map(lambda m: "1" if int(m) >= 9 else "2")
    )
    frame["amount_cents"] = frame["eligible_cents"] + 1
    frame["category"] = frame["ngo_project_id"].map(
        lambda x: "ngo_project" if x else "coordination"
    )
    return frame


LEDGER = ledger_frame(
    [
        ("P1", "2019-10", "N1", 100),
        ("P1", "2020-02", "N1", 50),  # the same project in another semester
        ("P2", "2019-11", "N2", 0),  # wholly ineligible: not counted
        ("P3", "2020-10", "N3", 10),
        ("P3", "2020-10", "", 500),  # not an NGO project
    ]
)
OUTCOMES = pd.DataFrame(
    {
        "student_id": ["s1", "s2", "s1", "s9"],
        "school_year": ["2019/2020", "2019/2020", "2020/2021", "2019/2020"],
        "status": ["continues", "left", "graduated", "continues"],
    }
)  # s3 has no outcome row


def run(programme: Programme, by: str = "programme", per: str = "cumulative", **kw) -> pd.DataFrame:
    args = {"plans": PLANS, "ledger": LEDGER, "partners": PARTNERS, "outcomes": OUTCOMES} | kw
    as_of = args.pop("as_of", AS_OF)
    return indicators(
        args["plans"],
        args["ledger"],
        args["partners"],
        args["outcomes"],
        programme,
        by=by,
        per=per,
        as_of=as_of,
    )


def cell(frame: pd.DataFrame, indicator: str, scope: str, period: str) -> dict:
    hit = frame[
        (frame["indicator"] == indicator) & (frame["scope"] == scope) & (frame["period"] == period)
    ]
    assert len(hit) == 1, (indicator, scope, period)
    return hit.iloc[0].to_dict()


def values(frame: pd.DataFrame, scope: str, period: str) -> dict[str, float | None]:
    out = {}
    for name in INDICATORS:
        v = cell(frame, name, scope, period)["value"]
        out[name] = None if pd.isna(v) else v
    return out


# ---------------------------------------------------------------------------
def test_shape_and_dtypes(programme: Programme):
    out = run(programme)
    assert list(out.columns) == list(COLUMNS)
    assert out["indicator"].tolist() == list(INDICATORS)
    assert str(out["value"].dtype) == "Float64"
    assert str(out["count"].dtype) == "Int64"
    assert str(out["target"].dtype) == "Float64"
    assert str(out["met"].dtype) == "boolean"


def test_programme_cumulative(programme: Programme):
    out = run(programme)
    assert values(out, "programme", "cumulative") == {
        "students_supported": 3,  # s1 (three plans) counts once
        "support_plans": 5,
        "institutions_involved": 3,
        "municipalities_involved": 2 / 43,  # Aizkraukles (two partners) once, Rīga; not Jūrmala
        "ngo_projects": 2,  # N1 (two rows), N3; N2 has nothing eligible
        "continued_share": 0.5,  # pupil-years: s1 19/20 yes, s2 left, s3 none, s1 20/21 yes
    }
    m = cell(out, "municipalities_involved", "programme", "cumulative")
    assert (m["count"], m["denominator"]) == (2, 43)
    assert (m["target"], m["comparison"], m["met"]) == (0.8, "at_least", False)
    c = cell(out, "continued_share", "programme", "cumulative")
    assert (c["count"], c["denominator"]) == (2, 4)
    i = cell(out, "institutions_involved", "programme", "cumulative")
    assert i["target"] == 611  # in force on AS_OF
    assert i["target_source"].startswith("Project page")
    assert pd.isna(i["count"])
    s = cell(out, "students_supported", "programme", "cumulative")
    assert (
        pd.isna(s["target"])
        and s["comparison"] == ""
        and s["target_source"] == ""
        and pd.isna(s["met"])
    )


def test_programme_per_school_year(programme: Programme):
    out = run(programme, per="school_year")
    # every school year from the programme start (2017-03) to AS_OF, zeros included
    assert sorted(out["period"].unique()) == [
        "2016/2017",
        "2017/2018",
        "2018/2019",
        "2019/2020",
        "2020/2021",
    ]
    assert values(out, "programme", "2019/2020") == {
        "students_supported": 2,
        "support_plans": 3,
        "institutions_involved": 2,
        "municipalities_involved": 1 / 43,  # by 2020-08-31: P1 and P2, one municipality
        "ngo_projects": 1,
        "continued_share": 0.5,
    }
    assert values(out, "programme", "2020/2021") == {
        "students_supported": 2,
        "support_plans": 2,
        "institutions_involved": 2,
        "municipalities_involved": 2 / 43,  # P3 signed 2020-10-01
        "ngo_projects": 1,
        "continued_share": 0.5,  # s1 graduated, s3 has no outcome
    }
    assert values(out, "programme", "2018/2019") == {
        "students_supported": 0,
        "support_plans": 0,
        "institutions_involved": 0,
        "municipalities_involved": 1 / 43,  # P2 signed 2018-01-10
        "ngo_projects": 0,
        "continued_share": None,  # no pupils: no share
    }
    assert cell(out, "continued_share", "programme", "2018/2019")["denominator"] == 0


def test_programme_per_semester(programme: Programme):
    out = run(programme, per="semester")
    assert out["period"].min() == "2016/2017-2" and out["period"].max() == "2020/2021-2"
    assert values(out, "programme", "2019/2020-1") == {
        "students_supported": 2,
        "support_plans": 2,
        "institutions_involved": 2,
        "municipalities_involved": 1 / 43,
        "ngo_projects": 1,
        "continued_share": 0.5,  # the semester's school year 2019/2020
    }
    assert values(out, "programme", "2019/2020-2") == {
        "students_supported": 1,
        "support_plans": 1,
        "institutions_involved": 1,
        "municipalities_involved": 1 / 43,
        "ngo_projects": 1,
        "continued_share": 1.0,
    }
    v = values(out, "programme", "2020/2021-1")
    assert v["students_supported"] == 2 and v["municipalities_involved"] == 2 / 43
    assert v["ngo_projects"] == 1 and v["continued_share"] == 0.5
    assert values(out, "programme", "2020/2021-2")["continued_share"] is None


def test_per_partner_cumulative(programme: Programme):
    out = run(programme, by="partner")
    assert sorted(out["scope"].unique()) == ["P1", "P2", "P3", "P4"]  # P4: no plans, still a row
    assert values(out, "P1", "cumulative") == {
        "students_supported": 1,
        "support_plans": 3,
        "institutions_involved": 1,
        "municipalities_involved": 1 / 43,
        "ngo_projects": 1,
        "continued_share": 1.0,
    }
    assert values(out, "P2", "cumulative") == {
        "students_supported": 1,
        "support_plans": 1,
        "institutions_involved": 1,
        "municipalities_involved": 1 / 43,
        "ngo_projects": 0,
        "continued_share": 0.0,
    }
    assert values(out, "P4", "cumulative") == {
        "students_supported": 0,
        "support_plans": 0,
        "institutions_involved": 0,
        "municipalities_involved": 0.0,  # signed after AS_OF
        "ngo_projects": 0,
        "continued_share": None,
    }
    # targets are programme-level only
    assert out["target"].isna().all() and out["met"].isna().all()
    assert (out["comparison"] == "").all()


def test_per_partner_per_semester(programme: Programme):
    out = run(programme, by="partner", per="semester")
    assert values(out, "P1", "2019/2020-2")["support_plans"] == 1
    assert values(out, "P3", "2020/2021-1") == {
        "students_supported": 1,
        "support_plans": 1,
        "institutions_involved": 1,
        "municipalities_involved": 1 / 43,
        "ngo_projects": 1,
        "continued_share": 0.0,
    }
    assert values(out, "P3", "2019/2020-2")["municipalities_involved"] == 0.0  # not yet signed


def test_per_municipality(programme: Programme):
    out = run(programme, by="municipality")
    assert sorted(out["scope"].unique()) == sorted([AIZ, JUR, RIGA])
    assert values(out, AIZ, "cumulative") == {
        "students_supported": 2,
        "support_plans": 4,
        "institutions_involved": 2,
        "municipalities_involved": 1 / 43,  # two partners, one municipality
        "ngo_projects": 1,
        "continued_share": 2 / 3,
    }
    assert cell(out, "municipalities_involved", AIZ, "cumulative")["count"] == 1
    assert values(out, JUR, "cumulative")["municipalities_involved"] == 0.0
    out = run(programme, by="municipality", per="school_year")
    assert values(out, RIGA, "2020/2021") == {
        "students_supported": 1,
        "support_plans": 1,
        "institutions_involved": 1,
        "municipalities_involved": 1 / 43,
        "ngo_projects": 1,
        "continued_share": 0.0,
    }
    assert values(out, RIGA, "2019/2020")["municipalities_involved"] == 0.0


def test_scopes_add_up_where_they_should(programme: Programme):
    # plans are additive across partners; distinct counts need not be
    for per in ("semester", "school_year", "cumulative"):
        prog = run(programme, per=per)
        part = run(programme, by="partner", per=per)
        plans = part[part["indicator"] == "support_plans"].groupby("period")["value"].sum()
        expected = prog[prog["indicator"] == "support_plans"].set_index("period")["value"]
        pd.testing.assert_series_equal(plans, expected, check_names=False, check_dtype=False)


# ---------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------
def test_institution_target_version_by_period_end(programme: Programme):
    plans = plans_frame([("pl1", "s1", "S1", "P1", "2021/2022-1")])
    out = run(programme, per="semester", plans=plans, as_of=dt.date(2022, 1, 31))
    target = {
        r["period"]: r["target"]
        for _, r in out[out["indicator"] == "institutions_involved"].iterrows()
    }
    assert target["2018/2019-2"] == 614  # ends 2019-08-31, before 2019-12-11
    assert target["2019/2020-1"] == 611  # ends 2019-12-31
    assert target["2020/2021-2"] == 611  # ends 2021-08-31, the day before 665
    assert target["2021/2022-1"] == 665  # ends 2021-12-31
    assert target["2016/2017-2"] == 614
    years = run(programme, per="school_year", plans=plans, as_of=dt.date(2022, 1, 31))
    years = years[years["indicator"] == "institutions_involved"].set_index("period")["target"]
    assert (years["2018/2019"], years["2019/2020"], years["2021/2022"]) == (614, 611, 665)
    # cumulative: the version in force on as_of
    for as_of, expected in [
        (dt.date(2019, 12, 10), 614),
        (dt.date(2019, 12, 11), 611),
        (dt.date(2021, 8, 31), 611),
        (dt.date(2021, 9, 1), 665),
    ]:
        c = cell(
            run(programme, plans=plans, as_of=as_of),
            "institutions_involved",
            "programme",
            "cumulative",
        )
        assert c["target"] == expected, as_of


@pytest.mark.parametrize(("schools", "met"), [(611, True), (610, False)])
def test_institution_target_met_exactly(programme: Programme, schools: int, met: bool):
    plans = plans_frame(
        [(f"pl{i}", f"s{i}", f"S{i:04d}", "P1", "2020/2021-1") for i in range(schools)]
    )
    c = cell(run(programme, plans=plans), "institutions_involved", "programme", "cumulative")
    assert c["value"] == schools and c["target"] == 611 and c["met"] is met


@pytest.mark.parametrize(("n", "met"), [(35, True), (34, False)])
def test_municipality_share_target(programme: Programme, n: int, met: bool):
    # 35 / 43 = 81.4 % meets "at least 80 %"; 34 / 43 = 79.1 % does not
    names = [m.name for m in programme.municipalities[:n]]
    partners = pd.DataFrame(
        {
            "partner_id": [f"P{i}" for i in range(n)] + ["PX"],
            "municipality": [*names, names[0]],  # a second partner in the first municipality
            "agreement_date": pd.to_datetime(["2018-01-01"] * (n + 1)),
            "allocation_cents": [0] * (n + 1),
        }
    )
    c = cell(
        run(programme, partners=partners), "municipalities_involved", "programme", "cumulative"
    )
    assert c["count"] == n and c["denominator"] == 43
    assert math.isclose(c["value"], n / 43)
    assert c["met"] is met


# ---------------------------------------------------------------------------
def test_empty_inputs(programme: Programme):
    out = run(
        programme,
        plans=PLANS.iloc[:0],
        ledger=LEDGER.iloc[:0],
        outcomes=OUTCOMES.iloc[:0],
        per="school_year",
    )
    assert set(out["indicator"]) == set(INDICATORS)
    shares = out[out["indicator"] == "continued_share"]
    assert shares["value"].isna().all()
    assert (out.loc[out["indicator"] == "support_plans", "value"] == 0).all()


def test_bad_arguments(programme: Programme):
    with pytest.raises(UsageError, match="partner"):
        run(programme, by="county")
    with pytest.raises(UsageError, match="school_year"):
        run(programme, per="month")
