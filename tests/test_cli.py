"""check, totals and indicators as scheduled jobs and people call them: shapes and exit codes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pumpurs.cli import app


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    from pumpurs.demo import write_demo

    folder = tmp_path_factory.mktemp("demo") / "small"
    write_demo(folder, scale="small", seed=2)
    return folder


def call(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _two_decimals(x) -> bool:
    return x is None or Decimal(str(x)) == Decimal(str(x)).quantize(Decimal("0.01"))


def test_check_json_has_the_stable_shape_and_exit_1_on_errors(data):
    r = call("check", data, "--format", "json")
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert set(doc) == {"as_of", "findings", "summary"}
    assert set(doc["summary"]) == {"errors", "warnings", "at_risk_eur"}
    keys = {"rule", "severity", "partner_id", "school_id", "student_id", "period", "entry_ids",
            "amount_eur", "limit_eur", "at_risk_eur", "message"}  # fmt: skip
    for f in doc["findings"]:
        assert keys <= set(f)
        assert isinstance(f["entry_ids"], list)
        assert all(_two_decimals(f[k]) for k in ("amount_eur", "limit_eur", "at_risk_eur"))
    errors = [f for f in doc["findings"] if f["severity"] == "error"]
    assert doc["summary"]["errors"] == len(errors) > 0
    at_risk = sum(Decimal(str(f["at_risk_eur"])) for f in doc["findings"])
    assert Decimal(str(doc["summary"]["at_risk_eur"])) == at_risk


def test_check_exit_0_when_only_warnings_remain(data):
    r = call("check", data, "--format", "json", "--rule", "PLAN_LATE")
    assert r.exit_code == 0
    assert {f["rule"] for f in json.loads(r.stdout)["findings"]} == {"PLAN_LATE"}


def test_check_scopes_and_languages(data):
    whole = json.loads(call("check", data, "--format", "json", "--lang", "en").stdout)["findings"]
    aiz = json.loads(
        call("check", data, "--format", "json", "--municipality", "LV-002", "--lang", "en").stdout
    )["findings"]
    assert 0 < len(aiz) < len(whole)
    partner = aiz[0]["partner_id"]
    one = json.loads(call("check", data, "--format", "json", "--partner", partner).stdout)[
        "findings"
    ]
    assert {f["partner_id"] for f in one} == {partner}
    table = call("check", data, "--lang", "en", "--limit", "3")
    assert (
        table.exit_code == 1 and "What to fix" in table.stdout and "more findings" in table.stdout
    )
    lv = call("check", data, "--limit", "3")
    assert "Kas jālabo" in lv.stdout


def test_check_csv(data):
    r = call("check", data, "--format", "csv", "--lang", "en")
    lines = r.stdout.splitlines()
    assert lines[0] == (
        "rule,severity,partner_id,school_id,student_id,period,entry_ids,amount_eur,limit_eur,"
        "at_risk_eur,plan_id,message"
    )
    assert len(lines) > 10


@pytest.mark.parametrize(
    "args, message",
    [
        (["--format", "xml"], '--format "xml" is not valid; use one of: table, json, csv'),
        (["--municipality", "Atlantis"], '"Atlantis" is not one of the 43 municipalities'),
        (["--as-of", "31.02.2021"], '"31.02.2021" is not a date; write YYYY-MM-DD or DD.MM.YYYY'),
        (["--partner", "P1", "--municipality", "Rīga"], "give either --partner or --municipality"),
        (["--partner", "NOPE"], '--partner "NOPE" is not a partner_id in the data'),
        (["--rule", "CAP_PIZZA"], "--rule CAP_PIZZA: no such rule"),
    ],
)
def test_check_refuses_a_wrong_call_with_exit_2(data, args, message):
    r = call("check", data, *args)
    assert r.exit_code == 2
    assert message in r.stderr


def test_totals_json_adds_up_for_every_key(data):
    declared = set()
    for by in ("partner", "municipality", "category", "school", "month", "semester", "half-year"):
        r = call("totals", data, "--by", by, "--format", "json")
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        rows, total = doc["rows"], doc["total"]
        for k in (
            "declared_eur",
            "ineligible_eur",
            "over_allocation_eur",
            "eligible_eur",
            "esf_eur",
            "state_eur",
        ):
            assert sum(Decimal(str(x[k])) for x in rows) == Decimal(str(total[k])), (by, k)
        for x in rows:
            assert Decimal(str(x["esf_eur"])) + Decimal(str(x["state_eur"])) == Decimal(
                str(x["eligible_eur"])
            )
            assert all(_two_decimals(v) for k, v in x.items() if k.endswith("_eur"))
        declared.add(total["declared_eur"])
        key = {
            "half-year": "half_year",
            "month": "service_month",
            "school": "school_id",
            "partner": "partner_id",
        }
        assert key.get(by, by) in rows[0]
    assert len(declared) == 1


def test_totals_csv_and_table(data):
    r = call("totals", data, "--by", "category", "--format", "csv")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("category,declared_eur,")
    assert lines[-1].startswith("TOTAL,")
    t = call("totals", data, "--by", "category", "--lang", "en")
    assert t.exit_code == 0 and "Total" in t.stdout and "Meals" in t.stdout


def test_totals_csv_before_any_payment_still_has_header_and_total(data):
    r = call("totals", data, "--by", "category", "--as-of", "2017-01-01", "--format", "csv")
    lines = r.stdout.splitlines()
    assert lines[0].startswith("category,declared_eur,") and lines[1].startswith("TOTAL,0.00,")
    assert len(lines) == 2


def test_indicators_json(data):
    r = call("indicators", data, "--per", "school_year", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["rows"]
    names = {x["indicator"] for x in rows}
    assert names == {
        "students_supported", "support_plans", "institutions_involved", "municipalities_involved",
        "ngo_projects", "continued_share",
    }  # fmt: skip
    inst = [x for x in rows if x["indicator"] == "institutions_involved"]
    assert all(x["target"] in (614, 611, 665) for x in inst)
    bad = call("indicators", data, "--by", "galaxy")
    assert bad.exit_code == 2
