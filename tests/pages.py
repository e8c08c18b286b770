"""Reading rendered pages as a reader would: where the words of a PDF lie."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path


def words_near_the_right_edge(pdf: Path, mm: float = 10.0) -> list[tuple[int, str]]:
    """Words whose right end lies within `mm` of the page's right edge (pdftotext -bbox)."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True)
    pages = re.findall(r'<page width="([\d.]+)" height="[\d.]+">(.*?)</page>', out.stdout, re.S)
    assert pages, out.stderr
    near = []
    for number, (width, body) in enumerate(pages, start=1):
        limit = float(width) - mm / 25.4 * 72
        for m in re.finditer(r'xMax="([\d.]+)" yMax="[\d.]+">(.*?)</word>', body):
            if float(m.group(1)) > limit:
                near.append((number, m.group(2)))
    return near
