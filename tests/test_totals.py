"""Totals: exact cents, ESF apportioned once over ledger rows, and every table adding up."""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pumpurs.core.calendar import half_year_of_month, school_year_of_month, semester_of_month
from pumpurs.core.errors import UsageError
from pumpurs.core.money import share_half_up
from pumpurs.core.totals import (
    BY_KEYS,
    MONEY_COLUMNS,
    TotalsTable,
    esf_shares,
    totals,
    totals_many,
)

PARTNERS = pd.DataFrame(
    {
        "partner_id": ["P001", "P002", "P003", "P004"],
        "name": [
            "Kokneses novads",
            "Rīgas valstspilsētas pašvaldība",
            "Rīgas Valsts tehnikums",
            "Skrīveru novads",
        ],
        "kind": ["municipality", "municipality", "vpil", "municipality"],
        "municipality": ["Aizkraukles novads", "Rīga", "Rīga", "Aizkraukles novads"],
        "municipality_code": ["LV-002", "LV-RIX", "LV-RIX", "LV-002"],
        "allocation_cents": [1_000_000, 2_000_000, 0, 500_000],
    }
)
_MUNI = dict(zip(PARTNERS["partner_id"], PARTNERS["municipality"], strict=True))
_CODE = dict(zip(PARTNERS["partner_id"], PARTNERS["municipality_code"], strict=True))


