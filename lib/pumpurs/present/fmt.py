"""Numbers, dates and labels as a reader of a report expects them, in Latvian or English.

Latvian is the default: reports go to municipalities' project managers. Everything a
report shows goes through here, so a table, a chart and a workbook say the same thing
the same way ("1 234,56 €", "87,5 %", "31.12.2023"). Machine formats (JSON, CSV) keep the
English ids and never use this module.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from pumpurs.core.contract import CATEGORIES as _CATEGORIES
from pumpurs.core.contract import INDICATORS, RULE_IDS, SPECIALIST_ROLES  # noqa: F401  (re-exported)
from pumpurs.core.errors import UsageError
from pumpurs.core.money import NBSP, format_eur

LANGS = ("lv", "en")
MISSING = "–"  # shown for a missing number; a missing text is shown as ""

# Columns whose *values* are ids with a label (category codes, roles, rule ids, ...).
CODE_COLUMNS = frozenset(
    {
        "category",
        "rule",
        "severity",
        "specialist_role",
        "author_role",
        "indicator",
        "level",
        "kind",
        "status",
    }
)

# key -> (lv, en). Keys are the ids the data and the code use.
LABELS: dict[str, tuple[str, str]] = {
    # ---- money and totals (a column `declared_eur` or `declared_cents` finds `declared`)
    "declared": ("Deklarēts", "Declared"),
    "ineligible": ("Neattiecināms", "Ineligible"),
    "over_allocation": ("Virs piešķīruma", "Over allocation"),
    "eligible": ("Attiecināms", "Eligible"),
    "esf": ("ESF", "ESF"),
    "state": ("Valsts budžets", "State budget"),
    "allocation": ("Piešķīrums", "Allocation"),
    "absorption": ("Apguve", "Absorption"),
    "at_risk": ("Riskam pakļauts", "At risk"),
    "amount": ("Summa", "Amount"),
    "limit": ("Limits", "Cap"),
    "cumulative_eligible": ("Uzkrātie attiecināmie izdevumi", "Cumulative eligible spending"),
    "projected_cumulative": ("Prognoze", "Projection"),
    "remaining": ("Atlikums", "Remaining"),
    "total": ("Kopā", "Total"),
    # ---- keys and dimensions
    "partner_id": ("Partneris", "Partner"),
    "partner": ("Partneris", "Partner"),
    "partner_name": ("Partneris", "Partner"),
    "municipality": ("Pašvaldība", "Municipality"),
    "municipality_code": ("Pašvaldības kods", "Municipality code"),
    "school_id": ("Skolas kods", "School id"),
    "school": ("Izglītības iestāde", "School"),
    "school_name": ("Izglītības iestāde", "School"),
    "name": ("Nosaukums", "Name"),
    "category": ("Izmaksu kategorija", "Cost category"),
    "month": ("Mēnesis", "Month"),
    "service_month": ("Pakalpojuma mēnesis", "Service month"),
    "semester": ("Semestris", "Semester"),
    "school_year": ("Mācību gads", "School year"),
    "half_year": ("Pusgads", "Half-year"),
    "period": ("Periods", "Period"),
    "paid_on": ("Apmaksāts", "Paid on"),
    "created_on": ("Izveidots", "Created on"),
    "joined_on": ("Iesaistījās", "Joined on"),
    "agreement_date": ("Līguma datums", "Agreement date"),
    "as_of": ("Datu stāvoklis uz", "Data as of"),
    "rule": ("Noteikums", "Rule"),
    "rule_title": ("Pārkāpums", "Issue"),
    "severity": ("Nozīmīgums", "Severity"),
    "message": ("Apraksts", "Description"),
    "student_id": ("Skolēns (pseidonīms)", "Pupil (pseudonym)"),
    "entry_ids": ("Ieraksti", "Entries"),
    "document_ref": ("Dokuments", "Document"),
    "specialist_role": ("Speciālists", "Specialist"),
    "author_role": ("Plāna autors", "Plan author"),
    "hours": ("Stundas", "Hours"),
    "level": ("Izglītības līmenis", "Education level"),
    "grade": ("Klase/kurss", "Grade/year"),
    "kind": ("Veids", "Kind"),
    "round": ("Kārta", "Round"),
    "status": ("Statuss", "Status"),
    "ngo_project_id": ("NVO projekts", "NGO project"),
    "findings": ("Konstatējumi", "Findings"),
    "students": ("Skolēni", "Pupils"),
    "pupils": ("Skolēni", "Pupils"),
    "partners": ("Partneri", "Partners"),
    "errors": ("Kļūdas", "Errors"),
    "warnings": ("Brīdinājumi", "Warnings"),
    "figure": ("Rādītājs", "Figure"),
    "plans": ("Atbalsta plāni", "Support plans"),
    "schools": ("Izglītības iestādes", "Schools"),
    "count": ("Skaits", "Count"),
    "share": ("Daļa", "Share"),
    "share_of_cap": ("Daļa no limita", "Share of the cap"),
    "indicator": ("Rādītājs", "Indicator"),
    "value": ("Vērtība", "Value"),
    "target": ("Mērķis", "Target"),
    "cumulative": ("Kopš projekta sākuma", "Since the start"),
    # ---- cost categories
    "consultation": ("Konsultācijas", "Consultations"),
    "transport_intercity": ("Starppilsētu transports", "Intercity transport"),
    "accommodation": ("Naktsmītnes", "Accommodation"),
    "meals": ("Ēdināšana", "Meals"),
    "special_transport": ("Speciālais transports", "Special transport"),
    "personal_items": ("Individuālās lietošanas priekšmeti", "Items for individual use"),
    "learning_materials": ("Individuālie mācību līdzekļi", "Individual learning materials"),
    "ngo_project": ("Jauniešu NVO projekti", "Youth NGO projects"),
    "staff_development": ("Pedagogu profesionālā pilnveide", "Teachers' professional development"),
    "coordination": ("Koordinācija", "Coordination"),
    # ---- specialist roles (lower case: they are used inside sentences too)
    "pedagogue": ("pedagogs", "pedagogue"),
    "psychologist": ("psihologs", "psychologist"),
    "social_pedagogue": ("sociālais pedagogs", "social pedagogue"),
    "teacher_assistant": ("pedagoga palīgs", "teacher's assistant"),
    "special_education_teacher": ("speciālās izglītības pedagogs", "special education teacher"),
    "sign_language_interpreter": ("surdotulks", "sign-language interpreter"),
    "assistant": ("asistents", "assistant"),
    "occupational_therapist": ("ergoterapeits", "occupational therapist"),
    # ---- rule ids: short titles
    "ELIG_PERIOD": ("Ārpus projekta perioda", "Outside the programme period"),
    "ELIG_AGREEMENT": ("Pirms sadarbības līguma", "Before the partner's agreement"),
    "ELIG_SCHOOL_PARTNER": ("Skola pieder citam partnerim", "School belongs to another partner"),
    "ELIG_SCHOOL_JOINED": ("Pirms skolas iesaistes projektā", "Before the school joined"),
    "ELIG_NO_PLAN": ("Nav individuālā atbalsta plāna", "No individual support plan"),
    "ELIG_TARGET_GROUP": ("Ārpus mērķa grupas", "Outside the target group"),
    "ELIG_MATERIALS_VOCATIONAL": (
        "Mācību līdzekļi tikai profesionālās izglītības audzēkņiem",
        "Learning materials are for vocational students only",
    ),
    "DUPLICATE_CLAIM": ("Dubults pieprasījums", "Duplicate claim"),
    "CAP_TRANSPORT_INTERCITY": (
        "Pārsniegts starppilsētu transporta limits",
        "Intercity transport cap exceeded",
    ),
    "CAP_ACCOMMODATION": ("Pārsniegts naktsmītņu limits", "Accommodation cap exceeded"),
    "CAP_MEALS": ("Pārsniegts ēdināšanas limits", "Meals cap exceeded"),
    "CAP_SPECIAL_TRANSPORT": (
        "Pārsniegts speciālā transporta limits",
        "Special transport cap exceeded",
    ),
    "CAP_PERSONAL_ITEMS": (
        "Pārsniegts individuālās lietošanas priekšmetu limits",
        "Items for individual use cap exceeded",
    ),
    "CAP_NGO_PROJECT": ("Pārsniegts NVO projekta limits", "Youth NGO project cap exceeded"),
    "BUDGET_ALLOCATION": ("Pārsniegts partnera piešķīrums", "Partner's allocation exceeded"),
    "PLAN_LATE": ("Atbalsta plāns izveidots novēloti", "Support plan created late"),
    "ABSORPTION_RISK": ("Finansējuma apguves risks", "Absorption risk"),
    # ---- severities
    "error": ("kļūda", "error"),
    "warning": ("brīdinājums", "warning"),
    # ---- indicators
    "students_supported": ("Atbalstītie skolēni", "Pupils supported"),
    "support_plans": ("Individuālie atbalsta plāni", "Individual support plans"),
    "institutions_involved": ("Iesaistītās izglītības iestādes", "Institutions involved"),
    "municipalities_involved": ("Iesaistītās pašvaldības", "Municipalities involved"),
    "ngo_projects": ("Jauniešu NVO projekti", "Youth NGO projects"),
    "continued_share": (
        "Turpina mācības vai absolvējuši",
        "Continuing or graduated",
    ),
    # ---- plan levels, partner kinds, outcomes
    "general": ("vispārējā izglītība", "general education"),
    "vocational": ("profesionālā izglītība", "vocational education"),
    "vpil": ("valsts profesionālās izglītības iestāde", "state vocational institution"),
    "continues": ("turpina mācības", "continues"),
    "graduated": ("absolvējis", "graduated"),
    "left": ("pārtrauca mācības", "left school"),
    "transferred": ("mācās citā skolā", "transferred"),
    "unknown": ("nav zināms", "unknown"),
    # ---- section headings
    "report_title": ("PuMPuRS projekta pārskats", "PuMPuRS project report"),
    "section_summary": ("Kopsavilkums", "Summary"),
    "key_figures": ("Galvenie rādītāji", "Key figures"),
    "section_finance": ("Finanses", "Finances"),
    "section_absorption": ("Finansējuma apguve", "Absorption of the allocation"),
    "section_categories": ("Izdevumi pa izmaksu kategorijām", "Spending by cost category"),
    "section_schools": ("Izdevumi pa izglītības iestādēm", "Spending by school"),
    "section_months": ("Izdevumi pa mēnešiem", "Spending by month"),
    "section_semesters": ("Dinamika pa semestriem", "Trend by semester"),
    "section_indicators": ("Rādītāji", "Indicators"),
    "section_findings": ("Konstatējumi", "Findings"),
    "section_warnings": ("Brīdinājumi", "Warnings"),
    "section_caps": ("Kompensāciju limitu izmantojums", "Use of the compensation caps"),
    "section_consultations": ("Konsultācijas pa speciālistiem", "Consultations by specialist"),
    "section_notes": ("Piezīmes", "Notes"),
    "section_method": ("Metodika", "Method"),
    "section_funding": ("Finansējums", "Funding"),
    # ---- chart and page words
    "actual": ("Faktiski", "Actual"),
    "projection": ("Prognoze līdz projekta beigām", "Projection to the programme end"),
    "eur": ("€", "€"),
    "eur_thousands": ("tūkst. €", "k €"),
    "eur_millions": ("milj. €", "M €"),
    "pupil_groups": ("Skolēnu mēneši vai semestri", "Pupil-months or pupil-semesters"),
    "share_of_groups": ("Daļa, %", "Share, %"),
    "no_data": ("Nav datu", "No data"),
    "generated": ("Sagatavots", "Generated"),
    "page": ("lpp.", "page"),
    "of": ("no", "of"),
    # ---- the EU funding statement
    "eu": ("Eiropas Savienība", "European Union"),
    "esf_full": ("Eiropas Sociālais fonds", "European Social Fund"),
    "slogan": ("Ieguldījums tavā nākotnē", "Investing in your future"),
    "ndp": ("Nacionālais attīstības plāns 2020", "National Development Plan 2020"),
    "project": ("Projekts", "Project"),
}

# Codes in the order reports list them (the vocabularies live in contract.py).
CATEGORIES = _CATEGORIES
ROLES = SPECIALIST_ROLES
RULES = RULE_IDS

_SUFFIX_RE = re.compile(r"_(eur|cents)$")


def check_lang(lang: str) -> str:
    """Fail early, naming the choices, rather than silently print the wrong language."""
    if lang not in LANGS:
        raise UsageError(f'"{lang}" is not a report language; use lv or en')
    return lang


def has_label(key: str) -> bool:
    return key in LABELS or _SUFFIX_RE.sub("", key) in LABELS


def label(key: str, lang: str = "lv", default: str | None = None) -> str:
    """The reader's word for an id; `declared_eur`/`declared_cents` find `declared`.

    An unknown key gives `default`, or the key itself, so a new column never breaks a
    report; it just shows its id until a label is added here.
    """
    i = LANGS.index(check_lang(lang))
    if key in LABELS:
        return LABELS[key][i]
    stem = _SUFFIX_RE.sub("", key)
    if stem in LABELS:
        return LABELS[stem][i]
    return key if default is None else default


def is_missing(value: Any) -> bool:
    """None, NaN, NA and NaT alike: pandas 3 mixes them, a report shows none of them."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists, arrays: not a scalar missing value
        return False


