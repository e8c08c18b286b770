"""Numbers, dates and labels as a reader of a report expects them, in Latvian or English.

Latvian is the default: reports go to municipalities' project managers. Everything a
report shows goes through here, so a table, a chart and a workbook say the same thing
the same way ("1 234,56 €", "87,5 %", "31.12.2023"). Machine formats (JSON, CSV) keep the
English ids and never use this module.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from pumpurs.core.contract import CATEGORIES as _CATEGORIES
from pumpurs.core.contract import INDICATORS, RULE_IDS, SPECIALIST_ROLES  # noqa: F401  (re-exported)
from pumpurs.core.errors import UsageError
from pumpurs.core.money import NBSP, format_eur
from pumpurs.present.texts import CATALOGUE, text

LANGS = ("lv", "en")
MISSING = "–"  # shown for a missing number; a missing text is shown as ""

# Columns whose *values* are ids with a label (category codes, roles, rule ids, ...).
CODE_COLUMNS = frozenset(
    {
        "category",
        "rule",
        "severity",
        "specialist_role",
        "author_role",
        "indicator",
        "level",
        "kind",
        "status",
    }
)

# The words for ids (columns, categories, rules, ...) live in the text catalogue.
LABELS = CATALOGUE

# Codes in the order reports list them (the vocabularies live in contract.py).
CATEGORIES = _CATEGORIES
ROLES = SPECIALIST_ROLES
RULES = RULE_IDS

_SUFFIX_RE = re.compile(r"_(eur|cents)$")


def check_lang(lang: str) -> str:
    """Fail early, naming the choices, rather than silently print the wrong language."""
    if lang not in LANGS:
        raise UsageError(f'"{lang}" is not a report language; use lv or en')
    return lang


def has_label(key: str) -> bool:
    return key in LABELS or _SUFFIX_RE.sub("", key) in LABELS


def label(key: str, lang: str = "lv", default: str | None = None) -> str:
    """The reader's word for an id; `declared_eur`/`declared_cents` find `declared`.

    An unknown key gives `default`, or the key itself, so a new column never breaks a
    report; it just shows its id until a label is added here.
    """
    i = LANGS.index(check_lang(lang))
    if key in LABELS:
        return LABELS[key][i]
    stem = _SUFFIX_RE.sub("", key)
    if stem in LABELS:
        return LABELS[stem][i]
    return key if default is None else default


def is_missing(value: Any) -> bool:
    """None, NaN, NA and NaT alike: pandas 3 mixes them, a report shows none of them."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a scalar missing value
        return False


def _group(digits: str, sep: str) -> str:
    out: list[str] = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def fmt_eur(cents: Any, lang: str = "lv") -> str:
    """Integer cents as money: lv '1 234,56 €' (non-breaking spaces), en '€1,234.56'."""
    check_lang(lang)
    if is_missing(cents):
        return MISSING
    if isinstance(cents, str):
        return cents  # an already suppressed or formatted cell
    if isinstance(cents, float) and not cents.is_integer():
        raise ValueError(f"{cents} is not a whole number of cents")
    return format_eur(int(cents), lang)


def fmt_int(n: Any, lang: str = "lv") -> str:
    """lv '21 732' (non-breaking space), en '21,732'."""
    check_lang(lang)
    if is_missing(n):
        return MISSING
    if isinstance(n, str):
        return n
    value = int(round(float(n))) if isinstance(n, float | Decimal) else int(n)
    sign = "-" if value < 0 else ""
    return sign + _group(str(abs(value)), NBSP if lang == "lv" else ",")


def fmt_num(x: Any, lang: str = "lv", digits: int = 1) -> str:
    """A decimal number with a fixed number of digits: lv '1 234,5', en '1,234.5'."""
    check_lang(lang)
    if is_missing(x):
        return MISSING
    if isinstance(x, str):
        return x
    text = f"{abs(float(x)):.{digits}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if float(x) < 0 and float(text) != 0 else ""
    grouped = _group(whole, NBSP if lang == "lv" else ",")
    if not frac:
        return sign + grouped
    return sign + grouped + ("," if lang == "lv" else ".") + frac


def fmt_pct(x: Any, lang: str = "lv", digits: int = 1) -> str:
    """A share (0.875) as a percentage: lv '87,5 %' (non-breaking space), en '87.5%'."""
    check_lang(lang)
    if is_missing(x):
        return MISSING
    if isinstance(x, str):
        return x
    value = float(x)
    if math.isinf(value):
        return MISSING
    number = fmt_num(value * 100, lang, digits)
    return number + (NBSP + "%" if lang == "lv" else "%")


def _as_date(d: Any) -> dt.date:
    if isinstance(d, pd.Timestamp):
        return d.date()
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    if isinstance(d, str):
        return dt.date.fromisoformat(d.strip()[:10])
    return pd.Timestamp(d).date()


