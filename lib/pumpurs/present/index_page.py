"""`reports/<period>/index.html`: the batch's front page, one line per municipality.

Each line has the report's status (a failed one in red, with the reason and its kept
notebook), key figures that do not depend on the notebooks (computed from the judged
slice: eligible, at risk, absorption, error findings) and links to the files. Headers
sort the table when clicked (a few lines of inline JavaScript; the page loads nothing
from anywhere, so it opens offline from a file share or a USB stick).
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass, field
from typing import Any

from pumpurs.core.money import format_eur
from pumpurs.present.fmt import check_lang, fmt_date, fmt_int, fmt_pct, fmt_period
from pumpurs.present.texts import text


def t(key: str, lang: str) -> str:
    return text(f"index.{key}", lang)


@dataclass
class Figures:
    """The notebook-independent numbers of one line (money in cents)."""

    eligible_cents: int
    at_risk_cents: int
    absorption: float | None
    errors: int
    allocation_cents: int = 0
    eligible_period_cents: int = 0
    colour: str = "grey"  # the report's page-1 colour: green | amber | red | grey
    errors_mark: str = ""  # a public index: the release's mark where it hides `errors`


@dataclass
class IndexRow:
    id: str
    name: str
    code: str
    status: str  # ok | failed | missing
    figures: Figures
    error: str = ""
    failed_notebook: str = ""
    links: dict[str, str] = field(default_factory=dict)  # label -> relative href
    rendered: str = ""  # ISO time the report was made


def key_figures(judgement: Any, period: Any = None, programme: Any = None) -> Figures:
    """Allocation, eligible (cumulative and in the half-year), at risk, absorption, error
    findings and page 1's colour of a (scoped) judgement."""
    from pumpurs.core.totals import totals
    from pumpurs.report.municipality import absorption_verdict

    led = judgement.ledger
    total = totals(led, judgement.partners, "partner").total
    absorption = total.get("absorption")
    findings = judgement.findings
    allocation = int(judgement.partners["allocation_cents"].sum())
    eligible = int(total["eligible_cents"])
    in_period = 0
    if period is not None:
        in_period = int(led.loc[period.holds(led["service_month"]), "eligible_cents"].sum())
    colour = "grey"
    if programme is not None:
        _, _, colour = absorption_verdict(led, judgement.partners, programme, judgement.as_of)
    return Figures(
        eligible_cents=eligible,
        at_risk_cents=int(total["ineligible_cents"]) + int(total["over_allocation_cents"]),
        absorption=None if absorption is None else float(absorption),
        errors=int((findings["severity"] == "error").sum()) if len(findings) else 0,
        allocation_cents=allocation,
        eligible_period_cents=in_period,
        colour=colour,
    )


def key_figures_by_municipality(judgement: Any, period: Any, programme: Any) -> dict[str, Figures]:
    """`key_figures` of every current municipality's scoped judgement, from the national
    one in a pass over its rows (the index shows them all; 43 scoped views cost more than
    the figures). Each figure is a sum over the municipality's partners' rows, as the
    scoped tables hold exactly those rows; the projection is per partner (`forecast`)."""
    import numpy as np
    import pandas as pd

    from pumpurs.core.forecast import forecast
    from pumpurs.report.municipality import programme_ended, standing_colour

    names = [m.name for m in judgement.programme.municipalities]
    n, partners, led = len(names), judgement.partners, judgement.ledger
    findings = judgement.findings

    def of(ids: pd.Series) -> np.ndarray:  # a row's municipality (n: none current)
        code = judgement.municipality_codes(ids)
        return np.where(code >= 0, code, n)

    def per(code: np.ndarray, values: Any) -> np.ndarray:  # exact integer sums
        out = np.zeros(n + 1, dtype=np.int64)
        np.add.at(out, code, np.asarray(values, dtype=np.int64))
        return out[:n]

    row = of(led["partner_id"])
    eligible = per(row, led["eligible_cents"])
    at_risk = per(row, led["ineligible_cents"]) + per(row, led["over_allocation_cents"])
    in_period = per(row, np.where(period.holds(led["service_month"]), led["eligible_cents"], 0))
    rows = per(row, np.ones(len(led)))
    errors = per(of(findings["partner_id"]), findings["severity"] == "error")
    allocation = per(of(partners["partner_id"]), partners["allocation_cents"])
    if programme_ended(programme, judgement.as_of):
        reached = eligible
    else:
        fc = forecast(led, partners, programme, judgement.as_of)
        reached = per(of(fc["partner_id"]), fc["projected_cents"])
    figures = {}
    for i, name in enumerate(names):
        alloc = int(allocation[i])
        share = None if alloc <= 0 or rows[i] == 0 else int(reached[i]) / alloc
        figures[name] = Figures(
            eligible_cents=int(eligible[i]),
            at_risk_cents=int(at_risk[i]),
            absorption=int(eligible[i]) / alloc if alloc else None,
            errors=int(errors[i]),
            allocation_cents=alloc,
            eligible_period_cents=int(in_period[i]),
            colour=standing_colour(share, programme),
        )
    return figures


