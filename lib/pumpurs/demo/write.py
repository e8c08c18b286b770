"""Writing the folder in the dialects users bring: XLSX, Latvian CSV, Windows-1257, Parquet."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from pumpurs.core.contract import TABLES
from pumpurs.demo.assemble import (
    FIXED_TIME,
)
from pumpurs.demo.common import (
    FINDINGS_FILE,
    Demo,
    _texts,
)


# ---------------------------------------------------------------------------
# Writing the folder
# ---------------------------------------------------------------------------
def _eur_text(cents: pd.Series, sep: str) -> pd.Series:
    c = cents.astype(np.int64)
    sign = pd.Series(np.where(c < 0, "-", ""), index=cents.index)  # a credit note
    a = c.abs()
    return sign + (a // 100).astype(str) + sep + (a % 100).astype(str).str.zfill(2)


def _date_text(values: pd.Series, fmt: str) -> pd.Series:
    days = values.to_numpy().astype("datetime64[D]").astype(np.int64)
    return pd.Series(
        _texts(days, lambda d: (dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).strftime(fmt)),
        index=values.index,
    )


def _hours_text(hours: pd.Series, sep: str) -> pd.Series:
    h2 = np.round(hours.fillna(0).to_numpy() * 2).astype(np.int64)
    text = _texts(
        h2, lambda v: "" if v == 0 else (f"{v // 2}" if v % 2 == 0 else f"{v // 2}{sep}5")
    )
    return pd.Series(text, index=hours.index)


def _file_frames(demo: Demo) -> dict[str, pd.DataFrame]:
    """The tables as a user's files hold them (money in EUR, the user's own columns)."""
    p = demo.partners
    partners = pd.DataFrame(
        {
            "partner_id": p["partner_id"],
            "name": p["name"],
            "kind": p["kind"],
            "municipality": demo.municipality_written,
            "agreement_date": p["agreement_date"],
            "allocation_eur": p["allocation_cents"] / 100,
            "agreement_no": demo.agreement_no,
        }
    )
    return {
        "partners": partners,
        "schools": demo.schools[[c.name for c in TABLES["schools"]]],
        "support_plans": demo.support_plans[[c.name for c in TABLES["support_plans"]]],
        "expenditures": demo.expenditures,
        "outcomes": demo.outcomes,
    }


def _latvian(frame: pd.DataFrame) -> pd.DataFrame:
    """Excel in Latvia: decimal comma, DD.MM.YYYY."""
    out = frame.copy()
    for c in out.columns:
        s = out[c]
        if c == "amount_cents":
            out[c] = _eur_text(s, ",")
        elif pd.api.types.is_datetime64_any_dtype(s):
            out[c] = _date_text(s, "%d.%m.%Y")
        elif c == "hours":
            out[c] = _hours_text(s, ",")
    return out.rename(columns={"amount_cents": "amount_eur"})


def _write_csv(frame: pd.DataFrame, path: Path, *, sep: str, encoding: str, crlf: bool) -> None:
    text = frame.to_csv(index=False, sep=sep, lineterminator="\r\n" if crlf else "\n")
    path.write_bytes(text.encode(encoding))


def _write_xlsx(path: Path, sheets: dict[str, pd.DataFrame], *, text_dates: set[str]) -> None:
    """Workbook with real Excel dates (or, for sheets in text_dates, dates typed as text)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties(
        {"title": "PuMPuRS demo data", "author": "pumpurs demo-data", "created": FIXED_TIME}
    )
    date_fmt = wb.add_format({"num_format": "dd.mm.yyyy"})
    money_fmt = wb.add_format({"num_format": "#,##0.00"})
    for name, frame in sheets.items():
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, list(frame.columns))
        for c, col in enumerate(frame.columns):
            s = frame[col]
            if pd.api.types.is_datetime64_any_dtype(s):
                if name in text_dates:
                    for r, v in enumerate(_date_text(s, "%d.%m.%Y"), start=1):
                        ws.write_string(r, c, v)
                else:
                    for r, v in enumerate(s.dt.to_pydatetime(), start=1):
                        ws.write_datetime(r, c, v, date_fmt)
            elif pd.api.types.is_float_dtype(s):
                for r, v in enumerate(s.tolist(), start=1):
                    ws.write_number(r, c, v, money_fmt)
            elif pd.api.types.is_integer_dtype(s):
                for r, v in enumerate(s.tolist(), start=1):
                    ws.write_number(r, c, v)
            else:
                for r, v in enumerate(s.astype(str).tolist(), start=1):
                    ws.write_string(r, c, v)
        ws.set_column(0, len(frame.columns) - 1, 16)
    wb.close()


