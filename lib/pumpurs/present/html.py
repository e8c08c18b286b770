"""The small HTML blocks a report is made of, rendered by Jinja2 with autoescaping.

Names and values come from the data, and the data may hold markup ("<svg onload=…>",
"<style>…"). Every block is a template with autoescaping on, so a value is always text;
the blocks are returned as plain HTML strings, like fmt.table_html's tables (which
escape each cell), to be joined and shown. Nothing in present/ puts a data value into
HTML without escaping it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from jinja2 import Environment

TEMPLATES = {
    "heading": "<h2{% if cls %} class='{{ cls }}'{% endif %}>{{ text }}</h2>",
    "title": "<h1>{{ text }}</h1>",
    "paragraph": "<p{% if cls %} class='{{ cls }}'{% endif %}>{{ text }}</p>",
    "facts": (
        '<table class="pumpurs-facts">'
        "{% for k, v in rows %}<tr><th>{{ k }}</th><td>{{ v }}</td></tr>{% endfor %}"
        "</table>"
    ),
    "ordered": "<ol>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ol>",
    "standing": (
        '<div class="pumpurs-standing standing-{{ colour }}">'
        '<div class="badge">{{ badge }}</div>'
        "{% for s in sentences %}<p>{{ s }}</p>{% endfor %}</div>"
    ),
    "fixes": (
        '<div class="pumpurs-fixes"><h3>{{ title }}</h3><ol>'
        "{% for item in items %}<li>{{ item }}</li>{% endfor %}</ol>"
        '{% if note %}<p class="note">{{ note }}</p>{% endif %}</div>'
    ),
    "signature": (
        '<table class="pumpurs-signature"><tr>'
        "{% for k in labels %}<td><div class='line'></div>{{ k }}</td>{% endfor %}"
        "</tr></table>"
    ),
}


@cache
def _env() -> Environment:
    return Environment(autoescape=True, keep_trailing_newline=False)


def _render(name: str, **values: object) -> str:
    """The block as a plain str (a Markup would escape the str it is added to)."""
    return str(_env().from_string(TEMPLATES[name]).render(**values))


def heading(text: str, cls: str = "") -> str:
    """A section heading; `cls` "new-page" starts the section on a new printed page."""
    return _render("heading", text=text, cls=cls)


def title(text: str) -> str:
    return _render("title", text=text)


def paragraph(text: str, cls: str = "") -> str:
    return _render("paragraph", text=text, cls=cls)


def facts(rows: Iterable[tuple[str, str]]) -> str:
    """A two-column table of labelled facts (the title block)."""
    return _render("facts", rows=list(rows))


def ordered(items: Iterable[str]) -> str:
    return _render("ordered", items=list(items))


def standing(colour: str, badge: str, sentences: Iterable[str]) -> str:
    """Page 1's verdict: a coloured badge and the sentences that explain it."""
    return _render("standing", colour=colour, badge=badge, sentences=list(sentences))


def fixes(title: str, items: Iterable[str], note: str = "") -> str:
    return _render("fixes", title=title, items=list(items), note=note)


def signature(labels: Iterable[str]) -> str:
    """Lines to sign on: the report is an attachment to a signed ESF report."""
    return _render("signature", labels=list(labels))
