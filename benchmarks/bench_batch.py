"""Benchmark `pumpurs run --all` against the naive loop and against the floor.

Usage (from the repository root; not for CI - it takes minutes):

    .venv/bin/python benchmarks/bench_batch.py                   # national demo, 6 naive reports
    .venv/bin/python benchmarks/bench_batch.py --naive 3 --period 2021-H1 --workers 2

Three ways to make the same 44 reports (43 municipalities + the national overview):

- `batch`: `pumpurs run DATA --all` end to end in a fresh reports folder: validation,
  judging the data once, long-lived workers with warm kernels, HTML, PDF, index.
- `naive`: the loop a user would write, per report: the `papermill` CLI, then
  `jupyter nbconvert --to html --no-input`, then the `weasyprint` CLI on that HTML.
  It is timed on a subset (`--naive N` municipalities) and extrapolated per report to
  44; its judgement cache is filled beforehand (in its favour: otherwise every
  notebook would judge the national data again), and that preparation is added once.
- `floor`: the notebooks' own code as plain Python in one warm process (the code cells
  converted once with nbconvert's script exporter, then exec'd per report with its
  parameters): what the reports cost without Jupyter, HTML or PDF. Same warm cache;
  the preparation is added once.

Targets: batch >= 20x faster than naive; batch no slower than the floor.
The national demo is written to benchmarks/out/national on first use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = HERE / "out"
NOTEBOOKS = ROOT / "notebooks"
VENV_BIN = Path(sys.executable).parent
TARGET_NAIVE = 20.0
TARGET_FLOOR = 1.0  # no slower than the floor (the speed issue)


def national_data() -> Path:
    data = OUT / "national"
    if not (data / "expected_findings.csv").is_file():
        from pumpurs.demo import write_demo

        print(f"writing the national demo data to {data} ...", flush=True)
        if data.exists():
            shutil.rmtree(data)
        write_demo(data, scale="national", seed=1)
    return data


def municipalities() -> list[str]:
    from pumpurs.core.settings import load_programme

    return [m.name for m in load_programme().municipalities]


def prepare_cache(data: Path, as_of: str, cache: Path) -> float:
    """Judge once into `cache` (what the naive loop and the floor start from); seconds."""
    code = (
        "import sys, time; t = time.perf_counter()\n"
        "from pumpurs.run.session import prepare_slices\n"
        "prepare_slices(sys.argv[1], sys.argv[2])\n"
        "print(time.perf_counter() - t)\n"
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    out = subprocess.run(
        [sys.executable, "-c", code, str(data), as_of],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
def time_batch(data: Path, period: str, workers: int | None, work: Path) -> dict:
    """`pumpurs run --all` in a fresh folder (the cache too: judging is included)."""
    out = work / "batch-reports"
    shutil.rmtree(out, ignore_errors=True)
    cmd = [
        sys.executable,
        "-c",
        "import typer; from pumpurs.cli.run import run; typer.run(run)",
        str(data),
        "--all",
        "--period",
        period,
        "--out",
        str(out),
    ]
    if workers:
        cmd += ["--workers", str(workers)]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-3000:])
        raise SystemExit(f"the batch failed (exit {proc.returncode})")
    status = json.loads((out / period / "status.json").read_text(encoding="utf-8"))["reports"]
    per = [v["seconds"] for v in status.values()]
    phases: dict[str, float] = {}
    for v in status.values():
        for k, s in v.get("timings", {}).items():
            phases[k] = phases.get(k, 0.0) + s
    return {
        "seconds": seconds,
        "reports": len(per),
        "per_report_worker": statistics.mean(per),
        "phases": {k: s / len(per) for k, s in phases.items()},
        "summary": proc.stdout.strip().splitlines()[-1],
    }


def time_naive(data: Path, period: str, as_of: str, names: list[str], work: Path) -> dict:
    """papermill CLI + nbconvert CLI + weasyprint CLI, per report, on a warm cache."""
    cache = work / "naive-cache"
    shutil.rmtree(cache, ignore_errors=True)
    prepare = prepare_cache(data, as_of, cache)
    env = {**os.environ, "XDG_CACHE_HOME": str(cache)}
    times = []
    for name in names:
        folder = work / "naive" / name.replace(" ", "_")
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        nb = folder / "report.ipynb"
        t = time.perf_counter()
        subprocess.run(
            [
                str(VENV_BIN / "papermill"),
                str(NOTEBOOKS / "municipality_report.ipynb"),
                str(nb),
                "-p",
                "data",
                str(data),
                "-p",
                "municipality",
                name,
                "-p",
                "period",
                period,
                "-p",
                "output_dir",
                str(folder),
                "--no-progress-bar",
                "--log-level",
                "ERROR",
            ],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(VENV_BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(nb)],
            env=env,
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [str(VENV_BIN / "weasyprint"), str(folder / "report.html"), str(folder / "report.pdf")],
            env=env,
            check=True,
            capture_output=True,
        )
        times.append(time.perf_counter() - t)
        print(f"  naive  {name:28} {times[-1]:6.2f} s", flush=True)
    return {"prepare": prepare, "per_report": statistics.mean(times), "measured": len(times)}


_FLOOR = r"""
import contextlib, io, json, os, sys, time, warnings
import matplotlib
matplotlib.use("Agg")
import nbformat
from nbconvert import PythonExporter