def _group(digits: str, sep: str) -> str:
    out = []
    while len(digits) > 3:
        out.insert(0, digits[-3:])
        digits = digits[:-3]
    out.insert(0, digits)
    return sep.join(out)


def fmt_eur(cents: Any, lang: str = "lv") -> str:
    """Integer cents as money: lv '1 234,56 €' (non-breaking spaces), en '€1,234.56'."""
    check_lang(lang)
    if is_missing(cents):
        return MISSING
    if isinstance(cents, str):
        return cents  # an already suppressed or formatted cell
    if isinstance(cents, float) and not cents.is_integer():
        raise ValueError(f"{cents} is not a whole number of cents")
    return format_eur(int(cents), lang)


def fmt_int(n: Any, lang: str = "lv") -> str:
    """lv '21 732' (non-breaking space), en '21,732'."""
    check_lang(lang)
    if is_missing(n):
        return MISSING
    if isinstance(n, str):
        return n
    value = int(round(float(n))) if isinstance(n, float | Decimal) else int(n)
    sign = "-" if value < 0 else ""
    return sign + _group(str(abs(value)), NBSP if lang == "lv" else ",")


def fmt_num(x: Any, lang: str = "lv", digits: int = 1) -> str:
    """A decimal number with a fixed number of digits: lv '1 234,5', en '1,234.5'."""
    check_lang(lang)
    if is_missing(x):
        return MISSING
    if isinstance(x, str):
        return x
    text = f"{abs(float(x)):.{digits}f}"
    whole, _, frac = text.partition(".")
    sign = "-" if float(x) < 0 and float(text) != 0 else ""
    grouped = _group(whole, NBSP if lang == "lv" else ",")
    if not frac:
        return sign + grouped
    return sign + grouped + ("," if lang == "lv" else ".") + frac


