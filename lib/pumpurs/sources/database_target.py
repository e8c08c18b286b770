"""Where a database's data is: a URL (or a DuckDB file's path) parsed once into a
`Target`, shown without a password wherever people see it; and the optional drivers each
backend needs, imported when first used (`driver`: a missing one is one line saying what
to install)."""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from pumpurs.core.errors import SourceError, UsageError

DRIVERS = "pip install 'pumpurs[db]'"


SECRET_KEY = re.compile(r"password|passwd|pwd|secret|token", re.IGNORECASE)
"""URL query keys that carry a secret (`?password=`, `?sslpassword=`): refused like one
(`?passfile=`, the path of a .pgpass file, is not one)."""


DUCKDB_SUFFIXES = (".duckdb", ".ddb")  # a plain path with one of these is a DuckDB file


@dataclass(frozen=True)
class Target:
    """Where the data is: the backend, how to connect, and how to show it."""

    backend: str  # "duckdb", "postgresql" or "sqlalchemy"
    connect: str  # a file path (DuckDB), a libpq URI or a SQLAlchemy URL
    label: str  # the URL as messages and manifests show it (no password)
    schema: str | None


def parse_target(spec: str) -> Target:
    """A DATA argument that names a database, understood; refuses a password in it."""
    if "://" not in spec:  # a DuckDB file named by its path
        if Path(spec).suffix.lower() not in DUCKDB_SUFFIXES:
            raise UsageError(
                f"{spec}: a database file needs the suffix .duckdb (a path without one is a "
                "data folder), or give a URL such as sqlite:///file.db"
            )
        return Target("duckdb", str(Path(spec).expanduser()), spec, None)
    url = parse_url(spec)
    secrets = [k for k in url.query if SECRET_KEY.search(k)]
    label = shown_url(url)
    if url.password is not None or secrets:
        raise UsageError(
            f"{label}: a password in the URL would show in the process list, the shell's "
            "history and the reports' notebooks; remove it and put it in PGPASSWORD or "
            "~/.pgpass (PostgreSQL), or in the database driver's own configuration"
        )
    schema = url.query.get("schema")
    if isinstance(schema, tuple):
        schema = schema[-1]
    url = url.difference_update_query(["schema"])
    base = url.get_backend_name()
    if base == "duckdb":
        if not url.database:
            raise UsageError(
                f"{label}: name the DuckDB file, e.g. duckdb:///data/pumpurs.duckdb "
                "(or give the file's path)"
            )
        return Target("duckdb", url.database, label, schema)
    if base in ("postgresql", "postgres"):
        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        return Target("postgresql", libpq, label, schema)
    from sqlalchemy.exc import NoSuchModuleError

    try:
        url.get_dialect()  # a dialect SQLAlchemy knows (its driver is imported on connect)
    except NoSuchModuleError:
        raise UsageError(
            f'{label}: no data source is known for "{url.drivername}://"; give a data folder, '
            "a DuckDB file, or a database URL (postgresql://, duckdb://, sqlite://, or "
            "another SQLAlchemy dialect)"
        ) from None
    return Target("sqlalchemy", url.render_as_string(hide_password=False), label, schema)


URL_FORMS = (
    "postgresql://user@host:5432/dbname, duckdb:///path/to/file.duckdb or sqlite:///path/to/file.db"
)


def parse_url(spec: str) -> Any:
    """A database URL as SQLAlchemy's `URL`, split into its pieces here.

    The last `@` ends the user's part (a password may hold `@` and `:`), as a browser
    reads a URL; SQLAlchemy's own parser takes the first and would show the rest of a
    password as a host or port. A URL that does not split is refused showing nothing of
    it after the user's name: whatever follows may be a password.
    """

    from sqlalchemy.engine import URL

    scheme, _, rest = spec.partition("://")
    userinfo, at, hostport = rest.split("/", 1)[0].split("?", 1)[0].rpartition("@")
    user = userinfo.partition(":")[0] if at else ""
    named = re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]*", scheme)
    shown = f"{scheme}://{user + '@' if user else ''}…" if named else "…"

    def refuse(why: str) -> BadURL:
        return BadURL(shown, f"{shown}: is not a database URL ({why}); write it as {URL_FORMS}")

    if not named:
        raise refuse("its scheme is not a name such as postgresql")
    try:
        parts = urlsplit(spec)
    except ValueError:
        raise refuse("a [ opens an IPv6 address that no ] closes") from None
    userinfo, at, hostport = parts.netloc.rpartition("@")
    user, colon, password = userinfo.partition(":")
    if hostport.startswith("["):
        host, _, after = hostport[1:].partition("]")
        if after and not after.startswith(":"):
            raise refuse("something follows the IPv6 address other than :port")
        port = after[1:]
    else:
        host, _, port = hostport.partition(":")
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise refuse("its port is not a number from 1 to 65535")
    values: dict[str, list[str]] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        values.setdefault(key, []).append(value)
    query = {k: v[0] if len(v) == 1 else tuple(v) for k, v in values.items()}
    return URL.create(
        scheme.lower(),
        username=unquote(user) or None,
        password=unquote(password) if colon else None,
        host=unquote(host) or None,
        port=int(port) if port else None,
        database=unquote(parts.path[1:]) or None,
        query=query,
    )


def shown_url(url: Any) -> str:
    """A parsed URL as people see it: its password and secret query values as ***."""
    secrets = [k for k in url.query if SECRET_KEY.search(k)]
    shown = url.update_query_dict({k: "***" for k in secrets})
    return shown.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


def shown(spec: str) -> str:
    """Any database URL as a message may show it: from its parsed pieces, with no
    password; a URL that does not parse shows nothing after the user's name."""
    try:
        return shown_url(parse_url(spec))
    except BadURL as e:
        return e.shown


class BadURL(UsageError):
    """A URL that does not split into its pieces; `shown` is what of it may be shown."""

    def __init__(self, shown: str, message: str) -> None:
        super().__init__(message)
        self.shown = shown


def reason(e: BaseException) -> str:
    """A driver's error as one line, without its prefixes and with no password."""
    text = str(e).strip() or type(e).__name__
    text = re.sub(r"^[A-Z_]+: ", "", text)  # ADBC's status: IO, UNAUTHORIZED, …
    text = re.sub(r"^\[libpq\] ", "", text)
    for said in ("Failed to connect: ", "Failed to execute query: ", "could not begin COPY: "):
        text = text.replace(said, "")
    text = re.sub(r"^ERROR: +", "", text)
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    first = re.sub(r"^\(\S+\) ", "", lines[0]) if lines else text  # SQLAlchemy's (Class)
    return first.replace("FATAL:  ", "")


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def driver(module: str, what: str) -> Any:

    try:
        return importlib.import_module(module)
    except ImportError:
        raise SourceError(
            f"reading from {what} needs its driver, which is not installed; {DRIVERS}"
        ) from None