_STATUS_ORDER = {"failed": 0, "missing": 1, "empty": 2, "ok": 3}

_CSS = """
body{font-family:"DejaVu Sans","Liberation Sans",Arial,sans-serif;margin:2em 1.5em;color:#202124}
h1{font-size:1.5em;margin:0 0 .3em}
p.meta{color:#5f6368;margin:.2em 0}
table{border-collapse:collapse;margin-top:1em;font-size:.86em}
th,td{padding:.35em .5em;border-bottom:1px solid #dadce0;text-align:left;vertical-align:top}
th{background:#eef1f5;cursor:pointer;user-select:none;vertical-align:bottom}
th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
td.num,th.num{text-align:right}td.num{white-space:nowrap}
tr.failed td{background:#fce8e6}
.st{font-weight:bold;white-space:nowrap}
.st-ok{color:#188038}.st-failed{color:#c5221f}.st-missing,.st-empty{color:#80868b}
tr.empty td{color:#80868b}
.dot{display:inline-block;width:.7em;height:.7em;border-radius:50%;margin-right:.35em;background:#bdc1c6}
.dot-green{background:#188038}.dot-amber{background:#e37400}.dot-red{background:#c5221f}
tbody.overview td{font-weight:bold;background:#f1f3f4;border-bottom:2px solid #5f6368}
.scroll{overflow-x:auto;max-width:100%}
td.links{white-space:normal;min-width:7em}td.links a{white-space:nowrap}
.code{color:#80868b;font-size:.85em;white-space:nowrap}
@media (max-width:600px){body{margin:.6em}h1{font-size:1.2em}th,td{padding:.3em .45em}}
.err{color:#c5221f;font-size:.88em;max-width:36em}
tfoot td{font-weight:bold;border-top:2px solid #5f6368}
a{color:#1a73e8}
"""

