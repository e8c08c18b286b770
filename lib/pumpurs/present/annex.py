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
import re
from collections.abc import Mapping

import numpy as np
import pandas as pd

from pumpurs.core import registry
from pumpurs.core.settings import Programme
from pumpurs.present.export import safe_cell
from pumpurs.present.fmt import fmt_date, fmt_eur, fmt_semester_words, label
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
    "corrections",
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


def corrected_rows(
    findings: pd.DataFrame, corrections: pd.DataFrame | None, lang: str
) -> list[str]:
    """Per finding, each of its corrected rows with the credit notes that made its net
    amount: "E1: 100,00 € − 30,00 € (C1, 15.04.2023) = 70,00 €"; "" for a finding whose
    rows were not corrected (`corrections` as report.municipality.corrections_of gives)."""
    if corrections is None or corrections.empty or findings.empty:
        return [""] * len(findings)
    c = corrections  # one list pass, not a frame per row (Rīga: 3 000 credit notes)
    notes = [
        f"− {fmt_eur(-int(cents), lang)} ({entry}, {fmt_date(paid, lang)})"
        for cents, entry, paid in zip(
            c["amount_cents"].tolist(), c["entry_id"].tolist(), c["paid_on"].tolist(), strict=True
        )
    ]
    lines: dict[str, str] = {}
    parts: dict[str, list[str]] = {}
    ends: dict[str, tuple[int, int]] = {}
    for row_id, note, original, net in zip(
        c["row_id"].astype(str).tolist(), notes, c["original_cents"].tolist(),
        c["net_cents"].tolist(), strict=True,
    ):  # fmt: skip
        parts.setdefault(row_id, []).append(note)
        ends.setdefault(row_id, (int(original), int(net)))  # the row's first line
    for row_id, row_notes in parts.items():
        original, net = ends[row_id]
        lines[row_id] = (
            f"{row_id}: {fmt_eur(original, lang)} {' '.join(row_notes)} = {fmt_eur(net, lang)}"
        )
    return ["; ".join(lines[e] for e in ids if e in lines) for ids in findings["entry_ids"]]


def correction_annex(
    findings: pd.DataFrame,
    programme: Programme,
    lang: str,
    partner_names: Mapping[str, str],
    school_names: Mapping[str, str],
    corrections: pd.DataFrame | None = None,
    ended: bool = False,
) -> pd.DataFrame:
    """One row per finding, in words, sorted for correcting partner by partner; a corrected
    row is shown with its net amount and the credit notes that made it; `ended`: the
    programme has ended, and the words say so."""
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
            "corrections": corrected_rows(f, corrections, lang),
            "fix": [fix_text(r, lang, ended) for r in f["rule"]],
            "message": finding_messages(f, programme, lang, ended),
            "_sev": (f["severity"] != "error").astype(int),
            "_rule": f["rule"].map(_ORDER).fillna(len(_ORDER)),
            "_first": f["entry_ids"].map(lambda t: t[0] if len(t) else ""),
            "_when": _first_month(
                period.where(kind == "service_month", ""), period.where(kind == "semester", "")
            ),  # fmt: skip
        }
    )
    out = out.sort_values(
        ["partner_id", "_sev", "_when", "service_month", "_rule", "_first"], kind="stable"
    )
    return out[list(COLUMNS)].reset_index(drop=True)


def _first_month(months: pd.Series, semesters: pd.Series) -> pd.Series:
    """A finding's place in time: its month, or its semester's first month (a cap per
    semester sorts among the months it covers); "" for neither (a project, a partner)."""
    first = []
    for semester in semesters:
        g = re.match(r"^(\d{4})/(\d{4})-([12])$", str(semester))
        first.append("" if g is None else f"{g[1]}-09" if g[3] == "1" else f"{g[2]}-01")
    return months.where(months != "", pd.Series(first, index=months.index))


def with_subtotals(annex: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The annex with a subtotal line after each partner (in the order the partners first
    appear) and a grand total at the end. Built in one concatenation, not one per
    partner: a municipality of 10 002 partners took two minutes that way."""
    total = label("total", lang)
    codes, partners = pd.factorize(annex["partner_id"], sort=False)
    rows = annex[codes >= 0]  # as groupby: a row without a partner has no group
    codes = codes[codes >= 0]
    first = np.unique(codes, return_index=True)[1]  # each partner's first row
    subtotals = pd.DataFrame(
        {
            "partner": [f"{total}: {name}" for name in rows["partner"].to_numpy()[first]],
            "partner_id": partners,
            "at_risk_cents": _sums(rows["at_risk_cents"], codes, len(partners)),
        }
    )
    grand = pd.DataFrame({"partner": [total], "at_risk_cents": [int(annex["at_risk_cents"].sum())]})
    # each partner's rows in their order, then its subtotal; partners in order of appearance
    place = np.concatenate([2 * codes, 2 * np.arange(len(partners)) + 1, [2 * len(partners)]])
    order = np.argsort(place, kind="stable")
    out = pd.concat([rows, subtotals, grand], ignore_index=True).reindex(columns=list(COLUMNS))
    out = out.iloc[order].reset_index(drop=True)
    for c in ("amount_cents", "limit_cents", "at_risk_cents"):
        out[c] = out[c].astype("Int64")
    words = [c for c in COLUMNS if c not in ("amount_cents", "limit_cents", "at_risk_cents")]
    empty = [c for c in words if out[c].dtype.kind == "f"]  # no finding had a word there
    out[empty] = out[empty].astype(object)
    out[words] = out[words].fillna("")
    return out[list(COLUMNS)]


def _sums(cents: pd.Series, codes: np.ndarray, n: int) -> np.ndarray:
    """Exact integer sums of `cents` per code (no float on the way)."""
    out = np.zeros(n, dtype="int64")
    np.add.at(out, codes, cents.fillna(0).to_numpy(dtype="int64"))
    return out


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