def fmt_pct(x: Any, lang: str = "lv", digits: int = 1) -> str:
    """A share (0.875) as a percentage: lv '87,5 %' (non-breaking space), en '87.5%'."""
    check_lang(lang)
    if is_missing(x):
        return MISSING
    if isinstance(x, str):
        return x
    value = float(x)
    if math.isinf(value):
        return MISSING
    number = fmt_num(value * 100, lang, digits)
    return number + (NBSP + "%" if lang == "lv" else "%")


def _as_date(d: Any) -> dt.date:
    if isinstance(d, pd.Timestamp):
        return d.date()
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    if isinstance(d, str):
        return dt.date.fromisoformat(d.strip()[:10])
    return pd.Timestamp(d).date()


def fmt_date(d: Any, lang: str = "lv") -> str:
    """lv DD.MM.YYYY, en YYYY-MM-DD; a missing date is an empty cell."""
    check_lang(lang)
    if is_missing(d):
        return ""
    day = _as_date(d)
    return day.strftime("%d.%m.%Y") if lang == "lv" else day.isoformat()


def fmt_month(month: str, lang: str = "lv") -> str:
    """'2020-03' -> lv '03.2020', en '2020-03' (the way each language writes a month)."""
    check_lang(lang)
    if is_missing(month):
        return ""
    text = str(month)
    return f"{text[5:7]}.{text[:4]}" if lang == "lv" and len(text) == 7 else text


