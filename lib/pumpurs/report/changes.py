"""Changes since the previous report (rules.md "Changes since the previous report").

A report for a half-year compares itself with the report of the half-year before it,
judged from the same data as of that half-year's last day: the earlier half-year's key
figures and the cumulative figures to its end **as then and as now**, and why they moved.
Nothing is read from earlier report files; two judgements of the same data say it.

`changes_all()` works on the national judgements once and gives every municipality's
`Changes` and the programme's (key `NATIONAL`); `changes_of()` gives one scope. Tables
keep raw values (cents, counts); words and privacy come when shown.

What is compared:
- **half-year**: the rows of the earlier half-year's service months; as then, those
  known at its last day; as now, those known now.
- **cumulative**: as then, every row known at the earlier report date (what that
  report's "since the start" column held); as now, those rows and every row paid
  later for a service month up to the earlier half-year's end.
The figures are `report.municipality.key_figures` of each, so "as then" is, to the cent,
the earlier report's own key figures.

Why the declared money moved (exactly): rows paid late (their original amount) minus
the corrections known now and not then. Why the money at risk moved (exactly): each
row's money at risk by the rule that put it at risk (passes 1-3) and over the allocation
(`BUDGET_ALLOCATION`), then and now; a rise is a new or a larger finding, a fall one
no longer found or smaller. Eligible = declared - at risk, so its move follows.
Findings new and no longer found are counted by rule and partner (error findings; a
finding is the same when its rule, partner, pupil, period and document agree, and, for a
rule of one row, its row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pumpurs.core import registry
from pumpurs.core.calendar import Period, parse_period
from pumpurs.core.rules import Judgement, index_in, judge
from pumpurs.core.settings import Programme
from pumpurs.report.municipality import KEY_FIGURES, key_figures

NATIONAL = "_national"
COMPARED = ""  # the reason a report has nothing to compare: none
BEFORE_START = "before_start"  # the earlier half-year ends before the programme starts
NO_EARLIER = "no_earlier"  # no row of the earlier half-years, then or now (a first half-year)

FIGURE_COLUMNS = [
    "figure", "half_then_cents", "half_now_cents", "half_diff_cents",
    "cum_then_cents", "cum_now_cents", "cum_diff_cents",
]  # fmt: skip
# Why the figures moved, in this order; `declared`, `at_risk` and `eligible` are sums.
REASONS = (
    "late_rows",
    "corrections_since",
    "declared",
    "risk_up",
    "risk_down",
    "at_risk",
    "eligible",
)
REASON_COLUMNS = ["reason", "half_rows", "half_cents", "cum_rows", "cum_cents"]
RULE_COLUMNS = [
    "rule", "partner_id", "findings_new", "findings_gone", "risk_then_cents", "risk_now_cents",
    "risk_diff_cents",
]  # fmt: skip
MOVED_COLUMNS = [
    "municipality", "late_rows_cents", "corrections_since_cents", "declared_diff_cents",
    "at_risk_diff_cents", "eligible_diff_cents",
]  # fmt: skip
MOVED_MOST = 5  # the municipalities the overview names
ALLOCATION_RULE = "BUDGET_ALLOCATION"


@dataclass
class Changes:
    """One report's comparison with the report of the half-year before it."""

    period: Period  # the report's own half-year
    previous: Period | None  # the half-year before it
    then: dt.date | None  # the earlier report date: the previous half-year's last day
    now: dt.date  # this report's date
    reason: str = COMPARED  # why there is nothing to compare ("" when there is)
    figures: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FIGURE_COLUMNS))
    reasons: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REASON_COLUMNS))
    by_rule: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=RULE_COLUMNS))
    # the programme's: every municipality whose earlier figures moved, most first
    moved: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=MOVED_COLUMNS))

    @property
    def compared(self) -> bool:
        return self.reason == COMPARED

    @property
    def unchanged(self) -> bool:
        """Compared, and not a cent of the earlier figures moved."""
        return self.compared and not self.figures[["half_diff_cents", "cum_diff_cents"]].any().any()


def previous_period(period: Period) -> Period:
    """The half-year before `period`."""
    y, h = int(period.label[:4]), int(period.label[-1])
    return parse_period(f"{y - 1}-H2" if h == 1 else f"{y}-H1")


