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


# ---------------------------------------------------------------------------
# A fresh machine: `make test` installs the system packages it needs (root with apt-get) or
# stops at once saying what to run; never half the suite red. dpkg-query, id and apt-get
# are stand-ins on the PATH; the venv's python only notes that it was called.
# ---------------------------------------------------------------------------
def _script(path: Path, body: str) -> None:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o755)


@pytest.fixture
def machine(venv: Path, tmp_path: Path) -> dict[str, Path]:
    """A machine without chromium and poppler-utils, its venv made already."""
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    absent = tmp_path / "absent"
    absent.write_text("chromium\npoppler-utils\n", encoding="utf-8")
    calls = tmp_path / "calls"
    # dpkg-query -W -f=FORMAT PACKAGE: its last argument is the package
    _script(
        bin_ / "dpkg-query",
        f'for p; do :; done\ngrep -qx "$p" {absent} && exit 1\necho "install ok installed"\n',
    )
    _script(
        bin_ / "apt-get",
        f'echo "apt-get $*" >> {calls}\nif [ "$1" = install ]; then : > {absent}; fi\n',
    )
    (venv / "bin").mkdir()
    _script(venv / "bin" / "python", f'echo "python $*" >> {calls}\n')
    return {"bin": bin_, "calls": calls, "venv": venv}


def _make_test(machine: dict[str, Path], uid: int) -> subprocess.CompletedProcess[str]:
    _script(machine["bin"] / "id", f"echo {uid}\n")
    env = {**os.environ, "PATH": f"{machine['bin']}:{os.environ['PATH']}"}
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "test", f"VENV={machine['venv']}"],
        capture_output=True, text=True, env=env, timeout=60,
    )  # fmt: skip


def test_make_test_as_a_user_stops_at_once_saying_what_to_run(machine):
    done = _make_test(machine, 1000)
    assert done.returncode == 2
    assert done.stderr.splitlines()[:4] == [
        "make test: the tests need system packages that are not installed: chromium poppler-utils",
        "Install them as root, then run make test again:",
        "  sudo apt-get update && sudo apt-get install -y --no-install-recommends "
        "chromium poppler-utils",
        "(as root, `make deps` installs them all; `make test` does it by itself)",
    ]
    assert not machine["calls"].exists()  # no apt-get, no pytest


def test_make_test_as_root_installs_what_is_missing_then_runs_the_suite(machine):
    done = _make_test(machine, 0)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == (
        "make test: installing the system packages the tests need: chromium poppler-utils"
    )
    assert machine["calls"].read_text(encoding="utf-8").splitlines() == [
        "apt-get update -qq",
        "apt-get install -y -qq --no-install-recommends chromium poppler-utils",
        "python -m pytest -n 2 -q",
    ]


def test_make_deps_installs_every_package_the_ci_needs(venv):
    assert planned(venv, "deps") == ["tools/system-deps install"]
    listed = (ROOT / "tools" / "system-deps").read_text(encoding="utf-8")
    packages = listed.split('PACKAGES="')[1].split('"')[0].split()
    assert packages == [
        "fonts-dejavu-core", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz0b",
        "libharfbuzz-subset0", "chromium", "poppler-utils", "postgresql",
    ]  # fmt: skip
    assert "tools/system-deps ensure" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
