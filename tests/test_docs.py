"""The documentation cannot drift: every rule, command, option and contract column is in
docs/, and nothing a user reads points outside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import typer

from pumpurs.cli import app
from pumpurs.core import contract, registry

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
COMMANDS = typer.main.get_command(app).commands  # type: ignore[attr-defined]


def _section(text: str, heading: str) -> str:
    """The text under a heading, up to the next heading of the same or a higher level."""
    level = len(heading) - len(heading.lstrip("#"))
    start = text.index(heading + "\n")
    rest = text[start + len(heading) :]
    m = re.search(rf"\n#{{1,{level}}} ", rest)
    return rest[: m.start()] if m else rest


@pytest.mark.parametrize("rule", registry.ids())
def test_every_rule_has_its_section_with_an_example(rule: str) -> None:
    text = (DOCS / "rules.md").read_text(encoding="utf-8")
    assert f"### `{rule}`\n" in text, f"docs/rules.md has no section ### `{rule}`"
    body = _section(text, f"### `{rule}`")
    assert "error" in body or "warning" in body
    assert "Example" in body or rule.startswith("CAP_") or rule.startswith("ELIG_MAT"), rule


@pytest.mark.parametrize("indicator", contract.INDICATORS)
def test_every_indicator_is_documented(indicator: str) -> None:
    assert f"`{indicator}`" in (DOCS / "rules.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_and_option_is_documented_with_an_example(name: str) -> None:
    text = (DOCS / "commands.md").read_text(encoding="utf-8")
    heading = f"## `pumpurs {name}`"
    assert heading + "\n" in text, f"docs/commands.md has no section {heading}"
    body = _section(text, heading)
    for param in COMMANDS[name].params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--") and opt != "--help":
                assert f"`{opt}`" in body, f"{name}: option {opt} is not documented"
    assert f"pumpurs {name}" in body.split("```sh", 1)[-1], f"{name}: no example"
    assert "Example:" in (COMMANDS[name].help or ""), f"{name}: --help has no example"


@pytest.mark.parametrize(
    ("table", "column"), [(t, c.name) for t, cols in contract.TABLES.items() for c in cols]
)
def test_every_contract_column_is_documented(table: str, column: str) -> None:
    text = (DOCS / "data-contract.md").read_text(encoding="utf-8")
    body = _section(text, f"### `{table}`")
    assert f"| `{column}` |" in body, f"docs/data-contract.md: {table}.{column} missing"


def _user_facing() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "Makefile", *DOCS.glob("*.md")]
    files += list((ROOT / "lib" / "pumpurs").rglob("*.py"))
    files += list((ROOT / "notebooks").glob("*.ipynb"))
    return files


@pytest.mark.parametrize("path", _user_facing(), ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_points_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert "../shared" not in text and "shared/spec" not in text, path


def test_relative_links_in_docs_resolve() -> None:
    for page in [ROOT / "README.md", *DOCS.glob("*.md")]:
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), f"{page.name}: broken link {target}"


def test_licence_and_changelog() -> None:
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert "## Unreleased" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
