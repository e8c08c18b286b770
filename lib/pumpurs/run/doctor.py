"""`pumpurs doctor`: check the report toolchain before a scheduled batch runs into it.

A cron batch that fails at 3 a.m. on a missing font or a broken kernel helps nobody;
`pumpurs doctor && pumpurs run ...` fails early with a line that says what to install.
Each check returns OK, WARN (optional parts) or FAIL; any FAIL makes the exit status 1.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PHRASE = "Ieguldījums tavā nākotnē"
OK, WARN, FAIL = "OK", "WARN", "FAIL"


@dataclass
class Check:
    name: str
    status: str  # OK | WARN | FAIL
    detail: str


def check_kernel(kernel_name: str = "python3", timeout: float = 60) -> Check:
    """A Jupyter kernel starts and answers 1+1 = 2 (what every report needs first)."""
    from pumpurs.run.worker import skip_rfc3987_syntax

    skip_rfc3987_syntax()
    with tempfile.TemporaryFile() as log:  # the kernel's chatter: shown only if it fails
        return _kernel_one_plus_one(kernel_name, timeout, log)


def _kernel_one_plus_one(kernel_name: str, timeout: float, log: Any) -> Check:
    """Started as a worker starts its kernel: its connection file in the batch's runtime
    folder (`kernel.runtime_dir`), with the batch's kernel options."""
    t0 = time.perf_counter()
    try:
        from jupyter_client.manager import KernelManager

        from pumpurs.run.kernel import KERNEL_ARGS, runtime_dir

        connection = runtime_dir() / f"kernel-{os.getpid()}-doctor.json"
        km = KernelManager(kernel_name=kernel_name, connection_file=str(connection))
        km.start_kernel(stdout=log, stderr=log, extra_arguments=list(KERNEL_ARGS))
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=timeout)
    except Exception as e:
        log.seek(0)
        said = " ".join(log.read().decode("utf-8", "replace").split())[-300:]
        why = f"{_short(e)}; it said: {said}" if said else _short(e)
        with contextlib.suppress(Exception):
            km.shutdown_kernel(now=True)
        return Check("kernel", FAIL, f"the {kernel_name} kernel did not start: {why}")
    try:
        results: list[str] = []

        def hook(msg: dict) -> None:
            if msg["msg_type"] == "execute_result":
                results.append(msg["content"]["data"].get("text/plain", ""))

        reply = kc.execute_interactive("1+1", timeout=timeout, output_hook=hook)
        if reply["content"].get("status") != "ok" or results != ["2"]:
            return Check("kernel", FAIL, f"1+1 gave {results or reply['content']}")
        return Check(
            "kernel", OK, f"{kernel_name} kernel ran 1+1 = 2 ({time.perf_counter() - t0:.1f} s)"
        )
    except Exception as e:
        return Check("kernel", FAIL, f"the kernel did not run 1+1: {_short(e)}")
    finally:
        with contextlib.suppress(Exception):
            kc.stop_channels()
        with contextlib.suppress(Exception):
            km.shutdown_kernel(now=True)


