"""A real database in, a real database out: SQLite files through SQLAlchemy (``sql.py``)."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest

sa = pytest.importorskip("sqlalchemy")


def make_shop(path) -> str:
    """customers (text key) -> orders (integer key), with a date, a timestamp and a boolean."""
    url = f"sqlite:///{path}"
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
