"""`pumpurs run`: failure isolation, crash safety, incremental runs, parallel = sequential,
no pupil pseudonym in a public batch, bad input refused before any kernel starts.

The batch is driven with tiny notebooks written here (same parameters as the real ones,
cheap cells), so these tests check the batch, not the reports' content. One end-to-end
test runs the real notebooks on the small demo data.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import nbformat
import pytest
import typer
from typer.testing import CliRunner

from conftest import valid_tables, write_folder
from pumpurs.cli import run as cli_run
from pumpurs.core.errors import InputError, SettingsError, TemporaryError, UsageError
from pumpurs.present.pdf import pdf_engine
from pumpurs.run import folders, model
from pumpurs.run import inputs as inputs_step
from pumpurs.run.batch import RunOptions, run_batch
from pumpurs.sources.files import sha256_file

ROOT = Path(__file__).resolve().parents[1]
PERIOD = "2020-H2"
THREE = ["Aizkraukles novads", "Rīga", "Ādažu novads"]
SLUGS3 = ["aizkraukles-novads", "riga", "adazu-novads"]

PARAMS = """data = "data/demo-small"
municipality = "Aizkraukles novads"
period = "2020-H2"
as_of = ""
audience = "internal"
lang = "lv"
output_dir = ""
programme_path = ""
fail = False"""

SETUP = """import os, time
from pathlib import Path
import pandas as pd
from pumpurs.run import session
from pumpurs.present.render import tables_to_xlsx
time.sleep(float(os.environ.get("PUMPURS_TEST_SLEEP", "0")))
j = session.judgement(data, MUNICIPALITY, as_of or None, programme_path or None)
if fail:
    raise RuntimeError(f"forced failure for {MUNICIPALITY}")"""

SHOW = """if audience == "internal":
    shown = j.plans[["plan_id", "student_id", "school_id"]]  # pseudonyms, on purpose
else:
    shown = pd.DataFrame({"plans": [len(j.plans)], "schools": [j.plans["school_id"].nunique()]})
shown"""

EXPORT = """if output_dir:
    tables_to_xlsx({"plans": shown}, Path(output_dir) / "report.xlsx", lang=lang)
    if audience == "internal" and WRITES_FINDINGS:
        j.findings.drop(columns=["entry_ids"]).to_csv(Path(output_dir) / "findings.csv")"""


def write_notebook(path: Path, overview: bool) -> Path:
    """A cheap notebook with the real notebooks' parameters (plus `fail` for the tests)."""
    params = PARAMS
    who = "None" if overview else "municipality"
    if overview:
        params = "\n".join(
            ln for ln in PARAMS.splitlines() if not ln.startswith(("municipality", "fail"))
        )
        params += "\nfail = False"
    cells = [
        nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell(SETUP.replace("MUNICIPALITY", who)),
        nbformat.v4.new_markdown_cell("# Pārskats — ā č ē ģ ī ķ ļ ņ š ū ž"),
        nbformat.v4.new_code_cell(SHOW),
        nbformat.v4.new_code_cell(EXPORT.replace("WRITES_FINDINGS", str(not overview))),
    ]
    for i, c in enumerate(cells):
        c["id"] = f"cell-{i}"
    nb = nbformat.v4.new_notebook(
        cells=cells,
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, path)
    return path


@pytest.fixture
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Tiny data, tiny notebooks, an empty params folder and a reports folder; the tiny
    notebooks' own judgement cache (they pass no judgement_path) is the test's own."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    write_notebook(notebooks / model.MUNICIPALITY_NOTEBOOK, overview=False)
    write_notebook(notebooks / model.OVERVIEW_NOTEBOOK, overview=True)
    params = tmp_path / "params"
    params.mkdir()
    return {
        "data": write_folder(tmp_path / "data"),
        "notebooks": notebooks,
        "params": params,
        "out": tmp_path / "reports",
        "tmp": tmp_path,
    }


def options(s: dict[str, Path], **kw: Any) -> RunOptions:
    base: dict[str, Any] = {
        "data": s["data"],
        "municipalities": list(THREE),
        "period": PERIOD,
        "out": s["out"],
        "notebooks": s["notebooks"],
        "params": s["params"],
        "workers": 2,
        "progress": False,
    }
    base.update(kw)
    return RunOptions(**base)


def run(s: dict[str, Path], **kw: Any) -> model.Outcome:
    return run_batch(options(s, **kw), echo=lambda _line: None)


