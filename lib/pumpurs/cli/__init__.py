"""The `pumpurs` command: a thin layer over the library.

Exit status: 0 done and nothing wrong; 1 done with error findings (check) or failed
reports (run, render); 2 the input or the call is wrong, nothing written; 75 a
temporary failure (TemporaryError: a lock held by another run, data that kept changing,
a lost connection), nothing written, retry later.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from pumpurs.cli.common import _fail, err
from pumpurs.core.errors import InputError, PumpursError, UsageError

app = typer.Typer(
    name="pumpurs",
    help="Reporting and grant-compliance toolkit for the ESF project PuMPuRS.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 180)

DataArg = Annotated[
    str,
    typer.Argument(
        help="The data folder (docs/data-contract.md), a DuckDB file, or a database URL such "
        "as postgresql://user@host:5432/db (docs/databases.md).",
        show_default=False,
    ),
]
ProgrammeOpt = Annotated[
    Path | None,
    typer.Option("--programme", help="programme.yaml to use (default: params/programme.yaml)."),
]


@app.command()
def validate(
    data: DataArg,
    programme: ProgrammeOpt = None,
    max_problems: Annotated[
        int, typer.Option(help="Table format: list at most this many problems (0: all).")
    ] = 200,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="table (for people), json or csv (for machines: every problem on stdout, "
            "with its code; docs/data-contract.md).",
        ),
    ] = "table",
) -> None:
    """Check a data folder or database against the data contract; exit 2 listing every problem.

    Example: pumpurs validate data/demo-national --format json
    """
    from pumpurs.core.settings import load_programme
    from pumpurs.present.export import problems_csv, problems_json
    from pumpurs.present.summary import dataset_summary
    from pumpurs.sources import load

    try:
        _choice(fmt, ("table", "json", "csv"), "--format")
        prog = load_programme(programme)
        ds = load(data, prog)
    except InputError as e:
        if fmt == "table":
            _fail(e, max_problems)
        problems = e.problems
        _emit(fmt, lambda: problems_json(problems), lambda: problems_csv(problems), None)
        raise typer.Exit(e.exit_code) from None
    except PumpursError as e:
        _fail(e, max_problems)
    _emit(
        fmt,
        lambda: problems_json([]),
        lambda: problems_csv([]),
        lambda: out.print(dataset_summary(ds), markup=False),
    )


@app.command("demo-data")
def demo_data(
    out_dir: Annotated[
        Path, typer.Argument(help="Folder to write (created; must be empty or absent).")
    ],
    scale: Annotated[
        str, typer.Option(help="small (a handful of partners) or national.")
    ] = "small",
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed writes the same bytes.")
    ] = 1,
) -> None:
    """Write a realistic synthetic data folder with known rule breaches.

    Example: pumpurs demo-data data/demo --scale national --seed 1
    """
    from pumpurs.demo import write_demo

    try:
        summary = write_demo(out_dir, scale=scale, seed=seed)
    except PumpursError as e:
        _fail(e)
    out.print(summary, markup=False)


@app.command("load")
def load_into(
    folder: Annotated[
        Path, typer.Argument(help="The data folder to read (validated first).", show_default=False)
    ],
    url: Annotated[
        str,
        typer.Argument(
            help="The database to write: a .duckdb file, duckdb:///file, "
            "postgresql://user@host:5432/db or another SQLAlchemy URL; ?schema=NAME for "
            "a schema.",
            show_default=False,
        ),
    ],
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the five tables if they exist.")
    ] = False,
    programme: ProgrammeOpt = None,
) -> None:
    """Write a data folder into a database with native types (DATE, NUMERIC, INTEGER, TEXT).

    The folder is validated first; a database that already has the tables is left alone
    unless --replace. Every command that takes DATA then reads the database.

    Example: pumpurs load data/demo-national postgresql://pumpurs@localhost/pumpurs
    """
    from pumpurs.core.settings import load_programme
    from pumpurs.sources import load
    from pumpurs.sources.database import write_dataset

    try:
        ds = load(folder, load_programme(programme))
        written = write_dataset(ds, url, replace=replace)
    except PumpursError as e:
        _fail(e)
    rows = ", ".join(f"{t} {len(ds.table(t)):,}" for t in written)
    from pumpurs.sources.database import parse_target

    out.print(f"{parse_target(url).label}: wrote {rows} rows", markup=False)


AsOfOpt = Annotated[
    str | None,
    typer.Option("--as-of", help="Report date YYYY-MM-DD (default: the latest paid_on)."),
]
FormatOpt = Annotated[
    str, typer.Option("--format", help="table (for people), json or csv (for machines).")
]
LangOpt = Annotated[str, typer.Option("--lang", help="lv (default) or en, for what people read.")]
PartnerOpt = Annotated[str | None, typer.Option("--partner", help="Only this partner_id.")]
MunicipalityOpt = Annotated[
    str | None,
    typer.Option("--municipality", help="Only this current municipality (name or ISO code)."),
]


def _choice(value: str, allowed: tuple[str, ...], option: str) -> str:
    if value not in allowed:
        raise UsageError(f'{option} "{value}" is not valid; use one of: {", ".join(allowed)}')
    return value


def _formats(fmt: str, lang: str) -> None:
    _choice(fmt, ("table", "json", "csv"), "--format")
    _choice(lang, ("lv", "en"), "--lang")


def _emit(fmt: str, as_json, as_csv, as_table) -> None:
    """json and csv for machines on stdout; the table for people."""
    if fmt == "json":
        print(as_json())
    elif fmt == "csv":
        sys.stdout.write(as_csv())
    else:
        as_table()


def _judged(
    data: str,
    programme: Path | None,
    as_of: str | None,
    partner: str | None,
    municipality: str | None,
):
    """Load, validate and judge the whole data set, then narrow the view to the scope.
    The report date is the request's (`ReportRequest`: --as-of, else the latest paid_on)."""
    from pumpurs.core.rules import judge
    from pumpurs.report.request import ReportRequest
    from pumpurs.sources import load

    if partner and municipality:
        raise UsageError("give either --partner or --municipality, not both")
    request = ReportRequest.build(data, as_of=as_of, programme_path=programme)
    prog = request.programme
    ds = load(data, prog)
    if partner and partner not in set(ds.partners["partner_id"]):
        raise UsageError(f'--partner "{partner}" is not a partner_id in the data; see partners')
    name = prog.municipality(municipality).name if municipality else None
    j = judge(ds, prog, request.report_date(ds))
    return j.scoped(partner=partner, municipality=name), prog


