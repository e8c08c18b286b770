"""How the national overview is shown: its title, the municipalities to act on, the
municipalities' table, findings, the semesters' trend, the indicators and report.xlsx.

The sections the overview shares with a municipality's report (summary, key figures,
headings, signature) stay in report_view.py; this module uses them and never the other way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML

from pumpurs.core.money import NBSP
from pumpurs.core.settings import Programme, slugify
from pumpurs.present import changes_view, charts
from pumpurs.present import html as blocks
from pumpurs.present.fmt import (
    fmt_date,
    fmt_eur,
    fmt_int,
    fmt_pct,
    fmt_period,
    format_table,
    label,
    table_html,
)
from pumpurs.present.render import tables_to_xlsx
from pumpurs.present.texts import has_text, text
from pumpurs.present.view_common import (
    html_table,
    key_figures_sheet,
    marked,
    period_rows,
    release_mark,
    report_text,
    suppression_note,
)
from pumpurs.report.overview import Overview
from pumpurs.report.release import (
    NATIONAL,
    errors_cell,
    findings_cell,
    new_errors_cell,
    pupils_cell,
)


def overview_title(o: Overview, lang: str) -> HTML:
    rows = [
        *period_rows(o.period, o.as_of, lang),
        (text("overview.budget", lang), fmt_eur(o.budget_cents, lang)),
        (text("overview.allocated", lang), fmt_eur(int(o.total["allocation_cents"]), lang)),
        (report_text("audience", lang), report_text(f"audience_{o.audience}", lang)),
        (report_text("fingerprint", lang), o.fingerprint),
    ]
    unbroken = fmt_period(o.period.label, lang).replace(" ", NBSP)  # "pusgads" never alone
    return HTML(blocks.title(f"{text('overview.title', lang)}: {unbroken}") + blocks.facts(rows))


def overview_needs_action(o: Overview, lang: str, programme: Programme) -> HTML:
    """The municipalities that most need action, each with its figures (page 1)."""
    if o.empty:
        return HTML("")
    if o.needs_action.empty:
        return HTML(blocks.paragraph(text("overview.none_to_act", lang)))
    ended = o.standing is not None and o.standing.ended
    items = []
    for row in o.needs_action.itertuples():
        share = "–" if pd.isna(row.projected_share) else fmt_pct(row.projected_share, lang)
        band = text(f"overview.band_{'ended_' if ended else ''}{row.colour}", lang)
        n, errors = row.new_errors, row.errors
        slug = slugify(row.municipality)
        new = release_mark(o.audience, o.release, new_errors_cell(slug))
        errs = release_mark(o.audience, o.release, errors_cell(slug))
        items.append(
            text("overview.act_line", lang).format(
                name=row.municipality,
                share=share,
                band=band,
                period_risk=fmt_eur(row.at_risk_period_cents, lang),
                risk=fmt_eur(row.at_risk_cents, lang),
                new=new or o.audience.count_text(n, fmt_int(n, lang)),
                errors=errs or o.audience.count_text(errors, fmt_int(errors, lang)),
            )
        )
    note = text("overview.act_note_ended" if ended else "overview.act_note", lang)
    return HTML(blocks.fixes(text("overview.act_title", lang), items, note))


def _municipality_page_table(o: Overview, lang: str) -> pd.DataFrame:
    cols = ["municipality", "allocation_cents", "eligible_period_cents", "eligible_cents",
            "at_risk_cents", "absorption", "errors", "esf_cents", "pupils"]  # fmt: skip
    t = _overview_counts(o, o.by_municipality)[cols]
    line = _total_marked(o, {c: o.total.get(c) for c in cols})
    line["municipality"] = label("total", lang)
    line["pupils"] = fmt_int(o.counts.get("pupils", 0), lang)  # distinct, see the note
    t = pd.concat([t, pd.DataFrame([line])], ignore_index=True)
    shown = format_table(t, lang, pcts=["absorption"], ints=["errors", "pupils"])
    shown.columns = [_overview_header(c, lang) for c in cols]
    return shown


def _overview_header(column: str, lang: str) -> str:
    """A column's header; to-date figures beside half-year ones say "to date"."""
    key = f"overview.col_{column}"
    return text(key, lang) if has_text(key) else label(column, lang)


