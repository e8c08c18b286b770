"""What every command shares: the error console and how a user error ends a command."""

from __future__ import annotations

import typer
from rich.console import Console

from pumpurs.core.errors import InputError, PumpursError

err = Console(stderr=True, highlight=False, soft_wrap=True)


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
