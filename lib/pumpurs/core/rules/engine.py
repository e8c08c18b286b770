"""Judging every euro exactly as docs/rules.md says: three passes, allocation, warnings.

`judge()` is the one entry point. It returns a `Judgement`: the ledger as known at
`as_of` with each row's ineligible, over-allocation and eligible cents, the support
plans known at `as_of`, and the findings table. Totals and indicators are computed
from a Judgement, never from the raw data, so every view agrees.

Ledger columns (one row per expenditure with paid_on <= as_of; a correction is judged
as part of the row it corrects, docs/rules.md "Corrections", and its own row carries no
money: amount, corrected, ineligible and eligible all 0):
  entry_id, partner_id, municipality, municipality_code, school_id, student_id,
  category, service_month (YYYY-MM), semester (YYYY/YYYY-N), school_year (YYYY/YYYY),
  half_year (YYYY-HN), paid_on (datetime64), amount_cents (the net amount: the row's
  amount plus its corrections paid by `as_of`; 0 for a withdrawn row), corrected_cents
  (those corrections as a positive figure), ineligible_cents,
  over_allocation_cents, eligible_cents (= amount - ineligible - over_allocation),
  esf_rate (e.g. "0.85", the rate in force in the service month), esf_cents (the
  row's part of its partner's ESF share, totals.esf_shares), document_ref,
  specialist_role, hours, ngo_project_id.
  municipality, municipality_code, semester, school_year, half_year and esf_rate are
  categoricals with sorted categories (one byte a row, not a string).
Plans columns: the support_plans columns plus partner_id, municipality,
  municipality_code, school_year.
Findings columns: rule, severity (error|warning), partner_id, school_id, student_id,
  period, entry_ids (tuple[str, ...]), amount_cents (Int64, NA if none),
  limit_cents (Int64, NA if none), at_risk_cents (int64), then DETAIL_COLUMNS: the
  structured facts present/messages.py turns into a sentence (core writes no words).

Each rule's check is registered beside its id (core/registry.py `@rule`) in its pass's
module: eligibility.py (pass 1), groups.py (duplicates, caps, allocation), warning.py;
`judge()` asks them in the registry's order (the caps in programme.yaml's order).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

import pumpurs.core.rules.warning  # noqa: F401  (registers the warnings' checks)
from pumpurs.core import registry
from pumpurs.core.dataset import Dataset
from pumpurs.core.rules.eligibility import breaks, row_findings
from pumpurs.core.rules.findings import finish_findings, with_corrections
from pumpurs.core.rules.groups import Coded
from pumpurs.core.rules.judgement import Judgement
from pumpurs.core.rules.prepare import correction_ids, default_as_of, prepare
from pumpurs.core.settings import Programme
from pumpurs.core.totals import esf_shares

LEDGER_COLUMNS = [
    "entry_id", "partner_id", "municipality", "municipality_code", "school_id", "student_id",
    "category", "service_month", "semester", "school_year", "half_year", "paid_on",
    "amount_cents", "corrected_cents", "ineligible_cents", "over_allocation_cents",
    "eligible_cents", "esf_rate", "esf_cents", "document_ref", "specialist_role", "hours",
    "ngo_project_id",
]  # fmt: skip


def judge(ds: Dataset, programme: Programme, as_of: dt.date | None = None) -> Judgement:
    """Judge every row known at `as_of` (default: the latest paid_on) by docs/rules.md."""
    as_of = as_of or default_as_of(ds, programme)
    led, plans = prepare(ds, programme, as_of)

    broken = breaks(led, plans, ds, programme)
    ineligible, f1 = row_findings(led, broken)
    found = [f1]
    eligible = (ineligible == 0) & (led["amount_cents"].to_numpy() > 0)  # withdrawn: in no pass
    for rule_id in registry.ids("duplicate"):
        loss, f = registry.check(rule_id)(led, eligible)
        ineligible = ineligible + loss
        found.append(f)
    eligible &= ineligible == 0
    over_cap, capped = _caps(led, eligible, programme)
    found += capped
    led["ineligible_cents"] = ineligible + over_cap
    over_allocation = np.zeros(len(led), dtype=np.int64)
    for rule_id in registry.ids("allocation"):
        loss, f = registry.check(rule_id)(led, ds.partners)
        over_allocation = over_allocation + loss
        found.append(f)
    led["over_allocation_cents"] = over_allocation
    del eligible, ineligible, over_cap, over_allocation, loss  # row-long: in the ledger now
    led["eligible_cents"] = (
        led["amount_cents"] - led["ineligible_cents"] - led["over_allocation_cents"]
    )
    led["esf_cents"] = esf_shares(led)  # apportioned once: every table sums these

    corrected = bool(led["corrected_cents"].any())
    for rule_id in registry.ids("warning"):
        found.append(registry.check(rule_id)(led, plans, ds.partners, programme, as_of))
    findings = pd.concat(found, ignore_index=True)
    findings = finish_findings(findings, led, broken, ds, programme)
    named = {i for t in findings["entry_ids"] for i in t} if corrected else set()
    findings = with_corrections(findings, correction_ids(ds, as_of, named))
    return Judgement(as_of, led[LEDGER_COLUMNS], plans, findings, ds, programme)


def _caps(
    led: pd.DataFrame, eligible: np.ndarray, programme: Programme
) -> tuple[np.ndarray, list[pd.DataFrame]]:
    """Every cap of programme.yaml by its rule's check: what each row loses, and the
    findings. The columns' codes the caps share (a few row-long arrays) go with it."""
    over_cap = np.zeros(len(led), dtype=np.int64)
    found: list[pd.DataFrame] = []
    codes = Coded(led)
    for cap in programme.caps:
        hit = registry.check(cap.rule)(led, eligible, cap, codes)
        if hit is not None:
            at, loss, f = hit
            over_cap[at] = loss
            found.append(f)
    return over_cap, found