def _pdf_text(pdf: Path) -> str:
    """The text of a PDF: pypdf if installed, else poppler's pdftotext."""
    try:
        from pypdf import PdfReader
    except ImportError:
        exe = shutil.which("pdftotext")
        if not exe:
            raise RuntimeError("neither pypdf nor pdftotext is installed") from None
        return subprocess.run(
            [exe, str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    return "\n".join(page.extract_text() or "" for page in PdfReader(str(pdf)).pages)


def check_pdf() -> Check:
    """The PDF engine prints a page with Latvian letters, and the text comes back out intact."""
    t0 = time.perf_counter()
    engine = "the PDF engine"
    try:
        from pumpurs.present.pdf import html_to_pdf, pdf_engine

        engine = {"chromium": "Chromium", "weasyprint": "WeasyPrint"}[pdf_engine()]

        page = (
            '<!DOCTYPE html><html lang="lv"><head><meta charset="utf-8"></head>'
            f'<body style="font-family: DejaVu Sans"><h1>{PHRASE}</h1>'
            "<p>Ā ā Č č Ē ē Ģ ģ Ī ī Ķ ķ Ļ ļ Ņ ņ Š š Ū ū Ž ž — 1 234,56 €</p></body></html>"
        )
        with tempfile.TemporaryDirectory() as d:
            pdf = Path(d) / "doctor.pdf"
            html_to_pdf(page, pdf, "pumpurs doctor", "lv")
            text = _pdf_text(pdf)
    except Exception as e:
        return Check("pdf", FAIL, f"{engine} could not make a PDF: {_short(e)}")
    if " ".join(PHRASE.split()) not in " ".join(text.split()):
        return Check("pdf", FAIL, f'the PDF text lost the Latvian letters: "{text[:80]!s}"')
    return Check(
        "pdf", OK, f'{engine} PDF with "{PHRASE}" reads back ({time.perf_counter() - t0:.1f} s)'
    )


def check_fonts() -> Check:
    """DejaVu Sans, the font of the report pages and charts (Latvian letters), is installed."""
    exe = shutil.which("fc-list")
    if not exe:
        return Check("fonts", FAIL, "fc-list not found: install fontconfig")
    try:
        families = subprocess.run(
            [exe, ":", "family"], capture_output=True, text=True, check=True, timeout=60
        ).stdout
    except Exception as e:
        return Check("fonts", FAIL, f"fc-list failed: {_short(e)}")
    if "DejaVu Sans" not in families:
        return Check("fonts", FAIL, "DejaVu Sans missing: apt-get install fonts-dejavu-core")
    return Check("fonts", OK, "DejaVu Sans installed")


def check_notebooks(
    notebooks: Path | None = None, programme: Path | None = None, params: Path | None = None
) -> Check:
    """The report notebooks exist and their parameters (and the params files) are valid."""
    from pumpurs.core.errors import PumpursError
    from pumpurs.core.settings import DEFAULT_PROGRAMME, load_programme
    from pumpurs.run.inputs import params_files, read_params_file, report_notebook_parameters
    from pumpurs.run.model import DEFAULT_NOTEBOOKS, MUNICIPALITY_NOTEBOOK, OVERVIEW_NOTEBOOK

    folder = Path(notebooks or DEFAULT_NOTEBOOKS)
    try:
        prog_path = Path(programme or DEFAULT_PROGRAMME)
        prog = load_programme(prog_path)
        names = {}
        for book in (MUNICIPALITY_NOTEBOOK, OVERVIEW_NOTEBOOK):
            names[book] = report_notebook_parameters(folder / book)
        files = params_files(Path(params or prog_path.parent), prog_path, prog)
        for p in files.values():
            read_params_file(p, names[MUNICIPALITY_NOTEBOOK], prog)
    except PumpursError as e:
        return Check("notebooks", FAIL, _short(e))
    return Check(
        "notebooks", OK, f"2 notebooks and {len(files)} params file(s) readable in {folder}"
    )


def check_writable(out: Path) -> Check:
    """The reports folder (or the folder it will be made in) accepts a new file."""
    target = Path(out).resolve()
    probe_dir = target
    while not probe_dir.exists():
        probe_dir = probe_dir.parent
    if not probe_dir.is_dir():
        return Check("out", FAIL, f"{probe_dir} is not a folder")
    try:
        with tempfile.NamedTemporaryFile(dir=probe_dir, prefix=".pumpurs-doctor-"):
            pass
    except OSError as e:
        return Check("out", FAIL, f"cannot write in {probe_dir}: {e.strerror or e}")
    free = shutil.disk_usage(probe_dir).free / 2**30
    status = OK if free >= 1 else WARN
    return Check("out", status, f"{target} writable ({free:.1f} GB free)")


def check_chromium() -> Check:
    """Chromium prints PDFs five times faster than WeasyPrint; without it they still come."""
    from pumpurs.present.pdf import chromium_path

    found = chromium_path()
    if found:
        return Check("chromium", OK, f"{found} prints the PDFs")
    return Check(
        "chromium",
        WARN,
        "chromium not found: PDFs use WeasyPrint, about five times slower "
        "(apt-get install chromium, or name the browser in PUMPURS_CHROMIUM)",
    )


def check_data(data: str) -> Check:
    """The data source answers and has the contract's tables (for a database: a
    connection, read-only, and the fingerprint computed in SQL; no rows are fetched)."""
    import time

    from pumpurs.core.contract import OPTIONAL_TABLES, TABLES
    from pumpurs.core.errors import PumpursError
    from pumpurs.sources import open_source
    from pumpurs.sources.folder import FolderSource

    started = time.perf_counter()
    try:
        source = open_source(data)
        found = source.describe()
    except PumpursError as e:
        return Check("data", FAIL, str(e))
    if isinstance(source, FolderSource):  # its files are read and checked by `validate`
        return Check("data", OK if found else FAIL, f"{source.label}: {len(found)} table files")
    tables = {d["path"].rsplit("#", 1)[-1] for d in found}
    missing = [t for t in TABLES if t not in tables and t not in OPTIONAL_TABLES]
    seconds = time.perf_counter() - started
    if missing:
        return Check(
            "data",
            FAIL,
            f"{source.label}: reached, but the table(s) {', '.join(missing)} are missing",
        )
    return Check(
        "data",
        OK,
        f"{source.label}: reached in {seconds:.1f} s; tables {', '.join(sorted(tables))}",
    )


def check_runtime() -> Check:
    """The folders the kernels and libraries write to, as the batch sets them (HOME may
    not be writable for a service account): the checks after this one run with them."""
    from pumpurs.run.runtime import private_runtime

    home = os.path.expanduser("~")  # before the batch's folders move it
    moved = private_runtime()
    if not moved:
        return Check(
            "runtime", OK, "the Jupyter, IPython, Matplotlib and cache folders are writable"
        )
    return Check(
        "runtime",
        OK,
        f"{home} cannot be written: the batch keeps "
        + ", ".join(f"{var}={folder}" for var, folder in moved.items())
        + " (give the account a writable home to keep them there)",
    )


def run_checks(out: Path = Path("reports"), data: str | None = None) -> list[Check]:
    """Every check, in the order a batch would hit the problem; each catches its own errors."""
    checks: list[Callable[[], Check]] = [
        check_runtime,
        *([lambda: check_data(data)] if data else []),
        lambda: Check(
            "python", OK, f"Python {sys.version.split()[0]}, pumpurs {_version()} ({sys.prefix})"
        ),
        check_notebooks,
        check_kernel,
        check_pdf,
        check_fonts,
        lambda: check_writable(out),
        check_chromium,
    ]
    results = []
    for fn in checks:
        try:
            results.append(fn())
        except Exception as e:  # a check must never crash the doctor
            results.append(Check(getattr(fn, "__name__", "check"), FAIL, _short(e)))
    return results


def print_report(checks: list[Check]) -> int:
    """A table of OK/WARN/FAIL lines; returns the exit status (1 if anything failed)."""
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    colour = {OK: "green", WARN: "yellow", FAIL: "red"}
    for c in checks:
        console.print(f"[{colour[c.status]}]{c.status:4}[/]  {c.name:9}  ", end="")
        console.print(c.detail, markup=False)
    return 1 if any(c.status == FAIL for c in checks) else 0


def _version() -> str:
    from pumpurs._version import __version__

    return __version__


def _short(e: BaseException) -> str:
    return " ".join(str(e).split())[:300] or type(e).__name__
