"""Report charts (pumpurs.present.charts): titled, labelled, language-formatted, side-effect free."""

from __future__ import annotations

import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from pumpurs.present import charts

PNG = b"\x89PNG\r\n\x1a\n"


def _series() -> pd.DataFrame:
    months = [f"{y}-{m:02d}" for y in range(2019, 2024) for m in range(1, 13)]
    n, asof = len(months), 40
    cum = np.cumsum(np.full(n, 180_000))
    return pd.DataFrame(
        {
            "month": months,
            "cumulative_eligible_cents": pd.array(
                [int(c) if i <= asof else None for i, c in enumerate(cum)], dtype="Int64"
            ),
            "projected_cumulative_cents": pd.array(
                [int(cum[asof] + (i - asof) * 150_000) if i > asof else None for i in range(n)],
                dtype="Int64",
            ),
            "allocation_cents": 12_000_000,
        }
    )


def _categories() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "category": ["consultation", "meals", "personal_items", "learning_materials"],
            "eligible_cents": [4_512_345, 1_234_500, 23_400, 0],
            "ineligible_cents": [0, 12_300, 0, 2_500],
        }
    )


def _caps() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    return pd.DataFrame(
        {
            "category": rng.choice(["meals", "transport_intercity", "personal_items"], 300),
            "share_of_cap": np.clip(rng.normal(0.85, 0.2, 300), 0.05, 1.3),
        }
    )


def _semesters() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "semester": ["2020/2021-1", "2019/2020-2", "2020/2021-2"],
            "students_supported": [181, 120, "<5"],
            "support_plans": [186, 130, 7],
        }
    )


BUILDERS = {
    "cumulative": lambda lang: charts.cumulative_vs_allocation(_series(), lang, band=(0.9, 1.0)),
    "bar": lambda lang: charts.bar_by(
        _categories(), "category", ["eligible_cents"], lang, "Pa kategorijām"
    ),
    "bar2": lambda lang: charts.bar_by(
        _categories(), "category", ["eligible_cents", "ineligible_cents"], lang, "Kategorijas"
    ),
    "bar_count": lambda lang: charts.bar_by(
        pd.DataFrame({"school": ["Pērses sākumskola", "Bebru pamatskola"], "students": [12, "<5"]}),
        "school",
        ["students"],
        lang,
        "Skolēni pa skolām",
        unit="count",
    ),
    "caps": lambda lang: charts.cap_usage(_caps(), lang),
    "trend": lambda lang: charts.semester_trend(
        _semesters(), ["students_supported", "support_plans"], lang
    ),
}


def _texts(fig: Figure) -> tuple[str, str, str]:
    ax = fig.axes[0]
    title = ax.get_title(loc="left") or ax.get_title()
    return title, ax.get_xlabel(), ax.get_ylabel()


@pytest.mark.parametrize("lang", ["lv", "en"])
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_every_chart_has_title_labels_and_renders(name: str, lang: str) -> None:
    rc_before = dict(matplotlib.rcParams)
    backend = matplotlib.get_backend()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a missing glyph (Latvian letter) would warn
        fig = BUILDERS[name](lang)
        png = charts.to_png(fig, dpi=60)
    assert isinstance(fig, Figure)
    title, xlabel, ylabel = _texts(fig)
    assert title.strip() and xlabel.strip() and ylabel.strip()
    assert png.startswith(PNG) and len(png) > 2000
    assert 7.5 <= fig.get_figwidth() <= 8.5  # fits the A4 text width
    assert dict(matplotlib.rcParams) == rc_before  # no global style side effects
    assert matplotlib.get_backend() == backend
    fonts = {t.get_fontfamily()[0] for t in fig.findobj(matplotlib.text.Text) if t.get_text()}
    assert fonts == {"DejaVu Sans"}


def test_latvian_words_and_units() -> None:
    fig = charts.cumulative_vs_allocation(_series(), "lv")
    title, xlabel, ylabel = _texts(fig)
    assert title == "Uzkrātie attiecināmie izdevumi un piešķīrums"
    assert xlabel == "Mēnesis" and ylabel == "Summa, tūkst. €"
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert "Piešķīrums" in legend and "Faktiski" in legend
    en = charts.cumulative_vs_allocation(_series(), "en")
    assert _texts(en)[2] == "Amount, k €"


def test_axis_numbers_use_the_language_separators() -> None:
    fig = charts.bar_by(_categories(), "category", ["eligible_cents"], "lv", "x")
    fmt = fig.axes[0].xaxis.get_major_formatter()
    assert fmt(25_000.0, 0) == "25"  # thousands of euros
    assert fmt(2_500.0, 0) == "2,5"
    fig = charts.bar_by(_categories(), "category", ["eligible_cents"], "en", "x")
    assert fig.axes[0].xaxis.get_major_formatter()(2_500.0, 0) == "2.5"
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels[0] == "Consultations"  # the first row is at the top, translated


def test_eur_scale() -> None:
    assert charts.eur_scale(5_000, "lv") == (1.0, "€")
    assert charts.eur_scale(50_000, "lv") == (1_000.0, "tūkst. €")
    assert charts.eur_scale(50_000, "en") == (1_000.0, "k €")
    assert charts.eur_scale(40_000_000, "lv") == (1_000_000.0, "milj. €")


@pytest.mark.parametrize(
    ("share", "bin_"),
    [(0.1, "0-50"), (0.5, "50-80"), (0.79, "50-80"), (0.8, "80-100"), (0.999, "80-100")]
    + [(1.0, "100"), (1.0000000001, "100"), (1.01, "gt100")],
)
def test_cap_bins(share: float, bin_: str) -> None:
    assert charts.cap_bin(share) == bin_


