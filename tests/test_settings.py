"""programme.yaml: the shipped file loads, and a wrong key or value names the key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from pumpurs.core.errors import SettingsError, UsageError
from pumpurs.core.settings import DEFAULT_PROGRAMME, Programme, fold, load_programme, slugify

SHIPPED = DEFAULT_PROGRAMME.read_text(encoding="utf-8")


def test_the_default_is_the_repositorys_params_file() -> None:
    repo = Path(__file__).resolve().parents[1]
    assert repo / "params" / "programme.yaml" == DEFAULT_PROGRAMME


# ---------------------------------------------------------------------------
# The shipped file
# ---------------------------------------------------------------------------
def test_shipped_programme_loads(programme: Programme) -> None:
    assert programme.project.number == "8.3.4.0/16/I/001"
    assert programme.project.brand == "PuMPuRS"
    assert programme.project.grant_agreement_date == dt.date(2017, 3, 16)
    b = programme.budget
    assert (b.total_eur, b.esf_eur, b.state_eur) == (
        Decimal("39812376.00"),
        Decimal("33840519.00"),
        Decimal("5971857.00"),
    )
    assert b.esf_eur + b.state_eur == b.total_eur
    assert programme.esf_rate_at(dt.date(2020, 1, 1)) == Decimal("0.85")


def test_shipped_programme_has_the_43_municipalities(programme: Programme) -> None:
    ms = programme.municipalities
    assert len(ms) == 43
    assert len({m.code for m in ms}) == 43
    assert len({m.name for m in ms}) == 43
    assert len({m.slug for m in ms}) == 43
    novadi = [m for m in ms if m.name.endswith(" novads")]
    cities = sorted(m.code for m in ms if not m.name.endswith(" novads"))
    assert len(novadi) == 36
    assert cities == ["LV-DGV", "LV-JEL", "LV-JUR", "LV-LPX", "LV-REZ", "LV-RIX", "LV-VEN"]
    assert programme.municipality("Aizkraukles novads").code == "LV-002"
    assert programme.municipality("Varakļānu novads").code == "LV-102"


def test_shipped_programme_has_both_period_versions(programme: Programme) -> None:
    assert [(p.effective_from, p.start_month, p.end_month) for p in programme.period] == [
        (dt.date(2017, 3, 1), "2017-03", "2022-12"),
        (dt.date(2022, 12, 1), "2017-03", "2023-12"),
    ]
    assert programme.final_period.end_month == "2023-12"
    assert programme.period_at(dt.date(2022, 11, 30)).end_month == "2022-12"
    assert programme.period_at(dt.date(2022, 12, 1)).end_month == "2023-12"
    # before the first version the first one applies
    assert programme.period_at(dt.date(2016, 1, 1)).end_month == "2022-12"


def test_shipped_programme_has_both_target_group_versions(programme: Programme) -> None:
    tg = programme.target_group
    assert [(v.effective_from, v.general.min_grade, v.general.max_grade) for v in tg] == [
        (dt.date(2017, 3, 1), 5, 12),
        (dt.date(2021, 9, 1), 1, 12),
    ]
    assert all((v.vocational.min_grade, v.vocational.max_grade) == (1, 4) for v in tg)
    assert programme.in_force(tg, dt.date(2021, 8, 31)).general.min_grade == 5
    assert programme.in_force(tg, dt.date(2021, 9, 1)).general.min_grade == 1


def test_shipped_caps(programme: Programme) -> None:
    caps = {c.rule: (c.category, c.per, c.versions[0].limit_eur) for c in programme.caps}
    assert caps == {
        "CAP_TRANSPORT_INTERCITY": ("transport_intercity", "student_month", Decimal("30.00")),
        "CAP_ACCOMMODATION": ("accommodation", "student_month", Decimal("35.00")),
        "CAP_MEALS": ("meals", "student_month", Decimal("70.00")),
        "CAP_SPECIAL_TRANSPORT": ("special_transport", "student_month", Decimal("30.00")),
        "CAP_PERSONAL_ITEMS": ("personal_items", "student_semester", Decimal("25.00")),
        "CAP_NGO_PROJECT": ("ngo_project", "ngo_project", Decimal("4600.00")),
    }
    assert programme.vocational_only_categories == ["learning_materials"]
    assert programme.publishing.min_count == 5
    assert [v.value for v in programme.targets.institutions_involved] == [614, 611, 665]


# ---------------------------------------------------------------------------
# Municipalities
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Rīga", "LV-RIX"),
        ("RĪGA", "LV-RIX"),
        ("riga", "LV-RIX"),
        ("lv-rix", "LV-RIX"),
        ("  Rīga  ", "LV-RIX"),
        ("Aizkraukles novads", "LV-002"),
        ("aizkraukles-novads", "LV-002"),
        ("LV-002", "LV-002"),
        ("Ķekavas novads", "LV-052"),
        ("kekavas novads", "LV-052"),
        ("kekavas-novads", "LV-052"),
        ("Rēzekne", "LV-REZ"),
        ("rezeknes novads", "LV-077"),
        ("Ventspils", "LV-VEN"),
        ("Ventspils novads", "LV-106"),
        ("Jūrmala", "LV-JUR"),
        ("Augšdaugavas novads", "LV-111"),
    ],
)
def test_find_municipality(programme: Programme, text: str, code: str) -> None:
    found = programme.find_municipality(text)
    assert found is not None
    assert found.code == code


@pytest.mark.parametrize("text", ["Kokneses novads", "LV-999", "", "Rīgas", "novads"])
def test_find_municipality_unknown(programme: Programme, text: str) -> None:
    assert programme.find_municipality(text) is None


def test_every_municipality_is_found_by_every_key(programme: Programme) -> None:
    for m in programme.municipalities:
        for key in (m.name, m.code, m.slug, fold(m.name), m.name.upper(), m.code.lower()):
            assert programme.find_municipality(key) == m, key


def test_municipality_unknown_is_a_usage_error(programme: Programme) -> None:
    with pytest.raises(UsageError) as info:
        programme.municipality("Kokneses novads")
    assert str(info.value) == (
        '"Kokneses novads" is not one of the 43 municipalities; give a name, ISO code or slug, '
        "e.g. Aizkraukles novads, Alūksnes novads, Ādažu novads or LV-002"
    )


def test_fold_and_slugify() -> None:
    assert fold("  Rīga ") == "riga"
    assert fold("ĀČĒĢĪĶĻŅŠŪŽ āčēģīķļņšūž") == "acegiklnsuz acegiklnsuz"
    assert slugify("Aizkraukles novads") == "aizkraukles-novads"
    assert slugify("Ķekavas novads") == "kekavas-novads"
    assert slugify("Rīga") == "riga"


# ---------------------------------------------------------------------------
# Wrong files: each error names the key
# ---------------------------------------------------------------------------
def _load_edited(tmp_path: Path, old: str, new: str) -> str:
    assert SHIPPED.count(old) == 1, old
    path = tmp_path / "programme.yaml"
    path.write_text(SHIPPED.replace(old, new), encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_programme(path)
    return str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "budget:  # (source)",
            "budgett:  # (source)",
            "programme.yaml: budget: missing; add it\n"
            "programme.yaml: budgett: unknown key; check its spelling",
        ),
        (
            "  plan_late_days: 30",
            "  plan_late_dayz: 30",
            "programme.yaml: warnings.plan_late_days: missing; add it\n"
            "programme.yaml: warnings.plan_late_dayz: unknown key; check its spelling",
        ),
        (
            'limit_eur: "70.00"',
            'limit: "70.00"',
            "programme.yaml: caps.2.versions.0.limit_eur: missing; add it\n"
            "programme.yaml: caps.2.versions.0.limit: unknown key; check its spelling",
        ),
        (
            "  number: ",
            "  numbr: ",
            "programme.yaml: project.number: missing; add it\n"
            "programme.yaml: project.numbr: unknown key; check its spelling",
        ),
    ],
    ids=["top-level", "nested", "in-a-list", "project"],
)
def test_a_misspelt_key_is_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert _load_edited(tmp_path, old, new) == message


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "rule: CAP_MEALS",
            "rule: CAP_PIZZA",
            "programme.yaml: caps.2.rule: Value error, CAP_PIZZA is not a cap rule; use one of "
            "CAP_TRANSPORT_INTERCITY, CAP_ACCOMMODATION, CAP_MEALS, CAP_SPECIAL_TRANSPORT, "
            "CAP_PERSONAL_ITEMS, CAP_NGO_PROJECT (got 'CAP_PIZZA')",
        ),
        (
            'end_month: "2022-12"',
            'end_month: "2022-13"',
            "programme.yaml: period.0.end_month: Value error, '2022-13' is not a month; "
            "write it as YYYY-MM, e.g. 2017-03 (got '2022-13')",
        ),
        (
            'limit_eur: "70.00"',
            'limit_eur: "70.005"',
            "programme.yaml: caps.2.versions.0.limit_eur: Value error, 70.005 has more than two "
            "decimals (got '70.005')",
        ),
        (
            'esf_eur: "33840519.00"',
            'esf_eur: "33840520.00"',
            "programme.yaml: budget: Value error, esf_eur + state_eur = 39812377.00 but "
            "total_eur is 39812376.00",
        ),
        (
            'total_eur: "39812376.00"',
            'total_eur: "39810000.00"',
            "programme.yaml: budget: Value error, esf_eur + state_eur = 39812376.00 but "
            "total_eur is 39810000.00",
        ),
        (
            'state_eur: "5971857.00"',
            'state_eur: "-5971857.00"',
            "programme.yaml: budget.state_eur: Value error, must not be negative "
            "(got '-5971857.00')",
        ),
        (
            'rate: "0.85"',
            'rate: "1.85"',
            "programme.yaml: esf_rate.0.rate: Input should be less than or equal to 1 (got '1.85')",
        ),
        (
            "plan_late_days: 30",
            "plan_late_days: thirty",
            "programme.yaml: warnings.plan_late_days: Input should be a valid integer, unable to "
            "parse string as an integer (got 'thirty')",
        ),
        (
            "code: LV-102}",
            "code: LV-2}",
            "programme.yaml: municipalities.31.code: String should match pattern "
            "'^LV-[0-9A-Z]{3}$' (got 'LV-2')",
        ),
        (
            "code: LV-113}",
            "code: LV-002}",
            "programme.yaml: (top level): Value error, municipalities: a code appears twice",
        ),
        (
            "per: student_semester",
            "per: student_year",
            "programme.yaml: caps.4.per: Input should be 'student_month', 'student_semester' or "
            "'ngo_project' (got 'student_year')",
        ),
        (
            "- effective_from: 2022-12-01  # (assumed)",
            "- effective_from: 2016-12-01  # (assumed)",
            "programme.yaml: (top level): Value error, period: effective_from dates must be "
            "distinct and in ascending order",
        ),
        (
            "grant_agreement_date: 2017-03-16",
            "grant_agreement_date: 2017-02-30",
            "programme.yaml: project.grant_agreement_date: Input should be a valid date or "
            "datetime, day value is outside expected range (got '2017-02-30')",
        ),
        (
            "general: {min_grade: 5, max_grade: 12}",
            "general: {min_grade: 5, max_grade: 13}",
            "programme.yaml: target_group.0.general.max_grade: Input should be less than or "
            "equal to 12 (got 13)",
        ),
    ],
    ids=[
        "unknown-cap-rule",
        "month-2022-13",
        "cap-3-decimals",
        "esf+state-not-total",
        "total-not-esf+state",
        "negative-money",
        "rate-above-1",
        "not-an-integer",
        "bad-iso-code",
        "duplicate-code",
        "unknown-cap-per",
        "versions-out-of-order",
        "unreal-date",
        "grade-above-12",
    ],
)
def test_a_bad_value_is_named(tmp_path: Path, old: str, new: str, message: str) -> None:
    assert _load_edited(tmp_path, old, new) == message


def test_every_error_in_the_file_is_listed(tmp_path: Path) -> None:
    text = SHIPPED.replace('end_month: "2022-12"', 'end_month: "2022-13"').replace(
        "publishing:", "publshing:"
    )
    path = tmp_path / "programme.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_programme(path)
    assert str(info.value).splitlines() == [
        "programme.yaml: period.0.end_month: Value error, '2022-13' is not a month; write it as "
        "YYYY-MM, e.g. 2017-03 (got '2022-13')",
        "programme.yaml: publishing: missing; add it",
        "programme.yaml: publshing: unknown key; check its spelling",
    ]


def test_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as info:
        load_programme(tmp_path / "nope.yaml")
    assert (
        str(info.value)
        == f"{tmp_path / 'nope.yaml'}: file not found; the programme settings are needed"
    )


def test_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "programme.yaml"
    path.write_text("budget: [1, 2\n", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_programme(path)
    assert str(info.value).startswith(f"{path}: not valid YAML (")


def test_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "programme.yaml"
    path.write_text("", encoding="utf-8")
    with pytest.raises(SettingsError) as info:
        load_programme(path)
    assert str(info.value) == (
        "programme.yaml: (top level): Input should be a valid dictionary or instance of "
        "Programme (got None)"
    )


def test_settings_are_immutable(programme: Programme) -> None:
    with pytest.raises(Exception, match="frozen"):
        programme.budget.total_eur = Decimal("1")  # type: ignore[misc]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "R" * 300,
            "programme.yaml: municipalities.41.name: Value error, is 300 characters long (its "
            "folder name too); a municipality's name has at most 100, since its reports' folders "
            "are named after it: write the municipality's name (got '"
            + "R" * 59
            + "… (300 characters))",
        ),
        (
            "Rīga" + "ﬃ" * 40,  # a ligature folds to three letters: the folder name is longer
            "programme.yaml: municipalities.41.name: Value error, is 124 characters long (its "
            "folder name too); a municipality's name has at most 100, since its reports' folders "
            "are named after it: write the municipality's name (got '" + "Rīga" + "ﬃ" * 40 + "')",
        ),
        (
            "Rīga\nnovads",
            "programme.yaml: municipalities.41.name: Value error, holds a control character (a "
            "line break, a tab); write the name on one line (got 'Rīga\\nnovads')",
        ),
    ],
    ids=["300-characters", "long-folder-name", "line-break"],
)
def test_a_municipality_name_that_cannot_name_a_folder_is_refused(
    tmp_path: Path, name: str, message: str
) -> None:
    import json

    assert _load_edited(tmp_path, 'name: "Rīga"', f"name: {json.dumps(name)}") == message
