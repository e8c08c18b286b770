"""A public release read as an outsider would: no hidden count comes back (issue 23)."""

from __future__ import annotations

import re
from dataclasses import replace

import pandas as pd
import pytest

from factory import entry, world
from pumpurs.core.calendar import parse_period
from pumpurs.core.rules import judge
from pumpurs.core.settings import load_programme
from pumpurs.present import overview_view, view_common
from pumpurs.present import report_view as view
from pumpurs.present.texts import text
from pumpurs.report.municipality import municipality_report

PROGRAMME = load_programme()


@pytest.fixture(scope="module")
def report():
    j = judge(world([entry()]), PROGRAMME)
    return municipality_report(
        j, PROGRAMME, "Aizkraukles novads", parse_period("2020-H1"), "public"
    )


def _rules(*rows: tuple[str, str, int]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": [r[0] for r in rows],
            "severity": [r[1] for r in rows],
            "findings": [r[2] for r in rows],
            "at_risk_cents": [100] * len(rows),
        }
    )


def test_page_one_gives_no_total_of_hidden_rule_rows(report):
    """Six "<5" error rows and "0 of 6" would pin each row at 1: the sentence says money only."""
    rules = [f"R{i}" for i in range(6)]
    r = replace(
        report,
        findings_by_rule=_rules(*[(rule, "error", 1) for rule in rules]),
        standing=replace(report.standing, errors=6, new_errors=0),
    )
    said = view._sentences(r, "lv", PROGRAMME)[-1]
    zero = view.fmt_eur(0, "lv")
    assert said == text("summary.risk_uncounted", "lv").format(period_risk=zero, earlier_risk=zero)
    assert " 6 " not in str(view.summary(r, "lv", PROGRAMME).data)


def test_page_one_counts_when_no_rule_row_is_hidden(report):
    r = replace(
        report,
        findings_by_rule=_rules(("R1", "error", 7), ("R2", "error", 5)),
        standing=replace(report.standing, errors=12, new_errors=0),
    )
    assert view._sentences(r, "en", PROGRAMME)[-1].endswith(
        "0 of the 12 error findings concern this half-year."
    )


def test_next_steps_repeat_the_tables_secondary_mark(report):
    """A count hidden as "x" in the findings table is not printed in the next steps: the
    error rows add up to the errors the index and the overview publish (12), so 9 is hidden."""
    r = replace(report, findings_by_rule=_rules(("R1", "error", 3), ("R2", "error", 9)))
    r = replace(r, next_steps=r.findings_by_rule)
    table = view.rule_counts_shown(r, "en")
    steps = str(view.next_steps(r, "en").data)
    assert table == {("R1", "error"): "<5", ("R2", "error"): "x"}
    assert view.findings_shown(r)["findings"].tolist() == ["<5", "x"]
    assert "R2: x findings" in steps and "R1: &lt;5 findings" in steps and "9 " not in steps


def test_main_corrections_hide_the_lines_of_a_rule_with_a_hidden_line(report):
    """ELIG_NO_PLAN 8 with P025 5 and P042 "<5" would make P042 3."""
    fixes = pd.DataFrame(
        {
            "partner_id": ["P025", "P042"],
            "rule": ["ELIG_NO_PLAN", "ELIG_NO_PLAN"],
            "findings": [5, 3],
            "at_risk_cents": [500, 300],
        }
    )
    r = replace(
        report,
        findings_by_rule=_rules(("ELIG_NO_PLAN", "error", 8)),
        top_fixes=fixes,
        fix_counts=fixes,
    )
    assert view._fix_counts_shown(r, "lv") == ["x", "<5"]
    page = str(view.top_fixes(r, "lv").data)
    assert "— x konstatējumi" in page and "— &lt;5 konstatējumi" in page
    note = text("privacy.note", "lv", mark="&lt;5", n=5, secondary="x")
    assert note in page


def test_a_share_of_few_pupils_is_x_with_its_own_note(report):
    ind = report.indicators
    share = ind["indicator"] == "continued_share"
    assert share.any() and (ind.loc[share, "denominator"].fillna(0) < 5).all()
    page = str(view.indicators(report, "lv", PROGRAMME).data)
    row = page[page.index(view.label("continued_share", "lv")) :].split("</tr>")[0]
    assert "&lt;5" not in row and "<5" not in row
    assert ">x<" in row
    assert text("privacy.share_note", "lv", secondary="x", n=5) in page


