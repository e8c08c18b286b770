"""`pumpurs audit-release OUT/PERIOD`: a public release read as an outsider reads it.

Only the public files are opened: index.html; each municipality's report.xlsx (findings,
key figures) and report.html (page 1's sentences and main corrections, and the page's
tables of counts: findings, support plans by school year); the overview's report.xlsx
(findings, the municipalities' errors and new errors with their "Kopā" line, the
indicators). Every count they print is a cell, named by where it is printed (file,
table, row, column); the sums a reader knows are relations between cells: a
municipality's error rows add up to its error findings, which the index, the overview
and page 1 print again; the main corrections of a rule add up to (at most) its row;
every municipality's row of a rule adds up to the overview's; the municipalities' new
errors to the "Kopā" line's; the municipalities' plans to the nation's; the plans of
the school years shown to at most the cumulative. Each hidden cell ("<5":
1..min_count−1, "x": at least min_count, or at least 1 over "<5" parts) is then bounded
by linear programming (report/release.py, the same reader the batch protects against);
a cell whose bounds meet is reported with the sums that pin it.

What it does not read: the PDF (it prints the HTML), the notebook (it holds the HTML),
the charts (drawn from the tables), the overview's HTML tables (its workbook holds the
same counts), the pupils by school year and the overview's semester trend, which are
suppressed table by table. A new section of counts is read in `_html_tables` (a page's
table) or `read_release` (a workbook's sheet).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pumpurs.core.errors import UsageError
from pumpurs.report.release import PRIMARY, SECONDARY, Cell, Relation, Release, pinned
from pumpurs.run import outputs
from pumpurs.run.model import INDEX_FILE

_MARK = re.compile(r"^<(\d+)$")


@dataclass(frozen=True)
class Leak:
    """A hidden cell a reader can work out."""

    cell: Cell  # (file, table, row, column)
    low: float
    high: float
    relations: tuple[str, ...]

    def line(self) -> str:
        file, table, row, column = self.cell
        at = f"{self.low:g}" if self.low == self.high else f"{self.low:g}..{self.high:g}"
        return f"{file}: {table}, row {row!r}, column {column!r} = {at} (pinned by: {'; '.join(self.relations)})"


class _Rows(HTMLParser):
    """The rows of the index's table: row id -> the text of each cell."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[str]] = {}
        self.lang = "lv"
        self._row: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html" and a.get("lang"):
            self.lang = str(a["lang"])
        if tag == "tr" and a.get("id"):
            self._row = str(a["id"])
            self.rows[self._row] = []
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._row is not None and self._cell is not None:
            self.rows[self._row].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


