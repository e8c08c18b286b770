"""Report charts: matplotlib figures that read well printed on A4, in Latvian or English.

Figures are built with `matplotlib.figure.Figure` on an Agg canvas, never through
pyplot: a report run must not depend on (or change) the global backend or rcParams.
Every text element names DejaVu Sans (shipped with matplotlib) so Latvian letters
render the same on every machine. A figure displays itself in a notebook as a PNG
(`_repr_png_`), at a resolution that stays sharp in the PDF.

Money comes in integer cents (columns ending in `_cents`) or euros (`_eur`); axes show
euros, thousands or millions with the language's separators. A chart without data is
no empty frame but a `NoChart`: one line of text saying so.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from typing import Any

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from pumpurs.core.money import NBSP
from pumpurs.present.fmt import (
    CATEGORIES,
    CODE_COLUMNS,
    check_lang,
    fmt_eur,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_semester,
    is_missing,
    label,
    translate,
)
from pumpurs.present.texts import text

FONT = "DejaVu Sans"
WIDTH = 8.0  # inches: the text width of an A4 page at ~100 % zoom in the PDF
# Text sizes (pt at WIDTH): printed at 180 mm a chart shrinks to 0.89, and on a phone
# the page shows it at least 600 px wide (report.css), so the ticks stay >= 8 pt / 10 px.
TICK, LABEL, LEGEND, TITLE, VALUE = 9.5, 10.0, 9.0, 12.0, 9.0
HEIGHT = 3.5
DPI = 150  # PNG resolution: 1200 px wide, sharp when printed
# Okabe–Ito: distinguishable with colour-vision deficiency and in greyscale print.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#000000")
ALLOCATION_COLOR = "#D55E00"
GRID_COLOR = "#d9d9d9"

CAP_BINS = ("0-50", "50-80", "80-100", "100", "gt100")
CAP_BIN_COLORS = ("#c6dbef", "#6baed6", "#2171b5", "#08306b", "#D55E00")


def _t(key: str, lang: str) -> str:
    return text(f"chart.{key}", lang)


# ---------------------------------------------------------------------------
# Figure plumbing
# ---------------------------------------------------------------------------
def to_png(fig: Figure, dpi: int = DPI) -> bytes:
    """The figure as a 256-colour PNG, without software metadata (reruns give equal bytes).

    One draw on the figure's own Agg canvas at `dpi` (savefig would lay the figure out
    twice), then the pixels reduced to a palette: a chart has a few colours and their
    anti-aliased edges, so it looks the same at a fifth of the bytes in every report,
    notebook and page that embeds it.
    """
    from PIL import Image

    canvas = fig.canvas if isinstance(fig.canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    shown = fig.dpi
    fig.set_dpi(dpi)
    try:
        canvas.draw()
        width, height = canvas.get_width_height(physical=True)
        pixels = Image.frombuffer(
            "RGBA", (width, height), canvas.buffer_rgba(), "raw", "RGBA", 0, 1
        )
        image = pixels.convert("RGB").quantize(
            256, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
    finally:
        fig.set_dpi(shown)
    # The octree's bucket for white averages to (254, 254, 254): the page is white, so
    # the near-white entries are set to white (anti-aliased edges move by at most 15/255).
    palette = np.array(image.getpalette() or [], dtype=np.uint8).reshape(-1, 3)
    palette[(palette >= 250).all(axis=1)] = 255
    image.putpalette(palette.ravel().tolist())
    buf = io.BytesIO()
    image.save(buf, format="PNG", compress_level=6)
    return buf.getvalue()


def _new_figure(height: float = HEIGHT) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(WIDTH, height), dpi=100, layout="constrained", facecolor="white")
    FigureCanvasAgg(fig)
    # Notebook display: PNG bytes plus the title as alt text (the report template uses it).
    fig._repr_png_ = lambda: (to_png(fig), {"alt": getattr(fig, "pumpurs_alt", "")})  # type: ignore[attr-defined]
    ax = fig.add_subplot()
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=TICK, labelfontfamily=FONT, color="#555555", labelcolor="#333333")
    ax.set_axisbelow(True)
    return fig, ax


def _title(ax: Axes, title: str) -> None:
    ax.figure.pumpurs_alt = title  # type: ignore[union-attr]
    ax.set_title(title, loc="left", fontsize=TITLE, fontweight="bold", fontfamily=FONT, pad=10)


def _labels(ax: Axes, xlabel: str, ylabel: str) -> None:
    ax.set_xlabel(xlabel, fontsize=LABEL, fontfamily=FONT)
    ax.set_ylabel(ylabel, fontsize=LABEL, fontfamily=FONT)


def _legend(ax: Axes, **kw: Any) -> None:
    handles, _ = ax.get_legend_handles_labels()
    if handles:
        ax.legend(prop={"family": FONT, "size": LEGEND}, frameon=False, **kw)


class NoChart:
    """What a chart without data shows: one line of text ("Pa kategorijām: nav datu."),
    no empty frame with axes around the words. A notebook displays it as HTML."""

    def __init__(self, title: str, lang: str, note: str = "") -> None:
        self.title = title
        self.lang = lang
        self.note = note
        self.pumpurs_alt = title

    @property
    def text(self) -> str:
        line = text("chart.no_data", self.lang, title=self.title)
        return f"{line} {self.note}" if self.note else line

    def _repr_html_(self) -> str:
        from pumpurs.present import html as blocks

        return blocks.paragraph(self.text, "no-chart")

    def __repr__(self) -> str:
        return self.text


def _plain(x: float, lang: str) -> str:
    """A tick value: whole numbers without decimals, otherwise one decimal."""
    if abs(x - round(x)) < 1e-9:
        return fmt_num(round(x), lang, 0)
    if abs(x * 10 - round(x * 10)) < 1e-9:
        return fmt_num(x, lang, 1)
    return fmt_num(x, lang, 2)


def eur_scale(max_eur: float, lang: str) -> tuple[float, str]:
    """Divisor and unit for an EUR axis: €, thousands ('tūkst. €' / 'k €') or millions."""
    if max_eur >= 10_000_000:
        return 1_000_000.0, label("eur_millions", lang)
    if max_eur >= 10_000:
        return 1_000.0, label("eur_thousands", lang)
    return 1.0, label("eur", lang)


def _eur_axis(ax: Axes, axis: str, max_eur: float, lang: str) -> str:
    """Format an axis holding euros; returns the unit for the axis label."""
    div, unit = eur_scale(max_eur, lang)
    fmt = FuncFormatter(lambda v, _pos: _plain(v / div, lang))
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(fmt)
    target.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]))
    return unit


def _count_axis(ax: Axes, axis: str, lang: str) -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_locator(MaxNLocator(nbins=6, integer=True))
    target.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_int(round(v), lang)))


def _pct_axis(ax: Axes, axis: str, lang: str) -> None:
    target = ax.yaxis if axis == "y" else ax.xaxis
    target.set_major_formatter(FuncFormatter(lambda v, _pos: _plain(v, lang)))


def _wrap(text: str, width: int = 32) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def _as_euros(values: pd.Series, column: str) -> pd.Series:
    nums = pd.to_numeric(values, errors="coerce").astype("float64")
    return nums / 100.0 if column.endswith("_cents") else nums


def _months(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype(str).str.slice(0, 7) + "-01", format="%Y-%m-%d")


def _month_axis(ax: Axes, first: pd.Timestamp, last: pd.Timestamp, lang: str) -> None:
    """Years (quarters as minor ticks) over long spans, else months: the ticks of
    matplotlib's Year/MonthLocator, listed once (those locators re-run dateutil's rrule
    at every layout pass: a fifth of a report's chart time)."""
    span = (last.year - first.year) * 12 + last.month - first.month
    months = pd.date_range(
        pd.Timestamp(first.year - 1, 1, 1), pd.Timestamp(last.year + 2, 1, 1), freq="MS"
    )
    at = mdates.date2num(months)
    if span > 30:
        major, minor = at[months.month == 1], at[months.month.isin((4, 7, 10))]
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    else:
        step = 1 if span <= 8 else 3
        major, minor = at[(months.month - 1) % step == 0], at
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%m.%Y" if lang == "lv" else "%Y-%m"))
    ax.xaxis.set_major_locator(FixedLocator(major))
    ax.xaxis.set_minor_locator(FixedLocator(minor))


