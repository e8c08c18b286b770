"""docs/rules.md, rule by rule: the smallest passing and failing case and the boundaries."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factory import PARTNERS, entry, plan, world
from pumpurs.core import registry
from pumpurs.core.rules import DETAIL_COLUMNS, Judgement, judge
from pumpurs.core.settings import load_programme
from pumpurs.present.messages import finding_messages

PROGRAMME = load_programme()


def message(finding: pd.Series, j: Judgement, lang: str = "en") -> str:
    """A finding in words, as reports and `check` show it (present/messages.py)."""
    return finding_messages(finding.to_frame().T, j.programme, lang)[0]


def run(entries, plans=None, as_of=None, **kw):
    return judge(world(entries, plans, **kw), PROGRAMME, as_of)


def errors(j) -> list[tuple]:
    """(rule, partner, entry_ids, at_risk_cents) of every error finding."""
    e = j.findings[j.findings["severity"] == "error"]
    return [(r.rule, r.partner_id, r.entry_ids, r.at_risk_cents) for r in e.itertuples(index=False)]


def per_entry(j, column="ineligible_cents") -> dict[str, int]:
    return dict(zip(j.ledger["entry_id"], j.ledger[column], strict=True))


# --- a clean row and the caps' edges ------------------------------------------------
def test_exactly_at_the_cap_is_clean():
    j = run([entry(amount_eur="70.00")])
    assert errors(j) == []
    assert per_entry(j, "eligible_cents") == {"E1": 7000}


def test_one_cent_over_the_cap_is_at_risk_on_the_latest_row():
    j = run(
        [
            entry(amount_eur="60.00", paid_on="2020-03-10"),
            entry(amount_eur="10.01", paid_on="2020-03-11"),
        ]
    )
    assert errors(j) == [("CAP_MEALS", "P1", ("E1", "E2"), 1)]
    f = j.errors.iloc[0]
    assert (f.amount_cents, f.limit_cents, f.period, f.student_id, f.school_id) == (
        7001,
        7000,
        "2020-02",
        "st1",
        "S1",
    )
    assert per_entry(j) == {"E1": 0, "E2": 1}
    assert message(f, j) == (
        "Pupil st1, February 2020: meals total €70.01 exceeds the cap of €70.00; €0.01 of it falls to P1 "
        "(entries E1, E2): reduce the amounts to the cap."
    )
    assert message(f, j, "lv") == (
        "Skolēns st1, 2020. gada februāris: ēdināšana kopā 70,01\u00a0€ pārsniedz limitu 70,00\u00a0€; 0,01\u00a0€ no "
        "tā attiecas uz P1 (ieraksti E1, E2): samaziniet summas līdz limitam."
    )


def test_ties_in_paid_on_are_broken_by_entry_id():
    j = run(
        [
            entry(entry_id="E9", amount_eur="40.00", paid_on="2020-03-10"),
            entry(entry_id="E10", amount_eur="40.00", paid_on="2020-03-10"),
        ]
    )
    # "E9" > "E10" as text, so E9 is the latest and loses the 10.00 excess
    assert per_entry(j) == {"E9": 1000, "E10": 0}


def test_a_cap_shared_by_rows_of_two_partners_gives_one_finding_per_partner():
    plans = [plan(), plan(school="S2", grade="2")]
    j = run(
        [
            entry(partner_id="P2", school_id="S2", amount_eur="40.00", paid_on="2020-03-01"),
            entry(partner_id="P1", school_id="S1", amount_eur="35.00", paid_on="2020-03-02"),
            entry(partner_id="P2", school_id="S2", amount_eur="30.00", paid_on="2020-03-03"),
        ],
        plans,
    )
    assert sorted(errors(j)) == [
        ("CAP_MEALS", "P1", ("E1", "E2", "E3"), 500),
        ("CAP_MEALS", "P2", ("E1", "E2", "E3"), 3000),
    ]
    assert set(j.errors["amount_cents"]) == {10500}
    assert dict(zip(j.errors["partner_id"], j.errors["school_id"], strict=True)) == {
        "P1": "S1",
        "P2": "S2",
    }
    assert per_entry(j) == {"E1": 0, "E2": 500, "E3": 3000}


def test_every_capped_category():
    plans = [
        plan(),
        plan(semester="2019/2020-2", school="S2", student="st2", level="vocational", grade="1"),
    ]
    j = run(
        [
            entry(category="transport_intercity", amount_eur="30.01"),
            entry(category="accommodation", amount_eur="35.01"),
            entry(category="special_transport", amount_eur="30.01"),
            entry(category="personal_items", service_month="2020-02", amount_eur="15.00"),
            entry(category="personal_items", service_month="2020-05", amount_eur="10.01",
                  paid_on="2020-06-01"),
            entry(category="ngo_project", student_id="", school_id="", ngo_project_id="NGO-1",
                  amount_eur="4000.00"),
            entry(category="ngo_project", student_id="", school_id="", ngo_project_id="NGO-1",
                  amount_eur="600.01", service_month="2020-03", paid_on="2020-04-01"),
            entry(category="ngo_project", student_id="", school_id="", ngo_project_id="NGO-2",
                  amount_eur="4600.00"),
        ],
        plans,
    )  # fmt: skip
    assert sorted((r, a) for r, _, _, a in errors(j)) == [
        ("CAP_ACCOMMODATION", 1),
        ("CAP_NGO_PROJECT", 1),
        ("CAP_PERSONAL_ITEMS", 1),
        ("CAP_SPECIAL_TRANSPORT", 1),
        ("CAP_TRANSPORT_INTERCITY", 1),
    ]
    periods = dict(zip(j.errors["rule"], j.errors["period"], strict=True))
    assert periods["CAP_PERSONAL_ITEMS"] == "2019/2020-2"
    assert periods["CAP_NGO_PROJECT"] == "NGO-1"


# --- duplicates -----------------------------------------------------------------------
def test_a_duplicate_is_removed_before_caps_are_applied():
    j = run(
        [
            entry(entry_id="E1", document_ref="INV-7", amount_eur="50.00", paid_on="2020-03-10"),
            entry(entry_id="E2", document_ref="INV-7", amount_eur="50.00", paid_on="2020-03-12"),
            entry(entry_id="E3", document_ref="INV-8", amount_eur="20.00", paid_on="2020-03-13"),
        ]
    )
    assert errors(j) == [("DUPLICATE_CLAIM", "P1", ("E1", "E2"), 5000)]
    f = j.errors.iloc[0]
    assert f.amount_cents == 10000 and pd.isna(f.limit_cents)
    assert message(f, j) == (
        "Document INV-7 is claimed 2 times for the same pupil, category, month and amount "
        "(entries E1, E2); €50.00 is a double claim: remove the repeated rows."
    )


def test_a_duplicate_across_partners_belongs_to_the_partner_of_the_repeated_row():
    plans = [plan(), plan(school="S2", grade="2")]
    j = run(
        [
            entry(partner_id="P2", school_id="S2", document_ref="BIL-1", amount_eur="20.00",
                  category="transport_intercity", paid_on="2020-03-01"),
            entry(partner_id="P1", school_id="S1", document_ref="BIL-1", amount_eur="20.00",
                  category="transport_intercity", paid_on="2020-03-05"),
        ],
        plans,
    )  # fmt: skip
    assert errors(j) == [("DUPLICATE_CLAIM", "P1", ("E1", "E2"), 2000)]


def test_rows_differing_in_amount_are_not_duplicates():
    j = run(
        [entry(document_ref="X", amount_eur="20.00"), entry(document_ref="X", amount_eur="20.01")]
    )
    assert errors(j) == []


# --- whole-row eligibility ------------------------------------------------------------
def test_period_edges_with_the_extension():
    plans = [
        plan(semester="2023/2024-1", created="2023-09-05"),
        plan(semester="2016/2017-2", created="2017-01-05"),
    ]
    partners = [
        {"partner_id": "P1", "name": "Kokneses novads", "kind": "municipality",
         "municipality": "Aizkraukles novads", "agreement_date": "2017-01-01",
         "allocation_eur": "100000.00"},
    ]  # fmt: skip
    schools = [
        {"school_id": "S1", "name": "Bebru pamatskola", "partner_id": "P1", "kind": "general",
         "round": "1", "joined_on": "2017-01-01"},
    ]  # fmt: skip
    j = run(
        [
            entry(service_month="2017-02", paid_on="2017-03-05"),
            entry(service_month="2023-12", paid_on="2024-01-05"),
            entry(service_month="2024-01", paid_on="2024-02-05", student_id="", category="coordination",
                  school_id=""),
        ],
        plans,
        partners=partners,
        schools=schools,
    )  # fmt: skip
    assert [(r, e) for r, _, e, _ in errors(j)] == [
        ("ELIG_PERIOD", ("E1",)),
        ("ELIG_PERIOD", ("E3",)),
    ]
    assert message(j.errors.iloc[0], j) == (
        "Entry E1: service month February 2017 is outside the programme period (March 2017 to December 2022); "
        "correct the month or take the row out of the claim."
    )


def test_a_row_breaking_several_rules_is_at_risk_once():
    j = run([entry(service_month="2019-10", paid_on="2019-11-05", amount_eur="12.00")], plans=[])
    assert errors(j) == [
        ("ELIG_AGREEMENT", "P1", ("E1",), 1200),
        ("ELIG_SCHOOL_JOINED", "P1", ("E1",), 0),
        ("ELIG_NO_PLAN", "P1", ("E1",), 0),
    ]
    assert per_entry(j) == {"E1": 1200}
    assert message(j.errors.iloc[0], j) == (
        "Entry E1: service month October 2019 is before partner P1's agreement of 22 November 2019; "
        "claim only months from the agreement on."
    )


def test_school_of_another_partner():
    j = run([entry(school_id="S2")], plans=[plan(school="S2", grade="2")])
    assert errors(j) == [("ELIG_SCHOOL_PARTNER", "P1", ("E1",), 1000)]


def test_plan_created_the_day_after_the_service_month():
    late = [plan(created="2020-03-01")]
    j = run(
        [
            entry(service_month="2020-02", paid_on="2020-03-10"),
            entry(service_month="2020-03", paid_on="2020-04-10"),
        ],
        late,
    )
    assert errors(j) == [("ELIG_NO_PLAN", "P1", ("E1",), 1000)]
    assert message(j.errors.iloc[0], j) == (
        "Entry E1: pupil st1 has no support plan at school S1 for semester 2 of the 2019/2020 "
        "school year created by 29 February 2020; add the plan or correct the row's school or month."
    )


def test_plan_on_the_last_day_of_the_month_counts():
    j = run([entry(service_month="2020-02")], [plan(created="2020-02-29")])
    assert errors(j) == []


def test_plan_at_another_school_does_not_count():
    j = run([entry(school_id="S3")], [plan(school="S1")])
    assert errors(j) == [("ELIG_NO_PLAN", "P1", ("E1",), 1000)]


def test_consultation_without_a_pupil_needs_no_plan():
    j = run(
        [
            entry(
                category="consultation",
                student_id="",
                specialist_role="psychologist",
                hours="2",
                amount_eur="50.00",
            )
        ],
        plans=[],
    )
    assert errors(j) == []


def test_target_group_before_and_after_2021_09():
    plans = [
        plan(semester="2020/2021-2", created="2021-01-10", grade="3"),
        plan(semester="2021/2022-1", created="2021-09-03", grade="3"),
    ]
    j = run(
        [
            entry(service_month="2021-08", paid_on="2021-09-10"),
            entry(service_month="2021-09", paid_on="2021-10-10"),
        ],
        plans,
    )
    assert errors(j) == [("ELIG_TARGET_GROUP", "P1", ("E1",), 1000)]


def test_learning_materials_only_for_vocational_pupils():
    plans = [plan(), plan(student="st2", school="S2", grade="2")]
    j = run(
        [
            entry(category="learning_materials", amount_eur="80.00"),
            entry(category="learning_materials", amount_eur="80.00", student_id="st2", school_id="S2",
                  partner_id="P2"),
        ],
        plans,
    )  # fmt: skip
    assert errors(j) == [("ELIG_MATERIALS_VOCATIONAL", "P1", ("E1",), 8000)]


# --- allocation -----------------------------------------------------------------------
def test_over_allocation_falls_on_the_latest_rows_and_is_not_ineligible():
    partners = [
        {"partner_id": "P1", "name": "Kokneses novads", "kind": "municipality",
         "municipality": "Aizkraukles novads", "agreement_date": "2019-11-22", "allocation_eur": "100.00"},
    ]  # fmt: skip
    j = run(
        [
            entry(category="coordination", student_id="", amount_eur="80.00", paid_on="2020-03-01"),
            entry(category="coordination", student_id="", amount_eur="50.00", paid_on="2020-03-02"),
            entry(category="coordination", student_id="", amount_eur="20.00", paid_on="2020-03-03"),
        ],
        partners=partners,
        schools=[{"school_id": "S1", "name": "Bebru pamatskola", "partner_id": "P1", "kind": "general",
                  "round": "1", "joined_on": "2019-12-01"}],
    )  # fmt: skip
    assert errors(j) == [("BUDGET_ALLOCATION", "P1", (), 5000)]
    assert per_entry(j, "over_allocation_cents") == {"E1": 0, "E2": 3000, "E3": 2000}
    assert per_entry(j, "ineligible_cents") == {"E1": 0, "E2": 0, "E3": 0}
    f = j.errors.iloc[0]
    assert (f.amount_cents, f.limit_cents) == (15000, 10000)


# --- as_of and warnings ---------------------------------------------------------------
def test_as_of_leaves_out_later_payments_and_plans():
    j = run(
        [entry(paid_on="2020-03-10"), entry(paid_on="2020-04-10", service_month="2020-03")],
        [plan(created="2020-01-10")],
        as_of=dt.date(2020, 3, 31),
    )
    assert j.as_of == dt.date(2020, 3, 31)
    assert j.ledger["entry_id"].tolist() == ["E1"]


def test_default_as_of_is_the_latest_payment():
    j = run([entry(paid_on="2020-03-10"), entry(paid_on="2020-04-02", service_month="2020-03")])
    assert j.as_of == dt.date(2020, 4, 2)


def test_plan_late_boundary():
    plans = [
        plan(student="st1", created="2020-01-31"),  # 30 days after 1 January: on time
        plan(student="st2", created="2020-02-01"),  # 31 days: late
    ]
    j = run([entry()], plans)
    late = j.findings[j.findings["rule"] == "PLAN_LATE"]
    assert late[["student_id", "plan_id", "severity", "at_risk_cents"]].values.tolist() == [
        ["st2", "PL2", "warning", 0]
    ]


# --- invariants over generated ledgers --------------------------------------------------
CATS = ["meals", "transport_intercity", "personal_items", "coordination", "consultation"]
ROWS = st.lists(
    st.tuples(
        st.sampled_from(["P1", "P2"]),
        st.sampled_from(["st1", "st2", "st3"]),
        st.sampled_from(CATS),
        st.sampled_from(["2019-10", "2020-01", "2020-02", "2021-03"]),
        st.integers(1, 9000),
        st.sampled_from(["D1", "D2", "D3", "D4", "D5", "D6"]),
        st.integers(1, 20),
    ),
    min_size=1,
    max_size=25,
)


def _generated(rows, shuffle_seed=None):
    entries = []
    for i, (partner, student, cat, month, cents, doc, day) in enumerate(rows):
        school = "S1" if partner == "P1" else "S2"
        e = entry(
            entry_id=f"E{i:03d}", partner_id=partner, school_id=school, student_id=student,
            category=cat, service_month=month, paid_on=f"{month}-{day:02d}",
            amount_eur=f"{cents // 100}.{cents % 100:02d}", document_ref=doc,
        )  # fmt: skip
        if cat == "coordination":
            e["student_id"] = ""
        if cat == "consultation":
            e |= {"specialist_role": "pedagogue", "hours": "1"}
        entries.append(e)
    if shuffle_seed is not None:
        entries = pd.DataFrame(entries).sample(frac=1, random_state=shuffle_seed).to_dict("records")
    plans = [
        plan(student=s, school=sc, semester=sem, created=created, grade=g)
        for s in ("st1", "st2")
        for sc, g in (("S1", "7"), ("S2", "2"))
        for sem, created in (("2019/2020-2", "2020-01-05"), ("2020/2021-2", "2021-01-05"))
    ]
    partners = [dict(p, allocation_eur="150.00") for p in PARTNERS]
    return world(entries, plans, partners=partners)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ROWS, st.integers(0, 1000))
def test_money_is_conserved_and_order_does_not_matter(rows, seed):
    ds = _generated(rows)
    j = judge(ds, PROGRAMME)
    led = j.ledger
    amount, inel, over = led["amount_cents"], led["ineligible_cents"], led["over_allocation_cents"]
    assert (led["eligible_cents"] == amount - inel - over).all()
    assert ((inel >= 0) & (over >= 0) & (inel + over <= amount)).all()
    assert j.findings["at_risk_cents"].sum() == inel.sum() + over.sum()

    ds2 = _generated(rows, shuffle_seed=seed)
    j2 = judge(ds2, PROGRAMME)
    a = led.sort_values("entry_id").reset_index(drop=True)
    b = j2.ledger.sort_values("entry_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    key = ["rule", "partner_id", "entry_ids", "at_risk_cents", *DETAIL_COLUMNS]
    fa = sorted(map(tuple, j.findings[key].astype(str).values.tolist()))
    fb = sorted(map(tuple, j2.findings[key].astype(str).values.tolist()))
    assert fa == fb


# --- the national demo: every injected breach found, nothing else ------------------------
def test_national_demo_findings_are_exactly_the_injected_breaches(tmp_path):
    from pumpurs.demo import write_demo
    from pumpurs.sources.folder import load_data

    folder = tmp_path / "national"
    write_demo(folder, scale="national", seed=1)
    expected = pd.read_csv(folder / "expected_findings.csv", dtype=str, keep_default_na=False)
    j = judge(load_data(folder, PROGRAMME), PROGRAMME)

    want_errors = {
        (r.rule, r.partner_id, r.entry_ids)
        for r in expected[expected["rule"] != "PLAN_LATE"].itertuples(index=False)
    }
    got_errors = {
        (r.rule, r.partner_id, ";".join(r.entry_ids)) for r in j.errors.itertuples(index=False)
    }
    assert got_errors - want_errors == set(), "flagged but not injected"
    assert want_errors - got_errors == set(), "injected but not found"
    assert len(j.errors) == len(want_errors)
    late = j.findings[j.findings["rule"] == "PLAN_LATE"]
    assert set(late["plan_id"]) == set(expected.loc[expected["rule"] == "PLAN_LATE", "plan_id"])
    assert len(want_errors) > 1000
    assert {r for r, _, _ in want_errors} >= {
        "ELIG_PERIOD", "ELIG_AGREEMENT", "ELIG_SCHOOL_PARTNER", "ELIG_SCHOOL_JOINED", "ELIG_NO_PLAN",
        "ELIG_TARGET_GROUP", "ELIG_MATERIALS_VOCATIONAL", "DUPLICATE_CLAIM", "CAP_TRANSPORT_INTERCITY",
        "CAP_ACCOMMODATION", "CAP_MEALS", "CAP_SPECIAL_TRANSPORT", "CAP_PERSONAL_ITEMS",
        "CAP_NGO_PROJECT", "BUDGET_ALLOCATION",
    }  # fmt: skip


# --- the plan that counts, and the integer codes the engine groups on -----------------
def test_the_first_plan_counts_and_a_tie_on_the_day_goes_to_the_smaller_plan_id():
    """Three plans for one pupil, school and semester: the earliest decides the grade;
    on a tie of days, the smaller plan_id (grade 2: outside the target group)."""
    tied = [
        plan(created="2020-01-10", grade="7", plan_id="PL9"),
        plan(created="2020-01-10", grade="2", plan_id="PL10"),  # "PL10" < "PL9"
        plan(created="2020-01-20", grade="1", plan_id="PL1"),
    ]
    j = run([entry()], plans=tied)
    assert errors(j) == [("ELIG_TARGET_GROUP", "P1", ("E1",), 1000)]
    assert j.findings.loc[0, "plan_grade"] == 2
    later_first = [plan(created="2020-01-09", grade="7", plan_id="PL9"), *tied[1:]]
    assert errors(run([entry()], plans=later_first)) == []


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "", "ā", None]), st.integers(0, 3), st.booleans()),
        max_size=30,
    )
)
def test_group_codes_are_equal_exactly_when_the_rows_are(rows):
    from pumpurs.core.rules import group_codes

    if not rows:
        return
    frame = pd.DataFrame(rows, columns=["s", "i", "b"])
    codes = group_codes(frame["s"], frame["i"].to_numpy(), frame["b"])
    assert sorted(set(codes)) == list(range(len(set(rows))))  # dense, from 0
    for x in range(len(rows)):
        for y in range(len(rows)):
            assert (codes[x] == codes[y]) == (rows[x] == rows[y])


# ---------------------------------------------------------------------------
# Each rule's check is registered beside its id (core/registry.py `@rule`)
# ---------------------------------------------------------------------------
def test_every_rule_has_its_check_registered_beside_its_id() -> None:
    assert registry.registered() == registry.ids()
    modules = {r: registry.check(r).__module__.rsplit(".", 1)[-1] for r in registry.ids()}
    assert modules == {
        **dict.fromkeys(registry.ids("eligibility"), "eligibility"),
        "DUPLICATE_CLAIM": "groups",
        **dict.fromkeys(registry.ids("cap"), "groups"),
        "BUDGET_ALLOCATION": "groups",
        "PLAN_LATE": "warning",
        "ABSORPTION_RISK": "warning",
    }


def test_a_check_for_an_unknown_rule_or_a_second_check_is_refused() -> None:
    with pytest.raises(ValueError) as unknown:
        registry.rule("ELIG_PIZZA")(len)
    assert str(unknown.value) == "@rule('ELIG_PIZZA'): no such rule in core/registry.py"
    with pytest.raises(ValueError) as twice:
        registry.rule("ELIG_PERIOD")(len)
    assert str(twice.value) == "@rule('ELIG_PERIOD'): the rule has a check already"
    assert registry.check("ELIG_PERIOD") is not len
