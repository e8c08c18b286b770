"""Long-lived report workers: one process per worker, ONE reused Jupyter kernel each.

Starting Python, importing nbformat/nbconvert/WeasyPrint and starting a kernel costs
seconds; rendering a report then costs about one. So the batch (`pumpurs.run.batch`) starts
`N` worker processes once (`python -m pumpurs.run.worker`), each starts one kernel and warms
it (imports the modules the notebooks import), then executes report after report:

1. parameterise the notebook with papermill (the standard `injected-parameters` cell);
2. execute it with nbclient in the warm kernel, cwd = the report's temporary folder
   (the notebook writes report.xlsx / findings.csv there: `output_dir = "."`);
3. render report.html and report.pdf (pumpurs.present.render) and write manifest.json;
4. reset the kernel's namespace (`%reset -f`, figures closed, rcParams, environment,
   cwd and warning filters restored, `gc.collect()`), so nothing leaks from one
   municipality into the next; after any failure the kernel is restarted instead.

The worker talks to the batch over a socket (`multiprocessing.connection.Connection`:
pickled dicts): it sends `ready`, then one `result` per `task`; `stop` or the batch
going away ends it. The worker never moves anything into `reports/`: the batch does, so
only the batch decides what a finished report is.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from pumpurs.run import outputs
from pumpurs.run.kernel import KERNEL_NAME, KernelSession, notebook_imports  # noqa: F401
from pumpurs.run.patches import cache_nbconvert_templates, skip_rfc3987_syntax  # noqa: F401
from pumpurs.run.protocol import Result, Task, WorkerConfig


# ---------------------------------------------------------------------------
# One report
# ---------------------------------------------------------------------------
def _sha256(path: Path) -> str:
    from pumpurs.sources.files import sha256_file  # one implementation; imported when first needed

    return sha256_file(path)


def parameterize(nb: Any, parameters: dict[str, Any], notebook_path: str) -> Any:
    """Papermill's own parameterisation: an `injected-parameters` cell after `parameters`.

    The cell gets a fixed id (nbformat would draw a random one), so the same report
    gives the same notebook whichever worker ran it.
    """
    import papermill
    from papermill.parameterize import parameterize_notebook

    for cell in nb.cells:  # papermill expects every cell to have a tags list
        cell.setdefault("metadata", {}).setdefault("tags", [])
    nb.metadata["papermill"] = {
        "input_path": notebook_path,
        "output_path": outputs.NOTEBOOK,
        "parameters": {},
        "environment_variables": {},
        "version": papermill.__version__,
    }
    nb = parameterize_notebook(nb, parameters, kernel_name=KERNEL_NAME, language="python")
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell["id"] = "injected-parameters"
            cell["execution_count"] = None
    return nb


def _record_parameters(nb: Any, task: Task) -> None:
    """The stored notebook shows the parameters a reader may see (a public report names
    no folder of this machine): the injected cell is written again from them."""
    from papermill.translators import translate_parameters

    shown = task.get("shown_parameters")
    if shown is None or shown == task["parameters"]:
        return
    for cell in nb.cells:
        if "injected-parameters" in cell.get("metadata", {}).get("tags", []):
            cell.source = translate_parameters(KERNEL_NAME, "python", shown, "Parameters")
    recorded = nb.metadata.setdefault("papermill", {})
    recorded["input_path"] = task["shown_notebook"]
    recorded["parameters"] = shown


def _error_banner(nb: Any, message: str) -> None:
    """Put papermill's red banner on top of a failed notebook, pointing at the failed cell."""
    import nbformat

    failed = None
    for i, cell in enumerate(nb.cells):
        if cell.get("cell_type") == "code" and any(
            o.get("output_type") == "error" for o in cell.get("outputs", [])
        ):
            failed = i
            cell.setdefault("metadata", {})["papermill_error"] = True
            break
    where = f"cell {failed + 1}" if failed is not None else "the notebook"
    banner = nbformat.v4.new_markdown_cell(
        '<span style="color:red; font-size:1.6em;">'
        f"The report failed at {where} / Pārskats neizdevās ({where}): "
        f"{_html_escape(message)}</span>"
    )
    banner["id"] = "papermill-error-cell"
    banner.metadata["tags"] = ["papermill-error-cell-tag"]
    nb.cells.insert(0, banner)
    nb.metadata.setdefault("papermill", {})["exception"] = True


