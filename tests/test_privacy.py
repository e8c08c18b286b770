"""Small-count suppression and public-report checks (pumpurs.report.privacy)."""

from __future__ import annotations

import itertools
import random

import pandas as pd
import pytest

from pumpurs.present.view_common import suppression_note
from pumpurs.report.audience import Audience
from pumpurs.report.privacy import (
    PUPIL_LEVEL_COLUMNS,
    assert_no_identifiers,
    public_findings,
    suppress_counts,
    suppression_mask,
)


def _table(rows: list[tuple[str, int, int]], total: bool = True) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["school", "students", "plans"])
    if total:
        df.loc[len(df)] = ["Kopā", int(df["students"].sum()), int(df["plans"].sum())]
    return df


def _recoverable(shown: pd.DataFrame, cols: list[str], m: int) -> list:
    """Brute force as a reader would: every hidden value consistent with all shown totals.

    The table has data rows + a last total row, and count columns whose last one is the
    row total. Hidden data cells are enumerated; totals follow from them and must match
    what is shown ("<m" means 1..m-1, "x" at least m). Returns the small-count cells a
    reader can pin down to one value (should be none).
    """
    n = len(shown) - 1
    data_cols, total_col = cols[:-1], cols[-1]
    grand = shown.at[n, total_col]
    limit = grand if not isinstance(grand, str) else 40

    def fits(value: int, cell: object) -> bool:
        if cell == f"<{m}":
            return 1 <= value < m
        if cell == "x":
            return value >= m
        return value == cell

    hidden = [(r, c) for r in range(n) for c in data_cols if isinstance(shown.at[r, c], str)]
    domain = {}
    for r, c in hidden:
        caps = [v for v in (shown.at[r, total_col], shown.at[n, c]) if not isinstance(v, str)]
        top = min(caps) if caps else limit
        domain[(r, c)] = range(1, m) if shown.at[r, c] == f"<{m}" else range(m, top + 1)
    # Each row's possible fillings (its own total must fit), then the columns are checked.
    row_options = []
    for r in range(n):
        cells = [(r, c) for c in data_cols if (r, c) in domain]
        fills = []
        for combo in itertools.product(*(domain[x] for x in cells)):
            row = {c: shown.at[r, c] for c in data_cols}
            row.update({c: v for (_, c), v in zip(cells, combo, strict=True)})
            if fits(sum(row.values()), shown.at[r, total_col]):
                fills.append(row)
        row_options.append(fills)
    seen: dict[tuple[int, str], set[int]] = {cell: set() for cell in hidden}
    for rows in itertools.product(*row_options):
        columns_fit = all(fits(sum(row[c] for row in rows), shown.at[n, c]) for c in data_cols)
        if columns_fit and fits(sum(sum(row.values()) for row in rows), grand):
            for r, c in hidden:
                seen[(r, c)].add(rows[r][c])
    return [cell for cell in hidden if shown.at[cell] == f"<{m}" and len(seen[cell]) < 2]


def test_primary_small_counts_become_lt5_and_zero_stays() -> None:
    df = pd.DataFrame({"school": ["A", "B", "C"], "students": [0, 3, 12]})
    out = suppress_counts(df, ["students"])  # no total shown: nothing to recover from
    assert out["students"].tolist() == [0, "<5", 12]
    assert df["students"].tolist() == [0, 3, 12]  # the input is not changed


def test_nothing_to_suppress_keeps_every_value() -> None:
    df = _table([("A", 5, 9), ("B", 40, 41)])
    out = suppress_counts(df, ["students", "plans"], total_row=True)
    assert out["students"].tolist() == [5, 40, 45]
    assert out["plans"].tolist() == [9, 41, 50]
    assert (suppression_mask(df, ["students", "plans"], total_row=True) == "").all().all()


def test_secondary_in_a_column_with_a_total_row() -> None:
    df = _table([("A", 3, 20), ("B", 20, 21), ("C", 40, 41)])
    out = suppress_counts(df, ["students", "plans"], total_row=True)
    assert out["students"].tolist() == ["<5", "x", 40, 63]  # 3 alone could be 63-20-40
    assert out["plans"].tolist() == [20, 21, 41, 82]  # untouched column
    assert out.iloc[-1]["students"] == 63  # the total is still shown


