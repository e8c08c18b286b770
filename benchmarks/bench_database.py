"""Benchmark reading the national demo from a database against reading it from Parquet.

Usage (from the repository root; a minute or two, not for CI):

    .venv/bin/python benchmarks/bench_database.py [--url postgresql://user@host/db]

The national demo is validated once and written, with native types, as one Parquet file
per table, into a DuckDB file, an SQLite file, and into PostgreSQL (the server given by
--url, else a throwaway one from tools/pgtemp.py). Each `pumpurs load` into a file runs
in a fresh process (its time and peak memory, `ru_maxrss` via wait4). Then, best of N in
this process:

- `load()`: read and validate (what every command does first), per source;
- `fingerprint()`: what an incremental batch asks before deciding what to render;
- a nothing-changed rerun's questions: the fingerprint, the manifest's `describe()` and
  the fingerprint again (the batch's check that nothing moved), asked of one source.

Target (issue: databases): the national demo from PostgreSQL within 2x of Parquet.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow.parquet as pq
from bench_cache import OUT, national_data

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tools"))
TARGET = 2.0


def best(fn: Callable[[], object], repeat: int) -> float:
    """The best wall time of `repeat` calls (on a busy machine, see `cpu`)."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return min(times)


def cpu(fn: Callable[[], object], repeat: int) -> float:
    """The best CPU time of this process over `repeat` calls: what other programs on the
    machine do not change (a database server's own CPU is not counted)."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        fn()
        times.append(time.process_time() - started)
    return min(times)


def load_into(folder: Path, url: str) -> tuple[float, float, float]:
    """(seconds, CPU seconds, peak MB) of `pumpurs load FOLDER URL` in a fresh process."""
    cli = Path(sys.executable).with_name("pumpurs")
    started = time.perf_counter()
    proc = subprocess.Popen([str(cli), "load", str(folder), url], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"pumpurs load {folder} {url} failed")
    seconds = time.perf_counter() - started
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def rerun(spec: str) -> None:
    """What a batch with nothing to render asks its source (run/batch.py)."""
    from pumpurs.sources import open_source

    source = open_source(spec)
    with getattr(source, "snapshot", contextlib.nullcontext)():
        source.fingerprint()
        source.describe()
        source.fingerprint()


@contextlib.contextmanager
def postgres(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from pgtemp import create_database, temporary_postgres

    with temporary_postgres() as server:
        yield create_database(server, "bench")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="a PostgreSQL database to write into (its tables replaced)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from pumpurs.core.settings import load_programme
    from pumpurs.sources import load, open_source
    from pumpurs.sources.database import dataset_tables, write_dataset

    programme = load_programme()
    ds = load(national_data(), programme)
    parquet = OUT / "national-parquet"
    shutil.rmtree(parquet, ignore_errors=True)
    parquet.mkdir(parents=True)
    for name, table in dataset_tables(ds).items():
        pq.write_table(table, parquet / f"{name}.parquet")
    duck, lite = OUT / "national.duckdb", OUT / "national.sqlite"
    duck.unlink(missing_ok=True)
    lite.unlink(missing_ok=True)
    written = {
        "duckdb file": load_into(parquet, str(duck)),
        "sqlite file": load_into(parquet, f"sqlite:///{lite}"),
    }
    rows = len(ds.expenditures)

    with postgres(args.url) as url:
        started = time.perf_counter()
        write_dataset(ds, url, replace=True)
        written_pg = time.perf_counter() - started
        sources = {
            "parquet folder": str(parquet),
            "duckdb file": str(duck),
            "sqlite file": f"sqlite:///{lite}",
            "postgresql": url,
        }
        print(f"## Reading the national demo ({rows:,} ledger rows), best of {args.repeat}\n")
        print(f"`pumpurs load` into PostgreSQL (in this process): {written_pg:.1f} s")
        for label, (seconds, used, peak) in written.items():
            print(
                f"`pumpurs load` into a {label}: {seconds:.1f} s ({used:.1f} s CPU), "
                f"peak {peak:.0f} MB"
            )
        print(
            "\n| source | load() (read + validate) | vs Parquet | CPU | fingerprint() | CPU "
            "| rerun | CPU |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        results = {}
        for label, spec in sources.items():
            loaded = best(lambda spec=spec: load(spec, programme), args.repeat)
            loaded_cpu = cpu(lambda spec=spec: load(spec, programme), args.repeat)
            printed = best(lambda spec=spec: open_source(spec).fingerprint(), args.repeat)
            printed_cpu = cpu(lambda spec=spec: open_source(spec).fingerprint(), args.repeat)
            again = best(lambda spec=spec: rerun(spec), args.repeat)
            again_cpu = cpu(lambda spec=spec: rerun(spec), args.repeat)
            results[label] = loaded
            ratio = loaded / results["parquet folder"]
            print(
                f"| {label} | {loaded:.2f} s | {ratio:.2f}x | {loaded_cpu:.2f} s "
                f"| {printed:.2f} s | {printed_cpu:.2f} s | {again:.2f} s | {again_cpu:.2f} s |"
            )
    ratio = results["postgresql"] / results["parquet folder"]
    verdict = "met" if ratio <= TARGET else "NOT met"
    print(f"\nPostgreSQL / Parquet: {ratio:.2f}x (target <= {TARGET:.0f}x: {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
