"""Corrections (credit notes, stornos) in the ledger: read from every source, refused
exactly where the data contract says, and judged on each row's net amount as of the
report date (docs/rules.md, "Corrections")."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import Row, valid_tables, write_folder
from factory import PARTNERS, correction, entry, plan, world
from pumpurs.core.dataset import Dataset
from pumpurs.core.errors import InputError, Problem
from pumpurs.core.rules import Judgement, judge
from pumpurs.core.settings import load_programme
from pumpurs.core.totals import totals
from pumpurs.sources.folder import load_data

DIALECTS = ["lv", "plain", "xlsx", "parquet", "workbook"]


def _credit(entry_id: str, of: str, amount: str, like: str = "", **kw: object) -> Row:
    """A correction of one of conftest's rows (or one naming `of` with `like`'s service)."""
    row = next(r for r in valid_tables()["expenditures"] if r["entry_id"] == (like or of))
    out = {
        **row,
        "entry_id": entry_id,
        "amount_eur": Decimal(amount),
        "corrects_entry_id": of,
        "document_ref": f"KR-{entry_id}",
        "paid_on": dt.date(2020, 3, 2),
    }
    out.update(kw)
    return out


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_correction_is_read_from_every_file_dialect(dialect: str, tmp_path: Path) -> None:
    tables = valid_tables()
    tables["expenditures"].append(_credit("C1", "E1", "-20.00"))
    ds = load_data(write_folder(tmp_path / "data", tables, dialect))
    e = ds.expenditures.set_index("entry_id")
    assert e.loc["C1", "amount_cents"] == -2000
    assert e.loc["C1", "corrects_entry_id"] == "E1"
    assert (e.drop(index="C1")["corrects_entry_id"] == "").all()


@pytest.mark.parametrize("dialect", ["lv", "parquet"])
def test_a_ledger_without_the_column_reads_as_before(dialect: str, tmp_path: Path) -> None:
    ds = load_data(write_folder(tmp_path / "data", valid_tables(), dialect))
    assert ds.expenditures["corrects_entry_id"].tolist() == [""] * 7
    assert ds.expenditures["amount_cents"].tolist() == [7000, 10, 20, 2550, 460000, 123456, 3000]


# ---------------------------------------------------------------------------
# Refusals: every one at once, each naming both rows
# ---------------------------------------------------------------------------
LATE = dt.date(2021, 8, 2)


def _broken() -> list[Row]:
    """conftest's ledger (rows 2-8) and, from row 9, one broken correction of each kind."""
    rows = valid_tables()["expenditures"]
    rows[1]["amount_eur"] = Decimal("0.00")  # row 3: zero
    rows[2]["amount_eur"] = Decimal("-0.20")  # row 4: negative, names no row
    rows[3]["corrects_entry_id"] = "E1"  # row 5: positive, names a row
    return [
        *rows,
        _credit("C1", "E1", "-50.00"),  # row 9: valid alone; with row 14, E1 goes below zero
        _credit("C2", "C1", "-1.00", like="E1"),  # row 10: a correction of a correction
        _credit("C3", "E99", "-1.00", like="E1"),  # row 11: names no row
        _credit(
            "C4", "E6", "-1.00", partner_id="P001", paid_on=LATE
        ),  # row 12: another partner's row
        _credit("C5", "E7", "-1.00", school_id="S001", student_id="stu-a", paid_on=LATE),  # row 13
        _credit("C6", "E1", "-30.00", paid_on=dt.date(2020, 2, 4), service_month="2020-02"),
    ]