# --- the audit: planted leaks in a release's files are caught --------------------------
def _index(rows: dict[str, str], lang: str = "lv") -> str:
    """An index.html as the batch writes it, reduced to what the audit reads."""
    cells = "".join(
        f'<tr id="{rid}">' + "<td>n</td>" * 7 + f'<td class="num">{errors}</td><td></td></tr>'
        for rid, errors in rows.items()
    )
    return f'<!DOCTYPE html><html lang="{lang}"><body><table>{cells}</table></body></html>'


def _book(path, sheets: dict[str, list[tuple]]) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


FINDINGS = ("Noteikums", "Nozīmīgums", "Konstatējumi")


def _write_release(tmp_path, index: dict[str, str], towns: dict[str, list[tuple]], overview=None):
    period = tmp_path / "2021-H1"
    period.mkdir()
    (period / "index.html").write_text(_index(index), encoding="utf-8")
    for rid, rows in towns.items():
        _book(period / rid / "report.xlsx", {"Konstatējumi": [FINDINGS, *rows]})
    if overview is not None:
        _book(period / "overview" / "report.xlsx", overview)
    return period


def _leaks(period) -> dict[tuple, tuple]:
    from pumpurs.run.audit import audit

    found, _hidden = audit(period)
    return {leak.cell: (leak.low, leak.high) for leak in found}


def test_audit_catches_small_rows_whose_total_is_published(tmp_path):
    """Two "<5" rows beside a 10, and the index's 12 errors: both are 1."""
    period = _write_release(
        tmp_path,
        {"a": "12"},
        {"a": [("R1", "kļūda", "<5"), ("R2", "kļūda", "<5"), ("R3", "kļūda", 10)]},
    )
    assert _leaks(period) == {
        ("a/report.xlsx", "Konstatējumi", "R1", "Konstatējumi"): (1.0, 1.0),
        ("a/report.xlsx", "Konstatējumi", "R2", "Konstatējumi"): (1.0, 1.0),
    }


def test_audit_catches_a_figure_hidden_in_its_report_but_shown_in_the_overview(tmp_path):
    """Rīga's report and the index hide its errors; the overview prints them (4)."""
    overview = {
        "Pašvaldības": [("Pašvaldība", "Kļūdas"), ("Rīga", 4)],
        "Konstatējumi": [FINDINGS, ("R1", "kļūda", "<5")],
    }
    period = _write_release(
        tmp_path, {"riga": "<5", "overview": "<5"}, {"riga": [("R1", "kļūda", "<5")]}, overview
    )
    leaks = _leaks(period)
    assert leaks[("riga/report.xlsx", "Konstatējumi", "R1", "Konstatējumi")] == (4.0, 4.0)
    assert leaks[("index.html", "index", "riga", "errors")] == (4.0, 4.0)
    assert leaks[("overview/report.xlsx", "Konstatējumi", "R1", "Konstatējumi")] == (4.0, 4.0)


def test_audit_reads_page_one_and_the_main_corrections(tmp_path):
    """ELIG_NO_PLAN 8 and its main corrections P025 5, P042 "<5": P042 is 3."""
    period = _write_release(tmp_path, {"dobele": "x"}, {"dobele": [("No plan", "kļūda", 8)]})
    lines = [
        text("summary.fix_line", "lv").format(
            partner=p, rule="No plan", n=n, findings="konstatējumi", eur="1 €", fix="Labot."
        )
        for p, n in (("A (P025)", "5"), ("B (P042)", "&lt;5"))
    ]
    page = "<div><ol>" + "".join(f"<li>{line}</li>" for line in lines) + "</ol></div>"
    (period / "dobele" / "report.html").write_text(page, encoding="utf-8")
    leaks = _leaks(period)
    fix = ("dobele/report.html", "main corrections", "B (P042): No plan", "findings")
    assert leaks == {fix: (3.0, 3.0), ("index.html", "index", "dobele", "errors"): (8.0, 8.0)}