# ---------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------
def cumulative_vs_allocation(
    series: pd.DataFrame,
    lang: str = "lv",
    title: str | None = None,
    band: tuple[float, float] | None = None,
) -> Figure | NoChart:
    """Cumulative eligible spending against the allocation, with the projection to the end.

    Columns: month (YYYY-MM), cumulative_eligible_cents (NA after as_of),
    projected_cumulative_cents (NA where there is no projection), allocation_cents.
    `band` (e.g. (0.9, 1.0) from programme.yaml warnings) shades the share of the
    allocation the partner should land in.
    """
    check_lang(lang)
    df = series.copy()
    for col in ("cumulative_eligible_cents", "projected_cumulative_cents", "allocation_cents"):
        if col not in df.columns:
            df[col] = pd.NA
    df = df.dropna(subset=["month"]).sort_values("month")
    if df.empty:
        return NoChart(title or _t("cumulative_title", lang), lang)
    fig, ax = _new_figure()
    _title(ax, title or _t("cumulative_title", lang))
    x = _months(df["month"])
    actual = _as_euros(df["cumulative_eligible_cents"], "_cents")
    projected = _as_euros(df["projected_cumulative_cents"], "_cents")
    allocation = _as_euros(df["allocation_cents"], "_cents")
    top = np.nanmax(np.r_[actual.to_numpy(), projected.to_numpy(), allocation.to_numpy(), 0.0])
    unit = _eur_axis(ax, "y", float(top), lang)

    if allocation.notna().any():
        if band is not None:
            ax.fill_between(
                x,
                allocation * band[0],
                allocation * band[1],
                step="mid",
                color=ALLOCATION_COLOR,
                alpha=0.12,
                linewidth=0,
                label=f"{_t('band', lang)} {fmt_pct(band[0], lang, 0)}–{fmt_pct(band[1], lang, 0)}",
            )
        ax.step(
            x,
            allocation,
            where="mid",
            color=ALLOCATION_COLOR,
            linewidth=1.4,
            linestyle=(0, (6, 3)),
            label=label("allocation", lang),
        )
    has_actual = actual.notna()
    if has_actual.any():
        ax.plot(
            x[has_actual],
            actual[has_actual],
            color=PALETTE[0],
            linewidth=2.2,
            label=label("actual", lang),
        )
    has_proj = projected.notna()
    if has_actual.any():  # a projection is only what lies beyond the last actual month
        has_proj &= x > x[has_actual].iloc[-1]
    if has_proj.any():
        px, py = x[has_proj], projected[has_proj]
        if has_actual.any():  # start the dashed line where the solid one ends
            last = has_actual[has_actual].index[-1]
            if last not in px.index:
                px = pd.concat([x.loc[[last]], px])
                py = pd.concat([actual.loc[[last]], py])
        ax.plot(
            px,
            py,
            color=PALETTE[0],
            linewidth=1.6,
            linestyle=(0, (4, 2.5)),
            label=label("projection", lang),
        )
    _month_axis(ax, x.iloc[0], x.iloc[-1], lang)
    ax.set_ylim(bottom=0, top=max(float(top) * 1.08, 1.0))
    ax.grid(axis="y", color=GRID_COLOR, linewidth=0.6)
    _labels(ax, _t("month", lang), f"{_t('amount', lang)}, {unit}")
    _legend(ax, loc="lower right")
    return fig