def ledger(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """A Judgement-shaped ledger from short rows: partner, amount, and what differs."""
    full = []
    for i, r in enumerate(rows):
        amount = r["amount"]
        inel = r.get("ineligible", 0)
        over = r.get("over", 0)
        full.append(
            {
                "entry_id": f"E{i}",
                "partner_id": r["partner"],
                "municipality": _MUNI[r["partner"]],
                "municipality_code": _CODE[r["partner"]],
                "school_id": r.get("school", ""),
                "category": r.get("category", "meals"),
                "service_month": r.get("month", "2020-01"),
                "amount_cents": amount,
                "ineligible_cents": inel,
                "over_allocation_cents": over,
                "eligible_cents": amount - inel - over,
                "esf_rate": r.get("rate", "0.85"),
            }
        )
    frame = pd.DataFrame(full)
    if frame.empty:
        frame = pd.DataFrame(
            columns=[
                "entry_id",
                "partner_id",
                "municipality",
                "municipality_code",
                "school_id",
                "category",
                "service_month",
                "amount_cents",
                "ineligible_cents",
                "over_allocation_cents",
                "eligible_cents",
                "esf_rate",
            ]
        ).astype(
            {
                c: "int64"
                for c in (
                    "amount_cents",
                    "ineligible_cents",
                    "over_allocation_cents",
                    "eligible_cents",
                )
            }
        )
        frame["service_month"] = frame["service_month"].astype(str)
    for c in ("amount_cents", "ineligible_cents", "over_allocation_cents", "eligible_cents"):
        frame[c] = frame[c].astype("int64")
    frame["semester"] = semester_of_month(frame["service_month"])
    frame["school_year"] = school_year_of_month(frame["service_month"])
    frame["half_year"] = half_year_of_month(frame["service_month"])
    return frame


def row(table: TotalsTable, key: str) -> dict[str, Any]:
    hit = table.rows[table.rows[table.key] == key]
    assert len(hit) == 1, f"{key!r} is not one row in {table.rows[table.key].tolist()}"
    return hit.iloc[0].to_dict()


def check_adds_up(t: TotalsTable) -> None:
    r = t.rows
    assert (
        r["declared_cents"]
        == r["eligible_cents"] + r["ineligible_cents"] + r["over_allocation_cents"]
    ).all()
    assert (r["esf_cents"] + r["state_cents"] == r["eligible_cents"]).all()
    for c in MONEY_COLUMNS:
        assert t.total[c] == int(r[c].sum())
        assert isinstance(t.total[c], int)
    tot = t.total
    assert (
        tot["declared_cents"]
        == tot["eligible_cents"] + tot["ineligible_cents"] + tot["over_allocation_cents"]
    )
    assert tot["esf_cents"] + tot["state_cents"] == tot["eligible_cents"]


SAMPLE = [
    {"partner": "P001", "amount": 7000, "school": "S1", "category": "meals", "month": "2019-10"},
    {
        "partner": "P001",
        "amount": 9000,
        "ineligible": 2000,
        "school": "S1",
        "category": "meals",
        "month": "2019-11",
    },
    {
        "partner": "P001",
        "amount": 3000,
        "school": "S2",
        "category": "transport_intercity",
        "month": "2020-02",
    },
    {
        "partner": "P002",
        "amount": 50000,
        "over": 10000,
        "school": "",
        "category": "coordination",
        "month": "2020-07",
    },
    {
        "partner": "P003",
        "amount": 1001,
        "ineligible": 1001,
        "school": "S9",
        "category": "meals",
        "month": "2020-07",
    },
]


# ---------------------------------------------------------------------------
# Each key
# ---------------------------------------------------------------------------
def test_by_partner_rows_info_allocation_and_partner_without_spend():
    t = totals(ledger(SAMPLE), PARTNERS, "partner")
    assert t.by == "partner" and t.key == "partner_id"
    assert list(t.rows.columns) == [
        "partner_id",
        "name",
        "municipality",
        *MONEY_COLUMNS,
        "allocation_cents",
        "absorption",
    ]
    assert t.rows["partner_id"].tolist() == ["P001", "P002", "P003", "P004"]
    p1 = row(t, "P001")
    assert p1["name"] == "Kokneses novads" and p1["municipality"] == "Aizkraukles novads"
    assert (p1["declared_cents"], p1["ineligible_cents"], p1["over_allocation_cents"]) == (
        19000,
        2000,
        0,
    )
    assert p1["eligible_cents"] == 17000
    assert p1["esf_cents"] == 14450 and p1["state_cents"] == 2550
    assert p1["allocation_cents"] == 1_000_000
    assert p1["absorption"] == pytest.approx(0.017)
    p2 = row(t, "P002")
    assert (p2["declared_cents"], p2["over_allocation_cents"], p2["eligible_cents"]) == (
        50000,
        10000,
        40000,
    )
    assert p2["esf_cents"] == 34000
    # a partner with no ledger rows still appears, with zeros and its allocation
    p4 = row(t, "P004")
    assert p4["name"] == "Skrīveru novads"
    assert all(p4[c] == 0 for c in MONEY_COLUMNS)
    assert p4["allocation_cents"] == 500_000 and p4["absorption"] == 0.0
    # allocation 0 -> absorption NA
    assert pd.isna(row(t, "P003")["absorption"])
    assert t.rows["allocation_cents"].dtype == "Int64"
    assert t.rows["absorption"].dtype == "Float64"
    for c in MONEY_COLUMNS:
        assert t.rows[c].dtype == "int64"
    assert t.total == {
        "declared_cents": 70001,
        "corrected_cents": 0,  # a ledger without corrections
        "ineligible_cents": 3001,
        "over_allocation_cents": 10000,
        "eligible_cents": 57000,
        "esf_cents": 48450,
        "state_cents": 8550,
        "allocation_cents": 3_500_000,
        "absorption": 57000 / 3_500_000,
    }
    check_adds_up(t)


def test_by_municipality_sums_partner_allocations():
    t = totals(ledger(SAMPLE), PARTNERS, "municipality")
    assert list(t.rows.columns[:2]) == ["municipality", "municipality_code"]
    assert t.rows["municipality"].tolist() == ["Aizkraukles novads", "Rīga"]
    a = row(t, "Aizkraukles novads")
    assert a["municipality_code"] == "LV-002"
    assert a["allocation_cents"] == 1_500_000  # P001 + P004 (no spend)
    assert a["eligible_cents"] == 17000
    r = row(t, "Rīga")
    assert r["municipality_code"] == "LV-RIX"
    assert r["allocation_cents"] == 2_000_000  # P002 + P003 (0)
    assert (r["declared_cents"], r["ineligible_cents"], r["over_allocation_cents"]) == (
        51001,
        1001,
        10000,
    )
    assert r["absorption"] == pytest.approx(40000 / 2_000_000)
    assert t.total["allocation_cents"] == 3_500_000
    check_adds_up(t)


def test_municipality_of_a_partner_in_scope_appears_without_spend():
    only_riga = ledger([r for r in SAMPLE if r["partner"] in ("P002", "P003")])
    t = totals(only_riga, PARTNERS, "municipality")
    a = row(t, "Aizkraukles novads")
    assert a["declared_cents"] == 0 and a["allocation_cents"] == 1_500_000


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        ("category", {"coordination": 50000, "meals": 17001, "transport_intercity": 3000}),
        ("school", {"": 50000, "S1": 16000, "S2": 3000, "S9": 1001}),
        ("month", {"2019-10": 7000, "2019-11": 9000, "2020-02": 3000, "2020-07": 51001}),
        ("semester", {"2019/2020-1": 16000, "2019/2020-2": 54001}),
        ("half-year", {"2019-H2": 16000, "2020-H1": 3000, "2020-H2": 51001}),
    ],
)
def test_other_keys_declared_sorted_and_allocation_na(by: str, expected: dict[str, int]):
    t = totals(ledger(SAMPLE), PARTNERS, by)
    assert t.key == BY_KEYS[by]
    assert t.rows[t.key].tolist() == sorted(expected)
    assert dict(zip(t.rows[t.key], t.rows["declared_cents"], strict=True)) == expected
    assert t.rows["allocation_cents"].isna().all()
    assert t.rows["absorption"].isna().all()
    assert list(t.rows.columns) == [t.key, *MONEY_COLUMNS, "allocation_cents", "absorption"]
    # the total allocation is that of the partners in scope, whatever the key
    assert t.total["allocation_cents"] == 3_500_000
    assert t.total["absorption"] == pytest.approx(57000 / 3_500_000)
    check_adds_up(t)


