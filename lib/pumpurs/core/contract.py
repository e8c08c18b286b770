"""The data contract (docs/data-contract.md) as data: tables, columns, kinds and vocabularies.

Loading, validation, the demo-data writer and the docs all read this one description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pumpurs.core import registry

Kind = Literal[
    "id", "text", "enum", "money", "date", "month", "int", "number", "semester", "school_year"
]


@dataclass(frozen=True)
class Col:
    name: str
    kind: Kind
    required: bool = True  # the column must be present
    nonempty: bool = True  # every row needs a value (conditional rules live in validate)
    choices: tuple[str, ...] = ()


# A point in time read where the contract wants a date (a Parquet `timestamp[tz=…]`, a
# database TIMESTAMPTZ) is the date it is at that moment in Latvia: a Riga midnight stored
# as UTC (22:00 or 21:00 the day before) is still that Riga day. Every source uses this zone.
DATA_TIME_ZONE = "Europe/Riga"

SPECIALIST_ROLES = (
    "pedagogue",
    "psychologist",
    "social_pedagogue",
    "teacher_assistant",
    "special_education_teacher",
    "sign_language_interpreter",
    "assistant",
    "occupational_therapist",
)
PUPIL_CATEGORIES = (
    "transport_intercity",
    "accommodation",
    "meals",
    "special_transport",
    "personal_items",
    "learning_materials",
)
PARTNER_CATEGORIES = ("ngo_project", "staff_development", "coordination")
CATEGORIES = ("consultation", *PUPIL_CATEGORIES, *PARTNER_CATEGORIES)
OUTCOME_STATUSES = ("continues", "graduated", "left", "transferred", "unknown")

# The rules' fixed ids, in judging order; each rule is declared in core/registry.py.
ELIGIBILITY_RULES = registry.ids("eligibility")
CAP_RULES = registry.ids("cap")
WARNING_RULES = registry.ids("warning")
RULE_IDS = registry.ids()
INDICATORS = (
    "students_supported",
    "support_plans",
    "institutions_involved",
    "municipalities_involved",
    "ngo_projects",
    "continued_share",
)

TABLES: dict[str, tuple[Col, ...]] = {
    "partners": (
        Col("partner_id", "id"),
        Col("name", "text"),
        Col("kind", "enum", choices=("municipality", "vpil")),
        Col("municipality", "text"),
        Col("agreement_date", "date"),
        Col("allocation_eur", "money"),
    ),
    "schools": (
        Col("school_id", "id"),
        Col("name", "text"),
        Col("partner_id", "id"),
        Col("kind", "enum", choices=("general", "vocational")),
        Col("round", "int"),
        Col("joined_on", "date"),
    ),
    "support_plans": (
        Col("plan_id", "id"),
        Col("student_id", "id"),
        Col("school_id", "id"),
        Col("semester", "semester"),
        Col("created_on", "date"),
        Col("author_role", "enum", choices=SPECIALIST_ROLES),
        Col("level", "enum", choices=("general", "vocational")),
        Col("grade", "int"),
        Col("risk_factors", "text", nonempty=False),
    ),
    "expenditures": (
        Col("entry_id", "id"),
        Col("partner_id", "id"),
        Col("school_id", "id", nonempty=False),
        Col("student_id", "id", nonempty=False),
        Col("category", "enum", choices=CATEGORIES),
        Col("service_month", "month"),
        Col("paid_on", "date"),
        Col("amount_eur", "money"),
        # a correction (a negative amount) names the positive row it corrects; a ledger
        # without the column has no corrections
        Col("corrects_entry_id", "id", required=False, nonempty=False),
        Col("document_ref", "text"),
        Col("specialist_role", "enum", nonempty=False, choices=SPECIALIST_ROLES),
        Col("hours", "number", nonempty=False),
        Col("ngo_project_id", "id", nonempty=False),
    ),
    "outcomes": (
        Col("student_id", "id"),
        Col("school_year", "school_year"),
        Col("status", "enum", choices=OUTCOME_STATUSES),
    ),
}
OPTIONAL_TABLES = frozenset({"outcomes"})
KEYS = {
    "partners": "partner_id",
    "schools": "school_id",
    "support_plans": "plan_id",
    "expenditures": "entry_id",
}
YEARS = (2000, 2100)
"""Dates, months, semesters and school years outside these years are refused as typos."""
MONEY_COLUMNS = {"allocation_eur": "allocation_cents", "amount_eur": "amount_cents"}
"""Money columns are held as integer cents under these names after loading."""
