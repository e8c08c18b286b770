"""What a municipality's report and the national overview show alike: the report's words,
a count as the period's release shows it, the privacy footnotes and the key-figures sheet.

report_view.py (a municipality) and overview_view.py (the nation) both use these; this
module imports neither.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
from IPython.display import HTML

from pumpurs.core.calendar import Period
from pumpurs.present.fmt import fmt_date, fmt_period, label, table_html
from pumpurs.present.texts import text
from pumpurs.report.audience import Audience
from pumpurs.report.municipality import MunicipalityReport
from pumpurs.report.overview import Overview
from pumpurs.report.release import NATIONAL, PRIMARY, Cell, cell_text, plans_cell, pupils_cell


def report_text(key: str, lang: str) -> str:
    return text(f"report.{key}", lang)


def period_rows(period: Period, as_of: dt.date, lang: str) -> list[tuple[str, str]]:
    """The title table's first rows, the same in every report: the half-year with its
    dates, and the report date."""
    start = fmt_date(f"{period.first_month}-01", lang)
    return [
        (
            report_text("period", lang),
            report_text("period_range", lang).format(
                period=fmt_period(period.label, lang),
                start=start,
                end=fmt_date(period.end_date, lang),
            ),
        ),
        (report_text("as_of", lang), fmt_date(as_of, lang)),
    ]


def suppression_note(audience: Audience, lang: str) -> str:
    """The footnote a public table with hidden cells needs."""
    return text(
        "privacy.note",
        lang,
        mark=audience.mark,
        n=audience.min_count,
        secondary=audience.secondary_mark,
    )


def share_note(audience: Audience, lang: str) -> str:
    """The footnote of a hidden share: why a percentage shows "x"."""
    return text("privacy.share_note", lang, secondary=audience.secondary_mark, n=audience.min_count)


def html_table(df: pd.DataFrame, caption: str | None = None, total_row: bool = False) -> HTML:
    return HTML(table_html(df, caption=caption, total_row=total_row))


def report_slug(r: MunicipalityReport | Overview) -> str:
    """The report id the release keys a report's counts by (the overview's: national)."""
    return NATIONAL if isinstance(r, Overview) else r.municipality.slug


def release_mark(audience: Audience, release: dict[str, str] | None, cell: Cell) -> str | None:
    """How the period's release shows a count: its mark where it is hidden, else None."""
    kind = release.get(cell_text(cell)) if release is not None else None
    if kind is None:
        return None
    return audience.mark if kind == PRIMARY else audience.secondary_mark


def marked(
    audience: Audience, release: dict[str, str], t: pd.DataFrame, column: str, cells: list[Cell]
) -> pd.DataFrame:
    """`t` with `column`'s counts replaced by the release's marks where it hides them."""
    out = t.copy()
    out[column] = [
        release_mark(audience, release, c) or int(v)
        for c, v in zip(cells, t[column].tolist(), strict=True)
    ]
    return out


def counts_shown(
    r: MunicipalityReport | Overview, counts: pd.DataFrame, column: str
) -> pd.DataFrame:
    """Pupils and plans (in this order) as the release shows them."""
    if r.release is None:
        return r.audience.suppress(counts, [column])
    slug = report_slug(r)
    return marked(r.audience, r.release, counts, column, [pupils_cell(slug), plans_cell(slug)])


def key_figures_sheet(r: MunicipalityReport | Overview, lang: str) -> pd.DataFrame:
    """Money for the half-year beside money since the start (the allocation and what
    remains of it have no half-year value), then absorption as a share and pupils and
    plans as counts: every figure a number Excel can add, each column one format."""
    k = r.key_figures.rename(columns={"period_cents": "half_year_cents"})
    k["half_year_cents"] = k["half_year_cents"].astype("Int64")
    k.loc[k["figure"] == "allocation", "half_year_cents"] = pd.NA
    remaining = r.standing.remaining_cents if r.standing else 0
    k = pd.concat(
        [k, pd.DataFrame({"figure": ["remaining"], "cumulative_cents": [remaining]})],
        ignore_index=True,
    )
    k["figure"] = [
        report_text("remaining", lang) if f == "remaining" else label(f, lang) for f in k["figure"]
    ]
    counts = counts_shown(
        r,
        pd.DataFrame({"figure": ["pupils", "plans"], "n": [r.counts["pupils"], r.counts["plans"]]}),
        "n",
    )
    extra = pd.DataFrame(
        {
            "figure": [
                report_text("absorption", lang),
                *(report_text(f, lang) for f in counts["figure"]),
            ],
            "share": pd.array([r.absorption, None, None], dtype="Float64"),
            "count": [None, *counts["n"]],
        }
    )
    if not any(isinstance(v, str) for v in extra["count"]):  # '<5' on a public report
        extra["count"] = extra["count"].astype("Int64")
    return pd.concat([k, extra], ignore_index=True)
