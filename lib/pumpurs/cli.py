"""The `pumpurs` command: a thin layer over the library.

Exit status: 0 done and nothing wrong; 1 done with error findings (check) or failed
reports (run); 2 the input or the call is wrong, nothing written.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from .errors import InputError, PumpursError

app = typer.Typer(
    name="pumpurs",
    help="Reporting and grant-compliance toolkit for the ESF project PuMPuRS.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)

DataArg = Annotated[
    Path, typer.Argument(help="The data folder (data-contract.md).", show_default=False)
]
ProgrammeOpt = Annotated[
    Path | None,
    typer.Option("--programme", help="programme.yaml to use (default: params/programme.yaml)."),
]


def _fail(e: PumpursError, max_problems: int = 200) -> None:
    if isinstance(e, InputError) and max_problems and len(e.problems) > max_problems:
        shown = "\n".join(str(p) for p in e.problems[:max_problems])
        more = len(e.problems) - max_problems
        err.print(
            f"The data has {len(e.problems)} problems; nothing was computed or written:\n{shown}\n"
            f"... and {more} more (use --max-problems 0 to list them all)",
            markup=False,
        )
    else:
        err.print(str(e), markup=False)
    raise typer.Exit(e.exit_code)


@app.command()
def validate(
    data: DataArg,
    programme: ProgrammeOpt = None,
    max_problems: Annotated[
        int, typer.Option(help="List at most this many problems (0: all).")
    ] = 200,
) -> None:
    """Check a data folder against the data contract; exit 2 listing every problem.

    Example: pumpurs validate data/demo-national
    """
    from .load import load_data
    from .settings import load_programme
    from .summary import dataset_summary

    try:
        prog = load_programme(programme)
        ds = load_data(data, prog)
    except PumpursError as e:
        _fail(e, max_problems)
    out.print(dataset_summary(ds), markup=False)


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
    from .demo import write_demo

    try:
        summary = write_demo(out_dir, scale=scale, seed=seed)
    except PumpursError as e:
        _fail(e)
    out.print(summary, markup=False)


def main() -> None:
    try:
        app()
    except PumpursError as e:  # pragma: no cover - commands handle their own
        err.print(str(e), markup=False)
        sys.exit(e.exit_code)


if __name__ == "__main__":
    main()
