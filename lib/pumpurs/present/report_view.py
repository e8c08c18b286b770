"""How a municipality report is shown: display tables, charts and sentences per language.

Notebooks call these and display the result; nothing here computes money (report.py
does). Public reports pass through privacy here: counts of pupils or plans below the
threshold become '<5', and row-level pupil data never reaches a public table.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from IPython.display import HTML

from pumpurs.core.money import NBSP
from pumpurs.core.settings import Programme
from pumpurs.present import changes_view, charts
from pumpurs.present import html as blocks
from pumpurs.present.annex import HEADERS as ANNEX_HEADERS
from pumpurs.present.annex import correction_annex, findings_csv_for_people, with_subtotals
from pumpurs.present.fmt import (
    fmt_date,
    fmt_date_words,
    fmt_eur,
    fmt_int,
    fmt_month,
    fmt_month_words,
    fmt_pct,
    fmt_period,
    fmt_semester_words,
    format_table,
    label,
    table_html,
)
from pumpurs.present.render import tables_to_xlsx, write_atomic
from pumpurs.present.texts import has_text, plural, text
from pumpurs.present.view_common import counts_shown as _counts_shown
from pumpurs.present.view_common import html_table as _html
from pumpurs.present.view_common import key_figures_sheet as _key_figures_sheet
from pumpurs.present.view_common import marked as _marked
from pumpurs.present.view_common import period_rows, release_mark, share_note, suppression_note
from pumpurs.present.view_common import report_slug as _report_slug
from pumpurs.present.view_common import report_text as _t
from pumpurs.report.audience import Audience
from pumpurs.report.municipality import MunicipalityReport
from pumpurs.report.overview import Overview
from pumpurs.report.release import (
    errors_cell,
    findings_cell,
    fix_cell,
    new_errors_cell,
    plans_cell,
    plans_year_cell,
)


def _fix(rule: str, lang: str, ended: bool = False) -> str:
    """What to do; once the programme has ended, re-planning is no longer advice."""
    key = f"fix.{rule}"
    if ended and has_text(f"{key}_ended"):
        key = f"{key}_ended"
    return text(key if has_text(key) else "fix.CAP", lang)


def _unless_empty(show: Callable[..., Any]) -> Callable[..., Any]:
    """A section of a report with no data shows nothing (the title says why)."""

    @functools.wraps(show)
    def shown(r: MunicipalityReport | Overview, *args: Any, **kwargs: Any) -> Any:
        return HTML("") if r.empty else show(r, *args, **kwargs)

    return shown


def title_block(r: MunicipalityReport, lang: str) -> HTML:
    partners = ", ".join(
        f"{row.name} ({fmt_date(row.agreement_date, lang)})" for row in r.partners.itertuples()
    )
    aud = _t(f"audience_{r.audience}", lang)
    rows = [
        *period_rows(r.period, r.as_of, lang),
        (_t("partners", lang), partners or "–"),
        (_t("audience", lang), aud),
        (_t("fingerprint", lang), r.fingerprint),
    ]
    unbroken = fmt_period(r.period.label, lang).replace(" ", NBSP)  # "pusgads" never alone
    html = blocks.title(f"{r.municipality.name} — {_t('title', lang)}: {unbroken}")
    html += blocks.facts(rows)
    if r.empty:
        html += blocks.paragraph(
            _t("no_data", lang).format(date=fmt_date_words(r.as_of, lang, "dat"))
        )
    return HTML(html)


def _sentences(r: MunicipalityReport | Overview, lang: str, programme: Programme) -> list[str]:
    """Two or three sentences: where the money stands, where it is heading, what is at risk."""
    st = r.standing
    assert st is not None
    share = fmt_pct(st.share, lang) if st.share is not None else "–"
    low = fmt_pct(float(programme.warnings.absorption_low), lang, digits=0)
    high = fmt_pct(float(programme.warnings.absorption_high), lang, digits=0)
    end = programme.period_at(r.as_of).end_month
    end_in = fmt_month_words(end, lang, "loc")  # "beidzās 2023. gada decembrī"
    end_by = fmt_month_words(end, lang, "dat")  # "līdz 2023. gada decembrim"
    money = {
        "eligible": fmt_eur(st.eligible_cents, lang),
        "allocation": fmt_eur(st.allocation_cents, lang),
        "remaining": fmt_eur(st.remaining_cents, lang),
    }
    side = "green" if st.colour == "green" else ("high" if (st.share or 0) > 1 else "low")
    if st.ended:
        out = [
            text("summary.ended", lang).format(end=end_in, share=share, **money),
            text(f"summary.final_{side}", lang).format(low=low, high=high),
        ]
    else:
        now = fmt_pct(st.eligible_cents / st.allocation_cents, lang) if st.allocation_cents else "–"
        date = fmt_date_words(r.as_of, lang, "dat")  # "Līdz 2021. gada 30. jūnijam"
        out = [text("summary.where", lang).format(date=date, share=now, **money)]
        if st.share is not None:
            out.append(
                text(f"summary.projected_{side}", lang).format(
                    months=programme.warnings.absorption_pace_months,
                    end=end_by,
                    share=share,
                    low=low,
                    high=high,
                )
            )
    if st.errors == 0:
        out.append(text("summary.no_errors", lang))
    else:
        risk = {
            "period_risk": fmt_eur(st.period_at_risk_cents, lang),
            "earlier_risk": fmt_eur(st.earlier_at_risk_cents, lang),
        }
        if st.errors == 1 and not r.public:  # "the one finding" would publish a count of 1
            which = text("summary.this_half" if st.new_errors else "summary.earlier", lang)
            out.append(text("summary.risk_one", lang).format(which=which, **risk))
        elif r.public and not _errors_total_shown(r):
            out.append(text("summary.risk_uncounted", lang).format(**risk))
        else:
            out.append(
                text("summary.risk", lang).format(
                    new=r.audience.count_text(st.new_errors, fmt_int(st.new_errors, lang)),
                    errors=r.audience.count_text(st.errors, fmt_int(st.errors, lang)),
                    **risk,
                )
            )
    return out


@_unless_empty
def summary(r: MunicipalityReport | Overview, lang: str, programme: Programme) -> HTML:
    """Page 1's verdict: its colour and the sentences that say where the municipality
    stands (the key figures and the main corrections follow)."""
    st = r.standing
    assert st is not None
    return HTML(
        blocks.standing(
            st.colour,
            text(f"summary.status_{'ended_' if st.ended else ''}{st.colour}", lang),
            _sentences(r, lang, programme),
        )
    )


@_unless_empty
def top_fixes(r: MunicipalityReport, lang: str) -> HTML:
    """The five corrections with the most money at risk, with their partner and the date
    they are due (`reporting.corrections_due_days` after the half-year)."""
    if r.top_fixes.empty or r.standing is None:
        return HTML("")
    items = []
    shown = _fix_counts_shown(r, lang)
    for row, count in zip(r.top_fixes.itertuples(), shown, strict=True):
        n, findings = _counted(r, row.findings, "finding", lang, count)
        items.append(
            text("summary.fix_line", lang).format(
                partner=f"{r.partner_names.get(row.partner_id, '')} ({row.partner_id})",
                rule=label(row.rule, lang),
                n=n,
                findings=findings,
                eur=fmt_eur(row.at_risk_cents, lang),
                fix=_fix(row.rule, lang, ended=r.standing.ended),
            )
        )
    due = fmt_date_words(r.standing.due, lang, "dat")
    note = "" if r.public else text("summary.all_fixes", lang)
    if r.public and any(c in (r.audience.mark, r.audience.secondary_mark) for c in shown):
        note = suppression_note(r.audience, lang)
    return HTML(blocks.fixes(text("summary.top_fixes", lang).format(due=due), items, note))


def _counted(
    r: MunicipalityReport, n: int, noun: str, lang: str, shown: str | None = None
) -> tuple[str, str]:
    """A count as the audience may see it (`shown`: as a table decided it), and the noun
    agreeing with it (a hidden count, "<5" or "x", reads as many: the plural)."""
    if shown is None:
        shown = r.audience.count_text(n, fmt_int(n, lang))
    hidden = shown in (r.audience.mark, r.audience.secondary_mark)
    return shown, plural(5 if hidden else n, noun, lang)


def rule_counts_shown(r: MunicipalityReport | Overview, lang: str) -> dict[tuple[str, str], str]:
    """Each (rule, severity) count as the findings table shows it. Every place that repeats
    a rule's count (next steps, page 1) shows it the same way: a count hidden in the table
    as "x" must not be printed beside it in a sentence."""
    shown = findings_shown(r)
    return {
        (rule, sev): v if isinstance(v, str) else fmt_int(v, lang)
        for rule, sev, v in zip(shown["rule"], shown["severity"], shown["findings"], strict=True)
    }


def findings_shown(r: MunicipalityReport | Overview) -> pd.DataFrame:
    """The findings by rule as this audience may see them: as the period's release
    decided (report/release.py), or, for a report made without it, table by table with
    the error rows suppressed against the errors the index and the overview publish (the
    warnings have no published total)."""
    t = r.findings_by_rule[["rule", "severity", "findings", "at_risk_cents"]]
    if not r.public or t.empty:
        return t
    if r.release is not None:
        slug = _report_slug(r)
        cells = [findings_cell(slug, a, b) for a, b in zip(t["rule"], t["severity"], strict=True)]
        return _marked(r.audience, r.release, t.reset_index(drop=True), "findings", cells)
    errors = t["severity"] == "error"
    parts = [
        r.audience.suppress(t[errors].reset_index(drop=True), ["findings"], sums_known=True),
        r.audience.suppress(t[~errors].reset_index(drop=True), ["findings"]),
    ]
    shown = pd.concat(parts, ignore_index=True)
    order = {(a, b): i for i, (a, b) in enumerate(zip(t["rule"], t["severity"], strict=True))}
    keys = [order[(a, b)] for a, b in zip(shown["rule"], shown["severity"], strict=True)]
    return shown.iloc[sorted(range(len(shown)), key=keys.__getitem__)].reset_index(drop=True)


def _errors_total_shown(r: MunicipalityReport | Overview) -> bool:
    """Whether page 1 may say "A of B error findings": B is the sum of the findings table's
    error rows, so with one of them hidden B would pin it (six "<5" rows and "of 6": each
    is 1). Then the sentence gives the money at risk only."""
    st = r.standing
    if r.release is not None:
        slug = _report_slug(r)
        return st is not None and not any(
            release_mark(r.audience, r.release, c)
            for c in (errors_cell(slug), new_errors_cell(slug))
        )
    if st is None or r.audience.hides(st.errors) or r.audience.hides(st.new_errors):
        return False
    marks = (r.audience.mark, r.audience.secondary_mark)
    return not any(
        v in marks for (_rule, sev), v in rule_counts_shown(r, "en").items() if sev == "error"
    )


def _fix_counts_shown(r: MunicipalityReport, lang: str) -> list[str]:
    """The count of each main-correction line (a partner's findings of one rule). The lines
    of a rule add up to (at most) its row in the findings table, so when one of them is
    hidden the others are hidden too ("x"), else the rule's row minus the shown ones
    would give the hidden one (ELIG_NO_PLAN 8 = P025 5 + P042 "<5": P042 is 3)."""
    out = []
    rows = r.top_fixes
    if not r.public:
        return [fmt_int(n, lang) for n in rows["findings"]]
    if r.release is not None:
        slug = _report_slug(r)
        return [
            release_mark(r.audience, r.release, fix_cell(slug, p, rule)) or fmt_int(n, lang)
            for p, rule, n in zip(rows["partner_id"], rows["rule"], rows["findings"], strict=True)
        ]
    by_rule = r.fix_counts if not r.fix_counts.empty else rows
    hidden_rules = set(by_rule.loc[by_rule["findings"].map(r.audience.hides), "rule"])
    table = rule_counts_shown(r, lang)
    marks = (r.audience.mark, r.audience.secondary_mark)
    hidden_rules |= {rule for (rule, sev), v in table.items() if sev == "error" and v in marks}
    for rule, n in zip(rows["rule"], rows["findings"], strict=True):
        if r.audience.hides(n):
            out.append(r.audience.mark)
        elif rule in hidden_rules:
            out.append(r.audience.secondary_mark)
        else:
            out.append(fmt_int(n, lang))
    return out


@_unless_empty
def signature(r: MunicipalityReport | Overview, lang: str) -> HTML:
    """Lines to sign on, at the end of a report to be filed: who prepared it (name,
    position), who approved it, and the date."""
    if r.public:
        return HTML("")
    keys = ("summary.prepared_by", "summary.approved_by", "summary.date")
    return HTML(blocks.signature([text(k, lang) for k in keys]))


@_unless_empty
def key_figures(r: MunicipalityReport | Overview, lang: str, programme: Programme) -> HTML:
    """The period beside the cumulative figures; the allocation and what remains of it
    are cumulative only."""
    k = r.key_figures.copy()
    k["figure"] = [label(f, lang) for f in k["figure"]]
    shown = format_table(
        k.rename(columns={"period_cents": "p", "cumulative_cents": "c"}),
        lang,
        money=["p", "c"],
        labels=False,
    )
    shown.columns = [_t("figure", lang), _t("in_period", lang), _t("cumulative", lang)]
    shown.iloc[0, 1] = "–"  # the allocation is not spent in a period
    counts = _counts_shown(
        r,
        pd.DataFrame(
            {
                "figure": [_t("pupils", lang), _t("plans", lang)],
                "c": [r.counts["pupils"], r.counts["plans"]],
            }
        ),
        "c",
    )
    remaining = r.standing.remaining_cents if r.standing else 0
    extra = pd.DataFrame(
        {
            _t("figure", lang): [_t("remaining", lang), _t("absorption", lang), *counts["figure"]],
            _t("in_period", lang): ["–", "–", "–", "–"],
            _t("cumulative", lang): [
                fmt_eur(remaining, lang),
                fmt_pct(r.absorption, lang) if r.absorption is not None else "–",
                *[v if isinstance(v, str) else fmt_int(v, lang) for v in counts["c"]],
            ],
        }
    )
    table = table_html(pd.concat([shown, extra], ignore_index=True))
    return HTML(table + blocks.paragraph(esf_note(programme, r.as_of, lang), "note"))


def esf_note(programme: Programme, as_of: Any, lang: str) -> str:
    """The sentence beside a report's first ESF table: why a row's ESF may differ from
    its eligible amount × the rate by a cent (rules.md "Totals")."""
    rate = fmt_pct(float(programme.esf_rate_at(as_of)), lang, digits=0)
    return text("report.esf_note", lang, rate=rate)


@_unless_empty
def monthly_chart(r: MunicipalityReport, lang: str, programme: Programme):
    band = (float(programme.warnings.absorption_low), float(programme.warnings.absorption_high))
    return charts.cumulative_vs_allocation(r.series, lang, band=band)


def _totals_display(rows: pd.DataFrame, total: dict, key: str, lang: str, drop=()) -> pd.DataFrame:
    """A breakdown for the page: its rows and the total line; a column of zeros only (over
    allocation, most often) says nothing and is left out (report.xlsx keeps it)."""
    over = "over_allocation_cents"
    zeros = tuple(c for c in (over, "corrected_cents") if c in rows.columns and not rows[c].any())
    cols = [c for c in rows.columns if c not in ("allocation_cents", "absorption", *drop, *zeros)]
    t = rows[cols].copy()
    total_row = {c: total.get(c, "") for c in cols if c.endswith("_cents")}
    total_row[key] = label("total", lang)
    t = pd.concat([t, pd.DataFrame([total_row])], ignore_index=True)
    return format_table(t, lang)


def _with_period(
    rows: pd.DataFrame,
    period_rows: pd.DataFrame,
    key: str,
    total: dict,
    period_total: dict,
) -> tuple[pd.DataFrame, dict]:
    """The cumulative breakdown with the half-year's eligible spending beside it (its sum
    is the period's key figure)."""
    p = period_rows.set_index(key)["eligible_cents"]
    t = rows.copy()
    at = 2 if "name" in t.columns else 1  # after the key (and the name)
    t.insert(at, "eligible_period_cents", t[key].map(p).fillna(0).astype("int64"))
    total = {**total, "eligible_period_cents": int(period_total.get("eligible_cents", 0))}
    return t, total


@_unless_empty
def by_category(r: MunicipalityReport, lang: str) -> HTML:
    t, total = _with_period(
        r.by_category.sort_values("eligible_cents", ascending=False, kind="stable"),
        r.by_category_period,
        "category",
        r.totals["category"],
        r.totals_period["category"],
    )
    narrow = ("declared_cents",)  # declared = ineligible + eligible; A4, report.xlsx has all
    return _html(_totals_display(t, total, "category", lang, drop=narrow), total_row=True)


@_unless_empty
def category_chart(r: MunicipalityReport, lang: str):
    t = r.by_category.sort_values("eligible_cents", ascending=False)
    return charts.bar_by(
        t, "category", ["eligible_cents", "ineligible_cents"], lang, title=_t("by_category", lang)
    )


@_unless_empty
def by_school(r: MunicipalityReport, lang: str) -> HTML:
    t, total = _with_period(
        r.by_school, r.by_school_period, "school_id", r.totals["school"], r.totals_period["school"]
    )
    t["name"] = t["name"].where(t["school_id"] != "", _t("no_school", lang))
    narrow = ("over_allocation_cents", "state_cents", "declared_cents", "corrected_cents")  # A4
    return _html(_totals_display(t, total, "school_id", lang, drop=narrow), total_row=True)


@_unless_empty
def by_semester(r: MunicipalityReport, lang: str) -> HTML:
    return _html(
        _totals_display(r.by_semester, r.totals["semester"], "semester", lang), total_row=True
    )


@_unless_empty
def semester_chart(r: MunicipalityReport, lang: str):
    return charts.semester_trend(
        r.by_semester,
        ["eligible_cents", "ineligible_cents"],
        lang,
        unit="EUR",
        title=_t("by_semester", lang),
    )


@_unless_empty
def cap_chart(r: MunicipalityReport, lang: str, programme: Programme):
    """Cap usage as shares of each cap; public reports leave out categories with few cases."""
    bins = {"0–50 %": 0.25, "50–80 %": 0.65, "80–<100 %": 0.9, "100 %": 1.0, ">100 %": 1.2}
    rows = r.cap_usage.loc[r.cap_usage.index.repeat(r.cap_usage["groups"])]
    hist = pd.DataFrame(
        {"category": rows["category"].to_numpy(), "share_of_cap": rows["band"].map(bins).to_numpy()}
    )
    min_count = r.audience.min_count if r.audience.is_public else None
    return charts.cap_usage(hist, lang, min_count=min_count)


@_unless_empty
def findings_by_rule(r: MunicipalityReport, lang: str, programme: Programme) -> HTML:
    if r.findings_by_rule.empty:
        return HTML(blocks.paragraph(_t("no_findings", lang)))
    t = findings_shown(r)
    if r.public:
        note = suppression_note(r.audience, lang)
        return HTML(
            table_html(format_table(t, lang, ints=["findings"])) + blocks.paragraph(note, "note")
        )
    return _html(format_table(t, lang, ints=["findings"]))


_LAST_ANNEX: list[tuple[MunicipalityReport, str, pd.DataFrame]] = []


def annex(r: MunicipalityReport, lang: str) -> pd.DataFrame:
    """Every finding in words, partner by partner (internal reports only). The page, the
    workbook and findings.csv all show it: it is worded once per report and language."""
    for report, language, frame in _LAST_ANNEX:
        if report is r and language == lang:
            return frame.copy()
    ended = r.standing is not None and r.standing.ended
    frame = correction_annex(
        r.findings, r.programme, lang, r.partner_names, r.school_names, r.corrections, ended
    )
    _LAST_ANNEX[:] = [(r, lang, frame)]  # the last report only
    return frame.copy()


def _when(annex: pd.DataFrame, lang: str) -> list[str]:
    """Each finding's month, semester (in words) or NGO project: a cap finding is per pupil
    and month, per pupil and semester or per project, and its row says which."""
    out = []
    for month, semester, project in zip(
        annex["service_month"], annex["semester"], annex["ngo_project_id"], strict=True
    ):
        if month:
            out.append(fmt_month(month, lang))  # 03.2021, as the reader writes it in a table
        elif semester:
            out.append(fmt_semester_words(semester, lang))
        elif project:
            out.append(text("subject.ngo_project_id", lang, period=project))
        else:
            out.append("")
    return out


@_unless_empty
def findings_rows(r: MunicipalityReport, lang: str) -> HTML:
    """Every finding, partner by partner: its errors (month or semester, entry, category,
    rule, money at risk and what to fix), then its warnings (late plans, the absorption
    risk), which put no money at risk. Page 1 says every finding is here: so it is, however
    long (findings.csv and report.xlsx hold the same rows with every column)."""
    if r.public:
        return HTML(blocks.paragraph(_t("rows_hidden", lang)))
    rows = annex(r, lang)
    if rows.empty:
        return HTML(blocks.paragraph(_t("no_findings", lang)))
    rows.insert(0, "when", _when(rows, lang))
    error = rows["severity"] == label("error", lang)
    html = ""
    for pid, part in rows.groupby("partner_id", sort=False):
        partner = f"{part['partner'].iloc[0]} ({pid})"
        errors, warnings = part[error[part.index]], part[~error[part.index]]
        if not errors.empty:
            caption = (
                f"{partner}: {label('at_risk', lang).lower()} "
                f"{fmt_eur(int(errors['at_risk_cents'].sum()), lang)}"
            )
            shown = errors[["when", "entry_ids", "category", "rule", "at_risk_cents", "fix"]]
            html += table_html(_when_header(format_table(shown, lang), lang), caption=caption,
                               wide=True)  # fmt: skip
        if not warnings.empty:
            caption = _t("warnings_caption", lang).format(partner=partner)
            shown = warnings[["when", "school_id", "student_id", "rule", "fix"]]
            html += table_html(_when_header(format_table(shown, lang), lang), caption=caption)
    return HTML(html)


def _when_header(shown: pd.DataFrame, lang: str) -> pd.DataFrame:
    return shown.rename(columns={"when": _t("when", lang)})


def _suppress_indicator_rows(
    counts: pd.DataFrame, years: list[str], cols: list[str], audience: Audience
) -> pd.DataFrame:
    """Each indicator row on its own; plans add up to the cumulative column when all
    years are shown, so that row gets secondary suppression against its total."""
    if counts.empty:  # a municipality without partners has nothing to hide
        return counts
    rows = []
    for name, row in counts.iterrows():
        one = row.to_frame().T.reset_index(names="indicator")
        shown_years = [c for c in cols if c != "cumulative"]
        additive = (
            name == "support_plans"
            and "cumulative" in cols
            and len(shown_years) == len(years)
            and row[shown_years].sum() == row["cumulative"]
        )
        for c in cols:
            one[c] = one[c].astype("int64")
        one = audience.suppress(one, list(cols), total_column="cumulative" if additive else None)
        rows.append(one)
    return pd.concat(rows).set_index("indicator")


def _years_with_data(ind: pd.DataFrame) -> list[str]:
    """The school years in which something was counted (a pupil, a plan, a school, a
    project), in order: every one of them, so that the years add up to the cumulative
    column (Aizkraukles 2023-H2 showed four of seven: 1 435 of its 2 148 plans)."""
    counts = ~ind["indicator"].isin(["continued_share", *_PROGRAMME_ONLY])
    years = ind[(ind["period"] != "cumulative") & counts]
    counted = years.groupby("period", sort=False)["value"].apply(lambda v: (v.fillna(0) > 0).any())
    return [str(y) for y in counted.index if counted[y]]


# The share of the country's municipalities that take part: one municipality's report
# would show 1/43 (0.0232558), which says nothing about it.
_PROGRAMME_ONLY = ("municipalities_involved",)


def _indicator_rows_sheet(r: MunicipalityReport) -> pd.DataFrame:
    """The indicators for report.xlsx: the years with data and the cumulative value, no
    programme-only indicator, and no target columns (targets are the programme's; a
    municipality has none, so they would be empty on every row)."""
    ind = r.indicators
    keep = ind["period"].isin([*_years_with_data(ind), "cumulative"])
    ind = ind[keep & ~ind["indicator"].isin(_PROGRAMME_ONLY)]
    drop = ["count", "denominator", "scope", "comparison"]
    for c in ("target", "target_source", "met"):
        if c in ind.columns and not ind[c].replace("", pd.NA).notna().any():
            drop.append(c)
    return ind.drop(columns=drop, errors="ignore").reset_index(drop=True)


@_unless_empty
def indicators(r: MunicipalityReport, lang: str, programme: Programme) -> HTML:
    """Indicators as rows, every school year with data and the cumulative value as
    columns; no target column (the targets are the programme's, not a municipality's)."""
    ind = r.indicators
    wide = ind.pivot_table(
        index="indicator", columns="period", values="value", aggfunc="first", sort=False
    )
    order = [
        i
        for i in (
            "students_supported",
            "support_plans",
            "institutions_involved",
            "ngo_projects",
            "continued_share",
        )
        if i in wide.index
    ]
    wide = wide.loc[order]
    years = _years_with_data(ind)
    cols = [*years, "cumulative"] if "cumulative" in wide.columns else years
    wide = wide[cols]
    out = pd.DataFrame(index=wide.index)
    shares = {"continued_share"}
    counts = wide.drop(index=[i for i in order if i in shares])
    share_rows = [i for i in order if i in shares]
    share_cells = {c: [fmt_pct(v, lang) for v in wide.loc[share_rows, c].tolist()] for c in cols}
    shares_hidden = False
    if r.public:
        counts = _suppress_indicator_rows(counts, years, cols, r.audience)
        if r.release is not None and "support_plans" in counts.index:
            # plans add up to the key figure's plans: the release decides them
            slug = _report_slug(r)
            counts = counts.astype(object)
            for c in cols:
                cell = plans_cell(slug) if c == "cumulative" else plans_year_cell(slug, str(c))
                mark = release_mark(r.audience, r.release, cell)
                counts.loc["support_plans", c] = mark or int(wide.loc["support_plans", c])
        # A share of fewer than min_count pupils tells about those pupils: hide it, as "x"
        # ("<5" on a percentage would read as "under 5 %"), with a note saying why.
        denominators = ind[ind["indicator"] == "continued_share"].set_index("period")["denominator"]
        for c in cols:
            n = denominators.get(c)
            if share_rows and (n is None or pd.isna(n) or not r.audience.shares_shown(n)):
                share_cells[c] = [r.audience.secondary_mark]
                shares_hidden = True
    for c in cols:
        out[c] = [
            (v if isinstance(v, str) else fmt_int(v, lang)) for v in counts[c].tolist()
        ] + share_cells[c]
    out.index = [label(i, lang) for i in [*counts.index, *share_rows]]
    out.columns = [label("cumulative", lang) if c == "cumulative" else c for c in cols]
    out = out.reset_index(names=label("indicator", lang))
    html = table_html(out)
    if r.public:
        html += blocks.paragraph(suppression_note(r.audience, lang), "note")
    if shares_hidden:
        html += blocks.paragraph(share_note(r.audience, lang), "note")
    return HTML(html)


@_unless_empty
def next_steps(r: MunicipalityReport, lang: str) -> HTML:
    """What the project manager does next, most money first."""
    s = r.next_steps
    errors = s[s["severity"] == "error"]
    items = []
    if errors.empty:
        items.append(_t("next_none", lang))
    table = rule_counts_shown(r, lang)
    for row in s.itertuples():
        noun = "finding" if row.severity == "error" else "warning"
        n, words = _counted(r, row.findings, noun, lang, table.get((row.rule, row.severity)))
        key = "next_error" if row.severity == "error" else "next_warning"
        items.append(
            _t(key, lang).format(
                rule=label(row.rule, lang),
                n=n,
                findings=words,
                eur=fmt_eur(row.at_risk_cents, lang),
                fix=_fix(row.rule, lang, ended=r.standing is not None and r.standing.ended),
            )
        )
    return HTML(blocks.ordered(items))


def _with_total(rows: pd.DataFrame, total: dict, key: str, lang: str) -> pd.DataFrame:
    """A breakdown sheet: its rows, a "Kopā" line that is their sum, and no column that is
    empty in every row (allocation and absorption belong to partners only)."""
    t = rows.copy()
    line = {c: total.get(c) for c in t.columns if c.endswith("_cents")}
    line[key] = label("total", lang)
    t = pd.concat([t, pd.DataFrame([line])], ignore_index=True)
    for c in ("allocation_cents", "absorption"):
        if c in t.columns and t[c].isna().all():
            t = t.drop(columns=c)
    return t


def sheets(r: MunicipalityReport, lang: str) -> dict[str, pd.DataFrame]:
    """The report's tables for Excel, one sheet each, each with its total line; public
    reports carry no pupil rows and no small counts."""
    school = r.by_school.copy()
    school["name"] = school["name"].where(school["school_id"] != "", _t("no_school", lang))
    out = {
        label("key_figures", lang): _key_figures_sheet(r, lang),
        _t("sheet_partners", lang): _with_total(
            r.by_partner, r.totals["partner"], "partner_id", lang
        ),
        _t("by_category", lang): _with_total(
            *_with_period(
                r.by_category.sort_values("eligible_cents", ascending=False, kind="stable"),
                r.by_category_period,
                "category",
                r.totals["category"],
                r.totals_period["category"],
            ),
            "category",
            lang,
        ),
        _t("by_school", lang): _with_total(
            *_with_period(
                school,
                r.by_school_period,
                "school_id",
                r.totals["school"],
                r.totals_period["school"],
            ),
            "school_id",
            lang,
        ),
        _t("by_semester", lang): _with_total(r.by_semester, r.totals["semester"], "semester", lang),
        label("findings", lang): findings_shown(r) if r.public else r.findings_by_rule,
    }
    if not r.public:
        out[_t("sheet_indicators", lang)] = _indicator_rows_sheet(r)
        out[text("heading.finding_rows", lang)] = with_subtotals(annex(r, lang), lang).rename(
            columns=ANNEX_HEADERS
        )
    out.update(changes_view.sheets(r, lang))
    return out


def export(r: MunicipalityReport, output_dir: str, lang: str) -> None:
    """report.xlsx and, for internal reports, findings.csv into output_dir ('' = nowhere)."""
    if not output_dir:
        return
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables_to_xlsx(sheets(r, lang), out / "report.xlsx", lang=lang)
    if not r.public:
        write_atomic(out / "findings.csv", findings_csv_for_people(annex(r, lang), lang))


def heading(
    key: str, lang: str, r: MunicipalityReport | Overview | None = None, new_page: bool = False
) -> HTML:
    """A section's heading; none for a report without data, the `_ended` wording once the
    programme has ended (no forecast). `new_page`: a long table's section starts a
    printed page rather than leave its heading and a row at the foot of one."""
    if r is not None and r.empty:
        return HTML("")
    ended = r is not None and r.standing is not None and r.standing.ended
    if ended and has_text(f"heading.{key}_ended"):
        key = f"{key}_ended"
    return HTML(blocks.heading(text(f"heading.{key}", lang), "new-page" if new_page else ""))
