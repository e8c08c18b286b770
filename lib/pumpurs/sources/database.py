"""Databases as data sources: a DuckDB file, a PostgreSQL server, any SQLAlchemy URL.

A database hands over the same five tables as a data folder, as text, so that
`core/validate.py` judges its values with the same words; what differs is where a row
is: a database row has no number a user can see, so a problem names the row by its key
(`expenditures row 7 (entry_id E0000007)`, rows counted in key order).

- Only the contract's columns are selected; the tables are read in one snapshot
  (a read-only REPEATABLE READ transaction on PostgreSQL).
- Transfer is columnar where the driver offers it: DuckDB and PostgreSQL (ADBC, libpq's
  binary COPY) hand over Arrow tables; other SQLAlchemy URLs go row by row.
- Money is read as exact decimals: NUMERIC/DECIMAL, integers or text. A column of binary
  fractions (REAL, DOUBLE PRECISION, FLOAT) is refused for money.
- Credentials never appear on a command line or in an output: a URL holding a password is
  refused; PostgreSQL takes it from PGPASSWORD, PGSERVICE or ~/.pgpass, as libpq does.
- The fingerprint (what the cache and the incremental batch are keyed by) is computed in
  the database: per table the row count and a sum of per-row hashes over the selected
  columns, with the columns' names and types. Other SQLAlchemy databases are read and
  hashed here.

`write_dataset` writes a validated data set into a database with native types (the
`pumpurs load` command), so that the demo can be tried on one.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa

from pumpurs.core.contract import KEYS, OPTIONAL_TABLES, TABLES, Col
from pumpurs.core.dataset import Dataset, RawTable, Source
from pumpurs.core.errors import Problem, PumpursError, SourceError, TemporaryError, UsageError
from pumpurs.core.validate import MAX_PROBLEMS
from pumpurs.sources.folder import as_text

DRIVERS = "pip install 'pumpurs[db]'"
SECRET_KEY = re.compile(r"password|passwd|pwd|secret|token", re.IGNORECASE)
"""URL query keys that carry a secret (`?password=`, `?sslpassword=`): refused like one
(`?passfile=`, the path of a .pgpass file, is not one)."""
DUCKDB_SUFFIXES = (".duckdb", ".ddb")  # a plain path with one of these is a DuckDB file
ORDER = {**KEYS, "outcomes": "student_id"}
"""The column a table's rows are counted by (then every other column, for ties)."""


# ---------------------------------------------------------------------------
# URLs: parsed once, shown without a password
# ---------------------------------------------------------------------------
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
    from urllib.parse import parse_qsl, unquote, urlsplit

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


def _reason(e: BaseException) -> str:
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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------
# Backends: the few things a source needs from a database
# ---------------------------------------------------------------------------
MAX_ROWS = 5_000_000
"""The most rows one table may hand over (the national ledger has 0.67 M): a table or a
view with more is refused after a count that stops at this many, before any row is
fetched, so a view over `range(20000000)` costs a moment and no memory."""
STATEMENT_SECONDS = 300.0
"""The longest one query may run (the national ledger is read in about a second): a view
that would compute for hours is stopped and named."""
SQLITE_BUSY_SECONDS = 5.0
"""How long a reader waits for a program writing to an SQLite file before exit 75."""
DUCKDB_SANDBOX = {
    "enable_external_access": False,  # no file, no URL: a view cannot read /etc/passwd
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "lock_configuration": True,  # and no SQL in the file can turn these back on
}
"""How a DuckDB file is opened: it is data, and nothing stored in it (a view, a macro)
may reach outside it."""
POSTGRES_SESSION = (
    "SET DateStyle = 'ISO, YMD'",  # a date's and a timestamp's text, whatever PGOPTIONS says
    "SET IntervalStyle = 'postgres'",
    "SET TimeZone = 'UTC'",
    "SET extra_float_digits = 1",  # a float's shortest exact text
    "SET bytea_output = 'hex'",
    "SET standard_conforming_strings = on",  # a backslash in a quoted name is itself
    "SET client_encoding = 'UTF8'",
)
"""Session settings that change a value's text (and so the fingerprint, computed over
each row's text): set explicitly, so a user's PGOPTIONS or a server's defaults cannot
make the same data look changed."""


@dataclass(frozen=True)
class Column:
    name: str  # as the database spells it
    type: str  # the database's type name, as messages show it


class Backend(Protocol):
    target: Target
    table: str  # the table being read, which a failure's message names
    hashes_in_sql: bool  # False: the checksum needs the rows fetched (SQLite, …)

    def tables(self) -> list[str]:
        """Every table's and view's name, as the database spells it."""
        ...

    def columns(self, table: str) -> list[Column]: ...

    def count(self, table: str, limit: int) -> int:
        """The table's rows, counted no further than `limit`."""
        ...

    def fetch(self, table: str, columns: Sequence[str], text: Sequence[str] = ()) -> pa.Table:
        """The columns as Arrow arrays, those in `text` cast to text; any order of rows."""
        ...

    def checksum(self, table: str, columns: Sequence[str], fetched: pa.Table | None) -> str:
        """Row count and a sum of row hashes, computed where the data is (or, for a
        database that cannot, from `fetched`, the same columns read already)."""
        ...

    def failure(self, e: BaseException) -> PumpursError:
        """A driver's error as the one line the user reads (and its exit status)."""
        ...

    def close(self) -> None: ...

    errors: tuple[type[BaseException], ...]
    """The driver's own exceptions, which `connect` turns into one line."""


def _refused(target: Target, e: BaseException) -> SourceError:
    return SourceError(
        f"{target.label}: the database refused to hand over the data ({_reason(e)}); "
        "check that this user may read the tables (GRANT SELECT) and try again"
    )


def _lost(target: Target, e: BaseException) -> TemporaryError:
    return TemporaryError(
        f"{target.label}: the connection to the database was lost while reading "
        f"({_reason(e)}); nothing was computed or written; run again once the database "
        "is back"
    )