def fmt_semester(semester: str, lang: str = "lv") -> str:
    """'2019/2020-1' -> lv '2019/20 1. sem.', en '2019/20 S1' (short, for axes and headers)."""
    check_lang(lang)
    if is_missing(semester):
        return ""
    text = str(semester)
    m = re.match(r"^(\d{4})/\d{2}(\d{2})-([12])$", text)
    if not m:
        return text
    year = f"{m.group(1)}/{m.group(2)}"
    return f"{year} {m.group(3)}. sem." if lang == "lv" else f"{year} S{m.group(3)}"


def fmt_value(value: Any, lang: str = "lv") -> str:
    """Any other cell: text as is, missing as "", ids in tuples joined with commas.

    Integers are not grouped here (a year or a grade is not a quantity); list count
    columns in `ints` to group them.
    """
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool | np.bool_):
        return {True: ("jā", "yes"), False: ("nē", "no")}[bool(value)][LANGS.index(lang)]
    if is_missing(value):
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return fmt_date(value, lang)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an int column upcast by a missing value; years stay '2020'
    if isinstance(value, float | Decimal):
        return fmt_num(value, lang, 2)
    return str(value)


def translate(value: Any, lang: str = "lv") -> str:
    """A code value (category, role, rule id, ...) as a label; other values unchanged."""
    if is_missing(value):
        return ""
    text = str(value)
    return label(text, lang) if text in LABELS else text


def column_label(column: str, lang: str = "lv") -> str:
    """A column header: `eligible_cents` -> 'Attiecināms'; unknown names stay as they are."""
    return label(str(column), lang)


