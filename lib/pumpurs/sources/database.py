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
from pumpurs.core.errors import Problem, SourceError, UsageError
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
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(spec)
    except ArgumentError:
        raise UsageError(
            f"{_mask(spec)}: is not a database URL; write it as "
            "postgresql://user@host:5432/dbname, duckdb:///path/to/file.duckdb or "
            "sqlite:///path/to/file.db"
        ) from None
    secrets = [k for k in url.query if SECRET_KEY.search(k)]
    shown = url.update_query_dict({k: "***" for k in secrets})
    label = shown.render_as_string(hide_password=True).replace("%2A%2A%2A", "***")
    if url.password or secrets:
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


def _mask(text: str) -> str:
    """Any `user:password@` in a text shown as `user:***@`."""
    return re.sub(r"(://[^:/@\s]*):[^@\s]*@", r"\1:***@", text)


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
    return _mask(first.replace("FATAL:  ", ""))


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# ---------------------------------------------------------------------------
# Backends: the few things a source needs from a database
# ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    name: str  # as the database spells it
    type: str  # the database's type name, as messages show it


class Backend(Protocol):
    def tables(self) -> dict[str, str]:
        """Lower-case name -> the name as the database spells it."""
        ...

    def columns(self, table: str) -> list[Column]: ...

    def fetch(self, table: str, columns: Sequence[str], text: Sequence[str] = ()) -> pa.Table:
        """The columns as Arrow arrays, those in `text` cast to text; any order of rows."""
        ...

    def checksum(self, table: str, columns: Sequence[str]) -> str:
        """Row count and a sum of row hashes, computed where the data is."""
        ...

    def close(self) -> None: ...

    errors: tuple[type[BaseException], ...]
    """The driver's own exceptions, which `connect` turns into one line."""


class InformationSchema:
    """What DuckDB and PostgreSQL share: the standard catalogue, and one schema."""

    schema: str

    def _rows(self, sql: str) -> list[tuple]:
        raise NotImplementedError

    def tables(self) -> dict[str, str]:
        rows = self._rows(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = {_literal(self.schema)}"
        )
        return {str(r[0]).lower(): str(r[0]) for r in rows}

    def columns(self, table: str) -> list[Column]:
        rows = self._rows(
            "SELECT column_name, data_type FROM information_schema.columns "
            f"WHERE table_schema = {_literal(self.schema)} AND table_name = {_literal(table)} "
            "ORDER BY ordinal_position"
        )
        return [Column(str(n), str(t)) for n, t in rows]

    def _from(self, table: str) -> str:
        return f"{_quote(self.schema)}.{_quote(table)}"

    def _select(self, table: str, columns: Sequence[str], text: Sequence[str]) -> str:
        names = [
            f"CAST({_quote(c)} AS VARCHAR) AS {_quote(c)}" if c in text else _quote(c)
            for c in columns
        ]
        return f"SELECT {', '.join(names)} FROM {self._from(table)}"


class DuckDBBackend(InformationSchema):
    def __init__(self, target: Target) -> None:
        duckdb = _driver("duckdb", "DuckDB")
        path = Path(target.connect).expanduser()
        if not path.is_file():
            raise SourceError(f"{target.label}: no such DuckDB file; give the file's path")
        try:
            self.con = duckdb.connect(str(path), read_only=True)
        except duckdb.Error as e:
            raise SourceError(
                f"{target.label}: cannot be opened as a DuckDB database ({_reason(e)}); "
                "give a DuckDB file that no other program is writing to"
            ) from None
        self.errors = (duckdb.Error,)
        self.schema = target.schema or "main"
        self.con.execute("BEGIN TRANSACTION")  # one snapshot for every table

    def _rows(self, sql: str) -> list[tuple]:
        return self.con.execute(sql).fetchall()

    def fetch(self, table: str, columns: Sequence[str], text: Sequence[str] = ()) -> pa.Table:
        relation = self.con.sql(self._select(table, columns, text))
        to_arrow = getattr(relation, "to_arrow_table", None) or relation.arrow  # DuckDB 2 / 1
        return to_arrow()

    def checksum(self, table: str, columns: Sequence[str]) -> str:
        cols = ", ".join(map(_quote, columns))
        (count, total), *_ = self._rows(
            f"SELECT count(*), coalesce(sum(hash({cols})), 0) FROM {self._from(table)}"
        )
        return f"{count}:{total}"

    def close(self) -> None:
        self.con.close()


