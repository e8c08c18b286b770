"""Where the project's own files live: programme settings, municipalities' parameter
files and the report notebooks.

They are one folder with `params/` and `notebooks/`: the repository itself in a
checkout, and the copy an installed package carries (`pumpurs/_project`, links to the
repository's folders that a wheel stores as files). `--project DIR` points a command at
another folder of the same layout, e.g. a municipality's own settings.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

PROGRAMME_FILE = Path("params") / "programme.yaml"


def project_dir(explicit: str | Path | None = None) -> Path:
    """The project folder: `explicit` if given, else the one this package carries."""
    if explicit:
        return Path(explicit).resolve()
    return Path(str(resources.files("pumpurs") / "_project")).resolve()


def default_programme(project: str | Path | None = None) -> Path:
    return (project_dir(project) / PROGRAMME_FILE).resolve()


def notebooks_dir(project: str | Path | None = None) -> Path:
    return (project_dir(project) / "notebooks").resolve()


def repository() -> Path | None:
    """The checkout this package runs from, if any (the parent of `lib/`)."""
    here = Path(__file__).resolve().parents[3]
    return here if (here / "lib" / "pumpurs").is_dir() and (here / "params").is_dir() else None


def resolve_data(data: str | Path) -> str | Path:
    """A data folder as a user means it: as given (absolute, or from the current
    folder); failing that, from the repository root, so that a notebook run from
    `notebooks/` finds `data/demo-national` that `make reports` wrote. A database URL is
    returned as it is."""
    if isinstance(data, str) and "://" in data:
        return data
    p = Path(data).expanduser()
    if p.is_absolute() or p.exists():
        return p
    repo = repository()
    if repo is not None and (repo / p).exists():
        return repo / p
    return p
