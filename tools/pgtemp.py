"""A throwaway PostgreSQL server in a temporary folder: for the tests, the benchmarks and
trying the demo on a real server without setting one up.

Usage: python tools/pgtemp.py   (starts a server, prints its URL, stops it on Ctrl+C,
                                 SIGTERM or SIGHUP, removing its folder)

`initdb` into a new temporary folder, `pg_ctl start` on a free local port (TCP on
127.0.0.1 only, no password: `trust` for local connections), `pg_ctl stop` and the folder
removed when the `with` block ends, also after an error. PostgreSQL refuses to run as
root, so as root the server runs as `nobody`.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path


def postgres_bin() -> Path | None:
    """The folder with initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(versions[-1]).parent if versions else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerError(RuntimeError):
    pass


@contextlib.contextmanager
def temporary_postgres(
    user: str = "pumpurs",
    password: str | None = None,
    announce: Callable[[Path], None] | None = None,
) -> Iterator[str]:
    """Yields the server's base URL, `postgresql://pumpurs@127.0.0.1:PORT` (add /dbname).

    With `password`, connections over TCP must give it (scram-sha-256), as on a real
    server: the client finds it in PGPASSWORD or a .pgpass file, never in the URL.
    `announce` is told the server's folder once it runs."""
    bindir = postgres_bin()
    if bindir is None:
        raise ServerError("no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql")
    root = Path(tempfile.mkdtemp(prefix="pumpurs-pg-"))
    preexec: Callable[[], None] | None = None
    if os.geteuid() == 0:
        import pwd

        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)

        def preexec() -> None:
            os.setgid(nobody.pw_gid)
            os.setuid(nobody.pw_uid)

    def as_server(*args: str) -> None:
        env = {"PATH": os.environ.get("PATH", ""), "LANG": "C.UTF-8"}
        subprocess.run(args, check=True, capture_output=True, preexec_fn=preexec, cwd=root, env=env)

    port, data = free_port(), root / "data"
    auth = ["--auth=trust"]
    if password is not None:
        (root / "pwfile").write_text(password + "\n", encoding="utf-8")
        if preexec is not None:
            os.chown(root / "pwfile", nobody.pw_uid, nobody.pw_gid)
        auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={root / 'pwfile'}"]
    try:
        as_server(str(bindir / "initdb"), "-D", str(data), "-U", user, *auth, "-E", "UTF8")
        as_server(
            str(bindir / "pg_ctl"),
            *("-D", str(data), "-w", "-l", str(root / "log"), "-o"),
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        )
    except subprocess.CalledProcessError as e:
        shutil.rmtree(root, ignore_errors=True)
        raise ServerError(
            f"PostgreSQL did not start: {e.stderr.decode(errors='replace')}"
        ) from None
    except BaseException:  # stopped while starting (SIGTERM, Ctrl+C): nothing left behind
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.CalledProcessError):
                as_server(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        if announce is not None:
            announce(root)
        yield f"postgresql://{user}@127.0.0.1:{port}"
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):
            as_server(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(root, ignore_errors=True)


def create_database(server: str, name: str) -> str:
    """A new empty database on `server`: its URL (a password from PGPASSWORD)."""
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(f"{server}/postgres", autocommit=True) as con, con.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def _stop(signum: int, frame: object) -> None:
    """SIGTERM (a `kill`, a service manager) and SIGHUP (a closed terminal) end the
    program as Ctrl+C does: through the `with` block, which stops the server and removes
    its folder."""
    raise SystemExit(0)


if __name__ == "__main__":
    import signal
    import time

    folder: list[Path] = []
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _stop)
    with temporary_postgres(announce=folder.append) as server:
        url = create_database(server, "pumpurs")
        print(f"PostgreSQL is running: {url}\nIts data: {folder[0]}", flush=True)
        print(f"Try: pumpurs load data/demo-national {url}")
        print("Ctrl+C (or SIGTERM) stops it and removes its data.", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
