"""Turning an executed report notebook into the files a reader opens: HTML, PDF and XLSX.

- `notebook_to_html`: outputs only (no code, no prompts, no parameters cell, no error),
  one self-contained page that opens offline: our own template replaces JupyterLab's
  head, so there are no CDN scripts (MathJax, require.js, mermaid) and no JupyterLab CSS;
  images are data: URIs; a resource that would be fetched from the network is an error.
- the PDF is printed from that page by `pumpurs.present.pdf` (Chromium or WeasyPrint).
- `tables_to_xlsx`: one sheet per table, money as real numbers in EUR, real dates, a
  frozen header and a filter; identical input gives identical bytes.
- `write_atomic`: a report on disk is only ever replaced by a complete new file.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import functools
import html as html_lib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from html.parser import HTMLParser
from importlib import resources as importlib_resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pumpurs._version import __version__
from pumpurs.core.errors import PumpursError
from pumpurs.core.money import NBSP
from pumpurs.present.fmt import (
    CODE_COLUMNS,
    check_lang,
    fmt_semester_words,
    is_share_column,
    label,
    looks_numeric,
    translate,
)

if TYPE_CHECKING:
    import nbformat

    from pumpurs.core.settings import Programme

TEMPLATES = Path(str(importlib_resources.files("pumpurs") / "templates"))
TEMPLATE_FILE = "pumpurs_report.html.j2"
REMOVE_TAGS = frozenset({"parameters", "injected-parameters", "remove", "remove-cell"})
REMOVE_OUTPUT_TAGS = frozenset({"remove-output", "remove_output"})
PAPERMILL_ERROR_TAG = "papermill-error-cell-tag"
# Output types a static page cannot show: they would silently render empty.
DYNAMIC_MIME = (
    "application/javascript",
    "application/vnd.jupyter.widget-view+json",
    "application/vnd.plotly.v1+json",
    "application/vnd.bokehjs_exec.v0+json",
)
XLSX_CREATED = dt.datetime(2000, 1, 1)  # fixed document time: same input, same bytes


class RenderError(PumpursError):
    """A notebook cannot become a report (an error output, a network resource, ...).

    It fails that one municipality's report, not the input: the batch goes on and exits 1.
    """

    exit_code = 1


# ---------------------------------------------------------------------------
# Files
# ---------------------------------------------------------------------------
def write_atomic(path: Path, data: bytes | str) -> None:
    """Write to a temporary file in the same folder, then rename it over `path`.

    A reader (or a crashed run) never sees a half-written report: os.replace is atomic
    within one file system. A replaced file keeps its permissions; a new one gets 0644.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    try:
        mode = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# ---------------------------------------------------------------------------
# The EU / ESF funding statement
# ---------------------------------------------------------------------------
def _star(cx: float, cy: float, r: float) -> str:
    import math

    pts = []
    for i in range(10):
        rad = r if i % 2 == 0 else r * 0.382
        a = math.pi / 2 - i * math.pi / 5
        pts.append(f"{cx + rad * math.cos(a):.1f},{cy - rad * math.sin(a):.1f}")
    return " ".join(pts)


def _eu_flag_svg() -> str:
    """The EU flag as inline SVG: 3:2, twelve stars on a circle of radius h/3, star radius h/18."""
    import math

    w, h = 810, 540
    stars = []
    for i in range(12):
        a = math.pi / 2 - i * math.pi / 6
        stars.append(
            f'<polygon points="{_star(w / 2 + 180 * math.cos(a), h / 2 - 180 * math.sin(a), 30)}"/>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" role="img" '
        f'aria-hidden="true"><rect width="{w}" height="{h}" fill="#003399"/>'
        f'<g fill="#FFCC00">{"".join(stars)}</g></svg>'
    )


_EU_FLAG = _eu_flag_svg()