def test_category_values():
    t = totals(ledger(SAMPLE), PARTNERS, "category")
    meals = row(t, "meals")
    assert (meals["declared_cents"], meals["ineligible_cents"], meals["eligible_cents"]) == (
        17001,
        3001,
        14000,
    )
    assert meals["esf_cents"] == 11900 and meals["state_cents"] == 2100


def test_unknown_key_lists_the_valid_ones():
    with pytest.raises(UsageError) as e:
        totals(ledger(SAMPLE), PARTNERS, "county")
    assert str(e.value) == (
        '"county" is not a totals key; use one of: partner, municipality, category, school, '
        "month, semester, half-year"
    )
    with pytest.raises(UsageError, match='^"county" is not a totals key'):
        totals_many(ledger(SAMPLE), PARTNERS, ["partner", "county"])


def test_empty_ledger():
    t = totals(ledger([]), PARTNERS, "partner")
    assert t.rows["partner_id"].tolist() == ["P001", "P002", "P003", "P004"]
    assert (t.rows["declared_cents"] == 0).all()
    assert t.total["eligible_cents"] == 0 and t.total["absorption"] == 0.0
    t = totals(ledger([]), PARTNERS, "month")
    assert t.rows.empty and t.total["declared_cents"] == 0
    t = totals(ledger([]), PARTNERS.iloc[:0], "month")
    assert t.total["allocation_cents"] == 0 and t.total["absorption"] is None


# ---------------------------------------------------------------------------
# ESF rounding
# ---------------------------------------------------------------------------
def test_esf_half_up_where_binary_floats_round_down():
    # 4907.30 × 0.85 = 4171.205 exactly; the float product sits just below, so the
    # naive way loses the cent.
    assert round(4907.30 * 0.85, 2) == 4171.2
    t = totals(ledger([{"partner": "P001", "amount": 490730}]), PARTNERS, "partner")
    p1 = row(t, "P001")
    assert p1["esf_cents"] == 417121  # 4171.21
    assert p1["state_cents"] == 490730 - 417121
    assert t.total["esf_cents"] == 417121


