"""Totals of a judged ledger by partner, municipality, category, school or period.

Every table adds up to the cent: each row splits its own eligible money into ESF and
state shares (half-up per row and rate, rules.md "Totals"), and the total line is the
sum of the rows, never a re-rounding of the summed eligible amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from pumpurs.core.errors import UsageError
from pumpurs.core.money import share_half_up

BY_KEYS: dict[str, str] = {
    "partner": "partner_id",
    "municipality": "municipality",
    "category": "category",
    "school": "school_id",
    "month": "service_month",
    "semester": "semester",
    "half-year": "half_year",
}

# Ledger column -> totals column, in output order.
_SUMMED = {
    "amount_cents": "declared_cents",
    "ineligible_cents": "ineligible_cents",
    "over_allocation_cents": "over_allocation_cents",
    "eligible_cents": "eligible_cents",
}
MONEY_COLUMNS = (
    "declared_cents",
    "ineligible_cents",
    "over_allocation_cents",
    "eligible_cents",
    "esf_cents",
    "state_cents",
)
# Descriptive columns that follow the key, taken from `partners`.
_INFO = {"partner": ("name", "municipality"), "municipality": ("municipality_code",)}


@dataclass
class TotalsTable:
    by: str
    key: str
    rows: pd.DataFrame
    total: dict[str, Any]  # money columns in cents (int), absorption (float or None)


def totals(ledger: pd.DataFrame, partners: pd.DataFrame, by: str) -> TotalsTable:
    """One row per value of the `by` key, plus a total line that is the sum of the rows.

    `ledger` is a Judgement ledger (already scoped if the caller wants a scope) and
    `partners` the partners in that scope: they give the allocation, and for `partner`
    and `municipality` every partner/municipality in scope gets a row even without spend.
    A ledger row whose key is empty (e.g. partner-level spend with no school) is kept in
    a row with the key "" so the table still adds up to the ledger.
    """
    if by not in BY_KEYS:
        valid = ", ".join(BY_KEYS)
        raise UsageError(f'"{by}" is not a totals key; use one of: {valid}')
    key = BY_KEYS[by]
    money = _money_by(ledger, key)

    if by == "partner":
        info = partners.set_index("partner_id")
        allocation = info["allocation_cents"].astype("int64")
        info = info[list(_INFO[by])]
    elif by == "municipality":
        alloc = partners.groupby("municipality", sort=False)["allocation_cents"].sum()
        allocation = alloc.astype("int64")
        codes = pd.concat(
            [
                partners[["municipality", "municipality_code"]],
                ledger[["municipality", "municipality_code"]]
                if "municipality_code" in ledger
                else pd.DataFrame(columns=["municipality", "municipality_code"], dtype=str),
            ]
        )
        info = codes.drop_duplicates("municipality").set_index("municipality")
    else:
        allocation = None
        info = None

    keys = money.index
    if allocation is not None:
        keys = keys.union(allocation.index)
    keys = keys.sort_values()
    rows = money.reindex(keys, fill_value=0).astype("int64")
    rows.index.name = key

    if allocation is None:
        rows["allocation_cents"] = pd.array([pd.NA] * len(rows), dtype="Int64")
    else:
        # A ledger key with no partner in scope has no known allocation: NA, not 0.
        rows["allocation_cents"] = allocation.reindex(keys).astype("Int64")
    rows["absorption"] = _ratio(rows["eligible_cents"], rows["allocation_cents"])

    rows = rows.reset_index()
    rows[key] = rows[key].astype(str)
    if info is not None:
        for pos, col in enumerate(_INFO[by], start=1):
            rows.insert(
                pos, col, rows[key].map(info[col]).astype(str).where(rows[key].isin(info.index), "")
            )

    total: dict[str, Any] = {c: int(rows[c].sum()) for c in MONEY_COLUMNS}
    total_alloc = int(partners["allocation_cents"].astype("int64").sum()) if len(partners) else 0
    total["allocation_cents"] = total_alloc
    total["absorption"] = total["eligible_cents"] / total_alloc if total_alloc else None
    return TotalsTable(by=by, key=key, rows=rows, total=total)


def _money_by(ledger: pd.DataFrame, key: str) -> pd.DataFrame:
    """Summed money per key value, with the ESF share rounded per key and per rate."""
    keys = ledger[key].astype(str).where(ledger[key].notna(), "")
    frame = pd.DataFrame(
        {c: ledger[c].astype("int64").to_numpy() for c in _SUMMED}, index=ledger.index
    )
    frame["_key"] = keys
    frame["_rate"] = ledger["esf_rate"].astype(str)
    sums = frame.groupby("_key", sort=True)[list(_SUMMED)].sum().rename(columns=_SUMMED)

    per_rate = frame.groupby(["_key", "_rate"], sort=False)["eligible_cents"].sum().reset_index()
    esf = np.zeros(len(per_rate), dtype=np.int64)
    for rate in per_rate["_rate"].unique():  # a handful of rates at most
        mask = (per_rate["_rate"] == rate).to_numpy()
        esf[mask] = share_half_up(per_rate.loc[mask, "eligible_cents"].to_numpy(), Decimal(rate))
    per_rate["esf_cents"] = esf
    sums["esf_cents"] = (
        per_rate.groupby("_key")["esf_cents"].sum().reindex(sums.index, fill_value=0)
    )
    sums["state_cents"] = sums["eligible_cents"] - sums["esf_cents"]
    sums.index = sums.index.astype(str)
    return sums[list(MONEY_COLUMNS)].astype("int64")


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as Float64; NA where the denominator is 0 or NA."""
    den = denominator.astype("Float64")
    out = numerator.astype("Float64") / den
    return out.where(den.notna() & (den != 0), pd.NA).astype("Float64")