def test_audit_reads_the_overviews_new_errors_and_its_total_line(tmp_path):
    """The overview's workbook: two municipalities' new errors "<5", two 0, its "Kopā"
    line 2: each "<5" is 1. The release prints the "Kopā" line's 2 as "<5" now: free."""
    head = ("Pašvaldība", "Kļūdas", "Jaunas kļūdas pusgadā")
    overview = {
        "Pašvaldības": [head, ("Rīga", "x", "<5"), ("Madonas novads", "x", "<5"),
                        ("Balvu novads", 7, 0), ("Cēsu novads", "x", 0), ("Kopā", 28, 2)],
    }  # fmt: skip
    index = {"riga": "x", "madonas-novads": "x", "balvu-novads": "7", "cesu-novads": "x"}
    index["overview"] = "28"
    period = _write_release(tmp_path, index, {}, overview)
    file, sheet, col = "overview/report.xlsx", "Pašvaldības", "Jaunas kļūdas pusgadā"
    assert _leaks(period) == {
        (file, sheet, "riga", col): (1.0, 1.0),
        (file, sheet, "madonas-novads", col): (1.0, 1.0),
    }
    overview["Pašvaldības"][-1] = ("Kopā", 28, "<5")  # as the release now prints it
    (tmp_path / "again").mkdir()
    period = _write_release(tmp_path / "again", index, {}, overview)
    assert _leaks(period) == {}


def test_audit_reads_an_x_over_small_rows_as_at_least_one(tmp_path):
    """An "x" whose parts are all "<5" says "at least 1" (report/release.py, `loose_cells`):
    the nation's row "x" over one municipality's "<5" is that row (1..4), not a
    contradiction ("x" read as at least 5). Four "<5" rows under a national "<5" are pinned
    at 1, the national row at 4: why the release marks such a total "x"."""
    rows = [("R1", "kļūda", "<5"), ("R2", "kļūda", "x")]
    national = {"Konstatējumi": [FINDINGS, ("R1", "kļūda", "x"), ("R2", "kļūda", "x")]}
    period = _write_release(tmp_path, {"t0": "x", "overview": "x"}, {"t0": rows}, national)
    assert _leaks(period) == {}
    towns = {f"t{i}": rows for i in range(4)}
    index = {rid: "x" for rid in towns} | {"overview": "x"}
    national["Konstatējumi"][1] = ("R1", "kļūda", "<5")
    (tmp_path / "four").mkdir()
    period = _write_release(tmp_path / "four", index, towns, national)
    found = _leaks(period)
    assert found[("overview/report.xlsx", "Konstatējumi", "R1", "Konstatējumi")] == (4.0, 4.0)
    assert found[("t3/report.xlsx", "Konstatējumi", "R1", "Konstatējumi")] == (1.0, 1.0)
    assert len(found) == 5


def test_audit_reads_the_report_pages_tables(tmp_path):
    """An outsider reads the HTML too: a findings table that prints 3 where the workbook
    says "<5" gives it away; the plans of the school years shown add up to at most the
    cumulative (earlier years are not shown): 7 + "<5" of at most 8 is 1; 37 + "x" of at
    most 80 pins nothing."""

    def table(*rows: tuple) -> str:
        return (
            "<table>"
            + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
            + "</table>"
        )

    years = ("Rādītājs", "2019/2020", "2020/2021", "Kopš projekta sākuma")
    plans = "Individuālie atbalsta plāni"
    period = _write_release(
        tmp_path, {"a": "x"}, {"a": [("R1", "kļūda", "<5"), ("R2", "kļūda", "x")]}
    )
    _book(period / "a" / "report.xlsx", {
        "Konstatējumi": [FINDINGS, ("R1", "kļūda", "<5"), ("R2", "kļūda", "x")],
        "Galvenie rādītāji": [("Rādītājs", "Skaits"), (plans, 8)],
    })  # fmt: skip
    page = table(FINDINGS, ("R1", "kļūda", 3)) + table(years, (plans, 7, "&lt;5", 8))
    (period / "a" / "report.html").write_text(page, encoding="utf-8")
    assert _leaks(period) == {
        ("a/report.xlsx", "Konstatējumi", "R1", "Konstatējumi"): (3.0, 3.0),
        ("a/report.html", "indicators", plans, "2020/2021"): (1.0, 1.0),
    }
    page = table(FINDINGS, ("R1", "kļūda", "&lt;5")) + table(years, (plans, 37, "x", 80))
    (period / "a" / "report.html").write_text(page, encoding="utf-8")
    assert _leaks(period) == {}