_JS = """
(function(){
  var table=document.getElementById('reports');
  var heads=table.tHead.rows[0].cells;
  function key(row,i,num){var c=row.cells[i];var v=c.getAttribute('data-sort');
    if(v===null){v=c.textContent.trim();}
    if(num){var x=parseFloat(v);return isNaN(x)?-Infinity:x;}return v.toLowerCase();}
  for(var i=0;i<heads.length;i++){(function(i){
    var th=heads[i];
    th.addEventListener('click',function(){
      var num=th.classList.contains('num');
      var asc=th.getAttribute('aria-sort')!=='ascending';
      for(var j=0;j<heads.length;j++){heads[j].removeAttribute('aria-sort');}
      th.setAttribute('aria-sort',asc?'ascending':'descending');
      var body=table.tBodies[table.tBodies.length-1];var rows=Array.prototype.slice.call(body.rows);
      rows.sort(function(a,b){var x=key(a,i,num),y=key(b,i,num);
        var r=num?(x-y):x.localeCompare(y,document.documentElement.lang);
        return asc?r:-r;});
      rows.forEach(function(r){body.appendChild(r);});
    });
    th.setAttribute('tabindex','0');
    th.addEventListener('keydown',function(e){if(e.key==='Enter'){th.click();}});
  })(i);}
})();
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _when(iso: str, lang: str) -> str:
    if not iso:
        return ""
    try:
        stamp = dt.datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return f"{fmt_date(stamp.date(), lang)} {stamp:%H:%M}"


def _row_html(row: IndexRow, lang: str, tag: str = "td") -> str:
    f = row.figures
    status_cell = (
        f'<span class="st st-{_e(row.status)}">{_e(t(row.status, lang))}</span>'
        if row.status in _STATUS_ORDER
        else _e(row.status)
    )
    if row.status == "failed":
        status_cell += f'<div class="err">{_e(row.error)}</div>'
        if row.failed_notebook:
            status_cell += (
                f'<div><a href="{_e(row.failed_notebook)}">{t("failed_nb", lang)}</a></div>'
            )
    links = " · ".join(f'<a href="{_e(href)}">{_e(label)}</a>' for label, href in row.links.items())
    if links and row.status == "failed":
        links = f"{t('previous', lang)}: {links}"
    absorption = "" if f.absorption is None else f"{f.absorption:.6f}"
    dot = f'<span class="dot dot-{_e(f.colour)}"></span>'

    def money(cents: int) -> str:
        return f'<{tag} class="num" data-sort="{cents}">{_e(format_eur(cents, lang))}</{tag}>'

    cells = [
        f'<{tag} data-sort="{_e(row.name)}">{_e(row.name)} <span class="code">{_e(row.code)}'
        f"</span></{tag}>",
        f'<{tag} data-sort="{_STATUS_ORDER.get(row.status, 3)}">{status_cell}</{tag}>',
        money(f.allocation_cents),
        money(f.eligible_period_cents),
        money(f.eligible_cents),
        money(f.at_risk_cents),
        f'<{tag} class="num" data-sort="{absorption}">{dot}{_e(fmt_pct(f.absorption, lang))}'
        f"</{tag}>",
        f'<{tag} class="num" data-sort="{-1 if f.errors_mark else f.errors}">'
        f"{_e(f.errors_mark or fmt_int(f.errors, lang))}</{tag}>",
        f'<{tag} class="links">{links}</{tag}>',
        f'<{tag} data-sort="{_e(row.rendered)}">{_e(_when(row.rendered, lang))}</{tag}>',
    ]
    cls = f' class="{_e(row.status)}"'
    return f'<tr id="{_e(row.id)}"{cls}>' + "".join(cells) + "</tr>"


def index_html(
    rows: list[IndexRow],
    overview: IndexRow | None,
    period: str,
    as_of: dt.date,
    lang: str = "lv",
    audience: str = "internal",
) -> str:
    """The whole page: a header, the sortable table (the overview as its foot), a note."""
    check_lang(lang)
    counts = {k: sum(1 for r in rows if r.status == k) for k in _STATUS_ORDER}
    heads = [
        ("municipality", ""),
        ("status", ""),
        ("allocation", "num"),
        ("eligible_period", "num"),
        ("eligible", "num"),
        ("at_risk", "num"),
        ("absorption", "num"),
        ("errors", "num"),
        ("files", ""),
        ("rendered", ""),
    ]
    head_html = "".join(
        f'<th scope="col"{f" class={chr(34)}{c}{chr(34)}" if c else ""}>{_e(t(k, lang))}</th>'
        for k, c in heads
    )
    body = "\n".join(_row_html(r, lang) for r in rows)
    first = ""
    if overview is not None:  # the national overview first, apart from the sortable rows
        ov = IndexRow(**{**overview.__dict__, "name": t("overview", lang)})
        first = f'<tbody class="overview">{_row_html(ov, lang)}</tbody>'
    counts["ok"] += counts["empty"]
    summary = t("summary", lang).format(
        ok=counts["ok"], n=len(rows), failed=counts["failed"], missing=counts["missing"]
    )
    note = t("figures_note", lang).format(as_of=fmt_date(as_of, lang))
    return f"""<!DOCTYPE html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(t("title", lang))} · {_e(fmt_period(period, lang))}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{_e(t("title", lang))} · {_e(fmt_period(period, lang))}</h1>
<p class="meta">{_e(t("as_of", lang))}: {_e(fmt_date(as_of, lang))} · \
{_e(t("audience", lang))}: {_e(t(audience, lang))}</p>
<p class="meta">{_e(summary)} {_e(t("sort_hint", lang))}</p>
<div class="scroll"><table id="reports">
<thead><tr>{head_html}</tr></thead>
{first}
<tbody class="rows">
{body}
</tbody>
</table></div>
<p class="meta">{_e(note)}</p>
<script>{_JS}</script>
</body>
</html>
"""
