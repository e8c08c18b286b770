"""The text catalogue: every word in both languages, nothing missing, nothing unused."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

from pumpurs.core import contract, registry
from pumpurs.present.texts import CATALOGUE, plural, text

LIB = Path(__file__).resolve().parents[1] / "lib" / "pumpurs"
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def _fields(words: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(words) if f}


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_key_has_both_languages_with_the_same_fields(key: str) -> None:
    lv, en = CATALOGUE[key]
    assert lv.strip() and en.strip(), f"{key}: a language is empty"
    assert _fields(lv) == _fields(en), f"{key}: lv and en fill different fields"
    if key.startswith("noun."):
        assert lv.count("|") == en.count("|") == 1, f"{key}: write 'singular|plural'"


@pytest.mark.parametrize("rule", registry.ids())
def test_every_rule_has_a_title_a_message_and_a_fix(rule: str) -> None:
    assert rule in CATALOGUE
    cap = registry.BY_ID[rule].stage == "cap"
    assert f"message.{rule}" in CATALOGUE or (cap and "message.CAP" in CATALOGUE)
    assert f"fix.{rule}" in CATALOGUE or (cap and "fix.CAP" in CATALOGUE)


@pytest.mark.parametrize(
    "word",
    [*contract.CATEGORIES, *contract.SPECIALIST_ROLES, *contract.INDICATORS,
     *contract.OUTCOME_STATUSES, "general", "vocational", "error", "warning"],
)  # fmt: skip
def test_every_code_a_report_shows_has_a_label(word: str) -> None:
    assert word in CATALOGUE


# Keys built from a value at run time (f"audience_{audience}").
DYNAMIC = {
    "report.audience_internal",
    "report.audience_public",
    *(f"summary.status_{c}" for c in ("green", "amber", "red", "grey")),
    *(f"summary.status_ended_{c}" for c in ("green", "amber", "red", "grey")),
    *(f"overview.band_{c}" for c in ("green", "amber", "red", "grey")),
    *(f"overview.band_ended_{c}" for c in ("green", "amber", "red", "grey")),
    *(f"overview.col_{c}" for c in ("eligible_cents", "at_risk_cents", "esf_cents")),
    *(f"overview.ind_{c}" for c in ("indicator", "value", "target", "target_from", "met")),
    *(f"month.names{case}" for case in ("", "_loc", "_dat")),
    *(f"period.semester_words{case}" for case in ("", "_dat", "_gen", "_loc")),
    *(f"summary.projected_{s}" for s in ("green", "low", "high")),
    *(f"summary.final_{s}" for s in ("green", "low", "high")),
    "period.half_1",
    "period.half_2",
    "heading.over_time_ended",
    "fix.ABSORPTION_RISK_ended",
    "fix.PLAN_LATE_ended",
    "fix.BUDGET_ALLOCATION_ended",
    "message.BUDGET_ALLOCATION_ended",
    "message.ABSORPTION_RISK_ended",
    "message.PLAN_LATE_ended",
    "index.empty",
}


def _source() -> str:
    texts = [p.read_text(encoding="utf-8") for p in LIB.rglob("*.py") if p.name != "texts.py"]
    for nb in NOTEBOOKS.glob("*.ipynb"):
        cells = json.loads(nb.read_text(encoding="utf-8"))["cells"]
        texts += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    return "\n".join(texts)


def test_no_key_is_unused() -> None:
    """Each key is named in the code ("report.title" as `_t("title")` in report_view,
    a label as the id it labels); ids of the contract and registry count as used."""
    code = _source()
    quoted = set(re.findall(r"[\"']([A-Za-z0-9_.]+)[\"']", code))
    words = set(re.findall(r"[A-Za-z0-9_]+", code))
    vocab = {*registry.ids(), *contract.CATEGORIES, *contract.SPECIALIST_ROLES,
             *contract.INDICATORS, *contract.OUTCOME_STATUSES}  # fmt: skip
    for cols in contract.TABLES.values():
        vocab.update(c.name for c in cols)
    unused = []
    for key in CATALOGUE:
        stem = key.split(".", 1)[-1]
        if key.startswith(("message.", "fix.")) and (stem in vocab or stem == "CAP"):
            continue
        if key in quoted or stem in quoted or stem in vocab:
            continue
        if key.startswith("noun.") and stem in words:
            continue
        if f"{stem}_cents" in words or f"{stem}_eur" in words:  # a money column's label
            continue
        if key in DYNAMIC:
            continue
        unused.append(key)
    assert unused == []


@pytest.mark.parametrize(
    ("n", "lv", "en"),
    [
        (1, "konstatējums", "finding"),
        (21, "konstatējums", "findings"),
        (61, "konstatējums", "findings"),
        (101, "konstatējums", "findings"),
        (11, "konstatējumi", "findings"),
        (111, "konstatējumi", "findings"),
        (0, "konstatējumi", "findings"),
        (5, "konstatējumi", "findings"),
    ],
)
def test_latvian_number_agreement(n: int, lv: str, en: str) -> None:
    assert plural(n, "finding", "lv") == lv
    assert plural(n, "finding", "en") == en


def test_fields_are_filled_and_unknown_keys_fail() -> None:
    assert text("index.summary", "en", ok=1, n=2, failed=0, missing=1) == (
        "1 of 2 reports ready, 0 failed, 1 not rendered."
    )
    with pytest.raises(KeyError):
        text("no.such.key", "lv")


def test_money_at_risk_has_one_name_everywhere() -> None:
    """Reports said "Riskam pakļauts", "Neattiecināms" and "Riskam pakļautie" for the
    money at risk: one term now, in every column, sentence and page."""
    lv = [words for words, _ in CATALOGUE.values()]
    assert not [w for w in lv if re.search(r"neattiecinām|pakļautie", w, re.I)]
    for key in ("at_risk", "ineligible", "index.at_risk"):
        assert CATALOGUE[key][0].startswith("Riskam pakļauts"), key
        assert CATALOGUE[key][1].startswith("At risk"), key
