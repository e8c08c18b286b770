"""The judgement: what `judge()` returns, and its views of one partner or municipality."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from pumpurs.core.dataset import Dataset
from pumpurs.core.settings import Programme


@dataclass
class Judgement:
    as_of: dt.date
    ledger: pd.DataFrame
    plans: pd.DataFrame
    findings: pd.DataFrame
    dataset: Dataset
    programme: Programme

    @property
    def partners(self) -> pd.DataFrame:
        return self.dataset.partners

    def scoped(self, partner: str | None = None, municipality: str | None = None) -> Judgement:
        """The same judgement seen from one partner or one current municipality.

        Judging always runs on the whole data (a pupil's cap spans partners); only the
        view is narrowed.
        """
        partners = self.dataset.partners
        if partner is not None:
            ids = set(partners.loc[partners["partner_id"] == partner, "partner_id"])
        elif municipality is not None:
            ids = set(partners.loc[partners["municipality"] == municipality, "partner_id"])
        else:
            return self
        ds, keep = self.dataset, self._kept(ids)
        narrow = replace(  # every school stays: rows may name another partner's school
            ds,
            partners=partners[keep["partners"]].reset_index(drop=True),
            support_plans=ds.support_plans[keep["support_plans"]],
            expenditures=ds.expenditures[keep["expenditures"]],
            outcomes=ds.outcomes[keep["outcomes"]],
        )
        return Judgement(
            as_of=self.as_of,
            ledger=self.ledger[keep["ledger"]].reset_index(drop=True),
            plans=self.plans[keep["plans"]].reset_index(drop=True),
            findings=self.findings[keep["findings"]].reset_index(drop=True),
            dataset=narrow,
            programme=self.programme,
        )

    def _kept(self, ids: set[str]) -> dict[str, np.ndarray]:
        """Per table, which rows the view of partners `ids` keeps (what `scoped` means)."""
        ds = self.dataset
        own_schools = ds.schools.loc[ds.schools["partner_id"].isin(ids), "school_id"]
        plans = self.plans["partner_id"].isin(ids).to_numpy()
        students = self.plans["student_id"][plans]
        return {
            "ledger": self.ledger["partner_id"].isin(ids).to_numpy(),
            "plans": plans,
            "findings": self.findings["partner_id"].isin(ids).to_numpy(),
            "partners": ds.partners["partner_id"].isin(ids).to_numpy(),
            "expenditures": ds.expenditures["partner_id"].isin(ids).to_numpy(),
            "support_plans": ds.support_plans["school_id"].isin(own_schools).to_numpy(),
            "outcomes": ds.outcomes["student_id"].isin(students).to_numpy(),
        }

    def municipality_codes(self, partner_ids: pd.Series) -> np.ndarray:
        """Each row's current municipality, as its position in the programme's list of
        municipalities, found from the row's partner; -1 for a partner in none."""
        partners = self.dataset.partners
        names = [m.name for m in self.programme.municipalities]
        town = pd.Index(names).get_indexer(partners["municipality"].astype(str))
        at = pd.Index(partners["partner_id"].astype(str)).get_indexer(partner_ids)
        return np.where(at >= 0, town[np.maximum(at, 0)], -1)

    def _municipality_order(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Per table: its row positions ordered by current municipality (stable, so each
        municipality's rows keep the national order), and where each municipality's rows
        begin and end in that order (`bounds[i]:bounds[i + 1]`), in one pass per table."""
        ds, names = self.dataset, [m.name for m in self.programme.municipalities]
        by_partner = self.municipality_codes

        def bounds(code: np.ndarray) -> np.ndarray:
            counts = np.bincount(code[code >= 0], minlength=len(names))
            return np.concatenate([[0], np.cumsum(counts)])

        at_school = pd.Index(ds.schools["school_id"]).get_indexer(ds.support_plans["school_id"])
        school_partner = np.where(
            at_school >= 0, ds.schools["partner_id"].to_numpy(dtype=object)[at_school], ""
        )
        codes = {
            "ledger": by_partner(self.ledger["partner_id"]),
            "plans": by_partner(self.plans["partner_id"]),
            "findings": by_partner(self.findings["partner_id"]),
            "partners": by_partner(ds.partners["partner_id"]),
            "expenditures": by_partner(ds.expenditures["partner_id"]),
            "support_plans": by_partner(pd.Series(school_partner, dtype=object)),
        }
        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for table, code in codes.items():
            order = np.argsort(np.where(code < 0, len(names), code), kind="stable")
            out[table] = (order, bounds(code))
        # a pupil's outcomes go with every municipality that has a plan for the pupil
        pairs = pd.DataFrame(
            {"student_id": self.plans["student_id"].to_numpy(), "m": codes["plans"]}
        )
        pairs = pairs[pairs["m"] >= 0].drop_duplicates()
        outcomes = pd.DataFrame(
            {"student_id": ds.outcomes["student_id"].to_numpy(), "pos": np.arange(len(ds.outcomes))}
        )
        hit = outcomes.merge(pairs, on="student_id").sort_values(["m", "pos"], kind="stable")
        out["outcomes"] = (hit["pos"].to_numpy(dtype=np.int64), bounds(hit["m"].to_numpy()))
        return out

    def municipality_rows(
        self, names: Sequence[str] | None = None
    ) -> dict[str, dict[str, np.ndarray]]:
        """Each table's row positions per current municipality (ascending): exactly the
        rows `scoped(municipality=m)` keeps, for every m at once, or for a few `names`
        (found then as `scoped` finds them: cheaper than ordering every table)."""
        if names is not None:
            partners = self.dataset.partners
            kept = {
                n: self._kept(set(partners.loc[partners["municipality"] == n, "partner_id"]))
                for n in names
            }
            tables = next(iter(kept.values()), {})
            return {t: {n: np.flatnonzero(kept[n][t]) for n in names} for t in tables}
        names = [m.name for m in self.programme.municipalities]
        return {
            table: {n: order[b[i] : b[i + 1]] for i, n in enumerate(names)}
            for table, (order, b) in self._municipality_order().items()
        }

    def by_municipality(self) -> dict[str, Judgement]:
        """`scoped(municipality=m)` for every current municipality, in one pass: each table
        is reordered by municipality once, and each view is a slice of it (no copy)."""
        names, ds = [m.name for m in self.programme.municipalities], self.dataset
        frames = {
            "ledger": self.ledger,
            "plans": self.plans,
            "findings": self.findings,
            "partners": ds.partners,
            "expenditures": ds.expenditures,
            "support_plans": ds.support_plans,
            "outcomes": ds.outcomes,
        }
        keeps_index = {"expenditures", "support_plans", "outcomes"}  # as scoped() keeps them
        grouped = {t: (frames[t].iloc[o], b) for t, (o, b) in self._municipality_order().items()}

        def part(table: str, i: int) -> pd.DataFrame:
            frame, b = grouped[table]
            out = frame.iloc[b[i] : b[i + 1]]
            return out if table in keeps_index else out.reset_index(drop=True)

        views = {}
        for i, name in enumerate(names):
            narrow = replace(
                ds,
                partners=part("partners", i),
                support_plans=part("support_plans", i),
                expenditures=part("expenditures", i),
                outcomes=part("outcomes", i),
            )
            views[name] = Judgement(
                as_of=self.as_of,
                ledger=part("ledger", i),
                plans=part("plans", i),
                findings=part("findings", i),
                dataset=narrow,
                programme=self.programme,
            )
        return views

    @property
    def errors(self) -> pd.DataFrame:
        return self.findings[self.findings["severity"] == "error"]