@app.command()
def check(
    data: DataArg,
    partner: PartnerOpt = None,
    municipality: MunicipalityOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = "table",
    lang: LangOpt = "lv",
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only these rule ids (repeatable).")
    ] = None,
    limit: Annotated[
        int, typer.Option(help="Table format: list at most this many findings (0: all).")
    ] = 50,
    programme: ProgrammeOpt = None,
) -> None:
    """Compliance findings by the programme's rules (docs/rules.md); exit 1 when any error-severity finding exists.

    Example: pumpurs check data/demo-national --municipality "Aizkraukles novads" --format json
    """
    from pumpurs.present import export, views

    try:
        _formats(fmt, lang)
        j, prog = _judged(data, programme, as_of, partner, municipality)
    except PumpursError as e:
        _fail(e)
    f = j.findings
    if rule:
        unknown = sorted(set(rule) - set(f["rule"]).union(_rule_ids(prog)))
        if unknown:
            _fail(
                UsageError(
                    f"--rule {', '.join(unknown)}: no such rule; the ids are listed in docs/rules.md"
                )
            )
        f = f[f["rule"].isin(rule)]
    from pumpurs.present.messages import with_messages

    _emit(
        fmt,
        lambda: export.findings_json(with_messages(f, prog, lang), j.as_of),
        lambda: export.findings_csv(with_messages(f, prog, lang)),
        lambda: views.print_findings(out, f, j.as_of, lang, limit, prog),
    )
    raise typer.Exit(1 if (f["severity"] == "error").any() else 0)


def _rule_ids(prog) -> list[str]:
    from pumpurs.core.rules import rule_ids

    return rule_ids(prog)


@app.command()
def totals(
    data: DataArg,
    by: Annotated[
        str,
        typer.Option(help="partner, municipality, category, school, month, semester or half-year."),
    ] = "partner",
    partner: PartnerOpt = None,
    municipality: MunicipalityOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = "table",
    lang: LangOpt = "lv",
    programme: ProgrammeOpt = None,
) -> None:
    """Declared, ineligible, eligible, ESF and state money; every table adds up to the cent.

    Example: pumpurs totals data/demo-national --by category --format csv
    """
    from pumpurs.core.totals import BY_KEYS
    from pumpurs.core.totals import totals as compute
    from pumpurs.present import export, views

    try:
        _choice(by, tuple(BY_KEYS), "--by")
        _formats(fmt, lang)
        j, _ = _judged(data, programme, as_of, partner, municipality)
    except PumpursError as e:
        _fail(e)
    table = compute(j.ledger, j.partners, by)
    _emit(
        fmt,
        lambda: export.totals_json(table, j.as_of),
        lambda: export.totals_csv(table),
        lambda: views.print_totals(out, table, j.as_of, lang),
    )


@app.command()
def indicators(
    data: DataArg,
    by: Annotated[str, typer.Option(help="programme, partner or municipality.")] = "programme",
    per: Annotated[str, typer.Option(help="cumulative, school_year or semester.")] = "cumulative",
    partner: PartnerOpt = None,
    municipality: MunicipalityOpt = None,
    as_of: AsOfOpt = None,
    fmt: FormatOpt = "table",
    lang: LangOpt = "lv",
    programme: ProgrammeOpt = None,
) -> None:
    """The six indicators (docs/rules.md) against their versioned targets.

    Example: pumpurs indicators data/demo-national --by municipality --per school_year
    """
    from pumpurs.core.indicators import indicators as compute
    from pumpurs.present import export, views

    try:
        _formats(fmt, lang)
        j, prog = _judged(data, programme, as_of, partner, municipality)
        frame = compute(
            j.plans, j.ledger, j.partners, j.dataset.outcomes, prog, by=by, per=per, as_of=j.as_of
        )
    except PumpursError as e:
        _fail(e)
    _emit(
        fmt,
        lambda: export.indicators_json(frame, j.as_of),
        lambda: export.indicators_csv(frame),
        lambda: views.print_indicators(out, frame, j.as_of, lang),
    )


from pumpurs.cli import run as cli_run  # noqa: E402  (light: typer and the standard library only)

app.command("run")(cli_run.run)
app.command("judge")(cli_run.judge)
app.command("render")(cli_run.render)
app.command("index")(cli_run.index)
app.command("doctor")(cli_run.doctor)

from pumpurs.cli import privacy as cli_privacy  # noqa: E402

app.command("audit-release")(cli_privacy.audit_release)
app.add_typer(cli_privacy.cache, name="cache")


def main() -> None:
    from pumpurs.run.patches import skip_rfc3987_syntax

    skip_rfc3987_syntax()  # before anything imports jsonschema (through nbformat)
    try:
        app()
    except PumpursError as e:  # pragma: no cover - commands handle their own
        err.print(str(e), markup=False)
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