def test_audit_passes_what_cannot_be_pinned(tmp_path):
    period = _write_release(
        tmp_path, {"a": "12"}, {"a": [("R1", "kļūda", "<5"), ("R2", "kļūda", "x")]}
    )
    assert _leaks(period) == {}


# --- a whole release, decided once: the audit and plain subtraction find nothing --------
def _write_public_release(period_dir, j, period, marks) -> None:
    """The files of a public release as the batch writes them (without the notebooks:
    page 1's HTML, each workbook, the overview's workbook, the index)."""
    from pumpurs.present.index_page import IndexRow, index_html, key_figures_by_municipality
    from pumpurs.report.overview import programme_overview
    from pumpurs.report.release import errors_cell

    figures = key_figures_by_municipality(j, period, PROGRAMME)
    rows = []
    audience = municipality_report(
        j, PROGRAMME, PROGRAMME.municipalities[0].name, period, "public"
    ).audience
    for m in PROGRAMME.municipalities:
        f = figures[m.name]
        f.errors_mark = view_common.release_mark(audience, marks, errors_cell(m.slug)) or ""
        rows.append(IndexRow(id=m.slug, name=m.name, code=m.code, status="ok", figures=f))
        if j.scoped(municipality=m.name).ledger.empty:
            continue
        r = municipality_report(j, PROGRAMME, m.name, period, "public", marks)
        folder = period_dir / m.slug
        view.export(r, str(folder), "lv")
        page = str(view.summary(r, "lv", PROGRAMME).data) + str(view.top_fixes(r, "lv").data)
        (folder / "report.html").write_text(page, encoding="utf-8")
    o = programme_overview(j, PROGRAMME, period, "public", marks)
    overview_view.overview_export(o, str(period_dir / "overview"), "lv")
    from pumpurs.present.index_page import key_figures

    national = key_figures(j, period, PROGRAMME)
    national.errors_mark = view_common.release_mark(audience, marks, errors_cell("overview")) or ""
    ov = IndexRow(id="overview", name="LV", code="LV", status="ok", figures=national)
    (period_dir / "index.html").write_text(
        index_html(rows, ov, period.label, j.as_of, "lv", "public"), encoding="utf-8"
    )


def _worked_out(name: str, parts: list, total, min_count: int = 5) -> list[str]:
    """What plain arithmetic gives back from one published sum: a single hidden part
    (subtraction), or hidden parts all "<5" (each 1..min_count − 1) that the remainder
    leaves a single value each."""
    if not isinstance(total, int):
        return []
    hidden = [p for p in parts if not isinstance(p, int)]
    rest = total - sum(p for p in parts if isinstance(p, int))
    if len(hidden) == 1:
        return [f"{name}: one hidden part, {rest}"]
    n, top = len(hidden), min_count - 1
    if hidden and all(p == f"<{min_count}" for p in hidden):
        low, high = max(1, rest - (n - 1) * top), min(top, rest - (n - 1))
        if low == high:
            return [f"{name}: {n} hidden parts, each {low}"]
    return []