E1 = "row 2 (entry_id E1), the row it corrects"
REPEATS = "(it corrects the money, not the service)"
EXPECTED = [
    'expenditures.csv row 2 (entry_id E1), column amount_eur: "70,00" is taken below zero by its corrections '
    "(row 9 (entry_id C1); row 14 (entry_id C6): -€80.00 in all); corrections take back at most "
    "the row's amount",
    'expenditures.csv row 3, column amount_eur: "0,00" is zero; a row pays an amount, and a '
    "correction (credit note, storno) is a negative amount that names the row it corrects in "
    "corrects_entry_id",
    "expenditures.csv row 4 (entry_id E3), column corrects_entry_id: missing; the amount -0,20 "
    "is negative, so the row is a correction (credit note, storno): give the entry_id of the row "
    "it corrects, or make the amount positive",
    'expenditures.csv row 5 (entry_id E4), column corrects_entry_id: "E1" must be empty: the '
    "amount 25,50 is positive, and only a correction (a negative amount) names a row it corrects",
    'expenditures.csv row 10 (entry_id C2), column corrects_entry_id: "C1" names row 9 '
    "(entry_id C1), itself a correction (-50,00); a correction names the positive row it "
    "corrects, not another correction",
    'expenditures.csv row 11 (entry_id C3), column corrects_entry_id: "E99" is not an entry_id '
    "in expenditures.csv; a correction names the row it corrects",
    'expenditures.csv row 12 (entry_id C4), column partner_id: "P001" differs from row 7 '
    '(entry_id E6), the row it corrects, which has "P002"; a correction repeats the partner_id '
    f"of its row {REPEATS}",
    'expenditures.csv row 13 (entry_id C5), column school_id: "S001" differs from row 8 '
    '(entry_id E7), the row it corrects, which has "S003"; a correction repeats the school_id of '
    f"its row {REPEATS}",
    'expenditures.csv row 13 (entry_id C5), column student_id: "stu-a" differs from row 8 '
    '(entry_id E7), the row it corrects, which has "stu-c"; a correction repeats the student_id '
    f"of its row {REPEATS}",
    f'expenditures.csv row 14 (entry_id C6), column paid_on: "04.02.2020" is before {E1}, was '
    'paid ("05.02.2020"); a correction is paid on or after its row',
    f'expenditures.csv row 14 (entry_id C6), column service_month: "2020-02" differs from {E1}, '
    f'which has "2020-01"; a correction repeats the service_month of its row {REPEATS}',
]


def test_every_broken_correction_is_refused_at_once_naming_both_rows(tmp_path: Path) -> None:
    tables = valid_tables()
    tables["expenditures"] = _broken()
    with pytest.raises(InputError) as info:
        load_data(write_folder(tmp_path / "data", tables, "lv"))
    assert [str(p) for p in info.value.problems] == EXPECTED


@pytest.mark.parametrize("dialect", ["plain", "xlsx", "parquet", "workbook"])
def test_every_dialect_refuses_the_same_corrections(dialect: str, tmp_path: Path) -> None:
    """The same cells refused in every dialect (values are shown as each file writes them)."""
    tables = valid_tables()
    tables["expenditures"] = _broken()
    with pytest.raises(InputError) as info:
        load_data(write_folder(tmp_path / "data", tables, dialect))

    def where(p: Problem) -> tuple:
        return (p.row, p.key, p.column)

    lv = [p.split(":")[0] for p in EXPECTED]
    assert len(info.value.problems) == len(lv)
    assert [where(p) for p in info.value.problems] == [
        (int(s.split("row ")[1].split()[0].rstrip(",")), s.split("(")[1].split(")")[0] if "(" in s
         else None, s.split("column ")[1]) for s in lv
    ]  # fmt: skip


def test_pumpurs_load_writes_corrections_and_a_database_reads_them(tmp_path: Path) -> None:
    from pumpurs.sources import FramesSource, load
    from pumpurs.sources.database import write_dataset

    tables = valid_tables()
    tables["expenditures"].append(_credit("C1", "E1", "-20.00"))
    url = f"duckdb:///{tmp_path / 'db.duckdb'}"
    write_dataset(load_data(write_folder(tmp_path / "data", tables)), url)
    e = load(url).expenditures.set_index("entry_id")
    assert (e.loc["C1", "amount_cents"], e.loc["C1", "corrects_entry_id"]) == (-2000, "E1")
    assert e.drop(index="C1")["corrects_entry_id"].eq("").all()
    # and the in-memory source takes the column as it is given
    memory = load(FramesSource({n: pd.DataFrame(rows) for n, rows in tables.items()}))
    assert memory.expenditures["corrects_entry_id"].tolist() == [""] * 7 + ["E1"]


