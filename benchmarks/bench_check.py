"""Benchmark judging (docs/rules.md's three passes, allocation, warnings) plus totals.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_check.py            # national demo and a 10x ledger
    .venv/bin/python benchmarks/bench_check.py --scale 5  # another multiple

`national` is the national demo data (written once to benchmarks/out/national).
`Nx` is the same country N times over: every pupil, plan, ledger row and document
reference copied with a suffix, and allocations multiplied by N, so the ledger is N
times longer with N times the findings (not N times more breaches per pupil).

Each measurement runs in a fresh subprocess: the time is judge() plus totals() by
every key; the peak resident memory is that of the whole process (data included).
Targets (the speed issue): national judge + totals within 2 s; 10x within 20 s and 3 GB.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
NATIONAL = HERE / "out" / "national"


def _national() -> Path:
    if not (NATIONAL / "expected_findings.csv").exists():
        from pumpurs.demo import write_demo

        write_demo(NATIONAL, scale="national", seed=1)
    return NATIONAL


def _replicate(ds, n: int):
    """The data set n times over, with suffixed ids (a country n times as large)."""
    from dataclasses import replace

    import pandas as pd

    def copies(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
        parts = []
        for i in range(n):
            part = frame.copy()
            for c in (c for c in columns if c in part.columns):  # an older demo: no corrections
                part[c] = part[c].where(part[c] == "", part[c] + f"~{i}")
            parts.append(part)
        return pd.concat(parts, ignore_index=True)

    partners = ds.partners.assign(allocation_cents=ds.partners["allocation_cents"] * n)
    return replace(
        ds,
        partners=partners,
        support_plans=copies(ds.support_plans, ["plan_id", "student_id"]),
        expenditures=copies(
            ds.expenditures,
            ["entry_id", "corrects_entry_id", "student_id", "document_ref", "ngo_project_id"],
        ),
        outcomes=copies(ds.outcomes, ["student_id"]),
    )


def measure(scale: int) -> dict:
    """In this process: load (not timed), replicate, then time judge + totals."""
    from pumpurs.core.rules import judge
    from pumpurs.core.settings import load_programme
    from pumpurs.core.totals import BY_KEYS, totals_many
    from pumpurs.sources.folder import load_data

    programme = load_programme()
    ds = load_data(_national(), programme)
    if scale > 1:
        ds = _replicate(ds, scale)
    start = time.perf_counter()
    j = judge(ds, programme)
    judged = time.perf_counter() - start
    totals_many(j.ledger, j.partners, list(BY_KEYS))  # every key, as a report asks for several
    seconds = time.perf_counter() - start
    return {
        "scale": scale,
        "rows": len(j.ledger),
        "findings": len(j.findings),
        "judge_s": round(judged, 2),
        "check_totals_s": round(seconds, 2),
        "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--scale", type=int, default=10, help="the larger ledger's multiple (default 10)"
    )
    ap.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child is not None:
        print(json.dumps(measure(args.child)))
        return
    _national()
    rows = []
    for scale in (1, args.scale) if args.scale > 1 else (1,):
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(scale)],
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("| data | ledger rows | findings | judge s | judge + totals s | peak MB |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        name = "national demo" if r["scale"] == 1 else f"{r['scale']}x national"
        print(
            f"| {name} | {r['rows']:,} | {r['findings']:,} | {r['judge_s']} | "
            f"{r['check_totals_s']} | {r['peak_mb']:,} |"
        )


if __name__ == "__main__":
    main()
