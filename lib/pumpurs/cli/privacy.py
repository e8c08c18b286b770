"""`pumpurs audit-release` and `pumpurs cache clear` (registered in cli/__init__.py).

Only typer and the standard library at import time, so `pumpurs --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def audit_release(
    period_dir: Annotated[
        Path,
        typer.Argument(
            help="A public release's period folder, e.g. reports/2021-H1.", show_default=False
        ),
    ],
) -> None:
    """Read a public release as an outsider would and list every hidden count that its
    published figures pin to one value; exit 1 if there is one, 0 if none.

    Example: pumpurs audit-release reports/2021-H1
    """
    from pumpurs.cli.common import _fail
    from pumpurs.core.errors import PumpursError
    from pumpurs.run.audit import audit

    try:
        leaks, hidden = audit(period_dir)
    except PumpursError as e:
        _fail(e)
    for leak in leaks:
        typer.echo(leak.line())
    typer.echo(
        f"{len(leaks)} of {hidden} hidden counts can be worked out from the published figures"
        if leaks
        else f"audit: none of the {hidden} hidden counts can be worked out from the published figures"
    )
    raise typer.Exit(1 if leaks else 0)


cache = typer.Typer(
    help="The per-user cache of judged data (pupil-level; docs/privacy.md).\n\n"
    "Example: pumpurs cache clear",
    no_args_is_help=True,
)


@cache.command("clear")
def cache_clear() -> None:
    """Delete the per-user cache of judged data (~/.cache/pumpurs): it holds pupil
    pseudonyms. Notebooks run alone judge again the next time.

    Example: pumpurs cache clear
    """
    from pumpurs.run.session import cache_dir, clear_cache

    folder = cache_dir()
    n = clear_cache()
    typer.echo(
        f"removed {n} cached judgement(s) from {folder}" if n else f"{folder}: nothing cached"
    )
