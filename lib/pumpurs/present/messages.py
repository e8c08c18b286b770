"""A finding in words: what a project manager has to fix, in Latvian or English.

The rules engine (core/rules/) records each finding's facts as columns (dates, the
other partner, the document, the plan); this module turns them into the sentence of
the catalogue's `message.<RULE>` (`message.CAP` for every cap). Only the findings a
reader will see are worded, in the one language asked for.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from pumpurs.core import registry
from pumpurs.core.money import format_eur
from pumpurs.core.settings import Programme
from pumpurs.present.fmt import fmt_date_words, fmt_month_words, fmt_semester_words, label
from pumpurs.present.texts import has_text, text

_PERIOD_OF = {r.id: r.period for r in registry.RULES}


def _date_words(d: Any, lang: str, case: str = "") -> str:
    """A date in a sentence, in words ("2020. gada 30. septembrim" after "līdz")."""
    if d is None or pd.isna(d):
        return ""
    return fmt_date_words(d, lang, case)


def _period_words(period: Any, kind: str, lang: str, case: str = "") -> str:
    """A finding's period in a sentence: a month or a semester in words (`case`: how the
    sentence declines it), an NGO project's id as it is."""
    if period is None or (not isinstance(period, str) and pd.isna(period)) or period == "":
        return ""
    if kind == "service_month":
        return fmt_month_words(str(period), lang, case)
    if kind == "semester":
        return fmt_semester_words(str(period), lang, case)
    return str(period)


def _pct(x: float, lang: str) -> str:
    words = f"{x * 100:.1f}"
    return f"{words.replace('.', ',')} %" if lang == "lv" else f"{words}%"


def _eur(v: Any, lang: str) -> str:
    return format_eur(int(v), lang) if v is not None and not pd.isna(v) else ""


def _in_sentence(words: str) -> str:
    """A label as it reads inside a sentence ("Ēdināšana" -> "ēdināšana")."""
    return words[:1].lower() + words[1:]


def _count(value: Any) -> int:
    """A count that a findings table made before corrections may lack (0)."""
    return 0 if value is None or pd.isna(value) else int(value)


def finding_messages(
    findings: pd.DataFrame, programme: Programme, lang: str, ended: bool = False
) -> list[str]:
    """One sentence per finding, in the findings' order; `ended`: the programme has ended,
    so a message that would plan ahead speaks of a closed programme (its `_ended` words)."""
    caps = {c.rule: c for c in programme.caps}
    low, high = programme.warnings.absorption_low, programme.warnings.absorption_high
    out: list[str] = []
    for r in findings.to_dict("records"):
        rule = r["rule"]
        kind = _PERIOD_OF.get(rule, "")
        entries = ", ".join(r["entry_ids"])
        fields: dict[str, Any] = {
            "entry": entries,
            "entries": entries,
            "period": _period_words(r["period"], kind, lang),
            "period_loc": _period_words(r["period"], kind, lang, "loc"),
            "period_gen": _period_words(
                r["period"], kind, lang, "gen" if kind == "semester" else ""
            ),
            "partner": r["partner_id"],
            "school": r["school_id"] or "–",
            "student": r["student_id"],
            "n": len(r["entry_ids"]) - _count(r.get("corrections")),  # rows, not credit notes
            "amount": _eur(r.get("amount_cents"), lang),
            "limit": _eur(r.get("limit_cents"), lang),
            "at_risk": _eur(r.get("at_risk_cents"), lang),
            "date": _date_words(r.get("detail_date"), lang),
            "date_dat": _date_words(r.get("detail_date"), lang, "dat"),
            "date_loc": _date_words(r.get("detail_date"), lang, "loc"),
            "start": _period_words(r.get("period_start", ""), "service_month", lang),
            "end": _period_words(r.get("period_end", ""), "service_month", lang),
            "other": r.get("other_partner", ""),
            "semester": _period_words(r.get("semester", ""), "semester", lang, "dat"),
            "level": label(r["plan_level"], lang) if r.get("plan_level") else "",
            "grade": "" if pd.isna(r.get("plan_grade")) else r.get("plan_grade"),
            "document": r.get("document_ref", ""),
            "plan": r.get("plan_id", ""),
            "days": programme.warnings.plan_late_days,
        }
        if rule in caps:
            subject = "ngo_project_id" if caps[rule].per == "ngo_project" else "student_id"
            fields["subject"] = text(f"subject.{subject}", lang, **fields)
            fields["category"] = _in_sentence(label(caps[rule].category, lang))
            key = "message.CAP"
        else:
            key = f"message.{rule}"
        if ended and has_text(f"{key}_ended"):
            key = f"{key}_ended"
        if rule == "ABSORPTION_RISK":
            share = r.get("share")
            fields["share"] = (
                _pct(float(share), lang) if share is not None and not pd.isna(share) else "–"
            )
            fields["low"], fields["high"] = _pct(float(low), lang), _pct(float(high), lang)
        out.append(text(key, lang, **fields))
    return out


def with_messages(findings: pd.DataFrame, programme: Programme, lang: str) -> pd.DataFrame:
    """The findings with a `message` column, for an analyst's table or an export."""
    out = findings.copy()
    out["message"] = finding_messages(findings, programme, lang)
    return out
