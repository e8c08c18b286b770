"""The long-lived worker: one reused kernel, reset between reports, restarted after errors."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

from pumpurs.run import kernel, worker
from pumpurs.run.worker import KernelSession, Worker, WorkerPool


def notebook(path: Path, *sources: str, params: str = 'name = "x"') -> Path:
    cells = [nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})]
    cells += [nbformat.v4.new_code_cell(s) for s in sources]
    for i, c in enumerate(cells):
        c["id"] = f"c{i}"
    nb = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)
    return path


def task(tmp: Path, nb: Path, rid: str, **params: Any) -> dict[str, Any]:
    return {
        "id": rid,
        "notebook": str(nb),
        "parameters": params,
        "workdir": str(tmp / rid),
        "title": rid,
        "footer": rid,
        "lang": "lv",
        "audience": "internal",
        "programme_path": str(Path(__file__).resolve().parents[1] / "params" / "programme.yaml"),
        "expect": [],
        "forbid": [],
        "timeout": 60,
        "manifest": {"report": rid},
    }


def test_skip_rfc3987_syntax_keeps_jsonschema_working():
    code = (
        "from pumpurs.run.worker import skip_rfc3987_syntax\n"
        "skip_rfc3987_syntax()\n"
        "import sys, nbformat, jsonschema\n"
        "assert sys.modules['rfc3987_syntax'] is None\n"
        "nb = nbformat.v4.new_notebook()\n"
        "nbformat.validate(nb)\n"
        "jsonschema.validate({'a': 1}, {'type': 'object'})\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "ok"


def test_notebook_imports_finds_what_to_warm(tmp_path):
    nb = notebook(
        tmp_path / "a.ipynb",
        "%matplotlib inline\nimport pandas as pd\nfrom pumpurs.run.session import judgement",
        "from . import nothing\nimport os.path, json",
        "from pumpurs.present import report_view as view, nothing_here",
        "this is not python",
    )
    assert worker.notebook_imports([nb]) == [
        "pandas",
        "pumpurs.run.session",
        "os.path",
        "json",
        "pumpurs.present",
        "pumpurs.present.report_view",  # a module imported from its package
    ]


def test_parameterize_injects_papermills_cell_with_a_fixed_id(tmp_path):
    nb = nbformat.read(notebook(tmp_path / "p.ipynb", "print(name)"), as_version=4)
    nb = worker.parameterize(nb, {"name": "Rīga"}, "p.ipynb")
    assert [c.metadata.get("tags") for c in nb.cells] == [
        ["parameters"],
        ["injected-parameters"],
        [],
    ]
    assert nb.cells[1].id == "injected-parameters"
    assert 'name = "R\\u012bga"' in nb.cells[1].source  # papermill escapes non-ASCII
    assert nb.metadata.papermill.parameters == {"name": "Rīga"}


def test_kernel_is_reused_reset_between_reports_and_restarted_after_an_error(tmp_path):
    """One kernel, three notebooks: nothing leaks; an error restarts the kernel."""
    first = notebook(
        tmp_path / "first.ipynb",
        "import os, warnings\nimport matplotlib\nimport matplotlib.pyplot as plt\n"
        "leak = 42\nos.environ['PUMPURS_LEAK'] = '1'\n"
        "matplotlib.rcParams['lines.linewidth'] = 9\nwarnings.simplefilter('error')\n"
        "fig = plt.figure()\nos.chdir('/')\nprint(os.getpid())",
    )
    second = notebook(
        tmp_path / "second.ipynb",
        "import os, warnings\nimport matplotlib\nimport matplotlib.pyplot as plt\n"
        "assert 'leak' not in globals()\nassert 'PUMPURS_LEAK' not in os.environ\n"
        "assert matplotlib.rcParams['lines.linewidth'] != 9\n"
        "assert plt.get_fignums() == []\n"
        "assert not any(f[0] == 'error' and f[2] is Warning for f in warnings.filters)\n"
        "assert os.getcwd().endswith('second')\nprint(os.getpid())",
    )
    failing = notebook(tmp_path / "failing.ipynb", "raise ValueError('on purpose ' + name)")

    async def go() -> list[Any]:
        w = Worker({"env": {}, "warm_imports": ["json"], "cwd": str(tmp_path)})
        await w.kernel.start()
        try:
            results = []
            for nb, rid in ((first, "first"), (second, "second"), (failing, "failing")):
                results.append(await w.run(task(tmp_path, nb, rid, name="Rīga")))
            return results
        finally:
            await w.kernel.shutdown()

    (r1, restart1), (r2, restart2), (r3, restart3) = asyncio.run(go())
    assert r1["ok"] and r2["ok"], (r1, r2)
    assert not restart1 and not restart2 and restart3
    pid1 = _printed(tmp_path / "first" / "report.ipynb")
    pid2 = _printed(tmp_path / "second" / "report.ipynb")
    assert pid1 == pid2  # the same kernel
    assert not r3["ok"] and r3["error"] == "ValueError: on purpose Rīga"
    failed = nbformat.read(tmp_path / "failing" / "report.ipynb", as_version=4)
    assert "papermill-error-cell-tag" in failed.cells[0].metadata.tags
    assert failed.metadata.papermill.exception is True
    for rid in ("first", "second"):
        manifest = json.loads((tmp_path / rid / "manifest.json").read_text(encoding="utf-8"))
        assert set(manifest["outputs"]) == {"report.ipynb", "report.html", "report.pdf"}
        nb = nbformat.read(tmp_path / rid / "report.ipynb", as_version=4)
        assert [c.execution_count for c in nb.cells] == [1, 2, 3]


def _printed(path: Path) -> str:
    nb = nbformat.read(path, as_version=4)
    return "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", [])).strip()


def test_missing_and_forbidden_outputs_fail_the_report(tmp_path):
    nb = notebook(
        tmp_path / "n.ipynb",
        "from pathlib import Path\nPath('findings.csv').write_text('x')",
    )

    async def go() -> list[Any]:
        w = Worker({"env": {}, "warm_imports": [], "cwd": str(tmp_path)})
        await w.kernel.start()
        try:
            a = await w.run({**task(tmp_path, nb, "a"), "expect": ["report.xlsx"]})
            b = await w.run({**task(tmp_path, nb, "b"), "forbid": ["findings.csv"]})
            return [a[0], b[0]]
        finally:
            await w.kernel.shutdown()

    a, b = asyncio.run(go())
    assert not a["ok"] and "did not write report.xlsx" in a["error"]
    assert not b["ok"] and "findings.csv" in b["error"]


def test_pool_survives_a_worker_that_dies(tmp_path):
    """A notebook that kills its worker fails alone; the rest go to a new worker."""
    good = notebook(tmp_path / "good.ipynb", "print(name)")
    deadly = notebook(
        tmp_path / "deadly.ipynb", "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"
    )
    tasks = [task(tmp_path, deadly, "deadly", name="d")]
    tasks += [task(tmp_path, good, f"good{i}", name=str(i)) for i in range(3)]
    started: list[str] = []
    with WorkerPool(1, {"env": {}, "warm_imports": [], "cwd": str(tmp_path)}).start() as pool:
        results = pool.render(tasks, on_start=lambda t: started.append(t["id"]))
    by_id = {r["id"]: r for r in results}
    assert started == ["deadly", "good0", "good1", "good2"]
    assert not by_id["deadly"]["ok"] and "worker process died" in by_id["deadly"]["error"]
    assert all(by_id[f"good{i}"]["ok"] for i in range(3)), results


def test_workers_and_their_kernels_yield_to_the_batch(tmp_path):
    """The batch judges at its own priority; workers (kernels, browsers) run below it."""
    nb = notebook(
        tmp_path / "nice.ipynb", "import os\nopen('nice.txt', 'w').write(str(os.nice(0)))"
    )
    with WorkerPool(1, {"env": {}, "warm_imports": [], "cwd": str(tmp_path)}).start() as pool:
        (result,) = pool.render([task(tmp_path, nb, "n", name="n")])
    assert result["ok"], result
    expected = min(19, os.nice(0) + worker.WORKER_NICENESS)
    assert int((tmp_path / "n" / "nice.txt").read_text()) == expected


def test_runtime_dir_removes_connection_files_of_dead_workers(monkeypatch, tmp_path):
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
    folder = tmp_path / "pumpurs"
    folder.mkdir()
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (folder / f"kernel-{dead.pid}-1.json").write_text("{}")
    (folder / f"kernel-{os.getpid()}-1.json").write_text("{}")
    assert kernel.runtime_dir() == folder
    assert [p.name for p in folder.iterdir()] == [f"kernel-{os.getpid()}-1.json"]


@pytest.mark.parametrize("kernel_name", ["no-such-kernel"])
def test_a_kernel_that_cannot_start_fails_every_report_with_the_reason(tmp_path, kernel_name):
    nb = notebook(tmp_path / "n.ipynb", "1")
    config = {"env": {}, "warm_imports": [], "cwd": str(tmp_path), "kernel_name": kernel_name}
    with WorkerPool(1, config).start() as pool:
        results = pool.render([task(tmp_path, nb, "a"), task(tmp_path, nb, "b")])
    assert [r["ok"] for r in results] == [False, False]
    assert all("kernel did not start" in r["error"] for r in results), results


def test_kernel_session_runs_silent_code_without_a_trace(tmp_path):
    async def go() -> Any:
        k = KernelSession(env=dict(os.environ), cwd=str(tmp_path), warm_imports=[])
        await k.start()
        try:
            await k.run_silent("x = 1")
            with pytest.raises(RuntimeError, match="ZeroDivisionError"):
                await k.run_silent("1/0")
            return await k.alive()
        finally:
            await k.shutdown()

    assert asyncio.run(go()) is True


def test_the_library_patches_still_fit_the_libraries() -> None:
    """run/patches.py changes nbconvert and jsonschema's import: if either library moves
    the thing patched, this fails rather than the speed-up silently vanishing."""
    from nbconvert.exporters.templateexporter import TemplateExporter

    from pumpurs.run import patches

    assert callable(getattr(TemplateExporter, "_create_environment", None))
    patches.cache_nbconvert_templates()
    env = TemplateExporter()._create_environment()
    assert env.bytecode_cache is not None
    assert getattr(TemplateExporter._create_environment, "_pumpurs_cached", False)


def test_a_report_failing_after_its_notebook_does_not_break_the_next_one(tmp_path):
    """Report k fails in a step after the notebook ran (here: an output it did not write)
    and the batch deletes its folder; report k+1 on the same worker still succeeds."""
    import shutil

    good = notebook(tmp_path / "good.ipynb", "import os\nprint(os.getcwd())")
    tasks = [{**task(tmp_path, good, "k"), "expect": ["report.xlsx"]}]
    tasks += [task(tmp_path, good, "k1")]

    def done(result: dict[str, Any]) -> None:
        if not result["ok"]:  # as the batch does with a failed report's folder
            shutil.rmtree(tmp_path / result["id"], ignore_errors=True)

    with WorkerPool(1, {"env": {}, "warm_imports": [], "cwd": str(tmp_path)}).start() as pool:
        results = pool.render(tasks, on_done=done)
    by_id = {r["id"]: r for r in results}
    assert not by_id["k"]["ok"] and "did not write report.xlsx" in by_id["k"]["error"]
    assert by_id["k1"]["ok"], by_id["k1"]
    assert _printed(tmp_path / "k1" / "report.ipynb") == str(tmp_path / "k1")
