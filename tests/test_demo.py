"""The demo data writer: it loads cleanly, carries the seed's Kokneses partner, breaks
every rule it says it breaks (and nothing else), and writes the same bytes for a seed."""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from pumpurs.cli import app
from pumpurs.core.errors import UsageError
from pumpurs.core.settings import load_programme
from pumpurs.demo import expected_findings, write_demo
from pumpurs.demo.common import ELIG_RULES, FINDINGS_COLUMNS, FINDINGS_FILE
from pumpurs.sources.folder import load_data

PROG = load_programme()
ERROR_RULES = (*ELIG_RULES, "DUPLICATE_CLAIM", *(c.rule for c in PROG.caps), "BUDGET_ALLOCATION")


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "small"
    write_demo(out, scale="small", seed=1)
    return out


@pytest.fixture(scope="module")
def small_ds(small: Path):
    return load_data(small, PROG)


@pytest.fixture(scope="module")
def findings(small: Path) -> pd.DataFrame:
    return pd.read_csv(small / FINDINGS_FILE, dtype=str, keep_default_na=False)


def _ids(findings: pd.DataFrame, rule: str) -> list[list[str]]:
    return [x.split(";") for x in findings.loc[findings["rule"] == rule, "entry_ids"]]


def test_small_loads_without_problems(small_ds) -> None:
    ds = small_ds
    assert 4 <= len(ds.partners) <= 7
    assert ds.partners["municipality"].nunique() in (2, 3)
    assert (ds.partners["kind"] == "vpil").sum() >= 1
    assert 100 <= len(ds.support_plans) <= 1500
    assert 1000 <= len(ds.expenditures) <= 10000
    assert len(ds.outcomes) > 0


def test_kokneses_partner_and_its_four_schools(small_ds) -> None:
    ds = small_ds
    p = ds.partners.loc[ds.partners["name"] == "Kokneses novads"]
    assert len(p) == 1
    assert p["kind"].iat[0] == "municipality"
    assert p["municipality"].iat[0] == "Aizkraukles novads"
    assert p["agreement_date"].iat[0] == pd.Timestamp("2019-11-22")
    schools = ds.schools.loc[ds.schools["partner_id"] == p["partner_id"].iat[0]]
    assert dict(zip(schools["name"], schools["round"], strict=True)) == {
        "Bebru pamatskola": 1,
        "Kokneses pamatskola-attīstības centrs": 1,
        "I. Gaiša Kokneses vidusskola": 2,
        "Pērses sākumskola": 2,
    }
    assert (schools["joined_on"] >= p["agreement_date"].iat[0]).all()


def test_every_rule_is_injected_at_least_twice(findings: pd.DataFrame) -> None:
    counts = findings["rule"].value_counts()
    for rule in (*ERROR_RULES, "PLAN_LATE"):
        assert counts.get(rule, 0) >= 2, rule


def test_expected_findings_are_what_the_rules_find_in_the_files(small_ds, findings) -> None:
    ds = small_ds
    judged = expected_findings(ds.partners, ds.schools, ds.support_plans, ds.expenditures, PROG)
    pd.testing.assert_frame_equal(judged, findings)


def _assert_engine_agrees(ds, findings: pd.DataFrame) -> None:
    """The acceptance check: every line is found, and nothing else is an error."""
    from pumpurs.core.rules import judge

    f = judge(ds, PROG).findings
    cols = ["rule", "partner_id", "entry_ids", "plan_id", "severity"]
    got = {
        (rule, partner, ";".join(sorted(ids)), plan or "")
        for rule, partner, ids, plan, severity in f[cols].fillna("").itertuples(index=False)
        if severity == "error" or rule == "PLAN_LATE"
    }
    assert got == set(findings.itertuples(index=False, name=None))


def test_the_rules_engine_finds_exactly_the_expected_breaches(small_ds, findings) -> None:
    _assert_engine_agrees(small_ds, findings)


def test_expected_findings_format(small_ds, findings: pd.DataFrame) -> None:
    assert tuple(findings.columns) == FINDINGS_COLUMNS
    known = set(small_ds.expenditures["entry_id"])
    for rule, entry_ids, plan_id in findings[["rule", "entry_ids", "plan_id"]].itertuples(
        index=False
    ):
        ids = entry_ids.split(";") if entry_ids else []
        assert ids == sorted(ids) and set(ids) <= known
        assert bool(ids) == (rule not in ("BUDGET_ALLOCATION", "PLAN_LATE"))
        assert bool(plan_id) == (rule == "PLAN_LATE")
        if rule in ELIG_RULES:
            assert len(ids) == 1


