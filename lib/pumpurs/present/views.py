"""Terminal views for people: rich tables in the chosen language (check/totals/indicators)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from rich.console import Console
from rich.table import Table

from pumpurs.core.settings import Programme
from pumpurs.core.totals import MONEY_COLUMNS, TotalsTable
from pumpurs.present.fmt import fmt_date, fmt_eur, fmt_int, fmt_pct, label
from pumpurs.present.messages import finding_messages
from pumpurs.present.texts import text


def _t(key: str, lang: str) -> str:
    return text(f"cli.{key}", lang)


def print_findings(
    console: Console, f: pd.DataFrame, as_of: dt.date, lang: str, limit: int, programme: Programme
) -> None:
    errors = int((f["severity"] == "error").sum())
    warnings = int((f["severity"] == "warning").sum())
    console.print(
        f"{_t('findings', lang)} — {_t('as_of', lang).lower()} {fmt_date(as_of, lang)}: "
        f"{fmt_int(errors, lang)} {_t('errors', lang)}, {fmt_int(warnings, lang)} {_t('warnings', lang)}, "
        f"{label('at_risk', lang).lower()} {fmt_eur(int(f['at_risk_cents'].sum()), lang)}"
    )
    if f.empty:
        console.print(_t("none", lang))
        return
    by_rule = f.groupby("rule", sort=False).agg(n=("rule", "size"), risk=("at_risk_cents", "sum"))
    summary = Table(show_edge=False)
    summary.add_column(_t("rule", lang))
    summary.add_column("")
    summary.add_column(_t("count", lang), justify="right")
    summary.add_column(label("at_risk", lang), justify="right")
    for rule, r in by_rule.iterrows():
        summary.add_row(
            rule, label(rule, lang), fmt_int(int(r.n), lang), fmt_eur(int(r.risk), lang)
        )
    console.print(summary)
    shown = f if limit == 0 else f.head(limit)
    rows = Table(show_edge=False, show_lines=False)
    for col, justify in (
        ("rule", "left"),
        ("partner", "left"),
        ("at_risk", "right"),
        ("message", "left"),
    ):
        title = label(col, lang) if col == "at_risk" else _t(col, lang)
        rows.add_column(title, justify="right" if justify == "right" else "left", overflow="fold")
    messages = finding_messages(shown, programme, lang)
    for r, message in zip(shown.itertuples(index=False), messages, strict=True):
        rows.add_row(r.rule, r.partner_id, fmt_eur(int(r.at_risk_cents), lang), message)
    console.print(rows)
    if len(shown) < len(f):
        console.print(_t("more", lang).format(n=fmt_int(len(f) - len(shown), lang)))


MONEY = (*MONEY_COLUMNS, "allocation_cents")


def print_totals(console: Console, table: TotalsTable, as_of: dt.date, lang: str) -> None:
    t = Table(title=f"{_t('as_of', lang)} {fmt_date(as_of, lang)}", show_edge=False)
    extra = [
        c
        for c in table.rows.columns
        if not c.endswith("_cents") and c not in (table.key, "absorption")
    ]
    t.add_column(label(table.by, lang))
    for c in extra:
        t.add_column(label(c, lang))
    money = [c for c in MONEY if c in table.rows.columns]
    for c in money:
        t.add_column(label(c.removesuffix("_cents"), lang), justify="right")
    t.add_column(label("absorption", lang), justify="right")

    def cells(r: dict) -> list[str]:
        vals = []
        for c in money:
            v = r.get(c)
            vals.append("" if v is None or pd.isna(v) else fmt_eur(int(v), lang))
        a = r.get("absorption")
        vals.append("" if a is None or pd.isna(a) else fmt_pct(float(a), lang))
        return vals

    for r in table.rows.to_dict("records"):
        key = r[table.key]
        shown = label(key, lang) if table.by == "category" else str(key or "–")
        t.add_row(shown, *[str(r.get(c) or "") for c in extra], *cells(r))
    t.add_section()
    t.add_row(_t("total", lang), *["" for _ in extra], *cells(table.total))
    console.print(t)


def print_indicators(console: Console, frame: pd.DataFrame, as_of: dt.date, lang: str) -> None:
    t = Table(title=f"{_t('as_of', lang)} {fmt_date(as_of, lang)}", show_edge=False)
    for c in ("indicator", "scope", "period", "value", "target"):
        t.add_column(label(c, lang), justify="right" if c in ("value", "target") else "left")
    for r in frame.to_dict("records"):
        share = r["indicator"] in ("municipalities_involved", "continued_share")
        value = r["value"]
        shown = (
            "–"
            if value is None or pd.isna(value)
            else (fmt_pct(value, lang) if share else fmt_int(int(value), lang))
        )
        target = r.get("target")
        target_s = (
            ""
            if target is None or pd.isna(target)
            else (fmt_pct(target, lang) if share else fmt_int(int(target), lang))
        )
        t.add_row(label(r["indicator"], lang), str(r["scope"]), str(r["period"]), shown, target_s)
    console.print(t)