def test_esf_is_fixed_per_partner_and_apportioned_by_largest_remainder():
    # Two rows of 0.10 € each: 0.085 each. The partner's share is 0.20 × 0.85 = 0.17
    # (half-up); rounding each row would give 0.09 + 0.09 = 0.18, a cent more than the
    # key figure. Largest remainder: 0.08 each, the one cent left to the row with the
    # smaller entry_id (equal remainders): E0, meals.
    rows = [
        {"partner": "P001", "amount": 10, "category": "meals"},
        {"partner": "P001", "amount": 10, "category": "accommodation"},
    ]
    by_category = totals(ledger(rows), PARTNERS, "category")
    assert by_category.rows["category"].tolist() == ["accommodation", "meals"]
    assert by_category.rows["esf_cents"].tolist() == [8, 9]
    assert by_category.total["esf_cents"] == 17
    assert by_category.total["state_cents"] == 3
    assert int(share_half_up([20], Decimal("0.85"))[0]) == 17
    assert totals(ledger(rows), PARTNERS, "partner").total["esf_cents"] == 17


def test_the_largest_remainder_gets_the_cent():
    # 0.07 × 0.85 = 0.0595 and 0.13 × 0.85 = 0.1105: floors 5 + 11, share 17: the
    # cent goes to 0.0595 (remainder 0.95 beats 0.05).
    rows = [
        {"partner": "P001", "amount": 7, "category": "meals"},
        {"partner": "P001", "amount": 13, "category": "accommodation"},
    ]
    t = totals(ledger(rows), PARTNERS, "category")
    assert dict(zip(t.rows["category"], t.rows["esf_cents"], strict=True)) == {
        "accommodation": 11,
        "meals": 6,
    }


def test_a_key_spanning_partners_sums_their_parts():
    rows = [
        {"partner": "P001", "amount": 10, "category": "meals"},
        {"partner": "P001", "amount": 10, "category": "accommodation"},
        {"partner": "P002", "amount": 10, "category": "meals"},
    ]
    t = totals(ledger(rows), PARTNERS, "category")
    # P001: 17 split 9 (E0, meals) + 8 (accommodation); P002: 9 (0.085 half-up)
    assert dict(zip(t.rows["category"], t.rows["esf_cents"], strict=True)) == {
        "accommodation": 8,
        "meals": 18,
    }
    assert t.total["esf_cents"] == totals(ledger(rows), PARTNERS, "partner").total["esf_cents"]


def test_a_tie_at_the_last_cent_goes_to_the_smaller_entry_id_not_the_first_row():
    # Three rows of 0.10 € (0.085 each): share 0.26 (0.255 half-up), floors 8 × 3 = 24,
    # two cents left for three equal remainders: the two smallest entry_ids, wherever
    # the rows stand in the ledger.
    frame = ledger([{"partner": "P001", "amount": 10}] * 3)
    frame["entry_id"] = ["E30", "E100", "E20"]  # text order: E100 < E20 < E30
    assert esf_shares(frame).tolist() == [8, 9, 9]
    assert esf_shares(frame.iloc[::-1]).tolist() == [9, 9, 8]


def test_a_half_year_and_the_semester_holding_the_same_rows_show_one_esf():
    """Rīga 2021-H1 showed the half-year's ESF as 564 905,77 € in the key figures and
    564 905,76 € on the semester row of the same rows: a share worked out again on the
    period's rows rounds differently from the partner's share apportioned once."""
    rows = [
        {"partner": "P001", "amount": 10, "month": "2020-09"},  # 2020/2021-1, 2020-H2
        {"partner": "P001", "amount": 10, "month": "2021-01"},  # 2020/2021-2, 2021-H1
    ]
    judged = ledger(rows).assign(esf_cents=lambda f: esf_shares(f))
    # 0.085 + 0.085 = 0.17: floors 8 + 8, the cent left to the smaller entry_id (E0)
    assert judged["esf_cents"].tolist() == [9, 8]
    half = judged[judged["half_year"] == "2021-H1"]
    semester = row(totals(judged, PARTNERS, "semester"), "2020/2021-2")
    # worked out again on the half-year's rows alone it would be 0.085 → 0.09
    assert totals(half, PARTNERS, "partner").total["esf_cents"] == semester["esf_cents"] == 8
    assert row(totals(judged, PARTNERS, "half-year"), "2021-H1")["esf_cents"] == 8


