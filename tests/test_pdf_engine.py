"""Which engine printed a report's PDF: returned by the printer, recorded in the report's
manifest, and named by `run`'s opening line, so the same command on two hosts is not
silently different."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import weasyprint
from typer.testing import CliRunner

from pumpurs.cli import app
from pumpurs.present.pdf import chromium_path, html_to_pdf
from pumpurs.run.worker import write_manifest

PAGE = "<html><head><title>Tests</title></head><body><p>Pērses sākumskola</p></body></html>"


def test_the_printer_says_which_engine_printed_with_its_version(tmp_path: Path) -> None:
    by_weasyprint = html_to_pdf(PAGE, tmp_path / "w.pdf", "Rīga", "lv", engine="weasyprint")
    assert by_weasyprint == f"weasyprint {weasyprint.__version__}"
    by_chromium = html_to_pdf(PAGE, tmp_path / "c.pdf", "Rīga", "lv", engine="chromium")
    said = subprocess.run([str(chromium_path()), "--version"], capture_output=True, text=True)
    version = re.search(r"\d+(\.\d+){3}", said.stdout)
    assert version is not None, said.stdout
    assert by_chromium == f"chromium {version.group(0)}"


def test_the_manifest_records_the_engine(tmp_path: Path) -> None:
    (tmp_path / "report.pdf").write_bytes(b"%PDF")
    write_manifest(tmp_path, {"manifest": {"report": "riga"}}, 1.23456, "chromium 131.0.6778.85")  # type: ignore[typeddict-item]
    manifest = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["pdf_engine"] == "chromium 131.0.6778.85"
    assert manifest["seconds"] == 1.235 and list(manifest["outputs"]) == ["report.pdf"]


@pytest.mark.parametrize("engine", ["weasyprint", "chromium"])
def test_run_names_the_engine_in_its_opening_line(monkeypatch, engine: str) -> None:
    monkeypatch.setenv("PUMPURS_PDF_ENGINE", engine)
    result = CliRunner().invoke(app, ["run", "data/none"])  # refused: no report named
    assert result.exit_code == 2
    opening = result.output.splitlines()[0]
    assert re.search(
        r" run started: data/none --out reports \(pumpurs 0\.1\.0, pid \d+, PDFs by ", opening
    )
    assert opening.endswith(f", PDFs by {engine})")


def test_an_engine_that_cannot_be_honoured_is_named_once_by_the_refusal(monkeypatch) -> None:
    monkeypatch.setenv("PUMPURS_PDF_ENGINE", "prince")
    result = CliRunner().invoke(app, ["run", "data/none", "--all"])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert re.search(
        r" run started: data/none --all --out reports \(pumpurs 0\.1\.0, pid \d+\)$", lines[0]
    )
    assert lines[1].endswith(
        'PUMPURS_PDF_ENGINE is "prince"; use chromium, weasyprint or auto (the default)'
    )
