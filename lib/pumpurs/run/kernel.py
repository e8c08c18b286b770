"""One reused Jupyter kernel: started once, warmed, reset between reports.

The worker (run/worker.py) executes report after report in a `KernelSession`; the code
that runs inside the kernel to snapshot and restore its state is `_KERNEL_SETUP`.
"""

from __future__ import annotations

import ast
import contextlib
import os
from pathlib import Path
from typing import Any

KERNEL_NAME = "python3"
# Extra kernel options: no IPython history database (an sqlite file the kernels of
# parallel workers would fight over, and which a batch never reads).
KERNEL_ARGS = ("--HistoryManager.enabled=False",)
# The module the kernel keeps its own state in (survives `%reset -f`).
KERNEL_STATE = "__pumpurs_kernel__"
# Always worth importing while the kernel warms up: what the notebooks import, and what
# the library imports only when first called (reading Parquet, drawing, writing XLSX).
# Not pyplot: the charts draw on their own Agg canvas (a notebook importing it pays).
DEFAULT_WARM_IMPORTS = (
    "pandas",
    "matplotlib",
    "matplotlib.backends.backend_agg",
    "PIL.PngImagePlugin",
    "pyarrow.parquet",
    "pyarrow.dataset",
    "pyarrow.pandas_compat",
    "xlsxwriter",
    "jinja2",
    "pumpurs.run.session",
    "pumpurs.present.charts",
    "pumpurs.present.export",
    "pumpurs.present.render",
)


# ---------------------------------------------------------------------------
# Code run inside the kernel
# ---------------------------------------------------------------------------
# Runs once per kernel: installs the state module with `snapshot()` and `reset()`.
_KERNEL_SETUP = r'''
def _pumpurs_setup():
    import copy, gc, importlib, os, sys, types, warnings
    sys.modules.setdefault("rfc3987_syntax", None)
    state = types.ModuleType("__STATE__")
    state.saved = {}

    def warm(names):
        """Import what the notebooks import, so the first report does not pay for it."""
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:
                pass

    def snapshot():
        """Remember the process-wide state a notebook may change."""
        saved = {"cwd": os.getcwd(), "environ": dict(os.environ),
                 "filters": list(warnings.filters)}
        mpl = sys.modules.get("matplotlib")
        if mpl is not None:
            saved["rc"] = copy.deepcopy(dict(mpl.rcParams))
        state.saved = saved
        # What is alive now (modules, their caches) lives as long as the kernel: keep it
        # out of every later collection, which then takes milliseconds, not ~0.1 s.
        gc.collect()
        gc.freeze()

    def reset(shell, cwd):
        """Forget the last report: namespace, figures, settings; then cd to `cwd`."""
        shell.reset(new_session=False)
        shell.execution_count = 1  # Out[n] numbers as in a fresh kernel
        saved = state.saved
        plt = sys.modules.get("matplotlib.pyplot")
        if plt is not None:
            plt.close("all")
        mpl = sys.modules.get("matplotlib")
        if mpl is not None and "rc" in saved:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mpl.rcParams.update(saved["rc"])
        pd = sys.modules.get("pandas")
        if pd is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    pd.reset_option("all")
            except Exception:
                pass
        if "environ" in saved:
            os.environ.clear()
            os.environ.update(saved["environ"])
        if "filters" in saved:
            warnings.filters[:] = saved["filters"]
        os.chdir(cwd)
        gc.collect()

    state.warm, state.snapshot, state.reset = warm, snapshot, reset
    sys.modules["__STATE__"] = state
_pumpurs_setup()
del _pumpurs_setup
'''.replace("__STATE__", KERNEL_STATE)


def notebook_imports(paths: list[Path]) -> list[str]:
    """Top-level modules imported by the notebooks' code cells, for warming the kernel.

    Only plain `import x.y` / `from x.y import z` statements count (`z` too when it is a
    module of package `x.y`); a cell that does not parse (IPython magics) is skipped.
    Relative imports are ignored.
    """
    import json as _json

    found: dict[str, None] = {}
    for path in paths:
        try:
            cells = _json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            src = cell.get("source", "")
            src = "".join(src) if isinstance(src, list) else src
            lines = [ln for ln in src.splitlines() if not ln.lstrip().startswith(("%", "!"))]
            try:
                tree = ast.parse("\n".join(lines))
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    for alias in node.names:
                        found[alias.name] = None
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found[node.module] = None
                    for alias in node.names:  # `from pkg import module` imports pkg.module
                        if _is_submodule(node.module, alias.name):
                            found[f"{node.module}.{alias.name}"] = None
    return list(found)


def _is_submodule(package: str, name: str) -> bool:
    """`name` is a module of `package` (found without importing it; a package's own
    __init__ may be imported to look)."""
    import importlib.util

    try:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            return False
        return importlib.util.find_spec(f"{package}.{name}") is not None
    except Exception:  # a package that fails to import is the kernel's to report
        return False