class PostgresBackend(InformationSchema):
    """PostgreSQL through ADBC (libpq underneath): Arrow out of binary COPY."""

    def __init__(self, target: Target) -> None:
        dbapi = _driver("adbc_driver_postgresql.dbapi", "PostgreSQL")
        try:
            self.con = dbapi.connect(target.connect, autocommit=True)
        except Exception as e:  # the driver's errors have no common base worth naming
            raise SourceError(
                f"{target.label}: cannot connect ({_reason(e)}); check the host, port, "
                "database and user, and that the server runs; a password is read from "
                "PGPASSWORD or ~/.pgpass"
            ) from None
        self.errors = (dbapi.Error,)
        self.cur = self.con.cursor()
        try:
            self.cur.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self.schema = target.schema or str(self._rows("SELECT current_schema()")[0][0])
        except dbapi.Error as e:
            self.close()
            raise SourceError(f"{target.label}: cannot start reading ({_reason(e)})") from None

    def _rows(self, sql: str) -> list[tuple]:
        self.cur.execute(sql)
        return list(self.cur.fetchall())

    # The catalogue itself, not information_schema, which hides the tables a user may not
    # read: a table without SELECT is then "permission denied", not "missing".
    def tables(self) -> dict[str, str]:
        rows = self._rows(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            f"ON n.oid = c.relnamespace WHERE n.nspname = {_literal(self.schema)} "
            "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')"
        )
        return {str(r[0]).lower(): str(r[0]) for r in rows}

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
        self.cur.execute(self._select(table, columns, text))
        return self.cur.fetch_arrow_table()

    def checksum(self, table: str, columns: Sequence[str]) -> str:
        row = f"ROW({', '.join(map(_quote, columns))})::text"  # 64-bit hash: PostgreSQL 11+
        (count, total), *_ = self._rows(
            f"SELECT count(*), coalesce(sum(hashtextextended({row}, 0)::numeric), 0) "
            f"FROM {self._from(table)}"
        )
        return f"{count}:{total}"

    def close(self) -> None:
        try:
            self.cur.execute("ROLLBACK")  # nothing was changed; ends the snapshot
        except self.errors:
            pass  # the connection is gone; closing it is all that is left
        finally:
            self.cur.close()
            self.con.close()


class SQLAlchemyBackend:
    """Any database SQLAlchemy has a dialect and a driver for (SQLite, MySQL, …)."""

    def __init__(self, target: Target) -> None:
        sa = _driver("sqlalchemy", "SQLAlchemy")
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

        try:
            self.engine = sa.create_engine(target.connect)
            self.con = self.engine.connect()
            self.inspector = sa.inspect(self.con)
        except (NoSuchModuleError, ModuleNotFoundError) as e:
            raise SourceError(
                f"{target.label}: no driver for this database is installed ({_reason(e)}); "
                "install it with pip, or use postgresql:// or duckdb://"
            ) from None
        except (SQLAlchemyError, ArgumentError, OSError) as e:
            raise SourceError(f"{target.label}: cannot connect ({_reason(e)})") from None
        self.errors = (SQLAlchemyError,)
        self.schema = target.schema
        self.sa = sa

    def tables(self) -> dict[str, str]:
        return {n.lower(): n for n in self.inspector.get_table_names(schema=self.schema)}

    def columns(self, table: str) -> list[Column]:
        return [
            Column(str(c["name"]), str(c["type"]))
            for c in self.inspector.get_columns(table, schema=self.schema)
        ]

    def _select(self, table: str, columns: Sequence[str]) -> Any:
        t = self.sa.table(table, *(self.sa.column(c) for c in columns), schema=self.schema)
        return self.sa.select(*t.columns)

    def fetch(self, table: str, columns: Sequence[str], text: Sequence[str] = ()) -> pa.Table:
        from pumpurs.sources.folder import _cell_text

        rows = self.con.execute(self._select(table, columns)).fetchall()
        # Values as the driver gives them (SQLite's may differ in type row by row): as text.
        return pa.table(
            {
                c: pa.array([_cell_text(r[i]) for r in rows], pa.string())
                for i, c in enumerate(columns)
            }
        )

    def checksum(self, table: str, columns: Sequence[str]) -> str:
        frame = self.fetch(table, columns).to_pandas()
        rows = pd.util.hash_pandas_object(frame, index=False).to_numpy()
        return f"{len(rows)}:{int(rows.astype(np.uint64).sum(dtype=np.uint64))}"

    def close(self) -> None:
        self.con.close()
        self.engine.dispose()


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
def connect(target: Target) -> Iterator[Backend]:
    """A connection whose driver errors (a table the user may not read, a server that
    went away) become one line naming the database, not a traceback."""
    backend = BACKENDS[target.backend](target)
    try:
        yield backend
    except backend.errors as e:
        raise SourceError(
            f"{target.label}: the database refused to hand over the data ({_reason(e)}); "
            "check that this user may read the tables (GRANT SELECT) and try again"
        ) from None
    finally:
        with suppress(backend.errors):
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
    "date": {"text", "untyped", "date", "timestamp"},
    "month": _TEXTUAL,
    "int": {"text", "untyped", "int", "decimal"},
    "number": {"text", "untyped", "int", "decimal", "float"},
    "semester": _TEXTUAL,
    "school_year": _TEXTUAL,
}
NATIVE = {"text", "int", "decimal", "float", "date", "timestamp", "bool", "untyped"}
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
    why = " (its day would depend on the time zone)" if family == "timestamptz" else ""
    return Problem(
        label,
        None,
        col.name,
        None,
        f"is of type {column.type}{why}; this column holds {EXPECTED[col.kind]}; change its type",
    )


