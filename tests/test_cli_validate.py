"""`pumpurs validate DATA`: exit 0 with a one-screen summary, or exit 2 listing every problem."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import snapshot, valid_tables, write_folder
from pumpurs.cli import app
from pumpurs.core.settings import DEFAULT_PROGRAMME
from pumpurs.sources.folder import load_data

PUMPURS = Path(sys.executable).parent / "pumpurs"


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_valid_data_prints_the_summary_and_exits_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_folder(tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    fingerprint = load_data(folder).fingerprint
    code, stdout, stderr = invoke("validate", str(folder))
    assert (code, stderr) == (0, "")
    assert stdout == (
        f"{folder}: valid (fingerprint {fingerprint})\n"
        "  partners               3 rows   partners.csv (csv ; utf-8)\n"
        "  schools                3 rows   schools.csv (csv ; utf-8)\n"
        "  support_plans          3 rows   support_plans.csv (csv ; utf-8)\n"
        "  expenditures           7 rows   expenditures.csv (csv ; utf-8)\n"
        "  outcomes               2 rows   outcomes.csv (csv ; utf-8)\n"
        "  service months 2020-01 to 2021-06; paid 05.02.2020 to 01.07.2021\n"
        "  plans for semesters 2019/2020-2 to 2020/2021-1\n"
        "  3 partners in 2 municipalities (1 VPIL), 3 schools, 3 pupils\n"
    )
    assert snapshot(tmp_path) == before


def test_summary_names_workbook_sheets_and_skips_absent_outcomes(tmp_path: Path) -> None:
    t = valid_tables()
    del t["outcomes"]
    folder = write_folder(tmp_path / "data", t, dialect="workbook")
    code, stdout, _ = invoke("validate", str(folder))
    assert code == 0
    lines = stdout.splitlines()
    assert lines[1:5] == [
        "  partners               3 rows   data.xlsx sheet partners (xlsx)",
        "  schools                3 rows   data.xlsx sheet schools (xlsx)",
        "  support_plans          3 rows   data.xlsx sheet support_plans (xlsx)",
        "  expenditures           7 rows   data.xlsx sheet expenditures (xlsx)",
    ]
    assert "outcomes" not in stdout


def test_thousands_are_grouped_in_the_row_counts(tmp_path: Path) -> None:
    t = valid_tables()
    base = t["expenditures"][0]
    t["expenditures"] = [{**base, "entry_id": f"E{i}"} for i in range(1234)]
    code, stdout, _ = invoke("validate", str(write_folder(tmp_path / "data", t)))
    assert code == 0
    assert "  expenditures       1,234 rows   expenditures.csv (csv ; utf-8)" in stdout.splitlines()


def _broken(tmp_path: Path) -> Path:
    t = valid_tables()
    t["expenditures"][0]["amount_eur"] = "12.5.0"
    t["expenditures"][1]["amount_eur"] = "0,00"
    t["schools"][0]["partner_id"] = "P999"
    return write_folder(tmp_path / "data", t)


BROKEN_LINES = [
    'expenditures.csv row 2, column amount_eur: "12.5.0" is not an amount in EUR '
    "(expected e.g. 12,50 or 12.50)",
    'expenditures.csv row 3, column amount_eur: "0,00" is zero; a row pays an amount, and a '
    "correction (credit note, storno) is a negative amount that names the row it corrects "
    "in corrects_entry_id",
    'schools.csv row 2, column partner_id: "P999" is not a partner listed in partners.csv',
]


def test_broken_data_exits_2_listing_every_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _broken(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    code, stdout, stderr = invoke("validate", str(folder))
    assert code == 2
    assert stdout == ""
    assert stderr.splitlines() == [
        "The data has 3 problems; nothing was computed or written:",
        *BROKEN_LINES,
    ]
    assert snapshot(tmp_path) == before


def test_max_problems_limits_the_list(tmp_path: Path) -> None:
    folder = _broken(tmp_path)
    code, _, stderr = invoke("validate", str(folder), "--max-problems", "2")
    assert code == 2
    assert stderr.splitlines() == [
        "The data has 3 problems; nothing was computed or written:",
        *BROKEN_LINES[:2],
        "... and 1 more (use --max-problems 0 to list them all)",
    ]
    code, _, stderr = invoke("validate", str(folder), "--max-problems", "0")
    assert code == 2
    assert stderr.splitlines()[1:] == BROKEN_LINES


def test_format_json_lists_every_problem_with_its_code_and_exits_2(tmp_path: Path) -> None:
    code, stdout, stderr = invoke("validate", str(_broken(tmp_path)), "--format", "json")
    assert (code, stderr) == (2, "")
    doc = json.loads(stdout)
    assert doc == {
        "valid": False,
        "problems": [
            {
                "file": "expenditures.csv",
                "row": 2,
                "key": None,
                "column": "amount_eur",
                "value": "12.5.0",
                "expected": "e.g. 12,50 or 12.50",
                "code": "bad_amount",
                "message": "is not an amount in EUR (expected e.g. 12,50 or 12.50)",
            },
            {
                "file": "expenditures.csv",
                "row": 3,
                "key": None,
                "column": "amount_eur",
                "value": "0,00",
                "expected": None,
                "code": "zero_amount",
                "message": BROKEN_LINES[1].split('"0,00" ', 1)[1],
            },
            {
                "file": "schools.csv",
                "row": 2,
                "key": None,
                "column": "partner_id",
                "value": "P999",
                "expected": None,
                "code": "unknown_reference",
                "message": "is not a partner listed in partners.csv",
            },
        ],
    }


def test_format_csv_lists_every_problem_and_valid_data_none(tmp_path: Path) -> None:
    t = valid_tables()
    t["schools"][0]["partner_id"] = "=P999"  # a formula-like value stays text in a spreadsheet
    folder = write_folder(tmp_path / "data", t)
    code, stdout, stderr = invoke("validate", str(folder), "--format", "csv")
    assert (code, stderr) == (2, "")
    assert stdout.splitlines() == [
        "file,row,key,column,value,expected,code,message",
        "schools.csv,2,,partner_id,'=P999,,unknown_reference,is not a partner listed in partners.csv",
        "schools.csv,2,,partner_id,'=P999,,formula,\"starts with a character a spreadsheet runs "
        'as a formula (=, +, -, @); an id starts with a letter or a digit"',
    ]
    valid = write_folder(tmp_path / "valid")
    assert invoke("validate", str(valid), "--format", "csv") == (
        0,
        "file,row,key,column,value,expected,code,message\n",
        "",
    )
    code, stdout, _ = invoke("validate", str(valid), "--format", "json")
    assert (code, json.loads(stdout)) == (0, {"valid": True, "problems": []})
    code, _, stderr = invoke("validate", str(valid), "--format", "xml")
    assert (code, stderr) == (2, '--format "xml" is not valid; use one of: table, json, csv\n')


def test_a_folder_that_does_not_exist_exits_2(tmp_path: Path) -> None:
    code, stdout, stderr = invoke("validate", str(tmp_path / "nope"))
    assert (code, stdout) == (2, "")
    assert stderr == (
        "The data has 1 problem; nothing was computed or written:\n"
        f"{tmp_path / 'nope'}: is not a folder; give the data folder\n"
    )


def test_a_bad_programme_file_exits_2(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "data")
    bad = tmp_path / "programme.yaml"
    bad.write_text(
        DEFAULT_PROGRAMME.read_text(encoding="utf-8").replace(
            'end_month: "2022-12"', 'end_month: "2022-13"'
        ),
        encoding="utf-8",
    )
    code, stdout, stderr = invoke("validate", str(folder), "--programme", str(bad))
    assert (code, stdout) == (2, "")
    assert stderr == (
        "programme.yaml: period.0.end_month: Value error, '2022-13' is not a month; write it as "
        "YYYY-MM, e.g. 2017-03 (got '2022-13')\n"
    )


def test_the_installed_command_exits_2_and_0(tmp_path: Path) -> None:
    folder = _broken(tmp_path)
    env = {**os.environ, "COLUMNS": "80"}
    run = subprocess.run(
        [str(PUMPURS), "validate", str(folder)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr.splitlines()[1:] == BROKEN_LINES
    good = write_folder(tmp_path / "good")
    run = subprocess.run(
        [str(PUMPURS), "validate", str(good)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"{good}: valid (fingerprint ")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "good"]  # nothing else written
