"""`pumpurs doctor`: each check says OK/WARN/FAIL and why; any FAIL exits 1."""

from __future__ import annotations

from pathlib import Path

import typer
from typer.testing import CliRunner

from pumpurs.cli import run as cli_run
from pumpurs.run import doctor
from pumpurs.run.doctor import FAIL, OK, WARN, Check
from pumpurs.run.runtime import FOLDERS

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def test_pdf_check_reads_latvian_text_back():
    c = doctor.check_pdf()
    assert c.status == OK, c.detail
    assert doctor.PHRASE in c.detail


def test_kernel_check_runs_one_plus_one():
    c = doctor.check_kernel()
    assert c.status == OK, c.detail
    assert "1+1 = 2" in c.detail


def test_kernel_check_fails_for_a_missing_kernel():
    c = doctor.check_kernel("no-such-kernel", timeout=10)
    assert c.status == FAIL and "did not start" in c.detail


def test_fonts_check(monkeypatch):
    c = doctor.check_fonts()
    assert c.status in (OK, FAIL)
    monkeypatch.setattr(doctor.shutil, "which", lambda name: None)
    c = doctor.check_fonts()
    assert c.status == FAIL and "fontconfig" in c.detail


def test_writable_check(tmp_path):
    assert doctor.check_writable(tmp_path / "not" / "yet").status in (OK, WARN)
    assert not (tmp_path / "not").exists()  # checking creates nothing
    blocker = tmp_path / "file"
    blocker.write_text("x")
    c = doctor.check_writable(blocker / "reports")
    assert c.status == FAIL and "not a folder" in c.detail


def test_chromium_is_only_a_warning(monkeypatch):
    from pumpurs.present import pdf

    monkeypatch.delenv("PUMPURS_CHROMIUM", raising=False)
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    c = doctor.check_chromium()
    assert c.status == WARN
    assert c.detail == (
        "chromium not found: PDFs use WeasyPrint, about five times slower "
        "(apt-get install chromium, or name the browser in PUMPURS_CHROMIUM)"
    )


def test_notebooks_check_names_a_bad_params_file(tmp_path):
    import nbformat

    books = tmp_path / "notebooks"
    books.mkdir()
    common = 'data = ""\nperiod = ""\nas_of = ""\naudience = ""\nlang = "lv"\noutput_dir = ""'
    for name, params in (
        ("municipality_report.ipynb", common + '\nmunicipality = ""'),
        ("programme_overview.ipynb", common),
    ):
        cell = nbformat.v4.new_code_cell(params, metadata={"tags": ["parameters"]})
        nb = nbformat.v4.new_notebook(cells=[cell], metadata={"kernelspec": KERNELSPEC})
        nbformat.write(nb, books / name)
    params = tmp_path / "params"
    params.mkdir()
    assert doctor.check_notebooks(books, params=params).status == OK
    (params / "riga.yaml").write_text("lnag: en\n", encoding="utf-8")
    c = doctor.check_notebooks(books, params=params)
    assert c.status == FAIL and "riga.yaml" in c.detail and "lnag" in c.detail
    assert doctor.check_notebooks(tmp_path / "none", params=params).status == FAIL
    (params / "riga.yaml").unlink()
    empty = nbformat.v4.new_notebook(cells=[], metadata={"kernelspec": KERNELSPEC})
    nbformat.write(empty, books / "programme_overview.ipynb")
    c = doctor.check_notebooks(books, params=params)
    assert c.status == FAIL and "lacks data, period" in c.detail


def test_report_and_exit_status(monkeypatch, capsys):
    assert doctor.print_report([Check("a", OK, "fine"), Check("b", WARN, "meh")]) == 0
    assert doctor.print_report([Check("a", OK, "fine"), Check("c", FAIL, "broken")]) == 1
    printed = capsys.readouterr().out
    assert "FAIL" in printed and "broken" in printed

    app = typer.Typer()
    app.command("run")(cli_run.run)
    app.command("doctor")(cli_run.doctor)
    monkeypatch.setattr(doctor, "run_checks", lambda out, data: [Check("x", FAIL, "no")])
    assert CliRunner().invoke(app, ["doctor"]).exit_code == 1
    monkeypatch.setattr(doctor, "run_checks", lambda out, data: [Check("x", OK, "yes")])
    assert CliRunner().invoke(app, ["doctor", "--out", str(Path("reports"))]).exit_code == 0


def test_every_check_runs_even_when_one_crashes(monkeypatch, tmp_path):
    def boom() -> Check:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(doctor, "check_kernel", boom)
    monkeypatch.setattr(doctor, "check_pdf", lambda: Check("pdf", OK, "stub"))
    checks = doctor.run_checks(tmp_path)
    names = [c.name for c in checks]
    assert names[:2] == ["runtime", "python"] and "chromium" in names and len(checks) == 8
    crashed = [c for c in checks if "unexpected" in c.detail]
    assert crashed and crashed[0].status == FAIL


def test_the_data_check_reaches_a_database_and_names_what_is_missing(tmp_path):
    from conftest import write_folder
    from pumpurs.sources import load
    from pumpurs.sources.database import write_dataset

    url = str(tmp_path / "x.duckdb")
    write_dataset(load(write_folder(tmp_path / "folder")), url)
    c = doctor.check_data(url)
    assert c.status == OK and c.detail.startswith(f"{url}: reached in ")
    assert c.detail.endswith("tables expenditures, outcomes, partners, schools, support_plans")
    import duckdb

    with duckdb.connect(url) as con:
        con.execute("DROP TABLE schools")
    c = doctor.check_data(url)
    assert (c.status, c.detail) == (FAIL, f"{url}: reached, but the table(s) schools are missing")
    c = doctor.check_data(str(tmp_path / "none.duckdb"))
    assert (c.status, c.detail) == (
        FAIL,
        f"{tmp_path / 'none.duckdb'}: no such DuckDB file; give the file's path",
    )


HOMELESS = """
import json
from pumpurs.run.doctor import check_kernel, check_runtime
before = check_kernel()
runtime = check_runtime()
after = check_kernel()
print(json.dumps([[c.status, c.detail] for c in (before, runtime, after)]))
"""


def test_a_home_that_cannot_be_written_fails_the_kernel_until_the_batch_folders_are_set(
    tmp_path,
):
    """A service account without a writable home: doctor used to pass while every report's
    kernel failed on ~/.local; now doctor starts its kernel where the batch's go, and sets
    them as the batch does. (Root writes anywhere: a file in the way stands for a home
    that cannot be written.)"""
    import json
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    home.write_text("not a folder")
    env = {k: v for k, v in os.environ.items() if k not in FOLDERS}
    env["HOME"] = str(home)
    env["TMPDIR"] = str(tmp_path)
    done = subprocess.run(
        [sys.executable, "-c", HOMELESS], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    before, runtime, after = json.loads(done.stdout.splitlines()[-1])
    assert before[0] == FAIL and before[1].startswith(
        f"the python3 kernel did not start: [Errno 20] Not a directory: '{home}/.local/share/"
    )
    private = tmp_path / f"pumpurs-{os.getuid()}"
    assert runtime == [
        OK,
        f"{home} cannot be written: the batch keeps "
        + ", ".join(f"{v}={private / v.lower()}" for v in FOLDERS)
        + " (give the account a writable home to keep them there)",
    ]
    assert after[0] == OK, after
    assert (private / "jupyter_runtime_dir" / "pumpurs").is_dir()
    assert oct(private.stat().st_mode & 0o777) == "0o700"