warnings.simplefilter("ignore")
jobs = json.loads(sys.argv[1])
codes = {}
for book in {j["notebook"] for j in jobs}:
    nb = nbformat.read(book, as_version=4)
    tagged = ["parameters" in c.metadata.get("tags", []) for c in nb.cells]
    at = tagged.index(True) + 1
    parts = []
    for cells in (nb.cells[:at], nb.cells[at:]):  # the defaults, then the rest
        nb.cells = cells
        script, _ = PythonExporter().from_notebook_node(nb)
        parts.append(compile(script, book, "exec"))
    codes[book] = parts
import matplotlib.pyplot as plt
times = []
for j in jobs:
    t = time.perf_counter()
    os.makedirs(j["params"]["output_dir"], exist_ok=True)
    defaults, rest = codes[j["notebook"]]
    scope = {"__name__": "__main__"}
    with contextlib.redirect_stdout(io.StringIO()):  # display() outside IPython prints
        exec(defaults, scope)
        scope.update(j["params"])  # what papermill's injected cell does
        exec(rest, scope)
    plt.close("all")
    times.append(time.perf_counter() - t)
print(json.dumps(times))
"""


def time_floor(data: Path, period: str, as_of: str, names: list[str], work: Path) -> dict:
    """The notebooks' code cells as plain Python, all reports in one warm process."""
    cache = work / "floor-cache"
    shutil.rmtree(cache, ignore_errors=True)
    prepare = prepare_cache(data, as_of, cache)
    common = {
        "data": str(data),
        "period": period,
        "as_of": as_of,
        "audience": "internal",
        "lang": "lv",
        "programme_path": "",
    }
    jobs = [
        {
            "notebook": str(NOTEBOOKS / "municipality_report.ipynb"),
            "params": {
                **common,
                "municipality": n,
                "output_dir": str(work / "floor" / n.replace(" ", "_")),
            },
        }
        for n in names
    ]
    jobs.append(
        {
            "notebook": str(NOTEBOOKS / "programme_overview.ipynb"),
            "params": {**common, "output_dir": str(work / "floor" / "overview")},
        }
    )
    env = {**os.environ, "XDG_CACHE_HOME": str(cache), "MPLBACKEND": "Agg"}
    t = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", _FLOOR, json.dumps(jobs)],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    total = time.perf_counter() - t
    times = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        "prepare": prepare,
        "process": total,
        "per_report": statistics.mean(times),
        "reports": len(times),
        "sum": sum(times),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--period", default="2021-H1")
    ap.add_argument("--naive", type=int, default=6, help="municipalities timed in the naive loop")
    ap.add_argument("--workers", type=int, default=None)
    ap.add_argument("--data", type=Path, default=None, help="default: the national demo")
    ap.add_argument("--skip-naive", action="store_true")
    args = ap.parse_args()

    from pumpurs.core.calendar import parse_period

    data = (args.data or national_data()).resolve()
    period = parse_period(args.period)
    as_of = period.end_date.isoformat()
    names = municipalities()
    n_reports = len(names) + 1
    work = Path(tempfile.mkdtemp(prefix="bench-batch-", dir=OUT))
    print(f"data {data}, period {period.label}, {n_reports} reports, {os.cpu_count()} CPUs")
    try:
        print("batch: pumpurs run --all (end to end, judging included) ...", flush=True)
        b = time_batch(data, period.label, args.workers, work)
        print(f"  {b['summary']}")
        print(
            f"  batch  {b['seconds']:.1f} s wall = {b['seconds'] / n_reports:.2f} s per report; "
            f"in a worker {b['per_report_worker']:.2f} s per report ("
            + ", ".join(f"{k} {v:.2f}" for k, v in b["phases"].items())
            + ")"
        )
        print("floor: the notebooks' code as plain Python in one warm process ...", flush=True)
        f = time_floor(data, period.label, as_of, names, work)
        floor_total = f["prepare"] + f["process"]
        print(
            f"  floor  {floor_total:.1f} s = judging {f['prepare']:.1f} s + one process "
            f"{f['process']:.1f} s ({f['per_report']:.2f} s per report over {f['reports']})"
        )
        ratio_floor = b["seconds"] / floor_total
        ratio_naive = None
        if not args.skip_naive:
            subset = names[: args.naive]
            print(f"naive: papermill + nbconvert + weasyprint CLIs on {len(subset)} ...")
            n = time_naive(data, period.label, as_of, subset, work)
            naive_total = n["prepare"] + n["per_report"] * n_reports
            print(
                f"  naive  {n['per_report']:.2f} s per report (measured on {n['measured']}, "
                f"extrapolated to {n_reports}) + judging once {n['prepare']:.1f} s "
                f"= {naive_total:.0f} s"
            )
            ratio_naive = naive_total / b["seconds"]
        print()
        if ratio_naive is not None:
            ok = "OK" if ratio_naive >= TARGET_NAIVE else "below target"
            print(f"batch vs naive: {ratio_naive:.1f}x faster (target >= {TARGET_NAIVE:.0f}x) {ok}")
        ok = "OK" if ratio_floor <= TARGET_FLOOR else "above target"
        print(f"batch vs floor: {ratio_floor:.2f}x the floor (target <= {TARGET_FLOOR:.0f}x) {ok}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
