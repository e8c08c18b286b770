"""Benchmark deciding a public release's suppression (report/release.py, issue 23).

Usage (from the repository root; a minute or two, not for CI):

    .venv/bin/python benchmarks/bench_release.py                 # 2021-H1 and 2023-H2, min_count 5 and 10
    .venv/bin/python benchmarks/bench_release.py --period 2021-H1 --min-count 5

The national demo data (written once to benchmarks/out/national) is judged once per
period (not timed); then, for each min_count, the release's model (every published count
and the sums that tie them) is built and `decide` hides what it must, each timed, best of
`--repeat`. Printed per release: cells, sums, hidden "<5" (primary) and "x" (secondary),
the hidden cells an outsider's linear programme still pins (must be 0), the seconds.
Target: deciding the national release well under 30 s on the 2-core machine.
"""

from __future__ import annotations

import argparse
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
NATIONAL = HERE / "out" / "national"
TARGET_S = 30.0


def _national() -> Path:
    if not (NATIONAL / "expected_findings.csv").exists():
        from pumpurs.demo import write_demo

        write_demo(NATIONAL, scale="national", seed=1)
    return NATIONAL


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--period", action="append", help="default: 2021-H1 and 2023-H2")
    ap.add_argument("--min-count", type=int, action="append", help="default: 5 and 10")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    from pumpurs.core.calendar import parse_period, report_date
    from pumpurs.core.rules import judge
    from pumpurs.core.settings import load_programme
    from pumpurs.report.release import (
        NATIONAL as OVERVIEW,
    )
    from pumpurs.report.release import (
        Release,
        pinned,
        plans_cell,
        protect,
        release_model,
    )
    from pumpurs.sources.folder import load_data

    programme = load_programme()
    data = load_data(_national())
    print(
        "| period | min_count | cells | sums | primary | secondary | pinned | model s | decide s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    worst = 0.0
    for label in args.period or ["2021-H1", "2023-H2"]:
        period = parse_period(label)
        j = judge(data, programme, report_date(period))
        for mc in args.min_count or [5, 10]:
            best_model = best_decide = float("inf")
            for _ in range(args.repeat):
                t = time.perf_counter()
                model = release_model(j, programme, period, mc)
                t1 = time.perf_counter()
                hidden = protect(
                    model.values,  # type: ignore[arg-type]
                    model.relations,
                    mc,
                    shown_always=[plans_cell(OVERVIEW)],
                )
                t2 = time.perf_counter()
                best_model, best_decide = min(best_model, t1 - t), min(best_decide, t2 - t1)
            kinds = Counter(hidden.values())
            left = pinned(Release(mc, model.values, model.relations, hidden))
            worst = max(worst, best_model + best_decide)
            print(
                f"| {label} | {mc} | {len(model.values)} | {len(model.relations)} "
                f"| {kinds['primary']} | {kinds['secondary']} | {len(left)} "
                f"| {best_model:.2f} | {best_decide:.2f} |"
            )
    verdict = "within" if worst < TARGET_S else "OVER"
    print(f"slowest release (model + decide): {worst:.2f} s, {verdict} the {TARGET_S:g} s target")


if __name__ == "__main__":
    main()
