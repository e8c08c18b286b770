"""Synthetic PuMPuRS data: a realistic data folder with a known list of rule breaches.

Why synthetic: the real ledger is about minors and never leaves the programme, yet the
tests, notebooks, benchmarks and a new user's first run need data of the real shape and
size whose findings are known in advance.

How: a clean world is generated first (partners, schools, pupils with plans, monthly
spending in every category; every row eligible, every cap respected), then breaches of
every error rule are injected, then the result is judged by `expected_findings` (a
compact, independent reading of docs/rules.md) and checked against what was injected: a
generator bug can never write a wrong expected_findings.csv silently.

Figures that are rules (caps, period, target groups, budget, late-plan days) come from
programme.yaml. Figures that only shape the demo (how many pupils take meals, what an
hour of a psychologist costs, municipal populations of ~2020, rounded) are assumptions
made here; `data/municipalities_2009.csv` lists the 119 pre-reform municipalities with
the current municipality each became part of, `data/vpil.csv` the state vocational
institutions used as VPIL partners.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from pumpurs.core.errors import UsageError
from pumpurs.core.settings import Programme, load_programme
from pumpurs.demo.assemble import (
    _assemble,
)
from pumpurs.demo.common import (
    SCALES,
    Demo,
    _Calendar,
)
from pumpurs.demo.inject import (
    _Injector,
)
from pumpurs.demo.ledger import (
    _Ledger,
)
from pumpurs.demo.oracle import (
    _complete,
    _judge,
)
from pumpurs.demo.world import (
    _plans,
    _world,
)
from pumpurs.demo.write import (
    _summary,
    _write_files,
)

# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def write_demo(
    out: Path, scale: str = "small", seed: int = 1, *, programme: Programme | None = None
) -> str:
    """Write a synthetic data folder and its expected_findings.csv; return a summary.

    The folder is written beside `out` under a temporary name and renamed into place at
    the end, so a crash never leaves a half-written folder. Same seed, same bytes.
    """
    out = Path(out)
    if scale not in SCALES:
        raise UsageError(f'"{scale}" is not a demo scale; use small or national')
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(f"{out} already exists and is not an empty folder; give a new folder")
    prog = programme or load_programme()
    demo = build_demo(scale, seed, prog)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        files = _write_files(demo, tmp)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        if out.exists():
            out.rmdir()  # empty, checked above
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return _summary(demo, out, files)


def build_demo(scale: str, seed: int, programme: Programme | None = None) -> Demo:
    """Generate the data set in memory (what write_demo writes), judged and checked."""
    if scale not in SCALES:
        raise UsageError(f'"{scale}" is not a demo scale; use small or national')
    prog = programme or load_programme()
    rng = np.random.default_rng(seed)
    cal = _Calendar.of(prog)
    world = _world(rng, prog, cal, scale)
    plans = _plans(rng, world, cal, scale)
    ledger = _Ledger(rng, world, plans, cal, prog)
    ledger.clean()
    inj = _Injector(rng, world, plans, ledger, cal, prog, scale)
    inj.run()
    return _assemble(rng, world, plans, ledger, inj, cal, prog, scale, seed)


def expected_findings(
    partners: pd.DataFrame,
    schools: pd.DataFrame,
    support_plans: pd.DataFrame,
    expenditures: pd.DataFrame,
    programme: Programme,
) -> pd.DataFrame:
    """The error findings (and PLAN_LATE warnings) docs/rules.md gives, one line per finding.

    Takes the typed tables `load_data` returns (as_of = the latest paid_on, so every row
    counts). Columns: rule, partner_id, entry_ids (sorted, joined by ';'), plan_id.
    """
    lines, eligible = _judge(partners, schools, support_plans, expenditures, programme)
    return _complete(lines, eligible, partners, schools, support_plans, programme)


__all__ = ["Demo", "build_demo", "expected_findings", "write_demo"]
