"""Benchmark one cold report against `pumpurs check`, and what a run leaves under --out.

Usage (from the repository root; takes a minute or two, not for CI):

    .venv/bin/python benchmarks/bench_cache.py [--cold-only]

(`--cold-only`: steps 1 and 2, three cold runs, the best counting: half a minute.)

1. `pumpurs check DATA` on the national demo (validation, judging, the findings).
2. One municipality cold: `pumpurs run DATA --municipality "Aizkraukles novads"` into an
   empty folder (judging, storing the judgement, one worker, one report).
   Target: at most 1.5x the time of `check`.
3. Three runs on changing data (one amount changed before each): the size of --out (the
   reports and the judged-data cache) after each. Targets: never larger than the data
   folder, and not growing from run to run (the cache keeps two judgements at most).
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
PUMPURS = [str(Path(sys.executable).parent / "pumpurs")]
MUNICIPALITY = "Aizkraukles novads"
PERIOD = "2021-H1"
TARGET_COLD = 1.5


def national_data() -> Path:
    data = OUT / "national"
    if not (data / "expected_findings.csv").is_file():
        from pumpurs.demo import write_demo

        write_demo(data, scale="national", seed=1)
    return data


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def timed(cmd: list[str]) -> float:
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode not in (0, 1):  # check exits 1 when it finds errors in the data
        print(proc.stdout[-2000:], proc.stderr[-2000:])
        raise SystemExit(f"{cmd[1]} failed (exit {proc.returncode})")
    return seconds


def change_one_amount(folder: Path, run: int) -> None:
    """A correction as a partner would send it: one amount in expenditures.csv changes."""
    path = folder / "expenditures.csv"
    text = path.read_text(encoding="latin-1")  # bytes as they are, whatever the encoding
    dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;")
    rows = list(csv.reader(text.splitlines(), dialect))
    col = rows[0].index("amount_eur")
    rows[1 + run][col] = "1,23" if dialect.delimiter == ";" else "1.23"
    with open(path, "w", encoding="latin-1", newline="") as f:
        csv.writer(f, dialect, lineterminator="\n").writerows(rows)


def main() -> None:
    data = national_data()
    work = Path(tempfile.mkdtemp(prefix="bench-cache-", dir=OUT))
    try:
        copy = work / "data"
        shutil.copytree(data, copy)
        data_mb = size(copy) / 1e6
        check = min(
            timed([*PUMPURS, "check", str(copy), "--as-of", "2021-06-30"]) for _ in range(2)
        )
        print(f"pumpurs check: {check:.1f} s")
        cold = []
        cold_only = "--cold-only" in sys.argv[1:]
        for i in range(3 if cold_only else 2):
            out = work / f"cold{i}"
            cold.append(
                timed(
                    [*PUMPURS, "run", str(copy), "--municipality", MUNICIPALITY,
                     "--period", PERIOD, "--out", str(out)]
                )
            )  # fmt: skip
        one = min(cold)
        ok = "OK" if one <= TARGET_COLD * check else "above target"
        print(
            f"one cold report: {one:.1f} s = {one / check:.2f}x check "
            f"(target <= {TARGET_COLD}x) {ok}"
        )
        if cold_only:
            return
        out = work / "runs"
        print(f"data folder: {data_mb:.1f} MB")
        for run in range(3):
            change_one_amount(copy, run)
            seconds = timed(
                [*PUMPURS, "run", str(copy), "--all", "--period", PERIOD, "--out", str(out)]
            )
            total, cache = size(out) / 1e6, size(out / ".cache") / 1e6
            ok = "OK" if total <= data_mb else "above target"
            print(
                f"run {run + 1} (one amount changed): {seconds:.0f} s; --out {total:.1f} MB "
                f"(reports {total - cache:.1f} MB, cache {cache:.1f} MB in "
                f"{len(list((out / '.cache').iterdir()))} judgement(s)) {ok}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