def is_share_column(name: str) -> bool:
    """Columns holding shares by convention (absorption, continued_share, *_share)."""
    return name in ("absorption", "share", "share_of_cap") or name.endswith("_share")


def format_table(
    df: pd.DataFrame,
    lang: str = "lv",
    money: Iterable[str] = (),
    ints: Iterable[str] = (),
    pcts: Iterable[str] = (),
    dates: Iterable[str] = (),
    labels: bool = True,
    translate_values: bool = True,
    rename: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """A copy of `df` holding display strings only, headers translated.

    Money columns hold integer cents; columns ending in `_cents` are money even when not
    listed. Percent columns hold shares (0.875); absorption and `*_share` columns are
    percentages even when not listed. Strings already in a number column
    (e.g. '<5' from privacy.suppress_counts) are kept. Nothing shows a Python repr:
    missing numbers are '–', missing text and dates are ''. Code columns (category,
    rule, role, ...) show their labels when `translate_values`. `rename` overrides
    headers.
    """
    check_lang(lang)
    money_set, int_set, pct_set, date_set = set(money), set(ints), set(pcts), set(dates)
    unknown = (money_set | int_set | pct_set | date_set) - {str(c) for c in df.columns}
    if unknown:
        raise ValueError(f"format_table: no such columns: {sorted(unknown)}")
    money_set |= {str(c) for c in df.columns if str(c).endswith("_cents")}
    pct_set |= {str(c) for c in df.columns if is_share_column(str(c))} - money_set - int_set
    out = pd.DataFrame(index=df.index)
    for col in df.columns:
        name = str(col)
        values = df[col].tolist()
        if name in money_set:
            shown = [fmt_eur(v, lang) for v in values]
        elif name in pct_set:
            shown = [fmt_pct(v, lang) for v in values]
        elif name in int_set:
            shown = [fmt_int(v, lang) for v in values]
        elif name in date_set:
            shown = [fmt_date(v, lang) if not isinstance(v, str) or v else "" for v in values]
        elif translate_values and name in CODE_COLUMNS:
            shown = [translate(v, lang) for v in values]
        elif name in ("month", "service_month"):
            shown = [fmt_month(v, lang) if not is_missing(v) else "" for v in values]
        elif name == "semester":
            shown = [fmt_semester(v, lang) for v in values]
        else:
            shown = [fmt_value(v, lang) for v in values]
        out[col] = pd.Series(shown, index=df.index, dtype=object)
    if labels:
        headers = {c: column_label(str(c), lang) for c in out.columns}
        if rename:
            headers.update(rename)
        out.columns = [headers[c] for c in out.columns]
    elif rename:
        out = out.rename(columns=dict(rename))
    return out


NUMERIC_CELL_RE = re.compile(
    r"^[\s\u00a0\u202f]*[-−+<>]?[\s\u00a0\u202f]*(€\s?)?[\d\s\u00a0\u202f.,]*\d[\d\s\u00a0\u202f.,]*"
    r"[\s\u00a0\u202f]*(%|€|k €|tūkst\. €)?[\s\u00a0\u202f]*$|^[\s]*[–x][\s]*$"
)


def looks_numeric(text: str) -> bool:
    """A formatted number, money, percentage, '<5', '–' or 'x': right-aligned in tables."""
    return bool(NUMERIC_CELL_RE.match(text))


def table_html(display: pd.DataFrame, caption: str | None = None, total_row: bool = False) -> str:
    """A display table (from format_table) as plain HTML: no index, numbers right-aligned.

    Notebooks show it with `IPython.display.HTML(...)`; the report's CSS styles the
    `pumpurs-table` class. `total_row` makes the last row bold.
    """
    esc = html.escape
    cols = [str(c) for c in display.columns]
    numeric = []
    for c in display.columns:
        cells = [str(v) for v in display[c].tolist() if str(v).strip()]
        numeric.append(bool(cells) and all(looks_numeric(v) for v in cells))
    parts = ['<table class="pumpurs-table">']
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    head = "".join(
        f'<th class="num">{esc(c)}</th>' if n else f"<th>{esc(c)}</th>"
        for c, n in zip(cols, numeric, strict=True)
    )
    parts.append(f"<thead><tr>{head}</tr></thead><tbody>")
    rows = display.astype(object).values.tolist()
    for i, row in enumerate(rows):
        cls = ' class="total"' if total_row and i == len(rows) - 1 else ""
        cells = "".join(
            f'<td class="num">{esc(fmt_value(v))}</td>' if n else f"<td>{esc(fmt_value(v))}</td>"
            for v, n in zip(row, numeric, strict=True)
        )
        parts.append(f"<tr{cls}>{cells}</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)
