"""A real database in, a real database out: SQLite files through SQLAlchemy (``sql.py``)."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

sa = pytest.importorskip("sqlalchemy")


def make_shop(path_or_url) -> str:
    """customers (text key) -> orders (integer key), with a date, a timestamp and a boolean;
    a path means a new SQLite file."""
    url = str(path_or_url) if "://" in str(path_or_url) else f"sqlite:///{path_or_url}"
    engine = sa.create_engine(url)
    schema = sa.MetaData()
    customers = sa.Table("customers", schema, sa.Column("cid", sa.String, primary_key=True),
                         sa.Column("age", sa.Integer), sa.Column("vip", sa.Boolean), sa.Column("joined", sa.Date),
                         sa.Column("city", sa.String))
    orders = sa.Table("orders", schema, sa.Column("oid", sa.Integer, primary_key=True),
                      sa.Column("cid", sa.String, sa.ForeignKey("customers.cid"), nullable=False),
                      sa.Column("amount", sa.Float), sa.Column("placed", sa.DateTime))
    schema.create_all(engine)
    rng = np.random.default_rng(0)
    import datetime as dt
    with engine.begin() as connection:
        connection.execute(customers.insert(), [
            {"cid": f"c{i}", "age": int(rng.integers(18, 80)), "vip": bool(rng.random() < 0.3),
             "joined": dt.date(2020, 1, 1) + dt.timedelta(days=int(rng.integers(0, 900))),
             "city": ["Ljubljana", "Maribor", "Koper"][i % 3]} for i in range(80)])
        connection.execute(orders.insert(), [
            {"oid": k, "cid": f"c{int(rng.integers(0, 80))}", "amount": float(rng.exponential(20)),
             "placed": dt.datetime(2021, 1, 1) + dt.timedelta(minutes=int(rng.integers(0, 500_000)))}
            for k in range(300)])
    engine.dispose()
    return url


def add_staff(url: str) -> None:
    """A ``staff`` table whose ``boss`` names another staff row (a self-referencing constraint),
    the CEO's empty; rows are inserted parents first, as a checking database needs."""
    engine = sa.create_engine(url)
    schema = sa.MetaData()
    staff = sa.Table("staff", schema, sa.Column("sid", sa.Integer, primary_key=True),
                     sa.Column("boss", sa.Integer, sa.ForeignKey("staff.sid"), nullable=True),
                     sa.Column("pay", sa.Float))
    schema.create_all(engine)
    rng = np.random.default_rng(1)
    with engine.begin() as connection:
        connection.execute(staff.insert(), [{"sid": i, "boss": None if i == 0 else int(rng.integers(0, i)),
                                             "pay": float(rng.normal(50, 10))} for i in range(60)])
    engine.dispose()


def test_a_self_referencing_constraint_goes_in_and_out(installed_plugins, cli_invoke, tmp_path):
    source = make_shop(tmp_path / "shop.db")
    add_staff(source)
    target = f"sqlite:///{tmp_path / 'synthetic.db'}"
    result = cli_invoke(["run", "--method", "rgcd", "--db", source, "--output-db", target, "--profile", "smoke",
                         "--data-dir", tmp_path / "data", "--output-dir", tmp_path / "out", "--metrics", "cardinality",
                         "--quiet"])
    assert result.exit_code == 0, result.output
    metadata = json.loads((tmp_path / "data" / "original" / "shop" / "metadata.json").read_text())
    assert {"parent_table_name": "staff", "child_table_name": "staff", "parent_primary_key": "sid",
            "child_foreign_key": "boss"} in metadata["relationships"]
    with sqlite3.connect(tmp_path / "synthetic.db") as connection:
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        [fk] = connection.execute("PRAGMA foreign_key_list(staff)").fetchall()
        assert fk[2:5] == ("staff", "boss", "sid")
        rows = connection.execute("select sid, boss from staff").fetchall()
    assert len(rows) == 60 and sum(boss is None for _, boss in rows) == 1


def test_schema_becomes_metadata(tmp_path):
    from syntherela_rgcd.sql import import_database

    metadata = import_database(make_shop(tmp_path / "shop.db"), tmp_path / "shop")
    assert metadata["relationships"] == [{"parent_table_name": "customers", "child_table_name": "orders",
                                          "parent_primary_key": "cid", "child_foreign_key": "cid"}]
    columns = metadata["tables"]["customers"]["columns"]
    assert columns == {"cid": {"sdtype": "id"}, "age": {"sdtype": "numerical"}, "vip": {"sdtype": "boolean"},
                       "joined": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                       "city": {"sdtype": "categorical"}}
    assert metadata["tables"]["orders"]["columns"]["placed"]["datetime_format"] == "%Y-%m-%d %H:%M:%S"
    assert json.loads((tmp_path / "shop" / "metadata.json").read_text()) == metadata


