"""Judging every euro exactly as docs/rules.md says (the package's face): `judge()`
(engine.py, whose docstring lists the judged tables' columns) and the `Judgement` it
returns; each rule's check sits beside its id in its pass's module."""

from pumpurs.core.rules.codes import group_codes, index_in, positions
from pumpurs.core.rules.engine import judge
from pumpurs.core.rules.findings import DETAIL_COLUMNS, FINDING_COLUMNS, rule_ids
from pumpurs.core.rules.judgement import Judgement

__all__ = [
    "DETAIL_COLUMNS",
    "FINDING_COLUMNS",
    "Judgement",
    "group_codes",
    "index_in",
    "judge",
    "positions",
    "rule_ids",
]
