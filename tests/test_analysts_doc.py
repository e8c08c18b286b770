"""docs/analysts.md runs as written: its `pumpurs` commands, then its Python blocks top to
bottom in one notebook kernel; and every public name of the front door is documented."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from typer.testing import CliRunner

from pumpurs.cli import app

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "analysts.md"
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)


def blocks(kind: str) -> list[str]:
    return [body for lang, body in BLOCK.findall(DOC.read_text(encoding="utf-8")) if lang == kind]


def test_the_walk_through_runs_top_to_bottom(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    commands = [line.split() for b in blocks("sh") for line in b.splitlines()]
    assert commands == [["pumpurs", "demo-data", "data/demo", "--scale", "small"]]
    for command in commands:
        result = CliRunner().invoke(app, command[1:])
        assert result.exit_code == 0, result.output
    code = blocks("python")
    assert len(code) >= 20 and code[0].startswith("import pumpurs\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in code])
    NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()  # raises CellExecutionError, with the block and its traceback, on an error
    shown = [o for c in nb.cells for o in c.outputs]
    assert len(shown) >= len(code) - 2  # every block but the assertions shows something
    charts = [o for o in shown if "image/png" in o.get("data", {})]
    assert len(charts) == 2
    assert (tmp_path / "bi" / "ledger.parquet").is_file() and (tmp_path / "bi.duckdb").is_file()


def _public(module_doc) -> list:
    """Every public member pdoc documents in a module, classes' members included."""
    out = []
    for member in module_doc.members.values():
        if member.name.startswith("_") or member.taken_from[0] != module_doc.modulename:
            continue
        out.append(member)
        out += [m for n, m in getattr(member, "members", {}).items() if not n.startswith("_")]
    return out


@pytest.mark.parametrize(
    "module", ["pumpurs.api", "pumpurs.present.styler", "pumpurs.present.frames"]
)
def test_every_public_name_of_the_front_door_is_documented(module):
    import importlib

    from pdoc import doc

    mod = importlib.import_module(module)
    documented = doc.Module(mod)
    assert documented.docstring.strip(), module
    names = {m.qualname: m.docstring.strip() for m in _public(documented)}
    assert names, module
    assert [n for n, text in names.items() if not text] == []


def test_the_names_at_the_top_are_the_documented_ones():
    import pumpurs

    assert pumpurs.__doc__ and "pumpurs.open(" in pumpurs.__doc__
    for name in ("open", "ProgrammeView", "style"):
        assert name in dir(pumpurs) and getattr(pumpurs, name).__doc__.strip(), name


def test_the_api_reference_names_the_facade(tmp_path):
    import pdoc

    pdoc.render.configure(docformat="markdown")
    pdoc.pdoc("pumpurs.api", output_directory=tmp_path)
    page = (tmp_path / "pumpurs" / "api.html").read_text(encoding="utf-8")
    for name in ("ProgrammeView.totals", "ProgrammeView.findings", "Plots.cumulative", "open"):
        assert f'id="{name}"' in page, name