def test_run_from_a_database_into_a_database(installed_plugins, cli_invoke, tmp_path):
    source, target = make_shop(tmp_path / "shop.db"), f"sqlite:///{tmp_path / 'synthetic.db'}"
    result = cli_invoke(["run", "--method", "rgcd", "--db", source, "--output-db", target, "--profile", "smoke",
                         "--data-dir", tmp_path / "data", "--output-dir", tmp_path / "out", "--metrics", "cardinality",
                         "--quiet"])
    assert result.exit_code == 0, result.output
    assert "shop / rgcd / smoke-seed0" in result.output and f"synthetic database: {target}" in result.output
    with sqlite3.connect(tmp_path / "synthetic.db") as connection:
        assert connection.execute("select count(*) from customers").fetchone()[0] == 80
        assert connection.execute("select count(*) from orders").fetchone()[0] > 0
        assert connection.execute("PRAGMA foreign_key_check").fetchall() == []
        [fk] = connection.execute("PRAGMA foreign_key_list(orders)").fetchall()
        assert fk[2:5] == ("customers", "cid", "cid"), "the foreign-key constraint is recreated"
        joined = connection.execute("select joined from customers limit 1").fetchone()[0]
        assert len(joined) == 10 and joined[4] == "-"


def test_output_db_must_be_empty_and_needs_db(installed_plugins, cli_invoke, tmp_path):
    source = make_shop(tmp_path / "shop.db")
    result = cli_invoke(["run", "--method", "rgcd", "--output-db", source, "--data-dir", tmp_path / "data"])
    assert result.exit_code == 2 and "pass --db too" in result.output
    from syntherela_rgcd.errors import DataError
    from syntherela_rgcd.sql import export_database

    with pytest.raises(DataError, match="already has table"):
        export_database({"customers": None, "orders": None}, source, source)


@pytest.fixture(scope="module")
def postgres_server():
    """A throwaway PostgreSQL server (Debian's ``postgresql``: initdb + pg_ctl) on a Unix socket,
    run as the ``postgres`` user when the tests run as root; skipped where it is not installed."""
    import os
    import pwd
    import shutil
    import socket
    import subprocess
    import tempfile

    pytest.importorskip("psycopg")
    initdb, pg_ctl = shutil.which("initdb"), shutil.which("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL (initdb, pg_ctl) is not installed")
    prefix = []
    folder = tempfile.mkdtemp(prefix="syntherela-pg-", dir="/tmp")
    if os.geteuid() == 0:  # the server refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no postgres user to run the server")
        os.chown(folder, user.pw_uid, user.pw_gid)
        prefix = ["runuser", "-u", "postgres", "--"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    data = os.path.join(folder, "data")
    subprocess.run(prefix + [initdb, "-D", data, "-A", "trust", "-U", "postgres"], check=True, capture_output=True)
    subprocess.run(prefix + [pg_ctl, "-D", data, "-l", os.path.join(folder, "log"), "-w", "-o",
                             f"-p {port} -k {folder} -c listen_addresses=''", "start"], check=True, capture_output=True)
    try:
        yield f"postgresql+psycopg://postgres@/{{}}?host={folder}&port={port}"
    finally:
        subprocess.run(prefix + [pg_ctl, "-D", data, "-m", "fast", "stop"], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_postgresql_in_and_out(postgres_server, installed_plugins, cli_invoke, tmp_path):
    """The same shop in a real PostgreSQL server; the synthetic copy goes into a second
    database of that server, whose foreign-key constraint must hold."""
    admin = sa.create_engine(postgres_server.format("postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text("CREATE DATABASE shop"))
        connection.execute(sa.text("CREATE DATABASE synthetic"))
    admin.dispose()
    source = make_shop(postgres_server.format("shop"))
    add_staff(source)
    target = postgres_server.format("synthetic")
    result = cli_invoke(["run", "--method", "rgcd", "--db", source, "--output-db", target, "--profile", "smoke",
                         "--data-dir", tmp_path / "data", "--output-dir", tmp_path / "out", "--metrics", "none",
                         "--quiet"])
    assert result.exit_code == 0, result.output
    written = sa.create_engine(target)
    with written.connect() as connection:
        assert connection.execute(sa.text("select count(*) from customers")).scalar() == 80
        orphans = connection.execute(sa.text(
            "select count(*) from orders o left join customers c on o.cid = c.cid where c.cid is null")).scalar()
        assert orphans == 0
    [fk] = sa.inspect(written).get_foreign_keys("orders")
    assert fk["referred_table"] == "customers" and fk["constrained_columns"] == ["cid"]
    [fk] = sa.inspect(written).get_foreign_keys("staff")  # checked row by row as the rows went in
    assert fk["referred_table"] == "staff" and fk["constrained_columns"] == ["boss"]
    written.dispose()