# ---------------------------------------------------------------------------
# Judging: each row on its net amount as of the report date
# ---------------------------------------------------------------------------
PROGRAMME = load_programme()
AS_OF_BEFORE, AS_OF_AFTER = dt.date(2020, 3, 31), dt.date(2020, 4, 30)


def judged(entries: list[dict], as_of: dt.date, plans: list[dict] | None = None) -> Judgement:
    return judge(world(entries, plans), PROGRAMME, as_of)


def errors(j: Judgement) -> list[tuple]:
    e = j.findings[j.findings["severity"] == "error"]
    return [
        (r.rule, r.entry_ids, r.amount_cents, r.at_risk_cents, r.corrections)
        for r in e.itertuples(index=False)
    ]


def money(j: Judgement, entry_id: str) -> tuple[int, int, int, int]:
    """(net amount, corrected, ineligible, eligible) of one ledger row."""
    row = j.ledger.set_index("entry_id").loc[entry_id]
    cols = ["amount_cents", "corrected_cents", "ineligible_cents", "eligible_cents"]
    return tuple(int(row[c]) for c in cols)  # type: ignore[return-value]


def test_a_credit_note_shrinks_a_cap_excess_from_the_day_it_is_paid() -> None:
    """docs/rules.md's worked example: 100,00 of meals over the 70,00 cap, then -30,00."""
    rows = [
        entry(entry_id="E1", amount_eur="100.00"),
        correction("E1", "-30.00", entry_id="C1", paid_on="2020-04-15"),
    ]
    before, after = judged(rows, AS_OF_BEFORE), judged(rows, AS_OF_AFTER)
    assert errors(before) == [("CAP_MEALS", ("E1",), 10000, 3000, 0)]
    assert money(before, "E1") == (10000, 0, 3000, 7000)
    assert errors(after) == []
    assert money(after, "E1") == (7000, 3000, 0, 7000)


def test_a_partial_credit_note_leaves_the_rest_of_the_excess_at_risk() -> None:
    rows = [
        entry(entry_id="E1", amount_eur="100.00"),
        correction("E1", "-10.00", entry_id="C1", paid_on="2020-03-20"),
        correction("E1", "-5.00", entry_id="C2", paid_on="2020-03-12"),
    ]
    j = judged(rows, AS_OF_BEFORE)
    assert errors(j) == [("CAP_MEALS", ("E1", "C2", "C1"), 8500, 1500, 2)]
    assert money(j, "E1") == (8500, 1500, 1500, 7000)


def test_a_pass_one_row_netted_to_zero_has_no_finding() -> None:
    rows = [
        entry(entry_id="E1", student_id="nobody", amount_eur="40.00"),  # no plan
        correction("E1", "-15.00", entry_id="C1", student_id="nobody", paid_on="2020-03-20"),
        correction("E1", "-25.00", entry_id="C2", student_id="nobody", paid_on="2020-04-02"),
    ]
    before = judged(rows, AS_OF_BEFORE)
    assert errors(before) == [("ELIG_NO_PLAN", ("E1", "C1"), 2500, 2500, 1)]
    after = judged(rows, AS_OF_AFTER)
    assert errors(after) == []
    assert money(after, "E1") == (0, 4000, 0, 0)  # withdrawn: only in corrected_cents
    t = totals(after.ledger, after.partners, "partner").total
    assert (t["declared_cents"], t["corrected_cents"], t["ineligible_cents"]) == (0, 4000, 0)


def test_a_duplicate_withdrawn_by_a_full_storno_is_no_longer_a_duplicate() -> None:
    rows = [
        entry(entry_id="E1", amount_eur="20.00", document_ref="INV-1"),
        entry(entry_id="E2", amount_eur="20.00", document_ref="INV-1", paid_on="2020-03-11"),
        correction("E2", "-20.00", entry_id="C1", document_ref="ST-1", paid_on="2020-04-01"),
    ]
    before = judged(rows, AS_OF_BEFORE)
    assert errors(before) == [("DUPLICATE_CLAIM", ("E1", "E2"), 4000, 2000, 0)]
    after = judged(rows, AS_OF_AFTER)
    assert errors(after) == []
    assert money(after, "E2") == (0, 2000, 0, 0)


