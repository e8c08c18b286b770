"""Credit notes and stornos in the demo ledger, as an accounting system exports them.

A few percent of the clean rows that no breach touches are corrected after they were
paid: part of the amount (one credit note), all of it (a storno), or in two credit
notes; most within weeks, some months later, and at least one in the half-year after
its row was paid (a report of the earlier half-year does not know it yet). Rows that a
finding names are left alone, so every injected breach is still found exactly; the
oracle nets the corrections itself (demo/oracle.py), so the allocations and the expected
findings are computed on net amounts, as the engine judges them.

`bad_corrections` plants one invalid correction of each kind the data contract refuses:
the "bad" variant a test feeds to validation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CORRECTED_SHARE = 0.03  # of the clean rows no finding names
PARTIAL, STORNO, SPLIT = 0, 1, 2
KIND_SHARE = (0.5, 0.25, 0.25)
LATE_SHARE = 0.2  # paid two to eight months after the row


def _days(dates: pd.Series) -> np.ndarray:
    return dates.to_numpy().astype("datetime64[D]").astype(np.int64)


def _round10(cents: np.ndarray) -> np.ndarray:
    return (np.asarray(cents) // 10 * 10).astype(np.int64)


def add_corrections(
    expenditures: pd.DataFrame, touched: set[str], clean: np.ndarray, seed: int
) -> pd.DataFrame:
    """The ledger with credit notes (entry ids K…, documents KR-…) after the rows they
    correct, in paid order, and the column corrects_entry_id ("" on every other row).

    `touched`: entry ids a finding names (left alone); `clean`: which rows the generator
    made without a breach. Drawn from their own generator (seeded from `seed`), so the
    rest of the data set does not move."""
    rng = np.random.default_rng([seed, 21])
    e = expenditures.assign(corrects_entry_id="")
    free = clean & ~e["entry_id"].isin(touched).to_numpy()
    candidates = np.flatnonzero(free & (e["amount_cents"].to_numpy() >= 200))
    if len(candidates) == 0:
        return e
    n = max(3, round(len(candidates) * CORRECTED_SHARE))
    rows = np.sort(rng.choice(candidates, size=min(n, len(candidates)), replace=False))
    kind = rng.choice(3, size=len(rows), p=KIND_SHARE)
    kind[: min(3, len(kind))] = [PARTIAL, STORNO, SPLIT][: min(3, len(kind))]  # one of each
    amount = e["amount_cents"].to_numpy()[rows]
    first = np.where(
        kind == STORNO, amount, np.maximum(10, _round10(amount * rng.uniform(0.1, 0.6, len(rows))))
    )
    rest = amount - first
    second = np.where(
        kind == SPLIT,
        np.where(rng.random(len(rows)) < 0.5, rest, _round10(rest * rng.uniform(0.2, 0.8))),
        0,
    )
    paid = _days(e["paid_on"])
    last = int(paid.max())  # no correction after the ledger's last payment: as_of stays
    late = rng.random(len(rows)) < LATE_SHARE
    delay = np.where(late, rng.integers(60, 241, len(rows)), rng.integers(3, 46, len(rows)))
    on1 = np.minimum(paid[rows] + delay, np.maximum(last, paid[rows]))
    on2 = np.minimum(on1 + rng.integers(5, 40, len(rows)), np.maximum(last, on1))
    on1, on2 = _across_half_year(paid[rows], on1, on2, last)
    notes = [
        _notes(e, rows, first, on1),
        _notes(e, rows[second > 0], second[second > 0], on2[second > 0]),
    ]
    k = pd.concat(notes, ignore_index=True)
    k = k.iloc[np.lexsort((k["_row"].to_numpy(), _days(k["paid_on"])))].reset_index(drop=True)
    width = len(str(len(k)))
    k["entry_id"] = [f"K{i + 1:0{max(6, width)}d}" for i in range(len(k))]
    years = k["paid_on"].dt.year.to_numpy()
    k["document_ref"] = [f"KR-{y}-{i + 1:06d}" for i, y in enumerate(years)]
    out = pd.concat([e.assign(_row=np.arange(len(e))), k], ignore_index=True)
    order = np.lexsort((out["_row"].to_numpy(), _days(out["paid_on"])))
    out = out.iloc[order].drop(columns="_row").reset_index(drop=True)
    cols = list(expenditures.columns)
    cols.insert(cols.index("amount_cents") + 1, "corrects_entry_id")
    return out[cols]


def _across_half_year(
    row_paid: np.ndarray, on1: np.ndarray, on2: np.ndarray, last: int
) -> tuple[np.ndarray, np.ndarray]:
    """At least one credit note paid in the half-year after its row's payment: the row
    paid nearest before a half-year's end gets its note a few weeks into the next one."""
    months = row_paid.astype("datetime64[D]").astype("datetime64[M]")
    next_half = (months + 1).astype("datetime64[D]").astype(np.int64) + 14
    ends = np.flatnonzero(
        np.isin(months.astype(np.int64) % 12 + 1, (6, 12)) & (next_half + 10 <= last)
    )
    if len(ends) == 0:
        return on1, on2
    i = ends[np.argmax(row_paid[ends])]
    on1, on2 = on1.copy(), on2.copy()
    on1[i], on2[i] = next_half[i], next_half[i] + 10
    return on1, on2


