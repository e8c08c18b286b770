"""The batch's commands: `pumpurs run`, its steps apart (`judge`, `render`, `index`) and
`pumpurs doctor` (registered in cli/__init__.py).

Only typer and the standard library are imported here; the batch, the workers and the
notebook toolchain are imported when a command runs, so `pumpurs --help` stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer


def _logged(
    event: str,
    started: str,
    work: Callable[[], tuple[int, str]],
    logs: Any = None,
    prints: bool = False,
) -> NoReturn:
    """Run a batch step between a line that opens it and one that closes it with its exit
    status (the log's format: pumpurs.run.log); a user error is printed between them,
    each line with its time, and ends the step with its status (2, or 75 to retry).
    `logs`: where the opening and closing lines go (stdout; stderr for a step whose
    stdout a script reads). `prints`: the step prints PDFs, and its opening line names the
    engine that prints them (`PDFs by chromium`), as each report's manifest does."""
    from pumpurs._version import __version__
    from pumpurs.cli.common import error_text
    from pumpurs.core.errors import PumpursError, UsageError
    from pumpurs.run.log import log

    engine = _pdf_engine() if prints else ""
    log(f"{event} started: {started} (pumpurs {__version__}, pid {os.getpid()}{engine})", logs)
    try:
        code, said = work()
    except PumpursError as e:
        code, said = e.exit_code, ENDED.get(e.exit_code, "stopped")
        log(error_text(e, 0), file=sys.stderr)
    except OSError as e:  # a folder that cannot be written, a full disk: one line, exit 2
        where = f"{e.filename}: " if e.filename else ""
        wrong = UsageError(
            f"{where}{e.strerror or e}; reports already finished are kept. Give --out a "
            "folder you can write to, with free space, and run again"
        )
        code, said = wrong.exit_code, ENDED[wrong.exit_code]
        log(str(wrong), file=sys.stderr)
    log(f"{event} finished: {said} (exit {code})", logs)
    raise typer.Exit(code)


def _pdf_engine() -> str:
    """The opening line's `, PDFs by ENGINE`; nothing where the environment names an
    engine that cannot be honoured (the step itself refuses it, exit 2)."""
    from pumpurs.core.errors import UsageError
    from pumpurs.present.pdf import pdf_engine

    try:
        return f", PDFs by {pdf_engine()}"
    except UsageError:
        return ""


# The closing line of a step that stopped on an error, by exit status.
ENDED = {
    2: "nothing done, the input or the call is wrong",
    75: "nothing done, a temporary failure; run again later",
}


def _shown_data(data: str) -> str:
    """The data as a log may name it (a database URL without its password)."""
    try:
        from pumpurs.sources import open_source

        return open_source(data).label
    except Exception:  # the step itself says what is wrong with it
        return "the data" if "://" in data else data


def run(
    data: Annotated[
        str,
        typer.Argument(
            help="The data folder (docs/data-contract.md), a DuckDB file, or a database URL "
            "such as postgresql://user@host:5432/db (docs/databases.md).",
            show_default=False,
        ),
    ],
    municipality: Annotated[
        list[str] | None,
        typer.Option(
            "--municipality",
            help="A municipality to render (name, ISO code or slug); repeat for several.",
        ),
    ] = None,
    all_: Annotated[
        bool,
        typer.Option(
            "--all", help="Every current municipality, the national overview and the index."
        ),
    ] = False,
    period: Annotated[
        str | None,
        typer.Option(
            help="Reporting half-year, e.g. 2020-H2 (default: the last complete one, at most"
            " the programme's final half-year)."
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Report date YYYY-MM-DD (default: the period's last day)."),
    ] = None,
    audience: Annotated[
        str | None,
        typer.Option(
            help="internal (findings row by row) or public (small numbers hidden, no "
            "findings.csv). Default: internal, or the municipality's params file."
        ),
    ] = None,
    lang: Annotated[
        str | None,
        typer.Option(help="lv or en. Default: lv, or the municipality's params file."),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="Reports folder; reports go to OUT/<period>/<municipality>/.")
    ] = Path("reports"),
    workers: Annotated[
        int | None,
        typer.Option(help="Parallel workers, one Jupyter kernel each (default: CPU count)."),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed", help="Render only the reports that failed last time (status.json)."
        ),
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Render even reports that are up to date.")
    ] = False,
    programme: Annotated[
        Path | None,
        typer.Option(
            "--programme",
            help="programme.yaml to use (default: params/programme.yaml); the "
            "municipalities' params files are read from the same folder.",
        ),
    ] = None,
    notebooks: Annotated[
        Path | None,
        typer.Option(help="Folder with municipality_report.ipynb and programme_overview.ipynb."),
    ] = None,
    params: Annotated[
        Path | None,
        typer.Option("--params", help="Folder with the <municipality-slug>.yaml params files."),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds one notebook cell may run before it fails.")
    ] = 1800.0,
) -> None:
    """Render the reports: executed notebook, HTML, PDF, XLSX, manifest, and an index.

    Each municipality's report goes to OUT/<period>/<slug>/ and replaces the old one only
    when complete. Reports whose inputs did not change are skipped. Exit status: 0 all
    done; 1 some reports failed (the others are finished; see OUT/<period>/index.html);
    2 the input or the call is wrong and nothing was written; 75 temporary (a report
    being rendered by another process, data that kept changing): run again later.

    Example: pumpurs run data/demo-national --all --period 2020-H2 --out reports
    """
    from pumpurs.run.batch import RunOptions, run_batch

    opts = RunOptions(
        data=data,
        municipalities=list(municipality or []),
        all=all_,
        period=period,
        as_of=as_of,
        audience=audience,
        lang=lang,
        out=out,
        workers=workers,
        retry_failed=retry_failed,
        force=force,
        programme=programme,
        notebooks=notebooks,
        params=params,
        timeout=timeout,
    )

    def work() -> tuple[int, str]:
        outcome = run_batch(opts)
        return outcome.exit_code, (
            f"{len(outcome.rendered)} rendered, {len(outcome.failed)} failed, "
            f"{outcome.up_to_date} up to date in {outcome.seconds:.1f} s"
        )

    chosen = ["--all"] if all_ else [f"--municipality {m!r}" for m in municipality or []]
    chosen += ["--retry-failed"] * retry_failed + ["--force"] * force
    chosen += [f"--period {period}"] * bool(period) + [f"--as-of {as_of}"] * bool(as_of)
    _logged("run", " ".join([_shown_data(data), *chosen, f"--out {out}"]), work, prints=True)


def doctor(
    out: Annotated[
        Path, typer.Option(help="The reports folder a batch will write to (checked writable).")
    ] = Path("reports"),
    data: Annotated[
        str | None,
        typer.Option(
            "--data",
            help="The data a batch will read: a folder, a DuckDB file or a database URL "
            "(its connection and tables are checked).",
        ),
    ] = None,
) -> None:
    """Check the report toolchain before a scheduled batch; exit 1 if anything fails.

    Checks: the data source answers and has its tables (with --data); a Jupyter kernel
    starts and runs 1+1; the PDF engine makes a PDF whose Latvian text extracts back; the
    DejaVu fonts are installed; the notebooks and their parameters are readable; OUT is
    writable; chromium (optional) is present.

    Example: pumpurs doctor --out /srv/pumpurs/reports --data postgresql://pumpurs@db/pumpurs
    """
    from pumpurs.run.doctor import print_report, run_checks

    checks = run_checks(out, data)
    raise typer.Exit(print_report(checks))


def judge(
    data: Annotated[
        str,
        typer.Argument(
            help="The data folder, a DuckDB file, or a database URL (as for `pumpurs run`).",
            show_default=False,
        ),
    ],
    period: Annotated[
        str | None,
        typer.Option(help="Reporting half-year, e.g. 2021-H1 (default: as for `pumpurs run`)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Report date YYYY-MM-DD within the period (default: its last day)."
        ),
    ] = None,
    out: Annotated[
        Path, typer.Option(help="The reports folder the reports will go to (default: reports).")
    ] = Path("reports"),
    cache: Annotated[
        Path | None,
        typer.Option(
            help="Where the judged data goes (default: OUT/.cache); a folder of your own for "
            "public reports, whose folder keeps no judged data."
        ),
    ] = None,
    programme: Annotated[
        Path | None,
        typer.Option("--programme", help="programme.yaml to use (default: params/programme.yaml)."),
    ] = None,
) -> None:
    """Step 1 of a batch run apart: judge the data once; print the store's path.

    `pumpurs render --store PATH` and `pumpurs index` (any number of processes, on any
    machine that sees the folder) then read the store. Log lines go to stderr, the path
    alone to stdout. Exit status: 0 stored; 2 bad data or call; 75 data that kept changing.

    Example: STORE=$(pumpurs judge data/demo-national --period 2021-H1 --out reports)
    """
    from pumpurs.run import steps
    from pumpurs.run.batch import RunOptions

    opts = RunOptions(data=data, period=period, as_of=as_of, out=out, programme=programme)

    def work() -> tuple[int, str]:
        store = steps.judge(opts, cache)
        print(store, flush=True)
        return 0, f"stored in {store}"

    shown = [_shown_data(data), *([f"--period {period}"] if period else [])]
    shown += [f"--as-of {as_of}"] * bool(as_of) + [f"--out {out}"]
    _logged("judge", " ".join(shown), work, sys.stderr)


def render(
    store: Annotated[
        Path,
        typer.Option(
            help="The store `pumpurs judge` printed: the data, period, report date and "
            "programme of the reports.",
            show_default=False,
        ),
    ],
    municipality: Annotated[
        list[str] | None,
        typer.Option(
            "--municipality",
            help="A municipality to render (name, ISO code or slug); repeat for several.",
        ),
    ] = None,
    overview: Annotated[
        bool, typer.Option("--overview", help="The national overview report.")
    ] = False,
    all_: Annotated[
        bool, typer.Option("--all", help="Every current municipality and the overview.")
    ] = False,
    audience: Annotated[
        str | None, typer.Option(help="internal (default) or public, as for `pumpurs run`.")
    ] = None,
    lang: Annotated[str | None, typer.Option(help="lv (default) or en.")] = None,
    out: Annotated[
        Path, typer.Option(help="Reports folder; reports go to OUT/<period>/<municipality>/.")
    ] = Path("reports"),
    workers: Annotated[
        int | None,
        typer.Option(help="Parallel workers in this process (default: CPU count)."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Render even reports that are up to date.")
    ] = False,
    notebooks: Annotated[
        Path | None,
        typer.Option(help="Folder with municipality_report.ipynb and programme_overview.ipynb."),
    ] = None,
    params: Annotated[
        Path | None,
        typer.Option("--params", help="Folder with the <municipality-slug>.yaml params files."),
    ] = None,
    timeout: Annotated[
        float, typer.Option(help="Seconds one notebook cell may run before it fails.")
    ] = 1800.0,
) -> None:
    """Step 2 of a batch run apart: render some reports from a judged store.

    Many render processes may write other municipalities of one period into one --out
    at once; each report is locked while it is rendered. No index: `pumpurs index`.
    Exit status: 0 done; 1 some reports failed; 2 bad call; 75 a report is being
    rendered by another process.

    Example: pumpurs render --store "$STORE" --municipality Rīga --municipality LV-002 --out reports
    """
    from pumpurs.run import steps
    from pumpurs.run.batch import RunOptions

    opts = RunOptions(
        data="",
        municipalities=list(municipality or []),
        all=all_,
        overview=overview,
        audience=audience,
        lang=lang,
        out=out,
        workers=workers,
        force=force,
        notebooks=notebooks,
        params=params,
        timeout=timeout,
    )

    def work() -> tuple[int, str]:
        outcome = steps.render(opts, store)
        return outcome.exit_code, (
            f"{len(outcome.rendered)} rendered, {len(outcome.failed)} failed, "
            f"{outcome.up_to_date} up to date in {outcome.seconds:.1f} s"
        )

    chosen = ["--all"] if all_ else [f"--municipality {m!r}" for m in municipality or []]
    chosen += ["--overview"] * overview
    _logged("render", " ".join([f"--store {store}", *chosen, f"--out {out}"]), work, prints=True)


def index(
    period_dir: Annotated[
        Path,
        typer.Argument(
            help="The period folder, OUT/PERIOD (e.g. reports/2021-H1).", show_default=False
        ),
    ],
    store: Annotated[
        Path | None,
        typer.Option(
            help="The store `pumpurs judge` printed (default: the one status.json names, in "
            "OUT/.cache)."
        ),
    ] = None,
) -> None:
    """Step 3 of a batch run apart: write OUT/PERIOD/index.html, every report's status.

    Run it after the render steps (or at any time: it shows what is there).
    Exit status: 0 written; 2 no such period folder or store.

    Example: pumpurs index reports/2021-H1
    """
    from pumpurs.run import steps

    def work() -> tuple[int, str]:
        return 0, f"wrote {steps.index(period_dir, store)}"

    _logged("index", str(period_dir), work)
