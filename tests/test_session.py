"""The judged-data store (run/session.py): one Parquet store per judgement, a row group per
municipality; what a notebook reads from it is exactly the scoped judgement."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from pumpurs.core.errors import UsageError
from pumpurs.core.rules import Judgement
from pumpurs.core.settings import load_programme
from pumpurs.demo import write_demo
from pumpurs.run import session


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> Judgement:
    data = tmp_path_factory.mktemp("data")
    write_demo(data, scale="small", seed=3)
    return session.load_and_judge(data, load_programme(), dt.date(2021, 6, 30))


def _same(a: Judgement, b: Judgement, where: str) -> None:
    for t in ("ledger", "plans", "findings"):
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), obj=f"{where} {t}")
    for t in ("partners", "schools", "support_plans", "expenditures", "outcomes"):
        pd.testing.assert_frame_equal(
            getattr(a.dataset, t), getattr(b.dataset, t), obj=f"{where} {t}"
        )
    assert (a.as_of, a.dataset.fingerprint, a.dataset.sources) == (
        b.as_of,
        b.dataset.fingerprint,
        b.dataset.sources,
    )


def test_a_stored_slice_is_exactly_the_scoped_judgement(judged: Judgement, tmp_path: Path):
    store = tmp_path / "key"
    meta = session.write_judgement(judged, store)
    _same(judged, session.read_judgement(store), "national")
    assert meta["reports"][session.NATIONAL]["hash"] == session.content_hash(judged)
    with_rows = 0
    for m in judged.programme.municipalities:
        scoped = judged.scoped(municipality=m.name)
        _same(scoped, session.load_slice(store, m.name), m.name)
        facts = meta["reports"][m.name]
        assert facts["hash"] == session.content_hash(scoped)  # computed without slicing
        assert (facts["ledger_rows"], facts["findings"]) == (
            len(scoped.ledger),
            len(scoped.findings),
        )
        with_rows += len(scoped.ledger) > 0
    assert with_rows >= 2  # the small demo has spending in several municipalities


def test_a_store_of_a_few_municipalities_reads_as_the_national_store(
    judged: Judgement, tmp_path: Path
):
    national = session.write_judgement(judged, tmp_path / "national")
    names = [m.name for m in judged.programme.municipalities]
    with_rows = [n for n in names if national["reports"][n]["ledger_rows"] > 0]
    no_rows = [n for n in names if n not in with_rows]
    few = [with_rows[0], with_rows[-1], *no_rows[:1], with_rows[0]]  # a name twice: once
    meta = session.write_judgement(
        judged, tmp_path / "few", only=few, rest_in=tmp_path / "national"
    )
    assert list(meta["reports"]) == list(dict.fromkeys(few))
    for name in few:
        assert meta["reports"][name] == national["reports"][name]
        _same(
            session.load_slice(tmp_path / "national", name),
            session.load_slice(tmp_path / "few", name),
            name,
        )
    # another municipality's rows are not in it: asked for them (a custom notebook may
    # ask), or for the nation, it reads them from the national store
    assert len(pq.read_table(tmp_path / "few" / "ledger.parquet")) == sum(
        national["reports"][n]["ledger_rows"] for n in dict.fromkeys(few)
    )
    other = next(n for n in with_rows if n not in few)
    _same(judged.scoped(municipality=other), session.load_slice(tmp_path / "few", other), other)
    _same(judged, session.read_judgement(tmp_path / "few"), "national")


def test_a_store_of_a_few_waits_for_the_national_store_and_says_when_it_never_came(
    judged: Judgement, tmp_path: Path
):
    import threading

    names = [m.name for m in judged.programme.municipalities]
    later = tmp_path / "national"
    session.write_judgement(judged, tmp_path / "few", only=names[:1], rest_in=later)
    writer = threading.Timer(0.3, session.write_judgement, (judged, later))
    writer.start()
    try:
        _same(judged, session.read_judgement(tmp_path / "few"), "national")  # waited
    finally:
        writer.join()
    session.write_judgement(judged, tmp_path / "few2", only=names[:1], rest_in=tmp_path / "none")
    with pytest.raises(UsageError) as e:
        session._wait_for_store(tmp_path / "few2", tmp_path / "none", timeout=0.1)
    assert str(e.value) == (
        f"{tmp_path / 'few2'}: holds only some municipalities' rows, and the national store "
        f"{tmp_path / 'none'} was not written within 0 s (see the batch's error); "
        "leave judgement_path empty to judge the data in the notebook"
    )
    with pytest.raises(ValueError, match="names the store of the rest"):
        session.write_judgement(judged, tmp_path / "few3", only=names[:1])


def test_a_store_is_small_and_written_whole(judged: Judgement, tmp_path: Path):
    store = tmp_path / "cache" / "key"
    session.write_judgement(judged, store)
    files = sorted(p.name for p in store.iterdir())
    assert files == [
        "expenditures.parquet",
        "findings.parquet",
        "ledger.parquet",
        "meta.pkl",
        "outcomes.parquet",
        "partners.parquet",
        "plans.parquet",
        "schools.parquet",
        "support_plans.parquet",
    ]
    assert [p.name for p in store.parent.iterdir()] == ["key"]  # no temporary folder left
    # one copy of the data, not one per municipality: smaller than the ledger as text
    stored = sum(p.stat().st_size for p in store.iterdir())
    as_csv = len(judged.ledger.to_csv(index=False).encode())
    assert stored < as_csv


def test_a_failed_write_leaves_no_store(judged: Judgement, tmp_path: Path, monkeypatch):
    store = tmp_path / "cache" / "key"

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(session.pickle, "dump", full_disk)
    with pytest.raises(OSError):
        session.write_judgement(judged, store)
    assert list((tmp_path / "cache").iterdir()) == []


def test_content_hash_changes_with_one_cent(judged: Judgement):
    from dataclasses import replace

    ledger = judged.ledger.copy()
    ledger.loc[0, "eligible_cents"] += 1
    assert session.content_hash(replace(judged, ledger=ledger)) != session.content_hash(judged)


def test_by_municipality_is_scoped_for_every_municipality(judged: Judgement):
    views = judged.by_municipality()
    assert list(views) == [m.name for m in judged.programme.municipalities]
    for name, view in views.items():
        _same(judged.scoped(municipality=name), view, name)


def test_the_rows_of_a_few_municipalities_are_those_of_all_at_once(judged: Judgement):
    every = judged.municipality_rows()
    names = [m.name for m in judged.programme.municipalities]
    few = judged.municipality_rows(names)
    assert list(few) == list(every)
    for table, rows in every.items():
        for name in names:
            assert few[table][name].tolist() == rows[name].tolist(), (table, name)
    assert sum(len(r) for r in every["ledger"].values()) > 0


def test_pruning_keeps_a_judgement_another_notebook_is_reading(tmp_path: Path):
    import os
    import time

    cache = tmp_path / "cache"
    old = time.time() - 3600
    for key in ("other-data", "older", "now"):
        (cache / key).mkdir(parents=True)
        os.utime(cache / key, (old, old))
    os.utime(cache / "other-data")  # read a moment ago by a notebook on other data
    session.prune_cache(cache, "now", last=0, busy_seconds=600)
    assert sorted(p.name for p in cache.iterdir()) == ["now", "other-data"]
    session.prune_cache(cache, "now", last=0)  # a batch's own cache: the current one only
    assert sorted(p.name for p in cache.iterdir()) == ["now"]


def test_reading_a_cached_judgement_marks_it_in_use(tmp_path: Path, monkeypatch):
    import os

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    data = tmp_path / "data"
    write_demo(data, scale="small", seed=1)
    session.judgement(data, as_of="2021-06-30")
    (store,) = [d for d in session.cache_dir().iterdir()]
    os.utime(store, (1_000_000, 1_000_000))
    session.judgement(data, "Aizkraukles novads", as_of="2021-06-30")
    assert store.stat().st_mtime > 1_000_000 + 3600


def test_pruning_never_removes_a_store_a_process_holds(tmp_path: Path):
    """Two batches of different periods on one --out: each prunes the other's judgement
    unless the other holds it (`use_store`) for as long as it runs."""
    cache = tmp_path / "cache"
    for key in ("h1", "h2"):
        (cache / key).mkdir(parents=True)
        (cache / key / session.META).write_bytes(b"")
    held = session.use_store(cache, "h1")
    session.prune_cache(cache, "h2", last=0)
    assert sorted(p.name for p in cache.iterdir()) == ["h1", "h1.lock", "h2"]
    held.close()
    session.prune_cache(cache, "h2", last=0)
    assert sorted(p.name for p in cache.iterdir()) == ["h2"]
    # a holder waiting while a pruner removes the store gets the new lock file, not the
    # removed one: it then finds the store gone and judges again
    again = session.use_store(cache, "h1")
    assert (cache / "h1.lock").stat().st_ino == os.fstat(again.fileno()).st_ino
    again.close()