def funding_statement_html(lang: str = "lv", programme: Programme | None = None) -> str:
    """The funding block every report carries (EU publicity rules): text and the flag only.

    Project number and name come from programme.yaml (`programme`, loaded when None).
    """
    check_lang(lang)
    if programme is None:
        from pumpurs.core.settings import load_programme

        programme = load_programme()
    project = programme.project
    name = project.name_lv if lang == "lv" else project.name_en
    q_open, q_close = ("„", "”") if lang == "lv" else ("“", "”")
    esc = html_lib.escape
    number = f"Nr.{NBSP}{project.number}" if lang == "lv" else f"No.{NBSP}{project.number}"
    return (
        '<section class="funding">'
        '<div class="funding-logos">'
        f'<div class="ndp">{esc(label("ndp", lang))}</div>'
        f'<div class="eu">{_EU_FLAG}<div class="eu-text"><strong>{esc(label("eu", lang))}'
        f"</strong><br>{esc(label('esf_full', lang))}</div></div>"
        "</div>"
        f'<p class="slogan">{esc(label("slogan", lang))}</p>'
        f'<p class="project">{esc(label("project", lang))} {esc(number)} '
        f"{q_open}{esc(name)}{q_close} ({esc(project.brand)})</p>"
        "</section>"
    )


# ---------------------------------------------------------------------------
# Notebook -> HTML
# ---------------------------------------------------------------------------
def _cell_tags(cell: Any) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []) or [])


def _check_notebook(nb: nbformat.NotebookNode) -> None:
    """Refuse a notebook whose report would be wrong: errors, or content a page can't show."""
    pm = nb.get("metadata", {}).get("papermill", {}) or {}
    if pm.get("exception"):
        raise RenderError("the notebook stopped with an exception; see the executed .ipynb")
    for i, cell in enumerate(nb.cells, start=1):
        tags = _cell_tags(cell)
        if PAPERMILL_ERROR_TAG in tags:
            raise RenderError(f"cell {i} is papermill's error banner: the notebook failed")
        if cell.get("cell_type") != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":  # even in a removed cell: the run failed
                raise RenderError(
                    f"cell {i} raised {out.get('ename', 'an error')}: {out.get('evalue', '')}"
                    " — the report was not written; fix the notebook or the data"
                )
            if tags & (REMOVE_TAGS | REMOVE_OUTPUT_TAGS):
                continue
            data = out.get("data", {}) or {}
            dynamic = [m for m in DYNAMIC_MIME if m in data]
            html_out = data.get("text/html", "")
            if isinstance(html_out, list):
                html_out = "".join(html_out)
            if dynamic or "<script" in html_out.lower():
                raise RenderError(
                    f"cell {i} shows an interactive output ({', '.join(dynamic) or 'a script'}); "
                    "a report page is static: show a matplotlib figure or a table instead"
                )