def _subtracted(period_dir) -> list[str]:
    """An independent reading (openpyxl and regular expressions, not the audit's code):
    each municipality's error rows against the errors the index prints; the nation's row
    of each rule against the municipalities' rows; the overview's "Kopā" line against its
    municipalities' errors and new errors; the nation's error rows against the index's
    national errors; a municipality's errors in the overview against the index's. A hidden cell that arithmetic gives back is listed."""
    from openpyxl import load_workbook

    from pumpurs.core.settings import slugify

    def cells(v):
        return int(v) if isinstance(v, int | float) or str(v).isdigit() else str(v)

    page = (period_dir / "index.html").read_text(encoding="utf-8")
    index = dict(
        re.findall(r'<tr id="([^"]+)".*?(?:<td[^>]*>.*?</td>){7}<td[^>]*>([^<]*)</td>', page)
    )
    out: list[str] = []
    by_rule: dict[tuple, list] = {}
    for book_path in sorted(period_dir.glob("*/report.xlsx")):
        folder = book_path.parent
        if folder.name == "overview":
            continue
        ws = load_workbook(book_path)["Konstatējumi"]
        rows = [row for row in ws.iter_rows(min_row=2, values_only=True) if row[0]]
        for row in rows:
            by_rule.setdefault((row[0], row[1]), []).append(cells(row[2]))
        errors = [cells(row[2]) for row in rows if row[1] == "kļūda"]
        out += _worked_out(folder.name, errors, cells(index.get(folder.name, "")))
    book = load_workbook(period_dir / "overview" / "report.xlsx")
    national_errors = []
    for row in book["Konstatējumi"].iter_rows(min_row=2, values_only=True):
        if row[0]:
            parts = by_rule.pop((row[0], row[1]), [])
            out += _worked_out(f"the nation's {row[0]}", parts, cells(row[2]))
            national_errors += [cells(row[2])] if row[1] == "kļūda" else []
    out += _worked_out("the nation's error rows", national_errors, cells(index["overview"]))
    out += [f"{key}: in no overview row" for key in by_rule]
    ws = book["Pašvaldības"]
    header = [c.value for c in ws[1]]
    at, new_at = header.index("Kļūdas"), header.index("Jaunas kļūdas pusgadā")
    *rows, total = list(ws.iter_rows(min_row=2, values_only=True))
    assert total[0] == "Kopā"
    out += _worked_out("Kopā errors", [cells(r[at]) for r in rows], cells(total[at]))
    out += _worked_out("Kopā new errors", [cells(r[new_at]) for r in rows], cells(total[new_at]))
    for name, errors in ((row[0], row[at]) for row in rows):
        slug = slugify(str(name))
        shown = index.get(slug, "")
        if isinstance(errors, int) != shown.isdigit():
            out.append(f"{slug}: errors {errors} in the overview, {shown} in the index")
    return out


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    import datetime as dt

    from pumpurs.demo import write_demo
    from pumpurs.sources.folder import load_data

    folder = tmp_path_factory.mktemp("demo") / "small"
    write_demo(folder, scale="small", seed=1)
    return judge(load_data(folder), PROGRAMME, dt.date(2021, 6, 30))


def test_a_public_release_decided_once_gives_nothing_back(small_demo, tmp_path):
    from pumpurs.report.release import PRIMARY, decide
    from pumpurs.run.audit import audit

    period = parse_period("2021-H1")
    marks = decide(small_demo, PROGRAMME, period, 5)
    assert marks and all(v in (PRIMARY, "secondary") for v in marks.values())
    period_dir = tmp_path / "2021-H1"
    _write_public_release(period_dir, small_demo, period, marks)
    leaks, hidden = audit(period_dir)
    assert [leak.line() for leak in leaks] == []
    assert hidden >= sum(not k.startswith("plans_year") for k in marks)
    assert _subtracted(period_dir) == []


def test_table_by_table_suppression_gives_counts_back(small_demo, tmp_path):
    """The same release with each table suppressed on its own (as before issue 23)."""
    from pumpurs.run.audit import audit

    period = parse_period("2021-H1")
    period_dir = tmp_path / "2021-H1"
    _write_public_release(period_dir, small_demo, period, None)
    leaks, _hidden = audit(period_dir)
    assert leaks


def test_the_independent_reading_finds_what_arithmetic_gives(tmp_path):
    """`_subtracted` is not the audit: it finds a "<5" beside 10 under 12 errors (in the
    municipality and in the nation's rows), and four "<5" rows under 4."""
    head = ("Pašvaldība", "Kļūdas", "Jaunas kļūdas pusgadā")
    overview = {
        "Pašvaldības": [head, ("A", 12, 0), ("B", "x", "<5"), ("Kopā", 20, 4)],
        "Konstatējumi": [FINDINGS, ("R1", "kļūda", "<5"), ("R2", "kļūda", "x")],
    }
    towns = {"a": [("R1", "kļūda", "<5"), ("R2", "kļūda", 10)]}
    period = _write_release(tmp_path, {"a": "12", "b": "x", "overview": "20"}, towns, overview)
    assert _subtracted(period) == [
        "a: one hidden part, 2",
        "Kopā errors: one hidden part, 8",
        "Kopā new errors: one hidden part, 4",
    ]
    assert _worked_out("r", ["<5"] * 4, 4) == ["r: 4 hidden parts, each 1"]
    assert _worked_out("r", ["<5"] * 4, 5) == []


