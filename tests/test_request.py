"""One request behind every report: `ReportRequest` owns every default and check, decides
the report date by the one rule, builds the audience's policy once, and crosses
papermill's boundary through `to_parameters` / `from_parameters`; a batch opens its data
source once."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import write_folder
from pumpurs import sources
from pumpurs.cli import app
from pumpurs.core.calendar import report_date
from pumpurs.core.errors import UsageError
from pumpurs.core.rules import judge
from pumpurs.core.settings import DEFAULT_PROGRAMME, load_programme
from pumpurs.report.audience import Audience
from pumpurs.report.request import ReportRequest
from pumpurs.run import release
from pumpurs.run.batch import RunOptions, prepare_shared
from pumpurs.run.inputs import validate_inputs
from pumpurs.run.plan import make_task
from pumpurs.sources import load
from pumpurs.sources.folder import FolderSource

ROOT = Path(__file__).resolve().parents[1]
LIB = ROOT / "lib" / "pumpurs"


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("request") / "data")


@pytest.fixture(scope="module")
def latest_paid(data: Path) -> dt.date:
    return load(data).expenditures["paid_on"].max().date()


# ---------------------------------------------------------------------------
# The one rule
# ---------------------------------------------------------------------------
def test_the_rule_as_of_then_the_period_then_the_latest_paid_on_then_the_programme_end():
    paid = pd.Series(pd.to_datetime(["2021-03-04", "2021-05-17"]))
    assert report_date("2021-H1", "2021-04-30", paid_on=paid) == dt.date(2021, 4, 30)
    assert report_date("2021-H1", None, paid_on=paid) == dt.date(2021, 6, 30)  # not capped
    assert report_date(None, "2022-01-10", paid_on=paid) == dt.date(2022, 1, 10)
    assert report_date(None, None, paid_on=paid) == dt.date(2021, 5, 17)
    no_payment = pd.Series([], dtype="datetime64[ns]")
    assert report_date(paid_on=no_payment, programme_end="2023-12") == dt.date(2023, 12, 31)
    with pytest.raises(UsageError) as e:
        report_date("2021-H1", "2021-07-01")
    assert str(e.value) == (
        "--as-of 2021-07-01 is outside the period 2021-H1 (2021-01-01 to 2021-06-30); give a "
        "report date within it, or --period 2021-H2 for a report at 2021-07-01"
    )


def test_data_without_payments_is_judged_at_the_programmes_end_not_today(data: Path):
    programme = load_programme()
    ds = load(data, programme)
    ds.expenditures = ds.expenditures.iloc[0:0]
    assert judge(ds, programme).as_of == dt.date(2023, 12, 31)


def test_no_date_today_in_core():
    found = [
        f"{p.relative_to(LIB)}:{n}"
        for p in sorted((LIB / "core").rglob("*.py"))
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\b(date|datetime)\.(today|now)\(", line)
    ]
    assert found == []


# ---------------------------------------------------------------------------
# The request: defaults, checks, and the papermill boundary
# ---------------------------------------------------------------------------
def test_a_request_round_trips_through_a_notebooks_parameters(data: Path):
    request = ReportRequest.build(
        data, period="2021-H1", as_of="2021-05-31", audience="public", lang="en",
        programme_path=DEFAULT_PROGRAMME,
    )  # fmt: skip
    parameters = request.to_parameters()
    assert parameters == {
        "data": str(data),
        "period": "2021-H1",
        "as_of": "2021-05-31",
        "audience": "public",
        "lang": "en",
        "programme_path": str(Path(DEFAULT_PROGRAMME).resolve()),
    }
    again = ReportRequest.from_parameters(**parameters)
    assert again.to_parameters() == parameters
    assert again.audience == Audience("public", 5) and again.report_date() == dt.date(2021, 5, 31)


def test_a_notebooks_default_parameters_make_the_default_request(data: Path, latest_paid):
    request = ReportRequest.from_parameters(data=str(data))
    assert (request.period, request.as_of, request.audience, request.lang) == (
        None, None, Audience("internal", 5), "lv",
    )  # fmt: skip
    assert request.report_date(load(data)) == latest_paid
    assert ReportRequest.from_parameters(data=str(data), period="2020-H2").report_date() == (
        dt.date(2020, 12, 31)
    )


@pytest.mark.parametrize(
    "asked, message",
    [
        ({"lang": "de"}, '--lang "de" is not valid; use one of: lv, en'),
        ({"audience": "press"}, 'audience "press" is not valid; use one of: internal, public'),
        (
            {"period": "2021-H3"},
            '"2021-H3" is not a reporting period; write a half-year, e.g. 2020-H2',
        ),
        (
            {"period": "2021-H2", "as_of": "2021-06-30"},
            "--as-of 2021-06-30 is outside the period 2021-H2 (2021-07-01 to 2021-12-31); give a "
            "report date within it, or --period 2021-H1 for a report at 2021-06-30",
        ),
    ],
)
def test_a_request_refuses_what_is_wrong(data: Path, asked: dict[str, str], message: str):
    with pytest.raises(UsageError) as e:
        ReportRequest.from_parameters(data=str(data), **asked)
    assert str(e.value) == message


# ---------------------------------------------------------------------------
# check, totals, run and the notebooks decide the report date the same way
# ---------------------------------------------------------------------------
def test_check_and_totals_date_by_the_latest_paid_on(data: Path, latest_paid):
    for command in ("check", "totals"):
        out = CliRunner().invoke(app, [command, str(data), "--format", "json"])
        assert json.loads(out.stdout)["as_of"] == latest_paid.isoformat(), command


def test_run_and_its_notebooks_date_by_the_period_and_share_one_request(data: Path, tmp_path):
    inputs = validate_inputs(
        RunOptions(data=data, municipalities=["Aizkraukles novads"], period="2021-H1",
                   out=tmp_path / "reports")
    )  # fmt: skip
    assert inputs.as_of == dt.date(2021, 6, 30) == inputs.request.report_date()
    asked = {
        k: v for k, v in inputs.reports[0].parameters.items() if k in inputs.request.to_parameters()
    }
    in_the_kernel = ReportRequest.from_parameters(**asked)
    assert in_the_kernel.report_date() == inputs.as_of
    assert in_the_kernel.to_parameters() == inputs.request.to_parameters()


# ---------------------------------------------------------------------------
# The audience's policy built once per batch, with the programme; the source opened once
# ---------------------------------------------------------------------------
class Counted:
    """A data folder behind a URL of its own, counting how often it is opened."""

    opened: list[str] = []

    def __init__(self, text: str) -> None:
        Counted.opened.append(text)
        self._folder = FolderSource(Path(text.split("://", 1)[1]))
        self.spec = text
        self.label = self._folder.label

    def __getattr__(self, name: str) -> Any:
        return getattr(self._folder, name)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch, data: Path, tmp_path: Path) -> dict[str, Any]:
    """A batch's parent process up to its workers: check the call, judge and store once,
    make every report's task; the data opened and the audiences built, counted."""
    monkeypatch.setitem(sources._REGISTRY, "counted", Counted)
    monkeypatch.setattr(Counted, "opened", [])
    built: list[Audience] = []
    post_init = Audience.__post_init__

    def counting(self: Audience) -> None:
        built.append(self)
        post_init(self)

    monkeypatch.setattr(Audience, "__post_init__", counting)
    settings = tmp_path / "params" / "programme.yaml"
    settings.parent.mkdir()
    text = Path(DEFAULT_PROGRAMME).read_text(encoding="utf-8")
    settings.write_text(text.replace("  min_count: 5 ", "  min_count: 3 "), encoding="utf-8")
    opts = RunOptions(
        data=f"counted://{data}", municipalities=["Aizkraukles novads", "Rīga"], overview=True,
        period="2021-H1", audience="public", out=tmp_path / "reports", programme=settings,
    )  # fmt: skip
    inputs = validate_inputs(opts)
    inputs.private_cache = tmp_path / "cache"
    shared = prepare_shared(inputs)
    release.prepare(inputs, shared)
    tasks = [make_task(inputs, shared, spec, tmp_path / spec.id) for spec in inputs.reports]
    shared.close()
    return {"built": built, "opened": Counted.opened, "inputs": inputs, "tasks": tasks}


def test_a_batch_builds_its_audience_policy_once_with_the_programmes_threshold(counted):
    assert [(a.name, a.min_count) for a in counted["built"]] == [("public", 3)]
    assert counted["inputs"].policy() is counted["built"][0]
    assert [t["expect"] for t in counted["tasks"]] == [["report.xlsx"]] * 3


def test_a_batch_opens_its_data_source_once(counted, data: Path):
    assert counted["opened"] == [f"counted://{data}"]
    assert [t["parameters"]["data"] for t in counted["tasks"]] == [f"counted://{data}"] * 3
