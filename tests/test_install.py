"""A plain install works: the package carries its notebooks and settings, and runs a
report from any folder, without the repository around it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_a_plain_install_renders_a_report_from_another_folder(tmp_path: Path) -> None:
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
         "--target", str(target), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-2000:]
    assert (target / "pumpurs" / "_project" / "notebooks" / "municipality_report.ipynb").is_file()
    assert not (target / "pumpurs" / "_project" / "params").is_symlink()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target), "XDG_CACHE_HOME": str(tmp_path / "cache")}

    def pumpurs(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "pumpurs.cli", *args],
            cwd=elsewhere, env=env, capture_output=True, text=True, timeout=900,
        )  # fmt: skip

    where = subprocess.run(
        [sys.executable, "-c", "import pumpurs; print(pumpurs.__file__)"],
        cwd=elsewhere, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(target)), where.stdout
    made = pumpurs("demo-data", "d", "--scale", "small")
    assert made.returncode == 0, made.stderr[-2000:]
    run = pumpurs(
        "run", "d", "--municipality", "aizkraukles-novads", "--period", "2021-H1",
        "--out", "o", "--workers", "1",
    )  # fmt: skip
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    report = elsewhere / "o" / "2021-H1" / "aizkraukles-novads"
    assert (report / "report.pdf").stat().st_size > 10_000
    assert (report / "report.xlsx").is_file() and (report / "findings.csv").is_file()
