"""Benchmark `load_data()`: wall time (best of N) and peak memory, per data set.

Usage (from the repository root):

    .venv/bin/python benchmarks/bench_load.py                 # national demo + synthetic ledger
    .venv/bin/python benchmarks/bench_load.py --rows 800000 --profile
    .venv/bin/python benchmarks/bench_load.py --skip-demo      # when pumpurs.demo is not there

Data sets:
- `national`: the national demo data, written once by
  `pumpurs.demo.write_demo(Path("benchmarks/out/national"), scale="national", seed=1)`.
- `synthetic-<N>`: a generated folder with N expenditure rows as a Latvian Excel CSV
  (`;`, decimal comma, DD.MM.YYYY, UTF-8 with BOM) - the slowest realistic dialect.

Every measurement runs `load_data()` in a fresh subprocess, so the peak resident memory
(`ru_maxrss`) is that of one load. Targets: under 10 s and under 2 GB.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
TARGET_SECONDS = 10.0
TARGET_MB = 2048.0
TABLES = ("partners", "schools", "support_plans", "expenditures", "outcomes")


# ---------------------------------------------------------------------------
# Data sets
# ---------------------------------------------------------------------------
def national_folder(out: Path) -> Path | None:
    """The national demo data (written if absent), or None if pumpurs.demo is not there yet."""
    folder = out / "national"
    if folder.is_dir() and any(folder.iterdir()):
        return folder
    try:
        from pumpurs.demo import write_demo
    except ImportError:
        print("pumpurs.demo is not available yet: the national demo data set is skipped.\n")
        return None
    try:
        write_demo(folder, scale="national", seed=1)
    except Exception as e:  # the demo writer is young: measure the rest anyway
        print(f"write_demo(scale='national') failed ({type(e).__name__}: {e}); skipped.\n")
        return None
    return folder


def synthetic_folder(out: Path, rows: int, seed: int = 1) -> Path:
    """A valid data folder with `rows` expenditure rows in the Latvian Excel CSV dialect."""
    folder = out / f"synthetic-{rows}"
    if (folder / "expenditures.csv").exists():
        return folder
    import numpy as np
    import pandas as pd

    from pumpurs.core.contract import CATEGORIES, PUPIL_CATEGORIES, SPECIALIST_ROLES
    from pumpurs.core.settings import load_programme

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    municipalities = [m.name for m in load_programme().municipalities]

    n_partners, n_schools, n_pupils = 80, 611, 40_000
    partner_ids = np.array([f"P{i:03d}" for i in range(1, n_partners + 1)])
    partners = pd.DataFrame(
        {
            "partner_id": partner_ids,
            "name": [f"Partneris {i} (Rīga, Pļaviņas)" for i in range(1, n_partners + 1)],
            "kind": np.where(np.arange(n_partners) < 60, "municipality", "vpil"),
            "municipality": [municipalities[i % len(municipalities)] for i in range(n_partners)],
            "agreement_date": "22.11.2019",
            "allocation_eur": "1 250 000,00",
        }
    )
    school_ids = np.array([f"S{i:04d}" for i in range(1, n_schools + 1)])
    school_partner = partner_ids[rng.integers(0, n_partners, n_schools)]
    schools = pd.DataFrame(
        {
            "school_id": school_ids,
            "name": [f"Pērses sākumskola {i}" for i in range(1, n_schools + 1)],
            "partner_id": school_partner,
            "kind": "general",
            "round": rng.integers(1, 4, n_schools).astype(str),
            "joined_on": "01.09.2018",
        }
    )
    n_plans = 65_000
    years = rng.integers(2017, 2023, n_plans)
    half = rng.integers(1, 3, n_plans)
    plans = pd.DataFrame(
        {
            "plan_id": [f"PL{i:06d}" for i in range(n_plans)],
            "student_id": [f"stu{i:05d}" for i in rng.integers(0, n_pupils, n_plans)],
            "school_id": school_ids[rng.integers(0, n_schools, n_plans)],
            "semester": [f"{y}/{y + 1}-{h}" for y, h in zip(years, half, strict=True)],
            "created_on": [
                f"15.{9 if h == 1 else 1:02d}.{y if h == 1 else y + 1}"
                for y, h in zip(years, half, strict=True)
            ],
            "author_role": np.array(SPECIALIST_ROLES)[
                rng.integers(0, len(SPECIALIST_ROLES), n_plans)
            ],
            "level": "general",
            "grade": rng.integers(5, 13, n_plans).astype(str),
            "risk_factors": np.where(rng.random(n_plans) < 0.5, "R1;R4", ""),
        }
    )
    category = np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), rows)]
    pupil = np.isin(category, PUPIL_CATEGORIES)
    consult = category == "consultation"
    ngo = category == "ngo_project"
    school_of_row = rng.integers(0, n_schools, rows)
    month = rng.integers(0, 82, rows)  # 2017-03 ... 2023-12
    y, m = 2017 + (month + 2) // 12, (month + 2) % 12 + 1
    cents = rng.integers(1, 7_000, rows)
    expenditures = pd.DataFrame(
        {
            "entry_id": [f"E{i:07d}" for i in range(rows)],
            "partner_id": school_partner[school_of_row],
            "school_id": np.where(ngo, "", school_ids[school_of_row]),
            "student_id": np.where(
                pupil,
                np.char.add("stu", np.char.zfill(rng.integers(0, n_pupils, rows).astype(str), 5)),
                "",
            ),
            "category": category,
            "service_month": np.char.add(
                np.char.add(y.astype(str), "-"), np.char.zfill(m.astype(str), 2)
            ),
            "paid_on": np.char.add(
                np.char.add("28.", np.char.zfill(m.astype(str), 2)), np.char.add(".", y.astype(str))
            ),
            "amount_eur": np.char.add(
                np.char.add((cents // 100).astype(str), ","),
                np.char.zfill((cents % 100).astype(str), 2),
            ),
            "document_ref": np.char.add("INV-", np.arange(rows).astype(str)),
            "specialist_role": np.where(
                consult, np.array(SPECIALIST_ROLES)[rng.integers(0, 8, rows)], ""
            ),
            "hours": np.where(consult, "1,5", ""),
            "ngo_project_id": np.where(
                ngo, np.char.add("NGO-", rng.integers(0, 78, rows).astype(str)), ""
            ),
        }
    )
    outcomes = pd.DataFrame(
        {
            "student_id": [f"stu{i:05d}" for i in range(n_pupils)],
            "school_year": "2020/2021",
            "status": "continues",
        }
    )
    for name, frame in zip(TABLES, (partners, schools, plans, expenditures, outcomes), strict=True):
        frame.to_csv(
            folder / f"{name}.csv",
            sep=";",
            index=False,
            encoding="utf-8-sig",
            lineterminator="\r\n",
        )
    return folder


# ---------------------------------------------------------------------------
# One measurement (runs in a child process)
# ---------------------------------------------------------------------------
def measure(folder: Path) -> dict:
    from pumpurs.core.settings import load_programme
    from pumpurs.sources.folder import load_data

    programme = load_programme()
    import pandera.pandas  # noqa: F401  - the import is a one-off cost, not the load's

    start = time.perf_counter()
    ds = load_data(folder, programme)
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "seconds": seconds,
        "peak_mb": peak_mb,
        "rows": {name: len(ds.table(name)) for name in TABLES},
        "bytes": sum(
            p.stat().st_size
            for p in folder.iterdir()
            if p.is_file() and (p.stem.lower() in TABLES or p.name.lower() == "data.xlsx")
        ),
    }


def measure_in_child(folder: Path) -> dict:
    run = subprocess.run(
        [sys.executable, __file__, "--measure", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if run.returncode != 0:
        raise SystemExit(f"measuring {folder} failed:\n{run.stderr}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def bench(folder: Path, repeat: int) -> dict:
    runs = [measure_in_child(folder) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    return {
        "seconds": best["seconds"],
        "all_seconds": [r["seconds"] for r in runs],
        "peak_mb": max(r["peak_mb"] for r in runs),
        "rows": best["rows"],
        "bytes": best["bytes"],
    }


# ---------------------------------------------------------------------------
# Profile: where the time goes
# ---------------------------------------------------------------------------
FOCUS = (
    "find_sources",
    "sha256_file",
    "_read_csv",
    "_read_csv_arrow",
    "_read_csv_exact",
    "_read_xlsx",
    "_read_parquet",
    "validate_tables",
    "_typed_table",
    "parse_money",
    "parse_date",
    "parse_month",
    "parse_int",
    "parse_number",
    "_years",
    "parse",
    "_pandera_checks",
    "_duplicates",
    "_references",
    "_expenditure_fields",
    "_grades",
    "_municipalities",
    "add",
)


def profile(folder: Path, top: int = 25) -> str:
    from pumpurs.core.settings import load_programme
    from pumpurs.sources.folder import load_data

    programme = load_programme()
    import pandera.pandas  # noqa: F401

    prof = cProfile.Profile()
    start = time.perf_counter()
    prof.enable()
    load_data(folder, programme)
    prof.disable()
    wall = time.perf_counter() - start
    stats = pstats.Stats(prof)
    lines = [f"### Profile of load_data({folder.name}): {wall:.2f} s under cProfile", ""]
    lines += ["| function (pumpurs) | calls | own s | cumulative s |", "|---|---:|---:|---:|"]
    rows = []
    for (file, _line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        if "pumpurs" in file and func in FOCUS:
            rows.append((ct, f"| `{Path(file).stem}.{func}` | {nc} | {tt:.2f} | {ct:.2f} |"))
    lines += [r for _, r in sorted(rows, reverse=True)]
    buf = io.StringIO()
    pstats.Stats(prof, stream=buf).sort_stats("cumulative").print_stats(top)
    lines += ["", "```", buf.getvalue().strip(), "```"]
    return "\n".join(lines)


# ---------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, default=OUT, help="where generated data sets live")
    parser.add_argument("--repeat", type=int, default=3, help="runs per data set (best is kept)")
    parser.add_argument(
        "--rows", type=int, default=800_000, help="expenditure rows of the synthetic set (0: none)"
    )
    parser.add_argument(
        "--skip-demo", action="store_true", help="do not use the national demo data"
    )
    parser.add_argument(
        "--profile", action="store_true", help="also profile one load of the largest set"
    )
    args = parser.parse_args()

    if args.measure:
        print(json.dumps(measure(args.measure)))
        return

    sets: list[tuple[str, Path]] = []
    if not args.skip_demo:
        national = national_folder(args.out)
        if national is not None:
            sets.append(("national", national))
    if args.rows:
        sets.append((f"synthetic {args.rows:,}", synthetic_folder(args.out, args.rows)))

    results = [(name, folder, bench(folder, args.repeat)) for name, folder in sets]
    print(f"## load_data() - best of {args.repeat}, each in a fresh process\n")
    print(
        "| data set | files MB | "
        + " | ".join(TABLES)
        + " | seconds (best) | all runs | peak MB | within targets |"
    )
    print("|---|---:|" + "---:|" * len(TABLES) + "---:|---|---:|---|")
    for name, _folder, r in results:
        ok = r["seconds"] < TARGET_SECONDS and r["peak_mb"] < TARGET_MB
        print(
            f"| {name} | {r['bytes'] / 1e6:.1f} | "
            + " | ".join(f"{r['rows'][t]:,}" for t in TABLES)
            + f" | {r['seconds']:.2f} | {', '.join(f'{s:.2f}' for s in r['all_seconds'])}"
            + f" | {r['peak_mb']:.0f} | {'yes' if ok else 'NO'} (< {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB) |"
        )
    if args.profile and results:
        _name, folder, _r = max(results, key=lambda x: x[2]["rows"]["expenditures"])
        print()
        print(profile(folder))


if __name__ == "__main__":
    main()
