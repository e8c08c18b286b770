"""The printed page's layout and the screen's (issue 22): headings and captions keep their
first rows, the signature keeps the lines above it, charts stay short enough to share a
page and readable on a phone, the correction annex reads at 390 px."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from pages import heading_texts, headings_at_page_foot, last_lines, page_fill
from pumpurs.present import charts
from pumpurs.present import html as blocks
from pumpurs.present.fmt import format_table, table_html
from pumpurs.present.pdf import chromium_path, html_to_pdf
from pumpurs.present.render import notebook_to_html

SIGNATURE = ["Sagatavoja (vārds, uzvārds, amats)", "Apstiprināja", "Datums"]


def _page(parts: list[str | list[str]]) -> str:
    """A report page whose outputs are `parts`, one notebook output each (as a report
    notebook's display() calls give them); a list is one cell's outputs."""
    cells = []
    for part in parts:
        cell = new_code_cell("")
        shown = part if isinstance(part, list) else [part]
        cell.outputs = [
            new_output("display_data", {"text/html": one, "text/plain": ""}) for one in shown
        ]
        cells.append(cell)
    return notebook_to_html(new_notebook(cells=cells), "Izkārtojums", "lv", funding=False)


def _filler(n: int) -> str:
    return blocks.ordered(
        [f"Rinda {i}: konstatējumu skaits un riskam pakļautā summa." for i in range(n)]
    )


def _annex(rows: int = 6) -> str:
    df = pd.DataFrame(
        {
            "service_month": ["2021-03"] * rows,
            "entry_ids": [f"E00312{87 + i}, E0041{100 + i}" for i in range(rows)],
            "category": ["meals"] * rows,
            "rule": ["CAP"] * rows,
            "at_risk_cents": [1234 * (i + 1) for i in range(rows)],
            "fix": ["Samaziniet summas līdz limitam."] * rows,
        }
    )
    caption = "Rīgas Tehniskā koledža (P086): riskam pakļauts 1 234,00 €"
    return table_html(format_table(df, "lv"), caption=caption, wide=True)


# ---------------------------------------------------------------------------
# Print
# ---------------------------------------------------------------------------
def test_a_caption_or_heading_is_never_the_last_line_of_a_page(tmp_path: Path) -> None:
    """Rīga 2021-H1 p. 11 ended with the caption "Rīgas Tehniskā koledža (P086)", its
    table on the next page. Sections of 1-59 filler lines put a caption, and a heading,
    at every height of a page: none may end one."""
    parts = []
    for n in range(1, 61, 2):
        parts += [blocks.heading(f"Sadaļa {n}.", "new-page"), _filler(n)]
        parts += [_annex(), blocks.heading(f"Nākamā sadaļa {n}."), _annex(2)]
    page = _page(parts)
    pdf = tmp_path / "captions.pdf"
    html_to_pdf(page, pdf, "Izkārtojums", "lv")
    assert headings_at_page_foot(pdf, heading_texts(page)) == []


def test_the_signature_keeps_the_lines_above_it(tmp_path: Path) -> None:
    """Aizkraukles novads 2021-H1 p. 7 held only the signature lines: whatever the length
    of the list above it, the signature never starts a page alone."""
    parts = []
    for n in range(40, 72):
        # as the report notebook's last cell shows them: heading, next steps, signature
        parts.append(
            [blocks.heading(f"Kas jādara tālāk {n}", "new-page"), _filler(n),
             blocks.signature(SIGNATURE)]
        )  # fmt: skip
    pdf = tmp_path / "signature.pdf"
    html_to_pdf(_page(parts), pdf, "Izkārtojums", "lv")
    import subprocess

    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    pages = [[r.strip() for r in p.splitlines() if r.strip()] for p in text.stdout.split("\f")]
    alone = [i + 1 for i, rows in enumerate(pages) if rows and rows[0].startswith(SIGNATURE[0])]
    assert alone == []
    assert sum(rows[0].startswith("Kas jādara tālāk") for rows in pages if rows) == 32


def test_a_chart_of_many_bars_is_short_enough_to_share_a_page() -> None:
    """The category chart (12 categories, two bars each) was 6.7 in tall: 150 mm printed,
    more than half a page, so the page before it was left a quarter empty."""
    cats = pd.DataFrame(
        {"category": [f"c{i}" for i in range(12)],
         "eligible_cents": np.arange(12) * 1000, "ineligible_cents": np.arange(12) * 10}
    )  # fmt: skip
    fig = charts.bar_by(cats, "category", ["eligible_cents", "ineligible_cents"], "lv", "t")
    assert fig.get_size_inches()[1] == pytest.approx(5.1)
    printed_mm = fig.get_size_inches()[1] * 25.4 * 180 / (charts.WIDTH * 25.4)
    assert printed_mm < 115


def test_no_empty_chart_frame_in_the_page(tmp_path: Path) -> None:
    """A chart without data is a line of text in the page, not a picture."""
    empty = charts.bar_by(pd.DataFrame({"category": [], "eligible_cents": []}), "category",
                          ["eligible_cents"], "lv", "Pa kategorijām")  # fmt: skip
    page = _page([blocks.heading("Izdevumi pa kategorijām"), empty._repr_html_()])
    assert "<img" not in page
    assert '<p class="no-chart">Pa kategorijām: nav datu.</p>' in page
    pdf = tmp_path / "nochart.pdf"
    html_to_pdf(page, pdf, "Izkārtojums", "lv")
    assert last_lines(pdf)[-1] == "Pa kategorijām: nav datu."
    assert page_fill(pdf)[0] < 0.1


def test_chart_text_is_at_least_9_pt() -> None:
    """Printed at 180 mm (0.89 of the figure) and shown 600 px wide on a phone."""
    fig = charts.bar_by(pd.DataFrame({"category": ["meals"], "eligible_cents": [100]}),
                        "category", ["eligible_cents"], "lv", "Pa kategorijām")  # fmt: skip
    charts.to_png(fig, dpi=40)
    ax = fig.axes[0]
    sizes = [t.get_fontsize() for t in ax.get_xticklabels() + ax.get_yticklabels()]
    sizes += [ax.xaxis.label.get_fontsize(), ax.title.get_fontsize()]
    sizes += [t.get_fontsize() for t in ax.texts]
    assert min(sizes) >= 9.0


# ---------------------------------------------------------------------------
# Screen
# ---------------------------------------------------------------------------
_MEASURE = """() => {
  const ids = [];
  for (const td of document.querySelectorAll('table.wide td')) {
    const node = td.firstChild;
    if (!node || node.nodeType !== 3) continue;
    for (const m of node.data.matchAll(/E\\d+/g)) {
      const r = document.createRange();
      r.setStart(node, m.index);
      r.setEnd(node, m.index + m[0].length);
      ids.push([m[0], r.getClientRects().length]);
    }
  }
  const img = document.querySelector('.jp-RenderedImage img');
  return {
    page: document.scrollingElement.scrollWidth,
    ids: ids,
    head: getComputedStyle(document.querySelector('table.wide thead')).display,
    label: getComputedStyle(document.querySelector('table.wide td'), '::before').content,
    chart: img ? img.getBoundingClientRect().width : 0,
  };
}"""


def _in_browser(page: str, width: int) -> dict:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page(viewport={"width": width, "height": 900})
            tab.set_content(page)
            return tab.evaluate(_MEASURE)
        finally:
            browser.close()


def test_the_correction_annex_reads_on_a_phone() -> None:
    """At 390 px the annex broke entry ids mid-word ("E00312 87"): now each row is a card,
    each value under its column's name, no id broken, nothing wider than the screen."""
    chart = charts.bar_by(pd.DataFrame({"category": ["meals"], "eligible_cents": [100]}),
                          "category", ["eligible_cents"], "lv", "Pa kategorijām")  # fmt: skip
    png = charts.to_png(chart, dpi=60)
    import base64

    img = (
        '<div class="jp-RenderedImage"><img alt="" src="data:image/png;base64,'
        + base64.b64encode(png).decode()
        + '"></div>'
    )
    page = _page([_annex(), img])
    assert re.search(r'<td data-label="Ieraksti">E0031287, E0041100</td>', page)
    phone = _in_browser(page, 390)
    assert phone["page"] <= 390
    assert phone["head"] == "none"
    assert phone["label"] == '"Pakalpojuma mēnesis"'
    assert len(phone["ids"]) == 12 and all(lines == 1 for _, lines in phone["ids"]), phone["ids"]
    assert phone["chart"] == 600  # its text stays readable; the picture scrolls in its box
    desk = _in_browser(page, 1280)
    assert desk["head"] == "table-header-group" and desk["label"] == "none"
    assert desk["page"] <= 1280


def test_the_index_shows_every_column_at_1280_px() -> None:
    """index.html cut its "Faili" column at 1280 px (the links never wrapped): the table
    now fits the window, each link whole."""
    import datetime as dt

    from pumpurs.present.index_page import Figures, IndexRow, index_html

    links = {k: f"x/report.{k.lower()}" for k in ("HTML", "PDF", "XLSX", "CSV", "ipynb")}
    figures = Figures(
        eligible_cents=143_080_550, at_risk_cents=2_272_374, absorption=0.951, errors=160,
        allocation_cents=149_200_000, eligible_period_cents=7_974_443, colour="green",
    )  # fmt: skip
    rows = [
        IndexRow(
            f"m{i}",
            "Dienvidkurzemes novads",
            "LV-112",
            "ok",
            figures,
            links=links,
            rendered="2026-12-07T03:04:06+00:00",
        )  # fmt: skip
        for i in range(3)
    ]
    nation = Figures(  # the demo's 2023-H2 overview: the widest figures, in bold
        eligible_cents=3_041_966_920, at_risk_cents=47_904_112, absorption=0.908, errors=3019,
        allocation_cents=3_350_940_000, eligible_period_cents=168_793_035, colour="green",
    )  # fmt: skip
    overview = IndexRow("overview", "", "LV", "ok", nation, links=links, rendered=rows[0].rendered)
    page = index_html(rows, overview, "2023-H2", dt.date(2023, 12, 31), "lv", "internal")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            tab = browser.new_page(viewport={"width": 1280, "height": 900})
            tab.set_content(page)
            box = tab.evaluate(
                "() => { const s = document.querySelector('.scroll');"
                " const a = [...document.querySelectorAll('td.links a')];"
                " return [s.scrollWidth, s.clientWidth,"
                " a.every(x => x.getClientRects().length === 1)]; }"
            )
        finally:
            browser.close()
    scroll_width, width, whole = box
    assert scroll_width <= width, box
    assert whole
