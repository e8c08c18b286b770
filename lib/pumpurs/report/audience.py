"""Who a report is for, and every privacy decision that follows from it.

Two audiences: `internal` (the project manager, who corrects rows and needs
pseudonyms) and `public` (anyone: the report is about minors). No other module
compares audience names; it asks the `Audience` instead, so a threshold, a column or a
file that the public must not see is decided here and only here.

The threshold is programme.yaml's `publishing.min_count`: a count of pupils, plans or
findings from 1 to min_count − 1 is shown as "<min_count", with secondary suppression so
that it cannot be worked out from a total (report/privacy.py does the arithmetic).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

from pumpurs.core.errors import UsageError
from pumpurs.report.privacy import PUPIL_LEVEL_COLUMNS, SECONDARY_MARK, suppress_counts

AUDIENCES = ("internal", "public")


@dataclass(frozen=True)
class Audience:
    """An audience with its threshold. Internal reports show everything."""

    name: str = "internal"
    min_count: int = 5

    def __post_init__(self) -> None:
        if self.name not in AUDIENCES:
            raise UsageError(
                f'audience "{self.name}" is not valid; use one of: {", ".join(AUDIENCES)}'
            )
        if self.min_count < 1:
            raise UsageError(f"publishing.min_count {self.min_count}: give 1 or more")

    @classmethod
    def of(cls, name: str | Audience, programme: object | None = None) -> Audience:
        """The audience called `name`, with the programme's publishing threshold."""
        if isinstance(name, Audience):
            return name
        publishing = getattr(programme, "publishing", None)
        return cls(str(name), int(getattr(publishing, "min_count", 5)))

    def __str__(self) -> str:
        return self.name

    # --- what exists for this audience ------------------------------------------
    @property
    def is_public(self) -> bool:
        return self.name == "public"

    @property
    def sees_pupil_rows(self) -> bool:
        """Row-level findings with pseudonyms, entry ids, plan ids."""
        return not self.is_public

    @property
    def sees_error_details(self) -> bool:
        """A failure's message and traceback (they can quote a pupil's pseudonym)."""
        return not self.is_public

    @property
    def sees_local_paths(self) -> bool:
        """Absolute paths of the machine the report was made on."""
        return not self.is_public

    @property
    def keeps_judged_data_beside_reports(self) -> bool:
        """Whether the pupil-level judged slices may be cached in the reports folder."""
        return not self.is_public

    def allows_column(self, column: str) -> bool:
        return self.sees_pupil_rows or column not in PUPIL_LEVEL_COLUMNS

    def allowed_columns(self, columns: Iterable[str]) -> list[str]:
        return [c for c in columns if self.allows_column(c)]

    # --- counts ----------------------------------------------------------------
    @property
    def mark(self) -> str:
        """What a hidden small count shows: "<5" for a threshold of 5."""
        return f"<{self.min_count}"

    secondary_mark = SECONDARY_MARK

    def hides(self, count: int | float | None) -> bool:
        """Whether this count may not be published (0 identifies no one)."""
        if not self.is_public or count is None or pd.isna(count):
            return False
        return 0 < count < self.min_count

    def count_text(self, count: int, shown: str) -> str:
        """`shown` (the formatted count), or the mark where the count is hidden."""
        return self.mark if self.hides(count) else shown

    def suppress(
        self,
        table: pd.DataFrame,
        count_columns: list[str],
        total_row: bool = False,
        total_column: str | None = None,
        sums_known: bool = False,
    ) -> pd.DataFrame:
        """The table as this audience may see it: unchanged for internal readers;
        small counts and the cells that would reveal them hidden for the public."""
        if not self.is_public:
            return table
        return suppress_counts(
            table,
            count_columns,
            total_row=total_row,
            min_count=self.min_count,
            total_column=total_column,
            sums_known=sums_known,
        )

    def shares_shown(self, pupils: int | float | None) -> bool:
        """A share (e.g. of pupils who continued) tells about its pupils: hidden when
        it is computed over a hidden count."""
        return not self.hides(pupils)