def test_esf_per_rate_within_a_row():
    rows = [
        {"partner": "P001", "amount": 10, "rate": "0.85"},
        {"partner": "P001", "amount": 10, "rate": "0.80"},
        {"partner": "P001", "amount": 30, "rate": "0.85"},
    ]
    p1 = row(totals(ledger(rows), PARTNERS, "partner"), "P001")
    # 40 × 0.85 = 34 and 10 × 0.80 = 8
    assert p1["esf_cents"] == 42 and p1["state_cents"] == 8


# ---------------------------------------------------------------------------
# Properties over generated ledgers
# ---------------------------------------------------------------------------
@st.composite
def ledger_rows(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(min_value=0, max_value=25))
    rows = []
    for _ in range(n):
        amount = draw(st.integers(min_value=1, max_value=5_000_000))
        inel = draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=amount)))
        over = draw(st.one_of(st.just(0), st.integers(min_value=0, max_value=amount - inel)))
        rows.append(
            {
                "partner": draw(st.sampled_from(["P001", "P002", "P003", "P004"])),
                "amount": amount,
                "ineligible": inel,
                "over": over,
                "school": draw(st.sampled_from(["", "S1", "S2", "S3"])),
                "category": draw(st.sampled_from(["meals", "consultation", "ngo_project"])),
                "month": draw(
                    st.sampled_from(["2019-08", "2019-09", "2020-01", "2020-06", "2020-07"])
                ),
                "rate": draw(st.sampled_from(["0.85", "0.85", "0.8", "1"])),
            }
        )
    return rows


@settings(max_examples=60, deadline=None)
@given(rows=ledger_rows(), seed=st.randoms(use_true_random=False))
def test_every_table_adds_up_and_agrees(rows: list[dict[str, Any]], seed: Any):
    frame = ledger(rows)
    first = None
    for by in BY_KEYS:
        t = totals(frame, PARTNERS, by)
        check_adds_up(t)
        assert (t.rows["esf_cents"] >= 0).all()
        assert (t.rows["esf_cents"] <= t.rows["eligible_cents"]).all()
        assert t.rows[t.key].is_monotonic_increasing
        assert t.rows[t.key].is_unique
        same = {
            c: t.total[c]
            for c in (
                "declared_cents",
                "eligible_cents",
                "ineligible_cents",
                "over_allocation_cents",
            )
        }
        assert same == {
            "declared_cents": sum(r["amount"] for r in rows),
            "eligible_cents": sum(r["amount"] - r["ineligible"] - r["over"] for r in rows),
            "ineligible_cents": sum(r["ineligible"] for r in rows),
            "over_allocation_cents": sum(r["over"] for r in rows),
        }
        first = first or same
        assert same == first
        # the judged ledger holds its repetitive text as categoricals: the same table
        coded = frame.assign(**{c: frame[c].astype("category") for c in (t.key, "esf_rate")})
        as_category = totals(coded, PARTNERS, by)
        pd.testing.assert_frame_equal(as_category.rows, t.rows)
        assert as_category.total == t.total
        # asked for with the other keys, sharing their work, the table is the same
        together = totals_many(frame, PARTNERS, list(BY_KEYS))[by]
        pd.testing.assert_frame_equal(together.rows, t.rows)
        assert together.total == t.total
        # the same ledger in another order gives the same table
        order = list(range(len(frame)))
        seed.shuffle(order)
        shuffled = totals(frame.iloc[order].reset_index(drop=True), PARTNERS, by)
        pd.testing.assert_frame_equal(shuffled.rows, t.rows)
        assert shuffled.total == t.total
        # every table of the scope carries the partners' ESF shares, to the cent
        assert t.total["esf_cents"] == sum(reference_esf(rows, "partner").values())
        if by in REFERENCE_KEYS:
            got = dict(zip(t.rows[t.key], t.rows["esf_cents"], strict=True))
            want = reference_esf(rows, REFERENCE_KEYS[by])
            assert {k: v for k, v in got.items() if v or k in want} == want


