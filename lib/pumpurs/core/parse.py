"""Parsing a column's text into typed values, vectorised: amounts into integer cents,
dates, months, whole numbers, numbers, semesters, school years and vocabularies. Each
parser returns the values and its failing rows (`Bad`), each with the sentence a reader
sees and the problem's stable code (core/errors.py `PROBLEM_CODES`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pumpurs.core.contract import YEARS, Col

MONEY_HINT = "is not an amount in EUR (expected e.g. 12,50 or 12.50)"
DATE_HINT = "is not a date (expected DD.MM.YYYY or YYYY-MM-DD, e.g. 22.11.2019)"
FORMULA_HINT = (
    "starts with a character a spreadsheet runs as a formula (=, +, -, @); "
    "an id starts with a letter or a digit"
)
ZERO_AMOUNT = (
    "is zero; a row pays an amount, and a correction (credit note, storno) is a negative "
    "amount that names the row it corrects in corrects_entry_id"
)
YEAR_HINT = f"is outside the years {YEARS[0]}–{YEARS[1]} (check the year)"
# Control characters are refused (NUL, ESC, ...). Free text may keep the line breaks and
# tabs that Excel puts in a cell (Alt+Enter); ids, codes, numbers and dates may not.
CONTROL_RE = r"[\x00-\x1f\x7f-\x9f]"
TEXT_CONTROL_RE = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"


@dataclass
class Bad:
    """A column's failing rows: a boolean mask, the sentence for them and its code."""

    mask: np.ndarray
    message: str
    code: str


