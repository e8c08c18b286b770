"""The folders a batch's kernels and libraries write to, kept writable.

Jupyter's runtime folder (the kernels' connection files), IPython's profile, Matplotlib's
font cache and the XDG cache (fontconfig, a notebook's own judgement cache) live under
HOME by default. A service account without a writable home (systemd's `User=` with no
home, `HOME=/nonexistent`) then gets "the kernel did not start: PermissionError …
/.local" for every report. So the batch, and `pumpurs doctor` before it, point each of
these folders whose default cannot be written at a private folder of its own
(`private_runtime`), and last HOME itself (Chromium, which prints the PDFs, and
fontconfig write there); a user with a writable home keeps the usual folders. Keep TMPDIR
short: Chromium's profile socket lives there, and a UNIX socket's path may not pass 107
bytes. Jupyter's data
folder is left alone: the kernels installed there must still be found.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path


def _home() -> Path:
    return Path(os.path.expanduser("~"))


def _jupyter_runtime() -> Path:
    from jupyter_core.paths import jupyter_runtime_dir

    return Path(jupyter_runtime_dir())


def _matplotlib_config() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or _home() / ".config"
    return Path(base) / "matplotlib"


# The variable that moves each folder, and where the folder is when it is not set.
FOLDERS: dict[str, Callable[[], Path]] = {
    "JUPYTER_RUNTIME_DIR": _jupyter_runtime,
    "IPYTHONDIR": lambda: _home() / ".ipython",
    "MPLCONFIGDIR": _matplotlib_config,
    "XDG_CACHE_HOME": lambda: _home() / ".cache",
    # last: the folders above are found from the old HOME first. Chromium (the PDF
    # printer) and fontconfig write under HOME itself (~/.pki, ~/.config, ~/.fontconfig).
    "HOME": _home,
}


def writable(folder: Path) -> bool:
    """The folder can be written, or made where its nearest existing parent is (checked
    without writing: a read-only file system and a file in the way count)."""
    here = Path(folder)
    while not here.exists():
        if here.parent == here:
            return False
        here = here.parent
    return here.is_dir() and os.access(here, os.W_OK | os.X_OK)


def private_base() -> Path:
    """`<tmp>/pumpurs-<uid>`, made 0700 and owned by this user; someone else's folder of
    that name (or a link) is never used: the kernels' connection files hold their keys."""
    base = Path(tempfile.gettempdir()) / f"pumpurs-{os.getuid()}"
    with contextlib.suppress(FileExistsError):
        base.mkdir(mode=0o700)
    st = os.lstat(base)
    if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077:
        return base
    return Path(tempfile.mkdtemp(prefix=f"pumpurs-{os.getuid()}-"))


def private_runtime() -> dict[str, str]:
    """Point every runtime folder that cannot be written at `private_base()` (in
    os.environ: the workers and their kernels inherit it); returns the variables set. A
    folder the user chose and can write is kept."""
    env = os.environ
    changed: dict[str, str] = {}
    for var, default in FOLDERS.items():
        where = Path(env[var]) if env.get(var) else default()
        if writable(where):
            continue
        target = private_base() / var.lower()
        target.mkdir(mode=0o700, exist_ok=True)
        env[var] = str(target)
        changed[var] = str(target)
    return changed