def fmt_date(d: Any, lang: str = "lv") -> str:
    """lv DD.MM.YYYY, en YYYY-MM-DD; a missing date is an empty cell."""
    check_lang(lang)
    if is_missing(d):
        return ""
    day = _as_date(d)
    return day.strftime("%d.%m.%Y") if lang == "lv" else day.isoformat()


def fmt_month(month: str, lang: str = "lv") -> str:
    """'2020-03' -> lv '03.2020', en '2020-03' (the way each language writes a month)."""
    check_lang(lang)
    if is_missing(month):
        return ""
    text = str(month)
    return f"{text[5:7]}.{text[:4]}" if lang == "lv" and len(text) == 7 else text


def fmt_month_words(month: str, lang: str = "lv", case: str = "") -> str:
    """'2023-12' -> lv '2023. gada decembris', en 'December 2023': a month in a sentence.
    Latvian declines the month: `case` "loc" ('decembrī': in it), "dat" ('decembrim': by it)."""
    check_lang(lang)
    if is_missing(month) or not re.match(r"^\d{4}-\d{2}$", str(month)):
        return "" if is_missing(month) else str(month)
    year, number = str(month)[:4], int(str(month)[5:7])
    name = text(f"month.names{'_' + case if case else ''}", lang).split("|")[number - 1]
    return f"{year}. gada {name}" if lang == "lv" else f"{name} {year}"


def fmt_date_words(d: Any, lang: str = "lv", case: str = "") -> str:
    """A date in a sentence: lv '2021. gada 30. jūnijs' (`case` "dat": '… 30. jūnijam',
    after "līdz"; "loc": '… 30. jūnijā'), en '30 June 2021'."""
    check_lang(lang)
    if is_missing(d):
        return ""
    day = _as_date(d)
    name = text(f"month.names{'_' + case if case else ''}", lang).split("|")[day.month - 1]
    return f"{day.year}. gada {day.day}. {name}" if lang == "lv" else f"{day.day} {name} {day.year}"


def fmt_semester_words(semester: str, lang: str = "lv", case: str = "") -> str:
    """'2019/2020-2' -> lv '2019./2020. m. g. 2. semestris', en '2019/2020 school year,
    semester 2': a semester in words, as a CSV or a workbook cell names it. In a sentence
    Latvian declines it: `case` "dat" ('… 2. semestrim'), "gen" ('… 2. semestra'), "loc"
    ('… 2. semestrī'); English reads 'semester 2 of the 2019/2020 school year' there."""
    check_lang(lang)
    if is_missing(semester):
        return ""
    m = re.match(r"^(\d{4})/(\d{4})-([12])$", str(semester))
    if not m:
        return str(semester)
    first, second, n = m.groups()
    key = f"period.semester_words{'_' + case if case else ''}"
    return text(key, lang).format(first=first, second=second, n=n)


def fmt_semester(semester: str, lang: str = "lv") -> str:
    """'2019/2020-1' -> lv '2019/20 1. sem.', en '2019/20 S1' (short, for axes and headers)."""
    check_lang(lang)
    if is_missing(semester):
        return ""
    text = str(semester)
    m = re.match(r"^(\d{4})/\d{2}(\d{2})-([12])$", text)
    if not m:
        return text
    year = f"{m.group(1)}/{m.group(2)}"
    return f"{year} {m.group(3)}. sem." if lang == "lv" else f"{year} S{m.group(3)}"


def fmt_period(period: str, lang: str = "lv") -> str:
    """'2023-H2' -> lv '2023. gada 2. pusgads', en 'second half of 2023' (a reporting
    period in words, as a report names it)."""
    check_lang(lang)
    m = re.match(r"^(\d{4})-H([12])$", str(period))
    if not m:
        return str(period)
    year, half = m.group(1), m.group(2)
    return text("period.half", lang).format(year=year, half=text(f"period.half_{half}", lang))


