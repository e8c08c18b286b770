"""Typed programme settings loaded from `params/programme.yaml`.

Everything the rules depend on (caps, dates, rates, target groups, targets) lives in
that file; this module only gives it types and answers "which version was in force
in month M".
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Literal, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from pumpurs.core import registry
from pumpurs.core.errors import SettingsError, UsageError
from pumpurs.core.money import to_cents
from pumpurs.core.project import default_programme

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
DEFAULT_PROGRAMME = default_programme()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _month(v: str) -> str:
    if not isinstance(v, str) or not MONTH_RE.match(v):
        raise ValueError(f"{v!r} is not a month; write it as YYYY-MM, e.g. 2017-03")
    return v


def _money(v: Decimal) -> Decimal:
    to_cents(v)  # raises on more than two decimals
    if v < 0:
        raise ValueError("must not be negative")
    return v


class Project(_Strict):
    number: str
    name_lv: str
    name_en: str
    brand: str
    fund: str
    slogan: str
    beneficiary: str
    regulation: str
    grant_agreement_date: dt.date


class Budget(_Strict):
    total_eur: Decimal
    esf_eur: Decimal
    state_eur: Decimal

    _m = field_validator("total_eur", "esf_eur", "state_eur")(_money)

    @model_validator(mode="after")
    def _adds_up(self) -> Budget:
        if self.esf_eur + self.state_eur != self.total_eur:
            raise ValueError(
                f"esf_eur + state_eur = {self.esf_eur + self.state_eur} but total_eur is {self.total_eur}"
            )
        return self


class Versioned(_Strict):
    effective_from: dt.date


V = TypeVar("V", bound=Versioned)


class EsfRate(Versioned):
    rate: Decimal = Field(gt=0, le=1)


class PeriodVersion(Versioned):
    start_month: str
    end_month: str
    source: str = ""

    _m = field_validator("start_month", "end_month")(_month)


class GradeRange(_Strict):
    min_grade: int = Field(ge=1, le=12)
    max_grade: int = Field(ge=1, le=12)


class TargetGroup(Versioned):
    general: GradeRange
    vocational: GradeRange
    source: str = ""


class CapVersion(Versioned):
    limit_eur: Decimal

    _m = field_validator("limit_eur")(_money)


class Cap(_Strict):
    rule: str
    category: str
    per: Literal["student_month", "student_semester", "ngo_project"]
    versions: list[CapVersion] = Field(min_length=1)

    @field_validator("rule")
    @classmethod
    def _declared(cls, value: str) -> str:
        """A cap is judged by the check registered for its rule (core/registry.py)."""
        if value not in registry.ids("cap"):
            raise ValueError(
                f"{value} is not a cap rule; use one of {', '.join(registry.ids('cap'))}"
            )
        return value


class Warnings(_Strict):
    plan_late_days: int = Field(ge=0)
    absorption_low: Decimal = Field(ge=0)
    absorption_high: Decimal = Field(ge=0)
    absorption_pace_months: int = Field(ge=1)


class Publishing(_Strict):
    min_count: int = Field(ge=1)


class Reporting(_Strict):
    default_period: Literal["last_complete_half_year"]
    corrections_due_days: int = Field(ge=0, le=366)
    amber_margin: Decimal = Field(ge=0, le=1)


class TargetVersion(Versioned):
    value: Decimal
    comparison: Literal["at_least", "at_most"] = "at_least"
    source: str = ""


class PublishedValue(_Strict):
    school_year: str
    value: int


class Targets(_Strict):
    institutions_involved: list[TargetVersion]
    municipalities_involved_share: list[TargetVersion]
    support_plans_per_school_year: list[PublishedValue] = []


# A municipality's name names its report folder (`<slug>`, `.tmp/<slug>.new-…`,
# `_failed/<slug>.ipynb`, `<slug>.yaml`): a file name has at most 255 bytes, and the
# longest real name ("Dienvidkurzemes novads") has 22 characters.
MAX_NAME = 100


class Municipality(_Strict):
    name: str
    code: str = Field(pattern=r"^LV-[0-9A-Z]{3}$")

    @field_validator("name")
    @classmethod
    def _usable_name(cls, v: str) -> str:
        longest = max(len(v), len(slugify(v)))
        if longest > MAX_NAME:
            raise ValueError(
                f"is {longest} characters long (its folder name too); a municipality's name "
                f"has at most {MAX_NAME}, since its reports' folders are named after it: "
                "write the municipality's name"
            )
        if any(unicodedata.category(c).startswith("C") for c in v):
            raise ValueError(
                "holds a control character (a line break, a tab); write the name on one line"
            )
        return v

    @property
    def slug(self) -> str:
        return slugify(self.name)


OVERVIEW_SLUG = "overview"
"""The national overview's report folder: no municipality may take it."""