class _Tables(HTMLParser):
    """Every table of an HTML page: a list of rows, each a list of cell texts (header
    cells included)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._row: list[str] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self._row = []
            self.tables[-1].append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _html_tables(
    r: _Reading,
    page: str,
    hfile: str,
    w: dict[str, str],
    xlsx_rows: dict[tuple[str, str], Cell],
    plans: Cell | None,
) -> None:
    """The report page's tables that print counts: the findings table (each row the same
    count as the workbook's) and the indicators by school year (the support plans of the
    years shown add up to at most the cumulative, which is the key figures' plans).
    Extension point: a new table of counts in the report is read here, each count a cell
    tied to its other places and totals by `r.same` and `r.sums`."""
    tables = _Tables()
    tables.feed(page)
    for table in tables.tables:
        if not table or len(table[0]) < 3:
            continue
        head = table[0]
        if head[:3] == [w["rule"], w["severity"], w["findings"]]:
            for row in table[1:]:
                if len(row) < 3:
                    continue
                c = r.cell((hfile, w["findings_sheet"], row[0], w["findings"]), row[2])
                r.same(
                    c,
                    xlsx_rows.get((row[0], row[1])),
                    f"{hfile}: the findings table is the workbook's",
                )
        elif head[0] == w["indicator"]:
            for row in table[1:]:
                if len(row) != len(head) or row[0] != w["support_plans"]:
                    continue
                cells = [
                    r.cell((hfile, "indicators", row[0], y), v)
                    for y, v in zip(head[1:], row[1:], strict=True)
                ]
                *years, total = cells
                r.sums(
                    [c for c in years if c is not None],
                    total,
                    f"{hfile}: the plans of the school years shown add up to at most the cumulative",
                    at_most=True,
                )
                r.same(total, plans, f"{hfile}: the cumulative plans are the key figures'")


class _Reading:
    """The release being read: its cells, what each shows, the relations."""

    def __init__(self) -> None:
        self.values: dict[Cell, int | None] = {}
        self.hidden: dict[Cell, str] = {}
        self.relations: list[Relation] = []
        self.min_count: int | None = None

    def cell(self, where: Cell, shown: Any) -> Cell | None:
        """Note a printed count; None when the cell holds no count."""
        text = str(shown).strip() if shown is not None else ""
        mark = _MARK.match(text)
        if mark:
            self.min_count = int(mark.group(1))
            self.values[where], self.hidden[where] = None, PRIMARY
            return where
        if text == "x":
            self.values[where], self.hidden[where] = None, SECONDARY
            return where
        digits = re.sub(r"[\s\u00a0\u202f,]", "", text)
        if isinstance(shown, int | float) and not isinstance(shown, bool):
            digits = str(int(shown))
        if not digits.isdigit():
            return None
        self.values[where] = int(digits)
        return where

    def same(self, a: Cell | None, b: Cell | None, name: str) -> None:
        if a is not None and b is not None:
            self.relations.append(Relation((a,), b, name))

    def sums(
        self, parts: list[Cell], total: Cell | int | None, name: str, at_most: bool = False
    ) -> None:
        if total is not None:
            self.relations.append(Relation(tuple(parts), total, name, at_most))


def _words(lang: str) -> dict[str, str]:
    from pumpurs.present.fmt import column_label, label
    from pumpurs.present.texts import text

    return {
        "findings_sheet": label("findings", lang),
        "municipality_sheet": text("overview.sheet_municipalities", lang),
        "indicator_sheet": text("overview.sheet_indicators", lang),
        "indicator": column_label("indicator", lang),
        "count": column_label("count", lang),
        "key_sheet": label("key_figures", lang),
        "rule": column_label("rule", lang),
        "severity": column_label("severity", lang),
        "findings": column_label("findings", lang),
        "municipality": column_label("municipality", lang),
        "errors": column_label("errors", lang),
        "new_errors": column_label("new_errors", lang),
        "total": label("total", lang),
        "error": label("error", lang),
        "pupils": text("report.pupils", lang),
        "plans": text("report.plans", lang),
        "support_plans": label("support_plans", lang),
        "value": label("value", lang),
    }


def _sheet(path: Path, name: str) -> list[dict[str, Any]]:
    """A workbook sheet's rows as {header: value}; [] when the sheet is not there."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        if name not in wb.sheetnames:
            return []
        rows = list(wb[name].iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        return []
    head = [str(h) if h is not None else "" for h in rows[0]]
    return [dict(zip(head, r, strict=False)) for r in rows[1:] if any(v is not None for v in r)]


def _pattern(template: str, groups: dict[str, str]) -> re.Pattern[str]:
    """A sentence of the text catalogue as a regular expression: `groups` captured."""
    out = re.escape(template)
    for name in re.findall(r"\\\{(\w+)\\\}", out):
        out = out.replace(r"\{" + name + r"\}", groups.get(name, ".+?"), 1)
    return re.compile(out)


_COUNT = r"(?:<\d+|x|\d[\d\u00a0\u202f ,]*)"


def _page_one(page: str, lang: str) -> tuple[tuple[str, str] | None, list[tuple[str, str, str]]]:
    """Page 1's "A of B" (A, B) and its main corrections (partner, rule, n), as printed."""
    from pumpurs.present.texts import text

    body = html.unescape(re.sub(r"<[^>]+>", "\n", page))
    risk = _pattern(
        text("summary.risk", lang),
        {"new": f"(?P<new>{_COUNT})", "errors": f"(?P<errors>{_COUNT})"},
    )
    found = risk.search(body)
    ab = (found.group("new").strip(), found.group("errors").strip()) if found else None
    fix = _pattern(
        text("summary.fix_line", lang),
        {
            "partner": r"(?P<partner>[^\n]+?)",
            "rule": r"(?P<rule>[^\n]+?)",
            "n": f"(?P<n>{_COUNT})",
            "findings": r"\S+",
        },
    )
    lines = [
        (m.group("partner"), m.group("rule"), m.group("n").strip()) for m in fix.finditer(body)
    ]
    return ab, lines


def read_release(period_dir: Path) -> Release:
    """Every count the public files of `period_dir` print, and the sums that tie them."""
    index = period_dir / INDEX_FILE
    if not index.is_file():
        raise UsageError(
            f"{period_dir}: no index.html; give a period folder such as reports/2021-H1"
        )
    parser = _Rows()
    parser.feed(index.read_text(encoding="utf-8"))
    lang = parser.lang if parser.lang in ("lv", "en") else "lv"
    w = _words(lang)
    r = _Reading()
    errors_col = 7  # the index's columns: name, status, allocation, half-year, eligible, at risk, absorption, errors
    index_errors: dict[str, Cell | None] = {}
    for rid, texts in parser.rows.items():
        if len(texts) > errors_col:
            index_errors[rid] = r.cell((INDEX_FILE, "index", rid, "errors"), texts[errors_col])
    national_rows: dict[tuple[str, str], list[Cell]] = {}
    town_plans: list[Cell] = []
    page_a: dict[str, Cell | None] = {}
    towns = [rid for rid in parser.rows if rid != "overview"]
    for rid in towns:
        book = period_dir / rid / outputs.XLSX
        if not book.is_file():
            continue
        file = f"{rid}/report.xlsx"
        rows: dict[tuple[str, str], Cell] = {}
        error_rows = []
        for row in _sheet(book, w["findings_sheet"]):
            key = (str(row.get(w["rule"])), str(row.get(w["severity"])))
            c = r.cell((file, w["findings_sheet"], key[0], w["findings"]), row.get(w["findings"]))
            if c is not None:
                rows[key] = c
                national_rows.setdefault(key, []).append(c)
                if key[1] == w["error"]:
                    error_rows.append(c)
        r.sums(
            error_rows,
            index_errors.get(rid),
            f"{file}: the error rows add up to the index's errors",
        )
        plans: Cell | None = None
        for row in _sheet(book, w["key_sheet"]):
            figure = str(row.get(next(iter(row)), ""))
            if figure == w["plans"]:
                column = w["count"] if w["count"] in row else w["value"]  # "Skaits"
                plans = r.cell((file, w["key_sheet"], figure, column), row.get(column))
                if plans is not None:
                    town_plans.append(plans)
        page = period_dir / rid / outputs.HTML
        if page.is_file():
            hfile = f"{rid}/report.html"
            text_of_page = page.read_text(encoding="utf-8")
            _html_tables(r, text_of_page, hfile, w, rows, plans)
            ab, lines = _page_one(text_of_page, lang)
            if ab is not None:
                a = r.cell((hfile, "page 1", "A of B", "A"), ab[0])
                page_a[rid] = a
                b = r.cell((hfile, "page 1", "A of B", "B"), ab[1])
                r.same(b, index_errors.get(rid), f"{hfile}: page 1's B is the index's errors")
                if a is not None and b is not None:
                    r.sums([a], b, f"{hfile}: A of B", at_most=True)
            by_rule: dict[str, list[Cell]] = {}
            for partner, rule, n in lines:
                c = r.cell((hfile, "main corrections", f"{partner}: {rule}", "findings"), n)
                if c is not None:
                    by_rule.setdefault(rule, []).append(c)
            for rule, cells in by_rule.items():
                r.sums(
                    cells,
                    rows.get((rule, w["error"])),
                    f"{hfile}: the main corrections of {rule} add up to its findings row",
                    at_most=len(lines) >= 5,
                )
    book = period_dir / "overview" / outputs.XLSX
    if book.is_file():
        file = "overview/report.xlsx"
        from pumpurs.core.settings import slugify

        sheet = w["municipality_sheet"]
        town_new: list[Cell] = []
        total_new: Cell | None = None
        for row in _sheet(book, sheet):
            name = str(row.get(w["municipality"]))
            if name == w["total"]:  # the "Kopā" line: the nation's errors and new errors
                c = r.cell((file, sheet, name, w["errors"]), row.get(w["errors"]))
                r.same(c, index_errors.get("overview"), f"{file}: the Kopā errors are the index's")
                total_new = r.cell((file, sheet, name, w["new_errors"]), row.get(w["new_errors"]))
                continue
            rid = slugify(name)
            c = r.cell((file, sheet, rid, w["errors"]), row.get(w["errors"]))
            r.same(c, index_errors.get(rid), f"{file}: a municipality's errors are the index's")
            new = r.cell((file, sheet, rid, w["new_errors"]), row.get(w["new_errors"]))
            if new is not None:
                town_new.append(new)
                r.same(new, page_a.get(rid), f"{file}: a municipality's new errors are page 1's A")
                r.sums([new], c, f"{file}: {rid}'s new errors are at most its errors", at_most=True)
        r.sums(town_new, total_new, f"{file}: the new errors add up to the Kopā line")
        if total_new is not None:
            r.sums([total_new], index_errors.get("overview"), f"{file}: A of B", at_most=True)
        error_rows = []
        for row in _sheet(book, w["findings_sheet"]):
            key = (str(row.get(w["rule"])), str(row.get(w["severity"])))
            c = r.cell((file, w["findings_sheet"], key[0], w["findings"]), row.get(w["findings"]))
            if c is None:
                continue
            if key[1] == w["error"]:
                error_rows.append(c)
            r.sums(
                national_rows.pop(key, []),
                c,
                f"{file}: the municipalities' {key[0]} rows add up to the overview's",
            )
        for key, cells in national_rows.items():  # a row the overview does not print: 0
            r.sums(cells, 0, f"{file}: no {key[0]} row in the overview")
        r.sums(
            error_rows,
            index_errors.get("overview"),
            f"{file}: the error rows add up to the index's errors",
        )
        town_errors = [c for rid in towns if (c := index_errors.get(rid)) is not None]
        r.sums(
            town_errors,
            index_errors.get("overview"),
            "index.html: the municipalities' errors add up to the nation's",
        )
        for row in _sheet(book, w["indicator_sheet"]):
            if str(row.get(w["indicator"])) == w["support_plans"]:
                c = r.cell(
                    (file, w["indicator_sheet"], w["support_plans"], w["count"]),
                    row.get(w["count"]),
                )
                r.sums(town_plans, c, "the municipalities' plans add up to the overview's")
    return Release(r.min_count or 5, r.values, r.relations, r.hidden)


def audit(period_dir: Path) -> tuple[list[Leak], int]:
    """The hidden cells of a written release a reader can pin, and how many are hidden."""
    release = read_release(Path(period_dir))
    found = []
    for cell, (lo, hi) in sorted(pinned(release).items()):
        names = tuple(rel.name for rel in release.relations if cell in rel.cells())
        found.append(Leak(cell, lo, hi, names))
    return found, len(release.hidden)