def judge_previous(now: Judgement, period: Period) -> Judgement:
    """The same data judged as of the previous half-year's last day: what the previous
    report was made from (the data set holds every row, known or not yet)."""
    return judge(now.dataset, now.programme, previous_period(period).end_date)


def programme_start(programme: Programme) -> str:
    return min(v.start_month for v in programme.period)


# ---------------------------------------------------------------------------
# Rows: each row's money at risk, by the rule that put it at risk
# ---------------------------------------------------------------------------
def _plain_ids(f: pd.DataFrame) -> list[tuple[str, ...]]:
    """Each finding's rows without the corrections that follow them."""
    if "corrections" not in f.columns:
        return [tuple(t) for t in f["entry_ids"]]
    n = pd.to_numeric(f["corrections"], errors="coerce").fillna(0).astype(int).tolist()
    return [
        tuple(t)[: len(t) - k] if k else tuple(t) for t, k in zip(f["entry_ids"], n, strict=True)
    ]


class _Rows:
    """The ledger positions of a few entry ids (findings name a few thousand of a
    ledger's hundreds of thousands): probed in the ledger's own buffers."""

    def __init__(self, led: pd.DataFrame, ids: list[str]) -> None:
        wanted = list(dict.fromkeys(ids))
        found = index_in(led["entry_id"], wanted) if wanted else np.zeros(0, np.int64)
        rows = np.flatnonzero(found >= 0)
        self._at = dict(zip([wanted[k] for k in found[rows]], rows.tolist(), strict=True))
        self._id = {r: i for i, r in self._at.items()}

    def get_indexer(self, ids: list[str]) -> np.ndarray:
        return np.array([self._at.get(i, -1) for i in ids], dtype=np.int64)

    def id_of(self, row: int) -> str:
        return str(self._id[row])

    def has(self, entry_id: str) -> bool:
        return entry_id in self._at


def risk_rows(j: Judgement) -> pd.DataFrame:
    """Every (row, rule) with money at risk: entry_id, rule, cents. A row's ineligible
    money comes from one pass: pass 1 (its first finding that carries it), pass 2 (a
    duplicate that does not stand: not the earliest (paid_on, entry_id) of its group)
    or pass 3 (the cap of its category); its over-allocation is `BUDGET_ALLOCATION`."""
    led, f = j.ledger, j.findings
    rule = np.full(len(led), "", dtype=object)
    plain = _plain_ids(f)
    pos = _Rows(led, [i for t in plain for i in t])
    pass1 = set(registry.ids("eligibility"))
    carrying = (f["at_risk_cents"].to_numpy() > 0) & f["rule"].isin(pass1).to_numpy()
    rules = f["rule"].to_numpy(dtype=object)
    hits = [(plain[i][0], rules[i]) for i in np.flatnonzero(carrying) if plain[i]]
    at = pos.get_indexer([h[0] for h in hits])
    for r, (_, name) in zip(at, hits, strict=True):
        if r >= 0:
            rule[r] = name
    dup = np.flatnonzero((f["rule"] == "DUPLICATE_CLAIM").to_numpy())
    if len(dup):
        paid = led["paid_on"].to_numpy()
        for i in dup:
            rows = pos.get_indexer(list(plain[i]))
            rows = rows[rows >= 0]
            if len(rows) < 2:
                continue
            stands = min(rows, key=lambda r: (paid[r], pos.id_of(r)))
            for r in rows:
                if r != stands and rule[r] == "":
                    rule[r] = "DUPLICATE_CLAIM"
    cap_of = {c.category: c.rule for c in j.programme.caps}
    inel = led["ineligible_cents"].to_numpy(dtype=np.int64)
    left = (inel > 0) & (rule == "")
    rule[left] = led["category"].astype(str).map(cap_of).fillna("").to_numpy(dtype=object)[left]
    over = led["over_allocation_cents"].to_numpy(dtype=np.int64)
    a, b = np.flatnonzero(inel > 0), np.flatnonzero(over > 0)
    ids = led["entry_id"].iloc[np.concatenate([a, b])].astype(str).to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "row": np.concatenate([a, b]),
            "entry_id": ids,
            "partner_id": np.concatenate(
                [
                    led["partner_id"].to_numpy(dtype=object)[a],
                    led["partner_id"].to_numpy(dtype=object)[b],
                ]
            ),
            "rule": np.concatenate([rule[a], np.full(len(b), ALLOCATION_RULE, dtype=object)]),
            "cents": np.concatenate([inel[a], over[b]]),
        }
    )