def _locked(target: Target, e: BaseException) -> TemporaryError:
    return TemporaryError(
        f"{target.label}: another program holds the database locked ({_reason(e)}); "
        "nothing was computed or written; run again once it is done"
    )


def _too_slow(target: Target, table: str) -> SourceError:
    return SourceError(
        f"{target.label}: reading {table} took more than "
        f"{STATEMENT_SECONDS:g} s and was stopped; if it is a view, store its rows as a "
        "table"
    )


class InformationSchema:
    """What DuckDB and PostgreSQL share: the standard catalogue, and one schema."""

    schema: str
    table = ""
    hashes_in_sql = True

    def _rows(self, sql: str) -> list[tuple]:
        raise NotImplementedError

    def tables(self) -> list[str]:
        rows = self._rows(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = {_literal(self.schema)}"
        )
        return [str(r[0]) for r in rows]

    def columns(self, table: str) -> list[Column]:
        rows = self._rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = {_literal(self.schema)} AND table_name = {_literal(table)} "
            "ORDER BY ordinal_position"
        )
        return [Column(str(n), str(t)) for n, t in rows]

    def count(self, table: str, limit: int) -> int:
        self.table = table
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {self._from(table)} LIMIT {int(limit)}) AS n"
        return int(self._rows(sql)[0][0])

    def _from(self, table: str) -> str:
        return f"{_quote(self.schema)}.{_quote(table)}"

    def _select(self, table: str, columns: Sequence[str], text: Sequence[str]) -> str:
        names = [
            f"CAST({_quote(c)} AS VARCHAR) AS {_quote(c)}" if c in text else _quote(c)
            for c in columns
        ]
        return f"SELECT {', '.join(names)} FROM {self._from(table)}"


class DuckDBBackend(InformationSchema):
    """A DuckDB file, opened read-only in a sandbox (`DUCKDB_SANDBOX`): its views may
    use the file's own tables, nothing outside it; each query is stopped after
    `STATEMENT_SECONDS`."""

    def __init__(self, target: Target) -> None:
        duckdb = _driver("duckdb", "DuckDB")
        self.target = target
        path = Path(target.connect).expanduser()
        if not path.is_file():
            raise SourceError(f"{target.label}: no such DuckDB file; give the file's path")
        try:
            self.con = duckdb.connect(str(path), read_only=True, config=DUCKDB_SANDBOX)
        except duckdb.Error as e:
            if "lock" in str(e).lower():  # a program writing to it holds the file's lock
                raise _locked(target, e) from None
            raise SourceError(
                f"{target.label}: cannot be opened as a DuckDB database ({_reason(e)}); "
                "give a DuckDB file that no other program is writing to"
            ) from None
        self.duckdb = duckdb
        self.errors = (duckdb.Error,)
        self.schema = target.schema or "main"
        self.con.execute("BEGIN TRANSACTION")  # one snapshot for every table

    @contextmanager
    def _deadline(self) -> Iterator[None]:
        import threading

        timer = threading.Timer(STATEMENT_SECONDS, self.con.interrupt)
        timer.daemon = True
        timer.start()
        try:
            yield
        finally:
            timer.cancel()

    def _rows(self, sql: str) -> list[tuple]:
        with self._deadline():
            return self.con.execute(sql).fetchall()

    def fetch(self, table: str, columns: Sequence[str], text: Sequence[str] = ()) -> pa.Table:
        self.table = table
        with self._deadline():
            relation = self.con.sql(self._select(table, columns, text))
            to_arrow = getattr(relation, "to_arrow_table", None) or relation.arrow  # DuckDB 2/1
            return to_arrow()

    def checksum(self, table: str, columns: Sequence[str], fetched: pa.Table | None) -> str:
        self.table = table
        cols = ", ".join(map(_quote, columns))
        (count, total), *_ = self._rows(
            f"SELECT count(*), coalesce(sum(hash({cols})), 0) FROM {self._from(table)}"
        )
        return f"{count}:{total}"

    def failure(self, e: BaseException) -> PumpursError:
        if isinstance(e, self.duckdb.InterruptException):
            return _too_slow(self.target, self.table)
        if isinstance(e, self.duckdb.PermissionException):
            return SourceError(
                f"{self.target.label}: {self.table} is a view that reaches outside the file "
                f"({_reason(e)}); a DuckDB file's views may use only its own tables: store "
                f"the rows as a table (CREATE TABLE … AS SELECT …)"
            )
        return _refused(self.target, e)

    def close(self) -> None:
        self.con.close()


UNREACHABLE = re.compile(
    "Connection refused|timeout expired|timed out|No route to host|Network is unreachable|"
    "Temporary failure in name resolution|starting up|shutting down|too many clients|"
    "in recovery|terminating connection|server closed the connection"
)
"""libpq's words for a server that could not be reached or was not ready (exit 75)."""


