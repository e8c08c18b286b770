"""Machine formats of findings, totals, indicators and validation problems (the stable
JSON/CSV shapes).

The shapes are stable (docs/commands.md): English ids, money as numbers with two
decimals. Money goes from integer cents to `Decimal` and is written by simplejson, which
writes a Decimal as the exact number it is (the standard json module would need a float,
and a float cannot hold every amount). Conversion from cents happens here and nowhere
else. Every CSV text field that a spreadsheet would run as a formula (it starts with
=, +, -, @, a tab or a carriage return) is written with a leading apostrophe (OWASP's
advice), so opening a CSV never runs anything from the data.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from decimal import Decimal
from typing import Any

import pandas as pd
import simplejson as json

from pumpurs.core.errors import Problem
from pumpurs.core.money import cents_to_decimal
from pumpurs.core.totals import TotalsTable

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _eur(v: Any) -> Decimal | None:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    return cents_to_decimal(int(v))


def safe_cell(text: str) -> str:
    """A CSV text field that no spreadsheet runs as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def _plain(v: Any) -> Any:
    """numpy/pandas scalars -> JSON values; NA -> None."""
    if v is None:
        return None
    if isinstance(v, str | bool):
        return v
    if pd.isna(v):
        return None
    if hasattr(v, "item"):
        v = v.item()
    if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
        return None
    return v


def findings_records(findings: pd.DataFrame) -> list[dict[str, Any]]:
    """The findings as interfaces' JSON records; `message` from a worded table
    (present/messages.with_messages), empty if the table has none."""
    out = []
    for r in findings.to_dict("records"):
        rec = {
            "rule": r["rule"],
            "severity": r["severity"],
            "partner_id": r["partner_id"],
            "school_id": r["school_id"],
            "student_id": r["student_id"],
            "period": r["period"],
            "entry_ids": list(r["entry_ids"]),
            "amount_eur": _eur(r["amount_cents"]),
            "limit_eur": _eur(r["limit_cents"]),
            "at_risk_eur": _eur(r["at_risk_cents"]),
            "message": r.get("message", ""),
        }
        if r.get("plan_id"):
            rec["plan_id"] = r["plan_id"]
        out.append(rec)
    return out


def findings_summary(findings: pd.DataFrame) -> dict[str, Any]:
    return {
        "errors": int((findings["severity"] == "error").sum()),
        "warnings": int((findings["severity"] == "warning").sum()),
        "at_risk_eur": _eur(int(findings["at_risk_cents"].sum())),
    }


def findings_json(findings: pd.DataFrame, as_of: dt.date) -> str:
    doc = {
        "as_of": as_of.isoformat(),
        "findings": findings_records(findings),
        "summary": findings_summary(findings),
    }
    return json.dumps(doc, ensure_ascii=False, indent=1)


def findings_csv(findings: pd.DataFrame) -> str:
    records = findings_records(findings)
    cols = [
        "rule", "severity", "partner_id", "school_id", "student_id", "period", "entry_ids",
        "amount_eur", "limit_eur", "at_risk_eur", "plan_id", "message",
    ]  # fmt: skip
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in records:
        r = dict(r, entry_ids=";".join(r["entry_ids"]))
        w.writerow({k: _csv_value(r.get(k)) for k in cols})
    return buf.getvalue()


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, Decimal):
        return f"{v:.2f}"
    if isinstance(v, float):
        return f"{v:.2f}"
    return safe_cell(str(v))


def totals_records(table: TotalsTable) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = []
    for r in table.rows.to_dict("records"):
        rows.append(_totals_record(r))
    return rows, _totals_record(table.total)


def _totals_record(r: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in r.items():
        if k.endswith("_cents"):
            out[k[: -len("_cents")] + "_eur"] = _eur(v)
        elif k == "absorption":
            v = _plain(v)
            out[k] = None if v is None else round(float(v), 6)
        else:
            out[k] = _plain(v)
    return out


def totals_json(table: TotalsTable, as_of: dt.date) -> str:
    rows, total = totals_records(table)
    return json.dumps(
        {"as_of": as_of.isoformat(), "rows": rows, "total": total}, ensure_ascii=False, indent=1
    )


def totals_csv(table: TotalsTable) -> str:
    rows, total = totals_records(table)
    cols = list(rows[0].keys()) if rows else [table.key, *total]  # no rows: header + TOTAL
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in [*rows, {table.key: "TOTAL", **total}]:
        w.writerow({k: _csv_value(r.get(k)) if k != "absorption" else _num(r.get(k)) for k in cols})
    return buf.getvalue()


def _num(v: Any) -> str:
    return "" if v is None else f"{v:.6f}"


def indicators_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in r.items()} for r in frame.to_dict("records")]


def indicators_json(frame: pd.DataFrame, as_of: dt.date) -> str:
    return json.dumps(
        {"as_of": as_of.isoformat(), "rows": indicators_records(frame)},
        ensure_ascii=False,
        indent=1,
    )


def indicators_csv(frame: pd.DataFrame) -> str:
    text = frame.select_dtypes(include="object").columns
    safe = frame.assign(
        **{c: frame[c].map(lambda v: safe_cell(v) if isinstance(v, str) else v) for c in text}
    )
    return safe.to_csv(index=False, lineterminator="\n")


PROBLEM_FIELDS = ("file", "row", "key", "column", "value", "expected", "code", "message")


def problems_records(problems: list[Problem]) -> list[dict[str, Any]]:
    """Validation problems as records: where (file, row — a database row also by its key —
    and column), the value as read, what was expected, the stable code (core/errors.py
    PROBLEM_CODES) and the sentence people read after the value."""
    return [
        {
            "file": p.file,
            "row": p.row,
            "key": p.key,
            "column": p.column,
            "value": p.value,
            "expected": p.expected or None,
            "code": p.code,
            "message": p.message,
        }
        for p in problems
    ]


def problems_json(problems: list[Problem]) -> str:
    doc = {"valid": not problems, "problems": problems_records(problems)}
    return json.dumps(doc, ensure_ascii=False, indent=1)


def problems_csv(problems: list[Problem]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=PROBLEM_FIELDS, lineterminator="\n")
    w.writeheader()
    for r in problems_records(problems):
        w.writerow({k: _csv_value(r[k]) for k in PROBLEM_FIELDS})
    return buf.getvalue()
