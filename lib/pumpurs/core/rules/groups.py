"""Passes 2 and 3 and the allocation (docs/rules.md): rules judged on groups of rows,
where the money at risk is a group's excess, taken from its latest rows first. Each
rule's check is registered beside its id; a cap's check serves every cap (its category,
grouping and limits come from programme.yaml)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pumpurs.core import calendar as cal
from pumpurs.core.money import to_cents
from pumpurs.core.registry import rule
from pumpurs.core.rules.codes import group_codes, version_index
from pumpurs.core.rules.findings import empty_findings, group_findings
from pumpurs.core.settings import Cap

CAP_GROUP_KEYS = {
    "student_month": ["student_id", "service_month"],
    "student_semester": ["student_id", "semester"],
    "ngo_project": ["ngo_project_id"],
}
CAP_PERIOD_COLUMN = {
    "student_month": "service_month",
    "student_semester": "semester",
    "ngo_project": "ngo_project_id",
}


def _attribute_latest_first(
    rows: pd.DataFrame, group: str, available: str, excess: pd.Series
) -> pd.Series:
    """Each row loses min(its available amount, excess still to attribute), latest first.

    `rows` carries `paid_on` and `entry_id`; `excess` is indexed by group id. Ties in
    paid_on fall back to entry_id, so the result does not depend on row order.
    """
    order = rows.sort_values([group, "paid_on", "entry_id"], ascending=[True, False, False])
    before = order.groupby(group, sort=False)[available].cumsum() - order[available]
    left = order[group].map(excess).fillna(0).astype("int64") - before
    loss = left.clip(lower=0).where(left < order[available], order[available])
    return loss.clip(lower=0).astype("int64").reindex(rows.index)


@rule("DUPLICATE_CLAIM")
def _duplicates(led: pd.DataFrame, eligible: np.ndarray) -> tuple[np.ndarray, pd.DataFrame]:
    """Duplicates: eligible rows alike in document_ref, category, student_id, service_month
    and original amount (before corrections; a withdrawn row is not eligible here). A
    duplicate loses its net amount. The cheap columns narrow the rows first; only the few
    rows they pair up have their document references compared."""
    at = np.flatnonzero(eligible)
    cheap = (pd.factorize(led[c])[0] for c in ("category", "student_id", "service_month"))
    original = led["amount_cents"].to_numpy() + led["corrected_cents"].to_numpy()
    rough = group_codes(*(c[at] for c in cheap), original[at])
    del original
    paired = np.bincount(rough)[rough] > 1
    at = at[paired]
    codes = group_codes(rough[paired], led["document_ref"].iloc[at])
    keep = np.bincount(codes)[codes] > 1  # another eligible row has the same whole key
    at, codes = at[keep], codes[keep]
    loss = np.zeros(len(led), dtype=np.int64)
    if len(at) == 0:
        return loss, empty_findings()
    wanted = ["entry_id", "partner_id", "school_id", "student_id", "service_month", "paid_on"]
    dup = led[[*wanted, "amount_cents"]].iloc[at]
    dup["g"] = codes
    first = dup.sort_values(["g", "paid_on", "entry_id"]).groupby("g").cumcount() == 0
    dup["loss"] = np.where(first.reindex(dup.index), 0, dup["amount_cents"])
    loss[dup.index.to_numpy()] = dup["loss"].to_numpy()
    return loss, group_findings("DUPLICATE_CLAIM", dup, "service_month")


class Coded:
    """The ledger's columns as integer codes into their sorted distinct values (code
    order is value order), each factorized once however many caps ask."""

    def __init__(self, led: pd.DataFrame) -> None:
        self.led = led
        self._coded: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if column not in self._coded:
            found_codes, names = pd.factorize(self.led[column], sort=True)
            self._coded[column] = (found_codes, np.asarray(names, dtype=object))
        return self._coded[column]


def _cap_first_month(
    per: str,
    month: tuple[np.ndarray, np.ndarray],
    semester: tuple[np.ndarray, np.ndarray],
    g: np.ndarray,
) -> pd.Series:
    """The first month of each cap group (indexed by group code), whose limit applies to
    the whole group. `month` and `semester` are the rows' codes into sorted names, and
    the names (YYYY-MM and YYYY/YYYY-N sort as time)."""
    codes, names = semester if per == "student_semester" else month
    per_group = pd.Series(codes).groupby(g, sort=True).min()
    if per == "student_semester":  # the semester's first month, whichever month is spent
        start = cal.semester_start(pd.Series(names, dtype=object))
        names = start.dt.strftime("%Y-%m").to_numpy(dtype=object)
    return pd.Series(names[per_group.to_numpy()], index=per_group.index)


CapHit = tuple[np.ndarray, np.ndarray, pd.DataFrame]


@rule(
    "CAP_TRANSPORT_INTERCITY",
    "CAP_ACCOMMODATION",
    "CAP_MEALS",
    "CAP_SPECIAL_TRANSPORT",
    "CAP_PERSONAL_ITEMS",
    "CAP_NGO_PROJECT",
)
def _above_cap(led: pd.DataFrame, eligible: np.ndarray, cap: Cap, codes: Coded) -> CapHit | None:
    """A cap: each group's eligible money above its limit, latest rows first. Groups are
    found on integer codes; only the rows of groups over a limit are looked at again.
    The rows that lose money (positions), what each loses, and the findings; None if
    no group is over its limit."""
    at = np.flatnonzero(eligible & (led["category"] == cap.category).to_numpy())
    if len(at) == 0:
        return None
    g = group_codes(*(codes(c)[0][at] for c in CAP_GROUP_KEYS[cap.per]))
    month_codes, months = codes("service_month")
    semester_codes, semesters = codes("semester")
    first_month = _cap_first_month(
        cap.per, (month_codes[at], months), (semester_codes[at], semesters), g
    )
    limits = np.array([to_cents(v.limit_eur) for v in cap.versions], dtype=np.int64)
    limit = pd.Series(limits[version_index(cap.versions, first_month)], index=first_month.index)
    amount = led["amount_cents"].to_numpy(dtype=np.int64)
    total = pd.Series(amount[at]).groupby(g, sort=True).sum()
    excess = (total - limit).clip(lower=0)
    over = excess[excess > 0]
    if over.empty:
        return None
    hit = np.isin(g, over.index.to_numpy())
    period = CAP_PERIOD_COLUMN[cap.per]
    wanted = ["entry_id", "partner_id", "school_id", "student_id", "paid_on", "amount_cents"]
    rows = led[list(dict.fromkeys([*wanted, period]))].iloc[at[hit]]
    rows["g"] = g[hit]
    rows["loss"] = _attribute_latest_first(rows, "g", "amount_cents", over)
    return (
        rows.index.to_numpy(),
        rows["loss"].to_numpy(),
        group_findings(cap.rule, rows, period, limit),
    )


@rule("BUDGET_ALLOCATION")
def _over_allocation(led: pd.DataFrame, partners: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Over-allocation: the partner's eligible money above its allocation, latest rows first."""
    avail = led["amount_cents"] - led["ineligible_cents"]
    per_partner = avail.groupby(led["partner_id"]).sum()
    alloc = (
        partners.set_index("partner_id")["allocation_cents"].reindex(per_partner.index).fillna(0)
    )
    excess = (per_partner - alloc).clip(lower=0)
    over = excess[excess > 0].astype("int64")
    result = np.zeros(len(led), dtype=np.int64)
    if over.empty:
        return result, empty_findings()
    rows = led.loc[led["partner_id"].isin(over.index), ["partner_id", "paid_on", "entry_id"]].copy()
    rows["avail"] = avail.loc[rows.index]
    rows["loss"] = _attribute_latest_first(rows, "partner_id", "avail", over)
    result[rows.index.to_numpy()] = rows["loss"].to_numpy()
    f = pd.DataFrame(
        {
            "rule": "BUDGET_ALLOCATION",
            "partner_id": over.index.astype(str),
            "school_id": "",
            "student_id": "",
            "period": "",
            "entry_ids": [() for _ in range(len(over))],
            "amount_cents": per_partner.loc[over.index].to_numpy(),
            "limit_cents": alloc.loc[over.index].astype("int64").to_numpy(),
            "at_risk_cents": over.to_numpy(),
        }
    )
    return result, f
