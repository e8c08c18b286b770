"""pumpurs: reporting and grant-compliance toolkit for the ESF project PuMPuRS.

For analysts, five lines::

    import pumpurs
    p = pumpurs.open("data/demo-national")   # a data folder, a DuckDB file or a database URL
    p                                        # data, date, partners, euros, errors
    p.totals(by="category")                  # plain pandas, euros exact to the cent
    pumpurs.style(p.findings(severity="error"))  # a table formatted as a Latvian reads it

`open` and `ProgrammeView` live in `pumpurs.api`, `style` in `pumpurs.present.styler`
(their reference is there); they are imported on first use, so `import pumpurs` (and
the command line) stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pumpurs._version import __version__ as __version__

if TYPE_CHECKING:
    from pumpurs.api import ProgrammeView as ProgrammeView
    from pumpurs.api import open as open
    from pumpurs.present.styler import style as style

_LAZY = {"open": "pumpurs.api", "ProgrammeView": "pumpurs.api", "style": "pumpurs.present.styler"}


def __getattr__(name: str) -> Any:
    """`pumpurs.open` and friends, imported when first asked for."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'pumpurs' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