class PostgresBackend(InformationSchema):
    """PostgreSQL through ADBC (libpq underneath): Arrow out of binary COPY, in one
    read-only REPEATABLE READ transaction with the session's settings fixed."""

    def __init__(self, target: Target) -> None:
        dbapi = _driver("adbc_driver_postgresql.dbapi", "PostgreSQL")
        self.target = target
        try:
            self.con = dbapi.connect(target.connect, autocommit=True)
        except Exception as e:  # the driver's errors have no common base worth naming
            # Not reached, or not ready: a later run may succeed. Anything else (no such
            # database or user, a wrong or missing password) is the user's to fix.
            error = TemporaryError if UNREACHABLE.search(str(e)) else SourceError
            raise error(
                f"{target.label}: cannot connect ({_reason(e)}); check the host, port, "
                "database and user, and that the server runs; a password is read from "
                "PGPASSWORD or ~/.pgpass"
            ) from None
        self.errors = (dbapi.Error,)
        self.cur = self.con.cursor()
        try:
            timeout = f"SET statement_timeout = {int(STATEMENT_SECONDS * 1000)}"
            for setting in (*POSTGRES_SESSION, timeout):
                self.cur.execute(setting)
            self.cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self.schema = target.schema or str(self._rows("SELECT current_schema()")[0][0])
        except dbapi.Error as e:
            self.close()
            failure = self.failure(e)
            if isinstance(failure, TemporaryError):
                raise failure from None
            raise SourceError(f"{target.label}: cannot start reading ({_reason(e)})") from None

    def _rows(self, sql: str) -> list[tuple]:
        self.cur.execute(sql)
        return list(self.cur.fetchall())

    # The catalogue itself, not information_schema, which hides the tables a user may not
    # read: a table without SELECT is then "permission denied", not "missing".
    def tables(self) -> list[str]:
        rows = self._rows(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            f"ON n.oid = c.relnamespace WHERE n.nspname = {_literal(self.schema)} "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        )
        return [str(r[0]) for r in rows]

    def columns(self, table: str) -> list[Column]:
        rows = self._rows(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) "
            "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = {_literal(self.schema)} AND c.relname = {_literal(table)} "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        )
        return [Column(str(n), str(t)) for n, t in rows]

    def fetch(self, table: str, columns: Sequence[str], text: Sequence[str] = ()) -> pa.Table:
        self.table = table
        self.cur.execute(self._select(table, columns, text))
        return self.cur.fetch_arrow_table()

    def checksum(self, table: str, columns: Sequence[str], fetched: pa.Table | None) -> str:
        self.table = table
        row = f"ROW({', '.join(map(_quote, columns))})::text"  # 64-bit hash: PostgreSQL 11+
        (count, total), *_ = self._rows(
            f"SELECT count(*), coalesce(sum(hashtextextended({row}, 0)::numeric), 0) "
            f"FROM {self._from(table)}"
        )
        return f"{count}:{total}"

    def failure(self, e: BaseException) -> PumpursError:
        state = str(getattr(e, "sqlstate", None) or "")
        status = getattr(getattr(e, "status_code", None), "name", "")
        if state == "57014":  # statement_timeout
            return _too_slow(self.target, self.table)
        if (
            state[:2] == "08"
            or state[:3] == "57P"
            or state == "53300"
            or (
                not state and status == "IO"  # libpq's own: the server closed the connection
            )
        ):
            return _lost(self.target, e)
        return _refused(self.target, e)

    def close(self) -> None:
        try:
            self.cur.execute("ROLLBACK")  # nothing was changed; ends the snapshot
        except self.errors:
            pass  # the connection is gone; closing it is all that is left
        finally:
            self.cur.close()
            self.con.close()