def test_secondary_picks_the_smallest_cell_that_protects() -> None:
    # p=4 needs a partner of at least 2*5-1-4 = 5: the 6 is the smallest that works.
    df = _table([("A", 4, 9), ("B", 6, 9), ("C", 9, 9), ("D", 50, 9)])
    out = suppress_counts(df, ["students"], total_row=True)
    assert out["students"].tolist() == ["<5", "x", 9, 50, 69]
    # p=1 needs at least 8: the 6 would reveal 1 <= p <= 1+6-5 = 2, so the 9 is taken.
    df = _table([("A", 1, 9), ("B", 6, 9), ("C", 9, 9), ("D", 50, 9)])
    out = suppress_counts(df, ["students"], total_row=True)
    assert out["students"].tolist() == ["<5", 6, "x", 50, 66]


def test_two_small_counts_that_add_up_too_tightly_get_a_secondary() -> None:
    # "<5" + "<5" = 2 would reveal both are 1.
    df = pd.DataFrame({"school": ["A", "B", "C", "Kopā"], "students": [1, 1, 30, 32]})
    out = suppress_counts(df, ["students"], total_row=True)
    assert out["students"].tolist() == ["<5", "<5", "x", 32]


def test_secondary_across_a_row_total_column() -> None:
    df = pd.DataFrame({"school": ["A", "B"], "boys": [2, 10], "girls": [30, 12], "total": [32, 22]})
    out = suppress_counts(df, ["boys", "girls", "total"], total_column="total")
    assert out.iloc[0][["boys", "girls", "total"]].tolist() == ["<5", "x", 32]
    assert out.iloc[1][["boys", "girls", "total"]].tolist() == [10, 12, 22]


def test_row_and_column_totals_cannot_be_used_to_recover_a_cell() -> None:
    df = pd.DataFrame(
        {
            "school": ["A", "B", "C", "D", "Kopā"],
            "g1": [3, 0, 8, 12, 23],
            "g2": [7, 6, 9, 2, 24],
            "tot": [10, 6, 17, 14, 47],
        }
    )
    cols = ["g1", "g2", "tot"]
    out = suppress_counts(df, cols, total_row=True, total_column="tot")
    assert out.at[0, "g1"] == "<5" and out.at[3, "g2"] == "<5"
    assert out.iloc[-1][cols].tolist() == [23, 24, 47]  # totals still shown
    assert out["tot"].tolist() == [10, 6, 17, 14, 47]
    assert _recoverable(out, cols, 5) == []


def test_all_small_is_all_suppressed_including_the_total() -> None:
    df = pd.DataFrame({"school": ["A", "B", "Kopā"], "students": [1, 2, 3]})
    out = suppress_counts(df, ["students"], total_row=True)
    assert out["students"].tolist() == ["<5", "<5", "<5"]


def test_sums_published_elsewhere_count_as_a_total() -> None:
    df = pd.DataFrame({"school": ["A", "B", "C"], "students": [2, 10, 40]})
    assert suppress_counts(df, ["students"])["students"].tolist() == ["<5", 10, 40]
    out = suppress_counts(df, ["students"], sums_known=True)
    assert out["students"].tolist() == ["<5", "x", 40]


def test_min_count_is_a_parameter() -> None:
    df = pd.DataFrame({"school": ["A", "B", "C"], "students": [7, 10, 40]})
    assert suppress_counts(df, ["students"], min_count=10)["students"].tolist() == [
        "<10",
        10,
        40,
    ]
    assert suppress_counts(df, ["students"], min_count=1)["students"].tolist() == [7, 10, 40]


def test_missing_counts_are_left_alone_and_bad_values_refused() -> None:
    df = pd.DataFrame({"school": ["A", "B"], "students": pd.array([None, 3], dtype="Int64")})
    out = suppress_counts(df, ["students"])
    assert pd.isna(out.at[0, "students"]) and out.at[1, "students"] == "<5"
    with pytest.raises(ValueError, match="not a count"):
        suppress_counts(pd.DataFrame({"n": [1.5]}), ["n"])
    with pytest.raises(ValueError, match="no such count columns"):
        suppress_counts(pd.DataFrame({"n": [1]}), ["m"])


