"""The notebooks: stored clean, literal parameters, no code of their own, and they run."""

from __future__ import annotations

import ast
import json
import shutil
from pathlib import Path

import nbformat
import papermill as pm
import pytest
import yaml

from pumpurs.core.settings import load_programme

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
NAMES = {p.stem for p in NOTEBOOKS}


def test_the_three_notebooks_exist():
    assert {"municipality_report", "programme_overview", "explore"} <= NAMES


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    dirty = [
        i
        for i, c in enumerate(nb["cells"])
        if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert dirty == [], f"{path.name}: cells {dirty} carry outputs; run nbstripout"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_functions_or_classes_in_notebooks(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        defined = [
            n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef | ast.Lambda)
        ]
        assert defined == [], f"{path.name}: define functions in lib/pumpurs, not in a notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_holds_literals_only(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(cells) == 1
    for stmt in ast.parse(cells[0].source).body:
        assert isinstance(stmt, ast.Assign | ast.AnnAssign), ast.unparse(stmt)
        assert isinstance(stmt.value, ast.Constant), ast.unparse(stmt)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_is_typed_and_explained_for_papermill_help(path):
    """`papermill --help-notebook` lists each parameter with its type and a sentence
    (`name: type = value  # help`, as papermill's PythonTranslator reads a cell)."""
    found = pm.inspect_notebook(str(path))
    assert found
    for name, p in found.items():
        assert p["inferred_type_name"] == type(ast.literal_eval(p["default"])).__name__, name
        assert len(p["help"]) >= 5, f"{path.name}: {name} has no comment saying what it is"


def test_params_files_match_the_report_notebook():
    allowed = set(pm.inspect_notebook(str(ROOT / "notebooks" / "municipality_report.ipynb")))
    programme = load_programme()
    files = sorted(p for p in (ROOT / "params").glob("*.yaml") if p.name != "programme.yaml")
    assert len(files) == 43
    named = set()
    for f in files:
        params = yaml.safe_load(f.read_text(encoding="utf-8"))
        assert set(params) <= allowed, f"{f.name}: unknown keys {set(params) - allowed}"
        m = programme.find_municipality(params["municipality"])
        assert m is not None and f.stem == m.slug, f.name
        named.add(m.code)
    assert named == {m.code for m in programme.municipalities}


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    from pumpurs.demo import write_demo

    out = tmp_path_factory.mktemp("demo") / "small"
    write_demo(out, scale="small", seed=1)
    return out


@pytest.mark.parametrize(
    "name, params",
    [
        ("municipality_report", {"municipality": "Aizkraukles novads", "period": "2020-H2"}),
        (
            "municipality_report",
            {"municipality": "LV-002", "period": "2021-H1", "audience": "public", "lang": "en"},
        ),
        ("programme_overview", {"period": "2020-H2"}),
        ("explore", {}),
    ],
)
def test_papermill_smoke_run(name, params, small, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / f"{name}.ipynb"
    kw = {"data": str(small), **params}
    if name != "explore":
        kw["output_dir"] = str(tmp_path / "files")
    pm.execute_notebook(
        str(ROOT / "notebooks" / f"{name}.ipynb"),
        str(out),
        parameters=kw,
        kernel_name="python3",
        progress_bar=False,
    )
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    shown = [o for c in nb.cells for o in c.get("outputs", [])]
    assert len(shown) >= 5
    if name != "explore":
        assert (tmp_path / "files" / "report.xlsx").stat().st_size > 0
    if name == "programme_overview":  # the widest table of all: it must fit A4
        from pages import words_near_the_right_edge
        from pumpurs.present.pdf import html_to_pdf
        from pumpurs.present.render import notebook_to_html

        pdf = tmp_path / "overview.pdf"
        html_to_pdf(notebook_to_html(nb, "PuMPuRS", "lv"), pdf, "PuMPuRS", "lv")
        assert words_near_the_right_edge(pdf) == []


def test_explore_runs_from_the_notebooks_folder_with_its_default_data_path(small, tmp_path):
    """A newcomer's first "Run All" in JupyterLab: the kernel's folder is notebooks/ and
    `data` is the default relative path, resolved from the repository root."""
    nb = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    default = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    relative = ast.literal_eval(ast.parse(default.source).body[0].value)  # the literal default
    assert relative == "data/demo-national"
    target = ROOT / "data" / f"test-explore-{tmp_path.name}"  # beside what `make reports` writes
    target.parent.mkdir(exist_ok=True)
    shutil.copytree(small, target)
    try:
        out = tmp_path / "explore.ipynb"
        pm.execute_notebook(
            str(ROOT / "notebooks" / "explore.ipynb"),
            str(out),
            parameters={"data": f"data/{target.name}"},
            cwd=str(ROOT / "notebooks"),
            kernel_name="python3",
            progress_bar=False,
        )
    finally:
        shutil.rmtree(target, ignore_errors=True)
    cells = nbformat.read(out, as_version=4).cells
    assert not [o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"]


def test_explore_reads_a_duckdb_file_as_it_reads_a_folder(small, tmp_path, monkeypatch):
    """An analyst points `data` at a database: the same notebook, the same tables."""
    from pumpurs.sources import load
    from pumpurs.sources.database import write_dataset

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    db = tmp_path / "pumpurs.duckdb"
    write_dataset(load(small), str(db))
    texts = []
    for data in (str(small), str(db)):
        out = tmp_path / "explore.ipynb"
        pm.execute_notebook(
            str(ROOT / "notebooks" / "explore.ipynb"),
            str(out),
            parameters={"data": data},
            kernel_name="python3",
            progress_bar=False,
        )
        cells = nbformat.read(out, as_version=4).cells
        assert not [
            o for c in cells for o in c.get("outputs", []) if o.get("output_type") == "error"
        ]
        texts.append(
            [
                o.get("text") or [o["data"].get(k) for k in ("text/html", "image/png")]
                for c in cells[2:]
                for o in c.get("outputs", [])
            ]
        )
    folder_view, database_view = texts
    assert len(folder_view) >= 15
    assert f'<td style="text-align:left">{db}</td>' in database_view[0][0]  # where it came from
    # Everything computed from them is the same, the charts and the styled tables too
    # (a view's summary names its data, as the first one does).
    named = [i for i, t in enumerate(folder_view) if "<caption>ProgrammeView" in str(t)]
    assert len(named) == 2
    assert [t for i, t in enumerate(folder_view) if i not in named] == [
        t for i, t in enumerate(database_view) if i not in named
    ]