REFERENCE_KEYS = {
    "partner": "partner",
    "category": "category",
    "school": "school",
    "month": "month",
}


def reference_shares(rows: list[dict[str, Any]]) -> list[int]:
    """rules.md's Totals read independently, in fractions: each partner's share is its
    eligible × rate rounded half-up, apportioned once over its rows: each row's exact
    part rounded down, the cents left over to the largest remainders, ties to the
    smaller entry_id (as text: the ids `ledger()` gives, E0, E1, ...)."""
    exact = [(r["amount"] - r["ineligible"] - r["over"]) * Fraction(r["rate"]) for r in rows]
    out = [math.floor(x) for x in exact]
    for partner in {r["partner"] for r in rows}:
        mine = [i for i, r in enumerate(rows) if r["partner"] == partner]
        share = math.floor(sum(exact[i] for i in mine) + Fraction(1, 2))
        left = share - sum(out[i] for i in mine)
        for i in sorted(mine, key=lambda i: (-(exact[i] - out[i]), f"E{i}"))[:left]:
            out[i] += 1
    return out


def reference_esf(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    """Each key's ESF: the sum of its rows' shares."""
    out: dict[str, int] = {}
    for r, share in zip(rows, reference_shares(rows), strict=True):
        out[r[key]] = out.get(r[key], 0) + share
    return out


@settings(max_examples=40, deadline=None)
@given(rows=ledger_rows())
def test_each_row_s_share_is_its_exact_part_within_a_cent(rows: list[dict[str, Any]]):
    frame = ledger(rows)
    shares = esf_shares(frame)
    assert shares.tolist() == reference_shares(rows)
    exact = [(r["amount"] - r["ineligible"] - r["over"]) * Fraction(r["rate"]) for r in rows]
    assert all(abs(s - x) < 1 for s, x in zip(shares.tolist(), exact, strict=True))
    # every breakdown of the scope sums to the scope's key ESF, to the cent
    judged = frame.assign(esf_cents=shares)
    tables = totals_many(judged, PARTNERS, list(BY_KEYS))
    key_esf = tables["partner"].total["esf_cents"]
    for by in BY_KEYS:
        assert int(tables[by].rows["esf_cents"].sum()) == key_esf
    # any period's figure is the sum of its rows' shares, whichever table shows it
    for half, part in judged.groupby("half_year"):
        by_half = row(tables["half-year"], str(half))["esf_cents"]
        assert totals(part, PARTNERS, "partner").total["esf_cents"] == by_half


def test_a_categorical_key_with_missing_and_empty_values_totals_like_text():
    """A missing key is the key "" — in a categorical column as in a text one, whether or
    not "" is one of its categories."""
    base = ledger(SAMPLE)
    assert "" in set(base["school_id"])  # partner-level spend, no school
    for keep_empty in (True, False):
        frame = base.copy()
        frame["school_id"] = frame["school_id"].astype(object)
        if not keep_empty:
            frame.loc[frame["school_id"] == "", "school_id"] = "S9"
        frame.loc[0, "school_id"] = None
        want = totals(frame, PARTNERS, "school")
        assert "" in set(want.rows["school_id"])
        coded = frame.assign(school_id=frame["school_id"].astype("category"))
        assert ("" in coded["school_id"].cat.categories) == keep_empty
        got = totals(coded, PARTNERS, "school")
        pd.testing.assert_frame_equal(got.rows, want.rows)
        assert got.total == want.total
