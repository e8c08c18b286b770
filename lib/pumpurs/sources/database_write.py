"""Writing a validated data set into a database with native types (`pumpurs load`), so
that the demo can be tried on one: DuckDB, PostgreSQL (ADBC) or any SQLAlchemy URL, all
in one transaction, never over tables that exist unless asked to replace them."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from pumpurs.core.contract import MONEY_COLUMNS, OPTIONAL_TABLES, TABLES, Col
from pumpurs.core.dataset import Dataset
from pumpurs.core.errors import SourceError, UsageError
from pumpurs.sources.database_target import Target, driver, literal, parse_target, quote, reason

SQL_TYPES = {
    "money": "NUMERIC(14,2)",
    "date": "DATE",
    "int": "INTEGER",
    "number": "DOUBLE PRECISION",  # what pumpurs holds hours as: every value kept exactly
}


def _native(frame: pd.DataFrame, col: Col) -> pa.Array:
    """A typed column of a Dataset as the Arrow array a database stores natively."""

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
        columns.append(f"{quote(c.name)} {sql}")
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
    failure = getattr(driver(errors[0], target.backend), errors[1])
    try:
        writer(target, tables, replace)
    except failure as e:  # all in one transaction: a failure leaves the database as it was
        raise SourceError(
            f"{target.label}: could not write the tables ({reason(e)}); nothing was written"
        ) from None
    return list(tables)


def _exists_message(target: Target, names: list[str]) -> UsageError:
    return UsageError(
        f"{target.label}: already has the table{'s' if len(names) > 1 else ''} "
        f"{', '.join(names)}; give --replace to replace them, or another database"
    )


def _write_duckdb(target: Target, tables: dict[str, pa.Table], replace: bool) -> None:
    duckdb = driver("duckdb", "DuckDB")
    path = Path(target.connect).expanduser()
    if not path.parent.is_dir():
        raise UsageError(f"{target.label}: the folder {path.parent} does not exist; create it")
    created = not path.exists()
    con = duckdb.connect(str(path))
    try:
        schema = target.schema or "main"
        con.execute("BEGIN TRANSACTION")
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
        have = {
            r[0].lower()
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables "
                f"WHERE table_schema = {literal(schema)}"
            ).fetchall()
        }
        clash = sorted(set(tables) & have)
        if clash and not replace:
            raise _exists_message(target, clash)
        for name, arrow in tables.items():
            qualified = f"{quote(schema)}.{quote(name)}"
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
    dbapi = driver("adbc_driver_postgresql.dbapi", "PostgreSQL")
    try:
        con = dbapi.connect(target.connect)
    except Exception as e:
        raise SourceError(f"{target.label}: cannot connect ({reason(e)})") from None
    try:
        cur = con.cursor()
        if target.schema:
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(target.schema)}")
        cur.execute("SELECT current_schema()")
        schema = target.schema or cur.fetchall()[0][0]
        cur.execute(
            "SELECT table_name FROM information_schema.tables "
            f"WHERE table_schema = {literal(schema)}"
        )
        clash = sorted(set(tables) & {r[0].lower() for r in cur.fetchall()})
        if clash and not replace:
            raise _exists_message(target, clash)
        for name, arrow in tables.items():
            qualified = f"{quote(schema)}.{quote(name)}"
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
    columns = ", ".join(map(quote, names))
    marks = {"qmark": "?", "format": "%s"}.get(con.dialect.paramstyle)
    if marks is not None:
        sql = f"INSERT INTO {qualified} ({columns}) VALUES ({', '.join([marks] * len(names))})"
        return lambda rows: con.exec_driver_sql(sql, rows)
    binds = ", ".join(f":p{i}" for i in range(len(names)))
    text = sa.text(f"INSERT INTO {qualified} ({columns}) VALUES ({binds})")
    return lambda rows: con.execute(text, [{f"p{i}": v for i, v in enumerate(r)} for r in rows])


def _write_sqlalchemy(target: Target, tables: dict[str, pa.Table], replace: bool) -> None:
    sa = driver("sqlalchemy", "SQLAlchemy")
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
                    f"{quote(target.schema)}.{quote(name)}" if target.schema else quote(name)
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