class SQLAlchemyBackend:
    """Any database SQLAlchemy has a dialect and a driver for (SQLite, MySQL, …), read in
    one transaction. An SQLite file is opened read-only (it is never created), in one
    read transaction, each query stopped after `STATEMENT_SECONDS`."""

    table = ""
    hashes_in_sql = False

    def __init__(self, target: Target) -> None:
        sa = _driver("sqlalchemy", "SQLAlchemy")
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

        self.target, self.sa = target, sa
        self.errors: tuple[type[BaseException], ...] = (SQLAlchemyError,)
        self.schema = target.schema
        self.deadline = float("inf")
        url = sa.engine.make_url(target.connect)
        self.sqlite = url.get_backend_name() == "sqlite"
        options: dict[str, Any] = {}
        if self.sqlite:
            url, options["creator"] = sa.engine.make_url("sqlite://"), self._sqlite(url.database)
        try:
            self.engine = sa.create_engine(url, **options)
            self.con = self.engine.connect()
            if self.sqlite:
                self.con.exec_driver_sql("BEGIN")  # one read transaction: one snapshot
                self.con.exec_driver_sql("SELECT count(*) FROM sqlite_master").all()
            self.inspector = sa.inspect(self.con)
        except (NoSuchModuleError, ModuleNotFoundError) as e:
            raise SourceError(
                f"{target.label}: no driver for this database is installed ({_reason(e)}); "
                "install it with pip, or use postgresql:// or duckdb://"
            ) from None
        except SQLAlchemyError as e:
            raise self._classified(e) or SourceError(
                f"{target.label}: cannot connect ({_reason(e)})"
            ) from None
        except (ArgumentError, OSError) as e:
            raise SourceError(f"{target.label}: cannot connect ({_reason(e)})") from None

    def _sqlite(self, database: str | None) -> Any:
        """How an SQLite file is opened: read-only by a `file:` URI, so a typo's name is
        "no such file", never a new empty database; a query past its deadline stops."""
        import sqlite3
        import time
        from urllib.parse import quote

        if not database or database == ":memory:" or not Path(database).is_file():
            what = f"no such file ({database})" if database else "names no file"
            raise SourceError(
                f"{self.target.label}: {what}; give the SQLite file's path, "
                "sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        uri = f"file:{quote(str(Path(database).resolve()))}?mode=ro"

        def connect() -> sqlite3.Connection:
            con = sqlite3.connect(
                uri,
                uri=True,
                isolation_level=None,
                check_same_thread=False,
                timeout=SQLITE_BUSY_SECONDS,
            )
            con.set_progress_handler(lambda: time.monotonic() > self.deadline, 10_000)
            return con

        return connect

    @contextmanager
    def _deadline(self) -> Iterator[None]:
        import time

        self.deadline = time.monotonic() + STATEMENT_SECONDS
        try:
            yield
        finally:
            self.deadline = float("inf")

    def tables(self) -> list[str]:
        return [
            *self.inspector.get_table_names(schema=self.schema),
            *self.inspector.get_view_names(schema=self.schema),
        ]

    def columns(self, table: str) -> list[Column]:
        return [
            Column(str(c["name"]), str(c["type"]))
            for c in self.inspector.get_columns(table, schema=self.schema)
        ]

    def _table(self, table: str, columns: Sequence[str] = ()) -> Any:
        return self.sa.table(table, *(self.sa.column(c) for c in columns), schema=self.schema)

    def count(self, table: str, limit: int) -> int:
        self.table, sa = table, self.sa
        rows = sa.select(sa.literal_column("1")).select_from(self._table(table)).limit(limit)
        counted = sa.select(sa.func.count()).select_from(rows.subquery())
        with self._deadline():
            return int(self.con.execute(counted).scalar_one())

    def fetch(self, table: str, columns: Sequence[str], text: Sequence[str] = ()) -> pa.Table:
        self.table = table
        t = self._table(table, columns)
        sql = self.sa.select(*t.columns).compile(dialect=self.engine.dialect)
        cursor = self.con.connection.dbapi_connection.cursor()  # plain tuples, no Row each
        try:
            with self._deadline():
                cursor.execute(str(sql))
                rows = cursor.fetchall()
        finally:
            cursor.close()
        # Values as the driver gives them (SQLite's may differ in type row by row): as text.
        values = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        return pa.table({c: _text_array(v) for c, v in zip(columns, values, strict=True)})

    def checksum(self, table: str, columns: Sequence[str], fetched: pa.Table | None) -> str:
        arrow = fetched if fetched is not None else self.fetch(table, columns)
        frame = arrow.select(list(columns)).to_pandas()
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        return f"{len(rows)}:{int(rows.astype(np.uint64).sum(dtype=np.uint64))}"

    def failure(self, e: BaseException) -> PumpursError:
        return self._classified(e) or _refused(self.target, e)

    def _classified(self, e: BaseException) -> PumpursError | None:
        said = str(getattr(e, "orig", e))
        if self.sqlite and "file is not a database" in said:
            return SourceError(
                f"{self.target.label}: is not an SQLite database ({_reason(e)}); give an "
                "SQLite file, or a data folder for CSV, XLSX and Parquet files"
            )
        if self.sqlite and "interrupted" in said:  # by the deadline's progress handler
            return _too_slow(self.target, self.table)
        if "database is locked" in said:
            return _locked(self.target, e)
        if getattr(e, "connection_invalidated", False):
            return _lost(self.target, e)
        return None

    def close(self) -> None:
        self.con.close()
        self.engine.dispose()


def _text_array(values: Sequence[Any]) -> pa.Array:
    """One column's values as the driver gave them, as text (what `_cell_text` makes of
    each), without a Python call per value where the column is all text or integers."""
    import datetime as dt

    import pyarrow.compute as pc

    from pumpurs.sources.folder import _cell_text

    try:  # Arrow's own reading of a column of one type: text, or integers
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        array = None
    if array is not None and (
        pa.types.is_string(array.type)
        or pa.types.is_integer(array.type)
        or pa.types.is_null(array.type)
    ):
        return pc.fill_null(pc.cast(array, pa.string()), "")
    zone = _zone()
    return pa.array(
        [
            _cell_text(v.astimezone(zone) if isinstance(v, dt.datetime) and v.tzinfo else v)
            for v in values
        ],
        pa.string(),
    )


def _zone() -> Any:
    from zoneinfo import ZoneInfo

    from pumpurs.core.contract import DATA_TIME_ZONE

    return ZoneInfo(DATA_TIME_ZONE)


BACKENDS: dict[str, type] = {
    "duckdb": DuckDBBackend,
    "postgresql": PostgresBackend,
    "sqlalchemy": SQLAlchemyBackend,
}


def _driver(module: str, what: str) -> Any:
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError:
        raise SourceError(
            f"reading from {what} needs its driver, which is not installed; {DRIVERS}"
        ) from None


@contextmanager
def translated(backend: Backend) -> Iterator[Backend]:
    """Driver errors met while reading (a table the user may not read, a server that went
    away, a view that runs too long) as one line naming the database, not a traceback."""
    try:
        yield backend
    except backend.errors as e:
        raise backend.failure(e) from None


@contextmanager
def connect(target: Target) -> Iterator[Backend]:
    """A connection, its errors as one line, closed after."""
    backend = BACKENDS[target.backend](target)
    try:
        with translated(backend):
            yield backend
    finally:
        with suppress(*backend.errors):
            backend.close()


# ---------------------------------------------------------------------------
# Types: what a column may hold, and its values as text
# ---------------------------------------------------------------------------
_INT = re.compile(r"U?(TINY|SMALL|MEDIUM|BIG|HUGE)?INT(EGER)?\d*|(SMALL|BIG)?SERIAL\d*")
_FAMILY_OF_BASE = {
    **dict.fromkeys(("NUMERIC", "DECIMAL", "NUMBER", "DEC"), "decimal"),
    **dict.fromkeys(("REAL", "FLOAT", "FLOAT4", "FLOAT8", "DOUBLE"), "float"),
    **dict.fromkeys(("BOOL", "BOOLEAN"), "bool"),
    "DATE": "date",
    **dict.fromkeys(("TIMESTAMP", "DATETIME", "DATETIME2", "SMALLDATETIME"), "timestamp"),
    **dict.fromkeys(("TIMESTAMPTZ", "DATETIMEOFFSET"), "timestamptz"),
    **dict.fromkeys(("", "NULL"), "untyped"),  # SQLite lets a column have no type
}
_TEXT_BASES = re.compile(
    r"(N|LONG |TINY|MEDIUM|LONG)?(VAR)?CHAR(ACTER)?( VARYING)?2?|N?TEXT|STRING|N?CLOB|BPCHAR"
    r"|CITEXT|NAME|ENUM|USER-DEFINED"  # a DuckDB ENUM; PostgreSQL's enums are USER-DEFINED
)


def type_family(type_name: str) -> str:
    """A database's type name as one of: text, int, decimal, float, date, timestamp,
    timestamptz, bool, untyped, other (UUID, INTERVAL, JSON, arrays, money, …)."""
    t = " ".join(type_name.upper().split())
    if t.endswith("[]") or t.startswith(("ARRAY", "STRUCT", "MAP(", "LIST", "UNION(")):
        return "other"
    base = re.sub(r"\s*\(.*", "", t)  # VARCHAR(10), DECIMAL(14,2), ENUM('a', 'b')
    if base.startswith("TIMESTAMP"):  # TIMESTAMP(6), TIMESTAMP_NS, … WITH TIME ZONE
        zoned = "WITH TIME ZONE" in t or base in ("TIMESTAMPTZ", "TIMESTAMP_TZ")
        return "timestamptz" if zoned else "timestamp"
    if base == "DOUBLE PRECISION":
        return "float"
    if base in _FAMILY_OF_BASE:
        return _FAMILY_OF_BASE[base]
    if _TEXT_BASES.fullmatch(base):
        return "text"
    if _INT.fullmatch(base):
        return "int"
    return "other"


_TEXTUAL = {"text", "other", "untyped"}  # "other" is read as its text (a UUID's, say)
ALLOWED: dict[str, set[str]] = {
    "id": _TEXTUAL | {"int"},
    "text": _TEXTUAL,
    "enum": _TEXTUAL,
    "money": {"text", "untyped", "int", "decimal"},
    "date": {"text", "untyped", "date", "timestamp", "timestamptz"},
    "month": _TEXTUAL,
    "int": {"text", "untyped", "int", "decimal"},
    "number": {"text", "untyped", "int", "decimal", "float"},
    "semester": _TEXTUAL,
    "school_year": _TEXTUAL,
}
NATIVE = {"text", "int", "decimal", "float", "date", "timestamp", "timestamptz", "bool", "untyped"}
"""Families whose Arrow arrays `as_text` reads; any other column is cast to text in SQL."""
EXPECTED = {
    "id": "text or an integer",
    "text": "text",
    "enum": "text",
    "money": "NUMERIC(14,2), an integer or text (never a binary fraction: 0.1 is not exact)",
    "date": "DATE or text YYYY-MM-DD",
    "month": "text YYYY-MM",
    "int": "INTEGER or text",
    "number": "a number or text",
    "semester": "text such as 2019/2020-1",
    "school_year": "text such as 2019/2020",
}


def _type_problem(label: str, col: Col, column: Column) -> Problem | None:
    family = type_family(column.type)
    if family in ALLOWED[col.kind]:
        return None
    return Problem(
        label,
        None,
        col.name,
        None,
        f"is of type {column.type}; this column holds {EXPECTED[col.kind]}; change its type",
    )


def _local_day(column: Any) -> Any:
    """A column of moments (TIMESTAMPTZ) as the wall-clock time in DATA_TIME_ZONE, whose
    day `as_text` then takes: a Riga midnight stored as 22:00 UTC is still its Riga day.
    Any other column is left as it is."""
    import pyarrow.compute as pc

    from pumpurs.core.contract import DATA_TIME_ZONE

    kind = column.type
    if not (pa.types.is_timestamp(kind) and kind.tz):
        return column
    return pc.local_timestamp(column.cast(pa.timestamp(kind.unit, DATA_TIME_ZONE)))


_OFFSET = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)? ?(Z|[+-]\d{2}(:?\d{2})?)$"


