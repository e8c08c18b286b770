"""The analyst's front door: `pumpurs.open()` says what the commands and reports say,
in plain pandas (euros exact to the cent, NA for a missing id, no internal columns)."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import pumpurs
from pumpurs.cli import app
from pumpurs.core.errors import UsageError
from pumpurs.present.frames import eur_to_cents

MONEY = ["declared_eur", "ineligible_eur", "over_allocation_eur", "eligible_eur", "esf_eur",
         "state_eur"]  # fmt: skip


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    from pumpurs.demo import write_demo

    folder = tmp_path_factory.mktemp("demo") / "small"
    write_demo(folder, scale="small", seed=1)
    return folder


@pytest.fixture(scope="module")
def view(data):
    return pumpurs.open(data)


def cli_json(*args: object) -> dict:
    result = CliRunner().invoke(app, [str(a) for a in args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)


def cents(values: pd.Series) -> int:
    """A column of euros summed to its exact cents."""
    return int(eur_to_cents(values).sum())


def as_cents(value: object) -> int | None:
    return None if value is None else int(Decimal(str(value)) * 100)


def test_import_pumpurs_stays_light():
    code = "import sys, pumpurs; print(sorted({'pandas', 'pumpurs.api'} & set(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert "open" in dir(pumpurs) and pumpurs.open is pumpurs.api.open


def test_totals_by_category_add_up_to_the_key_figure_to_the_cent(view, data):
    total = cli_json("totals", data, "--by", "partner", "--format", "json")["total"]
    eligible = view.totals(by="category")["eligible_eur"]
    assert round(float(eligible.sum()), 2) == float(total["eligible_eur"])
    assert cents(eligible) == as_cents(total["eligible_eur"])
    for column in MONEY:
        assert cents(view.totals(by="category")[column]) == as_cents(total[column]), column


def test_a_municipality_view_adds_up_to_its_report_key_figure(view):
    from pumpurs.core.calendar import parse_period
    from pumpurs.report.municipality import municipality_report

    report = municipality_report(
        view.judgement, view.programme, "LV-002", parse_period("2023-H2"), "internal"
    )
    figures = report.key_figures.set_index("figure")["cumulative_cents"]
    aiz = view.municipality("LV-002")
    assert cents(aiz.totals(by="category")["eligible_eur"]) == figures["eligible"]
    assert cents(aiz.totals(by="school_year")["esf_eur"]) == figures["esf"]
    assert (
        cents(view.totals(by="school_id", municipality="Aizkraukles novads")["declared_eur"])
        == (figures["declared"])
    )


def test_every_key_of_the_ledger_totals_to_the_same_euros(view):
    whole = {c: cents(view.totals(by="category")[c]) for c in MONEY}
    keys = ["partner_id", "municipality", "school_id", "service_month", "semester",
            "school_year", "half_year", "specialist_role", "month", "half-year"]  # fmt: skip
    for key in keys:
        table = view.totals(by=key)
        assert {c: cents(table[c]) for c in MONEY} == whole, key
    assert list(view.totals(by="school_year").columns[:2]) == ["school_year", "declared_eur"]
    assert list(view.totals(by="half-year").columns[:1]) == ["half_year"]


def test_per_splits_each_row_and_keeps_the_whole(view):
    by_cat = view.totals(by="category").set_index("category")
    split = view.totals(by="category", per="half_year")
    assert list(split.columns[:2]) == ["category", "half_year"]
    assert not split[["category", "half_year"]].duplicated().any()
    summed = split.groupby("category", observed=True)[MONEY].sum()
    for c in ["declared_eur", "ineligible_eur", "eligible_eur"]:
        assert (eur_to_cents(summed[c]) == eur_to_cents(by_cat[c][summed.index])).all(), c
    assert cents(split["esf_eur"]) == cents(by_cat["esf_eur"])  # the ESF total, to the cent
    partners = view.totals(by="partner_id", per="school_year")
    assert list(partners.columns[:3]) == ["partner_id", "name", "school_year"]


def test_totals_refuses_a_column_that_is_no_key(view):
    with pytest.raises(UsageError, match=r'"paid_on" is not a key of the ledger; use one of: '):
        view.totals(by="paid_on")


def test_findings_are_what_check_says(view, data):
    expected = cli_json("check", data, "--format", "json", "--lang", "en")["findings"]
    got = view.findings(lang="en")
    assert len(got) == len(expected) > 0
    for row, exp in zip(got.to_dict("records"), expected, strict=True):
        for key in ("rule", "severity", "partner_id", "school_id", "student_id", "period"):
            assert ("" if pd.isna(row[key]) else row[key]) == exp[key], key
        assert list(row["entry_ids"]) == exp["entry_ids"]
        for key in ("amount_eur", "limit_eur", "at_risk_eur"):
            shown = None if pd.isna(row[key]) else round(row[key] * 100)
            assert shown == as_cents(exp[key]), key
        assert row["message"] == exp["message"]


def test_findings_filters_match_check_options(view, data):
    aiz = cli_json("check", data, "--municipality", "LV-002", "--rule", "ELIG_NO_PLAN",
                   "--format", "json")["findings"]  # fmt: skip
    got = view.findings(rule="ELIG_NO_PLAN", municipality="LV-002")
    assert [list(t) for t in got["entry_ids"]] == [f["entry_ids"] for f in aiz]
    assert set(got["municipality"]) == {"Aizkraukles novads"}
    assert set(view.findings(severity="warning")["severity"]) == {"warning"}
    assert len(view.findings(rule=["PLAN_LATE", "ELIG_PERIOD"])) == len(
        view.findings(rule="PLAN_LATE")
    ) + len(view.findings(rule="ELIG_PERIOD"))
    with pytest.raises(UsageError, match='severity "fatal" is not valid; use error or warning'):
        view.findings(severity="fatal")


def test_repr_is_one_short_line_of_the_facts(view):
    text = repr(view)
    s = view.judgement
    errors = int((s.findings["severity"] == "error").sum())
    assert "\n" not in text and len(text) < 250
    assert text.startswith(f"<ProgrammeView {view.label} as of {s.as_of.isoformat()}: 5 partners,")
    assert f"; {errors} errors," in text
    declared = int(s.ledger["amount_cents"].sum())
    assert f"declared €{declared // 100:,}.{declared % 100:02d}," in text
    assert "<table>" in view._repr_html_() and "as of" in view._repr_html_()


def _tables(view) -> dict[str, pd.DataFrame]:
    return {
        **view.tables(),
        "totals": view.totals(by="partner_id"),
        "indicators": view.indicators(),
        "indicators by municipality": view.indicators(by="municipality", per="semester"),
    }


def test_no_internal_columns_and_no_cents(view):
    for name, frame in _tables(view).items():
        hidden = [c for c in frame.columns if c.startswith("_") or c.endswith("_cents")]
        assert hidden == [], name


def test_missing_ids_are_na_never_empty_text(view):
    raw = view.judgement.ledger
    ledger = view.ledger
    assert (ledger["school_id"].isna() == (raw["school_id"] == "")).all()
    assert ledger["school_id"].isna().any() and str(ledger["school_id"].dtype) == "string"
    for name, frame in _tables(view).items():
        for col in frame.columns:
            s = frame[col]
            if isinstance(s.dtype, pd.CategoricalDtype | pd.StringDtype):
                assert not (s.astype(object) == "").any(), f"{name}.{col}"
                assert not isinstance(s.dtype, pd.StringDtype) or s.dtype.na_value is pd.NA


def test_euros_are_the_exact_cents(view):
    raw, ledger = view.judgement.ledger, view.ledger
    for c in ("amount", "ineligible", "over_allocation", "eligible"):
        assert str(ledger[f"{c}_eur"].dtype) == "Float64"
        assert (eur_to_cents(ledger[f"{c}_eur"]).to_numpy() == raw[f"{c}_cents"].to_numpy()).all()
        assert cents(ledger[f"{c}_eur"]) == int(raw[f"{c}_cents"].sum())
    assert str(ledger["esf_rate"].dtype) == "Float64"
    ledger["eligible_eur"] * ledger["esf_rate"]  # numbers, not text


def test_views_by_name_code_and_date(view, data):
    by_name, by_code = view.municipality("Aizkraukles novads"), view.municipality("LV-002")
    assert by_name.scope == by_code.scope == "Aizkraukles novads"
    assert by_name.ledger.equals(by_code.ledger)
    assert set(by_name.ledger["municipality"].astype(str)) == {"Aizkraukles novads"}
    earlier = view.at("2020-06-30")
    assert earlier.as_of.isoformat() == "2020-06-30"
    assert earlier.ledger["paid_on"].max() <= pd.Timestamp("2020-06-30")
    assert repr(earlier) == repr(pumpurs.open(data, as_of="2020-06-30"))
    assert view.municipality("LV-002").at("2020-06-30").scope == "Aizkraukles novads"
    with pytest.raises(UsageError, match="not a partner_id in the data"):
        view.partner("P999")


def test_indicators_with_targets_beside_values(view):
    whole = view.indicators()
    assert list(whole.columns[:2]) == ["indicator", "value"]
    assert whole["target"].notna().sum() == 2 and whole["met"].notna().sum() == 2
    per = view.indicators(per="school_year")
    assert "school_year" in per.columns and per["school_year"].notna().all()
    by = view.indicators(by="municipality")
    assert set(by["municipality"]) == set(view.partners["municipality"])
    assert view.municipality("LV-002").indicators()["target"].isna().all()  # national only


def test_exports_keep_the_exact_euros(view, data, tmp_path):
    import duckdb
    import pyarrow.parquet as pq

    total = cli_json("totals", data, "--by", "partner", "--format", "json")["total"]
    files = view.to_parquet(tmp_path / "bi")
    assert sorted(f.name for f in files) == sorted(f"{t}.parquet" for t in view.tables())
    ledger = pq.read_table(tmp_path / "bi" / "ledger.parquet")
    assert str(ledger.schema.field("eligible_eur").type) == "decimal128(18, 2)"
    assert ledger.column("eligible_eur").to_pandas().sum() == Decimal(str(total["eligible_eur"]))
    view.to_duckdb(tmp_path / "bi.duckdb")
    with duckdb.connect(str(tmp_path / "bi.duckdb")) as con:
        summed = con.execute("SELECT sum(eligible_eur) FROM ledger").fetchone()[0]
        ids = con.execute("SELECT count(*) FROM findings WHERE len(entry_ids) > 0").fetchone()[0]
    assert summed == Decimal(str(total["eligible_eur"]))
    assert ids == int((view.findings()["entry_ids"].map(len) > 0).sum()) > 0


def test_plots_draw_the_reports_charts(view):
    from pumpurs.present.charts import to_png

    aiz = view.municipality("LV-002")
    for figure in (aiz.plot.cumulative(), aiz.plot.by_category("en"), view.plot.by_semester(),
                   view.plot.caps(), view.plot.absorption(), view.plot.trend()):  # fmt: skip
        assert figure.axes[0].get_title(loc="left") or figure.axes[0].get_title()
    assert to_png(view.plot.by_category()).startswith(b"\x89PNG")


def test_style_writes_latvian_numbers_and_keeps_the_frame(view):
    table = view.totals(by="partner_id")
    shown = pumpurs.style(table).to_html()
    first = int(eur_to_cents(table["declared_eur"]).iloc[0])
    euros = f"{first // 100:,}".replace(",", "\u00a0") + f",{first % 100:02d}\u00a0€"
    assert euros in shown
    assert "Deklarēts" in shown and "Piešķīrums" in shown or "declared_eur" not in shown
    en = pumpurs.style(view.ledger.head(3), lang="en").to_html()
    assert "–" in en  # a missing number (hours)
    assert str(table["declared_eur"].dtype) == "Float64"  # formatting changes no value


def test_vocabularies_follow_the_latvian_alphabet_and_lose_empty_text():
    from pumpurs.present.frames import analyst_frame

    towns = pd.Series(["Ādažu novads", "Zilupes novads", "", "Aizkraukles novads"])
    frame = analyst_frame(pd.DataFrame({"municipality": towns, "_row": [2, 3, 4, 5]}))
    assert list(frame.columns) == ["municipality"]
    assert list(frame["municipality"].cat.categories) == [
        "Aizkraukles novads", "Ādažu novads", "Zilupes novads"
    ]  # fmt: skip
    assert frame["municipality"].isna().tolist() == [False, False, True, False]


def test_style_aligns_text_left_and_writes_whole_numbers_whole():
    frame = pd.DataFrame(
        {
            "indicator": ["support_plans", "continued_share"],
            "value": pd.array([481.0, 0.7156], dtype="Float64"),
        }
    )
    shown = pumpurs.style(frame, "lv").to_html()
    assert ">481<" in shown and ">0,72<" in shown
    assert ">Individuālie atbalsta plāni<" in shown  # a code in words
    assert "text-align: left" in shown and "text-align: right" in shown