def test_tricky_breaches_are_there(small_ds, findings: pd.DataFrame) -> None:
    e = small_ds.expenditures.set_index("entry_id")
    # a row breaking two eligibility rules carries both
    elig = findings.loc[findings["rule"].isin(ELIG_RULES), "entry_ids"]
    assert elig.duplicated().any()
    # a duplicate claim and a cap group spanning two partners
    assert any(e.loc[g, "partner_id"].nunique() == 2 for g in _ids(findings, "DUPLICATE_CLAIM"))
    caps = [g for c in PROG.caps for g in _ids(findings, c.rule)]
    assert any(e.loc[g, "partner_id"].nunique() == 2 for g in caps)
    # a plan drawn up the day after the service month does not cover it
    plans = small_ds.support_plans
    no_plan = e.loc[[g[0] for g in _ids(findings, "ELIG_NO_PLAN")]]
    month_end = pd.to_datetime(no_plan["service_month"] + "-01") + pd.offsets.MonthEnd(0)
    day_after = set(
        zip(
            no_plan["student_id"],
            no_plan["school_id"],
            month_end + pd.Timedelta(days=1),
            strict=True,
        )
    )
    assert day_after & set(
        zip(plans["student_id"], plans["school_id"], plans["created_on"], strict=True)
    )


def test_groups_exactly_at_a_cap_are_not_findings(small_ds, findings: pd.DataFrame) -> None:
    e = small_ds.expenditures
    listed = {i for ids in findings["entry_ids"] for i in ids.split(";") if i}
    at_cap = 0
    for cap in PROG.caps:
        if cap.per != "student_month":
            continue
        rows = e.loc[e["category"] == cap.category]
        total = rows.groupby(["student_id", "service_month"])["amount_cents"].transform("sum")
        exact = rows.loc[total == int(cap.versions[-1].limit_eur * 100), "entry_id"]
        at_cap += len(exact)
        assert not set(exact) & listed
    assert at_cap > 0


def test_plans_and_pupils_look_real(small_ds) -> None:
    p = small_ds.support_plans
    assert not p.duplicated(["student_id", "school_id", "semester"]).any()
    assert p["student_id"].nunique() < len(p)
    assert p["student_id"].str.fullmatch(r"[0-9a-f]{8}").all()
    moved = p.groupby("student_id")["school_id"].nunique()
    assert (moved > 1).any()
    ledger = small_ds.expenditures
    assert set(ledger["category"]) == {
        "consultation",
        "transport_intercity",
        "accommodation",
        "meals",
        "special_transport",
        "personal_items",
        "learning_materials",
        "ngo_project",
        "staff_development",
        "coordination",
    }
    assert ledger["document_ref"].str.startswith(("INV-", "BIL-", "ALGA-", "ČEKS-", "KR-")).all()
    notes = ledger["amount_cents"] < 0  # credit notes have their own documents
    assert ledger.loc[notes, "document_ref"].str.startswith("KR-").all()


def test_tables_use_several_formats_and_dialects(small: Path, small_ds) -> None:
    names = {p.name for p in small.iterdir()}
    assert {
        "data.xlsx",
        "support_plans.csv",
        "expenditures.csv",
        "outcomes.parquet",
        FINDINGS_FILE,
    } <= names
    dialects = {s.dialect for s in small_ds.sources.values()}
    assert {"xlsx", "parquet", "csv ; cp1257", "csv , utf-8"} <= dialects
    assert b"\r\n" in (small / "expenditures.csv").read_bytes()[:300]


def test_same_seed_same_bytes_other_seed_other_ledger(small: Path, tmp_path: Path) -> None:
    again, other = tmp_path / "again", tmp_path / "other"
    write_demo(again, scale="small", seed=1)
    write_demo(other, scale="small", seed=2)
    for f in small.iterdir():
        assert (again / f.name).read_bytes() == f.read_bytes(), f.name
    assert (other / "expenditures.csv").read_bytes() != (small / "expenditures.csv").read_bytes()


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(UsageError, match="not an empty folder"):
        write_demo(out)
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]


def test_refuses_a_bad_scale(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="small or national"):
        write_demo(tmp_path / "out", scale="huge")
    assert list(tmp_path.iterdir()) == []


