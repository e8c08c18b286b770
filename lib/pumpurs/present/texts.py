"""Every word a person reads, in Latvian and English: one catalogue, one order (lv, en).

Keys are namespaced by where the words appear (`report.`, `heading.`, `chart.`, `cli.`,
`message.<RULE>`, `fix.<RULE>`, ...); the words for ids (columns, categories, rule
titles) have no prefix. Machine formats (JSON, `--format csv`) keep the English ids and
never read this file. Templates use `str.format` fields; `plural()` agrees a noun with
a number (Latvian: 1, 21, 31 ... but not 11 take the singular).
"""

from __future__ import annotations

CATALOGUE: dict[str, tuple[str, str]] = {
    # ---- Words for ids: columns, categories, roles, rule titles, indicators, levels, statuses
    "declared": ("Deklarēts", "Declared"),
    "corrected": ("Labots (kredītrēķini)", "Corrected (credit notes)"),
    "corrections": (
        "Labojumi: rinda, kredītrēķini, neto summa",
        "Corrections: row, credit notes, net amount",
    ),
    "ineligible": ("Riskam pakļauts (pārkāpumi)", "At risk (breaches)"),
    "over_allocation": ("Virs piešķīruma", "Over allocation"),
    "eligible": ("Attiecināms", "Eligible"),
    "eligible_period": ("Attiecināms pusgadā", "Eligible in the half-year"),
    "at_risk_period": ("Riskam pakļauts pusgadā", "At risk in the half-year"),
    "projected_share": ("Apguve projekta beigās", "Absorption at the programme end"),
    "colour": ("Apguves vērtējums", "Absorption verdict"),
    "new_errors": ("Jaunas kļūdas pusgadā", "New errors in the half-year"),
    "target_from": ("Mērķis spēkā no", "Target in force from"),
    "target_count": ("Mērķis (skaits)", "Target (count)"),
    "target_share": ("Mērķis (daļa)", "Target (share)"),
    "denominator": ("No", "Out of"),
    "esf": ("ESF", "ESF"),
    "state": ("Valsts budžets", "State budget"),
    "allocation": ("Piešķīrums", "Allocation"),
    "absorption": ("Apguve", "Absorption"),
    "at_risk": ("Riskam pakļauts", "At risk"),
    "amount": ("Summa", "Amount"),
    "limit": ("Limits", "Cap"),
    "cumulative_eligible": ("Uzkrātie attiecināmie izdevumi", "Cumulative eligible spending"),
    "projected_cumulative": ("Prognoze", "Projection"),
    "total": ("Kopā", "Total"),
    "partner_id": ("Partneris", "Partner"),
    "partner": ("Partneris", "Partner"),
    "municipality": ("Pašvaldība", "Municipality"),
    "municipality_code": ("Pašvaldības kods", "Municipality code"),
    "partner_code": ("Partnera kods", "Partner code"),
    "target_source": ("Mērķa avots", "Source of the target"),
    "met": ("Sasniegts", "Met"),
    "school_code": ("Skolas kods", "School code"),
    "fix": ("Kas jālabo", "What to fix"),
    "school_id": ("Skolas kods", "School id"),
    "school": ("Izglītības iestāde", "School"),
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
    "pedagogue": ("pedagogs", "pedagogue"),
    "psychologist": ("psihologs", "psychologist"),
    "social_pedagogue": ("sociālais pedagogs", "social pedagogue"),
    "teacher_assistant": ("pedagoga palīgs", "teacher's assistant"),
    "special_education_teacher": ("speciālās izglītības pedagogs", "special education teacher"),
    "sign_language_interpreter": ("surdotulks", "sign-language interpreter"),
    "assistant": ("asistents", "assistant"),
    "occupational_therapist": ("ergoterapeits", "occupational therapist"),
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
    "error": ("kļūda", "error"),
    "warning": ("brīdinājums", "warning"),
    "students_supported": ("Atbalstītie skolēni", "Pupils supported"),
    "support_plans": ("Individuālie atbalsta plāni", "Individual support plans"),
    "institutions_involved": ("Iesaistītās izglītības iestādes", "Institutions involved"),
    "municipalities_involved": ("Iesaistītās pašvaldības", "Municipalities involved"),
    "ngo_projects": ("Jauniešu NVO projekti", "Youth NGO projects"),
    "continued_share": ("Turpina mācības vai absolvējuši", "Continuing or graduated"),
    "general": ("vispārējā izglītība", "general education"),
    "vocational": ("profesionālā izglītība", "vocational education"),
    "vpil": ("valsts profesionālās izglītības iestāde", "state vocational institution"),
    "continues": ("turpina mācības", "continues"),
    "graduated": ("absolvējis", "graduated"),
    "left": ("pārtrauca mācības", "left school"),
    "transferred": ("mācās citā skolā", "transferred"),
    "unknown": ("nav zināms", "unknown"),
    "key_figures": ("Galvenie rādītāji", "Key figures"),
    "actual": ("Faktiski", "Actual"),
    "projection": ("Prognoze līdz projekta beigām", "Projection to the programme end"),
    "eur": ("€", "€"),
    "eur_thousands": ("tūkst. €", "k €"),
    "eur_millions": ("milj. €", "M €"),
    "no_data": ("Nav datu", "No data"),
    "page": ("lpp.", "page"),
    "of": ("no", "of"),
    "eu": ("Eiropas Savienība", "European Union"),
    "esf_full": ("Eiropas Sociālais fonds", "European Social Fund"),
    "slogan": ("Ieguldījums tavā nākotnē", "Investing in your future"),
    "ndp": ("Nacionālais attīstības plāns 2020", "National Development Plan 2020"),
    "project": ("Projekts", "Project"),
    # ---- The municipality report
    "report.title": ("PuMPuRS pārskats", "PuMPuRS report"),
    "report.period": ("Pārskata periods", "Reporting period"),
    "report.as_of": ("Dati līdz", "Data as of"),
    "report.partners": ("Sadarbības partneri", "Cooperation partners"),
    "report.fingerprint": ("Datu nospiedums", "Data fingerprint"),
    "report.audience_internal": (
        "iesniegšanai (skolēni ar pseidonīmiem)",
        "for filing (pupils as pseudonyms)",
    ),
    "report.audience_public": (
        "publicēšanai (mazi skaiti slēpti)",
        "for publication (small counts hidden)",
    ),
    "report.audience": ("Paredzēts", "Intended for"),
    "report.in_period": ("Pusgadā", "This half-year"),
    "report.cumulative": ("Kopš projekta sākuma", "Since the start"),
    "report.figure": ("Rādītājs", "Figure"),
    "report.pupils": ("Atbalstītie skolēni", "Pupils supported"),
    "report.plans": ("Individuālie atbalsta plāni", "Individual support plans"),
    "report.absorption": ("Apguve", "Absorption"),
    "report.no_findings": ("Konstatējumu nav.", "No findings."),
    "report.next_none": (
        "Kļūdu nav: pieprasījumu var iesniegt, kā ir.",
        "No errors: the claim can be filed as it is.",
    ),
    "report.next_error": (
        "{rule}: {n} {findings}, riskam pakļauti {eur}. {fix}",
        "{rule}: {n} {findings}, {eur} at risk. {fix}",
    ),
    "report.next_warning": ("{rule}: {n} {findings}. {fix}", "{rule}: {n} {findings}. {fix}"),
    "report.rows_hidden": (
        "Rindu līmeņa saraksts nav iekļauts publiskajā pārskatā.",
        "The row-level list is not part of a public report.",
    ),
    "report.when": ("Mēnesis vai semestris", "Month or semester"),
    "report.warnings_caption": (
        "{partner}: brīdinājumi (nav riskam pakļautas summas)",
        "{partner}: warnings (no money at risk)",
    ),
    "report.by_category": ("Izdevumi pa kategorijām", "Spending by category"),
    "report.by_school": ("Izdevumi pa skolām", "Spending by school"),
    "report.by_semester": ("Izdevumi pa semestriem", "Spending by semester"),
    "report.sheet_partners": ("Partneri", "Partners"),
    "report.sheet_indicators": ("Rādītāji", "Indicators"),
    "report.no_school": ("(bez skolas)", "(no school)"),
    "report.met_yes": ("jā", "yes"),
    "report.met_no": ("nē — mērķis nav sasniegts", "no — target missed"),
    "report.remaining": (
        "Atlikums (piešķīrums − attiecināms)",
        "Remaining (allocation − eligible)",
    ),
    "report.period_range": ("{period} ({start}–{end})", "{period} ({start} to {end})"),
    "report.no_data": (
        "Par šo periodu datu nav: līdz {date} pašvaldības partneri nav deklarējuši izdevumus. Pārskats ir tukšs, un to neiesniedz kā izdevumu pārskatu.",
        "There is no data for this period: up to {date} the municipality's partners have declared no spending. The report is empty and is not filed as a spending report.",
    ),
    "report.esf_note": (
        "ESF daļu nosaka katram partnerim ({rate} no attiecināmā) un vienreiz sadala pa tā izdevumu rindām, tāpēc katrā tabulā tās pašas rindas nes to pašu ESF summu; rindas vai perioda ESF var atšķirties no tā attiecināmās summas × {rate} par centu vai diviem.",
        "The ESF share is set for each partner ({rate} of its eligible spending) and divided once over its spending rows, so the same rows carry the same ESF in every table; a row's or a period's ESF may differ from its eligible amount × {rate} by a cent or two.",
    ),
    # ---- Page 1: where the municipality stands
    "month.names": (
        "janvāris|februāris|marts|aprīlis|maijs|jūnijs|jūlijs|augusts|septembris|oktobris|novembris|decembris",
        "January|February|March|April|May|June|July|August|September|October|November|December",
    ),
    "month.names_loc": (
        "janvārī|februārī|martā|aprīlī|maijā|jūnijā|jūlijā|augustā|septembrī|oktobrī|novembrī|decembrī",
        "January|February|March|April|May|June|July|August|September|October|November|December",
    ),
    "month.names_dat": (
        "janvārim|februārim|martam|aprīlim|maijam|jūnijam|jūlijam|augustam|septembrim|oktobrim|novembrim|decembrim",
        "January|February|March|April|May|June|July|August|September|October|November|December",
    ),
    "period.semester_words": (
        "{first}./{second}. m. g. {n}. semestris",
        "{first}/{second} school year, semester {n}",
    ),
    "period.semester_words_dat": (
        "{first}./{second}. m. g. {n}. semestrim",
        "semester {n} of the {first}/{second} school year",
    ),
    "period.semester_words_gen": (
        "{first}./{second}. m. g. {n}. semestra",
        "semester {n} of the {first}/{second} school year",
    ),
    "period.semester_words_loc": (
        "{first}./{second}. m. g. {n}. semestrī",
        "semester {n} of the {first}/{second} school year",
    ),
    "period.half": ("{year}. gada {half}. pusgads", "{half} half of {year}"),
    "period.half_1": ("1", "first"),
    "period.half_2": ("2", "second"),
    "summary.status_green": ("Apguve mērķa joslā", "Absorption within the band"),
    "summary.status_amber": ("Apguve jāuzmana", "Absorption needs attention"),
    "summary.status_red": ("Apguve zem mērķa", "Absorption below target"),
    "summary.status_grey": ("Nav piešķīruma", "No allocation"),
    "summary.where": (
        "Līdz {date} attiecināti {eligible} no {allocation} piešķīruma ({share}); atlikums {remaining}.",
        "By {date}, {eligible} of the {allocation} allocation is eligible ({share}); {remaining} remains.",
    ),
    "summary.ended": (
        "Programma beidzās {end}: galīgā apguve {share} — attiecināti {eligible} no {allocation}, nepieprasīti {remaining}.",
        "The programme ended in {end}: final absorption {share} — {eligible} of {allocation} eligible, {remaining} unclaimed.",
    ),
    "summary.projected_green": (
        "Ar pēdējo {months} mēnešu tempu līdz {end} prognozētā apguve ir {share}, mērķa joslā ({low}–{high}).",
        "At the pace of the last {months} months, absorption by {end} is projected at {share}, within the band ({low} to {high}).",
    ),
    "summary.projected_low": (
        "Ar pēdējo {months} mēnešu tempu līdz {end} prognozētā apguve ir {share}, zem mērķa joslas ({low}–{high}): pārplānojiet izdevumus.",
        "At the pace of the last {months} months, absorption by {end} is projected at {share}, below the band ({low} to {high}): re-plan spending.",
    ),
    "summary.projected_high": (
        "Ar pēdējo {months} mēnešu tempu līdz {end} prognozētie izdevumi pārsniegtu piešķīrumu ({share}): samaziniet izdevumus vai groziet līgumu.",
        "At the pace of the last {months} months, spending by {end} would exceed the allocation ({share}): reduce spending or amend the agreement.",
    ),
    "summary.final_green": (
        "Galīgā apguve ir mērķa joslā ({low}–{high}).",
        "The final absorption is within the band ({low} to {high}).",
    ),
    "summary.final_low": (
        "Galīgā apguve ir zem mērķa joslas ({low}–{high}).",
        "The final absorption is below the band ({low} to {high}).",
    ),
    "summary.final_high": (
        "Galīgā apguve pārsniedz piešķīrumu.",
        "The final absorption exceeds the allocation.",
    ),
    "summary.risk": (
        "Šajā pusgadā riskam pakļauti {period_risk}, iepriekšējos periodos {earlier_risk}. {new} no {errors} kļūdu konstatējumiem attiecas uz šo pusgadu.",
        "This half-year {period_risk} is at risk, in earlier periods {earlier_risk}. {new} of the {errors} error findings concern this half-year.",
    ),
    "summary.risk_uncounted": (
        "Šajā pusgadā riskam pakļauti {period_risk}, iepriekšējos periodos {earlier_risk}.",
        "This half-year {period_risk} is at risk, in earlier periods {earlier_risk}.",
    ),
    "summary.risk_one": (
        "Šajā pusgadā riskam pakļauti {period_risk}, iepriekšējos periodos {earlier_risk}. Vienīgais kļūdu konstatējums attiecas uz {which}.",
        "This half-year {period_risk} is at risk, in earlier periods {earlier_risk}. The one error finding concerns {which}.",
    ),
    "summary.this_half": ("šo pusgadu", "this half-year"),
    "summary.earlier": ("iepriekšējiem periodiem", "earlier periods"),
    "summary.no_errors": (
        "Kļūdu konstatējumu nav: pieprasījumu var iesniegt, kā ir.",
        "There are no error findings: the claim can be filed as it is.",
    ),
    "summary.top_fixes": ("Svarīgākie labojumi (līdz {due})", "The main corrections (due {due})"),
    "summary.fix_line": (
        "{partner}: {rule} — {n} {findings}, riskam pakļauti {eur}. {fix}",
        "{partner}: {rule} — {n} {findings}, {eur} at risk. {fix}",
    ),
    "summary.all_fixes": (
        "Visi konstatējumi pa partneriem ir pielikumā „Labojamās rindas”, failā findings.csv un report.xlsx.",
        "Every finding, partner by partner, is in the annex “Rows to correct”, in findings.csv and report.xlsx.",
    ),
    "summary.prepared_by": (
        "Sagatavoja (vārds, uzvārds, amats)",
        "Prepared by (name, position)",
    ),
    "summary.approved_by": ("Apstiprināja", "Approved by"),
    "summary.date": ("Datums", "Date"),
    "heading.over_time_ended": ("Izdevumi laika gaitā", "Spending over time"),
    "fix.ABSORPTION_RISK_ended": (
        "Programma ir beigusies: neizmantotais piešķīrums vairs nav apgūstams.",
        "The programme has ended: the unused allocation can no longer be claimed.",
    ),
    "index.empty": ("nav datu", "no data"),
    "chart.band_low": ("Mērķa joslas apakšējā robeža ({pct})", "Lower edge of the band ({pct})"),
    "index.allocation": ("Piešķīrums", "Allocation"),
    "index.eligible_period": ("Attiecināms pusgadā", "Eligible in the half-year"),
    # ---- Section headings
    "heading.key_figures": ("Galvenie rādītāji", "Key figures"),
    "heading.over_time": ("Izdevumi laika gaitā un prognoze", "Spending over time and forecast"),
    "heading.by_category": ("Izdevumi pa kategorijām", "Spending by category"),
    "heading.by_school": ("Izdevumi pa skolām", "Spending by school"),
    "heading.by_semester": ("Izdevumi pa semestriem", "Spending by semester"),
    "heading.caps": ("Kompensāciju limitu izmantojums", "Use of the compensation caps"),
    "heading.findings": ("Konstatējumi pa noteikumiem", "Findings by rule"),
    "heading.finding_rows": ("Labojamās rindas", "Rows to correct"),
    "heading.indicators": ("Rādītāji", "Indicators"),
    "heading.next_steps": ("Kas jādara tālāk", "What to do next"),
    # ---- Changes since the previous report (report/changes.py, present/changes_view.py)
    "heading.changes": ("Izmaiņas kopš iepriekšējā pārskata", "Changes since the previous report"),
    "changes.intro": (
        "Iepriekšējā pārskata ({previous}) skaitļi, kādi tie bija {then}, un kādi tie ir "
        "{now}, pēc tiem pašiem datiem. „Pusgadā“ — pakalpojumu mēneši no {start} līdz "
        "{end}; „līdz tā beigām“ — no projekta sākuma līdz {end}.",
        "The figures of the previous report ({previous}) as they were on {then} and as they "
        "stand on {now}, from the same data. \u201cHalf-year\u201d: the service months from "
        "{start} to {end}; \u201cto its end\u201d: from the start to {end}.",
    ),
    "changes.before_start": (
        "Iepriekšējais pusgads ({previous}) ir pirms programmas sākuma: nav ar ko salīdzināt.",
        "The previous half-year ({previous}) is before the programme started: there is nothing "
        "to compare.",
    ),
    "changes.no_earlier": (
        "Līdz {end} nav neviena izdevumu ieraksta ne toreiz, ne tagad: šis ir pirmais pusgads "
        "ar datiem, nav ar ko salīdzināt.",
        "There is no expenditure row up to {end}, then or now: this is the first half-year "
        "with data, there is nothing to compare.",
    ),
    "changes.unchanged": (
        "Iepriekšējā pārskata skaitļi nav mainījušies: ne vēlāk samaksātu rindu, ne korekciju, "
        "ne jaunu vai atkritušu konstatējumu.",
        "The previous report's figures have not changed: no rows paid late, no corrections, "
        "no findings new or no longer found.",
    ),
    "changes.why": ("Kāpēc skaitļi mainījās", "Why the figures moved"),
    "changes.why_note": (
        "Deklarētā summa mainās par vēlāk samaksātajām rindām (to sākotnējā summa) un "
        "korekcijām; attiecināmā summa — par deklarētās un riskam pakļautās summas starpību.",
        "The declared money moves by the rows paid late (their original amount) and the "
        "corrections; the eligible money by the declared money's move less the money at "
        "risk's.",
    ),
    "changes.by_rule": (
        "Konstatējumi, kas mainījušies (no projekta sākuma līdz {end})",
        "Findings that changed (from the start to {end})",
    ),
    "changes.public_counts": (
        "Publiskajā pārskatā redzamas tikai summas; konstatējumu skaits ir pašvaldības "
        "iesniegšanai sagatavotajā pārskatā.",
        "A public report shows the amounts only; the numbers of findings are in the report "
        "prepared for submission.",
    ),
    "changes.no_rule_changes": (
        "Neviens konstatējums par šo laiku nav ne jauns, ne atkritis, un riskam pakļautā summa "
        "nav mainījusies.",
        "No finding about this time is new or no longer found, and the money at risk has not "
        "moved.",
    ),
    "changes.moved": (
        "Pašvaldības, kuru iepriekšējie skaitļi mainījušies visvairāk",
        "The municipalities whose earlier figures moved most",
    ),
    "changes.moved_none": (
        "Nevienas pašvaldības iepriekšējie skaitļi nav mainījušies.",
        "No municipality's earlier figures have moved.",
    ),
    "changes.sheet": ("Izmaiņas", "Changes"),
    "changes.sheet_rules": ("Izmaiņas pēc noteikumiem", "Changes by rule"),
    "changes.sheet_towns": ("Izmaiņas pa pašvaldībām", "Changes by municipality"),
    "changes.col_reason": ("Iemesls", "Reason"),
    # column words (report/changes.py's column ids)
    "half_then": ("Pusgadā: toreiz", "Half-year: then"),
    "half_now": ("Pusgadā: tagad", "Half-year: now"),
    "half_diff": ("Pusgadā: starpība", "Half-year: difference"),
    "cum_then": ("Līdz tā beigām: toreiz", "To its end: then"),
    "cum_now": ("Līdz tā beigām: tagad", "To its end: now"),
    "cum_diff": ("Līdz tā beigām: starpība", "To its end: difference"),
    "half": ("Pusgadā", "Half-year"),
    "cum": ("Līdz tā beigām", "To its end"),
    "half_rows": ("Rindas pusgadā", "Rows, half-year"),
    "cum_rows": ("Rindas līdz tā beigām", "Rows, to its end"),
    "findings_new": ("Jauni konstatējumi", "New findings"),
    "findings_gone": ("Vairs nekonstatēti", "No longer found"),
    "risk_then": ("Riskam pakļauts toreiz", "At risk then"),
    "risk_now": ("Riskam pakļauts tagad", "At risk now"),
    "risk_diff": ("Riskam pakļauts: starpība", "At risk: difference"),
    "late_rows": (
        "Vēlāk samaksātas rindas par iepriekšējiem mēnešiem",
        "Rows paid late for earlier months",
    ),
    "corrections_since": ("Kopš tā laika samaksātās korekcijas", "Corrections paid since"),
    "declared_diff": ("Deklarēts: starpība", "Declared: difference"),
    "at_risk_diff": ("Riskam pakļauts: starpība", "At risk: difference"),
    "eligible_diff": ("Attiecināms: starpība", "Eligible: difference"),
    "risk_up": (
        "Riskam pakļauts vairāk: jauni vai lielāki konstatējumi",
        "More at risk: new or larger findings",
    ),
    "risk_down": (
        "Riskam pakļauts mazāk: atkrituši vai mazāki konstatējumi",
        "Less at risk: findings gone or smaller",
    ),
    "heading.by_municipality": ("Pašvaldības", "Municipalities"),
    # ---- The national overview
    "overview.title": ("PuMPuRS — valsts kopskats", "PuMPuRS — national overview"),
    "overview.budget": ("Projekta attiecināmais finansējums", "Programme eligible budget"),
    "overview.allocated": ("Piešķirts partneriem", "Allocated to partners"),
    "overview.act_title": (
        "Pašvaldības, kurām visvairāk jārīkojas",
        "The municipalities that most need action",
    ),
    "overview.act_line": (
        "{name}: apguve {share} ({band}); riskam pakļauti {period_risk} šajā pusgadā, {risk} kopā; {new} no {errors} kļūdu konstatējumiem attiecas uz šo pusgadu.",
        "{name}: absorption {share} ({band}); {period_risk} at risk this half-year, {risk} in all; {new} of the {errors} error findings concern this half-year.",
    ),
    "overview.act_note": (
        "Vispirms pašvaldības, kuru apguve ir ārpus mērķa joslas, tad tās, kurām šajā pusgadā riskam pakļauts visvairāk; visas pašvaldības ir tabulā „Pašvaldības”.",
        "First the municipalities whose absorption is outside the band, then those with the most at risk this half-year; every municipality is in the table “Municipalities”.",
    ),
    "overview.act_note_ended": (
        "Programma ir beigusies, un apguve ir galīga: vispirms pašvaldības, kurām šajā pusgadā riskam pakļauts visvairāk; visas pašvaldības ir tabulā „Pašvaldības”.",
        "The programme has ended and absorption is final: first the municipalities with the most at risk this half-year; every municipality is in the table “Municipalities”.",
    ),
    "overview.none_to_act": (
        "Nevienai pašvaldībai apguve nav ārpus mērķa joslas, un šajā pusgadā nekas nav riskam pakļauts.",
        "No municipality's absorption is outside the band, and nothing is at risk this half-year.",
    ),
    "overview.band_green": ("prognoze mērķa joslā", "projected within the band"),
    "overview.band_amber": ("prognoze tuvu mērķa joslai", "projected near the band"),
    "overview.band_red": ("prognoze zem mērķa joslas", "projected below the band"),
    "overview.band_grey": ("nav piešķīruma", "no allocation"),
    "overview.band_ended_green": ("galīgā, mērķa joslā", "final, within the band"),
    "overview.band_ended_amber": ("galīgā, ārpus mērķa joslas", "final, outside the band"),
    "overview.band_ended_red": ("galīgā, zem mērķa joslas", "final, below the band"),
    "overview.band_ended_grey": ("nav piešķīruma", "no allocation"),
    "overview.col_eligible_cents": ("Attiecināms kopā", "Eligible to date"),
    "overview.col_at_risk_cents": ("Riskam pakļauts kopā", "At risk to date"),
    "overview.col_esf_cents": ("ESF kopā", "ESF to date"),
    "overview.pupils_note": (
        "Skolēnu kolonnas summa pārsniedz valsts skaitu ({national}) par {twice}: skolēns, kuram bija atbalsta plāns divās pašvaldībās, ir skaitīts abās; rindā „Kopā” katrs skolēns skaitīts vienreiz.",
        "The pupils column adds up to {twice} more than the national count ({national}): a pupil with support plans in two municipalities counts in both; the “Total” line counts each pupil once.",
    ),
    "overview.trend_note": (
        "Rindā „Kopā” skolēns, kurš atbalstīts vairākos semestros, skaitīts vienreiz; plāni un summas ir rindu summa.",
        "In the “Total” line a pupil supported in several semesters counts once; plans and amounts are the sums of the rows.",
    ),
    "overview.share_of": ("{n} no {of} ({pct})", "{n} of {of} ({pct})"),
    "overview.ind_indicator": ("Rādītājs", "Indicator"),
    "overview.ind_value": ("Vērtība", "Value"),
    "overview.ind_target": ("Mērķis", "Target"),
    "overview.ind_target_from": ("Mērķis spēkā no", "Target in force from"),
    "overview.ind_met": ("Sasniegts", "Met"),
    "overview.sheet_municipalities": ("Pašvaldības", "Municipalities"),
    "overview.sheet_semesters": ("Semestri", "Semesters"),
    "overview.sheet_indicators": ("Rādītāji", "Indicators"),
    "summary.status_ended_green": ("Galīgā apguve mērķa joslā", "Final absorption within the band"),
    "summary.status_ended_amber": (
        "Galīgā apguve ārpus mērķa joslas",
        "Final absorption outside the band",
    ),
    "summary.status_ended_red": ("Galīgā apguve zem mērķa", "Final absorption below target"),
    "summary.status_ended_grey": ("Nav piešķīruma", "No allocation"),
    # ---- What to fix, per rule (CAP: every cap rule)
    "fix.ELIG_PERIOD": ("Labojiet pakalpojuma mēnesi.", "Correct the service month."),
    "fix.ELIG_AGREEMENT": ("Izņemiet mēnešus pirms līguma.", "Remove months before the agreement."),
    "fix.ELIG_SCHOOL_PARTNER": (
        "Pārceliet rindas pie skolas partnera.",
        "Move the rows to the school's partner.",
    ),
    "fix.ELIG_SCHOOL_JOINED": (
        "Izņemiet mēnešus pirms skolas iesaistes.",
        "Remove months before the school joined.",
    ),
    "fix.ELIG_NO_PLAN": (
        "Pievienojiet trūkstošos atbalsta plānus.",
        "Add the missing support plans.",
    ),
    "fix.ELIG_TARGET_GROUP": ("Pārbaudiet skolēnu klases.", "Check the pupils' grades."),
    "fix.ELIG_MATERIALS_VOCATIONAL": (
        "Izņemiet mācību līdzekļus vispārizglītojošiem skolēniem.",
        "Remove learning materials of general-education pupils.",
    ),
    "fix.DUPLICATE_CLAIM": ("Izņemiet dubultās rindas.", "Remove the repeated rows."),
    "fix.BUDGET_ALLOCATION": (
        "Groziet līgumu vai samaziniet pieprasījumu.",
        "Amend the agreement or reduce the claim.",
    ),
    "fix.PLAN_LATE": (
        "Izveidojiet plānus semestra sākumā.",
        "Draw up plans at the start of the semester.",
    ),
    "fix.ABSORPTION_RISK": (
        "Pārplānojiet izdevumus līdz projekta beigām.",
        "Re-plan spending to the programme end.",
    ),
    "fix.PLAN_LATE_ended": (
        "Programma ir beigusies: pievienojiet paskaidrojumu par novēloto plānu.",
        "The programme has ended: attach a note explaining the late plan.",
    ),
    "fix.BUDGET_ALLOCATION_ended": (
        "Programma ir beigusies: izņemiet pārsniegumu no pieprasījuma.",
        "The programme has ended: take the excess out of the claim.",
    ),
    "fix.CAP": ("Samaziniet summas līdz limitam.", "Reduce the amounts to the cap."),
    # ---- A finding's message, per rule (CAP: every cap rule); fields come from the findings table
    "message.ELIG_PERIOD": (
        "Ieraksts {entry}: pakalpojuma mēnesis {period} ir ārpus projekta perioda ({start}–{end}); labojiet mēnesi vai izņemiet rindu no pieprasījuma.",
        "Entry {entry}: service month {period} is outside the programme period ({start} to {end}); correct the month or take the row out of the claim.",
    ),
    "message.ELIG_AGREEMENT": (
        "Ieraksts {entry}: pakalpojuma mēnesis {period} ir pirms partnera {partner} līguma ({date}); pieprasiet tikai mēnešus no līguma noslēgšanas.",
        "Entry {entry}: service month {period} is before partner {partner}'s agreement of {date}; claim only months from the agreement on.",
    ),
    "message.ELIG_SCHOOL_PARTNER": (
        "Ieraksts {entry}: skola {school} pieder partnerim {other}, nevis {partner}; iekļaujiet to skolas partnera pieprasījumā vai labojiet skolu.",
        "Entry {entry}: school {school} belongs to partner {other}, not {partner}; claim it under the school's partner or correct the school.",
    ),
    "message.ELIG_SCHOOL_JOINED": (
        "Ieraksts {entry}: pakalpojuma mēnesis {period} ir pirms tam, kad skola {school} iesaistījās projektā ({date}); labojiet mēnesi vai izņemiet rindu.",
        "Entry {entry}: service month {period} is before school {school} joined the project ({date}); correct the month or take the row out of the claim.",
    ),
    "message.ELIG_NO_PLAN": (
        "Ieraksts {entry}: skolēnam {student} skolā {school} nav individuālā atbalsta plāna {semester}, kas izveidots līdz {date_dat}; pievienojiet plānu vai labojiet rindu.",
        "Entry {entry}: pupil {student} has no support plan at school {school} for {semester} created by {date_dat}; add the plan or correct the row's school or month.",
    ),
    "message.ELIG_TARGET_GROUP": (
        "Ieraksts {entry}: skolēna plāns ({level}, {grade}. klase/kurss) neatbilst mērķa grupai, kas bija spēkā {period_loc}; atbalstu var sniegt tikai mērķa grupai.",
        "Entry {entry}: the pupil's plan ({level}, grade {grade}) is outside the target group in force in {period_loc}; only pupils of the target group can be supported.",
    ),
    "message.ELIG_MATERIALS_VOCATIONAL": (
        "Ieraksts {entry}: individuālos mācību līdzekļus apmaksā tikai profesionālās izglītības audzēkņiem, bet skolēna {student} plāns ir vispārējai izglītībai; izņemiet rindu.",
        "Entry {entry}: individual learning materials are paid for vocational pupils only, and pupil {student}'s plan is for general education; take the row out of the claim.",
    ),
    "message.DUPLICATE_CLAIM": (
        "Dokuments {document} pieprasīts {n} reizes par to pašu skolēnu, kategoriju, mēnesi un summu (ieraksti {entries}); {at_risk} ir dubults pieprasījums: izņemiet atkārtotās rindas.",
        "Document {document} is claimed {n} times for the same pupil, category, month and amount (entries {entries}); {at_risk} is a double claim: remove the repeated rows.",
    ),
    "message.CAP": (
        "{subject}, {period}: {category} kopā {amount} pārsniedz limitu {limit}; {at_risk} no tā attiecas uz {partner} (ieraksti {entries}): samaziniet summas līdz limitam.",
        "{subject}, {period}: {category} total {amount} exceeds the cap of {limit}; {at_risk} of it falls to {partner} (entries {entries}): reduce the amounts to the cap.",
    ),
    "message.BUDGET_ALLOCATION": (
        "Partneris {partner}: attiecināmie izdevumi {amount} pārsniedz piešķīrumu {limit} par {at_risk}; pārsniegums nav attiecināms: groziet līgumu vai samaziniet pieprasījumu.",
        "Partner {partner}: eligible spending {amount} exceeds the allocation of {limit} by {at_risk}; the excess is not ESF-eligible: amend the agreement or reduce the claim.",
    ),
    "message.PLAN_LATE": (
        "Plāns {plan} skolēnam {student} skolā {school} izveidots {date_loc}, vairāk nekā {days} dienas pēc {period_gen} sākuma; plāni jāizveido semestra sākumā.",
        "Plan {plan} for pupil {student} at school {school} was created on {date_loc}, more than {days} days after {period_gen} began; draw up plans at the start of the semester.",
    ),
    "message.PLAN_LATE_ended": (
        "Plāns {plan} skolēnam {student} skolā {school} izveidots {date_loc}, vairāk nekā {days} dienas pēc {period_gen} sākuma; programma ir beigusies: pievienojiet paskaidrojumu par novēloto plānu.",
        "Plan {plan} for pupil {student} at school {school} was created on {date_loc}, more than {days} days after {period_gen} began; the programme has ended: attach a note explaining the late plan.",
    ),
    "message.ABSORPTION_RISK": (
        "Partneris {partner}: ar pēdējo 12 mēnešu tempu attiecināmie izdevumi līdz projekta beigām sasniegs {amount}, {share} no piešķīruma {limit}; plānojiet izdevumus {low}–{high} apmērā.",
        "Partner {partner}: at the pace of the last 12 months, eligible spending reaches {amount} by the programme end, {share} of the allocation of {limit}; plan spending to land between {low} and {high}.",
    ),
    "message.BUDGET_ALLOCATION_ended": (
        "Partneris {partner}: attiecināmie izdevumi {amount} pārsniedz piešķīrumu {limit} par {at_risk}; pārsniegums nav attiecināms, un programma ir beigusies: izņemiet pārsniegumu no pieprasījuma.",
        "Partner {partner}: eligible spending {amount} exceeds the allocation of {limit} by {at_risk}; the excess is not ESF-eligible and the programme has ended: take the excess out of the claim.",
    ),
    "message.ABSORPTION_RISK_ended": (
        "Partneris {partner}: programma ir beigusies; attiecināmie izdevumi ir {amount}, {share} no piešķīruma {limit}, ārpus mērķa joslas ({low}–{high}); neizmantoto piešķīrumu vairs nevar apgūt.",
        "Partner {partner}: the programme has ended; eligible spending is {amount}, {share} of the allocation of {limit}, outside the band ({low} to {high}); the unused allocation can no longer be claimed.",
    ),
    # ---- Who a cap finding is about
    "subject.student_id": ("Skolēns {student}", "Pupil {student}"),
    "subject.ngo_project_id": ("NVO projekts {period}", "NGO project {period}"),
    # ---- Charts
    "chart.cumulative_title": (
        "Uzkrātie attiecināmie izdevumi un piešķīrums",
        "Cumulative eligible spending and the allocation",
    ),
    "chart.amount": ("Summa", "Amount"),
    "chart.count": ("Skaits", "Count"),
    "chart.share": ("Daļa", "Share"),
    "chart.month": ("Mēnesis", "Month"),
    "chart.semester": ("Semestris", "Semester"),
    "chart.cap_title": ("Kompensāciju limitu izmantojums", "Use of the compensation caps"),
    "chart.cap_x": (
        "Daļa no skolēnu mēnešiem (semestriem, projektiem), %",
        "Share of pupil-months (pupil-semesters, projects), %",
    ),
    "chart.cap_legend": ("Izmaksāts no limita", "Paid as a share of the cap"),
    "chart.trend_title": ("Dinamika pa semestriem", "Trend by semester"),
    "chart.band": ("Mērķa josla", "Target band"),
    "chart.no_data": ("{title}: nav datu.", "{title}: no data."),
    "chart.omitted": (
        "Kategorijas, kurās kādā joslā ir mazāk nekā {n} gadījumu, nav parādītas.",
        "Categories with a band of fewer than {n} cases are not shown.",
    ),
    # ---- The terminal tables of check, totals and indicators
    "cli.as_of": ("Datums", "As of"),
    "cli.findings": ("Konstatējumi", "Findings"),
    "cli.rule": ("Noteikums", "Rule"),
    "cli.count": ("Skaits", "Count"),
    "cli.errors": ("kļūdas", "errors"),
    "cli.warnings": ("brīdinājumi", "warnings"),
    "cli.more": (
        "vēl {n} konstatējumi; visus rāda --limit 0 vai --format csv",
        "{n} more findings; use --limit 0 or --format csv to see all",
    ),
    "cli.none": ("Konstatējumu nav.", "No findings."),
    "cli.total": ("Kopā", "Total"),
    "cli.partner": ("Partneris", "Partner"),
    "cli.message": ("Kas jālabo", "What to fix"),
    # ---- The index page of a period's reports
    "index.title": ("PuMPuRS pārskati", "PuMPuRS reports"),
    "index.period": ("Periods", "Period"),
    "index.as_of": ("Datums", "As of"),
    "index.audience": ("Auditorija", "Audience"),
    "index.internal": ("iekšējā", "internal"),
    "index.public": ("publiska", "public"),
    "index.municipality": ("Pašvaldība", "Municipality"),
    "index.status": ("Statuss", "Status"),
    "index.eligible": ("Attiecināms kopā", "Eligible to date"),
    "index.at_risk": ("Riskam pakļauts", "At risk"),
    "index.absorption": ("Apguve", "Absorption"),
    "index.errors": ("Kļūdas", "Errors"),
    "index.files": ("Faili", "Files"),
    "index.rendered": ("Sagatavots", "Rendered"),
    "index.ok": ("gatavs", "ready"),
    "index.failed": ("neizdevās", "failed"),
    "index.missing": ("nav sagatavots", "not rendered"),
    "index.failed_nb": ("kļūdainā burtnīca", "failed notebook"),
    "index.previous": ("iepriekšējais pārskats", "previous report"),
    "index.overview": ("Valsts kopsavilkums", "National overview"),
    "index.summary": (
        "{ok} no {n} pārskatiem gatavi, {failed} neizdevās, {missing} nav sagatavoti.",
        "{ok} of {n} reports ready, {failed} failed, {missing} not rendered.",
    ),
    "index.sort_hint": (
        "Klikšķiniet uz kolonnas virsraksta, lai kārtotu.",
        "Click a column header to sort.",
    ),
    "index.figures_note": (
        "Summas un kļūdu skaits aprēķināti no datiem (līdz {as_of}) neatkarīgi no pārskatu burtnīcām; riskam pakļauts = pārkāpumi + virs piešķīruma.",
        "Amounts and error counts are computed from the data (up to {as_of}) independently of the report notebooks; at risk = breaches + over allocation.",
    ),
    # ---- The batch: report titles and page footers
    "run.overview_name": ("Programmas kopsavilkums", "Programme overview"),
    "run.title_overview": (
        "PuMPuRS: programmas kopsavilkums, {period}",
        "PuMPuRS: programme overview, {period}",
    ),
    "run.title_report": ("{name}: PuMPuRS pārskats, {period}", "{name}: PuMPuRS report, {period}"),
    "pdf.subject": (
        "ESF projekta PuMPuRS izdevumu, konstatējumu un rādītāju pārskats",
        "ESF project PuMPuRS: spending, findings and indicators",
    ),
    # ---- Publishing small numbers
    "privacy.note": (
        "{mark} — mazāk nekā {n} skolēni vai plāni (skaitlis netiek publicēts, lai nevarētu identificēt skolēnu); {secondary} — skaitlis slēpts, lai slēpto skaitli nevarētu aprēķināt no kopsummas.",
        "{mark} — fewer than {n} pupils or plans (not published so that no pupil can be identified); {secondary} — hidden so that a hidden number cannot be worked out from a total.",
    ),
    "privacy.share_note": (
        "{secondary} pie procentiem — daļa aprēķināta no mazāk nekā {n} skolēniem un netiek publicēta, jo tā atklātu ziņas par šiem skolēniem.",
        "{secondary} for a percentage — the share is of fewer than {n} pupils and is not published, as it would tell about those pupils.",
    ),
    # ---- Nouns that agree with a number: 'singular|plural' (see plural())
    "noun.finding": ("konstatējums|konstatējumi", "finding|findings"),
    "noun.warning": ("brīdinājums|brīdinājumi", "warning|warnings"),
    "noun.error": ("kļūda|kļūdas", "error|errors"),
    "noun.report": ("pārskats|pārskati", "report|reports"),
    "noun.pupil": ("skolēns|skolēni", "pupil|pupils"),
    "noun.plan": ("plāns|plāni", "plan|plans"),
}

LANGS = ("lv", "en")


class UnknownText(KeyError):
    """A key missing from the catalogue: a programming error, caught by the tests."""


def text(key: str, lang: str, **fields: object) -> str:
    """The words for `key` in `lang`, with `fields` filled in."""
    try:
        words = CATALOGUE[key][LANGS.index(lang)]
    except KeyError:
        raise UnknownText(key) from None
    except ValueError:
        raise ValueError(f'"{lang}" is not a report language; use lv or en') from None
    return words.format(**fields) if fields else words


def has_text(key: str) -> bool:
    return key in CATALOGUE


def plural_form(n: int, lang: str) -> int:
    """0 for the singular, 1 for the plural. Latvian: numbers ending in 1 but not in 11
    take the singular (1, 21, 101 konstatējums; 11, 12, 0 konstatējumi)."""
    n = abs(int(n))
    if lang == "lv":
        return 0 if n % 10 == 1 and n % 100 != 11 else 1
    return 0 if n == 1 else 1


def plural(n: int, noun: str, lang: str) -> str:
    """The noun (`noun.<noun>` in the catalogue) in the form that agrees with `n`."""
    return text(f"noun.{noun}", lang).split("|")[plural_form(n, lang)]