@pytest.mark.parametrize("seed", range(25))
def test_random_small_tables_leak_no_small_count(seed: int) -> None:
    rng = random.Random(seed)
    rows = rng.randint(2, 3)
    g1 = [rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 11]) for _ in range(rows)]
    g2 = [rng.choice([0, 1, 3, 4, 5, 7, 9]) for _ in range(rows)]
    df = pd.DataFrame({"school": [f"S{i}" for i in range(rows)], "g1": g1, "g2": g2})
    df["tot"] = df["g1"] + df["g2"]
    df.loc[len(df)] = ["Kopā", int(df["g1"].sum()), int(df["g2"].sum()), int(df["tot"].sum())]
    cols = ["g1", "g2", "tot"]
    out = suppress_counts(df, cols, total_row=True, total_column="tot")
    for c in cols:  # every small count is hidden, and nothing else is shown wrong
        for orig, shown in zip(df[c], out[c], strict=True):
            if 0 < orig < 5:
                assert shown == "<5"
            elif not isinstance(shown, str):
                assert shown == orig
            else:
                assert shown == "x" and orig >= 5
    assert _recoverable(out, cols, 5) == []


def test_note_in_both_languages() -> None:
    lv = suppression_note(Audience("public"), "lv")
    assert "<5" in lv and "mazāk nekā 5" in lv
    assert "<10 — fewer than 10" in suppression_note(Audience("public", 10), "en")


def test_assert_no_identifiers_finds_whole_tokens() -> None:
    page = "<td>stu-a</td><td>S10</td> Skolēns stu-b1 nav šeit; PL3."
    leaked = assert_no_identifiers(page, {"stu-a", "stu-b", "S1", "PL3", ""})
    assert leaked == ["PL3", "stu-a"]
    assert assert_no_identifiers(page.encode(), {"S10"}) == ["S10"]
    assert assert_no_identifiers(page, set()) == []


def test_assert_no_identifiers_reads_xlsx_bytes(tmp_path) -> None:
    from pumpurs.present.render import tables_to_xlsx

    out = tmp_path / "r.xlsx"
    tables_to_xlsx({"t": pd.DataFrame({"student_id": ["a9f3c0"], "n": [1]})}, out)
    assert assert_no_identifiers(out.read_bytes(), {"a9f3c0", "zzz"}) == ["a9f3c0"]


def _findings() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": ["CAP_MEALS", "CAP_MEALS", "CAP_MEALS", "ELIG_PERIOD", "BUDGET_ALLOCATION"],
            "severity": ["error"] * 5,
            "partner_id": ["P001"] * 5,
            "school_id": ["S001", "S001", "S002", "S001", ""],
            "student_id": ["stu-a", "stu-a", "stu-b", "stu-c", ""],
            "period": ["2020-01", "2020-02", "2020-01", "2016-12", ""],
            "entry_ids": [("E1",), ("E2", "E3"), ("E4",), ("E5",), ()],
            "amount_cents": pd.array([8400, 7100, 7500, None, None], dtype="Int64"),
            "limit_cents": pd.array([7000, 7000, 7000, None, None], dtype="Int64"),
            "at_risk_cents": [1400, 100, 500, 2000, 30000],
            "plan_id": [""] * 5,
        }
    )


def test_public_findings_drop_pupils_and_aggregate_by_rule_and_school() -> None:
    out = public_findings(_findings())
    assert not (PUPIL_LEVEL_COLUMNS & set(out.columns))
    assert list(out.columns) == [
        "rule",
        "severity",
        "partner_id",
        "school_id",
        "findings",
        "students",
        "at_risk_cents",
    ]
    rows = {(r.rule, r.school_id): r for r in out.itertuples()}
    assert rows[("CAP_MEALS", "S001")].findings == 2
    assert rows[("CAP_MEALS", "S001")].students == 1
    assert rows[("CAP_MEALS", "S001")].at_risk_cents == 1500
    assert rows[("BUDGET_ALLOCATION", "")].students == 0
    assert out["rule"].tolist()[0] == "ELIG_PERIOD"  # docs/rules.md order
    assert out["at_risk_cents"].sum() == _findings()["at_risk_cents"].sum()
    assert assert_no_identifiers(out.to_csv(), {"stu-a", "stu-b", "stu-c", "E1", "E4"}) == []
    shown = suppress_counts(out, ["findings", "students"])
    assert shown.loc[0, "students"] == "<5"