def _value_text(v: float, raw: Any, unit: str, column: str, lang: str) -> str:
    if isinstance(raw, str):
        return raw
    if unit == "EUR":
        cents = raw if column.endswith("_cents") else round(v * 100)
        return fmt_eur(round(cents / 100) * 100, lang).replace(",00", "").replace(".00", "")
    if unit in ("share", "pct"):
        return fmt_pct(v / 100, lang)
    return fmt_int(v, lang)


def _numbers(table: pd.DataFrame, column: str, unit: str) -> pd.Series:
    """The plotted numbers of a column; suppressed cells ('<5', 'x') become NaN (no bar)."""
    raw = table[column].map(lambda v: np.nan if isinstance(v, str) or is_missing(v) else v)
    if unit == "EUR":
        return _as_euros(raw, column)
    nums = pd.to_numeric(raw, errors="coerce").astype("float64")
    return nums * 100 if unit in ("share", "pct") else nums


def _axis_unit(ax: Axes, axis: str, unit: str, top: float, lang: str) -> str:
    if unit == "EUR":
        return f"{_t('amount', lang)}, {_eur_axis(ax, axis, top, lang)}"
    if unit in ("share", "pct"):
        _pct_axis(ax, axis, lang)
        return f"{_t('share', lang)}, %"
    _count_axis(ax, axis, lang)
    return _t("count", lang)


