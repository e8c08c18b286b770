"""The library's tables as an analyst receives them: plain pandas, euros, NA for missing.

Inside the library money is integer cents and a missing id is "" (exact sums, simple
joins). An analyst gets the same tables in the dtypes pandas users expect:

- money: every `*_cents` column becomes `*_eur`, dtype `Float64`, the cents divided by
  100 (IEEE division is correctly rounded, so each value is the double nearest to its
  exact amount and prints as it). Sums stay exact to the cent: a float sum of N amounts
  errs by less than N·2⁻⁵³ of the sum's size, far below half a cent for any sum this
  programme can reach, so `round(x, 2)` is the exact amount. (Decimal columns were
  tried: pandas' `describe`, `cumsum` and `nlargest` refuse them.) Totals computed by the
  library are summed in cents before they become euros. Exports for BI tools
  (`to_arrow`) write DECIMAL(18, 2), exact in any tool.
- missing: NA (`string`, `Int64`, `Float64`, `boolean`, categorical), NaT for a date;
  never "" or NaN.
- text: ids and free text (entry_id, partner_id, school_id, student_id, names,
  document_ref, …) are `string`; words from a vocabulary or a calendar (municipality,
  category, semester, half_year, rule, severity, …) are categoricals, in the order the
  programme lists them where it has one (categories, rules), else in Latvian
  alphabetical order (Ādaži after Aizkraukle, not after Ziemeļkurzeme).
- no internal columns: a column whose name starts with "_" (a file's row number) is
  left out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa

from pumpurs.core.contract import CATEGORIES, INDICATORS, RULE_IDS
from pumpurs.report.overview import latvian_order

CATEGORICAL = frozenset(
    {
        "municipality",
        "municipality_code",
        "category",
        "service_month",
        "semester",
        "school_year",
        "half_year",
        "specialist_role",
        "author_role",
        "level",
        "kind",
        "status",
        "rule",
        "severity",
        "indicator",
        "comparison",
        "plan_level",
    }
)
"""Columns whose values come from a vocabulary or the calendar: categoricals."""
ORDER: dict[str, Sequence[str]] = {
    "category": CATEGORIES,
    "rule": RULE_IDS,
    "severity": ("error", "warning"),
    "indicator": INDICATORS,
}
"""Categories in the programme's own order where it has one (the rest sorted)."""
NUMERIC_TEXT = frozenset({"esf_rate"})
"""Numbers the library keeps as text (the ESF rate in force, "0.85"): `Float64` here."""


def euro_name(column: str) -> str:
    """`eligible_cents` -> `eligible_eur`; other names unchanged."""
    return column[: -len("_cents")] + "_eur" if column.endswith("_cents") else column


def cents_to_eur(values: pd.Series | np.ndarray) -> pd.Series | pd.arrays.FloatingArray:
    """Integer cents (NA allowed) as euros, `Float64`: each the double nearest the amount."""
    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    ints = s.astype("Int64")
    data = ints.to_numpy(dtype="float64", na_value=np.nan) / 100.0
    out = pd.array(data, dtype="Float64")
    out[ints.isna().to_numpy()] = pd.NA
    return pd.Series(out, index=s.index, name=euro_name(str(s.name))) if s.name else out


def eur_to_cents(values: pd.Series) -> pd.Series:
    """The exact cents of a `*_eur` column (rounding removes the float's last bits)."""
    return (values.astype("Float64") * 100).round().astype("Int64")


def _text(s: pd.Series) -> pd.Series:
    """Text with "" (and NaN/None) as NA, dtype `string`."""
    out = s.astype("string")
    return out.mask(out == "", pd.NA)


def _categorical(name: str, s: pd.Series) -> pd.Series:
    """A vocabulary column as a categorical without "" (NA instead), worked on its few
    categories rather than its rows."""
    cat = s if isinstance(s.dtype, pd.CategoricalDtype) else s.astype("category")
    seen = {str(c) for c in cat.cat.categories}
    if "" in seen:
        cat = cat.cat.remove_categories([""])
    order = list(ORDER.get(name, ()))
    rest = sorted(seen - set(order) - {""}, key=latvian_order)  # Ā after A, not after Z
    return cat.cat.set_categories([*order, *rest])


