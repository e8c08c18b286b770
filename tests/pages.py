"""Reading rendered pages as a reader would: where the words of a PDF lie."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

import numpy as np


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


# The printed page's margins (report.css @page): the footer lives in the bottom one.
TOP_MM, BOTTOM_MM = 16.0, 18.0


def page_fill(pdf: Path, dpi: int = 30) -> list[float]:
    """Per page, how far down its text area holds anything (0 empty, 1 to the bottom
    margin): the lowest non-white pixel row above the footer, as a share of the text
    area's height (pdftoppm, greyscale)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-gray", "-r", str(dpi), str(pdf), f"{tmp}/p"],
            check=True,
            capture_output=True,
        )
        fills = []
        for image in sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem[2:])):
            width, height, pixels = _pgm(image)
            top = round(TOP_MM / 25.4 * dpi)
            bottom = height - round(BOTTOM_MM / 25.4 * dpi)
            rows = np.frombuffer(pixels, np.uint8)[: width * height].reshape(height, width)
            inked = np.flatnonzero(rows[top:bottom].min(axis=1) < 200)
            fills.append(float(inked[-1] + 1 if len(inked) else 0) / (bottom - top))
        return fills


def _pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    magic, width, height, _maxval, rest = data.split(maxsplit=4)
    assert magic == b"P5"
    return int(width), int(height), rest


def last_lines(pdf: Path, footer_words: int = 1) -> list[str]:
    """Per page, its last line of text above the footer (pdftotext, page by page)."""
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    lines = []
    for page in out.stdout.split("\f"):
        rows = [r.strip() for r in page.splitlines() if r.strip()]
        if len(rows) > footer_words:
            lines.append(rows[-1 - footer_words])
    return lines


def page_ink(pdf: Path, dpi: int = 30) -> list[float]:
    """Per page, the share of its text area's pixel rows that hold anything (pdftoppm)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["pdftoppm", "-gray", "-r", str(dpi), str(pdf), f"{tmp}/p"],
            check=True,
            capture_output=True,
        )
        shares = []
        for image in sorted(Path(tmp).glob("p-*.pgm"), key=lambda p: int(p.stem[2:])):
            width, height, pixels = _pgm(image)
            top = round(TOP_MM / 25.4 * dpi)
            bottom = height - round(BOTTOM_MM / 25.4 * dpi)
            rows = np.frombuffer(pixels, np.uint8)[: width * height].reshape(height, width)
            shares.append(float((rows[top:bottom].min(axis=1) < 200).mean()))
        return shares


def _page_lines(pdf: Path) -> list[tuple[float, list[tuple[float, float, str]]]]:
    """Per page: its height and its text lines (yMin, yMax, text) above the footer."""
    out = subprocess.run(
        ["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True
    )
    pages = []
    for height, body in re.findall(
        r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>', out.stdout, re.S
    ):
        foot = float(height) - BOTTOM_MM / 25.4 * 72
        lines = []
        for y0, y1, inner in re.findall(
            r'<line xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">(.*?)</line>',
            body,
            re.S,
        ):
            if float(y1) < foot:
                words = re.findall(r">([^<]*)</word>", inner)
                lines.append((float(y0), float(y1), " ".join(words)))
        pages.append((float(height), lines))
    return pages


def headings_at_page_foot(pdf: Path, headings: list[str]) -> list[tuple[int, str]]:
    """Pages (but the last) whose last thing is a heading: the lowest text line starts
    like one of `headings` and nothing (a table, a chart) is drawn below it."""
    reach = page_fill(pdf, dpi=72)
    found = []
    for number, (height, lines) in enumerate(_page_lines(pdf)[:-1], start=1):
        if not lines:
            continue
        y1 = max(line[1] for line in lines)
        last = " ".join(t for y0, _y, t in sorted(lines) if y0 < y1 and _y > y1 - 3)
        top = TOP_MM / 25.4 * 72
        drawn_to = top + reach[number - 1] * (height - top - BOTTOM_MM / 25.4 * 72)
        last = " ".join(last.split())
        heading = next(
            (h for h in headings if last == h or (len(h) > 30 and last.startswith(h[:30]))), None
        )
        if heading and drawn_to <= y1 + 6:
            found.append((number, heading))
    return found


def heading_texts(page: str) -> list[str]:
    """The headings and table captions of a report page, as text."""
    import html

    out = []
    for m in re.finditer(r"<(h[1-4]|caption)\b[^>]*>(.*?)</\1>", page, re.S):
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", "", m.group(2))).split())
        if text:
            out.append(text)
    return out