# ---------------------------------------------------------------------------
# Findings: the same finding then and now
# ---------------------------------------------------------------------------
_ONE_ROW = frozenset(registry.ids("eligibility"))


def _finding_keys(f: pd.DataFrame) -> list[tuple[Any, ...]]:
    plain = _plain_ids(f)
    doc = f["document_ref"] if "document_ref" in f.columns else pd.Series("", index=f.index)
    out = []
    for i, (r, p, s, per, d) in enumerate(
        zip(f["rule"], f["partner_id"], f["student_id"], f["period"], doc, strict=True)
    ):
        rows = plain[i] if r in _ONE_ROW else ()
        out.append((str(r), str(p), str(s or ""), str(per or ""), str(d or ""), rows))
    return out


# ---------------------------------------------------------------------------
# The comparison
# ---------------------------------------------------------------------------
@dataclass
class _Side:
    """One judgement's rows and error findings, with where each row sits."""

    j: Judgement
    rows: dict[str, np.ndarray]  # municipality -> ledger positions
    half: np.ndarray  # ledger row in the earlier half-year's months
    risk: pd.DataFrame  # risk_rows
    errors: pd.DataFrame  # error findings, with their municipality (`town`)
    keys: list[tuple[Any, ...]]


def _side(j: Judgement, previous: Period) -> _Side:
    partners = j.partners.set_index("partner_id")["municipality"].astype(str)
    led = j.ledger
    rows = {
        str(k): v for k, v in led.groupby("municipality", observed=True, sort=False).indices.items()
    }
    months = led["service_month"].to_numpy(dtype=object)
    half = (months >= previous.first_month) & (months <= previous.last_month)
    f = j.findings[j.findings["severity"] == "error"].reset_index(drop=True)
    f = f.assign(town=f["partner_id"].map(partners).fillna("").astype(str))
    return _Side(j, rows, half, risk_rows(j), f, _finding_keys(f) if len(f) else [])


@dataclass
class _National:
    """What every scope's comparison is cut from, worked out once over the nation."""

    now: _Side
    then: _Side
    cum: np.ndarray  # a row now in the cumulative comparison
    late: np.ndarray  # a row now paid after the earlier report date (not a credit note)
    original: np.ndarray  # each row's amount before corrections
    corrected_before: np.ndarray  # each row's corrections known then (0: unknown then)
    risk: pd.DataFrame  # per (row, rule): cents then and now, with the row's scopes
    about: np.ndarray  # an error finding now is about the earlier months
    slim: tuple[pd.DataFrame, pd.DataFrame] = (pd.DataFrame(), pd.DataFrame())  # now, then
    keys: tuple[dict[str, list[tuple[Any, ...]]], dict[str, list[tuple[Any, ...]]]] = (
        {},
        {},
    )  # now, then
    risk_by_town: dict[str, pd.DataFrame] = field(default_factory=dict)