def overview_municipalities(o: Overview, lang: str, programme: Programme) -> HTML:
    """Every municipality with a "Kopā" line that is the sum of the rows (pupils: the
    distinct national count, with a note saying why the column adds up to more)."""
    html = table_html(_municipality_page_table(o, lang), total_row=True, compact=True)
    notes = [text("overview.pupils_note", lang).format(
        national=fmt_int(o.counts.get("pupils", 0), lang),
        twice=fmt_int(o.pupils_counted_twice, lang),
    )] if o.pupils_counted_twice > 0 and not o.public else []  # fmt: skip
    if o.public:
        notes.append(suppression_note(o.audience, lang))
    # above the table: the table fills its page, and a note below it would sit apart
    return HTML("".join(blocks.paragraph(n, "note") for n in notes) + html)


def _overview_counts(o, t: pd.DataFrame) -> pd.DataFrame:
    """The municipalities' errors and pupils as the period's release shows them (the same
    count is on each municipality's page 1 and in the index)."""
    if o.release is None:
        return o.audience.suppress(t, [c for c in ("errors", "pupils") if c in t.columns])
    slugs = [slugify(n) for n in t["municipality"]]
    if "errors" in t.columns:
        t = marked(o.audience, o.release, t, "errors", [errors_cell(s) for s in slugs])
    if "new_errors" in t.columns:
        t = marked(o.audience, o.release, t, "new_errors", [new_errors_cell(s) for s in slugs])
    if "pupils" in t.columns:
        t = marked(o.audience, o.release, t, "pupils", [pupils_cell(s) for s in slugs])
    return t


def _total_marked(o: Overview, line: dict[str, Any]) -> dict[str, Any]:
    """The "Kopā" line's national errors and new errors as the period's release shows
    them (report/release.py: the municipalities' rows add up to them)."""
    if o.release is None:
        return line
    out = dict(line)
    for column, cell in (
        ("errors", errors_cell(NATIONAL)),
        ("new_errors", new_errors_cell(NATIONAL)),
    ):
        if column in out:
            out[column] = release_mark(o.audience, o.release, cell) or out[column]
    return out


def _overview_findings(o) -> pd.DataFrame:
    t = o.findings_by_rule
    if o.release is None:
        return o.audience.suppress(t, ["findings"])
    cells = [findings_cell(NATIONAL, a, b) for a, b in zip(t["rule"], t["severity"], strict=True)]
    return marked(o.audience, o.release, t.reset_index(drop=True), "findings", cells)


def overview_absorption_chart(o: Overview, lang: str, programme: Programme | None = None):
    """Absorption per municipality with the band's lower edge (90 %) drawn in."""
    t = o.by_municipality.sort_values("absorption", ascending=False)
    reference = []
    if programme is not None:
        low = float(programme.warnings.absorption_low)
        reference.append((low, text("chart.band_low", lang).format(pct=fmt_pct(low, lang, 0))))
    return charts.bar_by(
        t, "municipality", ["absorption"], lang, title=label("absorption", lang), unit="share",
        reference=reference,
    )  # fmt: skip


def overview_findings(o: Overview, lang: str, programme: Programme) -> HTML:
    """Findings by rule with a "Kopā" line: its money at risk is the key figure's."""
    t = _overview_findings(o)
    line = {"rule": label("total", lang), "at_risk_cents": int(t["at_risk_cents"].sum())}
    if not o.public:  # a sum of hidden counts would give them away
        line["findings"] = int(o.findings_by_rule["findings"].sum())
    t = pd.concat([t, pd.DataFrame([line])], ignore_index=True)
    return HTML(table_html(format_table(t, lang, ints=["findings"]), total_row=True))


def _trend_shown(o: Overview, programme: Programme) -> pd.DataFrame:
    """Plans per semester add up to the cumulative plans shown elsewhere: sums are known."""
    return o.audience.suppress(o.trend, ["pupils", "plans"], sums_known=True)


def overview_trend(o: Overview, lang: str, programme: Programme) -> HTML:
    """The semesters with a "Kopā" line: plans and money are sums; pupils are the distinct
    national count (a pupil of several semesters counts once)."""
    t = _trend_shown(o, programme)
    line = {**o.trend_total, "semester": label("total", lang)}
    line["pupils"] = fmt_int(o.trend_total.get("pupils", 0), lang)
    t = pd.concat([t, pd.DataFrame([line])], ignore_index=True)
    html = table_html(format_table(t, lang, ints=["pupils", "plans"]), total_row=True)
    return HTML(html + blocks.paragraph(text("overview.trend_note", lang), "note"))


def overview_trend_chart(o: Overview, lang: str, programme: Programme):
    return charts.semester_trend(
        _trend_shown(o, programme), ["pupils", "plans"], lang, unit="count"
    )