# ---------------------------------------------------------------------------
# The kernel
# ---------------------------------------------------------------------------
def runtime_dir() -> Path:
    """Where our kernels' connection files go; files of dead workers are removed.

    A killed batch cannot delete its kernels' connection files; naming them after the
    worker's pid lets the next worker recognise and remove them.
    """
    from jupyter_core.paths import jupyter_runtime_dir

    folder = Path(jupyter_runtime_dir()) / "pumpurs"
    folder.mkdir(parents=True, exist_ok=True)
    for f in folder.glob("kernel-*-*.json"):
        try:
            pid = int(f.name.split("-")[1])
        except (IndexError, ValueError):
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                f.unlink()
        except PermissionError:
            pass
    return folder


class KernelSession:
    """One Jupyter kernel, started once and reused for many notebooks."""

    _started = 0  # kernels started by this process (names their connection files)

    def __init__(
        self,
        env: dict[str, str],
        cwd: str,
        warm_imports: list[str],
        kernel_name: str = KERNEL_NAME,
        startup_timeout: float = 120,
    ) -> None:
        self.env, self.cwd, self.warm_imports = env, cwd, warm_imports
        self.kernel_name, self.startup_timeout = kernel_name, startup_timeout
        self.km: Any = None
        self.kc: Any = None

    async def start(self) -> None:
        """Start the kernel, connect, install the reset helpers and warm the imports."""
        from jupyter_client.manager import AsyncKernelManager

        KernelSession._started += 1
        connection_file = runtime_dir() / f"kernel-{os.getpid()}-{KernelSession._started}.json"
        self.km = AsyncKernelManager(
            kernel_name=self.kernel_name, connection_file=str(connection_file)
        )
        await self.km.start_kernel(cwd=self.cwd, env=self.env, extra_arguments=list(KERNEL_ARGS))
        self.kc = self.km.client()
        self.kc.start_channels()
        await self.kc.wait_for_ready(timeout=self.startup_timeout)
        await self.run_silent(_KERNEL_SETUP)
        names = list(dict.fromkeys([*DEFAULT_WARM_IMPORTS, *self.warm_imports]))
        await self.run_silent(
            f"__import__('sys').modules[{KERNEL_STATE!r}].warm({names!r})",
            timeout=self.startup_timeout,
        )
        await self.run_silent(f"__import__('sys').modules[{KERNEL_STATE!r}].snapshot()")

    async def run_silent(self, code: str, timeout: float = 60) -> None:
        """Run code without touching the execution count or the notebook; raise on error."""
        errors: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "error":
                errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        reply = await self.kc.execute_interactive(
            code, silent=True, store_history=False, timeout=timeout, output_hook=hook
        )
        if reply["content"].get("status") != "ok" or errors:
            content = reply["content"]
            detail = "; ".join(errors) or f"{content.get('ename')}: {content.get('evalue')}"
            raise RuntimeError(f"the kernel could not run its housekeeping code: {detail}")

    async def reset(self, cwd: str) -> None:
        """Forget the last notebook's state and change to `cwd` for the next one."""
        await self.run_silent(
            f"__import__('sys').modules[{KERNEL_STATE!r}].reset(get_ipython(), {cwd!r})"
        )

    async def execute(self, nb: Any, timeout: float | None) -> Any:
        """Execute every cell of `nb` (in place) in this kernel; raises like nbclient."""
        from nbclient import NotebookClient

        client = NotebookClient(
            nb,
            km=self.km,
            kernel_name=self.kernel_name,
            timeout=timeout,
            allow_errors=False,
            # No per-cell timestamps: the same inputs give the same notebook, byte for byte.
            record_timing=False,
        )
        client.kc = self.kc  # reuse our connected client: no new channels, no wait
        return await client.async_execute()

    async def alive(self) -> bool:
        return self.km is not None and bool(await self.km.is_alive())

    async def shutdown(self) -> None:
        """Stop the kernel (quickly) and close the channels; never raises."""
        import asyncio

        with contextlib.suppress(Exception):
            if self.kc is not None:
                self.kc.stop_channels()
        with contextlib.suppress(Exception):
            # jupyter_client looks at a killed kernel every 0.1 s: kill it and look sooner
            if self.km is not None and self.km.has_kernel:
                await self.km.provisioner.kill()
                for _ in range(1000):
                    if not await self.km.is_alive():
                        break
                    await asyncio.sleep(0.005)
        with contextlib.suppress(Exception):
            if self.km is not None:
                await self.km.shutdown_kernel(now=True)
        with contextlib.suppress(Exception):
            if self.km is not None:
                await self.km.cleanup_resources()
        self.km = self.kc = None

    async def restart(self) -> None:
        """A fresh kernel after a failure: whatever the failed notebook left is gone."""
        await self.shutdown()
        await self.start()
