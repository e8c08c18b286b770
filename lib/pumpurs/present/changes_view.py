"""How "Changes since the previous report" is shown: the section of a municipality's
report and of the overview, and the workbook's sheets (report/changes.py computes).

The public see every amount and no count: the counts of findings new and no longer found
and of rows are left out of a public report, because a release's small counts are
protected by one decision over every count it publishes (report/release.py), and these
would be counts that decision does not yet know.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from IPython.display import HTML

from pumpurs.present import html as blocks
from pumpurs.present.fmt import (
    fmt_date,
    fmt_date_words,
    fmt_eur,
    fmt_period,
    format_table,
    label,
    table_html,
)
from pumpurs.present.texts import text
from pumpurs.report.changes import BEFORE_START, MOVED_MOST, Changes

# A reason line's words: the three sums are the figures' differences.
_REASON_WORDS = {
    "declared": "declared_diff",
    "at_risk": "at_risk_diff",
    "eligible": "eligible_diff",
}


def _signed(cents: Any, lang: str) -> str:
    """A difference: "+1 234,56 €", "-12,00 €" or "0,00 €"."""
    if isinstance(cents, str):
        return cents
    shown = fmt_eur(cents, lang)
    return f"+{shown}" if int(cents) > 0 else shown


def _changes(r: Any) -> Changes | None:
    return getattr(r, "changes", None)


def _is_overview(r: Any) -> bool:
    return not hasattr(r, "municipality")


def _facts(c: Changes, lang: str) -> dict[str, str]:
    prev = c.previous
    return {
        "previous": fmt_period(prev.label, lang) if prev else "",
        "then": fmt_date_words(c.then, lang, "loc") if c.then else "",
        "now": fmt_date_words(c.now, lang, "loc"),
        "start": fmt_date(prev.start_date, lang) if prev else "",
        "end": fmt_date(prev.end_date, lang) if prev else "",
    }


def figures_table(c: Changes, lang: str) -> pd.DataFrame:
    """The earlier half-year's key figures and those to its end: then, now, difference."""
    t = c.figures.copy()
    t["figure"] = [label(f, lang) for f in t["figure"]]
    shown = format_table(t, lang)
    for col in ("half_diff_cents", "cum_diff_cents"):
        shown[label(col, lang)] = [_signed(v, lang) for v in t[col]]
    alloc = (c.figures["figure"] == "allocation").to_numpy()
    for col in ("half_then_cents", "half_now_cents", "half_diff_cents"):
        shown.loc[alloc, label(col, lang)] = "–"  # the allocation is not spent in a half-year
    return shown


def reasons_table(r: Any, c: Changes, lang: str) -> pd.DataFrame:
    """Why the figures moved; the sums (declared, at risk, eligible) last of their group.
    The public see the amounts only."""
    t = c.reasons.copy()
    t["reason"] = [label(_REASON_WORDS.get(x, x), lang) for x in t["reason"]]
    cols = ["reason", "half_rows", "half_cents", "cum_rows", "cum_cents"]
    if r.audience.is_public:
        cols = ["reason", "half_cents", "cum_cents"]
    shown = format_table(t[cols], lang, ints=[c for c in cols if c.endswith("_rows")])
    for col in ("half_cents", "cum_cents"):
        shown[label(col, lang)] = [_signed(v, lang) for v in t[col]]
    shown = shown.rename(columns={label("reason", lang): text("changes.col_reason", lang)})
    return shown


def _rules_shown(r: Any, c: Changes, lang: str) -> pd.DataFrame:
    """The findings that changed with a "Kopā" line; the public's counts suppressed
    (the line is their sum)."""
    t = c.by_rule.copy()
    if _is_overview(r):
        t = t.drop(columns="partner_id")
    else:
        names = r.partner_names
        t["partner_id"] = [
            f"{names.get(p, '')} ({p})" if p in names else p for p in t["partner_id"]
        ]
    line: dict[str, Any] = {
        col: int(t[col].sum()) for col in t.columns if col not in ("rule", "partner_id")
    }
    line["rule"] = label("total", lang)
    t = pd.concat([t, pd.DataFrame([line])], ignore_index=True)
    counts = ["findings_new", "findings_gone"]
    if r.audience.is_public:  # not in the release's one suppression: money only
        return t.drop(columns=counts)
    t[counts] = t[counts].fillna(0).astype("int64")
    return t