def bar_by(
    table: pd.DataFrame,
    label_col: str,
    value_cols: Sequence[str],
    lang: str = "lv",
    title: str = "",
    unit: str = "EUR",
    annotate: bool | None = None,
    reference: Sequence[tuple[float, str]] = (),
) -> Figure | NoChart:
    """Horizontal bars per category, school, role, ...: the first row at the top.

    `reference`: dashed vertical lines (value in the column's own unit, legend label),
    e.g. the 90 % band edge on an absorption chart.

    `unit`: "EUR" (columns `_cents` hold cents, others euros), "count", or "share"
    (values are shares, shown as %). Code labels (category, rule, role, ...) are
    translated. A suppressed cell ('<5', 'x' from privacy.suppress_counts) gets no bar,
    only its mark. Values are written at the bar ends when there is one value column
    and at most 15 rows (or when `annotate` says so).
    """
    check_lang(lang)
    value_cols = list(value_cols)
    n = len(table)
    if n == 0 or not value_cols:
        return NoChart(title or label(value_cols[0] if value_cols else "value", lang), lang)
    # A bar (group) per row, each a quarter of an inch: a chart of a few rows stays
    # short enough to share a printed page with the table above it.
    height = min(10.5, max(HEIGHT, 0.25 * n * max(1.0, 0.6 * len(value_cols)) + 1.5))
    fig, ax = _new_figure(height)
    _title(ax, title or label(value_cols[0], lang))
    names = [
        translate(v, lang) if label_col in CODE_COLUMNS else ("" if is_missing(v) else str(v))
        for v in table[label_col].tolist()
    ]
    nums = {c: _numbers(table, c, unit) for c in value_cols}
    top = max(float(np.nanmax(np.r_[s.to_numpy(), 0.0])) for s in nums.values())
    xlabel = _axis_unit(ax, "x", unit, top, lang)
    y = np.arange(n)[::-1].astype(float)
    k = len(value_cols)
    h = 0.8 / k
    show_values = (k == 1 and n <= 15) if annotate is None else annotate
    for i, col in enumerate(value_cols):
        pos = y + (k - 1) * h / 2 - i * h
        vals = nums[col].fillna(0.0).to_numpy()
        color = PALETTE[i % len(PALETTE)]
        ax.barh(pos, vals, height=h * 0.92, color=color, label=label(col, lang))
        if show_values:
            raws = table[col].tolist()
            for p, v, raw in zip(pos, nums[col].tolist(), raws, strict=True):
                if is_missing(raw) and not isinstance(raw, str):
                    continue
                text = _value_text(0.0 if v != v else v, raw, unit, col, lang)
                ax.text(
                    (0.0 if v != v else v) + top * 0.01,
                    p,
                    text,
                    va="center",
                    ha="left",
                    fontsize=VALUE,
                    fontfamily=FONT,
                    color="#333333",
                )
    scale = 100.0 if unit in ("share", "pct") else 1.0
    for i, (value, name) in enumerate(reference):
        ax.axvline(value * scale, color=("#c5221f", "#5f6368")[i % 2], linestyle="--",
                   linewidth=1.1, label=name)  # fmt: skip
        top = max(top, value * scale)
    ax.set_yticks(y, [_wrap(s) for s in names])
    ax.set_ylim(-0.6, n - 0.4)
    ax.set_xlim(0, max(top * (1.22 if show_values else 1.05), 1.0))
    ax.grid(axis="x", color=GRID_COLOR, linewidth=0.6)
    ax.tick_params(axis="y", length=0)
    _labels(ax, xlabel, label(label_col, lang))
    if k > 1 or reference:  # below the plot: never over the bars or crossed by a line
        handles, names = ax.get_legend_handles_labels()
        fig.legend(handles, names, loc="outside lower center", ncol=len(handles),
                   prop={"family": FONT, "size": LEGEND}, frameon=False)  # fmt: skip
    return fig


