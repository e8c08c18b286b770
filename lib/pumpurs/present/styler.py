"""A table in a notebook as a reader in Latvia expects it: `pumpurs.style(frame)`.

The numbers stay numbers (a pandas `Styler` only formats what it shows), so the same
frame can still be sorted, summed and exported. Euros are "1 234,56 €", shares "87,5 %",
counts "21 732", dates "31.12.2023", a missing value "–" (text: empty), headers and codes
(categories, rules, roles) in words; in English with `lang="en"`. The words and number
forms are the reports' own (present/fmt.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import Any

import pandas as pd
from pandas.io.formats.style import Styler

from pumpurs.present.fmt import (
    CODE_COLUMNS,
    check_lang,
    column_label,
    fmt_date,
    fmt_eur,
    fmt_int,
    fmt_month,
    fmt_num,
    fmt_pct,
    fmt_semester,
    fmt_value,
    is_missing,
    is_share_column,
    translate,
)

_TABLES = itertools.count(1)


def _whole(value: Any) -> bool:
    return not is_missing(value) and float(value).is_integer()


def _formatter(name: str, dtype: Any, lang: str, money: bool) -> tuple[Callable[[Any], str], bool]:
    """How one column's cells are written, and whether they are numbers (right-aligned)."""
    if name.endswith("_eur") or money:
        return (lambda v: fmt_eur(None if is_missing(v) else round(float(v) * 100), lang)), True
    if name.endswith("_cents"):
        return (lambda v: fmt_eur(v, lang)), True
    if is_share_column(name):
        return (lambda v: fmt_pct(v, lang)), True
    if pd.api.types.is_bool_dtype(dtype):
        return (lambda v: fmt_value(v, lang) if not is_missing(v) else ""), False
    if pd.api.types.is_integer_dtype(dtype):
        return (lambda v: fmt_int(v, lang)), True
    if pd.api.types.is_float_dtype(dtype):  # a whole number (a count, a target) as one
        return (lambda v: fmt_int(v, lang) if _whole(v) else fmt_num(v, lang, 2)), True
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return (lambda v: fmt_date(v, lang)), False
    if name in CODE_COLUMNS:
        return (lambda v: translate(v, lang)), False
    if name in ("month", "service_month"):
        return (lambda v: "" if is_missing(v) else fmt_month(str(v), lang)), False
    if name == "semester":
        return (lambda v: fmt_semester(v, lang)), False
    return (lambda v: fmt_value(v, lang)), False


def style(
    frame: pd.DataFrame, lang: str = "lv", index: bool = False, eur: Iterable[Any] = ()
) -> Styler:
    """`frame` formatted for reading (see the module docstring). `index=True` shows the
    index (a groupby's or pivot's keys); `eur` names more columns that hold euros (a
    pivot's columns are its keys, not `*_eur`)."""
    check_lang(lang)
    money = set(eur)
    named = frame.rename_axis(  # the axes' names (a pivot's keys) in words too
        index=[None if n is None else column_label(str(n), lang) for n in frame.index.names],
        columns=[None if n is None else column_label(str(n), lang) for n in frame.columns.names],
    )
    # ids of the table's cells: numbered, so a rerun shows the same HTML (pandas draws a
    # random one), and two tables on one page never share one
    styler = named.style.set_uuid(f"pumpurs{next(_TABLES)}")
    numbers: list[Any] = []
    texts: list[Any] = []
    for col in named.columns:
        write, is_number = _formatter(str(col), named[col].dtype, lang, col in money)
        styler = styler.format(write, subset=[col])
        (numbers if is_number else texts).append(col)
    for cols, align in ((numbers, "right"), (texts, "left")):
        if cols:
            styler = styler.set_properties(subset=cols, **{"text-align": align})
    styler = styler.format_index(lambda c: column_label(str(c), lang), axis=1)
    styler = styler.set_table_styles(
        [{"selector": "th.col_heading", "props": [("text-align", "center")]}], overwrite=False
    )
    if index and frame.index.nlevels == 1:
        write, _ = _formatter(str(frame.index.name), frame.index.dtype, lang, False)
        styler = styler.format_index(write, axis=0)
    elif index:
        styler = styler.format_index(lambda v: translate(v, lang), axis=0)
    else:
        styler = styler.hide(axis="index")
    return styler