def test_the_release_counts_what_each_report_prints(small_demo):
    """The release decides over the counts the reports print: each municipality's
    findings rows, errors, pupils, plans and plans by school year are the report's own."""
    from pumpurs.report.release import (
        errors_cell,
        findings_cell,
        plans_cell,
        plans_year_cell,
        pupils_cell,
        release_model,
    )

    period = parse_period("2021-H1")
    model = release_model(small_demo, PROGRAMME, period, 5)
    checked = 0
    for m in PROGRAMME.municipalities:
        if small_demo.scoped(municipality=m.name).ledger.empty:
            continue
        r = municipality_report(small_demo, PROGRAMME, m.name, period, "internal")
        s = m.slug
        assert model.values[errors_cell(s)] == r.standing.errors
        assert model.values[pupils_cell(s)] == r.counts["pupils"]
        assert model.values[plans_cell(s)] == r.counts["plans"]
        for row in r.findings_by_rule.itertuples():
            assert model.values[findings_cell(s, row.rule, row.severity)] == row.findings
        plans = r.indicators[
            (r.indicators["indicator"] == "support_plans")
            & (r.indicators["period"] != "cumulative")
        ]
        for year, value in zip(
            plans["period"].tolist()[-4:], plans["value"].tolist()[-4:], strict=True
        ):
            assert model.values[plans_year_cell(s, year)] == value
        checked += 1
    assert checked == 3


def test_protect_hides_the_smallest_cell_that_frees_a_pinned_one():
    """A "<5" beside 7 and their published total 8, the 7 printed again elsewhere: the 7
    and its other place are hidden ("x"), the total stays (a is 1..3, the 7 is 5..7), and
    nothing is pinned; a row of two small counts summing to 3 stays as it is (each is 1
    or 2)."""
    from pumpurs.report.release import PRIMARY, SECONDARY, Relation, Release, pinned, protect

    a, b, c, t = ("a",), ("b",), ("c",), ("t",)
    values = {a: 1, c: 7, t: 8, b: 7}
    rels = [Relation((a, c), t, "row"), Relation((c,), b, "same figure elsewhere")]
    hidden = protect(values, rels, 5)
    assert hidden == {a: PRIMARY, c: SECONDARY, b: SECONDARY}
    assert pinned(Release(5, values, rels, hidden)) == {}
    two = {a: 1, b: 2, c: 7, t: 10}
    assert protect(two, [Relation((a, b, c), t, "row")], 5) == {a: PRIMARY, b: PRIMARY}


def test_a_small_total_of_small_parts_that_would_pin_them_is_x():
    """Issue 23's national 2021-H1: one finding in each of 4 municipalities; the nation's
    row "<5" (at most 4) over four "<5" rows (each at least 1) pins all five, whatever else
    is hidden. The nation's row is marked "x" (at least 1, nothing more), and one more
    national row is hidden so that the published national errors do not give it back."""
    from pumpurs.report.release import (
        PRIMARY,
        SECONDARY,
        Relation,
        Release,
        loose_cells,
        pinned,
        protect,
    )

    towns = [("r", f"t{i}") for i in range(4)]
    nation, other, big, errors = ("r", "all"), ("s", "all"), ("u", "all"), ("errors",)
    values = {**dict.fromkeys(towns, 1), nation: 4, other: 30, big: 66, errors: 100}
    rels = [Relation(tuple(towns), nation, "rows"), Relation((nation, other, big), errors, "e")]
    as_before = {**dict.fromkeys(towns, PRIMARY), nation: PRIMARY}
    assert set(pinned(Release(5, values, rels, as_before))) == {*towns, nation}
    hidden = protect(values, rels, 5)
    assert hidden == {**dict.fromkeys(towns, PRIMARY), nation: SECONDARY, other: SECONDARY}
    assert loose_cells(hidden, rels) == {nation}
    assert pinned(Release(5, values, rels, hidden)) == {}


def test_protect_shows_again_an_x_the_release_does_not_need():
    """Two sums share a "<5": the greedy step hides a cell in each, the largest is shown
    again (the other one keeps both sums at two hidden cells: a is 1..4, c 7..10)."""
    from pumpurs.report.release import PRIMARY, SECONDARY, Relation, Release, pinned, protect

    a, b, c, d, t, u = ("a",), ("b",), ("c",), ("d",), ("t",), ("u",)
    values = {a: 2, b: 6, c: 9, d: 40, t: 17, u: 51}
    rels = [Relation((a, b, c), t, "row"), Relation((a, c, d), u, "column")]
    hidden = protect(values, rels, 5)
    assert hidden == {a: PRIMARY, c: SECONDARY}
    assert pinned(Release(5, values, rels, hidden)) == {}