def _national(now: Judgement, then: Judgement, previous: Period) -> _National:
    a, b = _side(now, previous), _side(then, previous)
    led = now.ledger
    cutoff = pd.Timestamp(previous.end_date).to_datetime64()
    known = led["paid_on"].to_numpy() <= cutoff
    cum = (led["service_month"].to_numpy(dtype=object) <= previous.last_month) | known
    original = (led["amount_cents"] + led["corrected_cents"]).to_numpy(dtype=np.int64)
    corrected_before = _known_then(led, then.ledger, known)
    # every (row, rule) at risk then or now, with the row's scope then and now
    r_then, r_now = b.risk.copy(), a.risk.copy()
    r_then["half"] = b.half[r_then["row"].to_numpy()]
    r_then["town"] = (
        then.ledger["municipality"].astype(str).to_numpy(dtype=object)[r_then["row"].to_numpy()]
    )
    r_now["half"] = a.half[r_now["row"].to_numpy()]
    r_now["cum"] = cum[r_now["row"].to_numpy()]
    r_now["town"] = led["municipality"].astype(str).to_numpy(dtype=object)[r_now["row"].to_numpy()]
    r_then["cum"] = True  # everything known then is in the cumulative comparison
    key = ["entry_id", "partner_id", "rule", "town"]
    both = pd.merge(
        r_then[[*key, "cents", "half", "cum"]],
        r_now[[*key, "cents", "half", "cum"]],
        on=key,
        how="outer",
        suffixes=("_then", "_now"),
    )
    for c in ("cents_then", "cents_now"):
        both[c] = both[c].fillna(0).astype("int64")
    for c in ("half_then", "half_now", "cum_then", "cum_now"):
        both[c] = both[c].fillna(False).astype(bool)
    # a finding now is about the earlier months when one of its rows is (allocation:
    # when its partner's rows in the comparison carry money over the allocation now)
    plain = _plain_ids(a.errors) if len(a.errors) else []
    named = _Rows(led, [i for t in plain for i in t])
    scope_ids = {i for i in named._at if cum[named._at[i]]}
    over = set(
        zip(
            both.loc[
                both["cum_now"] & (both["cents_now"] > 0) & (both["rule"] == ALLOCATION_RULE),
                "rule",
            ],
            both.loc[
                both["cum_now"] & (both["cents_now"] > 0) & (both["rule"] == ALLOCATION_RULE),
                "partner_id",
            ],
            strict=True,
        )
    )
    about = np.array(
        [
            (r, p) in over if r == ALLOCATION_RULE else any(i in scope_ids for i in plain[k])
            for k, (r, p) in enumerate(zip(a.errors["rule"], a.errors["partner_id"], strict=True))
        ],
        dtype=bool,
    )
    late = ~known & (original > 0)
    # key_figures reads these columns only: slicing them is cheap, slicing text is not
    money = ["amount_cents", "corrected_cents", "ineligible_cents", "over_allocation_cents",
             "eligible_cents", "esf_cents"]  # fmt: skip
    slim = (
        led[[c for c in money if c in led]],
        then.ledger[[c for c in money if c in then.ledger]],
    )
    keys_now: dict[str, list[tuple[Any, ...]]] = {}
    for k, town, keep in zip(a.keys, a.errors["town"], about, strict=True):
        if keep:
            keys_now.setdefault(town, []).append(k)
    keys_then: dict[str, list[tuple[Any, ...]]] = {}
    for k, town in zip(b.keys, b.errors["town"], strict=True):
        keys_then.setdefault(town, []).append(k)
    for c in ("entry_id", "partner_id", "rule", "town"):  # plain objects: no text dtype
        both[c] = both[c].to_numpy(dtype=object)
    by_town = {str(t): both.iloc[at] for t, at in both.groupby("town", sort=False).indices.items()}
    return _National(
        a,
        b,
        cum,
        late,
        original,
        corrected_before,
        both,
        about,
        slim,
        (keys_now, keys_then),
        by_town,
    )


def _known_then(led: pd.DataFrame, then: pd.DataFrame, known: np.ndarray) -> np.ndarray:
    """Each row's corrections known at the earlier date (0 for a row unknown then). The
    earlier ledger is this one's rows paid by then, in the same order (both are the data
    set's rows in its order); checked, else found by id."""
    out = np.zeros(len(led), dtype=np.int64)
    same = len(then) == int(known.sum()) and (
        then["entry_id"]
        .reset_index(drop=True)
        .equals(led["entry_id"][known].reset_index(drop=True))
    )
    if same:
        out[known] = then["corrected_cents"].to_numpy(dtype=np.int64)
        return out
    before = pd.Series(
        then["corrected_cents"].to_numpy(dtype=np.int64),
        index=then["entry_id"].astype(str).to_numpy(dtype=object),
    )
    ids = led["entry_id"].astype(str).to_numpy(dtype=object)
    moved: np.ndarray = before.reindex(ids).fillna(0).to_numpy(dtype=np.int64)
    return moved


_EMPTY = np.zeros(0, dtype=np.int64)