class _ResourceFinder(HTMLParser):
    """Collects URLs the page would fetch by itself (not links a reader may click)."""

    FETCH_ATTRS = frozenset({"src", "srcset", "poster", "data", "background", "xlink:href"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._in_style = False

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "style":
            self._in_style = True
        for name, value in attrs:
            if not value:
                continue
            fetched = name in self.FETCH_ATTRS or (
                name == "href" and tag in ("link", "image", "use")
            )
            if fetched and not value.strip().lower().startswith(("data:", "#")):
                self.found.append(f"<{tag} {name}={value[:80]}>")
            url = _CSS_URL_RE.search(value) if name == "style" else None
            if url:
                self.found.append(f"<{tag} style=…{url.group(0)}…>")

    def handle_data(self, data: str) -> None:
        if not self._in_style:
            return
        for m in (*_CSS_IMPORT_RE.finditer(data), *_CSS_URL_RE.finditer(data)):
            self.found.append(f"<style>…{m.group(0)[:80]}…")


_CSS_URL_RE = re.compile(r"url\(\s*['\"]?(?!data:|#)[^)'\"]+", re.I)
_CSS_IMPORT_RE = re.compile(r"@import\s+(url\()?['\"]?(?!data:)[^;]+;", re.I)


def external_resources(page: str) -> list[str]:
    """What a page would load from outside itself: a report page must list nothing here."""
    finder = _ResourceFinder()
    finder.feed(page)
    finder.close()
    return finder.found


_TABLE_RE = re.compile(r"<table\b.*?</table>", re.S | re.I)
_ROW_RE = re.compile(r"<tr\b[^>]*>(.*?)</tr>", re.S | re.I)
_CELL_RE = re.compile(r"<(td|th)\b([^>]*)>(.*?)</\1>", re.S | re.I)
_TAG_RE = re.compile(r"<[^>]+>")


def _add_class(attrs: str, cls: str) -> str:
    m = re.search(r'class\s*=\s*"([^"]*)"', attrs)
    if m:
        if cls in m.group(1).split():
            return attrs
        return attrs[: m.start(1)] + m.group(1) + " " + cls + attrs[m.end(1) :]
    return attrs + f' class="{cls}"'


def align_numbers(page: str) -> str:
    """Mark table cells holding numbers (and their column headers) `num`: right-aligned.

    Works on any table a notebook shows (pandas' to_html, Styler, fmt.table_html), so the
    notebooks need not care. A header is marked when every filled cell below it is a
    number; tables with merged cells only get their number cells marked.
    """

    def one_table(m: re.Match[str]) -> str:
        table = m.group(0)
        rows = [r.group(1) for r in _ROW_RE.finditer(table)]
        merged = re.search(r"(colspan|rowspan)\s*=", table, re.I) is not None
        numeric_cols: dict[int, bool] = {}
        body_started = False
        for row in rows:
            cells = _CELL_RE.findall(row)
            if any(tag.lower() == "td" for tag, _, _ in cells):
                body_started = True
            if not body_started:
                continue
            for i, (tag, _attrs, inner) in enumerate(cells):
                text = html_lib.unescape(_TAG_RE.sub("", inner)).strip()
                if tag.lower() != "td" or not text:
                    continue
                numeric_cols[i] = numeric_cols.get(i, True) and looks_numeric(text)

        def one_cell(c: re.Match[str], col: int, header: bool) -> str:
            tag, attrs, inner = c.group(1), c.group(2), c.group(3)
            text = html_lib.unescape(_TAG_RE.sub("", inner)).strip()
            number = tag.lower() == "td" and bool(text) and looks_numeric(text)
            if number or (header and not merged and numeric_cols.get(col)):
                attrs = _add_class(attrs, "num")
            return f"<{tag}{attrs}>{inner}</{tag}>"

        def one_row(r: re.Match[str]) -> str:
            inner = r.group(1)
            header = not re.search(r"<td\b", inner, re.I)
            counter = iter(range(10_000))
            new = _CELL_RE.sub(lambda c: one_cell(c, next(counter), header), inner)
            return r.group(0).replace(inner, new, 1) if inner else r.group(0)

        return _ROW_RE.sub(one_row, table)

    return _TABLE_RE.sub(one_table, page)


# The signature lines shown as their own output, right after another output of the cell.
_SIGNATURE_OUTPUT = re.compile(
    r'\s*</div>\s*</div>\s*<div class="jp-OutputArea-child[^"]*">\s*'
    r'<div class="[^"]*jp-OutputArea-output[^"]*"[^>]*>\s*'
    r'(<table class="pumpurs-signature">.*?</table>)\s*</div>\s*</div>',
    re.S,
)


def _signature_with_what_precedes(page: str) -> str:
    """The signature lines join the output before them (the list of next steps), so the
    break they avoid before them (report.css) lies between siblings, which Chromium
    honours: a last page never holds the signature alone."""
    return _SIGNATURE_OUTPUT.sub(r"\1</div></div>", page)


def _css() -> str:
    return (TEMPLATES / "report.css").read_text(encoding="utf-8")


@functools.cache
def _html_exporter():
    """One exporter per process: building it (templates, preprocessors) costs ~0.3 s."""
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor

    exporter = HTMLExporter(
        template_name="lab",
        template_file=TEMPLATE_FILE,
        extra_template_paths=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        anchor_link_text="",
        embed_images=True,
    )
    exporter.register_preprocessor(
        TagRemovePreprocessor(
            remove_cell_tags=set(REMOVE_TAGS),
            remove_all_outputs_tags=set(REMOVE_OUTPUT_TAGS),
            enabled=True,
        ),
        enabled=True,
    )
    return exporter


def notebook_to_html(
    nb: nbformat.NotebookNode,
    title: str,
    lang: str = "lv",
    *,
    funding: bool = True,
    programme: Programme | None = None,
) -> str:
    """The report page of an executed notebook: outputs only, self-contained, print-ready.

    Cells tagged parameters / injected-parameters / remove are dropped whole;
    remove-output drops a cell's outputs. Warnings written to stderr are not shown.
    With `funding` the EU/ESF funding statement heads the page (notebooks should not
    show it themselves). Raises RenderError on an error output, an interactive output,
    or anything the page would fetch from the network.
    """
    check_lang(lang)
    nb = copy.deepcopy(nb)
    _check_notebook(nb)
    exporter = _html_exporter()
    top = funding_statement_html(lang, programme) if funding else ""
    res = {
        "metadata": {"name": title},
        "pumpurs": {
            "lang": lang,
            "title": title,
            "css": _css(),
            "top": top,
            "bottom": "",
            "version": __version__,
        },
    }
    try:
        page, _ = exporter.from_notebook_node(nb, resources=res)
    except RenderError:
        raise
    except Exception as e:  # nbconvert's own failures name the cell poorly; say what we did
        raise RenderError(f"the notebook could not be converted to HTML: {e}") from e
    page = align_numbers(page)
    page = _signature_with_what_precedes(page)
    external = external_resources(page)
    if external:
        shown = "; ".join(external[:5])
        raise RenderError(f"the report page would load from the network: {shown}")
    if re.search(r"<script\b", page, re.I):
        raise RenderError("the report page contains a script; reports are static pages")
    if "injected-parameters" in page:
        raise RenderError("the injected-parameters cell leaked into the report page")
    return page


# ---------------------------------------------------------------------------
# Tables -> XLSX
# ---------------------------------------------------------------------------
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: Iterable[str] = ()) -> str:
    """An Excel-safe sheet name: ≤31 characters, no []:*?/\\, not blank, unique (case-blind)."""
    base = _SHEET_BAD.sub("-", str(name)).strip().strip("'") or "Sheet"
    if base.lower() == "history":  # reserved by Excel
        base = "History-"
    base = base[:31].rstrip()
    used = {t.lower() for t in taken}
    candidate, n = base, 2
    while candidate.lower() in used:
        suffix = f" ({n})"
        candidate = base[: 31 - len(suffix)].rstrip() + suffix
        n += 1
    return candidate


def _header(column: str, lang: str, labels: bool) -> str:
    name = str(column)
    if name.endswith("_cents"):
        name = name[: -len("_cents")] + "_eur"
    return label(name, lang) if labels else name


def _is_date_col(s: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(s):
        return True
    sample = s.dropna()
    return (
        len(sample) > 0
        and s.dtype == object
        and all(isinstance(v, dt.date) for v in sample.head(50))
    )


def _cell(value: Any) -> Any:
    """A value xlsxwriter writes as is: None for missing, Python scalars for numpy ones."""
    if value is None:
        return None
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return str(value)
    if isinstance(value, np.generic):
        return value.item()
    return value


A4_PORTRAIT_CHARACTERS = 110  # about the widest a sheet prints upright, fitted to A4


def _print_setup(ws: Any, width: int) -> None:
    """Every sheet prints on A4, fitted to the page's width (as many pages down as it
    takes), its header row on every page; a wide sheet prints landscape."""
    ws.set_paper(9)  # A4
    if width > A4_PORTRAIT_CHARACTERS:
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)


def tables_to_xlsx(
    sheets: Mapping[str, pd.DataFrame],
    out: Path,
    money_columns: set[str] | None = None,
    percent_columns: set[str] | None = None,
    date_columns: set[str] | None = None,
    lang: str = "lv",
    *,
    labels: bool = True,
    translate_values: bool = True,
    created: dt.datetime = XLSX_CREATED,
) -> None:
    """Write each table to its own sheet of one workbook, formatted for Excel users.

    Money: columns ending in `_cents` (integer cents) are written as EUR numbers equal to
    cents/100 with the format `#,##0.00 "€"`, headed by the `_eur` label; a listed
    money column ending in `_eur` is taken as euros already. Percent columns hold shares
    (absorption and `*_share` columns are found by name). Date columns are real Excel
    dates (datetime columns and columns of dates are found by type; listed text columns
    are parsed as ISO dates). Code values (category, role, severity, rule) are
    translated and semesters written as in the report; ids are for the machine formats. Each sheet has a frozen, filtered
    header row and prints on A4 fitted to the width, its header row on every page. The document time is fixed (`created`), so the bytes depend only on
    the input.
    """
    import io

    import xlsxwriter

    check_lang(lang)
    money_columns = set(money_columns or ())
    percent_columns = set(percent_columns or ())
    date_columns = set(date_columns or ())
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    wb.set_properties({"created": created, "title": "PuMPuRS", "author": "pumpurs"})
    wb.set_calc_mode("auto")
    f_head = wb.add_format(
        {"bold": True, "bg_color": "#EEF1F5", "bottom": 1, "text_wrap": True, "valign": "top"}
    )
    f_money = wb.add_format({"num_format": '#,##0.00 "€"'})
    f_pct = wb.add_format({"num_format": "0.0%"})
    f_int = wb.add_format({"num_format": "#,##0"})
    f_date = wb.add_format({"num_format": "dd.mm.yyyy" if lang == "lv" else "yyyy-mm-dd"})
    f_text = wb.add_format({"valign": "top"})
    taken: list[str] = []
    if not sheets:
        sheets = {label("no_data", lang): pd.DataFrame()}
    for raw_name, df in sheets.items():
        name = sheet_name(raw_name, taken)
        taken.append(name)
        ws = wb.add_worksheet(name)
        cols = [str(c) for c in df.columns]
        widths: list[int] = []
        for j, col in enumerate(cols):
            s = df.iloc[:, j]
            is_money = col.endswith("_cents") or col in money_columns
            is_pct = col in percent_columns or is_share_column(col)
            is_date = col in date_columns or _is_date_col(s)
            header = _header(col, lang, labels)
            ws.write_string(0, j, header, f_head)
            width = max(len(w) for w in header.split()) + 2 if header else 8
            fmt = f_text
            if is_money:
                if col.endswith("_cents"):
                    bad = [v for v in s.dropna().tolist() if float(v) != int(float(v))]
                    if bad:
                        raise ValueError(f"{raw_name}.{col}: {bad[0]!r} is not whole cents")
                    values = [None if pd.isna(v) else int(v) / 100 for v in s.tolist()]
                else:
                    values = [None if pd.isna(v) else float(v) for v in s.tolist()]
                fmt = f_money
                shown = [f"{v:,.2f} €" for v in values if v is not None]
            elif is_pct:
                values = [_cell(v) for v in s.tolist()]
                values = [None if isinstance(v, str) else v for v in values]
                fmt = f_pct
                shown = ["100.0%"]
            elif is_date:
                parsed = pd.to_datetime(s, errors="coerce")
                values = [None if pd.isna(v) else v.to_pydatetime() for v in parsed]
                fmt = f_date
                shown = ["31.12.2023"]
            else:
                values = [_cell(v) for v in s.tolist()]
                if translate_values and col in CODE_COLUMNS:
                    values = [translate(v, lang) if isinstance(v, str) else v for v in values]
                if translate_values and col == "semester":  # in words: a cell, not an axis
                    values = [
                        fmt_semester_words(v, lang) if isinstance(v, str) else v for v in values
                    ]
                if translate_values and col == "period":
                    values = [translate(v, lang) if isinstance(v, str) else v for v in values]
                ints = pd.api.types.is_integer_dtype(s) and not pd.api.types.is_bool_dtype(s)
                if ints and col not in ("grade", "round") and not col.endswith(("_id", "year")):
                    fmt = f_int
                shown = [str(v) for v in values if v is not None]
            for i, v in enumerate(values, start=1):
                if v is None:
                    continue
                if isinstance(v, dt.datetime | dt.date):
                    ws.write_datetime(i, j, v, fmt)
                elif isinstance(v, bool):
                    ws.write_boolean(i, j, v, fmt)
                elif isinstance(v, int | float):
                    ws.write_number(i, j, v, fmt)
                else:
                    ws.write_string(i, j, str(v), fmt)
            longest = max((len(t) for t in shown), default=0)
            widths.append(min(60, max(8, width, longest + 2)))
        for j, w in enumerate(widths):
            ws.set_column(j, j, w)
        if cols:
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, max(len(df), 1), len(cols) - 1)
        _print_setup(ws, sum(widths))
    wb.close()
    write_atomic(Path(out), buf.getvalue())