def _write_files(demo: Demo, folder: Path) -> list[tuple[str, int, str]]:
    """Each table in the dialect a user would really bring; small and national differ so
    that between them every reader and dialect is exercised."""
    t = _file_frames(demo)
    written: list[tuple[str, int, str]] = []

    def csv(name: str, frame: pd.DataFrame, what: str, *, latvian: bool, encoding: str) -> None:
        if latvian:
            _write_csv(_latvian(frame), folder / name, sep=";", encoding=encoding, crlf=True)
        else:
            _write_csv(frame, folder / name, sep=",", encoding=encoding, crlf=False)
        written.append((name, len(frame), what))

    def parquet(name: str, frame: pd.DataFrame) -> None:
        frame.to_parquet(folder / name, index=False)
        written.append((name, len(frame), "Parquet"))

    ledger = "CSV ; decimal comma DD.MM.YYYY, Windows-1257"
    if demo.scale == "small":
        sheets = {"partners": t["partners"], "schools": t["schools"]}
        _write_xlsx(folder / "data.xlsx", sheets, text_dates={"schools"})
        written.append(("data.xlsx", len(t["partners"]), "sheet partners, Excel dates"))
        written.append(("data.xlsx", len(t["schools"]), "sheet schools, dates as text DD.MM.YYYY"))
        plans = t["support_plans"].assign(
            created_on=_date_text(t["support_plans"]["created_on"], "%Y-%m-%d")
        )
        csv("support_plans.csv", plans, "CSV , ISO dates, UTF-8", latvian=False, encoding="utf-8")
        csv("expenditures.csv", t["expenditures"], ledger, latvian=True, encoding="cp1257")
        parquet("outcomes.parquet", t["outcomes"])
    else:
        _write_xlsx(folder / "partners.xlsx", {"partners": t["partners"]}, text_dates=set())
        written.append(("partners.xlsx", len(t["partners"]), "Excel dates"))
        what = "CSV ; DD.MM.YYYY, UTF-8 with BOM"
        csv("schools.csv", t["schools"], what, latvian=True, encoding="utf-8-sig")
        parquet("support_plans.parquet", t["support_plans"])
        csv("expenditures.csv", t["expenditures"], ledger, latvian=True, encoding="cp1257")
        csv("outcomes.csv", t["outcomes"], "CSV , UTF-8", latvian=False, encoding="utf-8")
    csv(FINDINGS_FILE, demo.findings, "the injected breaches", latvian=False, encoding="utf-8")
    return written


def _summary(demo: Demo, out: Path, files: list[tuple[str, int, str]]) -> str:
    lines = [f"Wrote {out} ({demo.scale}, seed {demo.seed}):"]
    for name, rows, what in files:
        lines.append(f"  {name:<22} {rows:>9,} rows  {what}")
    e = demo.expenditures
    lines.append(
        f"  {len(demo.partners)} partners in {demo.partners['municipality'].nunique()} municipalities, "
        f"{demo.support_plans['student_id'].nunique():,} pupils, declared "
        f"{e['amount_cents'].sum() / 100:,.2f} EUR"
    )
    counts = demo.findings["rule"].value_counts()
    shown = ", ".join(f"{r} {counts[r]}" for r in demo.findings["rule"].unique())
    lines.append(f"  injected breaches ({len(demo.findings)} findings): {shown}")
    return "\n".join(lines)
