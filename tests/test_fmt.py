"""Language-aware formatting and labels (pumpurs.present.fmt)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pumpurs.core.errors import UsageError
from pumpurs.present import fmt
from pumpurs.present.fmt import (
    CATEGORIES,
    INDICATORS,
    ROLES,
    RULES,
    fmt_date,
    fmt_eur,
    fmt_int,
    fmt_month,
    fmt_pct,
    fmt_semester,
    format_table,
    label,
    table_html,
)

NB = "\u00a0"


def test_eur_both_languages() -> None:
    assert fmt_eur(123456) == f"1{NB}234,56{NB}€"
    assert fmt_eur(123456, "en") == "€1,234.56"
    assert fmt_eur(0) == f"0,00{NB}€"
    assert fmt_eur(-5) == f"-0,05{NB}€"
    assert fmt_eur(3984123700) == f"39{NB}841{NB}237,00{NB}€"
    assert fmt_eur(np.int64(100), "en") == "€1.00"
    assert fmt_eur(None) == "–"
    assert fmt_eur(pd.NA) == "–"
    with pytest.raises(ValueError):
        fmt_eur(1.5)


def test_int_pct_date() -> None:
    assert fmt_int(21732) == f"21{NB}732"
    assert fmt_int(21732, "en") == "21,732"
    assert fmt_int(999) == "999"
    assert fmt_int(-1234567) == f"-1{NB}234{NB}567"
    assert fmt_int(np.nan) == "–"
    assert fmt_int("<5") == "<5"  # a suppressed cell passes through
    assert fmt_pct(0.875) == f"87,5{NB}%"
    assert fmt_pct(0.875, "en") == "87.5%"
    assert fmt_pct(1, "lv", digits=0) == f"100{NB}%"
    assert fmt_pct(0.12345, "en", digits=2) == "12.35%"
    assert fmt_pct(float("nan")) == "–"
    d = dt.date(2023, 12, 31)
    assert fmt_date(d) == "31.12.2023"
    assert fmt_date(d, "en") == "2023-12-31"
    assert fmt_date(pd.Timestamp("2020-02-05 13:00")) == "05.02.2020"
    assert fmt_date(dt.datetime(2020, 2, 5, 1, 2)) == "05.02.2020"
    assert fmt_date("2020-02-05", "en") == "2020-02-05"
    assert fmt_date(pd.NaT) == ""
    assert fmt_date(None) == ""
    assert fmt_month("2020-03") == "03.2020"
    assert fmt_month("2020-03", "en") == "2020-03"
    assert fmt_semester("2019/2020-1") == "2019/20 1. sem."
    assert fmt_semester("2019/2020-2", "en") == "2019/20 S2"


def test_unknown_language_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="lv or en"):
        fmt_eur(1, "de")
    with pytest.raises(UsageError):
        label("eligible", "ru")


@pytest.mark.parametrize(
    ("key", "lv", "en"),
    [
        ("declared_eur", "Deklarēts", "Declared"),
        ("declared_cents", "Deklarēts", "Declared"),
        ("ineligible", "Riskam pakļauts (pārkāpumi)", "At risk (breaches)"),
        ("esf_eur", "ESF", "ESF"),
        ("state_eur", "Valsts budžets", "State budget"),
        ("allocation_eur", "Piešķīrums", "Allocation"),
        ("absorption", "Apguve", "Absorption"),
        ("at_risk_eur", "Riskam pakļauts", "At risk"),
        ("consultation", "Konsultācijas", "Consultations"),
        ("transport_intercity", "Starppilsētu transports", "Intercity transport"),
        ("accommodation", "Naktsmītnes", "Accommodation"),
        ("meals", "Ēdināšana", "Meals"),
        ("special_transport", "Speciālais transports", "Special transport"),
        ("personal_items", "Individuālās lietošanas priekšmeti", "Items for individual use"),
        ("learning_materials", "Individuālie mācību līdzekļi", "Individual learning materials"),
        ("ngo_project", "Jauniešu NVO projekti", "Youth NGO projects"),
        (
            "staff_development",
            "Pedagogu profesionālā pilnveide",
            "Teachers' professional development",
        ),
        ("coordination", "Koordinācija", "Coordination"),
        ("pedagogue", "pedagogs", "pedagogue"),
        ("psychologist", "psihologs", "psychologist"),
        ("social_pedagogue", "sociālais pedagogs", "social pedagogue"),
        ("teacher_assistant", "pedagoga palīgs", "teacher's assistant"),
        ("special_education_teacher", "speciālās izglītības pedagogs", "special education teacher"),
        ("sign_language_interpreter", "surdotulks", "sign-language interpreter"),
        ("assistant", "asistents", "assistant"),
        ("occupational_therapist", "ergoterapeits", "occupational therapist"),
    ],
)
def test_labels(key: str, lv: str, en: str) -> None:
    assert label(key) == lv
    assert label(key, "en") == en


def test_every_code_has_both_languages() -> None:
    for key in (*CATEGORIES, *ROLES, *RULES, *INDICATORS):
        assert key in fmt.LABELS, key
        lv, en = label(key, "lv"), label(key, "en")
        assert lv.strip() and en.strip() and lv != key, key
    assert len(RULES) == 17
    assert len(set(RULES)) == len(RULES)
    for word in ("key_figures", "eligible", "findings"):
        assert label(word) != label(word, "en")


def test_labels_cover_the_data_contract_vocabularies() -> None:
    from pumpurs.core import contract

    words = (*contract.CATEGORIES, *contract.SPECIALIST_ROLES, *contract.OUTCOME_STATUSES)
    for key in (*words, "general", "vocational", "vpil", "municipality", "error", "warning"):
        assert key in fmt.LABELS, key
    assert set(contract.CATEGORIES) == set(CATEGORIES)
    assert set(contract.SPECIALIST_ROLES) == set(ROLES)


def test_unknown_label_falls_back() -> None:
    assert label("some_new_column") == "some_new_column"
    assert label("some_new_column", default="?") == "?"


def test_format_table_shows_no_python_reprs() -> None:
    df = pd.DataFrame(
        {
            "category": ["meals", "consultation", None],
            "eligible_cents": pd.array([123456, None, 0], dtype="Int64"),
            "students": pd.array([12, None, 3400], dtype="Int64"),
            "absorption": [0.875, np.nan, 1.0],
            "paid_on": [pd.Timestamp("2020-02-05"), pd.NaT, pd.Timestamp("2021-01-04")],
            "school_id": ["S001", None, np.nan],
            "entry_ids": [("E1", "E7"), (), ("E2",)],
            "note": [None, float("nan"), "x"],
            "continued_share": [0.5, None, 1.0],
            "flag": [True, False, True],
        }
    )
    out = format_table(df, "lv", ints=["students"], pcts=["absorption"], dates=["paid_on"])
    cells = [str(v) for v in out.to_numpy().ravel()]
    for bad in ("<NA>", "nan", "NaN", "NaT", "None", "Timestamp", "datetime"):
        assert not any(bad in c for c in cells), bad
    assert list(out.columns) == [
        "Izmaksu kategorija",
        "Attiecināms",
        "Skolēni",
        "Apguve",
        "Apmaksāts",
        "Skolas kods",
        "Ieraksti",
        "note",
        "Turpina mācības vai absolvējuši",
        "flag",
    ]
    assert out.iloc[0].tolist()[:5] == [
        "Ēdināšana",
        f"1{NB}234,56{NB}€",
        "12",
        f"87,5{NB}%",
        "05.02.2020",
    ]
    assert out.iloc[1, 1] == "–" and out.iloc[1, 4] == "" and out.iloc[2, 0] == ""
    assert out.iloc[2, 2] == f"3{NB}400"
    assert out.iloc[0, 6] == "E1, E7"
    assert out.iloc[0, 8] == f"50,0{NB}%"  # a share column found by its name
    assert out.iloc[0, 9] == "jā" and out.iloc[1, 9] == "nē"
    en = format_table(df, "en", ints=["students"], pcts=["absorption"], dates=["paid_on"])
    assert en.iloc[0, 1] == "€1,234.56" and en.iloc[0, 4] == "2020-02-05"
    assert en.columns[0] == "Cost category"


def test_format_table_keeps_suppressed_marks_and_ids() -> None:
    df = pd.DataFrame({"rule": ["CAP_MEALS"], "students": ["<5"], "plans": [7]})
    out = format_table(df, "lv", ints=["students", "plans"], labels=False, translate_values=False)
    assert out.iloc[0].tolist() == ["CAP_MEALS", "<5", "7"]
    out = format_table(df, "lv", ints=["students", "plans"])
    assert out.iloc[0, 0] == "Pārsniegts ēdināšanas limits"


def test_format_table_rejects_unknown_columns() -> None:
    with pytest.raises(ValueError, match="no such columns"):
        format_table(pd.DataFrame({"a": [1]}), ints=["b"])


def test_table_html_right_aligns_numbers() -> None:
    df = pd.DataFrame({"category": ["meals"], "eligible_cents": [123456], "students": ["<5"]})
    html = table_html(format_table(df, "lv", ints=["students"]), caption="Ēdināšana & co")
    assert '<th class="num">Attiecināms</th>' in html
    assert f'<td class="num">1{NB}234,56{NB}€</td>' in html
    assert '<td class="num">&lt;5</td>' in html
    assert "<td>Ēdināšana</td>" in html
    assert "Ēdināšana &amp; co" in html


def test_looks_numeric() -> None:
    for s in ("12", f"1{NB}234,56{NB}€", "€1,234.56", f"87,5{NB}%", "87.5%", "<5", "–", "x", "-3"):
        assert fmt.looks_numeric(s), s
    for s in ("S001", "Ēdināšana", "2019/2020-1", "E1, E7", ""):
        assert not fmt.looks_numeric(s), s


@pytest.mark.parametrize(
    ("period", "lang", "words"),
    [
        ("2023-H2", "lv", "2023. gada 2. pusgads"),
        ("2021-H1", "lv", "2021. gada 1. pusgads"),
        ("2023-H2", "en", "second half of 2023"),
        ("2021-H1", "en", "first half of 2021"),
    ],
)
def test_a_period_in_words(period: str, lang: str, words: str) -> None:
    from pumpurs.present.fmt import fmt_period

    assert fmt_period(period, lang) == words


@pytest.mark.parametrize(
    ("value", "lang", "case", "words"),
    [
        ("2021-06-30", "lv", "", "2021. gada 30. jūnijs"),
        ("2021-06-30", "lv", "dat", "2021. gada 30. jūnijam"),
        ("2024-01-20", "lv", "dat", "2024. gada 20. janvārim"),
        ("2021-06-30", "en", "dat", "30 June 2021"),
    ],
)
def test_a_date_in_a_sentence_is_in_words(value, lang, case, words):
    from pumpurs.present.fmt import fmt_date_words

    assert fmt_date_words(value, lang, case) == words


@pytest.mark.parametrize(
    ("month", "lang", "case", "words"),
    [
        ("2023-12", "lv", "", "2023. gada decembris"),
        ("2023-12", "lv", "loc", "2023. gada decembrī"),
        ("2023-12", "lv", "dat", "2023. gada decembrim"),
        ("2023-12", "en", "loc", "December 2023"),
    ],
)
def test_a_month_in_a_sentence_is_in_words(month, lang, case, words):
    from pumpurs.present.fmt import fmt_month_words

    assert fmt_month_words(month, lang, case) == words


def test_a_semester_in_a_cell_is_in_words():
    from pumpurs.present.fmt import fmt_semester_words

    assert fmt_semester_words("2019/2020-2") == "2019./2020. m. g. 2. semestris"
    assert fmt_semester_words("2019/2020-1", "en") == "2019/2020 school year, semester 1"
