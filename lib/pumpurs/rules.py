"""Judging every euro exactly as rules.md says: three passes, allocation, warnings.

`judge()` is the one entry point. It returns a `Judgement`: the ledger as known at
`as_of` with each row's ineligible, over-allocation and eligible cents, the support
plans known at `as_of`, and the findings table. Totals and indicators are computed
from a Judgement, never from the raw data, so every view agrees.

Ledger columns (one row per expenditure with paid_on <= as_of):
  entry_id, partner_id, municipality, municipality_code, school_id, student_id,
  category, service_month (YYYY-MM), semester (YYYY/YYYY-N), school_year (YYYY/YYYY),
  half_year (YYYY-HN), paid_on (datetime64), amount_cents, ineligible_cents,
  over_allocation_cents, eligible_cents (= amount - ineligible - over_allocation),
  esf_rate (str, e.g. "0.85", the rate in force in the service month),
  document_ref, specialist_role, hours, ngo_project_id.
Plans columns: the support_plans columns plus partner_id, municipality,
  municipality_code, school_year.
Findings columns: rule, severity (error|warning), partner_id, school_id, student_id,
  period, entry_ids (tuple[str, ...]), amount_cents (Int64, NA if none),
  limit_cents (Int64, NA if none), at_risk_cents (int64), message_en, message_lv.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from .load import Dataset

FINDING_COLUMNS = (
    "rule",
    "severity",
    "partner_id",
    "school_id",
    "student_id",
    "period",
    "entry_ids",
    "amount_cents",
    "limit_cents",
    "at_risk_cents",
    "message_en",
    "message_lv",
)


@dataclass
class Judgement:
    as_of: dt.date
    ledger: pd.DataFrame
    plans: pd.DataFrame
    findings: pd.DataFrame
    dataset: Dataset