def fmt_value(value: Any, lang: str = "lv") -> str:
    """Any other cell: text as is, missing as "", ids in tuples joined with commas.

    Integers are not grouped here (a year or a grade is not a quantity); list count
    columns in `ints` to group them.
    """
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return {True: ("jā", "yes"), False: ("nē", "no")}[bool(value)][LANGS.index(lang)]
    if is_missing(value):
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return fmt_date(value, lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an int column upcast by a missing value; years stay '2020'
    if isinstance(value, float | Decimal):
        return fmt_num(value, lang, 2)
    return str(value)


def translate(value: Any, lang: str = "lv") -> str:
    """A code value (category, role, rule id, ...) as a label; other values unchanged."""
    if is_missing(value):
        return ""
    text = str(value)
    return label(text, lang) if text in LABELS else text


def column_label(column: str, lang: str = "lv") -> str:
    """A column header: `eligible_cents` -> 'Attiecināms'; unknown names stay as they are."""
    return label(str(column), lang)


def is_share_column(name: str) -> bool:
    """Columns holding shares by convention (absorption, continued_share, *_share)."""
    return name in ("absorption", "share", "share_of_cap") or name.endswith("_share")


def format_table(
    df: pd.DataFrame,
    lang: str = "lv",
    money: Iterable[str] = (),
    ints: Iterable[str] = (),
    pcts: Iterable[str] = (),
    dates: Iterable[str] = (),
    labels: bool = True,
    translate_values: bool = True,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of `df` holding display strings only, headers translated.

    Money columns hold integer cents; columns ending in `_cents` are money even when not
    listed. Percent columns hold shares (0.875); absorption and `*_share` columns are
    percentages even when not listed. Strings already in a number column
    (e.g. '<5' from privacy.suppress_counts) are kept. Nothing shows a Python repr:
    missing numbers are '–', missing text and dates are ''. Code columns (category,
    rule, role, ...) show their labels when `translate_values`. `rename` overrides
    headers.
    """
    check_lang(lang)
    money_set, int_set, pct_set, date_set = set(money), set(ints), set(pcts), set(dates)
    unknown = (money_set | int_set | pct_set | date_set) - {str(c) for c in df.columns}
    if unknown:
        raise ValueError(f"format_table: no such columns: {sorted(unknown)}")
    money_set |= {str(c) for c in df.columns if str(c).endswith("_cents")}
    pct_set |= {str(c) for c in df.columns if is_share_column(str(c))} - money_set - int_set
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        name = str(col)
        values = df[col].tolist()
        if name in money_set:
            shown = [fmt_eur(v, lang) for v in values]
        elif name in pct_set:
            shown = [fmt_pct(v, lang) for v in values]
        elif name in int_set:
            shown = [fmt_int(v, lang) for v in values]
        elif name in date_set:
            shown = [fmt_date(v, lang) if not isinstance(v, str) or v else "" for v in values]
        elif translate_values and name in CODE_COLUMNS:
            shown = [translate(v, lang) for v in values]
        elif name in ("month", "service_month"):
            shown = [fmt_month(v, lang) if not is_missing(v) else "" for v in values]
        elif name == "semester":  # a table names it in words; a chart's axis is short
            shown = [fmt_semester_words(v, lang) for v in values]
        else:
            shown = [fmt_value(v, lang) for v in values]
        out[col] = pd.Series(shown, index=df.index, dtype=object)
    if labels:
        headers = {c: column_label(str(c), lang) for c in out.columns}
        if rename:
            headers.update(rename)
        out.columns = [headers[c] for c in out.columns]
    elif rename:
        out = out.rename(columns=dict(rename))
    return out


NUMERIC_CELL_RE = re.compile(
    r"^[\s\u00a0\u202f]*[-−+<>]?[\s\u00a0\u202f]*(€\s?)?[\d\s\u00a0\u202f.,]*\d[\d\s\u00a0\u202f.,]*"
    r"[\s\u00a0\u202f]*(%|€|k €|tūkst\. €)?[\s\u00a0\u202f]*$|^[\s]*[–x][\s]*$"
)


def looks_numeric(text: str) -> bool:
    """A formatted number, money, percentage, '<5', '–' or 'x': right-aligned in tables."""
    return bool(NUMERIC_CELL_RE.match(text))


def table_html(
    display: pd.DataFrame,
    caption: str | None = None,
    total_row: bool = False,
    wide: bool = False,
    compact: bool = False,
) -> str:
    """A display table (from format_table) as plain HTML: no index, numbers right-aligned.

    Notebooks show it with `IPython.display.HTML(...)`; the report's CSS styles the
    `pumpurs-table` class. `total_row` makes the last row bold; `compact` sets a long
    table closer and smaller, so a page holds every municipality; `wide` (the correction
    annex) fixes its columns' widths on paper and stacks each row as a card on a phone.
    """
    esc = html.escape
    cols = [str(c) for c in display.columns]
    numeric = []
    for c in display.columns:
        texts = [str(v) for v in display[c].tolist() if str(v).strip()]
        numeric.append(bool(texts) and all(looks_numeric(v) for v in texts))
    classes = ["pumpurs-table", *(["wide"] if wide else []), *(["compact"] if compact else [])]
    parts = [f'<table class="{" ".join(classes)}">']
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    head = "".join(
        f'<th class="num">{esc(c)}</th>' if n else f"<th>{esc(c)}</th>"
        for c, n in zip(cols, numeric, strict=True)
    )
    parts.append(f"<thead><tr>{head}</tr></thead><tbody>")
    rows = display.astype(object).values.tolist()
    # A wide table is a stack of cards on a phone (report.css): each cell names its column.
    named = [f' data-label="{esc(c)}"' if wide else "" for c in cols]
    for i, row in enumerate(rows):
        cls = ' class="total"' if total_row and i == len(rows) - 1 else ""
        cells = "".join(
            f'<td class="num"{d}>{esc(fmt_value(v))}</td>'
            if n
            else f"<td{d}>{esc(fmt_value(v))}</td>"
            for v, n, d in zip(row, numeric, named, strict=True)
        )
        parts.append(f"<tr{cls}>{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