def cap_bin(share: float) -> str:
    """The cap-usage bin of one pupil's month (or semester, or project): see CAP_BINS."""
    if share > 1.0 + 1e-9:
        return "gt100"
    if share >= 1.0 - 1e-9:
        return "100"
    if share >= 0.8:
        return "80-100"
    if share >= 0.5:
        return "50-80"
    return "0-50"


def _bin_label(key: str, lang: str) -> str:
    pct = NBSP + "%" if lang == "lv" else "%"
    return {
        "0-50": f"0–50{pct}",
        "50-80": f"50–80{pct}",
        "80-100": f"80–100{pct}",
        "100": f"={NBSP}100{pct}",
        "gt100": f">{NBSP}100{pct}",
    }[key]


def cap_usage(
    hist: pd.DataFrame,
    lang: str = "lv",
    title: str | None = None,
    min_count: int | None = None,
) -> Figure | NoChart:
    """How close pupils' compensations come to their caps, per capped category.

    Input: one row per pupil-month (pupil-semester, NGO project) with columns category
    and share_of_cap (amount / cap; 1.0 = exactly the cap). Each category is a 100 %
    bar split into 0–50 %, 50–80 %, 80–100 % (below the cap), exactly 100 % and over 100 % (money at
    risk). With `min_count` (public reports), a category is shown only when none of its
    bands holds from 1 to min_count − 1 cases, and without its number of cases, so no small
    count can be read off a segment.
    """
    check_lang(lang)
    df = hist.dropna(subset=["category", "share_of_cap"]).copy()
    df["bin"] = df["share_of_cap"].astype(float).map(cap_bin)
    counts = df.groupby(["category", "bin"]).size().unstack(fill_value=0)
    counts = counts.reindex(columns=list(CAP_BINS), fill_value=0)
    order = [c for c in CATEGORIES if c in counts.index] + sorted(
        c for c in counts.index if c not in CATEGORIES
    )
    counts = counts.loc[order]
    omitted = False
    if min_count is not None:  # public: no band, and no total, may hold a small count
        small = ((counts > 0) & (counts < min_count)).any(axis=1)
        keep = (counts.sum(axis=1) >= min_count) & ~small
        omitted = bool((~keep).any())
        counts = counts[keep]
    n = len(counts)
    if n == 0:
        note = _t("omitted", lang).format(n=min_count) if omitted else ""
        return NoChart(title or _t("cap_title", lang), lang, note)
    fig, ax = _new_figure(min(8.0, max(HEIGHT, 0.4 * n + 1.6)))
    _title(ax, title or _t("cap_title", lang))
    xlabel = _t("cap_x", lang)
    if omitted:  # under the axis, its own lines: beside the title it ran into it
        xlabel += "\n" + _wrap(_t("omitted", lang).format(n=min_count), 90)
    _labels(ax, xlabel, label("category", lang))
    totals = counts.sum(axis=1).to_numpy(dtype=float)
    shares = counts.to_numpy(dtype=float) / totals[:, None] * 100
    y = np.arange(n)[::-1].astype(float)
    left = np.zeros(n)
    for j, key in enumerate(CAP_BINS):
        ax.barh(
            y,
            shares[:, j],
            left=left,
            height=0.62,
            color=CAP_BIN_COLORS[j],
            label=_bin_label(key, lang),
            edgecolor="white",
            linewidth=0.5,
        )
        for yi, (lft, w) in enumerate(zip(left, shares[:, j], strict=True)):
            if w >= 7:
                ax.text(
                    lft + w / 2,
                    y[yi],
                    fmt_num(w, lang, 0),
                    ha="center",
                    va="center",
                    fontsize=VALUE - 0.5,
                    fontfamily=FONT,
                    color="white" if j >= 2 else "#1a1a1a",
                )
        left = left + shares[:, j]
    names = [
        _wrap(translate(c, lang), 28) + (f"\n(n = {fmt_int(t, lang)})" if min_count is None else "")
        for c, t in zip(counts.index, totals, strict=True)
    ]
    ax.set_yticks(y, names)
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.6, n - 0.4)
    _pct_axis(ax, "x", lang)
    ax.tick_params(axis="y", length=0)
    handles, labels = ax.get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=len(CAP_BINS),
        prop={"family": FONT, "size": LEGEND},
        frameon=False,
        title=_t("cap_legend", lang),
        title_fontproperties={"family": FONT, "size": LEGEND},
    )
    return fig


