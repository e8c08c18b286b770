"""Exact money: integer cents, half-up shares, and amounts written for people."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pumpurs.core.money import (
    cents_to_decimal,
    cents_to_float,
    format_eur,
    round_half_up,
    share_half_up,
    to_cents,
)

NB = "\u00a0"


@pytest.mark.parametrize(
    ("value", "cents"),
    [
        ("70.00", 7000),
        ("70", 7000),
        (Decimal("0.1"), 10),
        (Decimal("1234.56"), 123456),
        (12, 1200),
        ("-3.5", -350),
        ("39812376.00", 3981237600),
    ],
)
def test_to_cents(value: object, cents: int) -> None:
    assert to_cents(value) == cents  # type: ignore[arg-type]


def test_to_cents_refuses_more_than_two_decimals() -> None:
    with pytest.raises(ValueError, match=r"^70\.005 has more than two decimals$"):
        to_cents("70.005")


def test_cents_back_to_euros() -> None:
    assert cents_to_decimal(7000) == Decimal("70.00")
    assert str(cents_to_decimal(7000)) == "70.00"
    assert str(cents_to_decimal(-5)) == "-0.05"
    assert cents_to_float(123456) == 1234.56
    assert cents_to_float(30) == 0.3  # not 0.30000000000000004
    assert cents_to_float(10) + cents_to_float(20) != 0.3  # why we never add floats


def test_share_half_up_where_binary_floats_fail() -> None:
    # 4 907,30 EUR × 85 % = 4 171,205 EUR: exactly half a cent, so half-up gives 4 171,21
    cents = 490730
    assert Decimal(cents) * Decimal("0.85") == Decimal("417120.50")
    assert share_half_up(np.array([cents]), Decimal("0.85")).tolist() == [417121]
    # what float arithmetic gives: Python's round() and numpy round half to even
    assert cents * 0.85 == 417120.5
    assert round(cents * 0.85) == 417120
    assert int(np.round(cents * 0.85)) == 417120
    # 15,00 EUR × 0,9 % = 0,135 EUR: the float product is just below the half cent
    assert 1500 * 0.009 == 13.499999999999998
    assert int(np.floor(1500 * 0.009 + 0.5)) == 13
    assert share_half_up(np.array([1500]), Decimal("0.009")).tolist() == [14]


def test_share_half_up_vector_and_series() -> None:
    cents = pd.Series([0, 1, 10, 50, 490730, 3981237600], dtype="int64")
    assert share_half_up(cents, Decimal("0.85")).tolist() == [0, 1, 9, 43, 417121, 3384051960]
    assert share_half_up(cents, Decimal("0.15")).tolist() == [0, 0, 2, 8, 73610, 597185640]
    assert share_half_up([7000], Decimal("1")).tolist() == [7000]  # type: ignore[arg-type]
    assert share_half_up([7000], Decimal("0")).tolist() == [0]  # type: ignore[arg-type]


def test_share_half_up_refuses_negative_cents() -> None:
    with pytest.raises(ValueError, match="^share_half_up expects non-negative cents$"):
        share_half_up(np.array([100, -1]), Decimal("0.85"))


@settings(deadline=None)
@given(
    cents=st.integers(min_value=0, max_value=10**12),
    rate=st.decimals(min_value=0, max_value=1, places=4, allow_nan=False, allow_infinity=False),
)
def test_share_half_up_matches_decimal_and_the_rest_adds_up(cents: int, rate: Decimal) -> None:
    share = int(share_half_up(np.array([cents]), rate)[0])
    exact = (Decimal(cents) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    assert share == int(exact)
    assert share + (cents - share) == cents
    assert 0 <= share <= cents


def test_the_programme_rate_splits_the_budget_exactly() -> None:
    total = 3981237600
    esf = int(share_half_up(np.array([total]), Decimal("0.85"))[0])
    assert esf == 3384051960  # 33 840 519,60 EUR
    assert total - esf == 597185640


@pytest.mark.parametrize(
    ("cents", "lv", "en"),
    [
        (123456, f"1{NB}234,56{NB}€", "€1,234.56"),
        (0, f"0,00{NB}€", "€0.00"),
        (5, f"0,05{NB}€", "€0.05"),
        (7000, f"70,00{NB}€", "€70.00"),
        (123456789, f"1{NB}234{NB}567,89{NB}€", "€1,234,567.89"),
        (3981237600, f"39{NB}812{NB}376,00{NB}€", "€39,812,376.00"),
        (-123456, f"-1{NB}234,56{NB}€", "-€1,234.56"),
    ],
)
def test_format_eur(cents: int, lv: str, en: str) -> None:
    assert format_eur(cents, "lv") == lv
    assert format_eur(cents) == lv  # Latvian by default
    assert format_eur(cents, "en") == en


@settings(deadline=None)
@given(st.integers(min_value=-(10**13), max_value=10**13))
def test_format_eur_lv_reads_back(cents: int) -> None:
    text = format_eur(cents, "lv")
    assert text.endswith(f"{NB}€")
    number = text[: -len(f"{NB}€")].replace(NB, "").replace(",", ".")
    assert to_cents(number) == cents


def test_round_half_up() -> None:
    assert round_half_up(Decimal("0.125")) == Decimal("0.13")
    assert round_half_up(Decimal("0.135")) == Decimal("0.14")
    assert round_half_up(Decimal("-0.125")) == Decimal("-0.13")
    assert round(0.125, 2) == 0.12  # the float answer this replaces