# ---------------------------------------------------------------------------
# Vectorised parsers: each returns (values, [Bad, ...])
# ---------------------------------------------------------------------------
def parse_money(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
    clean = s.str.replace(r"^(?:€|EUR)\s*|\s*(?:€|EUR)$", "", regex=True, case=False)
    # a space or no-break space is dropped only as a thousands separator (before 3 digits)
    clean = clean.str.replace(r"(?<=[0-9])[ \u00a0](?=[0-9]{3}(?:[^0-9]|$))", "", regex=True)
    parts = clean.str.extract(r"^(?P<sign>[+-]?)(?P<whole>[0-9]{1,15})(?:[.,](?P<frac>[0-9]+))?$")
    ok = parts["whole"].notna().to_numpy()
    frac = parts["frac"].fillna("")
    too_precise = ok & (frac.str.len() > 2).to_numpy()
    good = ok & ~too_precise
    cents = np.zeros(len(s), dtype=np.int64)
    if good.any():
        whole = parts.loc[good, "whole"].astype("int64").to_numpy()
        f = frac[good].str.ljust(2, "0").replace("", "00").astype("int64").to_numpy()
        sign = np.where(parts.loc[good, "sign"].to_numpy() == "-", -1, 1)
        cents[good] = sign * (whole * 100 + f)
    values = pd.Series(cents, index=s.index).astype("Int64").where(good, pd.NA)
    return values, [
        Bad(~ok, MONEY_HINT, "bad_amount"),
        Bad(
            too_precise,
            "has more than two decimals (expected cents at most, e.g. 12,50)",
            "too_many_decimals",
        ),
    ]


def parse_date(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
    iso = s.str.extract(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
    lv = s.str.extract(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
    y = iso[0].fillna(lv[2])
    m = iso[1].fillna(lv[1])
    d = iso[2].fillna(lv[0])
    shaped = y.notna().to_numpy()
    parts = pd.DataFrame(
        {
            "year": pd.to_numeric(y, errors="coerce"),
            "month": pd.to_numeric(m, errors="coerce"),
            "day": pd.to_numeric(d, errors="coerce"),
        }
    )
    out_of_range = shaped & ~parts["year"].between(*YEARS).to_numpy()
    parts.loc[out_of_range, "year"] = np.nan
    values = pd.to_datetime(parts, errors="coerce").astype("datetime64[ns]")
    unreal = shaped & ~out_of_range & values.isna().to_numpy()
    return values, [
        Bad(~shaped, DATE_HINT, "bad_date"),
        Bad(out_of_range, YEAR_HINT, "year_out_of_range"),
        Bad(unreal, "is not a real date (no such day in the calendar)", "unreal_date"),
    ]


def parse_month(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
    iso = s.str.extract(r"^([0-9]{4})-([0-9]{1,2})(?:-01)?$")
    lv = s.str.extract(r"^(?:01\.)?([0-9]{1,2})\.([0-9]{4})$")
    y = iso[0].fillna(lv[1])
    m = pd.to_numeric(iso[1].fillna(lv[0]), errors="coerce")
    shaped = (y.notna() & m.between(1, 12)).to_numpy()
    in_range = pd.to_numeric(y, errors="coerce").between(*YEARS).to_numpy()
    ok = shaped & in_range
    out = y.fillna("0000") + "-" + m.fillna(0).astype("int64").astype(str).str.zfill(2)
    return out.where(ok, ""), [
        Bad(~shaped, "is not a month (expected YYYY-MM, e.g. 2020-03)", "bad_month"),
        Bad(shaped & ~in_range, YEAR_HINT, "year_out_of_range"),
    ]


def parse_int(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
    m = s.str.extract(r"^([0-9]{1,9})(?:\.0+)?$")[0]
    ok = m.notna().to_numpy()
    return pd.to_numeric(m, errors="coerce").astype("Int64"), [
        Bad(~ok, "is not a whole number (expected e.g. 7)", "bad_whole_number")
    ]


def parse_number(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
    t = s.str.replace(",", ".", regex=False)
    ok_shape = t.str.fullmatch(r"[0-9]+(\.[0-9]+)?").fillna(False).to_numpy()
    values = pd.to_numeric(t.where(ok_shape, None), errors="coerce").astype("float64")
    return values, [Bad(~ok_shape, "is not a number (expected e.g. 1,5 or 1.5)", "bad_number")]


def _years(s: pd.Series, pattern: str, hint: str, code: str) -> tuple[pd.Series, list[Bad]]:
    parts = s.str.extract(pattern)
    shaped = parts[0].notna().to_numpy()
    y1 = pd.to_numeric(parts[0], errors="coerce")
    y2 = pd.to_numeric(parts[1], errors="coerce")
    consecutive = (y2 == y1 + 1).to_numpy()
    in_range = y1.between(*YEARS).to_numpy()
    return s.where(shaped & consecutive & in_range, ""), [
        Bad(~shaped, f"is not {hint}", code),
        Bad(
            shaped & ~consecutive,
            "has years that do not follow each other (expected e.g. 2019/2020)",
            "years_not_consecutive",
        ),
        Bad(shaped & consecutive & ~in_range, YEAR_HINT, "year_out_of_range"),
    ]


def parse_semester(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
    return _years(
        s,
        r"^([0-9]{4})/([0-9]{4})-[12]$",
        "a semester (expected e.g. 2019/2020-1 or 2019/2020-2)",
        "bad_semester",
    )


def parse_school_year(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
    return _years(
        s,
        r"^([0-9]{4})/([0-9]{4})$",
        "a school year (expected e.g. 2019/2020)",
        "bad_school_year",
    )


def parse_enum(col: Col) -> Callable[[pd.Series], tuple[pd.Series, list[Bad]]]:
    def parse(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
        low = s.str.lower()
        ok = low.isin(col.choices).to_numpy()
        return low, [Bad(~ok, f"is not one of: {', '.join(col.choices)}", "bad_choice")]

    return parse


Parser = Callable[[pd.Series], tuple[pd.Series, list[Bad]]]


def on_distinct(parse: Parser) -> Parser:
    """Parse each distinct text once and map back: a ledger repeats its dates and months."""

    def wrapped(s: pd.Series) -> tuple[pd.Series, list[Bad]]:
        codes, uniques = pd.factorize(s, use_na_sentinel=False)
        values, bads = parse(pd.Series(uniques, dtype=s.dtype))
        out = values.iloc[codes]
        out.index = s.index
        return out, [Bad(np.asarray(b.mask, dtype=bool)[codes], b.message, b.code) for b in bads]

    return wrapped


PARSERS: dict[str, Parser] = {
    "money": parse_money,
    "date": parse_date,
    "month": parse_month,
    "int": parse_int,
    "number": parse_number,
    "semester": parse_semester,
    "school_year": parse_school_year,
}
