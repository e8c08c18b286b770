"""A report without data is rendered without a kernel (run/empty.py) and says what the
notebook says when a kernel runs it."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

import nbformat
import pytest

from conftest import write_folder
from pumpurs.present.texts import text
from pumpurs.run import outputs
from pumpurs.run.model import MUNICIPALITY_NOTEBOOK
from pumpurs.run.worker import Worker

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / MUNICIPALITY_NOTEBOOK
PROGRAMME = ROOT / "params" / "programme.yaml"
PERIOD = "2020-H2"


def _task(tmp: Path, data: Path, rid: str, empty: bool) -> dict[str, Any]:
    """What the batch sends for Rīga, which this fixture's data gives no ledger row."""
    return {
        "id": rid,
        "name": "Rīga",
        "empty": empty,
        "notebook": str(NOTEBOOK),
        "parameters": {
            "data": str(data),
            "municipality": "Rīga",
            "period": PERIOD,
            "as_of": "",
            "audience": "internal",
            "lang": "lv",
            "output_dir": ".",
            "programme_path": str(PROGRAMME),
        },
        "workdir": str(tmp / rid),
        "title": "Rīga",
        "footer": "Rīga",
        "lang": "lv",
        "audience": "internal",
        "programme_path": str(PROGRAMME),
        "expect": outputs.notebook_writes("municipality", _internal()),
        "forbid": [],
        "timeout": 120,
        "manifest": {"report": rid},
    }


def _internal() -> Any:
    from pumpurs.core.settings import load_programme
    from pumpurs.report.audience import Audience

    return Audience.of("internal", load_programme(PROGRAMME))


def _page_text(pdf: Path) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True
    ).stdout


def _cells(path: Path) -> list[tuple[Any, Any, list[Any]]]:
    nb = nbformat.read(path, as_version=4)
    return [(c.cell_type, c.get("execution_count"), c.get("outputs")) for c in nb.cells]


def test_an_empty_report_starts_no_kernel_and_says_what_the_notebook_says(
    tmp_path, monkeypatch: pytest.MonkeyPatch
):
    data = write_folder(tmp_path / "data")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))

    async def with_kernel() -> dict[str, Any]:
        w = Worker({"env": {}, "warm_imports": [], "cwd": str(tmp_path)})
        await w.kernel.start()
        try:
            return (await w.run(_task(tmp_path, data, "kernel", empty=False)))[0]
        finally:
            await w.kernel.shutdown()

    by_kernel = asyncio.run(with_kernel())
    assert by_kernel["ok"], by_kernel

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("a kernel was used for a report without data")

    for name in ("start", "reset", "execute", "restart"):
        monkeypatch.setattr(f"pumpurs.run.kernel.KernelSession.{name}", refuse)
    monkeypatch.setattr("papermill.execute_notebook", refuse)
    monkeypatch.setattr("nbclient.NotebookClient.async_execute", refuse)

    w = Worker({"env": {}, "warm_imports": [], "cwd": str(tmp_path)})
    result, restart = asyncio.run(w.run(_task(tmp_path, data, "empty", empty=True)))
    assert result["ok"], result
    assert restart is False

    folder = tmp_path / "empty"
    assert sorted(p.name for p in folder.iterdir()) == [
        "findings.csv",
        "manifest.json",
        "report.html",
        "report.ipynb",
        "report.pdf",
        "report.xlsx",
    ]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["outputs"]) == [
        "findings.csv",
        "report.html",
        "report.ipynb",
        "report.pdf",
        "report.xlsx",
    ]
    # The page and the files are those of the kernel's run.
    kernel = tmp_path / "kernel"
    assert (folder / "report.html").read_bytes() == (kernel / "report.html").read_bytes()
    assert (folder / "findings.csv").read_bytes() == (kernel / "findings.csv").read_bytes()
    assert _cells(folder / "report.ipynb") == _cells(kernel / "report.ipynb")
    assert _page_text(folder / "report.pdf") == _page_text(kernel / "report.pdf")
    import pandas as pd

    ours = pd.read_excel(folder / "report.xlsx", sheet_name=None)
    theirs = pd.read_excel(kernel / "report.xlsx", sheet_name=None)
    assert list(ours) == list(theirs)
    for sheet in ours:
        pd.testing.assert_frame_equal(ours[sheet], theirs[sheet])

    # One page: the title and the "no data" sentence; no section, no signature lines.
    page = " ".join(_page_text(folder / "report.pdf").split())
    assert "Rīga — PuMPuRS pārskats: 2020. gada 2. pusgads" in page
    sentence = text("report.no_data", "lv").format(date="2020. gada 31. decembrim")
    assert sentence in page
    assert text("summary.prepared_by", "lv") not in page
    assert text("heading.key_figures", "lv") not in page
    assert _page_text(folder / "report.pdf").count("\f") == 1


def test_a_failing_cell_of_an_empty_report_fails_it_with_the_cell_marked(tmp_path):
    from pumpurs.run.empty import execute_in_process

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1\nx"),
            nbformat.v4.new_code_cell("raise ValueError('on purpose')"),
        ]
    )
    with pytest.raises(ValueError, match="on purpose"):
        execute_in_process(nb, tmp_path)
    assert [o["output_type"] for o in nb.cells[0].outputs] == ["execute_result"]
    assert nb.cells[0].outputs[0]["data"]["text/plain"] == "1"
    assert [c.execution_count for c in nb.cells] == [1, 2]
    error = nb.cells[1].outputs[0]
    assert (error["output_type"], error["ename"], error["evalue"]) == (
        "error",
        "ValueError",
        "on purpose",
    )
