"""The outputs registry: every file a report folder holds, declared once.

Each entry says its file name, how the index page links it, which audiences and report
kinds get it, and who writes it (the notebook's last cell or the worker). The worker
(what it expects and refuses after a notebook ran), the index (links), the manifest
(hashes of what is there) and the privacy checks read this list; a new format (DOCX)
is one more entry and its writer. Every output is written into the report's temporary
folder, and the folder replaces the old one in one rename (batch.install_report), so a
reader never sees half of a report.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:  # the worker imports this module before pandas: keep it light
    from pumpurs.report.audience import Audience

Kind = Literal["municipality", "overview"]


@dataclass(frozen=True)
class Output:
    name: str
    link: str  # the index page's link text ("" for none)
    public: bool  # whether a public report has it
    kinds: tuple[Kind, ...]
    written_by: Literal["notebook", "worker"]


BOTH: tuple[Kind, ...] = ("municipality", "overview")
OUTPUTS: tuple[Output, ...] = (
    Output("report.html", "HTML", True, BOTH, "worker"),
    Output("report.pdf", "PDF", True, BOTH, "worker"),
    Output("report.xlsx", "XLSX", True, BOTH, "notebook"),
    Output("findings.csv", "CSV", False, ("municipality",), "notebook"),
    Output("report.ipynb", "ipynb", True, BOTH, "worker"),
    Output("manifest.json", "", True, BOTH, "worker"),
)
HTML, PDF, XLSX, FINDINGS, NOTEBOOK, MANIFEST = (o.name for o in OUTPUTS)


def allowed(output: Output, kind: str, audience: Audience) -> bool:
    return kind in output.kinds and (output.public or not audience.is_public)


def notebook_writes(kind: str, audience: Audience) -> list[str]:
    """What the notebook must have written into its output folder."""
    return [o.name for o in OUTPUTS if o.written_by == "notebook" and allowed(o, kind, audience)]


def refused(kind: str, audience: Audience) -> list[str]:
    """What this report must not contain (a public report's pupil-level files)."""
    return [o.name for o in OUTPUTS if kind in o.kinds and not allowed(o, kind, audience)]


def links(report_dir: Path, report_id: str) -> dict[str, str]:
    """The index page's links to the outputs present, in the registry's order."""
    return {
        o.link: f"{report_id}/{o.name}"
        for o in OUTPUTS
        if o.link and (report_dir / o.name).is_file()
    }
