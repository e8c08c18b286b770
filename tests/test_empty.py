"""A report without data costs no kernel (issue 22): the worker runs its notebook in its
own process, and every output is the kernel's."""

from __future__ import annotations

import asyncio
import os
import pickle
from pathlib import Path
from typing import Any

import nbformat

from pumpurs.run import empty
from pumpurs.run.session import META
from pumpurs.run.worker import Worker
from test_worker import notebook, task

CELLS = (
    "import os\nfrom IPython.display import HTML, display\nfrom pathlib import Path",
    "display(HTML('<h2>Virsraksts</h2>'))\nprint('teksts', name)\nHTML(f'<p>{name}</p>')",
    "x = 1\nx + 1",
    "x + 2;",
    "n = Path('report.xlsx').write_bytes(b'xlsx ' + os.getcwd().encode())",
    "import sys\nprint('uz stderr', file=sys.stderr)\nNone",
)


def _store(folder: Path, rows: dict[str, int]) -> Path:
    """A store's facts as the batch writes them (meta.pkl): ledger rows per municipality."""
    folder.mkdir(parents=True, exist_ok=True)
    facts = {name: {"hash": "h", "ledger_rows": n, "findings": 0} for name, n in rows.items()}
    with open(folder / META, "wb") as f:
        pickle.dump({"reports": facts}, f)
    return folder


def _municipal(tmp: Path, nb: Path, rid: str, store: Path, name: str) -> dict[str, Any]:
    t = task(tmp, nb, rid, name=name, judgement_path=str(store))
    t["manifest"] = {"report": rid, "kind": "municipality", "municipality": name}
    t["expect"] = ["report.xlsx"]
    t["title"] = t["footer"] = "Pārskats"
    return t


def _outputs(path: Path) -> list[Any]:
    nb = nbformat.read(path, as_version=4)
    return [
        (
            c.execution_count,
            [
                (
                    o.output_type,
                    o.get("name"),
                    o.get("text"),
                    o.get("data"),
                    o.get("execution_count"),
                )
                for o in c.outputs
            ],
        )  # fmt: skip
        for c in nb.cells
        if c.cell_type == "code"
    ]


def test_without_data_reads_the_store_s_facts(tmp_path: Path) -> None:
    store = _store(tmp_path / "store", {"Alūksnes novads": 0, "Rīga": 12})
    nb = tmp_path / "n.ipynb"
    assert empty.without_data(_municipal(tmp_path, nb, "a", store, "Alūksnes novads"))
    assert not empty.without_data(_municipal(tmp_path, nb, "r", store, "Rīga"))
    assert not empty.without_data(_municipal(tmp_path, nb, "x", store, "Nav tāda"))
    overview = _municipal(tmp_path, nb, "o", store, "Alūksnes novads")
    overview["manifest"]["kind"] = "overview"
    assert not empty.without_data(overview)
    assert not empty.without_data(_municipal(tmp_path, nb, "m", tmp_path / "none", "Rīga"))
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / META).write_bytes(b"not a pickle")
    bad = _municipal(tmp_path, nb, "b", tmp_path / "bad", "Alūksnes novads")
    assert not empty.without_data(bad)  # a broken store: the kernel, which says what is wrong


def test_a_report_without_data_runs_without_a_kernel_and_gives_the_kernel_s_outputs(
    tmp_path: Path,
) -> None:
    """The same notebook once in the kernel (a municipality with data) and once without
    (none): the same outputs, execution counts, page and files; the kernel never ran the
    second (its pid is this process's)."""
    nb = notebook(tmp_path / "n.ipynb", *CELLS, "print(os.getpid())")
    store = _store(tmp_path / "store", {"Rīga": 5, "Alūksnes novads": 0})

    async def go() -> list[Any]:
        w = Worker({"env": {}, "warm_imports": [], "cwd": str(tmp_path)})
        await w.kernel.start()
        try:
            a = await w.run(_municipal(tmp_path, nb, "kernel", store, "Alūksnes novads") | {
                "manifest": {"report": "kernel", "kind": "municipality", "municipality": "Rīga"}
            })  # fmt: skip
            b = await w.run(_municipal(tmp_path, nb, "here", store, "Alūksnes novads"))
            return [a, b]
        finally:
            await w.kernel.shutdown()

    (a, restart_a), (b, restart_b) = asyncio.run(go())
    assert a["ok"] and b["ok"], (a, b)
    assert not restart_a and not restart_b
    kernel, here = tmp_path / "kernel", tmp_path / "here"
    pid_kernel = _outputs(kernel / "report.ipynb")[-1][1][0][2].strip()
    pid_here = _outputs(here / "report.ipynb")[-1][1][0][2].strip()
    assert pid_here == str(os.getpid()) != pid_kernel
    assert _outputs(kernel / "report.ipynb")[:-1] == _outputs(here / "report.ipynb")[:-1]
    shown = _outputs(here / "report.ipynb")
    assert shown[3] == (
        4,
        [
            ("display_data", None, None, {"text/html": "<h2>Virsraksts</h2>",
                                          "text/plain": "<IPython.core.display.HTML object>"}, None),
            ("stream", "stdout", "teksts Alūksnes novads\n", None, None),
            ("execute_result", None, None, {"text/html": "<p>Alūksnes novads</p>",
                                            "text/plain": "<IPython.core.display.HTML object>"}, 4),
        ],
    )  # fmt: skip
    assert shown[4][1][0][3] == {"text/plain": "2"} and shown[5] == (6, [])
    assert (here / "report.xlsx").read_bytes() == b"xlsx " + str(here).encode()
    page_kernel = (kernel / "report.html").read_text(encoding="utf-8").replace(pid_kernel, "pid")
    page_here = (here / "report.html").read_text(encoding="utf-8").replace(pid_here, "pid")
    assert page_here == page_kernel
    assert os.getcwd() != str(here)


def test_a_failing_cell_without_a_kernel_fails_the_report_with_its_error(tmp_path: Path) -> None:
    nb = notebook(tmp_path / "n.ipynb", "raise ValueError('on purpose ' + name)")
    store = _store(tmp_path / "store", {"Alūksnes novads": 0})

    async def go() -> Any:
        w = Worker({"env": {}, "warm_imports": [], "cwd": str(tmp_path)})
        return await w.run(_municipal(tmp_path, nb, "f", store, "Alūksnes novads"))

    result, restart = asyncio.run(go())  # the kernel was never started: nothing needed it
    assert not result["ok"] and result["error"] == "ValueError: on purpose Alūksnes novads"
    failed = nbformat.read(tmp_path / "f" / "report.ipynb", as_version=4)
    assert "papermill-error-cell-tag" in failed.cells[0].metadata.tags
    assert failed.cells[-1].outputs[-1].output_type == "error"
