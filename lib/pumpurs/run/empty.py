"""A report without data is run in the worker's own process: no kernel.

A municipality with nothing declared up to the report date gets a one-page report ("nav
datu"). Its notebook does little, yet in a kernel it cost 2-5 s (reset, execution over
ZeroMQ, a kernel busy while the other waits): in an early half-year most reports are
such. The worker asks `without_data(task)` (the store's facts say how many ledger rows
the municipality has: no data is read), and when so runs the same notebook with
`execute_here`: every code cell in a fresh namespace of this process, display() and the
cell's last value captured as a kernel would send them (IPython's own formatter), so
report.ipynb, report.html, report.pdf, report.xlsx and findings.csv are what the kernel
would have given, word for word. Anything else (a report with data, the overview, a
store without facts) runs in the kernel as before.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

from pumpurs.run.protocol import Task


def without_data(task: Task) -> bool:
    """Whether the task is a municipality's report with no ledger row up to its date,
    from the facts the batch's store keeps (a store without them: False, the kernel)."""
    manifest = task.get("manifest", {})
    path = task.get("parameters", {}).get("judgement_path")
    if manifest.get("kind") != "municipality" or not path:
        return False
    import pickle

    try:
        from pumpurs.run.session import read_meta

        facts = read_meta(path).get("reports", {}).get(manifest.get("municipality"))
    except (OSError, ValueError, KeyError, EOFError, AttributeError, pickle.UnpicklingError):
        return False
    return isinstance(facts, dict) and facts.get("ledger_rows") == 0


class CellError(Exception):
    """A cell raised: the report fails as it would in the kernel."""

    def __init__(self, ename: str, evalue: str) -> None:
        super().__init__(f"{ename}: {evalue}".strip().rstrip(":"))
        self.ename, self.evalue = ename, evalue


def _shell() -> Any:
    """IPython's shell of this process, for its display machinery only (display() and
    the formatter): no history file, nothing run through it."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if not InteractiveShell.initialized():
        config = Config()
        config.HistoryManager.enabled = False
        InteractiveShell.instance(config=config)
    return InteractiveShell.instance()


def execute_here(nb: Any, workdir: Path) -> None:
    """Run the notebook's code cells in this process, cwd `workdir`, filling in their
    outputs (in the order they came, printed text merged as the kernel merges it) and
    execution counts as nbclient does; raises CellError (the failed cell gets its error
    output) when a cell raises."""
    import nbformat

    shell = _shell()
    namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
    here = os.getcwd()
    publisher = shell.display_pub
    count = 0
    try:
        os.chdir(workdir)
        for cell in nb.cells:
            if cell.get("cell_type") != "code":
                continue
            count += 1
            cell.execution_count = count
            cell.outputs = []
            shell.display_pub = _Publisher(cell.outputs)
            out, err = _Stream("stdout", cell.outputs), _Stream("stderr", cell.outputs)
            value, failure = None, None
            try:
                with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                    value = _run(cell.source, namespace)
            except Exception as e:  # the cell's error, as the kernel would report it
                failure = e
            finally:
                shell.display_pub = publisher
            if failure is not None:
                ename, evalue = type(failure).__name__, str(failure)
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"]
                    )
                )
                raise CellError(ename, evalue) from failure
            if value is not None:
                data, metadata = shell.display_formatter.format(value)
                cell.outputs.append(
                    nbformat.v4.new_output(
                        "execute_result",
                        data=_jsonable(data),
                        metadata=metadata,
                        execution_count=count,
                    )
                )
    finally:
        shell.display_pub = publisher
        os.chdir(here)
    nb.metadata["language_info"] = _language_info()


class _Publisher:
    """display(): a display_data output of the running cell."""

    def __init__(self, outputs: list[Any]) -> None:
        self.outputs = outputs

    def publish(self, data: dict[str, Any], metadata: Any = None, *_: Any, **__: Any) -> None:
        import nbformat

        self.outputs.append(
            nbformat.v4.new_output("display_data", data=_jsonable(data), metadata=metadata or {})
        )

    def clear_output(self, wait: bool = False) -> None:
        self.outputs.clear()


class _Stream(io.TextIOBase):
    """print() to stdout or stderr: a stream output, consecutive writes in one."""

    def __init__(self, name: str, outputs: list[Any]) -> None:
        self.name, self.outputs = name, outputs

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        import nbformat

        if not text:
            return 0
        last = self.outputs[-1] if self.outputs else None
        if last is not None and last.output_type == "stream" and last.name == self.name:
            last.text += text
        else:
            self.outputs.append(nbformat.v4.new_output("stream", name=self.name, text=text))
        return len(text)


def _run(source: str, namespace: dict[str, Any]) -> Any:
    """Execute a cell; its last statement's value when that is an expression (not ending
    in ';'), as IPython shows it."""
    tree = ast.parse(source)
    if not tree.body:
        return None
    last = tree.body[-1]
    shown = isinstance(last, ast.Expr) and not source.rstrip().endswith(";")
    body = tree.body[:-1] if shown else tree.body
    exec(compile(ast.Module(body=body, type_ignores=[]), "<cell>", "exec"), namespace)
    if not shown:
        return None
    expression = ast.Expression(body=last.value)  # type: ignore[attr-defined]
    return eval(compile(expression, "<cell>", "eval"), namespace)


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    """A mime bundle as the kernel sends it: pictures as base64 text."""
    import base64

    return {
        mime: base64.b64encode(v).decode("ascii") if isinstance(v, bytes) else v
        for mime, v in data.items()
    }


def _language_info() -> dict[str, Any]:
    """What the python3 kernel tells nbclient about itself."""
    return {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": ".".join(map(str, sys.version_info[:3])),
    }
