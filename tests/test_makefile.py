"""The make targets a newcomer types: JupyterLab as root and as a user, the named kernel,
the API reference. Read with `make -n` over an installed-looking venv: nothing runs."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def planned(venv: Path, target: str) -> list[str]:
    """The commands `make TARGET` would run with `venv` as the virtual environment."""
    out = subprocess.run(
        ["make", "-n", "--no-print-directory", "-C", str(ROOT), target, f"VENV={venv}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.splitlines()


@pytest.fixture
def venv(tmp_path: Path) -> Path:
    """A venv that looks installed: its stamp newer than pyproject.toml."""
    stamp = tmp_path / "venv" / ".installed"
    stamp.parent.mkdir()
    stamp.touch()
    later = time.time() + 60
    os.utime(stamp, (later, later))
    return stamp.parent


def test_install_adds_the_named_kernel_beside_python3(venv):
    kernel = [line for line in planned(venv, "install") if "ipykernel install" in line]
    assert kernel == [
        f"{venv}/bin/python -m ipykernel install --sys-prefix --name pumpurs "
        "--display-name PuMPuRS >/dev/null"
    ]


def test_lab_starts_as_root_and_as_a_user(venv):
    kernel = venv / "share" / "jupyter" / "kernels" / "pumpurs" / "kernel.json"
    kernel.parent.mkdir(parents=True)
    kernel.touch()
    later = time.time() + 120
    os.utime(kernel, (later, later))
    lab = planned(venv, "lab")
    root = " --allow-root" if os.getuid() == 0 else ""
    assert lab == [f"{venv}/bin/jupyter lab --notebook-dir=notebooks{root}"]


def test_docs_writes_the_api_reference_into_docs_api(venv):
    docs = planned(venv, "docs")
    assert docs[0] == "rm -rf docs/api"
    assert docs[1].startswith(f"{venv}/bin/pdoc --docformat markdown --output-directory docs/api ")
    assert " pumpurs.api " in docs[1]
    assert "/docs/api/" in (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