def test_a_duplicate_is_found_on_original_amounts_and_loses_its_net_amount() -> None:
    rows = [
        entry(entry_id="E1", amount_eur="20.00", document_ref="INV-1"),
        entry(entry_id="E2", amount_eur="20.00", document_ref="INV-1", paid_on="2020-03-11"),
        correction("E2", "-8.00", entry_id="C1", document_ref="KR-1", paid_on="2020-03-20"),
    ]
    j = judged(rows, AS_OF_BEFORE)
    assert errors(j) == [("DUPLICATE_CLAIM", ("E1", "E2", "C1"), 3200, 1200, 1)]
    assert money(j, "E2") == (1200, 800, 1200, 0)


def test_corrected_money_is_in_every_total_and_breakdown() -> None:
    rows = [
        entry(entry_id="E1", amount_eur="60.00"),
        correction("E1", "-10.00", entry_id="C1", paid_on="2020-03-20"),
        entry(entry_id="E2", amount_eur="5.00", category="personal_items", service_month="2020-03"),
        correction(
            "E2",
            "-5.00",
            entry_id="C2",
            category="personal_items",
            service_month="2020-03",
            paid_on="2020-04-20",
        ),  # fmt: skip
        correction("E1", "-1.00", entry_id="C3", paid_on="2020-05-20"),  # not yet known
    ]
    j = judged(rows, AS_OF_AFTER)
    want = {"category": {"meals": 1000, "personal_items": 500}, "month": {"2020-02": 1000,
            "2020-03": 500}, "partner": {"P1": 1500, "P2": 0}}  # fmt: skip
    for by, expected in want.items():
        t = totals(j.ledger, j.partners, by)
        assert dict(zip(t.rows[t.key], t.rows["corrected_cents"], strict=True)) == expected
        assert t.total["corrected_cents"] == 1500
        assert t.total["declared_cents"] == 5000  # the net amounts
    for by in ("municipality", "school", "semester", "half-year"):
        assert totals(j.ledger, j.partners, by).total["corrected_cents"] == 1500


# ---------------------------------------------------------------------------
# A ledger with corrections judges like the same ledger netted by hand
# ---------------------------------------------------------------------------
CATS = ["meals", "transport_intercity", "personal_items", "coordination"]
CORRECTIONS = st.lists(st.tuples(st.integers(1, 100), st.integers(0, 400)), max_size=2)
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2"]),
        st.sampled_from(["st1", "st2"]),
        st.sampled_from(CATS),
        st.sampled_from(["2019-10", "2020-01", "2020-02", "2021-03"]),
        st.integers(1, 9000),
        st.sampled_from(["D1", "D2", "D3"]),
        st.integers(1, 20),
        CORRECTIONS,
    ),
    min_size=1,
    max_size=14,
)


