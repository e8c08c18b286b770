"""The audience policy: every privacy decision in one place (pumpurs.report.audience)."""

from __future__ import annotations

import pandas as pd
import pytest

from pumpurs.core.errors import UsageError
from pumpurs.report.audience import Audience


def test_internal_sees_everything_and_hides_nothing() -> None:
    a = Audience("internal")
    assert not a.is_public and a.sees_pupil_rows and a.sees_error_details
    assert a.allowed_columns(["rule", "student_id", "plan_id"]) == ["rule", "student_id", "plan_id"]
    assert not a.hides(1)
    t = pd.DataFrame({"school": ["A", "B"], "pupils": [1, 7]})
    assert a.suppress(t, ["pupils"]) is t


@pytest.mark.parametrize("min_count", [5, 10])
def test_public_hides_every_count_below_the_threshold(min_count: int) -> None:
    a = Audience("public", min_count)
    assert a.mark == f"<{min_count}"
    assert [n for n in range(0, 20) if a.hides(n)] == list(range(1, min_count))
    assert a.count_text(3, "3") == f"<{min_count}" and a.count_text(0, "0") == "0"
    assert a.allowed_columns(["rule", "student_id", "plan_id", "entry_ids"]) == ["rule"]
    assert not a.sees_pupil_rows and not a.sees_error_details and not a.sees_local_paths


def test_threshold_of_ten_suppresses_counts_five_to_nine() -> None:
    """With publishing.min_count 10, counts 5-9 must not be published (a 5 was, before)."""
    t = pd.DataFrame({"school": ["A", "B", "C", "D"], "pupils": [5, 9, 12, 40]})
    shown = Audience("public", 10).suppress(t, ["pupils"])
    assert shown["pupils"].tolist()[:2] == ["<10", "<10"]
    assert not any(isinstance(v, int) and 0 < v < 10 for v in shown["pupils"])


def test_of_takes_the_programme_threshold(programme) -> None:
    a = Audience.of("public", programme)
    assert a.min_count == programme.publishing.min_count
    assert Audience.of(a) is a


def test_unknown_audience_is_a_usage_error() -> None:
    with pytest.raises(
        UsageError, match='audience "press" is not valid; use one of: internal, public'
    ):
        Audience("press")