def _check_slugs(municipalities: list[Municipality]) -> None:
    """Each municipality's report folder (its slug) must be its own and non-empty."""
    seen: dict[str, str] = {}
    for i, m in enumerate(municipalities):
        slug = m.slug
        if not slug:
            raise ValueError(
                f'municipalities.{i}.name "{m.name}" has no letters or digits for a folder name; '
                "write the municipality's name"
            )
        if slug == OVERVIEW_SLUG:
            raise ValueError(
                f'municipalities.{i}.name "{m.name}" would share the folder "{slug}" with the '
                "national overview; write the municipality's full name"
            )
        if slug in seen:
            raise ValueError(
                f'municipalities.{i}.name "{m.name}" and "{seen[slug]}" share the folder name '
                f'"{slug}"; every municipality needs a name of its own'
            )
        seen[slug] = m.name


class Programme(_Strict):
    project: Project
    budget: Budget
    esf_rate: list[EsfRate] = Field(min_length=1)
    period: list[PeriodVersion] = Field(min_length=1)
    target_group: list[TargetGroup] = Field(min_length=1)
    caps: list[Cap]
    vocational_only_categories: list[str]
    warnings: Warnings
    publishing: Publishing
    reporting: Reporting
    targets: Targets
    municipalities: list[Municipality] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> Programme:
        for name in ("esf_rate", "period", "target_group"):
            _check_versions(name, getattr(self, name))
        for cap in self.caps:
            _check_versions(f"caps[{cap.rule}].versions", cap.versions)
        codes = [m.code for m in self.municipalities]
        if len(set(codes)) != len(codes):
            raise ValueError("municipalities: a code appears twice")
        _check_slugs(self.municipalities)
        return self

    # ---- versions in force -------------------------------------------------
    def in_force(self, versions: Sequence[V], on: dt.date) -> V:
        """The version whose effective_from is the latest on or before `on`."""
        chosen = None
        for v in versions:
            if v.effective_from <= on:
                chosen = v
        return chosen if chosen is not None else versions[0]

    def period_at(self, on: dt.date) -> PeriodVersion:
        return self.in_force(self.period, on)

    def esf_rate_at(self, on: dt.date) -> Decimal:
        return self.in_force(self.esf_rate, on).rate

    @property
    def final_period(self) -> PeriodVersion:
        return self.period[-1]

    # ---- municipalities ----------------------------------------------------
    @cached_property
    def _municipality_index(self) -> dict[str, Municipality]:
        index: dict[str, Municipality] = {}
        for m in self.municipalities:
            for key in (m.name, m.code, m.slug, fold(m.name)):
                index[fold(key)] = m
        return index

    def find_municipality(self, text: str) -> Municipality | None:
        """By name, ISO code or slug; case and Latvian diacritics ignored."""
        return self._municipality_index.get(fold(str(text)))

    def municipality(self, text: str) -> Municipality:
        m = self.find_municipality(text)
        if m is None:
            names = ", ".join(x.name for x in self.municipalities[:3])
            raise UsageError(
                f'"{text}" is not one of the 43 municipalities; give a name, ISO code or slug, '
                f"e.g. {names} or LV-002"
            )
        return m


def _check_versions(name: str, versions: Sequence[Versioned]) -> None:
    dates = [v.effective_from for v in versions]
    if dates != sorted(dates) or len(set(dates)) != len(dates):
        raise ValueError(f"{name}: effective_from dates must be distinct and in ascending order")


def fold(text: str) -> str:
    """Lower case without diacritics: 'Rīga' -> 'riga'."""
    norm = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in norm if not unicodedata.combining(c))


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


class _TextDateLoader(yaml.SafeLoader):
    """SafeLoader that leaves dates as text, so pydantic checks them and names the key."""


_TextDateLoader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@functools.lru_cache(maxsize=8)
def _programme_from(text: str) -> Programme:
    """Parsed and checked once per content: every notebook of a batch reads the same file
    (the model is frozen, so sharing it is safe)."""
    raw = yaml.load(text, Loader=_TextDateLoader)  # noqa: S506
    return Programme.model_validate(raw)


def _clipped(value: object, limit: int = 60) -> str:
    """A bad value as an error shows it: a 300-character name is not repeated whole."""
    shown = repr(value)
    return shown if len(shown) <= limit else f"{shown[:limit]}… ({len(str(value))} characters)"


def load_programme(path: str | Path | None = None) -> Programme:
    """Read and check programme.yaml; a wrong key or value names the key."""
    p = Path(path) if path is not None else DEFAULT_PROGRAMME
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SettingsError(f"{p}: file not found; the programme settings are needed") from None
    try:
        return _programme_from(text)
    except yaml.YAMLError as e:
        raise SettingsError(f"{p}: not valid YAML ({e})") from None
    except ValidationError as e:
        lines = []
        for err in e.errors():
            key = ".".join(str(x) for x in err["loc"]) or "(top level)"
            msg = err["msg"]
            if err["type"] == "extra_forbidden":
                msg = "unknown key; check its spelling"
            elif err["type"] == "missing":
                msg = "missing; add it"
            val = err.get("input")
            shown = (
                ""
                if err["type"] in ("missing", "extra_forbidden") or isinstance(val, dict)
                else f" (got {_clipped(val)})"
            )
            lines.append(f"{p.name}: {key}: {msg}{shown}")
        raise SettingsError("\n".join(lines)) from None