_SHARE_INDICATORS = ("municipalities_involved", "continued_share")


def _indicator_rows(o: Overview, lang: str) -> pd.DataFrame:
    """Every indicator in words: its value, the target in force and the date it took
    effect, met or not; a share shows its count ("36 no 43 (83,7 %)")."""
    t = o.indicators
    out = []
    for row in t.itertuples():
        share = row.indicator in _SHARE_INDICATORS
        if share and not pd.isna(row.count) and not pd.isna(row.denominator):
            value = text("overview.share_of", lang).format(
                n=fmt_int(row.count, lang), of=fmt_int(row.denominator, lang),
                pct=fmt_pct(row.value, lang),
            )  # fmt: skip
        else:
            value = fmt_pct(row.value, lang) if share else fmt_int(row.value, lang)
        has_target = not pd.isna(row.target)
        out.append(
            {
                "indicator": label(row.indicator, lang),
                "value": value,
                "target": (fmt_pct(row.target, lang, 0) if share else fmt_int(row.target, lang))
                if has_target else "",
                "target_from": fmt_date(row.target_from, lang) if has_target else "",
                "met": (text("report.met_yes" if bool(row.met) else "report.met_no", lang))
                if has_target and not pd.isna(row.met) else "",
            }
        )  # fmt: skip
    frame = pd.DataFrame(out, columns=["indicator", "value", "target", "target_from", "met"])
    frame.columns = [text(f"overview.ind_{c}", lang) for c in frame.columns]
    return frame


def overview_indicators(o: Overview, lang: str) -> HTML:
    return html_table(_indicator_rows(o, lang))


def _indicator_sheet(o: Overview, lang: str) -> pd.DataFrame:
    """The indicators as numbers: a count, or a share with its count and denominator; the
    target in force, the date it took effect and met or not in words."""
    t = o.indicators
    share = t["indicator"].isin(_SHARE_INDICATORS)
    has_target = t["target"].notna()
    yes, no = text("report.met_yes", lang), text("report.met_no", lang)
    return pd.DataFrame(
        {
            "indicator": t["indicator"],
            "count": t["count"].where(share, t["value"]).astype("Float64").round().astype("Int64"),
            "denominator": t["denominator"].where(share).astype("Int64"),
            "share": t["value"].where(share).astype("Float64"),
            "target_count": t["target"].where(has_target & ~share).round().astype("Int64"),
            "target_share": t["target"].where(has_target & share).astype("Float64"),
            "target_from": t["target_from"].where(has_target, None),
            "met": [
                (yes if bool(m) else no) if h and not pd.isna(m) else ""
                for m, h in zip(t["met"], has_target, strict=True)
            ],
        }
    )


def _overview_municipality_sheet(o: Overview, lang: str) -> pd.DataFrame:
    """Every municipality and the "Kopā" line, Latvian headers and words."""
    t = o.by_municipality.copy()
    t["colour"] = [text(f"overview.band_{c}", lang) for c in t["colour"]]
    line = {**o.total, "municipality": label("total", lang), "pupils": o.counts.get("pupils", 0),
            "plans": int(t["plans"].sum()), "colour": ""}  # fmt: skip
    if o.public:
        t = _overview_counts(o, t.drop(columns=["pupils", "plans"]))
        line = {k: v for k, v in _total_marked(o, line).items() if k not in ("pupils", "plans")}
    return pd.concat([t, pd.DataFrame([line])], ignore_index=True)


def overview_sheets(o: Overview, lang: str) -> dict[str, pd.DataFrame]:
    """report.xlsx of the overview: every table with Latvian headers and values and the
    same "Kopā" lines as the page."""
    trend = pd.concat(
        [o.trend, pd.DataFrame([{**o.trend_total, "semester": label("total", lang)}])],
        ignore_index=True,
    )
    out = {
        label("key_figures", lang): key_figures_sheet(o, lang),
        text("overview.sheet_municipalities", lang): _overview_municipality_sheet(o, lang),
        label("findings", lang): _overview_findings(o),
        text("overview.sheet_semesters", lang): trend,
        text("overview.sheet_indicators", lang): _indicator_sheet(o, lang),
    }
    if o.public:
        out.pop(text("overview.sheet_semesters", lang))
    out.update(changes_view.sheets(o, lang))
    return out


def overview_export(o: Overview, output_dir: str, lang: str) -> None:
    if output_dir:
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        tables_to_xlsx(overview_sheets(o, lang), out / "report.xlsx", lang=lang)
