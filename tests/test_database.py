"""Databases as sources (lib/pumpurs/sources/database.py): DuckDB, SQLite and a real
PostgreSQL server give the same tables, the same results and the same problems as the
data folder they were loaded from."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from conftest import valid_tables, write_folder
from pumpurs.cli import app
from pumpurs.core.errors import InputError, SourceError, TemporaryError, UsageError
from pumpurs.sources import load, open_source
from pumpurs.sources.database import DatabaseSource, parse_target, type_family, write_dataset

BACKENDS = ("duckdb", "sqlite", "postgresql")


def call(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def database(tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], str]:
    """`database(backend)` -> the URL of a new, empty database of that kind."""

    def make(backend: str) -> str:
        if backend == "duckdb":
            return str(tmp_path / "pumpurs.duckdb")
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / 'pumpurs.db'}"
        return request.getfixturevalue("postgres_url")

    return make


def execute(url: str, *statements: str) -> None:
    """Run SQL in the database behind `url` (how a user edits their data)."""
    target = parse_target(url)
    if target.backend == "duckdb":
        import duckdb

        with duckdb.connect(target.connect) as con:
            for s in statements:
                con.execute(s)
    elif target.backend == "postgresql":
        import adbc_driver_postgresql.dbapi as pg

        with pg.connect(target.connect, autocommit=True) as con, con.cursor() as cur:
            for s in statements:
                cur.execute(s)
    else:
        import sqlalchemy as sa

        engine = sa.create_engine(target.connect)
        with engine.begin() as con:
            for s in statements:
                con.execute(sa.text(s))
        engine.dispose()


def loaded(url: str, tmp_path: Path, tables=None) -> str:
    """The tiny data set, validated from a folder and written into `url`."""
    folder = write_folder(tmp_path / "folder", tables)
    write_dataset(load(folder), url)
    return url


def by_key(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    return frame.drop(columns="_row").sort_values(key, ignore_index=True)


# ---------------------------------------------------------------------------
# Same tables, same results
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_every_backend_gives_the_folders_typed_tables(backend, database, tmp_path):
    folder = write_folder(tmp_path / "folder")
    url = loaded(database(backend), tmp_path)
    want, got = load(folder), load(url)
    keys = {"partners": "partner_id", "schools": "school_id", "support_plans": "plan_id"}
    for name, key in {**keys, "expenditures": "entry_id"}.items():
        pd.testing.assert_frame_equal(
            by_key(got.table(name), key), by_key(want.table(name), key), check_exact=True
        )
    assert str(got.folder) == parse_target(url).label
    assert got.sources["expenditures"].dialect == parse_target(url).backend


@pytest.mark.parametrize("backend", BACKENDS)
def test_the_demo_gives_byte_identical_json_and_csv(backend, database, tmp_path):
    from pumpurs.demo import write_demo

    folder = tmp_path / "demo"
    write_demo(folder, scale="small", seed=3)
    url = database(backend)
    assert call("load", folder, url).exit_code == 0
    for args in (
        ("check", "--format", "json"),
        ("check", "--format", "csv", "--lang", "en"),
        ("totals", "--by", "partner", "--format", "json"),
        ("totals", "--by", "category", "--format", "csv"),
        ("indicators", "--format", "json"),
        ("check", "--municipality", "Rīga", "--format", "json"),
    ):
        a, b = call(args[0], folder, *args[1:]), call(args[0], url, *args[1:])
        assert a.stdout == b.stdout and a.exit_code == b.exit_code, args
        assert len(a.stdout) > 200


def test_text_columns_in_the_latvian_csv_dialect_read_like_the_file(tmp_path):
    """A database whose columns are all TEXT, holding what a Latvian Excel CSV holds."""
    import duckdb

    from conftest import _columns, csv_text

    folder = write_folder(tmp_path / "folder")
    url = str(tmp_path / "text.duckdb")
    with duckdb.connect(url) as con:
        for name, rows in valid_tables().items():
            frame = pd.read_csv(
                io.StringIO(csv_text(rows, _columns(rows, None), ";", True, True)),
                sep=";",
                dtype=str,
            ).fillna("")
            con.register("f", frame)
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM f")
            con.unregister("f")
    with duckdb.connect(url, read_only=True) as con:
        (amount,) = con.execute("SELECT amount_eur FROM expenditures LIMIT 1").fetchall()[0]
    assert "," in amount  # the decimal comma, as the file has it
    want, got = load(folder), load(url)
    pd.testing.assert_frame_equal(
        by_key(got.expenditures, "entry_id"), by_key(want.expenditures, "entry_id")
    )


# ---------------------------------------------------------------------------
# Same problems, named by table, row key, column and value
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_bad_rows_are_named_by_key_column_and_value(backend, database, tmp_path):
    url = loaded(database(backend), tmp_path)
    execute(
        url,
        "UPDATE expenditures SET amount_eur = '-12.50' WHERE entry_id = 'E2'",
        "UPDATE expenditures SET partner_id = 'P999' WHERE entry_id = 'E3'",
        "UPDATE expenditures SET paid_on = NULL WHERE entry_id = 'E5'",
        "INSERT INTO expenditures SELECT * FROM expenditures WHERE entry_id = 'E1'",
    )
    with pytest.raises(InputError) as e:
        load(url)
    assert [str(p) for p in e.value.problems] == [
        'expenditures row 2 (entry_id E1), column entry_id: "E1" appears more than once '
        "(first in row 1); each entry_id must be unique",
        "expenditures row 3 (entry_id E2), column corrects_entry_id: missing; the amount -12.50 "
        "is negative, so the row is a correction (credit note, storno): give the entry_id of "
        "the row it corrects, or make the amount positive",
        'expenditures row 4 (entry_id E3), column partner_id: "P999" is not a partner listed '
        "in partners",
        "expenditures row 6 (entry_id E5), column paid_on: missing; every row needs a value here",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_missing_table_and_a_missing_column_are_named(backend, database, tmp_path):
    url = loaded(database(backend), tmp_path)
    execute(url, "DROP TABLE schools", "ALTER TABLE partners DROP COLUMN agreement_date")
    with pytest.raises(InputError) as e:
        load(url)
    label = parse_target(url).label
    assert sorted(str(p) for p in e.value.problems) == sorted(
        [
            "partners column agreement_date: column is missing; add a column named "
            "agreement_date to the table",
            f"{label}: table schools is missing; create it with the columns of "
            "docs/data-contract.md (`pumpurs load FOLDER URL` writes a data folder into it)",
        ]
    )


@pytest.mark.parametrize("backend", ("duckdb", "postgresql"))
def test_money_as_a_binary_fraction_and_a_date_month_are_refused(backend, database, tmp_path):
    url = loaded(database(backend), tmp_path)
    double = "DOUBLE" if backend == "duckdb" else "DOUBLE PRECISION"
    execute(
        url,
        f"ALTER TABLE expenditures ALTER COLUMN amount_eur TYPE {double}",
        "ALTER TABLE expenditures ALTER COLUMN service_month TYPE DATE "
        "USING CAST(service_month || '-01' AS DATE)",
    )
    with pytest.raises(InputError) as e:
        load(url)
    double, date = {"duckdb": ("DOUBLE", "DATE"), "postgresql": ("double precision", "date")}[
        backend
    ]
    assert [str(p) for p in e.value.problems] == [
        f"expenditures column amount_eur: is of type {double}; this column holds NUMERIC(14,2), "
        "an integer or text (never a binary fraction: 0.1 is not exact); change its type",
        f"expenditures column service_month: is of type {date}; this column holds text "
        "YYYY-MM; change its type",
    ]


@pytest.mark.parametrize("backend", ("duckdb", "postgresql"))
def test_uuids_enums_and_timestamps_are_read_as_their_text_and_day(backend, database, tmp_path):
    from pumpurs.core.contract import CATEGORIES

    url = loaded(database(backend), tmp_path)
    labels = ", ".join(f"'{c}'" for c in CATEGORIES)
    uuid = "gen_random_uuid()" if backend == "postgresql" else "uuid()"
    execute(
        url,
        f"CREATE TYPE category_t AS ENUM ({labels})",
        "ALTER TABLE expenditures ALTER COLUMN category TYPE category_t "
        "USING CAST(category AS category_t)",
        f"ALTER TABLE expenditures ALTER COLUMN document_ref TYPE UUID USING {uuid}",
        "ALTER TABLE expenditures ALTER COLUMN paid_on TYPE TIMESTAMP "
        "USING CAST(paid_on AS TIMESTAMP) + INTERVAL '13 hours'",
    )
    want = by_key(load(write_folder(tmp_path / "folder")).expenditures, "entry_id")
    got = by_key(load(url).expenditures, "entry_id")
    assert got["document_ref"].str.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}").all()
    columns = [c for c in want.columns if c != "document_ref"]
    pd.testing.assert_frame_equal(got[columns], want[columns], check_exact=True)


@pytest.mark.parametrize("backend", ("duckdb", "postgresql"))
def test_money_type_and_intervals_are_refused(backend, database, tmp_path):
    url = loaded(database(backend), tmp_path)
    money = "money" if backend == "postgresql" else "INTERVAL"
    execute(
        url,
        f"ALTER TABLE partners ALTER COLUMN allocation_eur TYPE {money} USING "
        + ("allocation_eur::money" if backend == "postgresql" else "to_days(1)"),
    )
    with pytest.raises(InputError) as e:
        load(url)
    assert [str(p) for p in e.value.problems] == [
        f"partners column allocation_eur: is of type {money}; this column holds "
        "NUMERIC(14,2), an integer or text (never a binary fraction: 0.1 is not exact); "
        "change its type",
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_zoned_timestamp_gives_its_day_in_riga(backend, database, tmp_path):
    """Riga midnights stored as moments (22:00 UTC in winter, 21:00 in summer, the day
    before) are their Riga day, as a Parquet `timestamp[tz=UTC]` is."""
    from zoneinfo import ZoneInfo

    from pumpurs.core.contract import DATA_TIME_ZONE

    url = loaded(database(backend), tmp_path)
    if backend != "sqlite":  # SQLite has no such type: the text carries the offset
        execute(
            url,
            "ALTER TABLE expenditures ALTER COLUMN paid_on TYPE TIMESTAMP WITH TIME ZONE "
            "USING NULL",
        )
    for row in valid_tables()["expenditures"]:
        midnight = dt.datetime.combine(row["paid_on"], dt.time(), ZoneInfo(DATA_TIME_ZONE))
        utc = midnight.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")
        assert not utc.startswith(row["paid_on"].isoformat())  # the UTC day is another
        execute(
            url, f"UPDATE expenditures SET paid_on = '{utc}' WHERE entry_id = '{row['entry_id']}'"
        )
    want = load(write_folder(tmp_path / "folder")).expenditures
    pd.testing.assert_frame_equal(
        by_key(load(url).expenditures, "entry_id"), by_key(want, "entry_id"), check_exact=True
    )


def test_a_sqlite_datetime_gives_its_day(tmp_path):
    url = loaded(f"sqlite:///{tmp_path / 'p.db'}", tmp_path)
    execute(url, "UPDATE expenditures SET paid_on = paid_on || ' 00:00:00'")
    want = load(write_folder(tmp_path / "folder")).expenditures
    pd.testing.assert_frame_equal(
        by_key(load(url).expenditures, "entry_id"), by_key(want, "entry_id"), check_exact=True
    )


def test_two_columns_that_differ_only_in_case_are_named(postgres_url, tmp_path):
    url = loaded(postgres_url, tmp_path)  # PostgreSQL tells "Partner_ID" from partner_id
    execute(url, 'ALTER TABLE partners ADD COLUMN "Partner_ID" TEXT')
    with pytest.raises(InputError) as e:
        load(url)
    assert [str(p) for p in e.value.problems] == [
        "partners column partner_id: is named by 2 columns (partner_id, Partner_ID); keep one "
        "of them"
    ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_hours_keep_every_digit_through_load(backend, database, tmp_path):
    tables = valid_tables()
    row = next(r for r in tables["expenditures"] if r.get("specialist_role"))
    row["hours"] = "1.3333333333333333"
    want = load(write_folder(tmp_path / "folder", tables))
    url = database(backend)
    write_dataset(want, url)
    got = load(url).expenditures
    pd.testing.assert_series_equal(
        by_key(got, "entry_id")["hours"],
        by_key(want.expenditures, "entry_id")["hours"],
        check_exact=True,
    )
    assert 1.3333333333333333 in got["hours"].tolist()


def test_a_user_who_may_not_read_a_table_gets_one_line(postgres_url, tmp_path):
    from conftest import PG_PASSWORD

    url = loaded(postgres_url, tmp_path)
    execute(
        url,
        f"CREATE ROLE clerk LOGIN PASSWORD '{PG_PASSWORD}'",
        "GRANT SELECT ON partners, schools, support_plans, outcomes TO clerk",
    )
    clerk = url.replace("//pumpurs@", "//clerk@")
    with pytest.raises(SourceError) as e:
        load(clerk)
    assert str(e.value) == (
        f"{clerk}: the database refused to hand over the data (permission denied for table "
        "expenditures); check that this user may read the tables (GRANT SELECT) and try again"
    )


def test_a_failed_load_writes_nothing(tmp_path):
    folder = write_folder(tmp_path / "folder")
    target = tmp_path / "notes.duckdb"
    target.write_text("not a database\n", encoding="utf-8")
    result = call("load", folder, target)
    assert result.exit_code == 2
    assert result.output.startswith(f"{target}: could not write the tables (")
    assert result.output.endswith("); nothing was written\n")
    assert target.read_text(encoding="utf-8") == "not a database\n"


def test_a_negative_amount_in_postgresql_makes_validate_exit_2(postgres_url, tmp_path):
    url = loaded(postgres_url, tmp_path)
    assert call("validate", url).exit_code == 0
    execute(url, "UPDATE expenditures SET amount_eur = -7.00 WHERE entry_id = 'E4'")
    result = call("validate", url)
    assert result.exit_code == 2
    assert (
        "expenditures row 4 (entry_id E4), column corrects_entry_id: missing; the amount "
        "-7.00 is negative, so the row is a correction" in result.output
    )


# ---------------------------------------------------------------------------
# URLs, credentials, connections
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ("password=s3cret", "password=***"),
        ("sslpassword=s3cret&schema=p", "schema=p&sslpassword=***"),
    ],
)
def test_a_password_in_the_query_string_is_refused_too(query, shown):
    with pytest.raises(UsageError) as e:
        open_source(f"postgresql://anna@db.example.lv/pumpurs?{query}")
    assert str(e.value).startswith(f"postgresql://anna@db.example.lv/pumpurs?{shown}: a password")
    assert "s3cret" not in str(e.value)


def test_a_password_in_the_url_is_refused_and_never_shown():
    with pytest.raises(UsageError) as e:
        open_source("postgresql://anna:s3cret@db.example.lv:5432/pumpurs")
    assert str(e.value) == (
        "postgresql://anna:***@db.example.lv:5432/pumpurs: a password in the URL would show in "
        "the process list, the shell's history and the reports' notebooks; remove it and put "
        "it in PGPASSWORD or ~/.pgpass (PostgreSQL), or in the database driver's own "
        "configuration"
    )


def test_urls_choose_their_backend_and_keep_the_schema_apart():
    assert parse_target("postgresql+psycopg://anna@db:5432/p?schema=pumpurs") == (
        parse_target("postgresql+psycopg://anna@db:5432/p?schema=pumpurs")
    )
    t = parse_target("postgresql+psycopg://anna@db:5432/p?schema=pumpurs")
    assert (t.backend, t.connect, t.schema) == (
        "postgresql",
        "postgresql://anna@db:5432/p",
        "pumpurs",
    )
    assert t.label == "postgresql+psycopg://anna@db:5432/p?schema=pumpurs"
    assert parse_target("duckdb:////srv/x.duckdb").connect == "/srv/x.duckdb"
    assert parse_target("data/x.duckdb").backend == "duckdb"
    assert parse_target("sqlite:///x.db").backend == "sqlalchemy"
    assert isinstance(open_source("mysql+pymysql://anna@db/p"), DatabaseSource)


def test_a_refused_connection_is_one_clear_line_and_exit_2():
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://pumpurs@127.0.0.1:{port}/pumpurs"
    with pytest.raises(TemporaryError) as e:
        load(url)
    assert str(e.value) == (
        f'{url}: cannot connect (connection to server at "127.0.0.1", port {port} failed: '
        "Connection refused); check the host, port, database and user, and that the server "
        "runs; a password is read from PGPASSWORD or ~/.pgpass"
    )
    result = call("check", url)  # the server may be down: a later run may reach it
    assert result.exit_code == 75 and result.output.count("\n") == 1


def test_a_missing_duckdb_file_and_an_unknown_driver(tmp_path):
    with pytest.raises(
        SourceError, match=r"nope.duckdb: no such DuckDB file; give the file's path"
    ):
        load(tmp_path / "nope.duckdb")
    with pytest.raises(SourceError) as e:
        load("mysql://anna@localhost/pumpurs")  # SQLAlchemy knows MySQL; its driver is absent
    assert str(e.value) == (
        "mysql://anna@localhost/pumpurs: no driver for this database is installed (No module "
        "named 'MySQLdb'); install it with pip, or use postgresql:// or duckdb://"
    )
    with pytest.raises(UsageError) as e:
        load("nosuchdb://x/y")
    assert str(e.value) == (
        'nosuchdb://x/y: no data source is known for "nosuchdb://"; give a data folder, a '
        "DuckDB file, or a database URL (postgresql://, duckdb://, sqlite://, or another "
        "SQLAlchemy dialect)"
    )


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("NUMERIC(14,2)", "decimal"),
        ("numeric", "decimal"),
        ("DECIMAL(18,3)", "decimal"),
        ("double precision", "float"),
        ("REAL", "float"),
        ("character varying", "text"),
        ("VARCHAR", "text"),
        ("date", "date"),
        ("timestamp without time zone", "timestamp"),
        ("DATETIME", "timestamp"),
        ("BIGINT", "int"),
        ("integer", "int"),
        ("boolean", "bool"),
        ("BLOB", "other"),
        ("INTERVAL", "other"),  # not an integer for holding "INT"
        ("point", "other"),
        ("uuid", "other"),
        ("money", "other"),
        ("ARRAY", "other"),
        ("VARCHAR[]", "other"),
        ("ENUM('meals', 'transport')", "text"),  # DuckDB's enums
        ("USER-DEFINED", "text"),  # PostgreSQL's enums
        ("timestamp with time zone", "timestamptz"),
        ("TIMESTAMPTZ", "timestamptz"),
        ("TIMESTAMP_NS", "timestamp"),
        ("HUGEINT", "int"),
        ("TINYINT(1)", "int"),
        ("NULL", "untyped"),  # a SQLite column declared without a type
    ],
)
def test_type_names_fall_into_families(name, family):
    assert type_family(name) == family


# ---------------------------------------------------------------------------
# Fingerprints: computed in the database, what the incremental batch is keyed by
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_fingerprint_follows_the_content_not_the_row_order(backend, database, tmp_path):
    url = loaded(database(backend), tmp_path)
    source = open_source(url)
    first = source.fingerprint()
    assert source.fingerprint() == first
    execute(
        url,
        "CREATE TABLE e2 AS SELECT * FROM expenditures ORDER BY entry_id DESC",
        "DELETE FROM expenditures",
        "INSERT INTO expenditures SELECT * FROM e2",
        "DROP TABLE e2",
    )
    assert source.fingerprint() == first
    execute(url, "UPDATE expenditures SET amount_eur = amount_eur + 0.01 WHERE entry_id = 'E1'")
    changed = source.fingerprint()
    assert changed != first
    execute(url, "UPDATE expenditures SET amount_eur = '70.00' WHERE entry_id = 'E1'")  # as before
    assert source.fingerprint() == first
    label = parse_target(url).label
    described = source.describe()
    assert [d["path"] for d in described] == [
        f"{label}#{t}" for t in ("expenditures", "outcomes", "partners", "schools", "support_plans")
    ]
    assert all(len(d["sha256"]) == 64 for d in described)


def test_load_refuses_a_file_that_would_read_back_as_a_folder(tmp_path):
    result = call("load", write_folder(tmp_path / "folder"), tmp_path / "x.db")
    assert result.exit_code == 2
    assert result.output == (
        f"{tmp_path / 'x.db'}: a database file needs the suffix .duckdb (a path without one "
        "is a data folder), or give a URL such as sqlite:///file.db\n"
    )
    assert not (tmp_path / "x.db").exists()


def test_load_leaves_existing_tables_alone_unless_replace(tmp_path):
    url = str(tmp_path / "x.duckdb")
    folder = write_folder(tmp_path / "folder")
    assert call("load", folder, url).exit_code == 0
    again = call("load", folder, url)
    assert again.exit_code == 2
    assert again.output == (
        f"{url}: already has the tables expenditures, outcomes, partners, schools, "
        "support_plans; give --replace to replace them, or another database\n"
    )
    replaced = call("load", folder, url, "--replace")
    assert replaced.exit_code == 0
    assert replaced.output == (
        f"{url}: wrote partners 3, schools 3, support_plans 3, expenditures 7, outcomes 2 rows\n"
    )


def test_load_writes_native_types(postgres_url, tmp_path):
    url = loaded(postgres_url, tmp_path)
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(url) as con, con.cursor() as cur:
        cur.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_name = 'expenditures' ORDER BY ordinal_position"
        )
        types = dict(cur.fetchall())
        cur.execute("SELECT amount_eur, paid_on FROM expenditures WHERE entry_id = 'E1'")
        amount, paid = cur.fetchone()
    assert types["amount_eur"] == "numeric" and types["paid_on"] == "date"
    assert types["entry_id"] == "text" and types["hours"] == "double precision"
    assert Decimal(amount) == valid_tables()["expenditures"][0]["amount_eur"]
    assert paid == valid_tables()["expenditures"][0]["paid_on"]
    assert isinstance(paid, dt.date)


def test_the_password_comes_from_pgpass_or_pgpassword_never_the_url(
    postgres_url, tmp_path, monkeypatch
):
    from conftest import PG_PASSWORD

    url = loaded(postgres_url, tmp_path)
    monkeypatch.delenv("PGPASSWORD")
    monkeypatch.setenv("HOME", str(tmp_path))  # no ~/.pgpass of the machine's user
    monkeypatch.setenv("PGPASSFILE", str(tmp_path / "none"))
    with pytest.raises(SourceError) as e:
        load(url)
    assert str(e.value).startswith(f"{url}: cannot connect (")
    assert "password" in str(e.value) and PG_PASSWORD not in str(e.value)
    target = parse_target(url)
    host, port = "127.0.0.1", url.split(":")[2].split("/")[0]
    pgpass = tmp_path / ".pgpass"
    pgpass.write_text(f"{host}:{port}:*:pumpurs:{PG_PASSWORD}\n", encoding="utf-8")
    pgpass.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    assert len(load(url).expenditures) == 7
    assert target.connect == url  # nothing added to the URL


# ---------------------------------------------------------------------------
# Hostile databases (issue 25): what is refused, and what is read as the user meant
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
def test_tables_whose_names_differ_only_in_case_are_refused(backend, database, tmp_path):
    url = loaded(database(backend), tmp_path)
    twin = "CREATE TABLE \"EXPENDITURES\" AS SELECT * FROM expenditures WHERE entry_id = 'E1'"
    if backend != "postgresql":  # DuckDB and SQLite hold no such pair: a name is one table
        with pytest.raises(Exception, match="already exists"):
            execute(url, twin)
        return
    execute(url, twin)
    with pytest.raises(InputError) as e:
        load(url)
    assert [str(p) for p in e.value.problems] == [
        f"{url}: the tables EXPENDITURES and expenditures both name the table expenditures; "
        "keep one (rename or drop the others)"
    ]


@pytest.mark.parametrize("backend", ("duckdb", "postgresql"))
def test_decimals_are_judged_by_their_value_not_their_types_scale(backend, database, tmp_path):
    url = loaded(database(backend), tmp_path)
    numeric = {"duckdb": "DECIMAL(18,3)", "postgresql": "NUMERIC(14,4)"}[backend]
    execute(
        url,
        f"ALTER TABLE expenditures ALTER COLUMN amount_eur TYPE {numeric}",
        "UPDATE expenditures SET amount_eur = 535.800 WHERE entry_id = 'E1'",
        "UPDATE expenditures SET amount_eur = 540.125 WHERE entry_id = 'E2'",
    )
    with pytest.raises(InputError) as e:
        load(url)
    assert [str(p) for p in e.value.problems] == [  # NUMERIC(14,4)'s 540.1250 too
        'expenditures row 2 (entry_id E2), column amount_eur: "540.125" has more than two '
        "decimals (expected cents at most, e.g. 12,50)"
    ]
    execute(url, "UPDATE expenditures SET amount_eur = 540.120 WHERE entry_id = 'E2'")
    cents = by_key(load(url).expenditures, "entry_id")["amount_cents"].tolist()[:2]
    assert cents == [53580, 54012]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_row_without_its_key_is_named_by_its_other_values(backend, database, tmp_path):
    url = loaded(database(backend), tmp_path)
    execute(url, "UPDATE expenditures SET entry_id = NULL WHERE entry_id = 'E3'")
    row = next(r for r in valid_tables()["expenditures"] if r["entry_id"] == "E3")
    with pytest.raises(InputError) as e:
        load(url)
    assert [str(p) for p in e.value.problems] == [
        f"expenditures row 1 (no entry_id; partner_id {row['partner_id']}, school_id "
        f"{row['school_id']}, student_id {row['student_id']}, category {row['category']}), "
        "column entry_id: missing; every row needs a value here"
    ]


def _view(backend: str, rows: str) -> str:
    """An `outcomes` view over a generated series (`rows` rows)."""
    series = {
        "duckdb": f"range({rows}) AS t(i)",
        "postgresql": f"generate_series(1, {rows}) AS t(i)",
        "sqlite": f"(WITH RECURSIVE t(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM t "
        f"WHERE i < {rows}) SELECT i FROM t) AS t",
    }[backend]
    return (
        "CREATE VIEW outcomes AS SELECT 'S' || CAST(i AS TEXT) AS student_id, "
        f"'2020/2021' AS school_year, 'continues' AS status FROM {series}"
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_view_that_would_hand_over_too_many_rows_is_refused_unfetched(
    backend, database, tmp_path, monkeypatch
):
    from pumpurs.sources import database as db

    url = loaded(database(backend), tmp_path)
    execute(url, "DROP TABLE outcomes", _view(backend, "100000000"))
    monkeypatch.setattr(db, "MAX_ROWS", 10)
    fetched: list[str] = []
    for backend_class in db.BACKENDS.values():
        original = backend_class.fetch
        monkeypatch.setattr(
            backend_class,
            "fetch",
            lambda self, table, *a, original=original: (
                fetched.append(table) or original(self, table, *a)
            ),
        )
    with pytest.raises(InputError) as e:
        load(url)
    assert [str(p) for p in e.value.problems] == [
        "outcomes: has more than 10 rows, more than the programme's data can hold (the "
        "national ledger has under a million); give the table itself, not a view that "
        "multiplies it"
    ]
    assert fetched == ["partners", "schools", "support_plans", "expenditures"]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_query_that_runs_too_long_is_stopped(backend, database, tmp_path, monkeypatch):
    from pumpurs.sources import database as db

    url = loaded(database(backend), tmp_path)
    slow = {  # a view whose first row takes hours
        "duckdb": "(SELECT count(*) AS i FROM range(1000000000000)) AS t",
        "postgresql": "(SELECT 1 AS i FROM pg_sleep(30)) AS t",
        "sqlite": "(WITH RECURSIVE t(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM t) "
        "SELECT count(*) AS i FROM t) AS t",
    }[backend]
    execute(url, "DROP TABLE outcomes", _view(backend, "1").split(" FROM ")[0] + f" FROM {slow}")
    monkeypatch.setattr(db, "STATEMENT_SECONDS", 0.5)
    with pytest.raises(SourceError) as e:
        load(url)
    assert str(e.value) == (
        f"{parse_target(url).label}: reading outcomes took more than 0.5 s and was stopped; "
        "if it is a view, store its rows as a table"
    )


def test_a_duckdb_view_cannot_put_a_local_file_into_the_data(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("Rīgas Valsts tehnikums\n", encoding="utf-8")
    url = loaded(str(tmp_path / "p.duckdb"), tmp_path)
    execute(
        url,
        "ALTER TABLE partners RENAME TO partners_t",
        "CREATE VIEW partners AS SELECT partner_id, (SELECT content FROM "
        f"read_text('{secret}')) AS name, kind, municipality, agreement_date, allocation_eur "
        "FROM partners_t",
    )
    reason = (
        f'Permission Error: Cannot access file "{secret}" - file system operations are '
        "disabled by configuration"
    )
    for ask in (load, lambda u: open_source(u).fingerprint()):
        with pytest.raises(SourceError) as e:
            ask(url)
        assert str(e.value) == (
            f"{url}: partners is a view that reaches outside the file ({reason}); a DuckDB "
            "file's views may use only its own tables: store the rows as a table "
            "(CREATE TABLE … AS SELECT …)"
        )


@pytest.mark.parametrize(
    "url", ["postgresql://u:pw@localhost:abc/db", "postgresql://u@[::1/db", "postgresql://u:p@[x"]
)
def test_a_malformed_url_is_one_line_exit_2_showing_nothing_after_the_user(url):
    result = call("validate", url)
    assert result.exit_code == 2
    why = (
        "its port is not a number from 1 to 65535"
        if "abc" in url
        else ("a [ opens an IPv6 address that no ] closes")
    )
    assert result.output == (
        f"postgresql://u@…: is not a database URL ({why}); write it as "
        "postgresql://user@host:5432/dbname, duckdb:///path/to/file.duckdb or "
        "sqlite:///path/to/file.db\n"
    )


@pytest.mark.parametrize(
    ("given", "shown"),
    [
        (
            "postgresql://pumpurs:p@ss:w0rd99@127.0.0.1:55741/small",
            "postgresql://pumpurs:***@127.0.0.1:55741/small",
        ),
        (
            "postgresql://pumpurs:p@ssw0rd99@127.0.0.1/small",
            "postgresql://pumpurs:***@127.0.0.1/small",
        ),
    ],
)
def test_a_password_holding_at_and_colon_never_shows(given, shown):
    from pumpurs.run.doctor import check_data

    message = (
        f"{shown}: a password in the URL would show in the process list, the shell's history "
        "and the reports' notebooks; remove it and put it in PGPASSWORD or ~/.pgpass "
        "(PostgreSQL), or in the database driver's own configuration"
    )
    result = call("validate", given)
    assert (result.exit_code, result.output) == (2, message + "\n")
    assert check_data(given).detail == message


def test_a_libpq_keyword_string_is_refused_with_its_secrets_hidden(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = call("validate", "host=127.0.0.1 port=5432 user=anna password='p@ss w0rd'")
    assert result.exit_code == 2
    assert result.output == (
        "host=127.0.0.1 port=5432 user=anna password=***: is a PostgreSQL keyword string, not "
        "a data folder; write it as a URL, postgresql://USER@HOST:PORT/DBNAME, with the "
        "password in PGPASSWORD or ~/.pgpass\n"
    )


def test_a_missing_sqlite_file_is_not_created_and_a_non_database_is_named(tmp_path):
    typo = tmp_path / "typo.db"
    result = call("validate", f"sqlite:///{typo}")
    assert (result.exit_code, result.output) == (
        2,
        f"sqlite:///{typo}: no such file ({typo}); give the SQLite file's path, "
        "sqlite:///relative/path.db or sqlite:////absolute/path.db\n",
    )
    assert not typo.exists()
    typo.write_text("entry_id;amount_eur\nE1;12,50\n", encoding="utf-8")
    result = call("validate", f"sqlite:///{typo}")
    assert (result.exit_code, result.output) == (
        2,
        f"sqlite:///{typo}: is not an SQLite database (file is not a database); give an "
        "SQLite file, or a data folder for CSV, XLSX and Parquet files\n",
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_snapshot_reads_each_table_once_and_answers_every_question_alike(
    backend, database, tmp_path, monkeypatch
):
    """What a batch asks (the key, the tables, the manifest, the key again) from one
    snapshot: equal answers, and each table fetched once, however large."""
    from pumpurs.sources import database as db
    from pumpurs.sources import snapshot

    url = loaded(database(backend), tmp_path)
    if backend == "sqlite":  # a writer beside a reader, as a busy SQLite file is
        execute(url, "PRAGMA journal_mode=WAL")
    fetched: list[str] = []
    for backend_class in db.BACKENDS.values():
        original = backend_class.fetch
        monkeypatch.setattr(
            backend_class,
            "fetch",
            lambda self, table, *a, original=original: (
                fetched.append(table) or original(self, table, *a)
            ),
        )
    source = open_source(url)
    before = source.fingerprint()
    fetched.clear()
    with snapshot(source):
        first = source.fingerprint()
        if backend != "duckdb":  # a DuckDB file has one writer or readers, never both
            execute(url, "UPDATE expenditures SET amount_eur = 1.00 WHERE entry_id = 'E1'")
        ds = load(source)
        described = source.describe()
        assert source.fingerprint() == first == before
    assert ds.expenditures.loc[ds.expenditures["entry_id"] == "E1", "amount_cents"].item() == (7000)
    assert [d["sha256"] for d in described] == [
        ds.sources[d["path"].rsplit("#", 1)[1]].sha256 for d in described
    ]
    assert sorted(fetched) == sorted(TABLES_READ)
    if backend != "duckdb":
        assert source.fingerprint() != first  # the write, seen once the snapshot ends


TABLES_READ = ["expenditures", "outcomes", "partners", "schools", "support_plans"]


def test_a_lost_connection_is_temporary_and_says_so(postgres_url, tmp_path):
    import adbc_driver_postgresql.dbapi as pg

    from pumpurs.sources import snapshot

    url = loaded(postgres_url, tmp_path)
    source = open_source(url)
    with pytest.raises(TemporaryError) as e, snapshot(source):
        source.fingerprint()
        with pg.connect(url, autocommit=True) as con, con.cursor() as cur:
            cur.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            cur.fetchall()
        source.read()
    assert str(e.value).startswith(
        f"{url}: the connection to the database was lost while reading ("
    )
    assert "terminating connection due to administrator command" in str(e.value)
    assert str(e.value).endswith(
        "); nothing was computed or written; run again once the database is back"
    )
    assert e.value.exit_code == 75


def test_the_postgresql_fingerprint_ignores_the_sessions_settings(
    postgres_url, tmp_path, monkeypatch
):
    tables = valid_tables()
    row = next(r for r in tables["expenditures"] if r.get("specialist_role"))
    row["hours"] = "1.3333333333333333"
    url = loaded(postgres_url, tmp_path, tables)
    execute(
        url,
        "ALTER TABLE expenditures ALTER COLUMN paid_on TYPE TIMESTAMP WITH TIME ZONE "
        "USING CAST(paid_on AS TIMESTAMP) AT TIME ZONE 'Europe/Riga'",
    )
    plain = open_source(url).fingerprint()
    want = load(url).expenditures
    monkeypatch.setenv(
        "PGOPTIONS",
        "-c DateStyle=SQL,DMY -c TimeZone=America/New_York -c extra_float_digits=-3 "
        "-c IntervalStyle=sql_standard",
    )
    assert open_source(url).fingerprint() == plain
    pd.testing.assert_frame_equal(load(url).expenditures, want, check_exact=True)


def test_pgtemp_cleans_up_on_sigterm(tmp_path):
    import signal
    import subprocess
    import sys

    tool = Path(__file__).resolve().parents[1] / "tools" / "pgtemp.py"
    proc = subprocess.Popen(
        [sys.executable, str(tool)], stdout=subprocess.PIPE, text=True, cwd=tmp_path
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(2)]
    folder = Path(lines[1].split("Its data: ", 1)[1].strip())
    assert folder.is_dir() and lines[0].startswith("PostgreSQL is running: postgresql://")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0
    assert not folder.exists()


def test_a_write_while_a_batch_reads_the_database_does_not_stop_it(
    postgres_url, tmp_path, monkeypatch
):
    """The batch's key, its judgement and its manifests' hashes come from one snapshot:
    a write meanwhile is seen by the next run, and never aborts this one."""
    from pumpurs.run import session
    from pumpurs.run.batch import RunOptions, prepare_shared
    from pumpurs.run.inputs import validate_inputs

    url = loaded(postgres_url, tmp_path)
    before = open_source(url).describe()
    real = session.load_and_judge

    def judge_while_someone_writes(*args, **kwargs):
        judged = real(*args, **kwargs)
        execute(url, "UPDATE expenditures SET amount_eur = 1.00 WHERE entry_id = 'E1'")
        return judged

    monkeypatch.setattr(session, "load_and_judge", judge_while_someone_writes)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    options = RunOptions(data=url, all=True, period="2021-H1", out=tmp_path / "out")
    shared = prepare_shared(validate_inputs(options))
    assert shared.data_files == before
    assert open_source(url).describe() != before  # the write, for the next run


@pytest.mark.parametrize("backend", ("duckdb", "sqlite"))
def test_a_file_another_program_is_writing_is_temporary(backend, database, tmp_path, monkeypatch):
    import subprocess
    import sys

    from pumpurs.sources import database as db

    url = loaded(database(backend), tmp_path)
    path = parse_target(url).connect.removeprefix("sqlite:///")
    hold = {  # a writer holding the file (its lock) until it is stopped
        "duckdb": f"import duckdb; c = duckdb.connect({path!r})",
        "sqlite": f"import sqlite3; c = sqlite3.connect({path!r}, isolation_level=None); "
        "c.execute('BEGIN EXCLUSIVE')",
    }[backend]
    writer = subprocess.Popen(
        [sys.executable, "-c", f"{hold}; print('holding', flush=True); input()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "holding\n"
        monkeypatch.setattr(db, "SQLITE_BUSY_SECONDS", 0.1)
        with pytest.raises(TemporaryError) as e:
            load(url)
    finally:
        writer.kill()
        writer.wait()
    assert str(e.value).startswith(f"{parse_target(url).label}: another program holds the ")
    assert str(e.value).endswith("); nothing was computed or written; run again once it is done")
