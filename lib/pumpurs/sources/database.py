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
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote as url_quote

import numpy as np
import pandas as pd
import pyarrow as pa

from pumpurs.core.contract import OPTIONAL_TABLES, TABLES
from pumpurs.core.dataset import RawTable, Source
from pumpurs.core.errors import Problem, PumpursError, SourceError, TemporaryError
from pumpurs.sources.cells import as_text
from pumpurs.sources.database_target import (  # noqa: F401  (DUCKDB_SUFFIXES, SECRET_KEY, shown: re-exported)
    DUCKDB_SUFFIXES,
    SECRET_KEY,
    Target,
    driver,
    literal,
    parse_target,
    quote,
    reason,
    shown,
)
from pumpurs.sources.database_types import (  # noqa: F401  (type_family: re-exported)
    NATIVE,
    ORDER,
    Column,
    by_contract_name,
    contract_name,
    day_text,
    in_key_order,
    keyless_rows,
    local_day,
    text_array,
    twin_columns,
    type_family,
    type_problem,
    value_scale,
)
from pumpurs.sources.database_write import dataset_tables, write_dataset  # noqa: F401  (their old home)

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
        f"{target.label}: the database refused to hand over the data ({reason(e)}); "
        "check that this user may read the tables (GRANT SELECT) and try again"
    )


def _lost(target: Target, e: BaseException) -> TemporaryError:
    return TemporaryError(
        f"{target.label}: the connection to the database was lost while reading "
        f"({reason(e)}); nothing was computed or written; run again once the database "
        "is back"
    )


def _locked(target: Target, e: BaseException) -> TemporaryError:
    return TemporaryError(
        f"{target.label}: another program holds the database locked ({reason(e)}); "
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
            f"WHERE table_schema = {literal(self.schema)}"
        )
        return [str(r[0]) for r in rows]

    def columns(self, table: str) -> list[Column]:
        rows = self._rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = {literal(self.schema)} AND table_name = {literal(table)} "
            "ORDER BY ordinal_position"
        )
        return [Column(str(n), str(t)) for n, t in rows]

    def count(self, table: str, limit: int) -> int:
        self.table = table
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {self._from(table)} LIMIT {int(limit)}) AS n"
        return int(self._rows(sql)[0][0])

    def _from(self, table: str) -> str:
        return f"{quote(self.schema)}.{quote(table)}"

    def _select(self, table: str, columns: Sequence[str], text: Sequence[str]) -> str:
        names = [
            f"CAST({quote(c)} AS VARCHAR) AS {quote(c)}" if c in text else quote(c) for c in columns
        ]
        return f"SELECT {', '.join(names)} FROM {self._from(table)}"