def test_cap_usage_leaves_out_small_categories_when_asked() -> None:
    df = pd.concat(
        [_caps(), pd.DataFrame({"category": ["special_transport"] * 3, "share_of_cap": 1.0})]
    )
    names = [t.get_text() for t in charts.cap_usage(df, "lv").axes[0].get_yticklabels()]
    assert any("Speciālais transports" in n for n in names)
    fig = charts.cap_usage(df, "lv", min_count=5)  # every category has a band of 1-4
    assert isinstance(fig, charts.NoChart)
    assert fig.text == (
        "Kompensāciju limitu izmantojums: nav datu. Kategorijas, kurās kādā joslā ir mazāk "
        "nekā 5 gadījumu, nav parādītas."
    )
    big = pd.concat([df, pd.DataFrame({"category": ["meals"] * 5, "share_of_cap": 0.7})])
    big = big[big["category"] != "meals"]
    big = pd.concat([big, pd.DataFrame({"category": ["meals"] * 25, "share_of_cap": 0.7})])
    fig = charts.cap_usage(big, "lv", min_count=5)
    names = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert names == ["Ēdināšana"]
    # The note stands on its own lines under the axis: beside the title it ran into it.
    assert fig.axes[0].get_title(loc="right") == ""
    assert fig.axes[0].get_xlabel().splitlines()[1:] == [
        "Kategorijas, kurās kādā joslā ir mazāk nekā 5 gadījumu, nav parādītas."
    ]
    assert not any("n =" in n for n in names)  # a total and a share would give a count


def test_public_cap_usage_shows_no_band_of_a_few_cases() -> None:
    """13 cases, 1 of them over the cap: 8 % of 13 would reveal the one pupil."""
    df = pd.DataFrame({"category": ["meals"] * 13, "share_of_cap": [0.9] * 12 + [1.2]})
    names = [t.get_text() for t in charts.cap_usage(df, "lv").axes[0].get_yticklabels()]
    assert names and "n = 13" in names[0]
    fig = charts.cap_usage(df, "lv", min_count=5)
    assert isinstance(fig, charts.NoChart)
    fig = charts.cap_usage(df, "lv", min_count=1)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["Ēdināšana"]


def test_suppressed_cells_get_no_bar_only_their_mark() -> None:
    fig = BUILDERS["bar_count"]("lv")
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "<5" in texts and "12" in texts
    fig = BUILDERS["trend"]("lv")
    assert "<5" in [t.get_text() for t in fig.axes[0].texts]
    ticks = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert ticks == ["2019/20 2. sem.", "2020/21 1. sem.", "2020/21 2. sem."]  # sorted


@pytest.mark.parametrize(
    ("fig", "line"),
    [
        (
            lambda: charts.cumulative_vs_allocation(_series().iloc[0:0], "lv"),
            "Uzkrātie attiecināmie izdevumi un piešķīrums: nav datu.",
        ),
        (
            lambda: charts.bar_by(
                _categories().iloc[0:0], "category", ["eligible_cents"], "lv", "Pa kategorijām"
            ),  # fmt: skip
            "Pa kategorijām: nav datu.",
        ),
        (
            lambda: charts.cap_usage(pd.DataFrame({"category": [], "share_of_cap": []}), "en"),
            "Use of the compensation caps: no data.",
        ),
        (
            lambda: charts.semester_trend(_semesters().iloc[0:0], ["support_plans"], "en"),
            "Trend by semester: no data.",
        ),
    ],
)
def test_empty_input_gives_one_line_of_text_not_an_empty_frame(fig, line) -> None:
    """A chart without data was an empty frame with "Nav datu" in it: now it draws
    nothing and says so in a line of text."""
    f = fig()
    assert isinstance(f, charts.NoChart)
    assert f.text == line
    assert f._repr_html_() == f"<p class='no-chart'>{line}</p>"
    assert not hasattr(f, "_repr_png_")


def test_figure_displays_itself_in_a_notebook_with_alt_text() -> None:
    fig = BUILDERS["bar"]("lv")
    data, meta = fig._repr_png_()
    assert data.startswith(PNG)
    assert meta == {"alt": "Pa kategorijām"}


def test_png_bytes_are_reproducible() -> None:
    assert charts.to_png(BUILDERS["bar"]("lv"), 50) == charts.to_png(BUILDERS["bar"]("lv"), 50)


def test_a_bar_chart_s_legend_stands_below_the_bars_not_over_them():
    """The overview's absorption chart drew its legend over the bars, crossed by the
    90 % line: the legend now stands outside the plot."""
    shares = pd.DataFrame({"municipality": [f"M{i}" for i in range(40)],
                           "absorption": np.linspace(0.8, 1.0, 40)})  # fmt: skip
    fig = charts.bar_by(
        shares, "municipality", ["absorption"], "lv", "Apguve", unit="share",
        reference=[(0.9, "Mērķa joslas apakšējā robeža (90 %)")],
    )  # fmt: skip
    charts.to_png(fig)  # lays the figure out
    assert fig.axes[0].get_legend() is None
    (legend,) = fig.legends
    texts = [t.get_text() for t in legend.get_texts()]
    assert sorted(texts) == ["Apguve", "Mērķa joslas apakšējā robeža (90 %)"]
    renderer = fig.canvas.get_renderer()
    plot = fig.axes[0].get_tightbbox(renderer)
    assert legend.get_window_extent(renderer).y1 <= plot.y0
