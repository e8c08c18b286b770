"""Exact money: amounts are held as integer cents; floats never touch a euro."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

CENT = Decimal("0.01")
NBSP = "\u00a0"


def to_cents(value: Decimal | str | int) -> int:
    """Decimal euros -> integer cents; refuses more than two decimals."""
    d = Decimal(str(value))
    cents = d * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{value} has more than two decimals")
    return int(cents)


def cents_to_decimal(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def cents_to_float(cents: int) -> float:
    """For JSON: a number with at most two decimals (exact via the decimal string)."""
    return float(cents_to_decimal(cents))


def share_half_up(cents: pd.Series | np.ndarray, rate: Decimal) -> np.ndarray:
    """cents × rate rounded half-up to the cent, in exact integer arithmetic.

    The rate is turned into a fraction num/den (0.85 -> 85/100); then
    floor((2·c·num + den) / (2·den)) is half-up for non-negative c.
    """
    num, den = Decimal(rate).as_integer_ratio()
    c = np.asarray(cents, dtype=np.int64)
    if np.any(c < 0):
        raise ValueError("share_half_up expects non-negative cents")
    return (2 * c * num + den) // (2 * den)


def format_eur(cents: int, lang: str = "lv") -> str:
    """1234.56 € (lv: '1 234,56 €', en: '€1,234.56')."""
    d = cents_to_decimal(cents)
    sign = "-" if d < 0 else ""
    whole, frac = f"{abs(d):.2f}".split(".")
    groups = f"{int(whole):,}"
    if lang == "lv":
        return sign + groups.replace(",", NBSP) + "," + frac + NBSP + "€"
    return f"{sign}€{groups}.{frac}"


def round_half_up(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)
