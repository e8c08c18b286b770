"""Compare two `pumpurs run` output folders report by report, by content.

Usage: python tools/compare_reports.py OLD_OUT NEW_OUT [--ignore-pattern REGEX ...]

Time stamps, hashes, absolute paths and the library version differ between two runs of
the same data; everything a reader sees must not. For every report folder present in
both trees this compares: report.html's visible text, every sheet and cell of
report.xlsx, findings.csv, and report.pdf's text. It prints one line per difference
and exits 1 when there is any (0 when the reports say the same).
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from pathlib import Path

VOLATILE = [
    r"\b[0-9a-f]{12,64}\b",  # fingerprints and hashes
    r"\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}",  # render times
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?",
]


def _visible_html(text: str) -> str:
    text = re.sub(r"<(script|style)\b.*?</\1>", " ", text, flags=re.S | re.I)
    text = re.sub(r"data:image/[^\"')]+", "IMG", text)
    text = re.sub(r"<[^>]+>", " ", text)
    return re.sub(r"\s+", " ", text)


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() or "" for p in PdfReader(str(path)).pages)


def _xlsx_cells(path: Path) -> list[str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            out.append(f"{ws.title}: " + " | ".join("" if v is None else str(v) for v in row))
    return out


def _norm(text: str, extra: list[str]) -> str:
    for pattern in [*VOLATILE, *extra]:
        text = re.sub(pattern, "~", text)
    return text


def _lines(path: Path, extra: list[str]) -> list[str]:
    if path.suffix == ".html":
        words = _visible_html(path.read_text(encoding="utf-8"))
        return [_norm(w, extra) for w in re.split(r"(?<=[.:;])\s", words)]
    if path.suffix == ".pdf":
        return [_norm(line, extra) for line in _pdf_text(path).splitlines()]
    if path.suffix == ".xlsx":
        return [_norm(c, extra) for c in _xlsx_cells(path)]
    text = path.read_text(encoding="utf-8-sig")
    return [_norm(";".join(r), extra) for r in csv.reader(io.StringIO(text))]


def compare(old: Path, new: Path, extra: list[str]) -> list[str]:
    import difflib

    problems = []
    for old_dir in sorted(p for p in old.rglob("manifest.json")):
        rel = old_dir.parent.relative_to(old)
        for name in ("report.html", "report.xlsx", "findings.csv", "report.pdf"):
            a, b = old / rel / name, new / rel / name
            if not a.exists() and not b.exists():
                continue
            if a.exists() != b.exists():
                problems.append(f"{rel}/{name}: only in {'old' if a.exists() else 'new'}")
                continue
            la, lb = _lines(a, extra), _lines(b, extra)
            if la != lb:
                diff = [d for d in difflib.unified_diff(la, lb, lineterm="", n=0)][2:8]
                problems.append(f"{rel}/{name}: differs\n    " + "\n    ".join(diff))
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old", type=Path)
    ap.add_argument("new", type=Path)
    ap.add_argument("--ignore-pattern", action="append", default=[])
    args = ap.parse_args()
    problems = compare(args.old, args.new, args.ignore_pattern)
    for p in problems:
        print(p)
    n = sum(1 for _ in args.old.rglob("manifest.json"))
    print(f"{n} report folders compared; {len(problems)} files differ")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