def semester_trend(
    table: pd.DataFrame,
    value_cols: Sequence[str],
    lang: str = "lv",
    title: str | None = None,
    unit: str = "count",
    semester_col: str = "semester",
) -> Figure | NoChart:
    """Grouped columns per semester (pupils, plans, spending ...), oldest on the left.

    `unit` as in bar_by: "count", "EUR" (`_cents` columns hold cents) or "share".
    Suppressed cells ('<5', 'x') get no column, only their mark.
    """
    check_lang(lang)
    value_cols = list(value_cols)
    df = table.sort_values(semester_col).reset_index(drop=True)
    n, k = len(df), len(value_cols)
    if n == 0 or k == 0:
        return NoChart(title or _t("trend_title", lang), lang)
    fig, ax = _new_figure()
    _title(ax, title or _t("trend_title", lang))
    nums = {c: _numbers(df, c, unit) for c in value_cols}
    top = max(float(np.nanmax(np.r_[s.to_numpy(), 0.0])) for s in nums.values())
    ylabel = _axis_unit(ax, "y", unit, top, lang)
    x = np.arange(n, dtype=float)
    w = 0.8 / k
    for i, col in enumerate(value_cols):
        pos = x - 0.4 + w / 2 + i * w
        vals = nums[col].fillna(0.0).to_numpy()
        ax.bar(pos, vals, width=w * 0.92, color=PALETTE[i % len(PALETTE)], label=label(col, lang))
        for p, raw in zip(pos, df[col].tolist(), strict=True):
            if isinstance(raw, str):  # a suppressed cell: show its mark where the bar would be
                ax.text(p, top * 0.01, raw, ha="center", va="bottom", fontsize=7.5, fontfamily=FONT)
    ax.set_xticks(x, [fmt_semester(s, lang) for s in df[semester_col].tolist()])
    if n > 6:
        for t in ax.get_xticklabels():
            t.set_rotation(40)
            t.set_horizontalalignment("right")
    ax.set_ylim(0, max(top * 1.1, 1.0))
    ax.grid(axis="y", color=GRID_COLOR, linewidth=0.6)
    ax.tick_params(axis="x", length=0)
    _labels(ax, _t("semester", lang), ylabel)
    _legend(ax, loc="upper left")
    return fig
