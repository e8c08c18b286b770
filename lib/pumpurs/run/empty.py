"""A report without data, executed without a kernel.

A municipality with no ledger row up to the report date gets a one-page report: its
title, facts and the "nav datu" sentence (every other section of the notebook shows
nothing, see `report_view._unless_empty`), and its report.xlsx / findings.csv. Its
notebook is short work, so the worker (`worker.Worker.run`, task["empty"]) runs the
very notebook cells in its own process instead of the kernel: no kernel reset, no
round trips, no kernel restart to pay. The cells, their outputs and everything after
them (report.ipynb, HTML, PDF, manifest, the batch's install and status `empty`) are
those of a kernel run, so the page says what the notebook says.

The cells run in a fresh namespace each time, with the report's temporary folder as
the working directory (the notebook writes `output_dir = "."`); IPython's `display`
is captured into the cell's outputs and a cell's last expression becomes its
`execute_result`, as in Jupyter.
"""

from __future__ import annotations

import ast
import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def _cwd(folder: Path) -> Iterator[None]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def _shell() -> Any:
    """IPython's shell, so that `display()` publishes rich outputs rather than prints."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if InteractiveShell.initialized():
        return InteractiveShell.instance()
    config = Config()
    config.HistoryManager.enabled = False  # no history.sqlite shared by the workers
    return InteractiveShell.instance(config=config)


def _run_cell(source: str, namespace: dict[str, Any], shell: Any) -> list[Any]:
    """Execute one cell's source; its outputs as nbformat outputs (displays, then the
    value of a last expression)."""
    import nbformat
    from IPython.utils.capture import capture_output

    tree = ast.parse(source)
    last = None
    if tree.body and isinstance(tail := tree.body[-1], ast.Expr):
        tree.body.pop()
        last = ast.Expression(tail.value)
    outs: list[Any] = []
    with capture_output(stdout=True, stderr=True, display=True) as cap:
        exec(compile(tree, "<cell>", "exec"), namespace)  # noqa: S102 - the report's own notebook
        value = eval(compile(last, "<cell>", "eval"), namespace) if last else None  # noqa: S307
    if cap.stdout:
        outs.append(nbformat.v4.new_output("stream", name="stdout", text=cap.stdout))
    if cap.stderr:
        outs.append(nbformat.v4.new_output("stream", name="stderr", text=cap.stderr))
    for o in cap.outputs:
        outs.append(nbformat.v4.new_output("display_data", data=o.data, metadata=o.metadata))
    if value is not None:
        data, metadata = shell.display_formatter.format(value)
        outs.append(nbformat.v4.new_output("execute_result", data=data, metadata=metadata))
    return outs


def _error_output(e: BaseException) -> Any:
    import traceback

    import nbformat

    return nbformat.v4.new_output(
        "error",
        ename=type(e).__name__,
        evalue=str(e),
        traceback=traceback.format_exception(e),
    )


def execute_in_process(nb: Any, workdir: Path) -> None:
    """Run the (parameterised) notebook's code cells here, filling in their outputs and
    execution counts as a kernel would; an exception propagates (the report fails)."""
    from ipykernel.ipkernel import IPythonKernel

    shell = _shell()
    # What nbclient records from the kernel's kernel_info reply (same Python as the kernel).
    nb.metadata["language_info"] = dict(IPythonKernel.language_info)
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    count = 0
    with _cwd(workdir):
        for cell in nb.cells:
            if cell.get("cell_type") != "code":
                continue
            count += 1
            cell["execution_count"] = count
            try:
                cell["outputs"] = _run_cell(cell.source, namespace, shell)
            except Exception as e:  # the failed cell shows its error, as a kernel's would
                cell["outputs"] = [_error_output(e)]
                raise
            for o in cell["outputs"]:
                if o.get("output_type") == "execute_result":
                    o["execution_count"] = count