def _day(column: pa.Array) -> pa.Array:
    """Text timestamps of a date column (SQLite's DATETIME: `2020-02-05 00:00:00`) as
    their day, one with a UTC offset (`2020-02-04 22:00:00+00`) as its day in
    DATA_TIME_ZONE; anything else is left for the validator to name."""
    import datetime as dt

    import pyarrow.compute as pc

    stamp = pc.match_substring_regex(column, r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
    day = pc.if_else(stamp, pc.utf8_slice_codeunits(column, 0, 10), column)
    zoned = pc.match_substring_regex(column, _OFFSET)
    if not pc.any(zoned).as_py():
        return day
    zone = _zone()
    local = [
        dt.datetime.fromisoformat(v).astimezone(zone).date().isoformat() if z else None
        for v, z in zip(column.to_pylist(), zoned.to_pylist(), strict=True)
    ]
    return pc.if_else(zoned, pa.array(local, pa.string()), day)


def _value_scale(column: Any) -> Any:
    """A DECIMAL(18,3) money column's text judged by its value, not its type's scale:
    `535.800` is 535,80 € (`535.80`); `540.125` stays, and is refused for its third
    decimal."""
    import pyarrow.compute as pc

    return pc.replace_substring_regex(column, r"^([+-]?\d+\.\d\d\d*?)0+$", r"\1")


# ---------------------------------------------------------------------------
# The source
# ---------------------------------------------------------------------------
class DatabaseSource:
    """The five tables in a database: DuckDB, PostgreSQL or any SQLAlchemy URL.

    Inside `with source.snapshot():` every question (fingerprint, read, describe) is
    answered from one connection and one transaction, so what a batch keys its cache
    by, what it judges and what its manifests record are the same data, whatever is
    written meanwhile; each table's fingerprint is computed once per snapshot.
    """

    def __init__(self, spec: str, schema: str | None = None) -> None:
        self.target = parse_target(spec)
        if schema:
            self.target = Target(
                self.target.backend, self.target.connect, self.target.label, schema
            )
        self.label = self.spec = self.target.label
        self._keys: dict[str, tuple[str, np.ndarray]] = {}  # each row's key, in row order
        self._keyless: dict[str, dict[int, str]] = {}  # a row without a key: other values
        self._held: Backend | None = None
        self._digests: dict[str, str] = {}  # each table's fingerprint in the held snapshot
        self._fetched: dict[str, pa.Table] = {}  # rows read for a fingerprint, kept for `read`

    @contextmanager
    def snapshot(self) -> Iterator[DatabaseSource]:
        if self._held is not None:
            yield self
            return
        with connect(self.target) as db:
            self._held = db
            try:
                yield self
            finally:
                self._held, self._digests, self._fetched = None, {}, {}

    @contextmanager
    def _db(self) -> Iterator[Backend]:
        """The held snapshot's connection, or one opened for this call alone."""
        with self.snapshot():
            assert self._held is not None
            with translated(self._held) as db:
                yield db

    def _contract_columns(self, db: Backend, table: str) -> tuple[list[Column], list[Column]]:
        """The contract's columns the table has, in the contract's order, and all of them."""
        columns = db.columns(table)
        by_name = {c.name.strip().lower(): c for c in columns}
        return [by_name[c.name] for c in TABLES[_contract(table)] if c.name in by_name], columns

    def read(self) -> tuple[dict[str, RawTable], list[Problem]]:
        raws: dict[str, RawTable] = {}
        problems: list[Problem] = []
        with self._db() as db:
            present = _named(db.tables())
            for name in TABLES:
                names = present.get(name, [])
                if len(names) > 1:
                    problems.append(self._twin_tables(name, names))
                    continue
                if not names:
                    if name not in OPTIONAL_TABLES:
                        problems.append(self._missing_table(name))
                    continue
                raw, found = self._read_table(db, name, names[0])
                problems.extend(found)
                if raw is not None:
                    raws[name] = raw
        return raws, problems

    def _missing_table(self, name: str) -> Problem:
        where = f" in schema {self.target.schema}" if self.target.schema else ""
        return Problem(
            self.label,
            None,
            None,
            None,
            f"table {name} is missing{where}; create it with the columns of "
            "docs/data-contract.md (`pumpurs load FOLDER URL` writes a data folder into it)",
        )

    def _twin_tables(self, name: str, names: list[str]) -> Problem:
        """Tables whose names differ only in case (`EXPENDITURES` beside `expenditures`):
        which one holds the data is the user's to say, as for two files of one table."""
        listed = ", ".join(names[:-1]) + f" and {names[-1]}"
        return Problem(
            self.label,
            None,
            None,
            None,
            f"the tables {listed} both name the table {name}; keep one (rename or drop the others)",
        )

    def _read_table(
        self, db: Backend, name: str, actual: str
    ) -> tuple[RawTable | None, list[Problem]]:
        chosen, columns = self._contract_columns(db, actual)
        kinds = {c.name: c for c in TABLES[name]}
        problems = [
            p for c in chosen if (p := _type_problem(name, kinds[_contract(c.name)], c)) is not None
        ]
        problems += _twins(name, columns)
        if not problems and db.count(actual, MAX_ROWS + 1) > MAX_ROWS:
            most = f"{MAX_ROWS:,}".replace(",", " ")
            problems.append(
                Problem(
                    name,
                    None,
                    None,
                    None,
                    f"has more than {most} rows, more than the programme's data can hold "
                    "(the national ledger has under a million); give the table itself, not "
                    "a view that multiplies it",
                )
            )
        if problems:
            return None, problems
        selected = [c.name for c in chosen]
        arrow = self._fetched.pop(name, None)
        if arrow is None:
            arrow = _fetch(db, actual, chosen)
        text = {}
        for c in chosen:
            kind, family = kinds[_contract(c.name)].kind, type_family(c.type)
            values = arrow.column(c.name)
            if kind == "date":
                values = _local_day(values)
            values = as_text(values)
            if kind == "date" and family != "text":
                values = _day(values)
            if kind == "money" and family == "decimal":
                values = _value_scale(values)
            text[_contract(c.name)] = values
        frame = _ordered(pa.table(text), name).to_pandas() if selected else pd.DataFrame()
        frame["_row"] = np.arange(1, len(frame) + 1)
        key = ORDER[name]
        if key in frame:
            self._keys[name] = (key, frame[key].to_numpy())
            self._keyless[name] = _keyless(frame, name, key)
        if name not in self._digests:
            self._digests[name] = self._table_fingerprint(db, name, [actual], chosen, arrow)
        source = Source(
            name,
            Path(name),
            None,
            self._digests[name],
            self.target.backend,
            header_row=None,
            columns_in="the table",
        )
        headers = [c.strip().lower() for c in selected]
        return RawTable(source, frame, headers), []

    def _table_fingerprint(
        self,
        db: Backend,
        name: str,
        actual: list[str],
        chosen: list[Column],
        fetched: pa.Table | None = None,
    ) -> str:
        shape = ",".join(f"{c.name}:{c.type}" for c in chosen)
        checksum = db.checksum(actual[0], [c.name for c in chosen], fetched) if chosen else "0:0"
        twins = "|".join(actual[1:])  # a second table of the name changes it too
        return hashlib.sha256(f"{name}|{shape}|{checksum}|{twins}".encode()).hexdigest()

    def _fingerprints(self) -> dict[str, str]:
        with self._db() as db:
            present = _named(db.tables())
            for name in TABLES:
                if name in present and name not in self._digests:
                    chosen, _ = self._contract_columns(db, present[name][0])
                    fetched = None
                    if not db.hashes_in_sql and chosen:  # read once: kept for `read`
                        if db.count(present[name][0], MAX_ROWS + 1) > MAX_ROWS:
                            self._digests[name] = f"{name}: more than {MAX_ROWS} rows"
                            continue  # `read` refuses it; nothing is fetched
                        fetched = self._fetched[name] = _fetch(db, present[name][0], chosen)
                    self._digests[name] = self._table_fingerprint(
                        db, name, present[name], chosen, fetched
                    )
            return {n: d for n, d in self._digests.items() if n in present}

    def fingerprint(self) -> str:
        h = hashlib.sha256()
        for name, digest in sorted(self._fingerprints().items()):
            h.update(f"{name}:{digest}\n".encode())
        return h.hexdigest()[:20]

    def describe(self) -> list[dict[str, str]]:
        return [
            {"role": "data", "path": f"{self.label}#{name}", "sha256": digest}
            for name, digest in sorted(self._fingerprints().items())
        ]

    def locate(self, problem: Problem) -> Problem:
        """A row named by its key as well as its position in key order; a row without a
        key by a few of its other values, which a query can find it by."""
        if problem.row is None or problem.file not in self._keys:
            return problem
        column, keys = self._keys[problem.file]
        if not 1 <= problem.row <= len(keys):
            return problem
        from dataclasses import replace

        if str(keys[problem.row - 1]):
            return replace(problem, key=f"{column} {keys[problem.row - 1]}")
        others = self._keyless[problem.file].get(problem.row)
        return replace(problem, key=f"no {column}" + (f"; {others}" if others else ""))


def _keyless(frame: pd.DataFrame, name: str, key: str) -> dict[int, str]:
    """The rows without a key, each as a few of its other values (`partner_id P1,
    school_id S1, …`): what `locate` names them by. Kept apart from the table's text,
    which is not held once it is validated."""
    out: dict[int, str] = {}
    for position in np.flatnonzero(frame[key].to_numpy() == "")[:MAX_PROBLEMS]:
        row = frame.iloc[position]
        values = [
            f"{c.name} {str(row[c.name])[:40]}"
            for c in TABLES[name]
            if c.name != key and c.name in row.index and str(row[c.name])
        ]
        out[int(position) + 1] = ", ".join(values[:4])
    return out


def _fetch(db: Backend, table: str, chosen: list[Column]) -> pa.Table:
    """The contract's columns of a table, those the driver cannot hand over as Arrow
    values cast to text in SQL."""
    if not chosen:
        return pa.table({})
    cast = [c.name for c in chosen if type_family(c.type) not in NATIVE]
    return db.fetch(table, [c.name for c in chosen], cast)


def _named(names: list[str]) -> dict[str, list[str]]:
    """The database's tables by the contract's name each would be (case ignored)."""
    out: dict[str, list[str]] = {}
    for n in sorted(names):
        out.setdefault(_contract(n), []).append(n)
    return out


def _contract(name: str) -> str:
    """A table's or column's name as the contract spells it."""
    return name.strip().lower()


def _twins(table: str, columns: list[Column]) -> list[Problem]:
    """Two columns that both name one of the contract's (`Amount_EUR` and `amount_eur`)."""
    seen: dict[str, list[str]] = {}
    for c in columns:
        seen.setdefault(_contract(c.name), []).append(c.name)
    wanted = {c.name for c in TABLES[table]}
    return [
        Problem(
            table,
            None,
            name,
            None,
            f"is named by {len(names)} columns ({', '.join(names)}); keep one of them",
        )
        for name, names in seen.items()
        if name in wanted and len(names) > 1
    ]


def _ordered(table: pa.Table, name: str) -> pa.Table:
    """Rows in key order (then by every other column), compared as bytes: the same order
    from every backend whatever the database's collation, so positions are stable."""
    by = list(
        dict.fromkeys(c for c in (ORDER[name], *table.column_names) if c in table.column_names)
    )
    return table.sort_by([(c, "ascending") for c in by]) if by else table


# ---------------------------------------------------------------------------
# Writing a data set into a database (`pumpurs load`)
# ---------------------------------------------------------------------------
SQL_TYPES = {
    "money": "NUMERIC(14,2)",
    "date": "DATE",
    "int": "INTEGER",
    "number": "DOUBLE PRECISION",  # what pumpurs holds hours as: every value kept exactly
}


def _native(frame: pd.DataFrame, col: Col) -> pa.Array:
    """A typed column of a Dataset as the Arrow array a database stores natively."""
    from pumpurs.core.contract import MONEY_COLUMNS

    if col.kind == "money":
        cents = frame[MONEY_COLUMNS[col.name]]
        values = [None if pd.isna(c) else Decimal(int(c)).scaleb(-2) for c in cents]
        return pa.array(values, pa.decimal128(14, 2))
    series = frame[col.name]
    if col.kind == "date":
        return pa.array(series.dt.date.where(series.notna(), None), pa.date32())
    if col.kind == "int":
        return pa.array(series.astype("Int64"), pa.int32())
    if col.kind == "number":
        return pa.array(series.astype("float64"), pa.float64(), from_pandas=True)
    text = series.astype(str)
    return pa.array(text.where(text != "", None), pa.string())


def dataset_tables(ds: Dataset) -> dict[str, pa.Table]:
    """The data set's tables with native types, rows in the order they were read."""
    out: dict[str, pa.Table] = {}
    for name, cols in TABLES.items():
        frame = ds.table(name)
        if name in OPTIONAL_TABLES and name not in ds.sources:
            continue
        out[name] = pa.table({c.name: _native(frame, c) for c in cols})
    return out


def _ddl(name: str, table: str, text_money: bool = False) -> str:
    columns = []
    for c in TABLES[name]:
        sql = SQL_TYPES.get(c.kind, "TEXT")
        if text_money and c.kind in ("money", "number"):
            sql = "TEXT"  # SQLite has no exact decimal type: text keeps every cent
        columns.append(f"{_quote(c.name)} {sql}")
    return f"CREATE TABLE {table} ({', '.join(columns)})"


def write_dataset(ds: Dataset, spec: str, replace: bool = False) -> list[str]:
    """Write a validated data set into the database `spec` names; the tables it wrote.

    Refuses to touch tables that exist unless `replace`; everything in one transaction.
    """
    target = parse_target(spec)
    tables = dataset_tables(ds)
    writer, errors = {
        "duckdb": (_write_duckdb, ("duckdb", "Error")),
        "postgresql": (_write_postgres, ("adbc_driver_postgresql.dbapi", "Error")),
        "sqlalchemy": (_write_sqlalchemy, ("sqlalchemy.exc", "SQLAlchemyError")),
    }[target.backend]
    failure = getattr(_driver(errors[0], target.backend), errors[1])
    try:
        writer(target, tables, replace)
    except failure as e:  # all in one transaction: a failure leaves the database as it was
        raise SourceError(
            f"{target.label}: could not write the tables ({_reason(e)}); nothing was written"
        ) from None
    return list(tables)


def _exists_message(target: Target, names: list[str]) -> UsageError:
    return UsageError(
        f"{target.label}: already has the table{'s' if len(names) > 1 else ''} "
        f"{', '.join(names)}; give --replace to replace them, or another database"
    )


def _write_duckdb(target: Target, tables: dict[str, pa.Table], replace: bool) -> None:
    duckdb = _driver("duckdb", "DuckDB")
    path = Path(target.connect).expanduser()
    if not path.parent.is_dir():
        raise UsageError(f"{target.label}: the folder {path.parent} does not exist; create it")
    created = not path.exists()
    con = duckdb.connect(str(path))
    try:
        schema = target.schema or "main"
        con.execute("BEGIN TRANSACTION")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
        have = {
            r[0].lower()
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                f"WHERE table_schema = {_literal(schema)}"
            ).fetchall()
        }
        clash = sorted(set(tables) & have)
        if clash and not replace:
            raise _exists_message(target, clash)
        for name, arrow in tables.items():
            qualified = f"{_quote(schema)}.{_quote(name)}"
            con.execute(f"DROP TABLE IF EXISTS {qualified}")
            con.execute(_ddl(name, qualified))
            con.register("_pumpurs_rows", arrow)
            con.execute(f"INSERT INTO {qualified} SELECT * FROM _pumpurs_rows")
            con.unregister("_pumpurs_rows")
        con.execute("COMMIT")
        created = False
    finally:
        con.close()
        if created:  # a file this call made and did not fill: gone again
            path.unlink(missing_ok=True)
            path.with_name(path.name + ".wal").unlink(missing_ok=True)