def _day(column: pa.Array) -> pa.Array:
    """Text timestamps of a date column (SQLite's DATETIME: `2020-02-05 00:00:00`) as
    their day; anything else is left for the validator to name."""
    import pyarrow.compute as pc

    stamp = pc.match_substring_regex(column, r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}")
    return pc.if_else(stamp, pc.utf8_slice_codeunits(column, 0, 10), column)


# ---------------------------------------------------------------------------
# The source
# ---------------------------------------------------------------------------
class DatabaseSource:
    """The five tables in a database: DuckDB, PostgreSQL or any SQLAlchemy URL."""

    def __init__(self, spec: str, schema: str | None = None) -> None:
        self.target = parse_target(spec)
        if schema:
            self.target = Target(
                self.target.backend, self.target.connect, self.target.label, schema
            )
        self.label = self.spec = self.target.label
        self._keys: dict[str, tuple[str, np.ndarray]] = {}

    def _contract_columns(self, db: Backend, table: str) -> tuple[list[Column], list[Column]]:
        """The contract's columns the table has, in the contract's order, and all of them."""
        columns = db.columns(table)
        by_name = {c.name.strip().lower(): c for c in columns}
        return [by_name[c.name] for c in TABLES[_contract(table)] if c.name in by_name], columns

    def read(self) -> tuple[dict[str, RawTable], list[Problem]]:
        raws: dict[str, RawTable] = {}
        problems: list[Problem] = []
        with connect(self.target) as db:
            present = db.tables()
            for name in TABLES:
                if name not in present:
                    if name not in OPTIONAL_TABLES:
                        problems.append(self._missing_table(name))
                    continue
                raw, found = self._read_table(db, name, present[name])
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

    def _read_table(
        self, db: Backend, name: str, actual: str
    ) -> tuple[RawTable | None, list[Problem]]:
        chosen, columns = self._contract_columns(db, actual)
        kinds = {c.name: c for c in TABLES[name]}
        problems = [
            p for c in chosen if (p := _type_problem(name, kinds[_contract(c.name)], c)) is not None
        ]
        problems += _twins(name, columns)
        if problems:
            return None, problems
        selected = [c.name for c in chosen]
        cast = [c.name for c in chosen if type_family(c.type) not in NATIVE]
        arrow = db.fetch(actual, selected, cast) if selected else pa.table({})
        text = {}
        for c in chosen:
            values = as_text(arrow.column(c.name))
            if kinds[_contract(c.name)].kind == "date" and type_family(c.type) != "text":
                values = _day(values)
            text[_contract(c.name)] = values
        frame = _ordered(pa.table(text), name).to_pandas() if selected else pd.DataFrame()
        frame["_row"] = np.arange(1, len(frame) + 1)
        key = ORDER[name]
        if key in frame:
            self._keys[name] = (key, frame[key].to_numpy())
        source = Source(
            name,
            Path(name),
            None,
            self._table_fingerprint(db, name, actual, chosen),
            self.target.backend,
            header_row=None,
            columns_in="the table",
        )
        headers = [c.strip().lower() for c in selected]
        return RawTable(source, frame, headers), []

    def _table_fingerprint(self, db: Backend, name: str, actual: str, chosen: list[Column]) -> str:
        shape = ",".join(f"{c.name}:{c.type}" for c in chosen)
        checksum = db.checksum(actual, [c.name for c in chosen]) if chosen else "0:0"
        return hashlib.sha256(f"{name}|{shape}|{checksum}".encode()).hexdigest()

    def _fingerprints(self) -> dict[str, str]:
        out: dict[str, str] = {}
        with connect(self.target) as db:
            present = db.tables()
            for name in TABLES:
                if name in present:
                    chosen, _ = self._contract_columns(db, present[name])
                    out[name] = self._table_fingerprint(db, name, present[name], chosen)
        return out

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
        """A row named by its key as well as its position in key order."""
        if problem.row is None or problem.file not in self._keys:
            return problem
        column, keys = self._keys[problem.file]
        if not 1 <= problem.row <= len(keys) or not str(keys[problem.row - 1]):
            return problem
        from dataclasses import replace

        return replace(problem, key=f"{column} {keys[problem.row - 1]}")


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
                rows = arrow.to_pylist()
                if text_money:
                    rows = [{k: _exact_text(v) for k, v in r.items()} for r in rows]
                names = [c.name for c in TABLES[name]]
                insert = sa.text(
                    f"INSERT INTO {qualified} ({', '.join(map(_quote, names))}) "
                    f"VALUES ({', '.join(':p' + str(i) for i in range(len(names)))})"
                )
                con.execute(insert, [{f"p{i}": r[n] for i, n in enumerate(names)} for r in rows])
    finally:
        engine.dispose()
