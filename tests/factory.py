"""A tiny, valid programme world built in memory, so each rules test states only what matters."""

from __future__ import annotations

import itertools

import pandas as pd

from pumpurs.sources.folder import Dataset, load_frames

PARTNERS = [
    {"partner_id": "P1", "name": "Kokneses novads", "kind": "municipality",
     "municipality": "Aizkraukles novads", "agreement_date": "2019-11-22", "allocation_eur": "100000.00"},
    {"partner_id": "P2", "name": "Rīgas Valsts tehnikums", "kind": "vpil",
     "municipality": "LV-RIX", "agreement_date": "2018-01-10", "allocation_eur": "100000.00"},
]  # fmt: skip
SCHOOLS = [
    {"school_id": "S1", "name": "Bebru pamatskola", "partner_id": "P1", "kind": "general",
     "round": "1", "joined_on": "2019-12-01"},
    {"school_id": "S2", "name": "Rīgas Valsts tehnikums", "partner_id": "P2", "kind": "vocational",
     "round": "1", "joined_on": "2018-02-01"},
    {"school_id": "S3", "name": "Pērses sākumskola", "partner_id": "P1", "kind": "general",
     "round": "2", "joined_on": "2019-12-01"},
]  # fmt: skip


def plan(student="st1", school="S1", semester="2019/2020-2", created="2020-01-10", **kw) -> dict:
    row = {
        "plan_id": kw.pop("plan_id", None),
        "student_id": student,
        "school_id": school,
        "semester": semester,
        "created_on": created,
        "author_role": "psychologist",
        "level": "vocational" if school == "S2" else "general",
        "grade": "7",
        "risk_factors": "",
    }
    row.update(kw)
    return row


def entry(**kw) -> dict:
    row = {
        "entry_id": None,
        "partner_id": "P1",
        "school_id": "S1",
        "student_id": "st1",
        "category": "meals",
        "service_month": "2020-02",
        "paid_on": "2020-03-10",
        "amount_eur": "10.00",
        "document_ref": None,
        "specialist_role": "",
        "hours": "",
        "ngo_project_id": "",
    }
    row.update(kw)
    return row


def correction(of: str, amount: str, **kw: str) -> dict:
    """A credit note of row `of` (the factory's default row unless told otherwise)."""
    return entry(amount_eur=amount, corrects_entry_id=of, **kw)


def _ledger_columns(entries: list[dict]) -> list[str]:
    """The ledger's columns; corrects_entry_id only when a row gives it (a ledger without
    the optional column is read as before)."""
    columns = list(entry().keys())
    if any("corrects_entry_id" in e for e in entries):
        columns.insert(columns.index("amount_eur") + 1, "corrects_entry_id")
    return columns


def world(
    entries: list[dict], plans: list[dict] | None = None, partners=None, schools=None, outcomes=None
) -> Dataset:
    """A Dataset through the real validation; ids and document refs filled in when not given."""
    counter = itertools.count(1)
    plans = [plan()] if plans is None else plans
    for i, p in enumerate(plans, 1):
        p["plan_id"] = p["plan_id"] or f"PL{i}"
    for e in entries:
        n = next(counter)
        e["entry_id"] = e["entry_id"] or f"E{n}"
        e["document_ref"] = e["document_ref"] or f"DOC-{e['entry_id']}"
    tables = {
        "partners": pd.DataFrame(partners or PARTNERS),
        "schools": pd.DataFrame(schools or SCHOOLS),
        "support_plans": pd.DataFrame(plans, columns=list(plan().keys())),
        "expenditures": pd.DataFrame(entries, columns=_ledger_columns(entries)),
    }
    if outcomes is not None:
        tables["outcomes"] = pd.DataFrame(outcomes)
    return load_frames(tables)