def files_of(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def status_of(s: dict[str, Path]) -> dict[str, Any]:
    return json.loads((s["out"] / PERIOD / "status.json").read_text(encoding="utf-8"))["reports"]


STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d ")


def logged(output: str) -> list[str]:
    """The lines of a step's log without their times; every line must have one."""
    lines = output.splitlines()
    assert lines and all(STAMP.match(line) for line in lines), output
    return [STAMP.sub("", line) for line in lines]


def assert_complete(report_dir: Path) -> None:
    """A report folder holds a manifest whose every output exists with its hash."""
    manifest = json.loads((report_dir / "manifest.json").read_text(encoding="utf-8"))
    assert folders.outputs_intact(report_dir, manifest), report_dir
    assert {"report.ipynb", "report.html", "report.pdf", "report.xlsx"} <= set(manifest["outputs"])
    assert re.fullmatch(rf"{pdf_engine()} \d+(\.\d+)+", manifest["pdf_engine"]), manifest


# ---------------------------------------------------------------------------
# Failure isolation, --retry-failed, nothing-changed
# ---------------------------------------------------------------------------
def test_failure_is_isolated_kept_shown_and_retried(setup):
    s = setup
    first = run(s)
    assert first.exit_code == 0 and not first.failed
    period_dir = s["out"] / PERIOD
    for slug in SLUGS3:
        assert_complete(period_dir / slug)
    manifest = json.loads((period_dir / "riga" / "manifest.json").read_text(encoding="utf-8"))
    roles = {i["role"] for i in manifest["inputs"]}
    assert roles == {"data", "programme", "notebook"}
    assert manifest["parameters"]["municipality"] == "Rīga"
    assert manifest["pumpurs_version"] and manifest["code_hash"] and manifest["created"]
    assert (period_dir / "riga" / "findings.csv").is_file()

    # Nothing changed: nothing rendered, and no worker is even started.
    lines: list[str] = []
    again = run_batch(options(s), echo=lines.append)
    assert again.exit_code == 0 and not again.rendered and again.up_to_date == 3
    assert lines == ["nothing to render: 3 reports up to date"]

    # Rīga's notebook now fails: the others stay as they are, the old Rīga report too.
    good_riga = files_of(period_dir / "riga")
    others = {slug: files_of(period_dir / slug) for slug in SLUGS3 if slug != "riga"}
    (s["params"] / "riga.yaml").write_text('municipality: "Rīga"\nfail: true\n', "utf-8")
    failing = run(s)
    assert failing.exit_code == 1
    assert [r["id"] for r in failing.failed] == ["riga"]
    assert "forced failure for Rīga" in failing.failed[0]["error"]
    assert files_of(period_dir / "riga") == good_riga
    assert {slug: files_of(period_dir / slug) for slug in others} == others
    kept = nbformat.read(period_dir / "_failed" / "riga.ipynb", as_version=4)
    errors = [o for c in kept.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors and errors[0].evalue == "forced failure for Rīga"
    status = status_of(s)
    assert status["riga"]["status"] == "failed" and status["aizkraukles-novads"]["status"] == "ok"
    page = (period_dir / "index.html").read_text(encoding="utf-8")
    riga_row = re.search(r'<tr id="riga" class="failed">.*?</tr>', page, re.S)
    assert riga_row and "st-failed" in riga_row.group(0)
    assert "_failed/riga.ipynb" in riga_row.group(0) and "riga/report.html" in riga_row.group(0)
    assert not (period_dir / ".tmp").exists()

    # --retry-failed redoes only Rīga (still failing), then, once fixed, renders it.
    retry = run(s, municipalities=[], retry_failed=True)
    assert retry.exit_code == 1 and [r["id"] for r in retry.failed] == ["riga"]
    assert not retry.rendered
    (s["params"] / "riga.yaml").write_text('municipality: "Rīga"\nlang: en\n', "utf-8")
    fixed = run(s, municipalities=[], retry_failed=True)
    assert fixed.exit_code == 0 and [r["id"] for r in fixed.rendered] == ["riga"]
    assert not (period_dir / "_failed" / "riga.ipynb").exists()
    assert status_of(s)["riga"]["status"] == "empty"  # this fixture's Rīga declares nothing
    manifest = json.loads((period_dir / "riga" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["lang"] == "en" and any(i["role"] == "params" for i in manifest["inputs"])
    nothing = run(s, municipalities=[], retry_failed=True)
    assert nothing.exit_code == 0 and not nothing.rendered


def test_cli_exit_status_and_summary(setup):
    s = setup
    (s["params"] / "riga.yaml").write_text("fail: true\n", "utf-8")
    app = typer.Typer()
    app.command("run")(cli_run.run)
    app.command("doctor")(cli_run.doctor)
    args = [
        "run",
        str(s["data"]),
        "--municipality",
        "Rīga",
        "--municipality",
        "LV-002",
        "--period",
        PERIOD,
        "--out",
        str(s["out"]),
        "--notebooks",
        str(s["notebooks"]),
        "--params",
        str(s["params"]),
        "--workers",
        "1",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    lines = logged(result.output)
    assert "Rīga\tFAILED" in result.output and "Aizkraukles novads\tok" in result.output
    assert "1 report(s) FAILED" in result.output and "--retry-failed" in result.output
    assert lines[0].startswith(
        f"run started: {s['data']} --municipality 'Rīga' --municipality 'LV-002' --period "
        f"{PERIOD} --out {s['out']} (pumpurs "
    )
    assert re.fullmatch(
        r"run finished: 1 rendered, 1 failed, 0 up to date in \d+\.\d s \(exit 1\)", lines[-1]
    )


# ---------------------------------------------------------------------------
# Incremental: a change in one municipality's data re-renders it and the overview
# ---------------------------------------------------------------------------
def test_changed_data_rerenders_only_that_municipality_and_the_overview(setup):
    s = setup
    first = run(s, municipalities=[], all=True)
    assert first.exit_code == 0 and len(first.rendered) == 44
    period_dir = s["out"] / PERIOD
    assert_complete(period_dir / "overview")
    page = (period_dir / "index.html").read_text(encoding="utf-8")
    assert page.count("<tr id=") == 44 and "overview/report.html" in page

    tables = valid_tables()
    for row in tables["expenditures"]:
        if row["entry_id"] == "E4":  # a consultation of Kokneses novads (Aizkraukles novads)
            row["amount_eur"] = row["amount_eur"] - 5
    write_folder(s["data"], tables)
    second = run(s, municipalities=[], all=True)
    assert second.exit_code == 0
    assert sorted(r["id"] for r in second.rendered) == ["aizkraukles-novads", "overview"]
    assert second.up_to_date == 42
    # the judged data of the first run is gone: one judgement in the cache, not two
    assert len([d for d in (s["out"] / ".cache").iterdir() if d.is_dir()]) == 1

    # A change after the report date (as_of) changes no judgement: nothing to render.
    for row in tables["expenditures"]:
        if row["entry_id"] == "E6":  # paid 2021-07-01, after 2020-12-31
            row["amount_eur"] = row["amount_eur"] - 100
    write_folder(s["data"], tables)
    third = run(s, municipalities=[], all=True)
    assert third.exit_code == 0 and not third.rendered and third.up_to_date == 44


def test_a_rerun_with_nothing_new_reads_no_judgement_and_keeps_the_same_index(setup, monkeypatch):
    first = run(setup, municipalities=[], all=True)
    assert first.exit_code == 0 and len(first.rendered) == 44
    index = setup["out"] / PERIOD / "index.html"
    page = index.read_bytes()
    index.unlink()

    from pumpurs.run import session

    def no_reading(*_a: Any, **_k: Any) -> None:
        raise AssertionError("the stored judgement was read")

    monkeypatch.setattr(session, "read_judgement", no_reading)
    second = run(setup, municipalities=[], all=True)
    assert second.exit_code == 0 and not second.rendered and second.up_to_date == 44
    assert index.read_bytes() == page  # the same figures, kept beside the judgement


def test_a_batch_from_postgresql_rerenders_only_the_municipality_whose_rows_changed(
    setup, postgres_url
):
    from pumpurs.sources import load
    from pumpurs.sources.database import write_dataset
    from test_database import execute

    write_dataset(load(setup["data"]), postgres_url)
    first = run(setup, data=postgres_url)
    assert first.exit_code == 0 and len(first.rendered) == 3
    manifest = json.loads(
        (setup["out"] / PERIOD / "aizkraukles-novads" / "manifest.json").read_text("utf-8")
    )
    assert manifest["parameters"]["data"] == postgres_url
    assert [i["path"] for i in manifest["inputs"] if i["role"] == "data"] == [
        f"{postgres_url}#{t}"
        for t in ("expenditures", "outcomes", "partners", "schools", "support_plans")
    ]
    # one consultation of Kokneses novads (Aizkraukles novads), paid in the period
    execute(
        postgres_url, "UPDATE expenditures SET amount_eur = amount_eur - 5 WHERE entry_id = 'E4'"
    )
    second = run(setup, data=postgres_url)
    assert second.exit_code == 0
    assert [r["id"] for r in second.rendered] == ["aizkraukles-novads"]
    assert second.up_to_date == 2


# ---------------------------------------------------------------------------
# Parallel = sequential
# ---------------------------------------------------------------------------
def _normalised(folder: Path) -> dict[str, Any]:
    """Every file, with the times (and only the times) taken out."""
    out: dict[str, Any] = {}
    for name, data in files_of(folder).items():
        if name.endswith("manifest.json"):
            m = json.loads(data)
            for k in ("created", "seconds"):
                m.pop(k)
            out[name] = m
        elif name.endswith(".ipynb"):
            nb = json.loads(data)
            for cell in nb["cells"]:
                cell.get("metadata", {}).pop("execution", None)
            out[name] = nb
        elif name.endswith("status.json"):
            st = json.loads(data)["reports"]
            out[name] = {k: (v["status"], v["input_hash"]) for k, v in st.items()}
        elif name.endswith("index.html"):
            out[name] = re.sub(r'<td data-sort="[^"]*">[^<]*</td></tr>', "", data.decode())
        else:
            out[name] = data
    return out


def test_parallel_output_equals_sequential(setup):
    s = setup
    four = [*THREE, "LV-RIX"]  # Rīga twice (by code): one report
    parallel = run(s, municipalities=four, workers=2)
    sequential = run(s, municipalities=four, workers=1, out=s["tmp"] / "seq")
    assert parallel.exit_code == sequential.exit_code == 0
    assert len(parallel.rendered) == len(sequential.rendered) == 3
    a = _normalised(s["out"] / PERIOD)
    b = _normalised(s["tmp"] / "seq" / PERIOD)
    assert a.keys() == b.keys()
    for name in a:
        assert a[name] == b[name], name


# ---------------------------------------------------------------------------
# Public: no pupil pseudonym anywhere under reports/
# ---------------------------------------------------------------------------
def test_public_batch_leaks_no_pupil_pseudonym(setup):
    from pumpurs.report.privacy import assert_no_identifiers

    s = setup
    ids = {r["student_id"] for r in valid_tables()["support_plans"]}
    outcome = run(s, municipalities=[], all=True, audience="public", workers=2)
    assert outcome.exit_code == 0
    files = [p for p in s["out"].rglob("*") if p.is_file()]
    assert len(files) > 44 * 5
    leaks = {str(p): assert_no_identifiers(p.read_bytes(), ids) for p in files}
    assert {k: v for k, v in leaks.items() if v} == {}
    assert not (s["out"] / ".cache").exists()
    assert not list(s["out"].rglob("findings.csv"))
    # The scan does find them where they are: the internal report of the same data.
    internal = run(s, municipalities=["Aizkraukles novads"], out=s["tmp"] / "internal")
    assert internal.exit_code == 0
    page = (s["tmp"] / "internal" / PERIOD / "aizkraukles-novads" / "report.html").read_bytes()
    assert assert_no_identifiers(page, ids) == ["stu-a", "stu-b"]


# ---------------------------------------------------------------------------
# Bad input: exit 2 before any kernel starts, nothing written
# ---------------------------------------------------------------------------
@pytest.fixture
def no_kernels(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any) -> Any:
        raise AssertionError("a worker (and its kernel) was started")

    monkeypatch.setattr("pumpurs.run.worker.WorkerPool.start", refuse)


@pytest.mark.parametrize(
    "content, words",
    [
        ("municipality: Rīga\nlangg: en\n", ['unknown key "langg"', "Allowed keys:", "lang"]),
        ("output_dir: /tmp\n", ['"output_dir" is set by `pumpurs run`']),
        ("municipality: Aizkraukles novads\n", ["does not match the file name"]),
        ("lang: de\n", ['lang "de" is not valid']),
        ("- a\n- b\n", ["must be a mapping"]),
    ],
)
def test_bad_params_file_refused_before_any_kernel(setup, no_kernels, content, words):
    s = setup
    (s["params"] / "riga.yaml").write_text(content, "utf-8")
    with pytest.raises(SettingsError) as e:
        run(s)
    assert str(s["params"] / "riga.yaml") in str(e.value)
    for w in words:
        assert w in str(e.value)
    assert not s["out"].exists()


def test_misnamed_params_file_and_unknown_municipality_refused(setup, no_kernels):
    s = setup
    with pytest.raises(UsageError, match="Atlantīda"):
        run(s, municipalities=["Atlantīda"])
    (s["params"] / "rigaa.yaml").write_text("lang: en\n", "utf-8")
    with pytest.raises(SettingsError, match="rigaa.yaml: the file name is not"):
        run(s)
    assert not s["out"].exists()


def test_bad_calls_refused(setup, no_kernels):
    s = setup
    with pytest.raises(UsageError, match="--all"):
        run(s, municipalities=[])
    with pytest.raises(UsageError, match="not both"):
        run(s, all=True)
    with pytest.raises(UsageError, match="--audience"):
        run(s, audience="everyone")
    with pytest.raises(UsageError, match="reporting period"):
        run(s, period="2020-H3")
    with pytest.raises(UsageError, match="--workers"):
        run(s, workers=0)
    assert not s["out"].exists()


def test_bad_data_exits_2_and_writes_nothing(setup):
    s = setup
    tables = valid_tables()
    tables["expenditures"][0]["amount_eur"] = "12,3,4"
    write_folder(s["data"], tables)
    app = typer.Typer()
    app.command("run")(cli_run.run)
    app.command("doctor")(cli_run.doctor)
    args = ["run", str(s["data"]), "--all", "--period", PERIOD, "--out", str(s["out"])]
    args += ["--notebooks", str(s["notebooks"]), "--params", str(s["params"])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "problem" in result.output
    assert not s["out"].exists()
    with pytest.raises(InputError):
        run(s)


def test_default_period_is_the_last_complete_half_year(setup, no_kernels):
    import datetime as dt

    inputs = inputs_step.validate_inputs(options(setup, period=None, today=dt.date(2021, 3, 1)))
    assert inputs.period.label == "2020-H2" and inputs.as_of == dt.date(2020, 12, 31)
    # after the programme's end (2023-12 with the extension) its final half-year stays
    inputs = inputs_step.validate_inputs(options(setup, period=None, today=dt.date(2026, 11, 29)))
    assert inputs.period.label == "2023-H2" and inputs.as_of == dt.date(2023, 12, 31)
    inputs = inputs_step.validate_inputs(options(setup, as_of="2020-10-15"))  # a draft
    assert inputs.reports[0].parameters["as_of"] == "2020-10-15"


@pytest.mark.parametrize(
    ("period", "as_of", "holds"),
    [("2021-H1", "2019-01-01", "2019-H1"), ("2020-H2", "2021-01-01", "2021-H1")],
    ids=["before-the-period", "after-the-period"],
)
def test_an_as_of_outside_the_period_is_refused(setup, no_kernels, period, as_of, holds):
    """A report date before the half-year replaced its report with one of €0.00."""
    s = setup
    first, last = {
        "2021-H1": ("2021-01-01", "2021-06-30"),
        "2020-H2": ("2020-07-01", "2020-12-31"),
    }[period]
    app = typer.Typer()
    app.command("run")(cli_run.run)
    app.command("doctor")(cli_run.doctor)
    args = ["run", str(s["data"]), "--all", "--period", period, "--as-of", as_of]
    args += ["--out", str(s["out"]), "--notebooks", str(s["notebooks"])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert logged(result.output)[1:] == [
        f"--as-of {as_of} is outside the period {period} ({first} to {last}); give a report "
        f"date within it, or --period {holds} for a report at {as_of}",
        "run finished: nothing done, the input or the call is wrong (exit 2)",
    ]
    assert not s["out"].exists()


# ---------------------------------------------------------------------------
# Crash safety: SIGKILL mid-batch
# ---------------------------------------------------------------------------
EIGHT = ["Aizkraukles novads", "Rīga", "Ādažu novads", "Alūksnes novads", "Balvu novads"]
EIGHT += ["Bauskas novads", "Cēsu novads", "Dobeles novads"]


def _batch_process(s: dict[str, Path], marker: str, sleep: str = "0") -> subprocess.Popen[bytes]:
    """The batch in its own process (to be killed), with a marker in its environment."""
    code = (
        "import sys; from pathlib import Path\n"
        "from pumpurs.run.batch import RunOptions, run_batch\n"
        f"o = RunOptions(data=Path({str(s['data'])!r}), municipalities={EIGHT!r}, "
        f"period={PERIOD!r}, out=Path({str(s['out'])!r}), "
        f"notebooks=Path({str(s['notebooks'])!r}), params=Path({str(s['params'])!r}), "
        "workers=2, progress=False)\n"
        "sys.exit(run_batch(o).exit_code)\n"
    )
    env = {**os.environ, "PUMPURS_TEST_SLEEP": sleep, "PUMPURS_TEST_MARKER": marker}
    return subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _marked_processes(marker: str) -> list[int]:
    """Processes (workers, kernels) that inherited the marker: they must not outlive a batch."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            if f"PUMPURS_TEST_MARKER={marker}".encode() in (d / "environ").read_bytes():
                found.append(int(d.name))
        except OSError:
            continue
    return found


def test_sigkill_mid_batch_leaves_no_half_report_and_a_rerun_finishes(setup):
    s = setup
    marker = uuid.uuid4().hex
    proc = _batch_process(s, marker, sleep="0.5")
    period_dir = s["out"] / PERIOD
    deadline = time.monotonic() + 180
    done: list[Path] = []
    try:
        while not done and time.monotonic() < deadline:
            done = list(period_dir.glob("*/manifest.json")) if period_dir.exists() else []
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            time.sleep(0.02)
        assert done, "no report appeared in time"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    # Every report folder in place is complete; unfinished work is only in .tmp/.
    placed = [d for d in period_dir.iterdir() if d.is_dir() and not d.name.startswith((".", "_"))]
    assert 1 <= len(placed) < len(EIGHT)
    for d in placed:
        assert_complete(d)
    before = {d.name: files_of(d) for d in placed}
    # The workers and their kernels go with the batch.
    deadline = time.monotonic() + 30
    while _marked_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _marked_processes(marker) == []

    rerun = _batch_process(s, uuid.uuid4().hex)
    output = rerun.communicate(timeout=300)[0].decode()
    assert rerun.returncode == 0, output
    assert not (period_dir / ".tmp").exists()
    assert f"{len(placed)} up to date" in output  # the reports made before the kill stay
    for name, files in before.items():
        assert files_of(period_dir / name) == files
    for slug in ("aizkraukles-novads", "riga", "dobeles-novads"):
        assert_complete(period_dir / slug)


def test_recover_interrupted_puts_an_old_report_back(tmp_path):
    period_dir = tmp_path / PERIOD
    (period_dir / ".tmp" / "riga.old-1234").mkdir(parents=True)
    (period_dir / ".tmp" / "riga.old-1234" / "report.html").write_text("old")
    (period_dir / ".tmp" / "liepaja.new-5678").mkdir()
    (period_dir / ".tmp" / "jelgava.old-9").mkdir()
    (period_dir / "jelgava").mkdir()
    folders.recover_interrupted(period_dir)
    assert (period_dir / "riga" / "report.html").read_text() == "old"
    assert list((period_dir / ".tmp").iterdir()) == []
    assert (period_dir / "jelgava").is_dir()


def test_a_report_another_process_renders_is_refused_with_exit_75(setup, monkeypatch):
    """A lock held by another run is a temporary failure (75, EX_TEMPFAIL), not bad input:
    a retry wrapper or systemd's OnFailure= tells them apart. Nothing is rendered."""
    s = setup
    monkeypatch.setattr("pumpurs.run.worker.WorkerPool.start", lambda self: self)
    app = typer.Typer()
    app.command("run")(cli_run.run)
    app.command("doctor")(cli_run.doctor)
    args = ["run", str(s["data"]), "--municipality", "Rīga", "--municipality", "LV-002"]
    args += ["--period", PERIOD, "--out", str(s["out"]), "--notebooks", str(s["notebooks"])]
    args += ["--params", str(s["params"])]
    period_dir = s["out"] / PERIOD
    with folders.reports_locked(period_dir, ["riga"]):
        result = CliRunner().invoke(app, args)
        with pytest.raises(TemporaryError) as e, folders.reports_locked(period_dir, ["riga"]):
            pass
    assert result.exit_code == 75, result.output
    assert logged(result.output)[1:] == [
        f"another pumpurs process is rendering riga in {period_dir}; nothing was rendered. "
        "Run again when it has finished",
        "run finished: nothing done, a temporary failure; run again later (exit 75)",
    ]
    assert str(e.value) == logged(result.output)[1]
    assert not (period_dir / "aizkraukles-novads").exists()
    assert not (period_dir / "status.json").exists()
    # another report of the same period is not locked by it
    with folders.reports_locked(period_dir, ["riga"]), folders.reports_locked(period_dir, ["x"]):
        pass


# ---------------------------------------------------------------------------
# The real notebooks, end to end, on the small demo data
# ---------------------------------------------------------------------------
@pytest.mark.slow  # 29 s alone on 2 idle cores, 90 s beside other tests (47 real reports)
def test_end_to_end_with_the_real_notebooks(tmp_path):
    from pumpurs.demo import write_demo

    data = tmp_path / "demo"
    write_demo(data, scale="small", seed=1)
    out = tmp_path / "reports"
    outcome = run_batch(
        RunOptions(data=data, all=True, period=PERIOD, out=out, progress=False),
        echo=lambda _line: None,
    )
    assert outcome.failed == [], outcome.failed
    assert outcome.exit_code == 0 and len(outcome.rendered) == 44
    period_dir = out / PERIOD
    for d in [*(m for m in period_dir.iterdir() if (m / "manifest.json").is_file())]:
        assert_complete(d)
    assert (period_dir / "aizkraukles-novads" / "findings.csv").is_file()
    html = (period_dir / "aizkraukles-novads" / "report.html").read_text(encoding="utf-8")
    assert "Aizkraukles novads" in html and "injected-parameters" not in html
    index = (period_dir / "index.html").read_text(encoding="utf-8")
    assert "aizkraukles-novads/report.pdf" in index and "overview/report.html" in index

    # The real notebooks, public: no pseudonym in any file (the municipalities with data).
    from pumpurs.report.privacy import assert_no_identifiers
    from pumpurs.sources.folder import load_data

    plans = load_data(data).support_plans
    ids = set(plans["student_id"]) | set(plans["plan_id"])
    public = tmp_path / "public"
    with_data = ["Aizkraukles novads", "Madonas novads", "Rīga"]
    outcome = run_batch(
        RunOptions(
            data=data,
            municipalities=with_data,
            period=PERIOD,
            out=public,
            audience="public",
            progress=False,
        ),
        echo=lambda _line: None,
    )
    assert outcome.exit_code == 0
    leaks = {
        str(p): assert_no_identifiers(p.read_bytes(), ids) for p in public.rglob("*") if p.is_file()
    }
    assert {k: v for k, v in leaks.items() if v} == {}


def test_one_report_starts_from_its_own_rows_and_equals_one_from_the_national_store(tmp_path):
    """A cold run of one municipality renders from an early store of its rows while the
    national store is written; the report is the one the national store gives."""
    from pumpurs.demo import write_demo
    from pumpurs.run import session

    data = tmp_path / "demo"
    write_demo(data, scale="small", seed=1)
    out = tmp_path / "reports"
    opts = RunOptions(
        data=data, municipalities=["Aizkraukles novads"], period=PERIOD, out=out,
        workers=1, progress=False,
    )  # fmt: skip
    seen: list[str] = []
    real = session.write_judgement

    def spy(j, folder, only=(), rest_in=None):
        seen.append("early" if only else "national")
        return real(j, folder, only=only, rest_in=rest_in)

    session.write_judgement = spy
    try:
        assert run_batch(opts, echo=lambda _line: None).exit_code == 0
        report = out / PERIOD / "aizkraukles-novads"
        first = {
            n: (report / n).read_bytes() for n in ("report.ipynb", "report.html", "findings.csv")
        }
        assert run_batch(replace(opts, force=True), echo=lambda _line: None).exit_code == 0
    finally:
        session.write_judgement = real
    assert seen == ["early", "national"]  # the second run read the national store
    for n, before in first.items():
        assert (report / n).read_bytes() == before, n
    (store,) = [d for d in (out / ".cache").iterdir() if d.is_dir()]  # the early store is gone
    assert session.is_stored(store.name, out / ".cache")
    nb = nbformat.read(report / "report.ipynb", as_version=4)
    assert nb.metadata["papermill"]["parameters"]["judgement_path"] == str(store)


# ---------------------------------------------------------------------------
# index.html
# ---------------------------------------------------------------------------
def test_index_page_is_sortable_offline_and_formats_money():
    import datetime as dt

    from pumpurs.present.index_page import Figures, IndexRow, index_html
    from pumpurs.present.render import external_resources

    rows = [
        IndexRow(
            id="riga",
            name="Rīga",
            code="LV-RIX",
            status="failed",
            figures=Figures(123456, 5000, 0.5, 3),
            error="ValueError: <boom>",
            failed_notebook="_failed/riga.ipynb",
            links={"PDF": "riga/report.pdf"},
        ),
        IndexRow(
            id="jelgava",
            name="Jelgava",
            code="LV-JEL",
            status="ok",
            figures=Figures(0, 0, None, 0),
            links={"HTML": "jelgava/report.html"},
            rendered="2021-01-05T10:30:00+02:00",
        ),
    ]
    page = index_html(rows, None, "2020-H2", dt.date(2020, 12, 31), "lv", "internal")
    assert external_resources(page) == []
    assert "<script src" not in page and "addEventListener('click'" in page
    assert "1\u00a0234,56\u00a0€" in page and "50,0\u00a0%" in page
    assert '<tr id="riga" class="failed">' in page and "ValueError: &lt;boom&gt;" in page
    assert "iepriekšējais pārskats" in page and "neizdevās" in page
    assert "05.01.2021 10:30" in page
    assert 'data-sort="123456"' in page  # sorted by the number, not the text
    en = index_html(rows, None, "2020-H2", dt.date(2020, 12, 31), "en", "public")
    assert "€1,234.56" in en and "failed" in en and "public" in en


# ---------------------------------------------------------------------------
# A public folder stays public
# ---------------------------------------------------------------------------
def test_a_public_folder_stays_public_and_keeps_no_pupil_detail(setup):
    s = setup
    from pumpurs.report.privacy import assert_no_identifiers
    from pumpurs.sources.folder import load_data

    plans = load_data(s["data"]).support_plans
    ids = set(plans["student_id"]) | set(plans["plan_id"])
    # Rīga fails with a message quoting a pupil's pseudonym, taken from the data.
    nb = s["notebooks"] / model.MUNICIPALITY_NOTEBOOK
    book = nbformat.read(nb, as_version=4)
    book.cells[1].source = book.cells[1].source.replace(
        'raise RuntimeError(f"forced failure for {municipality}")',
        "raise RuntimeError(f\"plan of pupil {sorted(j.dataset.support_plans['student_id'])[0]}"
        ' has no school")',
    )
    nbformat.write(book, nb)
    (s["params"] / "riga.yaml").write_text('municipality: "Rīga"\nfail: true\n', "utf-8")
    first = run(s, audience="public")
    assert first.exit_code == 1
    assert "plan of pupil stu-" in first.failed[0]["error"]  # the operator's log has details
    period_dir = s["out"] / PERIOD
    status = (period_dir / "status.json").read_text(encoding="utf-8")
    assert assert_no_identifiers(status, ids) == [] and json.loads(status)["audience"] == "public"
    assert not (period_dir / "_failed").exists()  # no failed notebook in a public folder
    assert not (s["out"] / ".cache").exists()  # the judged slices never enter the folder

    # --retry-failed (no --audience) renders in the folder's audience: still public.
    (s["params"] / "riga.yaml").write_text('municipality: "Rīga"\naudience: internal\n', "utf-8")
    retry = run(s, municipalities=[], retry_failed=True)
    assert retry.exit_code == 0 and [r["id"] for r in retry.rendered] == ["riga"]
    assert not (period_dir / "riga" / "findings.csv").exists()
    manifest = json.loads((period_dir / "riga" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["parameters"]["audience"] == "public"
    from pumpurs.report.privacy import assert_no_identifiers

    leaks = {
        str(p): assert_no_identifiers(p.read_bytes(), ids)
        for p in s["out"].rglob("*")
        if p.is_file()
    }
    assert {k: v for k, v in leaks.items() if v} == {}

    # An internal report cannot be written into the public folder.
    with pytest.raises(UsageError, match="holds public reports; write --audience internal"):
        run(s, audience="internal")


def test_background_threads_yield_to_the_reports_and_leave_the_batch_as_it_was():
    """The national store (beside an early store) and the index's figures run on threads
    below the workers' priority; on Linux a thread's niceness is its own (and its new
    threads'), so the batch's own thread keeps its priority."""
    from concurrent.futures import ThreadPoolExecutor

    from pumpurs.run import batch, worker

    def seen() -> tuple[int, int]:
        with ThreadPoolExecutor(1) as inner:  # what write_judgement's pool threads get
            return os.nice(0), inner.submit(os.nice, 0).result()

    before = os.nice(0)
    with ThreadPoolExecutor(1) as pool:
        own, inner = pool.submit(batch._yielding, seen).result()
    assert os.nice(0) == before
    expected = min(19, before + batch.BACKGROUND_NICENESS) if sys.platform == "linux" else before
    assert (own, inner) == (expected, expected)
    assert batch.BACKGROUND_NICENESS > worker.WORKER_NICENESS


# ---------------------------------------------------------------------------
# Two batches of different periods on one --out; data written while it is read
# ---------------------------------------------------------------------------
READS_STORE = """import os, time
from pathlib import Path
import pandas as pd
from pumpurs.run import session
from pumpurs.present.render import tables_to_xlsx
if os.environ.get("PUMPURS_TEST_GO"):  # another batch runs meanwhile
    Path(os.environ["PUMPURS_TEST_STARTED"]).touch()
    deadline = time.monotonic() + 120
    while not Path(os.environ["PUMPURS_TEST_GO"]).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
j = session.judgement(data, municipality, as_of or None, programme_path or None,
                      judgement_path=judgement_path or None)"""


def test_two_batches_of_different_periods_on_one_out_leave_each_other_their_store(setup):
    """Each batch prunes the judgements it does not use from <out>/.cache; one still
    rendering from its store keeps it (28 of 44 reports failed on meta.pkl before)."""
    s = setup
    books = s["tmp"] / "store-notebooks"
    books.mkdir()
    nb = nbformat.read(write_notebook(books / model.MUNICIPALITY_NOTEBOOK, False), as_version=4)
    nb.cells[0].source += '\njudgement_path = ""'
    nb.cells[1].source = READS_STORE
    nbformat.write(nb, books / model.MUNICIPALITY_NOTEBOOK)
    started, go = s["tmp"] / "started", s["tmp"] / "go"
    code = (
        "import sys; from pathlib import Path\n"
        "from pumpurs.run.batch import RunOptions, run_batch\n"
        f"o = RunOptions(data=Path({str(s['data'])!r}), municipalities={THREE[:2]!r}, "
        f"period={PERIOD!r}, out=Path({str(s['out'])!r}), notebooks=Path({str(books)!r}), "
        f"params=Path({str(s['params'])!r}), workers=1, progress=False)\n"
        "sys.exit(run_batch(o).exit_code)\n"
    )
    env = {**os.environ, "PUMPURS_TEST_STARTED": str(started), "PUMPURS_TEST_GO": str(go)}
    first = subprocess.Popen(
        [sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 180
        while not started.exists() and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert started.exists(), first.communicate()[0].decode()
        other = run(s, municipalities=THREE[:1], period="2021-H1", notebooks=books, workers=1)
        assert other.exit_code == 0, other.failed
        go.touch()
        output = first.communicate(timeout=180)[0].decode()
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 0, output
    for period, slugs in ((PERIOD, SLUGS3[:2]), ("2021-H1", SLUGS3[:1])):
        for slug in slugs:
            assert_complete(s["out"] / period / slug)
    assert len([d for d in (s["out"] / ".cache").iterdir() if d.is_dir()]) == 2


def _changing(s: dict[str, Path], times: int, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Rewrite the data folder while the batch reads it, the first `times` reads."""
    from pumpurs.run import batch, session

    monkeypatch.setattr(batch, "READ_WAIT_SECONDS", 0.0)
    real = session.load_and_judge
    seen: list[str] = []

    def judged_while_written(data, programme, as_of):
        j = real(data, programme, as_of)
        if len(seen) < times:
            tables = valid_tables()
            tables["expenditures"][0]["amount_eur"] += len(seen) + 1
            write_folder(s["data"], tables)
        seen.append(str(j.ledger["amount_cents"].sum()))
        return j

    monkeypatch.setattr(session, "load_and_judge", judged_while_written)
    return seen


def test_data_written_while_read_is_read_again(setup, monkeypatch, no_kernels):
    s = setup
    seen = _changing(s, 2, monkeypatch)
    inputs = inputs_step.validate_inputs(options(s))
    from pumpurs.run.batch import prepare_shared

    with contextlib.closing(prepare_shared(inputs)) as shared:
        assert len(seen) == 3 and len(set(seen)) == 3  # judged three versions of the data
        assert str(shared.judged.ledger["amount_cents"].sum()) == seen[-1]
        (recorded,) = [f for f in shared.data_files if f["path"].endswith("expenditures.csv")]
        assert recorded["sha256"] == sha256_file(s["data"] / "expenditures.csv")


def test_data_that_keeps_changing_is_a_temporary_failure(setup, monkeypatch):
    s = setup
    monkeypatch.setattr("pumpurs.run.worker.WorkerPool.start", lambda self: self)
    seen = _changing(s, 10, monkeypatch)
    app = typer.Typer()
    app.command("run")(cli_run.run)
    app.command("doctor")(cli_run.doctor)
    args = ["run", str(s["data"]), "--all", "--period", PERIOD, "--out", str(s["out"])]
    args += ["--notebooks", str(s["notebooks"]), "--params", str(s["params"])]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 75, result.output
    assert len(seen) == 4
    assert logged(result.output)[1:] == [
        f"{s['data']}: the data changed while it was being read, 4 times in a row; nothing "
        "was rendered. Run again once the files are complete (or copy them to a folder "
        "nobody writes to)",
        "run finished: nothing done, a temporary failure; run again later (exit 75)",
    ]
    assert not (s["out"] / PERIOD).exists()


def test_a_batch_renders_when_home_cannot_be_written(setup):
    """A service account without a writable home (systemd User= without one): the kernels'
    runtime folders go to a private folder of the batch's, and the report is made. (Root
    writes anywhere: a file in the way stands for a home that cannot be written.)"""
    from pumpurs.run.runtime import FOLDERS

    s = setup
    home = s["tmp"] / "home"
    home.write_text("not a folder")
    code = (
        "import sys; from pathlib import Path\n"
        "from pumpurs.run.batch import RunOptions, run_batch\n"
        f"o = RunOptions(data=Path({str(s['data'])!r}), municipalities=['Rīga'], "
        f"period={PERIOD!r}, out=Path({str(s['out'])!r}), notebooks=Path({str(s['notebooks'])!r}), "
        f"params=Path({str(s['params'])!r}), workers=1, progress=False)\n"
        "sys.exit(run_batch(o).exit_code)\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in FOLDERS}
    # a short TMPDIR: Chromium's profile socket lives there, and a UNIX socket's path may
    # not pass 107 bytes (pytest-xdist's tmp paths under a long test name do)
    tmp = Path(tempfile.mkdtemp(prefix="ph"))
    env.update(HOME=str(home), TMPDIR=str(tmp))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert_complete(s["out"] / PERIOD / "riga")
    private = tmp / f"pumpurs-{os.getuid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    assert logged(done.stdout)[: len(FOLDERS)] == [
        f"{var}={private / var.lower()}: its default folder cannot be written" for var in FOLDERS
    ]


# ---------------------------------------------------------------------------
# The batch as steps: judge once, render in several processes at once, index
# ---------------------------------------------------------------------------
def test_three_processes_render_one_period_from_one_store_and_the_index_is_complete(setup):
    from pumpurs.run import steps

    s = setup
    books = s["tmp"] / "store-notebooks"
    books.mkdir()
    nb = nbformat.read(write_notebook(books / model.MUNICIPALITY_NOTEBOOK, False), as_version=4)
    nb.cells[0].source += '\njudgement_path = ""'
    nb.cells[1].source = READS_STORE
    nbformat.write(nb, books / model.MUNICIPALITY_NOTEBOOK)
    write_notebook(books / model.OVERVIEW_NOTEBOOK, True)
    store = steps.judge(RunOptions(data=s["data"], period=PERIOD, out=s["out"]))
    assert store.parent == s["out"] / ".cache" and (store / "pinned").is_file()

    def render(*which: str) -> subprocess.Popen[str]:
        call = [sys.executable, "-m", "pumpurs.cli", "render", "--store", str(store), *which]
        call += ["--out", str(s["out"]), "--notebooks", str(books), "--params", str(s["params"])]
        return subprocess.Popen(
            [*call, "--workers", "1"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )

    procs = [
        render("--municipality", "Aizkraukles novads"),
        render("--municipality", "Rīga", "--municipality", "Ādažu novads"),
        render("--overview"),
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    assert logged(outputs[0])[-1].startswith("render finished: 1 rendered, 0 failed, 0 up to")
    period_dir = s["out"] / PERIOD
    status = status_of(s)
    assert sorted(status) == sorted([*SLUGS3, "overview"])
    judged_at = json.loads((period_dir / "status.json").read_text(encoding="utf-8"))
    assert judged_at["judgement"] == store.name
    for rid in [*SLUGS3, "overview"]:
        assert_complete(period_dir / rid)
        manifest = json.loads((period_dir / rid / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["period"] == PERIOD and manifest["as_of"] == "2020-12-31"
    assert not (period_dir / "index.html").exists()  # the index is a step of its own

    app = typer.Typer()
    app.command("index")(cli_run.index)
    app.command("doctor")(cli_run.doctor)
    done = CliRunner().invoke(app, ["index", str(period_dir)])
    assert done.exit_code == 0, done.output
    assert logged(done.output)[-1] == f"index finished: wrote {period_dir / 'index.html'} (exit 0)"
    page = (period_dir / "index.html").read_text(encoding="utf-8")
    rows = dict(re.findall(r'<tr id="([^"]+)" class="([^"]+)">', page))
    assert len(rows) == 44
    assert {rid: rows[rid] for rid in [*SLUGS3, "overview"]} == {
        rid: status[rid]["status"] for rid in [*SLUGS3, "overview"]
    }
    assert set(rows.values()) - {"ok", "empty"} == {"missing"}
    assert sum(v == "missing" for v in rows.values()) == 40


def test_the_steps_refuse_what_is_not_theirs(setup, no_kernels):
    """A store that is no store, a period folder without status, judged data beside a
    public folder: exit 2, one line, nothing written."""
    from pumpurs.cli import app

    s = setup
    runner = CliRunner()
    nowhere = s["tmp"] / "nowhere"
    done = runner.invoke(app, ["render", "--store", str(nowhere), "--all", "--out", str(s["out"])])
    assert done.exit_code == 2, done.output
    assert logged(done.output)[1:] == [
        f"--store {nowhere}: not a store written by `pumpurs judge` (or removed since); run "
        "`pumpurs judge DATA --period P` and give the path it prints",
        "render finished: nothing done, the input or the call is wrong (exit 2)",
    ]
    done = runner.invoke(app, ["index", str(s["out"] / PERIOD)])
    assert done.exit_code == 2, done.output
    assert logged(done.output)[1] == (
        f"{s['out'] / PERIOD}: no status.json here; give the period folder a `pumpurs render` "
        "or `pumpurs run` wrote to (OUT/PERIOD, e.g. reports/2021-H1)"
    )
    assert not s["out"].exists()
    (s["out"] / "2020-H1").mkdir(parents=True)
    (s["out"] / "2020-H1" / "status.json").write_text('{"audience": "public"}', "utf-8")
    done = runner.invoke(app, ["judge", str(s["data"]), "--period", PERIOD, "--out", str(s["out"])])
    assert done.exit_code == 2, done.output
    assert logged(done.output)[1] == (
        f"{s['out']} holds public reports: judged data (pupil level) is never kept beside "
        "them; give --cache a folder of your own for it"
    )
    assert sorted(p.name for p in s["out"].iterdir()) == ["2020-H1"]