class DuckDBBackend(InformationSchema):
    """A DuckDB file, opened read-only in a sandbox (`DUCKDB_SANDBOX`): its views may
    use the file's own tables, nothing outside it; each query is stopped after
    `STATEMENT_SECONDS`."""

    def __init__(self, target: Target) -> None:
        duckdb = driver("duckdb", "DuckDB")
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
                f"{target.label}: cannot be opened as a DuckDB database ({reason(e)}); "
                "give a DuckDB file that no other program is writing to"
            ) from None
        self.duckdb = duckdb
        self.errors = (duckdb.Error,)
        self.schema = target.schema or "main"
        self.con.execute("BEGIN TRANSACTION")  # one snapshot for every table

    @contextmanager
    def _deadline(self) -> Iterator[None]:
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
        cols = ", ".join(map(quote, columns))
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
                f"({reason(e)}); a DuckDB file's views may use only its own tables: store "
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
        dbapi = driver("adbc_driver_postgresql.dbapi", "PostgreSQL")
        self.target = target
        try:
            self.con = dbapi.connect(target.connect, autocommit=True)
        except Exception as e:  # the driver's errors have no common base worth naming
            # Not reached, or not ready: a later run may succeed. Anything else (no such
            # database or user, a wrong or missing password) is the user's to fix.
            error = TemporaryError if UNREACHABLE.search(str(e)) else SourceError
            raise error(
                f"{target.label}: cannot connect ({reason(e)}); check the host, port, "
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
            raise SourceError(f"{target.label}: cannot start reading ({reason(e)})") from None

    def _rows(self, sql: str) -> list[tuple]:
        self.cur.execute(sql)
        return list(self.cur.fetchall())

    # The catalogue itself, not information_schema, which hides the tables a user may not
    # read: a table without SELECT is then "permission denied", not "missing".
    def tables(self) -> list[str]:
        rows = self._rows(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            f"ON n.oid = c.relnamespace WHERE n.nspname = {literal(self.schema)} "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        )
        return [str(r[0]) for r in rows]

    def columns(self, table: str) -> list[Column]:
        rows = self._rows(
            "SELECT a.attname, format_type(a.atttypid, a.atttypmod) "
            "FROM pg_catalog.pg_attribute a JOIN pg_catalog.pg_class c ON c.oid = a.attrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            f"WHERE n.nspname = {literal(self.schema)} AND c.relname = {literal(table)} "
            "AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum"
        )
        return [Column(str(n), str(t)) for n, t in rows]

    def fetch(self, table: str, columns: Sequence[str], text: Sequence[str] = ()) -> pa.Table:
        self.table = table
        self.cur.execute(self._select(table, columns, text))
        return self.cur.fetch_arrow_table()

    def checksum(self, table: str, columns: Sequence[str], fetched: pa.Table | None) -> str:
        self.table = table
        row = f"ROW({', '.join(map(quote, columns))})::text"  # 64-bit hash: PostgreSQL 11+
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
        sa = driver("sqlalchemy", "SQLAlchemy")
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
                f"{target.label}: no driver for this database is installed ({reason(e)}); "
                "install it with pip, or use postgresql:// or duckdb://"
            ) from None
        except SQLAlchemyError as e:
            raise self._classified(e) or SourceError(
                f"{target.label}: cannot connect ({reason(e)})"
            ) from None
        except (ArgumentError, OSError) as e:
            raise SourceError(f"{target.label}: cannot connect ({reason(e)})") from None

    def _sqlite(self, database: str | None) -> Any:
        """How an SQLite file is opened: read-only by a `file:` URI, so a typo's name is
        "no such file", never a new empty database; a query past its deadline stops."""
        if not database or database == ":memory:" or not Path(database).is_file():
            what = f"no such file ({database})" if database else "names no file"
            raise SourceError(
                f"{self.target.label}: {what}; give the SQLite file's path, "
                "sqlite:///relative/path.db or sqlite:////absolute/path.db"
            )
        uri = f"file:{url_quote(str(Path(database).resolve()))}?mode=ro"

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
        return pa.table({c: text_array(v) for c, v in zip(columns, values, strict=True)})

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
                f"{self.target.label}: is not an SQLite database ({reason(e)}); give an "
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


BACKENDS: dict[str, type] = {
    "duckdb": DuckDBBackend,
    "postgresql": PostgresBackend,
    "sqlalchemy": SQLAlchemyBackend,
}


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


"""Families whose Arrow arrays `as_text` reads; any other column is cast to text in SQL."""


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
        return [by_name[c.name] for c in TABLES[contract_name(table)] if c.name in by_name], columns

    def read(self) -> tuple[dict[str, RawTable], list[Problem]]:
        raws: dict[str, RawTable] = {}
        problems: list[Problem] = []
        with self._db() as db:
            present = by_contract_name(db.tables())
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
            code="missing_table",
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
            code="duplicate_table",
        )

    def _read_table(
        self, db: Backend, name: str, actual: str
    ) -> tuple[RawTable | None, list[Problem]]:
        chosen, columns = self._contract_columns(db, actual)
        kinds = {c.name: c for c in TABLES[name]}
        problems = [
            p
            for c in chosen
            if (p := type_problem(name, kinds[contract_name(c.name)], c)) is not None
        ]
        problems += twin_columns(name, columns)
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
                    code="too_many_rows",
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
            kind, family = kinds[contract_name(c.name)].kind, type_family(c.type)
            values = arrow.column(c.name)
            if kind == "date":
                values = local_day(values)
            values = as_text(values)
            if kind == "date" and family != "text":
                values = day_text(values)
            if kind == "money" and family == "decimal":
                values = value_scale(values)
            text[contract_name(c.name)] = values
        frame = in_key_order(pa.table(text), name).to_pandas() if selected else pd.DataFrame()
        frame["_row"] = np.arange(1, len(frame) + 1)
        key = ORDER[name]
        if key in frame:
            self._keys[name] = (key, frame[key].to_numpy())
            self._keyless[name] = keyless_rows(frame, name, key)
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
            present = by_contract_name(db.tables())
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
        if str(keys[problem.row - 1]):
            return replace(problem, key=f"{column} {keys[problem.row - 1]}")
        others = self._keyless[problem.file].get(problem.row)
        return replace(problem, key=f"no {column}" + (f"; {others}" if others else ""))


def _fetch(db: Backend, table: str, chosen: list[Column]) -> pa.Table:
    """The contract's columns of a table, those the driver cannot hand over as Arrow
    values cast to text in SQL."""
    if not chosen:
        return pa.table({})
    cast = [c.name for c in chosen if type_family(c.type) not in NATIVE]
    return db.fetch(table, [c.name for c in chosen], cast)