def _ledgers(rows: list[tuple], as_of: dt.date) -> tuple[list[dict], list[dict], int]:
    """The ledger with corrections, the same netted as of `as_of` (withdrawn rows dropped),
    and the corrections known then. A corrected row has its own document, so that only the
    duplicate key (original amounts) could tell the two ledgers apart."""
    with_corr, netted, known = [], [], 0
    for i, (partner, student, cat, month, cents, doc, day, corrs) in enumerate(rows):
        paid = dt.date.fromisoformat(f"{month}-{day:02d}")
        row = entry(
            entry_id=f"E{i:03d}", partner_id=partner, school_id="S1" if partner == "P1" else "S2",
            student_id="" if cat == "coordination" else student, category=cat,
            service_month=month, paid_on=paid.isoformat(), document_ref=doc if not corrs else
            f"OWN{i}", amount_eur=f"{cents / 100:.2f}",
        )  # fmt: skip
        with_corr.append(row)
        left, net = cents, cents
        for k, (pct, days) in enumerate(corrs):
            take = min(left, max(1, cents * pct // 100))
            if take == 0:
                break
            left -= take
            on = paid + dt.timedelta(days=days)
            c = {**row, "entry_id": f"C{i:03d}{k}", "amount_eur": f"{-take / 100:.2f}",
                 "corrects_entry_id": row["entry_id"], "paid_on": on.isoformat(),
                 "document_ref": f"KR{i}{k}"}  # fmt: skip
            with_corr.append(c)
            if on <= as_of:
                net -= take
                known += take
        if net > 0:
            netted.append({**row, "amount_eur": f"{net / 100:.2f}"})
    return with_corr, netted, known


def _plans() -> list[dict]:
    return [
        plan(student=s, school=sc, semester=sem, created=created, grade=g)
        for s in ("st1", "st2")
        for sc, g in (("S1", "7"), ("S2", "2"))
        for sem, created in (("2019/2020-2", "2020-01-05"), ("2020/2021-2", "2021-01-05"))
    ]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, st.sampled_from([dt.date(2020, 2, 29), dt.date(2020, 12, 31), dt.date(2022, 1, 1)]))
def test_corrections_judge_exactly_like_the_ledger_netted_by_hand(rows, as_of) -> None:
    with_corr, netted, known = _ledgers(rows, as_of)
    partners = [dict(p, allocation_eur="150.00") for p in PARTNERS]
    a = judge(world(with_corr, _plans(), partners=partners), PROGRAMME, as_of)
    if not netted:
        assert a.ledger["amount_cents"].sum() == 0
        return
    b = judge(world(netted, _plans(), partners=partners), PROGRAMME, as_of)
    assert int(a.ledger["corrected_cents"].sum()) == known
    live = a.ledger[a.ledger["amount_cents"] > 0].drop(columns="corrected_cents")
    pd.testing.assert_frame_equal(  # a categorical's categories are those of all its rows
        live.reset_index(drop=True),
        b.ledger.drop(columns="corrected_cents"),
        check_categorical=False,
    )
    fa = a.findings.drop(columns="corrections")
    fa["entry_ids"] = [tuple(e for e in t if e.startswith("E")) for t in fa["entry_ids"]]
    pd.testing.assert_frame_equal(fa, b.findings.drop(columns="corrections"))
    for by in ("partner", "municipality", "category", "school", "month", "semester"):
        ta, tb = totals(a.ledger, a.partners, by), totals(b.ledger, b.partners, by)
        rows_a = ta.rows.drop(columns="corrected_cents")
        only_corrected = ~rows_a[ta.key].isin(tb.rows[tb.key]) & rows_a["declared_cents"].eq(0)
        pd.testing.assert_frame_equal(
            rows_a[~only_corrected].reset_index(drop=True), tb.rows.drop(columns="corrected_cents")
        )
        assert {**ta.total, "corrected_cents": 0} == tb.total
        assert ta.total["corrected_cents"] == known


# ---------------------------------------------------------------------------
# Reports: the key figure, the annex and findings.csv, the reconciliation
# ---------------------------------------------------------------------------
def _report_world() -> Dataset:
    return world(
        [
            entry(entry_id="E1", amount_eur="100.00"),  # meals over the 70,00 cap
            correction("E1", "-10.00", entry_id="C1", paid_on="2020-04-15"),
            entry(entry_id="E2", amount_eur="12.00", category="personal_items"),
            correction("E2", "-12.00", entry_id="C2", category="personal_items"),  # withdrawn
            entry(
                entry_id="E3",
                partner_id="P2",
                school_id="S2",
                student_id="st2",
                amount_eur="50.00",
                service_month="2020-01",
                paid_on="2020-02-03",
            ),
        ],  # fmt: skip
        [plan(), plan(student="st2", school="S2", grade="2")],
    )


def test_a_report_shows_the_corrected_money_and_each_corrected_row() -> None:
    from pumpurs.core.calendar import parse_period
    from pumpurs.present.annex import correction_annex, findings_csv_for_people
    from pumpurs.present.fmt import label
    from pumpurs.report.municipality import municipality_report

    j = judge(_report_world(), PROGRAMME, dt.date(2020, 6, 30))
    r = municipality_report(j, PROGRAMME, "Aizkraukles novads", parse_period("2020-H1"))
    k = r.key_figures.set_index("figure")
    assert list(k.index) == ["allocation", "declared", "corrected", "eligible", "at_risk", "esf",
                             "state"]  # fmt: skip
    assert k.loc["corrected"].tolist() == [2200, 2200]
    assert k.loc["declared"].tolist() == [9000, 9000]
    assert k.loc["eligible"].tolist() == [7000, 7000]
    assert k.loc["at_risk"].tolist() == [2000, 2000]
    annex = correction_annex(
        r.findings, PROGRAMME, "en", r.partner_names, r.school_names, r.corrections
    )
    cap = annex[annex["rule"] == label("CAP_MEALS", "en")].iloc[0]
    assert (cap["entry_ids"], cap["amount_cents"], cap["at_risk_cents"]) == ("E1, C1", 9000, 2000)
    assert cap["corrections"] == "E1: €100.00 − €10.00 (C1, 2020-04-15) = €90.00"
    lv = correction_annex(r.findings, PROGRAMME, "lv", r.partner_names, r.school_names,
                          r.corrections)  # fmt: skip
    csv_text = findings_csv_for_people(lv, "lv").decode("utf-8-sig")
    assert "Labojumi: rinda, kredītrēķini, neto summa" in csv_text.splitlines()[0]
    nbsp = "\u00a0"
    assert f"E1: 100,00{nbsp}€ − 10,00{nbsp}€ (C1, 15.04.2020) = 90,00{nbsp}€" in csv_text


def test_every_table_still_reconciles_to_the_cent_with_corrections() -> None:
    """declared = eligible + at risk + over allocation, in every table and its total."""
    j = judge(_report_world(), PROGRAMME, dt.date(2020, 6, 30))
    for by in ("partner", "municipality", "category", "school", "month", "semester", "half-year"):
        t = totals(j.ledger, j.partners, by)
        for line in [*t.rows.to_dict("records"), t.total]:
            assert line["declared_cents"] == (
                line["eligible_cents"] + line["ineligible_cents"] + line["over_allocation_cents"]
            )
        assert t.total["corrected_cents"] == 2200
        assert t.total["declared_cents"] == 14000


def test_the_national_overview_names_the_corrected_money() -> None:
    from pumpurs.core.calendar import parse_period
    from pumpurs.present.report_view import key_figures
    from pumpurs.report.overview import programme_overview

    j = judge(_report_world(), PROGRAMME, dt.date(2020, 6, 30))
    o = programme_overview(j, PROGRAMME, parse_period("2020-H1"))
    assert o.total["corrected_cents"] == 2200
    rows = o.by_municipality.set_index("municipality")["corrected_cents"]
    assert (rows["Aizkraukles novads"], rows["Rīga"]) == (2200, 0)
    # page 1's key figures, as a municipality's report shows them
    assert "Corrected (credit notes)" in key_figures(o, "en", PROGRAMME).data


def test_totals_json_and_csv_carry_corrected_eur(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from pumpurs.cli import app

    tables = valid_tables()
    tables["expenditures"].append(_credit("C1", "E1", "-20.00"))
    folder = write_folder(tmp_path / "data", tables)
    run = CliRunner().invoke(app, ["totals", str(folder), "--by", "category", "--format", "json"])
    doc = json.loads(run.stdout)
    meals = next(r for r in doc["rows"] if r["category"] == "meals")
    assert (meals["declared_eur"], meals["corrected_eur"]) == (50.3, 20.0)
    assert doc["total"]["corrected_eur"] == 20.0
    run = CliRunner().invoke(app, ["totals", str(folder), "--by", "partner", "--format", "csv"])
    lines = run.stdout.splitlines()
    at = lines[0].split(",").index("corrected_eur")
    assert [line.split(",")[at] for line in lines[1:]] == ["20.00", "0.00", "0.00", "20.00"]
