"""Printing a report page to an A4 PDF: headless Chromium when there is one, else WeasyPrint.

Both engines print the same HTML with the same CSS (report.css: A4, margins, running
footer in `@page` margin boxes, tables that keep their rows whole) and look alike;
Chromium lays a twelve-page report out in a fifth of WeasyPrint's time, which is what
a batch of 44 reports waits for. So:

- `chromium`: the distribution's Chromium, driven by Playwright (the browser Playwright
  would download is never used). One browser per process, started on first use and
  kept for the next page; JavaScript off; every request refused, so only data: URIs
  (the embedded charts) load. Chromium writes the print time into the PDF; it is
  blanked out, so the same page gives the same bytes.
- `weasyprint`: pure Python on Pango, no browser needed; the fallback.

`PUMPURS_PDF_ENGINE` (`chromium`, `weasyprint`, or `auto`, the default) chooses;
`PUMPURS_CHROMIUM` names the browser if it is not on the PATH as chromium,
chromium-browser, google-chrome or chrome.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pumpurs.core.errors import UsageError
from pumpurs.present.fmt import check_lang, label

ENGINES = ("chromium", "weasyprint")
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
PRINT_TIMEOUT_MS = 120_000
REPORT_URL = "http://report.pumpurs.invalid/"  # never resolved: served from memory  # a page that takes longer is broken, not slow
_FOOTER_BOX = 'font-family: "DejaVu Sans", sans-serif; font-size: 7.5pt; color: #5f6368;'


# ---------------------------------------------------------------------------
# Which engine
# ---------------------------------------------------------------------------
def chromium_path() -> str | None:
    """The Chromium to print with: $PUMPURS_CHROMIUM, else the first browser on the PATH."""
    named = os.environ.get("PUMPURS_CHROMIUM", "").strip()
    if named:
        return shutil.which(named) or (named if Path(named).is_file() else None)
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


def _playwright_installed() -> bool:
    """Found without importing it (0.07 s a run): the worker that prints imports it."""
    import importlib.util

    try:
        return importlib.util.find_spec("playwright.sync_api") is not None
    except ImportError:
        return False


def pdf_engine() -> str:
    """The engine this process prints with (see the module's docstring)."""
    wanted = os.environ.get("PUMPURS_PDF_ENGINE", "auto").strip().lower() or "auto"
    if wanted not in (*ENGINES, "auto"):
        raise UsageError(
            f'PUMPURS_PDF_ENGINE is "{wanted}"; use chromium, weasyprint or auto (the default)'
        )
    if wanted == "weasyprint":
        return "weasyprint"
    if chromium_path() and _playwright_installed():
        return "chromium"
    if wanted == "chromium":
        raise UsageError(
            "PUMPURS_PDF_ENGINE is chromium, but no Chromium was found (install the "
            "chromium package, or name the browser in PUMPURS_CHROMIUM)"
            if _playwright_installed()
            else "PUMPURS_PDF_ENGINE is chromium, but Playwright is not installed "
            "(pip install playwright)"
        )
    return "weasyprint"


# ---------------------------------------------------------------------------
# The footer: the same @page margin boxes for both engines
# ---------------------------------------------------------------------------
def _css_string(text: str) -> str:
    """`text` as a CSS string literal (quotes, backslashes and line breaks escaped)."""
    out = text.replace("\\", "\\\\").replace('"', '\\"')
    out = out.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\A ")
    return f'"{out}"'


def page_footer_css(footer_left: str, lang: str = "lv") -> str:
    """@page margin boxes: the municipality on the left, the page number on the right as
    each language writes it: '1. lpp. no 9' (an ordinal), 'page 1 of 9'."""
    check_lang(lang)
    word, of = label("page", lang), label("of", lang)
    number = (
        f'counter(page) ". {word} {of} " counter(pages)'
        if lang == "lv"
        else f'"{word} " counter(page) " {of} " counter(pages)'
    )
    return (
        "@page {"
        f"  @bottom-left {{ content: {_css_string(footer_left)}; {_FOOTER_BOX} }}"
        f"  @bottom-right {{ content: {number}; {_FOOTER_BOX} }}"
        "}"
    )


# ---------------------------------------------------------------------------
# Chromium
# ---------------------------------------------------------------------------
# Chromium stamps the print time into the document information; blanked to spaces of the
# same length, the cross-reference offsets stay right and equal pages give equal bytes.
_PRINT_TIME = re.compile(rb"/(?:CreationDate|ModDate) *\(D:[0-9+\-Z']*\)")


def _without_print_time(pdf: bytes) -> bytes:
    return _PRINT_TIME.sub(lambda m: b" " * len(m.group()), pdf)


# A tagged PDF names its structure elements after the page's DOM nodes (node00001562),
# numbered on from every page the browser loaded before; renumbered in the same order
# from 0 (same width, so every offset stays right), the same page gives the same bytes.
_NODE_ID = re.compile(rb"\(node(\d{8})\)")


def _stable_node_ids(pdf: bytes) -> bytes:
    rank = {n: i for i, n in enumerate(sorted({m.group(1) for m in _NODE_ID.finditer(pdf)}))}
    return _NODE_ID.sub(lambda m: b"(node%08d)" % rank[m.group(1)], pdf)


class ChromiumPrinter:
    """One headless Chromium for this process: started on first use, reused for every page.

    Playwright's synchronous API belongs to the thread that started it, so every call
    runs on one thread of our own; callers may come from any thread (the batch worker
    calls from inside its asyncio loop).
    """

    def __init__(self, executable: str) -> None:
        self.executable = executable
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="pumpurs-pdf")
        self._playwright: Any = None
        self._browser: Any = None
        self._page: Any = None
        self._html = ""
        self.version = ""  # the browser's own, once started: "131.0.6778.85"

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        self._playwright = sync_playwright().start()
        args = ["--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # Chromium's sandbox refuses root
            args.append("--no-sandbox")
        self._browser = self._playwright.chromium.launch(
            executable_path=self.executable, args=args, headless=True
        )
        self.version = str(self._browser.version)
        context = self._browser.new_context(java_script_enabled=False)
        context.route("**/*", self._serve)
        self._page = context.new_page()

    def _serve(self, route: Any) -> None:
        """The page itself comes from memory; every other request is refused (an http
        page may not read file: URLs, so only its data: URIs load)."""
        if route.request.url == REPORT_URL:
            route.fulfill(status=200, content_type="text/html; charset=utf-8", body=self._html)
        else:
            route.abort()

    def _print(self, html: str, css: str) -> bytes:
        self._start_once()
        # The footer goes last in <head>, where it overrides report.css's own @page.
        style = f"<style>{css}</style>"
        self._html = (
            html.replace("</head>", style + "</head>", 1) if "</head>" in html else style + html
        )
        try:
            self._page.goto(REPORT_URL, wait_until="load", timeout=PRINT_TIMEOUT_MS)
            pdf = self._page.pdf(
                prefer_css_page_size=True, print_background=True, tagged=True, outline=True
            )
        except Exception:
            # A browser that crashed or hung fails this report only: the next one
            # starts a new browser.
            self._stop()
            raise
        finally:
            self._html = ""
        return _stable_node_ids(_without_print_time(pdf))

    def start(self) -> None:
        """Start the browser now (a worker does this while its kernel warms up)."""
        self._thread.submit(self._start_once).result()

    def _start_once(self) -> None:
        if self._page is None:
            self._start()

    def print_pdf(self, html: str, css: str) -> bytes:
        return self._thread.submit(self._print, html, css).result()

    def _stop(self) -> None:
        with contextlib.suppress(Exception):
            if self._browser is not None:
                self._browser.close()
        with contextlib.suppress(Exception):
            if self._playwright is not None:
                self._playwright.stop()
        self._page = self._browser = self._playwright = None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._thread.submit(self._stop).result(timeout=30)
        self._thread.shutdown(wait=False)


_printer: ChromiumPrinter | None = None
_printer_lock = threading.Lock()


def chromium_printer() -> ChromiumPrinter:
    """This process's printer (closed when the process exits)."""
    global _printer
    with _printer_lock:
        if _printer is None:
            exe = chromium_path()
            if exe is None:
                raise UsageError("no Chromium found to print PDFs with (install chromium)")
            _printer = ChromiumPrinter(exe)
            atexit.register(close_printer)
        return _printer


def close_printer() -> None:
    global _printer
    with _printer_lock:
        if _printer is not None:
            _printer.close()
            _printer = None


# ---------------------------------------------------------------------------
# WeasyPrint
# ---------------------------------------------------------------------------
def _offline_fetcher() -> Any:
    import weasyprint

    if hasattr(weasyprint, "URLFetcher"):
        return weasyprint.URLFetcher(allowed_protocols={"data"})

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # WeasyPrint < 66
        if not url.startswith("data:"):
            raise ValueError(f"report PDFs fetch nothing from outside: {url}")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def _weasyprint(html: str, css: str) -> bytes:
    import logging

    import weasyprint

    # WeasyPrint warns about CSS it ignores (print-color-adjust, pandas' scoped styles) and
    # about the network URLs it refuses: noise in a batch log, not a problem with the report.
    log = logging.getLogger("weasyprint")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        doc = weasyprint.HTML(string=html, base_url=None, url_fetcher=_offline_fetcher())
        pdf: bytes = doc.write_pdf(stylesheets=[weasyprint.CSS(string=css)])
    finally:
        log.setLevel(level)
    return pdf


# ---------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------
def html_to_pdf(
    html: str, out: Path, footer_left: str, lang: str = "lv", engine: str | None = None
) -> str:
    """Print a report page to an A4 PDF, atomically; return the engine that printed it,
    with its version ("chromium 131.0.6778.85", "weasyprint 65.1"): the report's
    manifest records it, so the same command on two hosts is not silently different.

    Only data: URIs are fetched, so a PDF never depends on the network. The footer
    names the municipality (`footer_left`) and numbers the pages ("1. lpp. no 5");
    the document information names the title, the author (`footer_left`), the subject,
    the language and the creator; Chromium tags the structure and writes an outline.
    """
    from pumpurs.present.render import write_atomic

    css = page_footer_css(footer_left, lang)
    engine = engine or pdf_engine()
    if engine not in ENGINES:
        raise UsageError(f'"{engine}" is not a PDF engine; use one of: {", ".join(ENGINES)}')
    if engine == "chromium":
        printer = chromium_printer()
        pdf = printer.print_pdf(html, css)
        printed_by = f"chromium {printer.version}"
    else:
        import weasyprint

        pdf = _weasyprint(html, css)
        printed_by = f"weasyprint {weasyprint.__version__}"
    write_atomic(Path(out), with_metadata(pdf, _title_of(html), footer_left, lang))
    return printed_by


def _title_of(html: str) -> str:
    import html as html_lib

    m = re.search(r"<title[^>]*>(.*?)</title>", html, re.S | re.I)
    return " ".join(html_lib.unescape(m.group(1)).split()) if m else ""


def with_metadata(pdf: bytes, title: str, author: str, lang: str) -> bytes:
    """The document information a filing system and a screen reader read: the report's
    title, its author (the municipality the footer names), the subject, the language and
    `pumpurs <version>` as the creator (the engine stays the producer). Same input, same
    bytes."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    from pumpurs._version import __version__
    from pumpurs.present.texts import text

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.add_metadata(
        {
            "/Title": title,
            "/Author": author,
            "/Subject": text("pdf.subject", lang),
            "/Creator": f"pumpurs {__version__}",
        }
    )
    writer.root_object[NameObject("/Lang")] = TextStringObject(lang)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