def _notes(e: pd.DataFrame, rows: np.ndarray, cents: np.ndarray, on: np.ndarray) -> pd.DataFrame:
    """Credit notes of `rows`: the row's service as it is, a negative amount, its date."""
    k = e.iloc[rows].copy()
    k["corrects_entry_id"] = e["entry_id"].to_numpy()[rows]
    k["amount_cents"] = -np.asarray(cents, dtype=np.int64)
    k["paid_on"] = pd.Series(
        np.asarray(on, dtype=np.int64).astype("datetime64[D]").astype("datetime64[ns]"),
        index=k.index,
    )
    k["_row"] = rows
    return k.reset_index(drop=True)


def bad_corrections(expenditures: pd.DataFrame) -> pd.DataFrame:
    """The demo ledger with one invalid correction of each kind appended (entry ids
    BAD-1…BAD-6): a negative row naming no row, one naming a row that does not exist,
    one naming a credit note, one of another partner, one paid before its row, and one
    taking its row below zero. Validation must refuse each of them, naming both rows."""
    e = expenditures.copy()
    if "corrects_entry_id" not in e.columns:
        e.insert(e.columns.get_loc("amount_cents") + 1, "corrects_entry_id", "")
    positive = e[(e["amount_cents"] > 0) & (e["corrects_entry_id"] == "")]
    row = positive.iloc[len(positive) // 2]
    other = positive[positive["partner_id"] != row["partner_id"]].iloc[0]
    note = e[e["amount_cents"] < 0]
    day = pd.Timedelta(days=1)
    planted = [
        {"corrects_entry_id": ""},
        {"corrects_entry_id": "E9999999"},
        {"corrects_entry_id": note["entry_id"].iloc[0] if len(note) else "K999999"},
        {
            **other.to_dict(),
            "corrects_entry_id": other["entry_id"],
            "partner_id": row["partner_id"],
            "paid_on": other["paid_on"] + day,
            "amount_cents": -100,
        },  # fmt: skip
        {"corrects_entry_id": row["entry_id"], "paid_on": row["paid_on"] - day},
        {"corrects_entry_id": row["entry_id"], "amount_cents": -(row["amount_cents"] + 100)},
    ]
    bad = []
    for i, change in enumerate(planted, start=1):
        base = {**row.to_dict(), "paid_on": row["paid_on"] + day}
        bad.append(
            {**base, "amount_cents": -100, **change, "entry_id": f"BAD-{i}",
             "document_ref": f"KR-BAD-{i}"}
        )  # fmt: skip
    return pd.concat([e, pd.DataFrame(bad)], ignore_index=True)
