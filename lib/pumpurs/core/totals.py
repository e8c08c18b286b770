"""Totals of a judged ledger by partner, municipality, category, school or period.

Every table adds up to the cent, and every table of one scope to the same ESF figure:
the ESF share is fixed once per partner (its eligible money times the rate in force,
rounded half-up to the cent) and apportioned once over the partner's ledger rows by the
largest-remainder method (`esf_shares`; the judged ledger carries each row's cents as
`esf_cents`). Every table row, of any key or period, is the sum of its ledger rows'
shares, so the same rows carry the same ESF everywhere. The state share is
eligible − ESF, and a total line is always the sum of its rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from pumpurs.core.errors import UsageError

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
    "corrected_cents": "corrected_cents",
    "ineligible_cents": "ineligible_cents",
    "over_allocation_cents": "over_allocation_cents",
    "eligible_cents": "eligible_cents",
}
MONEY_COLUMNS = (
    "declared_cents",
    "corrected_cents",
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


@dataclass(frozen=True)
class _Ledger:
    """What every key's totals need from a ledger, worked out once: the summed money
    columns and each row's ESF cents (the judged ledger's `esf_cents`, apportioned once
    over the partner's rows; worked out here for a ledger without them)."""

    money: pd.DataFrame

    @classmethod
    def of(cls, ledger: pd.DataFrame) -> _Ledger:
        money = pd.DataFrame({c: _cents(ledger, c) for c in _SUMMED})
        money["esf_cents"] = row_esf_cents(ledger)
        return cls(money=money)


def row_esf_cents(ledger: pd.DataFrame) -> np.ndarray:
    """Each ledger row's ESF cents: the judged ledger's own, else `esf_shares(ledger)`."""
    if "esf_cents" in ledger.columns:
        own: np.ndarray = ledger["esf_cents"].astype("int64").to_numpy()
        return own
    return esf_shares(ledger)


