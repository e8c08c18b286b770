"""What a report is asked for: one `ReportRequest`, built once and handed on.

The data, the half-year, the report date, the audience, the language and the programme
of a report (or of `check`, `totals`, `indicators`, or an analyst's `pumpurs.open`) are
decided here and only here: every default and every check. The command line and the
batch build one with `ReportRequest.build`; a notebook rebuilds the same one from its
parameters with `ReportRequest.from_parameters`, the batch having written them with
`to_parameters`: the one pair that crosses papermill's boundary.

The report date follows one rule, `core.calendar.report_date` (docs/commands.md, "The
report date"): `as_of` when given (within the period, when there is one); else the
period's last day; else the latest paid_on in the data. The audience's policy
(`Audience`, with the programme's `publishing.min_count`) is built once, here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from pathlib import Path

from pumpurs.core.calendar import Period, parse_period, report_date
from pumpurs.core.dataset import Dataset
from pumpurs.core.errors import UsageError
from pumpurs.core.settings import DEFAULT_PROGRAMME, Programme, load_programme
from pumpurs.report.audience import Audience

LANGS = ("lv", "en")
# What `to_parameters` writes and `from_parameters` reads: a notebook's parameters cell
# declares each (typed literals); the batch adds the report's own (municipality, ...).
PARAMETERS = ("data", "period", "as_of", "audience", "lang", "programme_path")


@dataclass(frozen=True)
class ReportRequest:
    """A report asked for: built once by the CLI, the batch or a notebook."""

    data: str
    """The data as a kernel opens it again: a folder's path, a DuckDB file or a URL."""
    programme: Programme = field(repr=False)
    """The programme's settings (programme.yaml), loaded once."""
    programme_path: Path | None = None
    """Where the settings came from (None: the project's own params/programme.yaml)."""
    period: Period | None = None
    """The half-year reported on (None: `check`, `totals` and analysts look at all)."""
    as_of: dt.date | None = None
    """The report date as asked for (None: decided by `report_date`); within `period`."""
    audience: Audience = field(default_factory=Audience)
    """The audience's policy, with the programme's publishing threshold."""
    lang: str = "lv"
    """lv or en: what people read."""

    @classmethod
    def build(
        cls,
        data: str | Path,
        *,
        period: str | Period | None = None,
        as_of: str | dt.date | None = None,
        audience: str | Audience = "internal",
        lang: str = "lv",
        programme: Programme | None = None,
        programme_path: str | Path | None = None,
    ) -> ReportRequest:
        """Check every part and fill in the defaults; UsageError (exit 2) names what is
        wrong. `programme`: settings loaded already (else read from `programme_path`)."""
        path = Path(programme_path).resolve() if programme_path else None
        settings = programme if programme is not None else load_programme(path)
        if lang not in LANGS:
            raise UsageError(f'--lang "{lang}" is not valid; use one of: {", ".join(LANGS)}')
        half = parse_period(period) if isinstance(period, str) and period else period or None
        # the date as asked, parsed, and refused here when outside the period
        day = report_date(half, as_of) if as_of else None
        return cls(
            data=str(data),
            programme=settings,
            programme_path=path,
            period=half,
            as_of=day,
            audience=Audience.of(audience, settings),
            lang=lang,
        )

    def report_date(self, dataset: Dataset | None = None) -> dt.date:
        """The report's date by the one rule: `as_of`; else the period's last day; else
        the latest paid_on in `dataset` (the programme's last day if it holds none)."""
        return report_date(
            self.period,
            self.as_of,
            paid_on=None if dataset is None else dataset.expenditures["paid_on"],
            programme_end=self.programme.final_period.end_month,
        )

    def date_before_reading(self) -> dt.date | None:
        """The report date where the request alone decides it (`as_of`, or a period);
        None where the data decides it (then `core.rules.judge` asks the same rule with
        the data's paid_on)."""
        return self.report_date() if self.as_of or self.period else None

    def dated(self, dataset: Dataset | None = None) -> ReportRequest:
        """The same request with its report date decided (what the batch hands on)."""
        return replace(self, as_of=self.report_date(dataset))

    # -- across papermill's boundary ----------------------------------------------
    def to_parameters(self) -> dict[str, str]:
        """A notebook's parameters (text, as a parameters cell declares them)."""
        return {
            "data": self.data,
            "period": self.period.label if self.period else "",
            "as_of": self.as_of.isoformat() if self.as_of else "",
            "audience": self.audience.name,
            "lang": self.lang,
            "programme_path": str(self.programme_path or ""),
        }

    @classmethod
    def from_parameters(
        cls,
        *,
        data: str,
        period: str = "",
        as_of: str = "",
        audience: str = "internal",
        lang: str = "lv",
        programme_path: str = "",
    ) -> ReportRequest:
        """The request a notebook's parameters cell describes (the batch wrote them with
        `to_parameters`; a person running the notebook may change any of them)."""
        from pumpurs.core.project import resolve_data

        return cls.build(
            str(resolve_data(data)),
            period=period or None,
            as_of=as_of or None,
            audience=audience,
            lang=lang,
            programme_path=programme_path or None,
        )

    def settings_path(self) -> Path:
        """The programme.yaml this request's settings come from."""
        return self.programme_path or Path(DEFAULT_PROGRAMME)