def rules_table(r: Any, c: Changes, lang: str) -> pd.DataFrame:
    t = _rules_shown(r, c, lang)
    ints = [col for col in ("findings_new", "findings_gone") if col in t.columns]
    shown = format_table(t, lang, ints=ints)
    shown[label("risk_diff_cents", lang)] = [_signed(v, lang) for v in t["risk_diff_cents"]]
    return shown


def moved_table(c: Changes, lang: str) -> pd.DataFrame:
    """The municipalities whose earlier figures moved most (the workbook has them all)."""
    t = c.moved.head(MOVED_MOST)
    shown = format_table(t, lang)
    for col in t.columns:
        if col.endswith("_cents"):
            shown[label(col, lang)] = [_signed(v, lang) for v in t[col]]
    return shown


def section(r: Any, lang: str) -> HTML:
    """The section: what is compared, the figures then and now, why they moved, the
    findings that changed (and, in the overview, the municipalities that moved most)."""
    c = _changes(r)
    if c is None or r.empty:
        return HTML("")
    facts = _facts(c, lang)
    if not c.compared:
        key = "changes.before_start" if c.reason == BEFORE_START else "changes.no_earlier"
        return HTML(blocks.paragraph(text(key, lang, **facts)))
    html = blocks.paragraph(text("changes.intro", lang, **facts))
    if c.unchanged and c.by_rule.empty:
        html += blocks.paragraph(text("changes.unchanged", lang))
    html += table_html(figures_table(c, lang))
    html += table_html(reasons_table(r, c, lang), caption=text("changes.why", lang))
    html += blocks.paragraph(text("changes.why_note", lang), "note")
    if c.by_rule.empty:
        html += blocks.paragraph(text("changes.no_rule_changes", lang))
    else:
        caption = text("changes.by_rule", lang, **facts)
        html += table_html(rules_table(r, c, lang), caption=caption, total_row=True)
        if r.audience.is_public:
            html += blocks.paragraph(text("changes.public_counts", lang), "note")
    if _is_overview(r):
        if c.moved.empty:
            html += blocks.paragraph(text("changes.moved_none", lang))
        else:
            html += table_html(moved_table(c, lang), caption=text("changes.moved", lang))
    return HTML(html)


def sheets(r: Any, lang: str) -> dict[str, pd.DataFrame]:
    """The workbook's "Izmaiņas" sheet (the figures then, now and their difference, then
    why they moved), the findings that changed, and (overview) every municipality's move."""
    c = _changes(r)
    if c is None or not c.compared:
        return {}
    reasons = c.reasons.copy()
    reasons["figure"] = [label(_REASON_WORDS.get(x, x), lang) for x in reasons["reason"]]
    figures = c.figures.copy()
    figures["figure"] = [label(f, lang) for f in figures["figure"]]
    figures = figures.astype({col: "Int64" for col in figures.columns if col != "figure"})
    alloc = (c.figures["figure"] == "allocation").to_numpy()
    for col in ("half_then_cents", "half_now_cents", "half_diff_cents"):
        figures.loc[alloc, col] = pd.NA
    why = pd.DataFrame(
        {
            "figure": reasons["figure"],
            "half_diff_cents": reasons["half_cents"].astype("Int64"),
            "cum_diff_cents": reasons["cum_cents"].astype("Int64"),
        }
    )
    if not r.audience.is_public:
        why.insert(1, "half_rows", reasons["half_rows"])
        why.insert(3, "cum_rows", reasons["cum_rows"])
    heading = pd.DataFrame({"figure": [text("changes.why", lang)]})
    sheet = pd.concat([figures, heading, why], ignore_index=True)
    order = ["figure", *[col for col in sheet.columns if col != "figure"]]
    out = {text("changes.sheet", lang): sheet[order]}
    rules = _rules_shown(r, c, lang)
    if _is_overview(r):
        rules = rules.drop(columns="partner_id", errors="ignore")
    out[text("changes.sheet_rules", lang)] = rules
    if _is_overview(r):
        out[text("changes.sheet_towns", lang)] = c.moved  # every municipality that moved
    return out