def esf_shares(ledger: pd.DataFrame) -> np.ndarray:
    """Each row's part of its partner's ESF share, in cents (rules.md "Totals").

    The partner's share is its eligible money times the rate in force, rounded half-up;
    it is apportioned once over the partner's rows: each row gets its exact share rounded
    down, and the cents left over go one each to the rows with the largest remainders,
    ties to the smaller entry_id. Every table then sums its rows' shares, so the same rows
    carry the same ESF in every table and every period. Exact integer arithmetic (rates
    as fractions `scale / den`). A remainder is one of `den` values (20 for 85 %), so the
    remainder that takes a partner's last cent is found by counting, not by sorting the
    ledger; only the rows tied at that remainder are ordered, by entry_id.
    """
    n = len(ledger)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rate_codes, rate_values = _key_codes(ledger["esf_rate"])  # a few
    rates = [Decimal(r).as_integer_ratio() for r in rate_values]
    den = math.lcm(*(d for _, d in rates))
    scale = np.array([q * (den // d) for q, d in rates], dtype=np.int64)  # rate = scale/den
    exact = ledger["eligible_cents"].to_numpy(dtype=np.int64) * scale[rate_codes]
    del rate_codes  # the 10× ledger has 6.7 M rows: every array freed as soon as done
    floor, rem = np.divmod(exact, den)
    del exact
    partner = pd.factorize(ledger["partner_id"], sort=False)[0].astype(np.int32)
    parts = int(partner.max()) + 1
    if parts * den > 1 << 24:  # rates of many decimals: count on the distinct remainders
        values, inverse = np.unique(rem, return_inverse=True)
        rem = inverse.astype(np.int32)
    else:
        values, rem = np.arange(den, dtype=np.int64), rem.astype(np.int32)
    # rows per (partner, remainder), and each partner's exact total in `den` parts
    cells = partner.astype(np.int64) * len(values) + rem
    counts = np.bincount(cells, minlength=parts * len(values)).reshape(parts, len(values))
    del cells
    floors = np.zeros(parts, dtype=np.int64)
    np.add.at(floors, partner, floor)
    exact_total = floors * den + counts @ values
    left = (2 * exact_total + den) // (2 * den) - floors  # the half-up share's cents to give
    # Largest remainder first: how many rows of each partner have a remainder >= each value.
    at_least = counts[:, ::-1].cumsum(axis=1)[:, ::-1]
    short = (at_least >= left[:, None]).sum(axis=1) - 1  # the cut: remainder index
    cut = np.where(left > 0, short, len(values)).astype(np.int32)  # no cent left: no cut
    padded = np.append(at_least, np.zeros((parts, 1), dtype=at_least.dtype), axis=1)
    still = left - padded[np.arange(parts), np.minimum(cut + 1, len(values))]  # cents at the cut
    row_cut = cut[partner]
    floor += rem > row_cut
    tied = np.flatnonzero(rem == row_cut)
    if len(tied):  # the smaller entry_ids take the cents left at the cut
        ties = pd.DataFrame(
            {
                "p": partner[tied],
                "id": ledger["entry_id"].iloc[tied].astype(str).to_numpy(),
                "at": tied,
            }
        ).sort_values(["p", "id"], kind="stable")
        nth = ties.groupby("p", sort=False).cumcount().to_numpy()
        floor[ties["at"].to_numpy()[nth < still[ties["p"].to_numpy()]]] += 1
    shares: np.ndarray = floor
    return shares


def _cents(ledger: pd.DataFrame, column: str) -> np.ndarray:
    """A money column of the ledger; a ledger made without corrections has none (0)."""
    if column not in ledger.columns and column == "corrected_cents":
        return np.zeros(len(ledger), dtype=np.int64)
    cents: np.ndarray = ledger[column].astype("int64").to_numpy()
    return cents


def totals(ledger: pd.DataFrame, partners: pd.DataFrame, by: str) -> TotalsTable:
    """One row per value of the `by` key, plus a total line that is the sum of the rows.

    `ledger` is a Judgement ledger (already scoped if the caller wants a scope) and
    `partners` the partners in that scope: they give the allocation, and for `partner`
    and `municipality` every partner/municipality in scope gets a row even without spend.
    A ledger row whose key is empty (e.g. partner-level spend with no school) is kept in
    a row with the key "" so the table still adds up to the ledger.
    """
    return totals_many(ledger, partners, [by])[by]


def totals_many(
    ledger: pd.DataFrame, partners: pd.DataFrame, bys: list[str]
) -> dict[str, TotalsTable]:
    """`totals` for several keys of one ledger, which share the work on its rows."""
    for by in bys:
        if by not in BY_KEYS:
            valid = ", ".join(BY_KEYS)
            raise UsageError(f'"{by}" is not a totals key; use one of: {valid}')
    shared = _Ledger.of(ledger)
    return {by: _totals(ledger, shared, partners, by) for by in bys}


def _totals(ledger: pd.DataFrame, shared: _Ledger, partners: pd.DataFrame, by: str) -> TotalsTable:
    key = BY_KEYS[by]
    money = _money_by(ledger, shared, key)

    if by == "partner":
        info = partners.set_index("partner_id")
        allocation = info["allocation_cents"].astype("int64")
        info = info[list(_INFO[by])]
    elif by == "municipality":
        alloc = partners.groupby("municipality", sort=False)["allocation_cents"].sum()
        allocation = alloc.astype("int64")
        pairs = ["municipality", "municipality_code"]
        seen = pd.DataFrame(columns=pairs, dtype=str)
        if "municipality_code" in ledger:  # its distinct pairs: a few, not millions of rows
            distinct = ledger[pairs].drop_duplicates()
            seen = distinct.astype(str).where(distinct.notna())
        codes = pd.concat([partners[pairs], seen])
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


def _money_by(ledger: pd.DataFrame, shared: _Ledger, key: str) -> pd.DataFrame:
    """Summed money per key value: every column, ESF included, is the sum of its rows."""
    codes, uniques = _key_codes(ledger[key])  # integer keys: groupby without strings
    summed = [*_SUMMED, "esf_cents"]
    sums = shared.money.groupby(codes, sort=True)[summed].sum().rename(columns=_SUMMED)
    sums.index = pd.Index(np.asarray(uniques, dtype=object)[sums.index], dtype=str)
    sums["state_cents"] = sums["eligible_cents"] - sums["esf_cents"]
    return sums[list(MONEY_COLUMNS)].astype("int64")


def _key_codes(column: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Sorted integer codes of a key column and the keys as text, a missing key as "".
    A categorical column (the judged ledger's municipality, semester, …) is coded from its
    categories, never turned into millions of strings."""
    if not isinstance(column.dtype, pd.CategoricalDtype):
        text_codes, keys = pd.factorize(column.astype(str).where(column.notna(), ""), sort=True)
        return text_codes, pd.Index(keys)
    codes, uniques = pd.factorize(column, sort=True)  # categories are sorted: key order
    names = [str(u) for u in uniques]
    if (codes < 0).any():
        if "" in names:
            codes = np.where(codes < 0, names.index(""), codes)
        else:  # "" sorts before every other key
            names, codes = ["", *names], codes + 1
    return codes, pd.Index(names, dtype=str)


def esf_by(ledger: pd.DataFrame, keys: pd.Series) -> pd.Series:
    """The ESF cents of each key: the sum of its rows' shares (`esf_shares`)."""
    codes, uniques = pd.factorize(keys.astype(str), sort=True)
    esf = pd.Series(row_esf_cents(ledger)).groupby(codes, sort=True).sum().astype("int64")
    esf.index = pd.Index(np.asarray(uniques, dtype=object)[esf.index], dtype=str)
    return esf


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """numerator / denominator as Float64; NA where the denominator is 0 or NA."""
    den = denominator.astype("Float64")
    out = numerator.astype("Float64") / den
    return out.where(den.notna() & (den != 0), pd.NA).astype("Float64")
