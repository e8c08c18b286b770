"""The rule registry: every rule of the programme declared once, in judging order.

A rule's id is fixed (users filter on it, jobs alert on it, machine formats carry it);
its place here is its place in every table and list. Each entry says in which stage it
is judged, its severity, what a finding puts at risk and what its `period` column
holds. Each rule's check is registered beside its id with `@rule("<ID>")` (the
passes in core/rules/), and the engine asks `check(id)` for it, in the order declared
here (the caps in programme.yaml's order). The words a reader
sees — the rule's title, its message and what to fix — are the text catalogue's
`<ID>`, `message.<ID>` and `fix.<ID>` (present/texts.py), checked by the tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

Stage = Literal["eligibility", "duplicate", "cap", "allocation", "warning"]


@dataclass(frozen=True)
class Rule:
    id: str
    stage: Stage
    checks: str  # for developers and the docs; readers get the catalogue's words
    at_risk: Literal["row", "repeat", "excess", "none"]
    period: Literal["service_month", "semester", "ngo_project_id", ""]

    @property
    def severity(self) -> Literal["error", "warning"]:
        return "warning" if self.stage == "warning" else "error"


def _elig(rule_id: str, checks: str) -> Rule:
    return Rule(rule_id, "eligibility", checks, "row", "service_month")


def _cap(rule_id: str, per: str) -> Rule:
    period: Literal["service_month", "semester", "ngo_project_id"] = (
        "semester"
        if per == "semester"
        else "ngo_project_id"
        if per == "project"
        else "service_month"
    )
    return Rule(rule_id, "cap", f"a {per}'s total above the category's cap", "excess", period)


RULES: tuple[Rule, ...] = (
    _elig("ELIG_PERIOD", "the service month is outside the programme period"),
    _elig("ELIG_AGREEMENT", "the service month is before the partner's agreement"),
    _elig("ELIG_SCHOOL_PARTNER", "the row's school belongs to another partner"),
    _elig("ELIG_SCHOOL_JOINED", "the service month is before the school joined"),
    _elig("ELIG_NO_PLAN", "the pupil has no support plan at that school for the semester"),
    _elig("ELIG_TARGET_GROUP", "the plan's level and grade are outside the target group"),
    _elig("ELIG_MATERIALS_VOCATIONAL", "learning materials for a general-education pupil"),
    Rule(
        "DUPLICATE_CLAIM", "duplicate", "the same claim more than once", "repeat", "service_month"
    ),
    _cap("CAP_TRANSPORT_INTERCITY", "month"),
    _cap("CAP_ACCOMMODATION", "month"),
    _cap("CAP_MEALS", "month"),
    _cap("CAP_SPECIAL_TRANSPORT", "month"),
    _cap("CAP_PERSONAL_ITEMS", "semester"),
    _cap("CAP_NGO_PROJECT", "project"),
    Rule("BUDGET_ALLOCATION", "allocation", "eligible spending above the allocation", "excess", ""),
    Rule("PLAN_LATE", "warning", "a plan made late in its semester", "none", "semester"),
    Rule("ABSORPTION_RISK", "warning", "the projected spend misses the 90-100 % band", "none", ""),
)
BY_ID = {r.id: r for r in RULES}


def ids(stage: Stage | None = None) -> tuple[str, ...]:
    """Rule ids in judging order, of one stage or all."""
    return tuple(r.id for r in RULES if stage is None or r.stage == stage)


Check = TypeVar("Check", bound=Callable[..., Any])
_CHECKS: dict[str, Callable[..., Any]] = {}


def rule(*rule_ids: str) -> Callable[[Check], Check]:
    """Register the decorated function as the check of the rules `rule_ids` (declared in
    RULES above; a stage's checks share its signature, core/rules/engine.py). A cap's
    check serves every cap: its limits and groups come from programme.yaml."""

    def record(check: Check) -> Check:
        for rule_id in rule_ids:
            if rule_id not in BY_ID:
                raise ValueError(f"@rule({rule_id!r}): no such rule in core/registry.py")
            if rule_id in _CHECKS:
                raise ValueError(f"@rule({rule_id!r}): the rule has a check already")
            _CHECKS[rule_id] = check
        return check

    return record


def check(rule_id: str) -> Callable[..., Any]:
    """The check registered for `rule_id` (the engine imports every pass first)."""
    return _CHECKS[rule_id]


def registered() -> tuple[str, ...]:
    """The rule ids that have a check, in RULES order."""
    return tuple(r.id for r in RULES if r.id in _CHECKS)
