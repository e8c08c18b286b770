"""The correction annex: every finding as a project manager fixes it, in the report's
language — and `findings.csv`, the same table for a spreadsheet.

Grouped by partner (name and code) with a subtotal each, errors before warnings, then
by month and entry. Codes become words (rule titles, categories, severities); partner
and school codes stay beside their names; entry ids and pupils' pseudonyms stay as they
are, because they are what the manager looks up. The machine format with the rules'
ids is `pumpurs check --format csv`, not this.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

import pandas as pd

from pumpurs.core import registry
from pumpurs.core.settings import Programme
from pumpurs.present.export import safe_cell
from pumpurs.present.fmt import fmt_semester_words, label
from pumpurs.present.messages import finding_messages
from pumpurs.present.texts import has_text, text

COLUMNS = (
    "partner",
    "partner_id",
    "school",
    "school_id",
    "service_month",
    "semester",
    "ngo_project_id",
    "entry_ids",
    "category",
    "rule",
    "severity",
    "student_id",
    "amount_cents",
    "limit_cents",
    "at_risk_cents",
    "fix",
    "message",
)
# Where the usual label would repeat another column's (both "Partneris").
HEADERS = {"partner_id": "partner_code", "school_id": "school_code"}
_ORDER = {r.id: i for i, r in enumerate(registry.RULES)}


def fix_text(rule: str, lang: str, ended: bool = False) -> str:
    """What to do about a rule's findings, in a few words (caps share one); once the
    programme has ended, no advice that needs time it no longer has (the `_ended` words)."""
    key = f"fix.{rule}"
    if ended and has_text(f"{key}_ended"):
        key = f"{key}_ended"
    return text(key if has_text(key) else "fix.CAP", lang)


def correction_annex(
    findings: pd.DataFrame,
    programme: Programme,
    lang: str,
    partner_names: Mapping[str, str],
    school_names: Mapping[str, str],
    ended: bool = False,
) -> pd.DataFrame:
    """One row per finding, in words, sorted for correcting partner by partner; `ended`:
    the programme has ended, and the words say so."""
    f = findings.reset_index(drop=True)
    period_of = {r.id: r.period for r in registry.RULES}
    kind = f["rule"].map(period_of).fillna("")
    period = f["period"].astype(str)
    out = pd.DataFrame(
        {
            "partner": f["partner_id"].map(partner_names).fillna(""),
            "partner_id": f["partner_id"],
            "school": f["school_id"].map(school_names).fillna(""),
            "school_id": f["school_id"],
            "service_month": period.where(kind == "service_month", ""),
            "semester": period.where(kind == "semester", ""),
            "ngo_project_id": period.where(kind == "ngo_project_id", ""),
            "entry_ids": f["entry_ids"].map(", ".join),
            "category": [label(c, lang) if c else "" for c in f["category"]],
            "rule": [label(r, lang) for r in f["rule"]],
            "severity": [label(s, lang) for s in f["severity"]],
            "student_id": f["student_id"],
            "amount_cents": f["amount_cents"],
            "limit_cents": f["limit_cents"],
            "at_risk_cents": f["at_risk_cents"],
            "fix": [fix_text(r, lang, ended) for r in f["rule"]],
            "message": finding_messages(f, programme, lang, ended),
            "_sev": (f["severity"] != "error").astype(int),
            "_rule": f["rule"].map(_ORDER).fillna(len(_ORDER)),
            "_first": f["entry_ids"].map(lambda t: t[0] if len(t) else ""),
        }
    )
    out = out.sort_values(
        ["partner_id", "_sev", "service_month", "semester", "_rule", "_first"], kind="stable"
    )
    return out[list(COLUMNS)].reset_index(drop=True)


def with_subtotals(annex: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The annex with a subtotal line after each partner and a grand total at the end."""
    parts = []
    total = label("total", lang)
    for pid, rows in annex.groupby("partner_id", sort=False):
        parts.append(rows)
        parts.append(
            pd.DataFrame(
                {
                    "partner": [f"{total}: {rows['partner'].iloc[0]}"],
                    "partner_id": [pid],
                    "at_risk_cents": [int(rows["at_risk_cents"].sum())],
                }
            )
        )
    parts.append(
        pd.DataFrame({"partner": [total], "at_risk_cents": [int(annex["at_risk_cents"].sum())]})
    )
    out = pd.concat(parts, ignore_index=True).reindex(columns=list(COLUMNS))
    for c in ("amount_cents", "limit_cents", "at_risk_cents"):
        out[c] = out[c].astype("Int64")
    words = [c for c in COLUMNS if c not in ("amount_cents", "limit_cents", "at_risk_cents")]
    out[words] = out[words].fillna("")
    return out[list(COLUMNS)]


def _money(cents: object, decimal: str) -> str:
    if cents is None or pd.isna(cents):
        return ""
    value = int(cents)  # type: ignore[call-overload]
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 100)
    return f"{sign}{whole}{decimal}{frac:02d}"


def findings_csv_for_people(annex: pd.DataFrame, lang: str) -> bytes:
    """findings.csv that opens by double-click in the language's Excel: UTF-8 with a BOM;
    Latvian with `;` and a decimal comma, English with `,` and a decimal point."""
    delimiter, decimal = (";", ",") if lang == "lv" else (",", ".")
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    w.writerow([label(HEADERS.get(c, c).replace("_cents", "_eur"), lang) for c in COLUMNS])
    money = {"amount_cents", "limit_cents", "at_risk_cents"}
    for row in annex[list(COLUMNS)].itertuples(index=False):
        w.writerow(
            [
                _money(v, decimal)
                if c in money
                else fmt_semester_words(v, lang)
                if c == "semester" and isinstance(v, str) and v
                else safe_cell("" if pd.isna(v) else str(v))
                for c, v in zip(COLUMNS, row, strict=True)
            ]
        )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