def _scope(
    nat: _National, name: str, period: Period, previous: Period, partners: pd.DataFrame
) -> Changes:
    """One municipality's (or, `NATIONAL`, the programme's) comparison."""
    out = Changes(period, previous, previous.end_date, nat.now.j.as_of)
    led_now, led_then = nat.slim
    if name == NATIONAL:
        at_now, at_then = np.arange(len(led_now)), np.arange(len(led_then))
    else:
        at_now, at_then = nat.now.rows.get(name, _EMPTY), nat.then.rows.get(name, _EMPTY)
    cum_now = at_now[nat.cum[at_now]]
    half_now, half_then = at_now[nat.now.half[at_now]], at_then[nat.then.half[at_then]]
    if len(cum_now) == 0 and len(at_then) == 0:
        out.reason = NO_EARLIER
        return out

    k_then = key_figures(led_then.iloc[half_then], led_then.iloc[at_then], partners)
    k_now = key_figures(led_now.iloc[half_now], led_now.iloc[cum_now], partners)
    names = list(KEY_FIGURES)
    if "corrected" in set(k_then["figure"]) | set(k_now["figure"]):
        names.insert(names.index("declared") + 1, "corrected")
    t, n = k_then.set_index("figure"), k_now.set_index("figure")
    figs = pd.DataFrame({"figure": names})
    for side, frame in (("then", t), ("now", n)):
        figs[f"half_{side}_cents"] = [int(frame["period_cents"].get(x, 0)) for x in names]
        figs[f"cum_{side}_cents"] = [int(frame["cumulative_cents"].get(x, 0)) for x in names]
    figs["half_diff_cents"] = figs["half_now_cents"] - figs["half_then_cents"]
    figs["cum_diff_cents"] = figs["cum_now_cents"] - figs["cum_then_cents"]
    out.figures = figs[FIGURE_COLUMNS]

    corrected_now = led_now["corrected_cents"].to_numpy(dtype=np.int64)
    corrected_then = led_then["corrected_cents"].to_numpy(dtype=np.int64)
    risk = nat.risk if name == NATIONAL else nat.risk_by_town.get(name, nat.risk.iloc[0:0])
    reasons: dict[str, dict[str, int]] = {r: {} for r in REASONS}
    for scope, in_now, in_then in (("half", half_now, half_then), ("cum", cum_now, at_then)):
        late = in_now[nat.late[in_now]]
        moved = in_now[corrected_now[in_now] != nat.corrected_before[in_now]]
        reasons["late_rows"][scope] = int(nat.original[late].sum())
        reasons["late_rows"][f"{scope}_rows"] = len(late)
        corr = int(corrected_now[in_now].sum()) - int(corrected_then[in_then].sum())
        reasons["corrections_since"][scope] = -corr
        reasons["corrections_since"][f"{scope}_rows"] = len(moved)
        reasons["declared"][scope] = reasons["late_rows"][scope] - corr
        diff = np.where(risk[f"{scope}_now"], risk["cents_now"], 0) - np.where(
            risk[f"{scope}_then"], risk["cents_then"], 0
        )
        reasons["risk_up"][scope] = int(diff[diff > 0].sum())
        reasons["risk_down"][scope] = int(diff[diff < 0].sum())
        reasons["at_risk"][scope] = int(diff.sum())
        reasons["eligible"][scope] = reasons["declared"][scope] - reasons["at_risk"][scope]
    out.reasons = pd.DataFrame(
        {
            "reason": list(REASONS),
            "half_rows": pd.array([reasons[r].get("half_rows") for r in REASONS], dtype="Int64"),
            "half_cents": [reasons[r]["half"] for r in REASONS],
            "cum_rows": pd.array([reasons[r].get("cum_rows") for r in REASONS], dtype="Int64"),
            "cum_cents": [reasons[r]["cum"] for r in REASONS],
        }
    )
    out.by_rule = _by_rule(nat, name, risk)
    return out


def _by_rule(nat: _National, name: str, risk: pd.DataFrame) -> pd.DataFrame:
    """Per rule and partner (the programme: per rule): findings new and no longer found
    in the cumulative comparison, the money at risk then and now and its difference;
    only the lines where something moved."""
    national = name == NATIONAL
    # small tables: summed in plain Python, 44 times, cheaper than pandas' set-up
    lines: dict[tuple[str, str], list[int]] = {}  # then, now, new, gone

    def line(rule: str, partner: str) -> list[int]:
        return lines.setdefault((rule, "" if national else partner), [0, 0, 0, 0])

    then = np.where(risk["cum_then"].to_numpy(), risk["cents_then"].to_numpy(), 0).tolist()
    now = np.where(risk["cum_now"].to_numpy(), risk["cents_now"].to_numpy(), 0).tolist()
    pairs = zip(risk["rule"].tolist(), risk["partner_id"].tolist(), then, now, strict=True)
    for rule, partner, a, b in pairs:
        if a or b:
            got = line(rule, partner)
            got[0] += a
            got[1] += b
    by_now, by_then = nat.keys
    if national:
        keys_now = [k for ks in by_now.values() for k in ks]
        keys_then = [k for ks in by_then.values() for k in ks]
    else:
        keys_now, keys_then = by_now.get(name, []), by_then.get(name, [])
    s_then, s_now = set(keys_then), set(keys_now)
    for k in keys_now:
        if k not in s_then:
            line(k[0], k[1])[2] += 1
    for k in keys_then:
        if k not in s_now:
            line(k[0], k[1])[3] += 1
    order = {r: i for i, r in enumerate(registry.ids())}
    rows = [
        (rule, partner, new, gone, a, b, b - a)
        for (rule, partner), (a, b, new, gone) in lines.items()
        if new or gone or a != b
    ]
    rows.sort(key=lambda r: (order.get(r[0], len(order)), r[1]))
    table = pd.DataFrame(rows, columns=RULE_COLUMNS)
    counts = [c for c in RULE_COLUMNS if c not in ("rule", "partner_id")]
    return table.astype({c: "int64" for c in counts})