def test_writes_into_an_empty_existing_folder(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    summary = write_demo(out, scale="small", seed=5)
    assert "expected_findings.csv" in summary
    assert (out / FINDINGS_FILE).is_file()
    assert [p.name for p in tmp_path.iterdir()] == ["empty"]  # no temporary folder left


def test_cli_demo_data(tmp_path: Path) -> None:
    out = tmp_path / "cli"
    runner = CliRunner()
    result = runner.invoke(app, ["demo-data", str(out), "--scale", "small", "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert (out / FINDINGS_FILE).is_file()
    again = runner.invoke(app, ["demo-data", str(out), "--scale", "small", "--seed", "3"])
    assert again.exit_code == 2


@pytest.mark.slow
def test_national_scale(tmp_path: Path) -> None:
    out = tmp_path / "national"
    started = time.perf_counter()
    write_demo(out, scale="national", seed=1)
    assert time.perf_counter() - started < 60
    ds = load_data(out, PROG)
    assert len(ds.schools) == 611
    muni = ds.partners.loc[ds.partners["kind"] == "municipality"]
    assert 0.85 <= len(muni) / 119 <= 0.9
    assert 15 <= (ds.partners["kind"] == "vpil").sum() <= 25
    assert 500_000 <= len(ds.expenditures) <= 900_000
    assert ds.partners["allocation_cents"].sum() < int(PROG.budget.total_eur * 100)
    plans = ds.support_plans.groupby(ds.support_plans["semester"].str.slice(0, 9)).size()
    for published in PROG.targets.support_plans_per_school_year:
        assert abs(plans[published.school_year] / published.value - 1) < 0.05
    findings = pd.read_csv(out / FINDINGS_FILE, dtype=str, keep_default_na=False)
    _assert_engine_agrees(ds, findings)
    counts = findings["rule"].value_counts()
    assert all(counts.get(rule, 0) >= 10 for rule in (*ERROR_RULES, "PLAN_LATE"))
    breaching = {i for ids in findings["entry_ids"] for i in ids.split(";") if i}
    assert 0.005 <= len(breaching) / len(ds.expenditures) <= 0.01


# --- corrections: credit notes and stornos of clean rows, and the "bad" variant -----------
def test_the_demo_ledger_holds_every_kind_of_correction(small_ds) -> None:
    e = small_ds.expenditures
    notes = e[e["amount_cents"] < 0]
    rows = e.set_index("entry_id").loc[notes["corrects_entry_id"]]
    assert 0.01 <= len(notes) / len(e) <= 0.06  # a few percent
    per_row = notes.groupby("corrects_entry_id")["amount_cents"].agg(["sum", "size"])
    amount = e.set_index("entry_id")["amount_cents"].reindex(per_row.index)
    assert ((per_row["size"] == 1) & (-per_row["sum"] < amount)).any()  # partial
    assert ((per_row["size"] == 1) & (-per_row["sum"] == amount)).any()  # storno
    assert (per_row["size"] == 2).any()  # split in two
    delay = (notes["paid_on"].to_numpy() - rows["paid_on"].to_numpy()).astype("timedelta64[D]")
    assert (delay >= pd.Timedelta(days=60).to_numpy()).any()  # months later
    half = (notes["paid_on"].dt.year * 2 + (notes["paid_on"].dt.month > 6)).to_numpy()
    row_half = (rows["paid_on"].dt.year * 2 + (rows["paid_on"].dt.month > 6)).to_numpy()
    assert (half > row_half).any()  # paid in the half-year after its row
    assert notes["paid_on"].max() <= e.loc[e["amount_cents"] > 0, "paid_on"].max()


def test_the_bad_variant_plants_corrections_validation_refuses(small: Path, tmp_path) -> None:
    from pumpurs.core.errors import InputError
    from pumpurs.demo.corrections import bad_corrections
    from pumpurs.sources import FramesSource, load

    ds = load_data(small, PROG)
    frames = {n: ds.table(n).drop(columns="_row") for n in ("partners", "schools",
              "support_plans", "outcomes")}  # fmt: skip
    frames["partners"] = frames["partners"].drop(columns="municipality_code")
    e = bad_corrections(ds.expenditures.drop(columns="_row"))
    frames["expenditures"] = e.rename(columns={"amount_cents": "amount_eur"}).assign(
        amount_eur=lambda f: (f["amount_eur"] / 100).map("{:.2f}".format)
    )
    frames["partners"] = frames["partners"].rename(columns={"allocation_cents": "allocation_eur"})
    frames["partners"]["allocation_eur"] = frames["partners"]["allocation_eur"] / 100
    with pytest.raises(InputError) as info:
        load(FramesSource(frames), PROG)
    planted = {p.key: p.column for p in info.value.problems if p.key and "BAD" in p.key}
    row = e[e["entry_id"] == "BAD-5"]["corrects_entry_id"].iloc[0]
    below = [p for p in info.value.problems if p.key == f"entry_id {row}"]
    assert planted == {
        "entry_id BAD-1": "corrects_entry_id",
        "entry_id BAD-2": "corrects_entry_id",
        "entry_id BAD-3": "corrects_entry_id",
        "entry_id BAD-4": "partner_id",
        "entry_id BAD-5": "paid_on",
    }
    assert [p.column for p in below] == ["amount_eur"]
    assert "BAD-6" in below[0].message and "is taken below zero" in below[0].message
