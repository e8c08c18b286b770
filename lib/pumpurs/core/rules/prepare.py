"""Preparing the ledger and the plans as known at the report date: net amounts after
corrections, each row's municipality, semester, school year, half-year and ESF rate."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from pumpurs.core import calendar as cal
from pumpurs.core.dataset import Dataset
from pumpurs.core.rules.codes import as_category, index_in, positions, version_index
from pumpurs.core.settings import Programme


def default_as_of(ds: Dataset, programme: Programme) -> dt.date:
    """No report date given: the one rule decides (core/calendar.py `report_date`)."""
    end = programme.final_period.end_month
    return cal.report_date(paid_on=ds.expenditures["paid_on"], programme_end=end)


def prepare(ds: Dataset, programme: Programme, as_of: dt.date) -> tuple[pd.DataFrame, pd.DataFrame]:
    cutoff = pd.Timestamp(as_of)
    e = ds.expenditures
    known = e["paid_on"] <= cutoff
    # Every row known stays (credit notes too, with no money: see _net_amounts): leaving
    # out a few rows would copy every text column (~1 GB for a 6.7-million-row ledger),
    # and when every row is known pandas copies none.
    led = e.loc[known].drop(columns=["_row", "corrects_entry_id"], errors="ignore")
    led = _net_amounts(led.reset_index(drop=True), e.loc[known & (e["amount_cents"] < 0)])
    partners = ds.partners[["partner_id", "municipality", "municipality_code"]]
    at = positions(led["partner_id"], partners["partner_id"])
    for c in ("municipality", "municipality_code"):
        led[c] = as_category(partners[c], at)
    # What follows from the month alone, worked out once per distinct month (~90).
    code, names = pd.factorize(led["service_month"])
    months = pd.Series(names)
    semester = cal.semester_of_month(months)
    rates = np.asarray([str(v.rate) for v in programme.esf_rate], dtype=object)
    by_month = {
        "semester": semester,
        "school_year": semester.str.slice(0, 9),
        "half_year": cal.half_year_of_month(months),
        "esf_rate": pd.Series(rates[version_index(programme.esf_rate, months)]).astype(str),
    }
    for c, values in by_month.items():
        led[c] = as_category(values, code)

    p = ds.support_plans
    plans = p.loc[p["created_on"] <= cutoff].drop(columns="_row").reset_index(drop=True)
    school_partner = ds.schools[["school_id", "partner_id"]]
    plans = plans.merge(school_partner, on="school_id", how="left", validate="many_to_one")
    plans = plans.merge(partners, on="partner_id", how="left", validate="many_to_one")
    plans["school_year"] = plans["semester"].str.slice(0, 9)
    return led, plans


def _net_amounts(led: pd.DataFrame, corrections: pd.DataFrame) -> pd.DataFrame:
    """Each row's net amount as of the report date (its amount plus the corrections known
    then) in `amount_cents`, and those corrections as a positive figure in
    `corrected_cents`; a credit note's own row keeps no money (0 and 0), so it is in no
    pass and adds nothing to any total. The ledger's ids are probed against the
    corrected ones (index_in), not joined."""
    corrected = np.zeros(len(led), dtype=np.int64)
    amount = led["amount_cents"].to_numpy(dtype=np.int64)
    if len(corrections) and "corrects_entry_id" in corrections.columns:
        taken = corrections.groupby("corrects_entry_id", sort=False)["amount_cents"].sum()
        at = index_in(led["entry_id"], taken.index.tolist())
        hit = np.flatnonzero(at >= 0)
        corrected[hit] = -taken.to_numpy(dtype=np.int64)[at[hit]]
    at = led.columns.get_loc("amount_cents") + 1
    led.insert(at, "corrected_cents", corrected)
    led["amount_cents"] = np.where(amount < 0, 0, amount - corrected)
    return led


def correction_ids(ds: Dataset, as_of: dt.date, rows: set[str]) -> dict[str, tuple[str, ...]]:
    """The corrections known at `as_of` of each of `rows` (the rows findings name) that was
    corrected, by (paid_on, entry_id)."""
    e = ds.expenditures
    if "corrects_entry_id" not in e.columns or not rows:  # a data set without the column
        return {}
    notes = e[(e["amount_cents"] < 0).to_numpy() & (e["paid_on"] <= pd.Timestamp(as_of))]
    notes = notes[notes["corrects_entry_id"].isin(rows)]
    notes = notes.sort_values(["corrects_entry_id", "paid_on", "entry_id"])
    out: dict[str, tuple[str, ...]] = {}
    pairs = zip(notes["corrects_entry_id"].tolist(), notes["entry_id"].tolist(), strict=True)
    for row, note in pairs:
        out[row] = (*out.get(row, ()), note)
    return out


# ---------------------------------------------------------------------------