def _nothing(period: Period, now: dt.date, programme: Programme) -> Changes | None:
    previous = previous_period(period)
    if previous.last_month < programme_start(programme):
        return Changes(period, previous, None, now, reason=BEFORE_START)
    return None


def changes_all(
    now: Judgement, then: Judgement, period: Period, names: list[str] | None = None
) -> dict[str, Changes]:
    """Every municipality's comparison (by name) and the programme's (`NATIONAL`), from
    the national judgements now and as of the previous half-year's last day. `names`:
    these municipalities only (and the programme)."""
    programme = now.programme
    wanted = names if names is not None else [m.name for m in programme.municipalities]
    early = _nothing(period, now.as_of, programme)
    if early is not None:
        return {n: early for n in [*wanted, NATIONAL]}
    previous = previous_period(period)
    if then.as_of != previous.end_date:
        raise ValueError(f"the earlier judgement is as of {then.as_of}, not {previous.end_date}")
    nat = _national(now, then, previous)
    partners = now.partners
    out = {}
    for n in wanted:
        own = partners[partners["municipality"] == n].sort_values("partner_id")
        out[n] = _scope(nat, n, period, previous, own)
    out[NATIONAL] = _scope(nat, NATIONAL, period, previous, partners)
    if out[NATIONAL].compared and names is None:
        out[NATIONAL].moved = moved_most({n: out[n] for n in wanted}, None)
    return out


def moved_most(by_town: dict[str, Changes], n: int | None = MOVED_MOST) -> pd.DataFrame:
    """The municipalities whose earlier cumulative figures moved most: by the eligible
    money's move (either way), then the declared money's, then the money at risk's."""
    rows = []
    for name, c in by_town.items():
        if not c.compared:
            continue
        r = c.reasons.set_index("reason")["cum_cents"]
        rows.append(
            {
                "municipality": name,
                "late_rows_cents": int(r["late_rows"]),
                "corrections_since_cents": int(r["corrections_since"]),
                "declared_diff_cents": int(r["declared"]),
                "at_risk_diff_cents": int(r["at_risk"]),
                "eligible_diff_cents": int(r["eligible"]),
            }
        )
    t = pd.DataFrame(rows, columns=MOVED_COLUMNS)
    moved = t[["declared_diff_cents", "at_risk_diff_cents", "eligible_diff_cents"]].abs()
    t = t[(moved > 0).any(axis=1)]
    t = t.assign(
        _e=moved["eligible_diff_cents"],
        _d=moved["declared_diff_cents"],
        _r=moved["at_risk_diff_cents"],
    ).sort_values(["_e", "_d", "_r", "municipality"], ascending=[False, False, False, True])
    t = t.drop(columns=["_e", "_d", "_r"]).reset_index(drop=True)
    return t if n is None else t.head(n)


def changes_of(
    now: Judgement, period: Period, municipality: str | None = None, then: Judgement | None = None
) -> Changes:
    """One report's comparison from the national judgement `now` (the earlier one is
    judged here unless given): a municipality's, or the programme's (None)."""
    early = _nothing(period, now.as_of, now.programme)
    if early is not None:
        return early
    then = then if then is not None else judge_previous(now, period)
    if municipality is None:
        return changes_all(now, then, period)[NATIONAL]
    return changes_all(now, then, period, [municipality])[municipality]
