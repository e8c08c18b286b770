"""The front door for analysts: `pumpurs.open(data)` and the `ProgrammeView` it returns.

    import pumpurs
    p = pumpurs.open("data/demo-national")            # read, validate, judge once
    p.totals(by="category")                           # euros, exact to the cent
    p.findings(severity="error", municipality="LV-002")
    p.municipality("Aizkraukles novads").plot.cumulative()

A view holds one judgement (core/rules.py) and answers in plain pandas DataFrames as
present/frames.py describes them: `*_eur` columns (`Float64`), NA for a missing id,
categoricals for vocabularies, no internal columns. Judging always runs on the whole
data (a pupil's cap spans partners); `municipality()` and `partner()` narrow the view,
`at()` judges the same data again at another report date. Nothing here computes a
figure of its own: totals, indicators, forecasts and charts are the library's, so a
view says what `pumpurs check`, `totals`, `indicators` and the reports say.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from pumpurs.core import indicators as _indicators
from pumpurs.core import totals as _totals
from pumpurs.core.calendar import parse_date
from pumpurs.core.errors import UsageError
from pumpurs.core.rules import Judgement, judge
from pumpurs.core.settings import Programme, load_programme
from pumpurs.present.frames import analyst_frame, to_arrow

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from pumpurs.present.charts import NoChart
    from pumpurs.sources import DataSource

__all__ = ["ProgrammeView", "Plots", "open"]

# A totals key as the ledger spells it -> the key core/totals.py knows it by.
_CORE_KEYS = {column: by for by, column in _totals.BY_KEYS.items()}
_ALIASES = {
    "partner": "partner_id",
    "school": "school_id",
    "month": "service_month",
    "half-year": "half_year",
}  # fmt: skip  (the command line's words)
_CARRIER = "semester"  # a core key with no columns of its own: carries any other key
_SEP = "\x1f"  # joins the two keys of a `per` table (never in an id: the contract)
_NOT_KEYS = frozenset({"entry_id", "paid_on", "hours"})


def open(  # noqa: A001  (pumpurs.open, as pandas.read_csv or xarray.open_dataset)
    data: str | Path | DataSource,
    *,
    as_of: str | dt.date | None = None,
    programme: str | Path | Programme | None = None,
) -> ProgrammeView:
    """Read, validate and judge the programme's data; the view of all of it.

    `data` is what the command line takes: a data folder, a DuckDB file or a database
    URL (a relative folder is also looked for from the repository root, so a notebook in
    `notebooks/` finds `data/demo-national`). `as_of` is the report date (YYYY-MM-DD or
    a date); by default the latest `paid_on` in the data, as `pumpurs check` decides
    it. `programme` is a programme.yaml (default: the project's) or loaded settings.
    Bad data raises `InputError` listing every problem.
    """
    from pumpurs.core.project import resolve_data
    from pumpurs.report.request import ReportRequest
    from pumpurs.sources import is_url, load, open_source

    settings = programme if isinstance(programme, Programme) else load_programme(programme)
    if isinstance(data, str | Path) and not is_url(data):
        data = resolve_data(data)
    source = open_source(data)
    request = ReportRequest.build(source.spec, as_of=_date(as_of), programme=settings)
    dataset = load(source, settings)
    whole = judge(dataset, settings, request.report_date(dataset))
    return ProgrammeView(whole, label=source.label)


def _date(value: str | dt.date | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return parse_date(str(value))


class ProgrammeView:
    """The judged programme, or one municipality's or partner's part of it, at one date.

    Made by `pumpurs.open()`; every table it gives is a fresh DataFrame the caller may
    change. `judgement` is the library's own object (cents, internal dtypes) for code
    that calls core/ and report/ directly.
    """

    def __init__(
        self,
        whole: Judgement,
        *,
        label: str,
        municipality: str | None = None,
        partner: str | None = None,
    ) -> None:
        self._whole = whole
        self.label = label
        """Where the data came from: the folder, file or URL (never with a password)."""
        self.scope_municipality = municipality
        """The current municipality this view is narrowed to, or None."""
        self.scope_partner = partner
        """The partner_id this view is narrowed to, or None."""
        self.judgement = whole.scoped(partner=partner, municipality=municipality)
        """The library's Judgement behind this view (money in cents)."""

    # -- what it is --------------------------------------------------------------------
    @property
    def as_of(self) -> dt.date:
        """The report date: rows paid after it are not known to this view."""
        return self.judgement.as_of

    @property
    def programme(self) -> Programme:
        """The programme's settings (programme.yaml) the data was judged by."""
        return self.judgement.programme

    @property
    def scope(self) -> str:
        """What the view covers: "programme", a municipality's name or a partner_id."""
        return self.scope_partner or self.scope_municipality or "programme"

    # -- other views -------------------------------------------------------------------
    def at(self, as_of: str | dt.date | None) -> ProgrammeView:
        """The same data judged at another report date (None: the latest paid_on)."""
        whole = judge(self._whole.dataset, self.programme, _date(as_of))
        return ProgrammeView(
            whole, label=self.label, municipality=self.scope_municipality,
            partner=self.scope_partner,
        )  # fmt: skip

    def municipality(self, name_or_code: str) -> ProgrammeView:
        """One current municipality's view, by name ("Aizkraukles novads") or ISO code
        ("LV-002"): its partners' rows, plans and findings; judged on the whole data."""
        name = self.programme.municipality(name_or_code).name
        return ProgrammeView(self._whole, label=self.label, municipality=name)

    def partner(self, partner_id: str) -> ProgrammeView:
        """One partner's view (its rows, plans and findings; judged on the whole data)."""
        known = set(self._whole.partners["partner_id"].astype(str))
        if partner_id not in known:
            raise UsageError(f'"{partner_id}" is not a partner_id in the data; see .partners')
        return ProgrammeView(self._whole, label=self.label, partner=partner_id)

    # -- the tables --------------------------------------------------------------------
    @cached_property
    def _ledger(self) -> pd.DataFrame:
        return analyst_frame(self.judgement.ledger)

    @property
    def ledger(self) -> pd.DataFrame:
        """Every expenditure row known at the report date, judged: `amount_eur`,
        `ineligible_eur`, `over_allocation_eur` and `eligible_eur` (= amount − ineligible
        − over-allocation), the ESF rate in force as a number, periods as categoricals."""
        return self._ledger.copy()

    @property
    def partners(self) -> pd.DataFrame:
        """The partners in view, with `allocation_eur` and their current municipality."""
        return analyst_frame(self.judgement.partners)

    @property
    def schools(self) -> pd.DataFrame:
        """Every school of the data (a row may name another partner's school)."""
        return analyst_frame(self.judgement.dataset.schools)

    @property
    def plans(self) -> pd.DataFrame:
        """The support plans known at the report date, with partner and municipality."""
        return analyst_frame(self.judgement.plans)

    @property
    def outcomes(self) -> pd.DataFrame:
        """Pupils' school-year outcomes (continues, graduated, left, …) in view."""
        return analyst_frame(self.judgement.dataset.outcomes)

    def findings(
        self,
        rule: str | list[str] | None = None,
        partner: str | None = None,
        municipality: str | None = None,
        severity: str | None = None,
        *,
        lang: str = "lv",
    ) -> pd.DataFrame:
        """The findings (docs/rules.md), one row each, the facts `pumpurs check` gives:
        rule, severity, partner_id, municipality (the partner's current one), school_id,
        student_id, period, entry_ids, amount/limit/at-risk in euros, the rule's details
        and the `message` in `lang` (lv or en). Filters: a rule id or a list of them, a
        partner_id, a municipality (name or code), "error" or "warning"."""
        from pumpurs.present.messages import with_messages

        f = self.judgement.findings
        if rule is not None:
            f = f[f["rule"].isin([rule] if isinstance(rule, str) else list(rule))]
        if partner is not None:
            f = f[f["partner_id"] == partner]
        towns = self.judgement.partners.set_index("partner_id")["municipality"]
        town = f["partner_id"].map(towns)
        if municipality is not None:
            f = f[(town == self.programme.municipality(municipality).name).to_numpy()]
            town = town[f.index]
        if severity is not None:
            if severity not in ("error", "warning"):
                raise UsageError(f'severity "{severity}" is not valid; use error or warning')
            f = f[f["severity"] == severity]
            town = town[f.index]
        worded = with_messages(f, self.programme, lang)
        worded.insert(3, "municipality", town.astype(object).where(town.notna(), ""))
        return analyst_frame(worded)

    def totals(
        self, by: str = "category", per: str | None = None, municipality: str | None = None
    ) -> pd.DataFrame:
        """Declared, ineligible, over-allocation, eligible, ESF and state euros per value
        of `by`, any key column of the ledger as it is spelled there (partner_id,
        municipality, category, school_id, service_month, semester, school_year,
        half_year, specialist_role, …); `per` splits each row by a second key (one row
        per pair, e.g. by="category", per="half_year"). By partner or municipality the
        allocation and absorption (eligible / allocation) follow. Rows add up to the
        view's totals to the cent: each partner's ESF share is rounded once and spread
        over its rows by the largest remainder (core/totals.py), so a row's ESF in a
        `per` table can differ by a cent from the same row's ESF without `per`.
        `municipality` narrows the view first (name or code)."""
        view = self.municipality(municipality) if municipality else self
        key, second = view._key(by), view._key(per) if per is not None else None
        j = view.judgement
        led, core_key = j.ledger, _CORE_KEYS.get(key)
        if second is not None or core_key is None:  # any key rides on the carrier
            values = _key_text(led[key])
            if second is not None:
                values = values + _SEP + _key_text(led[second])
            led, core_key = led.assign(**{_CARRIER: values}), _CORE_KEYS[_CARRIER]
        table = _totals.totals(led, j.partners, core_key).rows
        if table.columns[0] != key:
            table = table.rename(columns={table.columns[0]: key})
        if second is not None:
            pairs = table[key].str.split(_SEP, n=1, expand=True)
            table[key] = pairs[0]
            table.insert(1, second, pairs[1])
            if key == "partner_id":
                names = j.partners.set_index("partner_id")["name"]
                table.insert(1, "name", table[key].map(names))
        if table["allocation_cents"].isna().all() or second is not None:
            table = table.drop(columns=["allocation_cents", "absorption"])
        out = analyst_frame(table)  # rows in the keys' order (a categorical's: Latvian)
        order = [key] if second is None else [key, second]
        return out.sort_values(order, kind="stable").reset_index(drop=True)

    def _key(self, name: str) -> str:
        column = _ALIASES.get(name, name)
        keys = [c for c in self.judgement.ledger.columns if _is_key(self.judgement.ledger, c)]
        if column not in keys:
            raise UsageError(f'"{name}" is not a key of the ledger; use one of: {", ".join(keys)}')
        return column

    def indicators(self, by: str | None = None, per: str | None = None) -> pd.DataFrame:
        """The six indicators (docs/rules.md): value, count, denominator and, for the
        whole programme, the target in force, its comparison and whether it is met.
        `by`: None (the view as one: the programme, or its municipality or partner),
        "municipality" or "partner_id"; `per`: None (cumulative to the report date),
        "semester" or "school_year"."""
        j = self.judgement
        scope = {None: "programme", "partner_id": "partner", "partner": "partner",
                 "municipality": "municipality"}  # fmt: skip
        if by not in scope:
            raise UsageError(f'by "{by}" is not valid; use None, municipality or partner_id')
        core_by = scope[by]
        if core_by == "programme" and self.scope != "programme":  # no national targets
            core_by = "partner" if self.scope_partner else "municipality"
        frame = _indicators.indicators(
            j.plans, j.ledger, j.partners, j.dataset.outcomes, self.programme,
            by=core_by, per=per or "cumulative", as_of=j.as_of,
        )  # fmt: skip
        if by is None:
            frame = frame.drop(columns=["scope"])
        else:
            frame = frame.rename(columns={"scope": "partner_id" if core_by == "partner" else by})
        if per is None:
            frame = frame.drop(columns=["period"])
        elif per in ("semester", "school_year"):
            frame = frame.rename(columns={"period": per})
        return analyst_frame(frame)

    def changes(self, period: str | None = None) -> dict[str, pd.DataFrame]:
        """Changes since the previous report (docs/rules.md): the previous half-year's key
        figures and those to its end as then (judged at its last day) and as now, and why
        they moved, as the report shows them: `figures`, `reasons`, `by_rule` and, for the
        programme, `moved` (the municipalities whose earlier figures moved). `period`: the
        report's half-year (default: the one holding the report date; another is judged
        at its last day). Empty tables when there is nothing to compare."""
        from pumpurs.core.calendar import parse_period, report_date
        from pumpurs.report.changes import changes_of

        if self.scope_partner:
            raise UsageError("changes are reported per municipality or for the programme")
        half = f"{self.as_of.year}-H{1 if self.as_of.month <= 6 else 2}"
        p = parse_period(period or half)
        whole = self._whole
        if p.label != half:
            whole = judge(whole.dataset, self.programme, report_date(p))
        c = changes_of(whole, p, self.scope_municipality)
        tables = {"figures": c.figures, "reasons": c.reasons, "by_rule": c.by_rule}
        if self.scope_municipality is None:
            tables["moved"] = c.moved
        return {name: analyst_frame(t) for name, t in tables.items()}

    # -- shown -------------------------------------------------------------------------
    @property
    def plot(self) -> Plots:
        """The reports' charts drawn from this view: `p.plot.cumulative()`, …"""
        return Plots(self)

    @cached_property
    def _summary(self) -> dict[str, Any]:
        j = self.judgement
        led = j.ledger
        return {
            "partners": len(j.partners),
            "declared": int(led["amount_cents"].sum()),
            "eligible": int(led["eligible_cents"].sum()),
            "at_risk": int(led["ineligible_cents"].sum() + led["over_allocation_cents"].sum()),
            "errors": int((j.findings["severity"] == "error").sum()),
            "warnings": int((j.findings["severity"] == "warning").sum()),
        }

    def __repr__(self) -> str:
        from pumpurs.core.money import format_eur

        s, scope = self._summary, "" if self.scope == "programme" else f" [{self.scope}]"
        return (
            f"<ProgrammeView {self.label}{scope} as of {self.as_of.isoformat()}: "
            f"{s['partners']} partner{'' if s['partners'] == 1 else 's'}, declared {format_eur(s['declared'], 'en')}, "
            f"eligible {format_eur(s['eligible'], 'en')}, at risk "
            f"{format_eur(s['at_risk'], 'en')}; {s['errors']} errors, "
            f"{s['warnings']} warnings>"
        )

    def _repr_html_(self) -> str:
        from pumpurs.present.fmt import fmt_eur, fmt_int

        s, esc = self._summary, html.escape
        rows = [
            ("data", esc(self.label)),
            ("scope", esc(self.scope)),
            ("as of", self.as_of.isoformat()),
            ("partners", fmt_int(s["partners"], "en")),
            ("declared", fmt_eur(s["declared"], "en")),
            ("eligible", fmt_eur(s["eligible"], "en")),
            ("at risk", fmt_eur(s["at_risk"], "en")),
            ("findings", f"{fmt_int(s['errors'], 'en')} errors, "
                         f"{fmt_int(s['warnings'], 'en')} warnings"),
        ]  # fmt: skip
        body = "".join(
            f'<tr><th style="text-align:left">{k}</th><td style="text-align:left">{v}</td></tr>'
            for k, v in rows
        )
        return f"<table><caption>ProgrammeView</caption>{body}</table>"

    # -- exported ----------------------------------------------------------------------
    def tables(self) -> dict[str, pd.DataFrame]:
        """The judged tables by name: ledger, findings, plans, partners, schools, outcomes."""
        return {
            "ledger": self.ledger,
            "findings": self.findings(),
            "plans": self.plans,
            "partners": self.partners,
            "schools": self.schools,
            "outcomes": self.outcomes,
        }

    def to_parquet(self, folder: str | Path) -> list[Path]:
        """Write the judged tables as `<folder>/<table>.parquet` for BI tools; euros as
        DECIMAL(18, 2), exact. Returns the files written."""
        import pyarrow.parquet as pq

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in self.tables().items():
            path = out / f"{name}.parquet"
            pq.write_table(to_arrow(frame), path)
            written.append(path)
        return written

    def to_duckdb(self, path: str | Path) -> list[str]:
        """Write the judged tables into a DuckDB file (created, or its tables replaced);
        euros as DECIMAL(18, 2). Needs the `db` extra (duckdb). Returns the tables."""
        try:
            import duckdb
        except ImportError:
            raise UsageError("to_duckdb needs duckdb: pip install 'pumpurs[db]'") from None
        con = duckdb.connect(str(path))
        try:
            for name, frame in self.tables().items():
                arrow = to_arrow(frame)  # noqa: F841  (read by name in the SQL below)
                con.execute(f'CREATE OR REPLACE TABLE "{name}" AS SELECT * FROM arrow')
        finally:
            con.close()
        return list(self.tables())


def _key_text(s: pd.Series) -> pd.Series:
    """A key column as text, "" where it is missing (as core/totals.py keys it)."""
    return s.astype(object).where(s.notna(), "").astype(str)


def _is_key(ledger: pd.DataFrame, column: str) -> bool:
    """A ledger column one can total by: text or a category, not money, not a row's id."""
    if column in _NOT_KEYS or column.endswith("_cents"):
        return False
    dtype = ledger[column].dtype
    return isinstance(dtype, pd.CategoricalDtype) or dtype.kind in "OUS" or dtype == "str"


@dataclass(frozen=True)
class Plots:
    """The reports' charts (present/charts.py) for a view; each returns a matplotlib
    Figure, which a notebook shows as a picture (without data: a NoChart, one line of
    text). `lang`: "lv" (default) or "en"."""

    view: ProgrammeView
    """The view whose tables the charts are drawn from."""

    def cumulative(self, lang: str = "lv") -> Figure | NoChart:
        """Cumulative eligible spending against the allocation, projected to the end,
        with the absorption band of programme.yaml (the report's page-1 chart)."""
        from pumpurs.core.forecast import forecast_series
        from pumpurs.present.charts import cumulative_vs_allocation

        j, w = self.view.judgement, self.view.programme.warnings
        series = forecast_series(j.ledger, j.partners, j.programme, j.as_of)
        band = (float(w.absorption_low), float(w.absorption_high))
        return cumulative_vs_allocation(series, lang, band=band)

    def by_category(self, lang: str = "lv") -> Figure | NoChart:
        """Eligible and ineligible euros per cost category."""
        from pumpurs.present.charts import bar_by
        from pumpurs.present.texts import text

        t = self.view.totals(by="category").sort_values("eligible_eur", ascending=False)
        return bar_by(t, "category", ["eligible_eur", "ineligible_eur"], lang,
                      title=text("report.by_category", lang))  # fmt: skip

    def by_semester(self, lang: str = "lv") -> Figure | NoChart:
        """Eligible and ineligible euros per semester, oldest on the left."""
        from pumpurs.present.charts import semester_trend
        from pumpurs.present.texts import text

        t = self.view.totals(by="semester")
        t["semester"] = t["semester"].astype(str)
        return semester_trend(t, ["eligible_eur", "ineligible_eur"], lang, unit="EUR",
                              title=text("report.by_semester", lang))  # fmt: skip

    def caps(self, lang: str = "lv") -> Figure | NoChart:
        """How close pupils' months (semesters) come to each per-pupil cap."""
        from pumpurs.present.charts import cap_usage
        from pumpurs.report.municipality import _cap_usage

        # each band drawn at a share inside it, as the report's cap chart does
        bins = {"0–50 %": 0.25, "50–80 %": 0.65, "80–<100 %": 0.9, "100 %": 1.0, ">100 %": 1.2}
        usage = _cap_usage(self.view.judgement.ledger, self.view.programme)
        rows = usage.loc[usage.index.repeat(usage["groups"])]
        hist = pd.DataFrame({"category": rows["category"].to_numpy(),
                             "share_of_cap": rows["band"].map(bins).to_numpy()})  # fmt: skip
        return cap_usage(hist, lang)

    def absorption(self, lang: str = "lv") -> Figure | NoChart:
        """Eligible spending as a share of the allocation per municipality, with the
        band's lower edge (the national overview's chart)."""
        from pumpurs.present.charts import bar_by
        from pumpurs.present.fmt import fmt_pct, label
        from pumpurs.present.texts import text

        t = self.view.totals(by="municipality").sort_values("absorption", ascending=False)
        low = float(self.view.programme.warnings.absorption_low)
        name = text("chart.band_low", lang).format(pct=fmt_pct(low, lang, 0))
        return bar_by(t, "municipality", ["absorption"], lang, title=label("absorption", lang),
                      unit="share", reference=[(low, name)])  # fmt: skip

    def trend(self, lang: str = "lv") -> Figure | NoChart:
        """Pupils with a plan and plans per semester (the national overview's trend)."""
        from pumpurs.present.charts import semester_trend

        plans = self.view.judgement.plans
        t = plans.groupby("semester").agg(pupils=("student_id", "nunique"),
                                          plans=("plan_id", "size")).reset_index()  # fmt: skip
        return semester_trend(t, ["pupils", "plans"], lang, unit="count")
