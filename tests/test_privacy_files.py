"""Pupil-level data only where it must be: the per-user cache, the installed package, the
notebooks in the repository (issue 23)."""

from __future__ import annotations

import json
import stat
import subprocess
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from factory import entry, world
from pumpurs.cli import app
from pumpurs.core.rules import judge
from pumpurs.core.settings import load_programme
from pumpurs.run import session

ROOT = Path(__file__).resolve().parents[1]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_judged_data_cache_is_its_owners_alone(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "home-cache"))
    j = judge(world([entry()]), load_programme())
    store = session.store_path("k1")
    session.write_judgement(j, store)
    assert _mode(session.cache_dir()) == 0o700
    assert _mode(store) == 0o700
    files = [p for p in store.rglob("*") if p.is_file()]
    assert files and {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}


def test_an_existing_open_cache_folder_is_closed(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "pumpurs").mkdir(mode=0o755)
    session.write_judgement(judge(world([entry()]), load_programme()), session.store_path("k"))
    assert _mode(tmp_path / "pumpurs") == 0o700


def test_cache_clear_empties_the_per_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    j = judge(world([entry()]), load_programme())
    for key in ("a", "b"):
        session.write_judgement(j, session.store_path(key))
    result = CliRunner().invoke(app, ["cache", "clear"])
    assert result.exit_code == 0, result.output
    assert result.output == f"removed 2 cached judgement(s) from {tmp_path / 'pumpurs'}\n"
    assert list((tmp_path / "pumpurs").iterdir()) == []
    again = CliRunner().invoke(app, ["cache", "clear"])
    assert again.output == f"{tmp_path / 'pumpurs'}: nothing cached\n"


def test_the_package_ships_only_the_notebooks_under_version_control():
    """A glob would install any notebook left in notebooks/ (an executed one shows pupils)."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = [
        p.removeprefix("_project/")
        for p in data["tool"]["setuptools"]["package-data"]["pumpurs"]
        if p.startswith("_project/notebooks/")
    ]
    tracked = subprocess.run(
        ["git", "ls-files", "notebooks/*.ipynb"], cwd=ROOT, capture_output=True, text=True
    ).stdout.split()
    assert sorted(shipped) == sorted(tracked)
    assert not any("*" in p for p in shipped)


def test_notebooks_are_stripped_on_commit_too():
    hooks = (ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8")
    assert "repo: https://github.com/kynan/nbstripout" in hooks and "id: nbstripout" in hooks
    assert "notebooks/*.ipynb filter=nbstripout" in (ROOT / ".gitattributes").read_text("utf-8")


def test_report_notebooks_read_the_batchs_store_not_the_users_cache():
    """Handed `judgement_path`, a notebook reads the store the batch made (a public batch's
    is a private temporary folder, removed at its end) and writes nothing to the per-user
    cache: every call that could judge passes it on."""
    for name in ("municipality_report.ipynb", "programme_overview.ipynb"):
        nb = json.loads((ROOT / "notebooks" / name).read_text(encoding="utf-8"))
        code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        calls = [
            line for line in code.splitlines() if "judgement(" in line or "release_marks(" in line
        ]
        assert len(calls) == 2 and all(line.rstrip().endswith("judgement_path)") for line in calls)