def _write_postgres(target: Target, tables: dict[str, pa.Table], replace: bool) -> None:
    dbapi = _driver("adbc_driver_postgresql.dbapi", "PostgreSQL")
    try:
        con = dbapi.connect(target.connect)
    except Exception as e:
        raise SourceError(f"{target.label}: cannot connect ({_reason(e)})") from None
    try:
        cur = con.cursor()
        if target.schema:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(target.schema)}")
        cur.execute("SELECT current_schema()")
        schema = target.schema or cur.fetchall()[0][0]
        cur.execute(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = {_literal(schema)}"
        )
        clash = sorted(set(tables) & {r[0].lower() for r in cur.fetchall()})
        if clash and not replace:
            raise _exists_message(target, clash)
        for name, arrow in tables.items():
            qualified = f"{_quote(schema)}.{_quote(name)}"
            cur.execute(f"DROP TABLE IF EXISTS {qualified}")
            cur.execute(_ddl(name, qualified))
            cur.adbc_ingest(name, arrow, mode="append", db_schema_name=schema)
        con.commit()
    finally:
        con.close()


def _exact_text(value: Any) -> Any:
    """A number as the text that reads back as exactly it (SQLite's own REAL-to-TEXT
    conversion keeps 15 digits)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return repr(value)
    return value


WRITE_BATCH = 20_000
"""Rows per INSERT batch of `pumpurs load` through SQLAlchemy: memory stays that of one
batch, not of the ledger as Python objects."""


def _inserter(con: Any, sa: Any, qualified: str, names: list[str]) -> Any:
    """`insert(rows)` for a batch of row tuples: straight to the DB-API driver where its
    placeholders are positional (SQLite's `?`, MySQL's `%s`), else through SQLAlchemy."""
    columns = ", ".join(map(_quote, names))
    marks = {"qmark": "?", "format": "%s"}.get(con.dialect.paramstyle)
    if marks is not None:
        sql = f"INSERT INTO {qualified} ({columns}) VALUES ({', '.join([marks] * len(names))})"
        return lambda rows: con.exec_driver_sql(sql, rows)
    binds = ", ".join(f":p{i}" for i in range(len(names)))
    text = sa.text(f"INSERT INTO {qualified} ({columns}) VALUES ({binds})")
    return lambda rows: con.execute(text, [{f"p{i}": v for i, v in enumerate(r)} for r in rows])


def _write_sqlalchemy(target: Target, tables: dict[str, pa.Table], replace: bool) -> None:
    sa = _driver("sqlalchemy", "SQLAlchemy")
    engine = sa.create_engine(target.connect)
    try:
        text_money = engine.dialect.name == "sqlite"
        have = {n.lower() for n in sa.inspect(engine).get_table_names(schema=target.schema)}
        clash = sorted(set(tables) & have)
        if clash and not replace:
            raise _exists_message(target, clash)
        with engine.begin() as con:
            for name, arrow in tables.items():
                qualified = (
                    f"{_quote(target.schema)}.{_quote(name)}" if target.schema else _quote(name)
                )
                con.execute(sa.text(f"DROP TABLE IF EXISTS {qualified}"))
                con.execute(sa.text(_ddl(name, qualified, text_money)))
                names = [c.name for c in TABLES[name]]
                insert = _inserter(con, sa, qualified, names)
                exact = {  # SQLite keeps money and hours as text that reads back exactly
                    n
                    for n in names
                    if text_money
                    and (pa.types.is_decimal(arrow[n].type) or pa.types.is_floating(arrow[n].type))
                }
                for batch in arrow.select(names).to_batches(WRITE_BATCH):
                    columns = [
                        [_exact_text(v) for v in batch[n].to_pylist()]
                        if n in exact
                        else batch[n].to_pylist()
                        for n in names
                    ]
                    insert(list(zip(*columns, strict=True)))
    finally:
        engine.dispose()
