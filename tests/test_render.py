"""Executed notebook -> report.html, report.pdf, report.xlsx (pumpurs.present.render)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from pypdf import PdfReader

from pumpurs import __version__
from pumpurs.present import render
from pumpurs.present.pdf import html_to_pdf
from pumpurs.present.render import (
    RenderError,
    external_resources,
    funding_statement_html,
    notebook_to_html,
    sheet_name,
    tables_to_xlsx,
    write_atomic,
)

TITLE = "PuMPuRS pārskats — Aizkraukles novads"
NB = "\u00a0"


def _tagged(cell, *tags: str):
    cell.metadata["tags"] = list(tags)
    return cell


def _source_notebook() -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [
        _tagged(new_code_cell('municipality = "Nekurienes novads"\nlang = "lv"'), "parameters"),
        new_code_cell(
            "import warnings\n"
            "import matplotlib.pyplot as plt\n"
            "import pandas as pd\n"
            "from IPython.display import HTML, Markdown, display\n"
            "from pumpurs.present import charts, fmt"
        ),
        new_markdown_cell("Skolas: Pērses sākumskola, Bebru pamatskola."),
        new_code_cell('display(Markdown(f"# {municipality}"))'),
        new_code_cell(
            'df = pd.DataFrame({"category": ["meals", "consultation"],'
            ' "eligible_cents": [123456, 98765432], "students": [12, 3400]})\n'
            "display(HTML(fmt.table_html(fmt.format_table(df, lang, ints=['students']))))"
        ),
        new_code_cell("df"),
        new_code_cell(
            'charts.bar_by(df, "category", ["eligible_cents"], lang, "Izdevumi pa kategorijām")'
        ),
        new_code_cell("fig, ax = plt.subplots(figsize=(4, 2))\nax.plot([1, 2, 3])\nplt.show()"),
        _tagged(new_code_cell('print("SECRET-REMOVED-CELL")'), "remove"),
        new_code_cell('warnings.warn("noise-on-stderr")\nprint("Ieguldījums tavā nākotnē")'),
    ]
    return nb


@pytest.fixture(scope="module")
def executed(tmp_path_factory) -> nbformat.NotebookNode:
    """The test notebook, run by papermill like `pumpurs run` does (parameters injected)."""
    import papermill as pm

    folder = tmp_path_factory.mktemp("nb")
    src, out = folder / "in.ipynb", folder / "out.ipynb"
    nbformat.write(_source_notebook(), src)
    pm.execute_notebook(
        str(src),
        str(out),
        parameters={"municipality": "Aizkraukles novads"},
        kernel_name="python3",
        progress_bar=False,
        cwd=str(folder),
    )
    nb = nbformat.read(out, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
    return nb


@pytest.fixture(scope="module")
def page(executed) -> str:
    return notebook_to_html(executed, TITLE, "lv")


# ---------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------
def test_html_has_outputs_but_no_code_or_parameters(page: str) -> None:
    for code in ("import pandas", "display(", "charts.bar_by", "plt.subplots", "warnings.warn"):
        assert code not in page, code
    assert "injected-parameters" not in page
    assert "Nekurienes novads" not in page and "municipality =" not in page
    assert "# Parameters" not in page
    assert "In&nbsp;[" not in page and "Out[" not in page
    assert "SECRET-REMOVED-CELL" not in page
    assert "noise-on-stderr" not in page  # warnings are not part of a report
    assert "Traceback" not in page
    assert "<h1" in page and "Aizkraukles novads</h1>" in re.sub(r"<a [^>]*></a>", "", page)
    assert "Pērses sākumskola" in page and "Ieguldījums tavā nākotnē" in page


def test_html_is_self_contained(page: str) -> None:
    assert not re.search(r"<script", page, re.I)
    assert not re.search(r"""<(link|img|script|iframe)[^>]+(href|src)=["']?(https?:)?//""", page)
    assert external_resources(page) == []
    assert "cdnjs" not in page and "mathjax" not in page.lower() and "require.js" not in page
    imgs = re.findall(r'<img[^>]+src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(imgs) == 2  # the pumpurs chart and the plain pyplot one
    assert all(base64.b64decode(i).startswith(b"\x89PNG") for i in imgs)
    assert 'alt="Izdevumi pa kategorijām"' in page


def test_html_head_language_title_and_print_css(page: str) -> None:
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert '<html lang="lv">' in page
    assert f"<title>{TITLE}</title>" in page
    assert "size: A4" in page
    assert page.count("<body") == 1 and page.count("</html>") == 1


def test_html_tables_are_formatted_and_numbers_right_aligned(page: str) -> None:
    assert f'<td class="num">1{NB}234,56{NB}€</td>' in page
    assert '<th class="num">Attiecināms</th>' in page
    assert "<td>Ēdināšana</td>" in page
    # a raw pandas table shown by the notebook gets its numbers aligned too
    assert '<td class="num">98765432</td>' in page


def test_html_carries_the_funding_statement(page: str) -> None:
    for text in (
        "Eiropas Savienība",
        "Eiropas Sociālais fonds",
        "Ieguldījums tavā nākotnē",
        "Nacionālais attīstības plāns 2020",
        "8.3.4.0/16/I/001",
        "Atbalsts priekšlaicīgas mācību pārtraukšanas samazināšanai",
    ):
        assert text in page, text


def test_html_in_english(executed) -> None:
    page = notebook_to_html(executed, "PuMPuRS report", "en", funding=True)
    assert '<html lang="en">' in page and "<title>PuMPuRS report</title>" in page
    assert "European Social Fund" in page and "Investing in your future" in page


def test_error_output_is_a_render_error(executed) -> None:
    nb = nbformat.from_dict(executed)
    cell = new_code_cell("1/0")
    cell.outputs = [
        new_output("error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])
    ]
    nb.cells.append(cell)
    with pytest.raises(RenderError, match="ZeroDivisionError"):
        notebook_to_html(nb, TITLE, "lv")
    assert RenderError.exit_code == 1


def test_papermill_failure_is_a_render_error(tmp_path) -> None:
    import papermill as pm

    nb = new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [new_code_cell("x = 1"), new_code_cell("raise ValueError('bad data')")]
    nbformat.write(nb, tmp_path / "in.ipynb")
    with pytest.raises(pm.PapermillExecutionError):
        pm.execute_notebook(
            str(tmp_path / "in.ipynb"),
            str(tmp_path / "out.ipynb"),
            kernel_name="python3",
            progress_bar=False,
        )
    failed = nbformat.read(tmp_path / "out.ipynb", as_version=4)
    with pytest.raises(RenderError):
        notebook_to_html(failed, TITLE, "lv")


@pytest.mark.parametrize(
    "data",
    [
        {"text/html": '<img src="https://example.org/logo.png">'},
        {"text/html": '<link rel="stylesheet" href="http://cdn.example.org/x.css">'},
        {"text/html": "<script>alert(1)</script>"},
        {"application/javascript": "alert(1)", "text/plain": "<js>"},
    ],
)
def test_network_or_script_outputs_are_refused(executed, data) -> None:
    nb = nbformat.from_dict(executed)
    cell = new_code_cell("show()")
    cell.outputs = [new_output("display_data", data=data)]
    nb.cells.append(cell)
    with pytest.raises(RenderError):
        notebook_to_html(nb, TITLE, "lv")


def test_links_a_reader_may_click_are_fine() -> None:
    assert external_resources('<a href="https://www.pumpurs.lv">pumpurs.lv</a>') == []
    assert external_resources('<div style="background: url(http://x.org/a.png)">') != []
    assert external_resources("<style>@import url(https://fonts.example.org/a.css);</style>")
    assert external_resources("<style>body { background: url(//x.org/a.png) }</style>")
    assert external_resources("<p>@import is a CSS word</p>") == []


def test_funding_statement_is_plain_html() -> None:
    html = funding_statement_html("lv")
    assert external_resources(html) == []
    assert "<img" not in html and "<svg" in html
    assert "Eiropas Savienība" in html and "Ieguldījums tavā nākotnē" in html
    assert "Nacionālais attīstības plāns 2020" in html and "8.3.4.0/16/I/001" in html
    en = funding_statement_html("en")
    assert "European Union" in en and "Support for reducing early school leaving" in en


# ---------------------------------------------------------------------------
# PDF
# ---------------------------------------------------------------------------
def _pdf_text(path: Path) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(str(path))
    return len(reader.pages), "\n".join(p.extract_text() or "" for p in reader.pages)


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_pdf_keeps_latvian_letters_and_has_the_footer(page: str, tmp_path, engine) -> None:
    out = tmp_path / "report.pdf"
    html_to_pdf(page, out, "Aizkraukles novads", "lv", engine=engine)
    pages, text = _pdf_text(out)
    assert pages >= 1
    for s in (
        "Aizkraukles novads",
        "Pērses sākumskola",
        "Ieguldījums tavā nākotnē",
        "Eiropas Sociālais",
        "Ēdināšana",
        f"1. lpp. no {pages}",
    ):
        assert s in text, s
    info = PdfReader(str(out)).metadata
    assert (info.title, info.author, info.creator) == (
        TITLE, "Aizkraukles novads", f"pumpurs {__version__}"
    )  # fmt: skip
    assert info.subject == "ESF projekta PuMPuRS izdevumu, konstatējumu un rādītāju pārskats"
    assert PdfReader(str(out)).trailer["/Root"]["/Lang"] == "lv"
    if engine == "chromium":  # tagged: a structure tree a screen reader follows
        root = PdfReader(str(out)).trailer["/Root"]
        assert "/StructTreeRoot" in root and root["/MarkInfo"]["/Marked"]
    assert "Nekurienes" not in text and "municipality =" not in text
    assert not [p for p in tmp_path.iterdir() if p.name != "report.pdf"]  # no temp files left


def test_pdf_in_english_numbers_pages(executed, tmp_path) -> None:
    page = notebook_to_html(executed, "Report", "en")
    out = tmp_path / "report.pdf"
    html_to_pdf(page, out, 'Rīga "centrs"', "en")
    pages, text = _pdf_text(out)
    assert f"page 1 of {pages}" in text and 'Rīga "centrs"' in text


def test_pdf_engine_is_chosen_by_the_environment(monkeypatch) -> None:
    from pumpurs.core.errors import UsageError
    from pumpurs.present import pdf

    monkeypatch.setenv("PUMPURS_PDF_ENGINE", "weasyprint")
    assert pdf.pdf_engine() == "weasyprint"
    monkeypatch.setenv("PUMPURS_PDF_ENGINE", "auto")
    assert pdf.pdf_engine() == "chromium"  # the test machine has Chromium (README)
    monkeypatch.setenv("PUMPURS_CHROMIUM", "/nonexistent/chrome")
    assert pdf.pdf_engine() == "weasyprint"  # auto falls back
    monkeypatch.setenv("PUMPURS_PDF_ENGINE", "chromium")
    with pytest.raises(UsageError) as e:
        pdf.pdf_engine()
    assert str(e.value) == (
        "PUMPURS_PDF_ENGINE is chromium, but no Chromium was found (install the chromium "
        "package, or name the browser in PUMPURS_CHROMIUM)"
    )
    monkeypatch.setenv("PUMPURS_PDF_ENGINE", "prince")
    with pytest.raises(UsageError) as e:
        pdf.pdf_engine()
    assert str(e.value) == (
        'PUMPURS_PDF_ENGINE is "prince"; use chromium, weasyprint or auto (the default)'
    )


def test_auto_prints_with_weasyprint_when_playwright_is_not_installed(monkeypatch) -> None:
    import importlib.util

    from pumpurs.present import pdf

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name.startswith("playwright") else real(name, *a),
    )
    monkeypatch.setenv("PUMPURS_PDF_ENGINE", "auto")
    assert pdf.chromium_path() is not None  # the test machine has Chromium (README)
    assert pdf.pdf_engine() == "weasyprint"


def test_pdf_is_reproducible(page: str, tmp_path) -> None:
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    html_to_pdf(page, a, "Aizkraukles novads", "lv")
    html_to_pdf(page, b, "Aizkraukles novads", "lv")
    assert a.read_bytes() == b.read_bytes()


def test_pdf_fetches_nothing_from_outside(tmp_path) -> None:
    from pypdf import PdfReader

    png = tmp_path / "local.png"
    from pumpurs.present import charts

    png.write_bytes(
        charts.to_png(charts.bar_by(pd.DataFrame({"a": ["x"], "v": [1]}), "a", ["v"], "lv", "t"))
    )
    html = f'<html><body><p>Teksts</p><img src="file://{png}"><img src="{png}"></body></html>'
    out = tmp_path / "x.pdf"
    html_to_pdf(html, out, "Aizkraukles novads", "lv")
    # Chromium draws its small broken-image sign where an image was refused; the chart
    # itself (1200 px wide) must not be in the PDF.
    sizes = [im.image.size for p in PdfReader(str(out)).pages for im in p.images]
    assert all(w <= 32 and h <= 32 for w, h in sizes), sizes


# ---------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------
def _sheets() -> dict[str, pd.DataFrame]:
    totals = pd.DataFrame(
        {
            "category": ["meals", "consultation", "coordination"],
            "declared_cents": [123456, 1, 3984123799],
            "eligible_cents": pd.array([10, None, 19], dtype="Int64"),
            "absorption": [0.875, 1.02, None],
            "students": [12, 3400, 0],
        }
    )
    findings = pd.DataFrame(
        {
            "rule": ["CAP_MEALS", "PLAN_LATE"],
            "severity": ["error", "warning"],
            "paid_on": [pd.Timestamp("2020-02-05"), pd.NaT],
            "created_on": [dt.date(2020, 1, 15), dt.date(2021, 10, 2)],
            "entry_ids": [("E1", "E2"), ()],
            "at_risk_cents": [1400, 0],
        }
    )
    return {"Kopsavilkums pa kategorijām: 2020/2021 [H2]": totals, "Konstatējumi": findings}


def test_xlsx_sheets_money_dates_and_layout(tmp_path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "report.xlsx"
    tables_to_xlsx(_sheets(), out)
    wb = load_workbook(out)
    assert wb.sheetnames == ["Kopsavilkums pa kategorijām- 20", "Konstatējumi"]
    ws = wb.worksheets[0]
    assert len(ws.title) <= 31
    assert [c.value for c in ws[1]] == [
        "Izmaksu kategorija",
        "Deklarēts",
        "Attiecināms",
        "Apguve",
        "Skolēni",
    ]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:E4"
    declared = [ws.cell(r, 2).value for r in range(2, 5)]
    for value, cents in zip(declared, [123456, 1, 3984123799], strict=True):
        assert value == cents / 100
        assert Decimal(repr(value)) == Decimal(cents) / 100  # exact to the cent
    assert ws.cell(2, 3).value == 0.1 and ws.cell(3, 3).value is None
    assert "€" in ws.cell(2, 2).number_format
    assert ws.cell(2, 4).number_format == "0.0%" and ws.cell(2, 4).value == 0.875
    assert ws.cell(2, 1).value == "Ēdināšana"
    assert ws.column_dimensions["A"].width >= len("Konsultācijas")
    ws2 = wb["Konstatējumi"]
    assert ws2.cell(2, 1).value == "Pārsniegts ēdināšanas limits"  # ids are for machine formats
    assert ws2.cell(2, 2).value == "kļūda"
    assert ws2.cell(2, 3).value == dt.datetime(2020, 2, 5) and ws2.cell(3, 3).value is None
    assert ws2.cell(2, 4).value == dt.datetime(2020, 1, 15)
    assert ws2.cell(2, 4).number_format == "dd.mm.yyyy"
    assert ws2.cell(2, 5).value == "E1, E2"
    assert ws2.freeze_panes == "A2" and ws2.auto_filter.ref


def test_xlsx_english_headers(tmp_path) -> None:
    from openpyxl import load_workbook

    out = tmp_path / "r.xlsx"
    tables_to_xlsx(_sheets(), out, lang="en")
    ws = load_workbook(out).worksheets[1]
    assert [c.value for c in ws[1]][:3] == ["Rule", "Severity", "Paid on"]
    assert ws.cell(2, 3).number_format == "yyyy-mm-dd"


def test_xlsx_is_deterministic(tmp_path) -> None:
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    tables_to_xlsx(_sheets(), a)
    os.utime(a, (0, 0))
    tables_to_xlsx(_sheets(), b)
    assert a.read_bytes() == b.read_bytes()


def test_xlsx_refuses_fractions_of_a_cent(tmp_path) -> None:
    with pytest.raises(ValueError, match="whole cents"):
        tables_to_xlsx({"t": pd.DataFrame({"x_cents": [1.5]})}, tmp_path / "x.xlsx")


def test_sheet_names_are_excel_safe() -> None:
    assert sheet_name("a/b:c*d?[e]") == "a-b-c-d--e-"
    assert sheet_name("History") != "History"
    assert sheet_name("x" * 40) == "x" * 31
    assert sheet_name("Dati", ["dati"]) == "Dati (2)"
    assert sheet_name("", []) == "Sheet"


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------
def test_write_atomic_replaces_whole_files(tmp_path, monkeypatch) -> None:
    target = tmp_path / "sub" / "report.html"
    write_atomic(target, "vecais")
    assert target.read_text() == "vecais"
    assert oct(target.stat().st_mode & 0o777) == oct(0o644)
    write_atomic(target, b"jaunais \xc4\x81")
    assert target.read_text(encoding="utf-8") == "jaunais ā"

    def broken(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(render.os, "replace", broken)
    with pytest.raises(OSError):
        write_atomic(target, "half")
    assert target.read_text(encoding="utf-8") == "jaunais ā"
    assert [p.name for p in target.parent.iterdir()] == ["report.html"]


# ---------------------------------------------------------------------------
# A real browser
# ---------------------------------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def test_report_opens_in_a_browser_offline(page: str, tmp_path) -> None:
    from PIL import Image

    assert CHROMIUM, "install Debian's chromium (.ci/run does)"

    html = tmp_path / "report.html"
    html.write_text(page, encoding="utf-8")
    shot = tmp_path / "shot.png"
    cmd = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        # no network at all: the page must show everything from itself
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--proxy-server=127.0.0.1:9",
        f"--user-data-dir={tmp_path / 'profile'}",
        f"--screenshot={shot}",
        "--window-size=1200,1600",
        html.as_uri(),
    ]
    subprocess.run(cmd, check=True, timeout=120, capture_output=True)
    img = Image.open(io.BytesIO(shot.read_bytes())).convert("RGB")
    assert img.size == (1200, 1600)
    colours = img.getcolors(maxcolors=1_000_000)
    assert colours is not None and len(colours) > 50  # text, tables, charts: not blank
    # the EU flag blue of the funding statement is on screen
    assert any(
        abs(r - 0x00) < 16 and abs(g - 0x33) < 16 and abs(b - 0x99) < 16 for _, (r, g, b) in colours
    )


def test_a_crashed_browser_fails_one_pdf_and_the_next_one_prints(page: str, tmp_path) -> None:
    from pumpurs.present import pdf

    first = tmp_path / "first.pdf"
    html_to_pdf(page, first, "Aizkraukles novads", "lv", engine="chromium")
    printer = pdf.chromium_printer()
    # the browser goes away behind the printer's back (a crash, an out-of-memory kill)
    printer._thread.submit(lambda: printer._browser.close()).result()
    with pytest.raises(Exception):  # noqa: B017 - Playwright's own error type
        html_to_pdf(page, tmp_path / "lost.pdf", "Aizkraukles novads", "lv", engine="chromium")
    assert not (tmp_path / "lost.pdf").exists()
    again = tmp_path / "again.pdf"
    html_to_pdf(page, again, "Aizkraukles novads", "lv", engine="chromium")
    assert again.read_bytes() == first.read_bytes()  # a new browser, the same page