def _html_escape(text: str) -> str:
    import html

    return html.escape(text)


def _describe(exc: BaseException) -> str:
    """One line saying what went wrong in a notebook, without nbclient's long traceback."""
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    if isinstance(exc, CellExecutionError):
        return f"{exc.ename}: {exc.evalue}".strip().rstrip(":")
    if isinstance(exc, CellTimeoutError):
        return "a step of the report ran longer than the time limit (raise it with --timeout)"
    if isinstance(exc, DeadKernelError):
        return "the kernel died (out of memory?) while running the notebook"
    return f"{type(exc).__name__}: {exc}"


class Worker:
    """The state one worker process keeps between reports."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        env = dict(os.environ)
        env.update(config.get("env", {}))
        self.kernel = KernelSession(
            env=env,
            cwd=config.get("cwd") or os.getcwd(),
            warm_imports=list(config.get("warm_imports", [])),
            kernel_name=config.get("kernel_name", KERNEL_NAME),
        )
        self.programmes: dict[str, Any] = {}

    def programme(self, path: str) -> Any:
        """programme.yaml, read once per worker (the funding statement needs it)."""
        if path not in self.programmes:
            from pumpurs.core.settings import load_programme

            self.programmes[path] = load_programme(path)
        return self.programmes[path]

    async def run(self, task: Task) -> tuple[Result, bool]:
        """Render one report into task["workdir"]; returns (result, kernel_needs_restart)."""
        import nbformat

        from pumpurs.present import render
        from pumpurs.present.pdf import html_to_pdf

        t0 = time.perf_counter()
        work = Path(task["workdir"])
        work.mkdir(parents=True, exist_ok=True)
        timings: dict[str, float] = {}
        result: Result = {"id": task["id"], "ok": False, "error": "", "timings": timings}
        restart = False
        nb = None
        try:
            nb = nbformat.read(task["notebook"], as_version=4)
            nb = parameterize(nb, task["parameters"], task["notebook"])
            t = time.perf_counter()
            if task.get("empty"):  # a report without data: its cells run here (run/empty.py)
                from pumpurs.run.empty import execute_in_process

                timings["prepare"] = time.perf_counter() - t0
                try:
                    execute_in_process(nb, work)
                finally:
                    timings["execute"] = time.perf_counter() - t
            else:
                try:
                    await self.kernel.reset(str(work))
                    timings["prepare"] = time.perf_counter() - t0
                    t = time.perf_counter()
                    await self.kernel.execute(nb, task.get("timeout"))
                except BaseException:
                    restart = True  # whatever the notebook left behind goes with the kernel
                    raise
                finally:
                    timings["execute"] = time.perf_counter() - t
            t = time.perf_counter()
            _record_parameters(nb, task)
            nbformat.write(nb, work / outputs.NOTEBOOK)
            timings["write"] = time.perf_counter() - t
            missing = [n for n in task.get("expect", []) if not (work / n).is_file()]
            if missing:
                raise render.RenderError(
                    f"the notebook did not write {', '.join(missing)} into output_dir"
                )
            forbidden = [n for n in task.get("forbid", []) if (work / n).exists()]
            if forbidden:
                raise render.RenderError(
                    f"the notebook wrote {', '.join(forbidden)}, which a {task['audience']} "
                    "report must not contain"
                )
            t = time.perf_counter()
            prog = self.programme(task["programme_path"])
            page = render.notebook_to_html(nb, task["title"], task["lang"], programme=prog)
            (work / outputs.HTML).write_text(page, encoding="utf-8")
            timings["html"] = time.perf_counter() - t
            t = time.perf_counter()
            engine = html_to_pdf(page, work / outputs.PDF, task["footer"], task["lang"])
            timings["pdf"] = time.perf_counter() - t
            write_manifest(work, task, time.perf_counter() - t0, engine)
            result["ok"] = True
        except Exception as e:  # one report's failure is reported, never fatal to the worker
            result["error"] = _describe(e)
            # The kernel may hold state of the failed report (its folder is deleted next):
            # the next report on this worker starts from a fresh kernel.
            restart = True
            if nb is not None:
                with contextlib.suppress(Exception):
                    _record_parameters(nb, task)
                    _error_banner(nb, result["error"])
                    nbformat.write(nb, work / outputs.NOTEBOOK)
        result["seconds"] = time.perf_counter() - t0
        return result, restart


def write_manifest(work: Path, task: Task, seconds: float, pdf_engine: str) -> None:
    """manifest.json: what went in (from the batch), what came out (sha256), when, and
    which engine printed the PDF (`pdf_engine`, with its version)."""
    import datetime as dt

    written = {
        p.name: _sha256(p)
        for p in sorted(work.iterdir())
        if p.is_file() and p.name != outputs.MANIFEST and not p.name.startswith(".")
    }
    manifest = dict(task["manifest"])
    manifest["created"] = dt.datetime.now(dt.UTC).astimezone().isoformat(timespec="seconds")
    manifest["seconds"] = round(seconds, 3)
    manifest["pdf_engine"] = pdf_engine
    manifest["outputs"] = written
    (work / outputs.MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=False) + "\n",
        encoding="utf-8",
    )


# ---------------------------------------------------------------------------
# The worker process
# ---------------------------------------------------------------------------
def _die_with_parent() -> None:
    """Linux: get SIGKILL when the batch dies, so a killed batch leaves no workers behind.

    The kernel notices its parent is gone by itself (ipykernel's parent poller).
    """
    with contextlib.suppress(Exception):
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
        if os.getppid() == 1:  # the parent died before prctl
            os._exit(1)


def _import_toolchain() -> None:
    """The heavy modules every report needs, imported once per worker."""
    import nbclient  # noqa: F401
    import nbconvert  # noqa: F401
    import nbformat  # noqa: F401
    import papermill.parameterize  # noqa: F401

    from pumpurs.present import pdf, render  # noqa: F401

    if pdf.pdf_engine() == "chromium":
        pdf.chromium_printer().start()  # the browser starts while the kernel warms up
    else:
        import weasyprint  # noqa: F401

    with contextlib.suppress(Exception):  # an optimisation only; nbconvert may change
        cache_nbconvert_templates()
    with contextlib.suppress(Exception):  # the first page compiles the templates: not a report's
        render.notebook_to_html(_rehearsal(), "", "lv", funding=False)


def _rehearsal() -> Any:
    """A notebook with the kinds of output a report has, rendered once while warming up."""
    import nbformat

    cell = nbformat.v4.new_code_cell("1")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data", {"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "1"}
        )
    ]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# 1"), cell])


async def _serve(conn: Any) -> None:
    import asyncio
    import gc

    t0 = time.perf_counter()
    config = conn.recv()
    worker = Worker(config)
    # The kernel boots and warms up in its own process while this one imports the
    # toolchain in a thread: on 2 cores that halves the worker's start-up.
    imports = asyncio.ensure_future(asyncio.to_thread(_import_toolchain))
    try:
        await worker.kernel.start()
        await imports
        # The toolchain's objects live as long as the worker: no collection need scan them.
        gc.collect()
        gc.freeze()
    except Exception as e:
        conn.send({"type": "error", "error": f"the kernel did not start: {_one_line(e)}"})
        await worker.kernel.shutdown()
        with contextlib.suppress(BaseException):
            await imports
        return
    conn.send({"type": "ready", "seconds": time.perf_counter() - t0})
    try:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                break
            if msg.get("type") != "task":
                break
            result, restart = await worker.run(msg["task"])
            try:
                conn.send({"type": "result", "result": result})
            except OSError:
                break
            if restart or not await worker.kernel.alive():
                await worker.kernel.restart()
    finally:
        await worker.kernel.shutdown()
        from pumpurs.present.pdf import close_printer

        close_printer()


# How much lower a worker's priority is than its batch's (its kernel and browser inherit
# it): while the batch judges, the workers warm up on what CPU is left, and every report
# waits for the judgement, not for a warm kernel. A cold report of one municipality:
# 6.7-7.3 s -> 6.0-6.5 s on 2 cores; a whole batch: no change.
WORKER_NICENESS = 5


def _yield_to_the_batch() -> None:
    with contextlib.suppress(OSError, AttributeError):  # no nice() on some systems
        os.nice(WORKER_NICENESS)


def _one_line(e: BaseException) -> str:
    return " ".join(f"{type(e).__name__}: {e}".split())[:500]


def main(argv: list[str] | None = None) -> None:
    """Entry point of a worker process: `python -m pumpurs.run.worker FD`."""
    skip_rfc3987_syntax()
    _die_with_parent()
    _yield_to_the_batch()
    import asyncio
    from multiprocessing.connection import Connection

    args = sys.argv[1:] if argv is None else argv
    conn = Connection(int(args[0]))
    # Stray prints from libraries must not end up anywhere but the worker's log.
    os.dup2(2, 1)
    try:
        asyncio.run(_serve(conn))
    except KeyboardInterrupt:
        pass
    finally:
        with contextlib.suppress(Exception):
            conn.close()


# ---------------------------------------------------------------------------
# The batch's side: a pool of worker processes
# ---------------------------------------------------------------------------
class _Handle:
    """One worker process as the batch sees it."""

    def __init__(self, index: int, config: WorkerConfig) -> None:
        import socket
        import subprocess
        import tempfile
        from multiprocessing.connection import Connection

        ours, theirs = socket.socketpair()
        self.index = index
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the worker
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "pumpurs.run.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            close_fds=True,
            # The kernel's environment (PYTHONHASHSEED) for the worker too: a report
            # without data runs its cells in the worker (run/empty.py).
            env={**os.environ, **config.get("env", {})},
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.conn.send(config)
        self.state = "starting"  # starting | idle | busy | dead
        self.ready_seconds = 0.0
        self.task: Task | None = None
        self.started = time.perf_counter()

    def log_tail(self, chars: int = 800) -> str:
        """The end of the worker's stderr: what to show when it died."""
        try:
            self.log.seek(0, os.SEEK_END)
            size = self.log.tell()
            self.log.seek(max(0, size - chars))
            return self.log.read().decode("utf-8", "replace").strip()
        except OSError:
            return ""

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.close()
        with contextlib.suppress(Exception):
            self.proc.kill()
        with contextlib.suppress(Exception):
            self.proc.wait(timeout=10)
        self.state = "dead"


class WorkerPool:
    """N worker processes, started early (they warm up while the batch prepares the data).

    `render(tasks, on_start, on_done)` hands tasks to idle workers until all are done;
    a worker that dies fails only the report it was rendering and is replaced.
    """

    def __init__(self, n: int, config: WorkerConfig) -> None:
        self.n, self.config = max(1, n), config
        self.handles: list[_Handle] = []
        self.spawned = 0
        self.startup_error = ""

    def start(self) -> WorkerPool:
        while len(self.handles) < self.n:
            self._spawn()
        return self

    def _spawn(self) -> _Handle:
        h = _Handle(self.spawned, self.config)
        self.spawned += 1
        self.handles.append(h)
        return h

    def render(
        self,
        tasks: list[Task],
        on_start: Any = None,
        on_done: Any = None,
    ) -> list[Result]:
        """Run every task; returns the results in completion order."""
        from collections import deque
        from multiprocessing.connection import wait

        pending = deque(tasks)
        results: list[Result] = []
        # Idle workers beyond what is left to do are stopped at once (no CPU wasted).
        self._trim(len(pending))
        while pending or any(h.state == "busy" for h in self.handles):
            for h in self.handles:
                if h.state == "idle" and pending:
                    task = pending.popleft()
                    try:
                        h.conn.send({"type": "task", "task": task})
                    except OSError:
                        pending.appendleft(task)
                        self._lost(h, None, results, on_done)
                        self._replace(len(pending))  # as when a busy worker dies
                        continue
                    h.state, h.task = "busy", task
                    if on_start:
                        on_start(task)
            alive = [h for h in self.handles if h.state in ("starting", "idle", "busy")]
            if not alive:
                error = self.startup_error or "no worker could be started"
                while pending:
                    r = _failed(pending.popleft(), error)
                    results.append(r)
                    if on_done:
                        on_done(r)
                break
            for conn in wait([h.conn for h in alive]):
                h = next(x for x in alive if x.conn is conn)
                try:
                    msg: dict[str, Any] = h.conn.recv()
                except (EOFError, OSError):
                    self._lost(h, h.task, results, on_done)
                    self._replace(len(pending))
                    continue
                if msg["type"] == "ready":
                    h.state = "idle"
                    h.ready_seconds = msg["seconds"]
                elif msg["type"] == "error":
                    self.startup_error = msg["error"]
                    h.kill()
                elif msg["type"] == "result":
                    h.state, h.task = "idle", None
                    results.append(msg["result"])
                    if on_done:
                        on_done(msg["result"])
            self._trim(len(pending))
        return results

    def _trim(self, left: int) -> None:
        """Stop the workers nobody needs any more (no task left for them)."""
        if left > 0:
            return
        for h in self.handles:
            if h.state in ("idle", "starting"):
                self._stop(h)

    def _lost(self, h: _Handle, task: Task | None, results: list[Result], on_done: Any) -> None:
        """A worker died: its report fails with the worker's last words; the rest go on."""
        tail = h.log_tail()
        code = h.proc.poll()
        h.kill()
        if task is not None:
            why = f"the worker process died (exit status {code})"
            r = _failed(task, f"{why}: {tail[-300:]}" if tail else why)
            results.append(r)
            if on_done:
                on_done(r)
        elif not self.startup_error:
            self.startup_error = f"a worker could not start: {tail[-300:] or code}"

    def _replace(self, left: int) -> None:
        """Start a new worker for one that died, while there is work and spawns to spare."""
        alive = sum(1 for h in self.handles if h.state in ("starting", "idle", "busy"))
        if left > 0 and alive < self.n and self.spawned < 3 * self.n:
            self._spawn()

    def _stop(self, h: _Handle) -> None:
        with contextlib.suppress(Exception):
            h.conn.send({"type": "stop"})
        h.state = "stopping"

    def close(self, timeout: float = 10) -> None:
        """Stop every worker (and so its kernel); kill what does not stop in time.

        An idle worker is asked to stop (it shuts its kernel down cleanly); one still
        starting or busy (the batch was interrupted, or nothing needs rendering) is
        killed at once: waiting for it would only delay the exit. Its kernel notices
        its parent is gone and exits by itself.
        """
        for h in self.handles:
            if h.state == "idle":
                self._stop(h)
            elif h.state in ("starting", "busy"):
                h.kill()
        deadline = time.monotonic() + timeout
        for h in self.handles:
            with contextlib.suppress(Exception):
                h.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            h.kill()
            with contextlib.suppress(Exception):
                h.log.close()
        self.handles = []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _failed(task: Task, error: str) -> Result:
    return {"id": task["id"], "ok": False, "error": error, "seconds": 0.0, "timings": {}}


if __name__ == "__main__":
    main()