def _number(s: pd.Series) -> pd.Series:
    """Numbers written as text ("0.85") as `Float64`; a categorical's few values parsed once."""
    if not isinstance(s.dtype, pd.CategoricalDtype):
        return pd.to_numeric(s.astype(object), errors="coerce").astype("Float64")
    values = pd.to_numeric(pd.Series(s.cat.categories.astype(str)), errors="coerce")
    codes = s.cat.codes.to_numpy()
    data = np.where(codes >= 0, values.to_numpy(dtype="float64")[np.maximum(codes, 0)], np.nan)
    return pd.Series(pd.array(data, dtype="Float64"), index=s.index)


def _column(name: str, s: pd.Series) -> tuple[str, pd.Series]:
    """One column as an analyst gets it: (its name, its values)."""
    if name.endswith("_cents"):
        return euro_name(name), pd.Series(cents_to_eur(s.reset_index(drop=True)), index=s.index)
    if name in NUMERIC_TEXT:
        return name, _number(s)
    if name in CATEGORICAL:
        return name, _categorical(name, s)
    kind = s.dtype.kind
    if kind == "O":
        valid = s.dropna()
        first = valid.iloc[0] if len(valid) else ""
        if isinstance(first, tuple):
            return name, s  # a tuple of ids per row (a finding's entry_ids)
        if hasattr(first, "year"):
            return name, pd.to_datetime(s, errors="coerce")  # dates, None where none
    if kind in "OUS" or isinstance(s.dtype, pd.CategoricalDtype | pd.StringDtype):
        return name, _text(s)
    if kind == "b":
        return name, s.astype("boolean")
    if kind in "iu":
        return name, s.astype("Int64")
    if kind == "f":
        return name, s.astype("Float64")
    return name, s


def analyst_frame(frame: pd.DataFrame, drop: Iterable[str] = ()) -> pd.DataFrame:
    """`frame` as the module docstring says: euros, NA, categoricals, no internal columns."""
    skip = set(drop)
    columns: dict[str, pd.Series] = {}
    for col in frame.columns:
        name = str(col)
        if name.startswith("_") or name in skip:
            continue
        new, values = _column(name, frame[col])
        columns[new] = values
    return pd.DataFrame(columns, index=frame.index).reset_index(drop=True)


def _decimal_array(values: pd.Series) -> pa.Array:
    """Euros (`Float64`) as an Arrow DECIMAL(18, 2) built from their exact cents."""
    cents = eur_to_cents(values)
    valid = cents.notna().to_numpy()
    ints = cents.fillna(0).to_numpy(dtype=np.int64)
    words = np.empty((len(ints), 2), dtype=np.int64)  # 128-bit two's complement, little end
    words[:, 0], words[:, 1] = ints, ints >> 63
    nulls = len(ints) - int(valid.sum())
    mask = pa.array(valid, type=pa.bool_()).buffers()[1] if nulls else None
    buffers = [mask, pa.py_buffer(words.tobytes())]
    return pa.Array.from_buffers(pa.decimal128(18, 2), len(ints), buffers, nulls)


def to_arrow(frame: pd.DataFrame) -> pa.Table:
    """An analyst frame for BI tools: `*_eur` as exact DECIMAL(18, 2), tuples as lists."""
    arrays, names = [], []
    for col in frame.columns:
        s = frame[col]
        if str(col).endswith("_eur"):
            arrays.append(_decimal_array(s))
        elif s.dtype == object and s.map(lambda v: isinstance(v, tuple)).any():
            arrays.append(pa.array([list(v) if isinstance(v, tuple) else None for v in s]))
        else:
            arrays.append(pa.Array.from_pandas(s))
        names.append(str(col))
    return pa.Table.from_arrays(arrays, names=names)
