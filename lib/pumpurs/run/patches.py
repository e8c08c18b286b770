"""The two places where pumpurs changes a library's behaviour, and why.

Both are for speed in long-lived workers, both are checked by tests that fail if the
library changes under them (tests/test_worker.py):
- `skip_rfc3987_syntax`: jsonschema's optional IRI checker costs ~1 s to import and is
  never used by nbformat's schema;
- `cache_nbconvert_templates`: nbconvert compiles its Jinja templates for every new
  exporter; a shared bytecode cache compiles them once per process.
Nothing else in the package patches a library.
"""

from __future__ import annotations

import sys
from typing import Any


def skip_rfc3987_syntax() -> None:
    """Make `import jsonschema` (via nbformat, papermill, nbconvert) about a second faster.

    jsonschema's format checkers try `import rfc3987_syntax`, which builds a Lark parser
    at import time (0.8-1.3 s). A `None` entry in sys.modules makes that import raise
    ImportError, which jsonschema catches (`with suppress(ImportError)` in
    jsonschema/_format.py), so only the "iri"/"iri-reference" format checks are missing;
    nbformat's notebook schema uses neither. Call it before importing any of those
    modules; it changes nothing once rfc3987_syntax is already imported.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def cache_nbconvert_templates() -> None:
    """Compile nbconvert's Jinja templates once per worker instead of once per report.

    `render.notebook_to_html` builds a new HTMLExporter for every report, and each new
    exporter has a new Jinja environment that parses and compiles its ~10 templates
    again (about 0.2 s a report). An in-memory bytecode cache shared by every
    environment this process creates skips that; Jinja checks each template's source
    checksum, so an edited template is still recompiled.
    """
    import jinja2
    from nbconvert.exporters.templateexporter import TemplateExporter

    original = TemplateExporter._create_environment
    if getattr(original, "_pumpurs_cached", False):
        return

    class MemoryBytecodeCache(jinja2.BytecodeCache):
        def __init__(self) -> None:
            self.store: dict[str, bytes] = {}

        def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            data = self.store.get(bucket.key)
            if data is not None:
                bucket.bytecode_from_string(data)

        def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
            self.store[bucket.key] = bucket.bytecode_to_string()

    shared = MemoryBytecodeCache()

    def create_environment(self: Any) -> Any:
        env = original(self)
        env.bytecode_cache = shared
        return env

    create_environment._pumpurs_cached = True  # type: ignore[attr-defined]
    TemplateExporter._create_environment = create_environment  # type: ignore[method-assign]
