"""What every command shares: the error console and how a user error ends a command."""

from __future__ import annotations

import typer
from rich.console import Console

from pumpurs.core.errors import InputError, PumpursError

err = Console(stderr=True, highlight=False, soft_wrap=True)


def error_text(e: PumpursError, max_problems: int = 200) -> str:
    """What a user error says: every problem, or the first `max_problems` of them."""
    if isinstance(e, InputError) and max_problems and len(e.problems) > max_problems:
        shown = "\n".join(str(p) for p in e.problems[:max_problems])
        more = len(e.problems) - max_problems
        return (
            f"The data has {len(e.problems)} problems; nothing was computed or written:\n{shown}\n"
            f"... and {more} more (use --max-problems 0 to list them all)"
        )
    return str(e)


def _fail(e: PumpursError, max_problems: int = 200) -> None:
    """Print a user error and end the command with its exit status: 2 for what the user
    must fix, 75 (TemporaryError) for what a later retry may not meet."""
    err.print(error_text(e, max_problems), markup=False)
    raise typer.Exit(e.exit_code)
