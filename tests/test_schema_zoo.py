"""A schema zoo: small databases, each built around one trap of real schemas. For each,
``syntherela run --profile smoke`` fits, samples with integrity and scores, or refuses with
one line naming the place (issue 15)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from syntherela_rgcd.datasets import write_dataset
from syntherela_rgcd.metadata import self_parent_positions, tree_depths

RNG = np.random.default_rng(0)


def _meta(tables: dict, relationships: list[tuple[str, str, str, str]]) -> dict:
    return {"METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
            "tables": {name: {"columns": columns, **({"primary_key": pk} if pk else {})}
                       for name, (pk, columns) in tables.items()},
            "relationships": [{"parent_table_name": p, "child_table_name": c, "parent_primary_key": pk,
                               "child_foreign_key": fk} for p, c, pk, fk in relationships]}


def _ids(n: int) -> np.ndarray:
    return np.arange(n)


def two_keys_to_one_parent():
    """A transfer names two accounts: two foreign keys from one child into one parent."""
    accounts = pd.DataFrame({"aid": _ids(60), "balance": RNG.normal(size=60).round(2)})
    transfers = pd.DataFrame({"tid": _ids(200), "src": RNG.integers(0, 60, 200), "dst": RNG.integers(0, 60, 200),
                              "amount": RNG.exponential(size=200).round(2)})
    return {"accounts": accounts, "transfers": transfers}, _meta(
        {"accounts": ("aid", {"aid": {"sdtype": "id"}, "balance": {"sdtype": "numerical"}}),
         "transfers": ("tid", {"tid": {"sdtype": "id"}, "src": {"sdtype": "id"}, "dst": {"sdtype": "id"},
                               "amount": {"sdtype": "numerical"}})},
        [("accounts", "transfers", "aid", "src"), ("accounts", "transfers", "aid", "dst")])


def three_parents_and_childless_parents():
    """A sale has a store, a product and a day; some products are never sold."""
    stores = pd.DataFrame({"sid": _ids(10), "size": RNG.integers(1, 5, 10)})
    products = pd.DataFrame({"pid": _ids(40), "price": RNG.exponential(size=40).round(2)})
    days = pd.DataFrame({"did": _ids(30), "holiday": RNG.random(30) < 0.2})
    sales = pd.DataFrame({"xid": _ids(300), "sid": RNG.integers(0, 10, 300), "pid": RNG.integers(0, 20, 300),
                          "did": RNG.integers(0, 30, 300), "units": RNG.integers(1, 9, 300)})
    return {"stores": stores, "products": products, "days": days, "sales": sales}, _meta(
        {"stores": ("sid", {"sid": {"sdtype": "id"}, "size": {"sdtype": "numerical"}}),
         "products": ("pid", {"pid": {"sdtype": "id"}, "price": {"sdtype": "numerical"}}),
         "days": ("did", {"did": {"sdtype": "id"}, "holiday": {"sdtype": "boolean"}}),
         "sales": ("xid", {"xid": {"sdtype": "id"}, "sid": {"sdtype": "id"}, "pid": {"sdtype": "id"},
                           "did": {"sdtype": "id"}, "units": {"sdtype": "numerical"}})},
        [("stores", "sales", "sid", "sid"), ("products", "sales", "pid", "pid"), ("days", "sales", "did", "did")])


def empty_child_table():
    """A child table with a header and no rows."""
    users = pd.DataFrame({"uid": _ids(50), "age": RNG.integers(18, 70, 50)})
    logins = pd.DataFrame({"lid": pd.Series([], dtype=int), "uid": pd.Series([], dtype=int),
                           "device": pd.Series([], dtype=str)})
    return {"users": users, "logins": logins}, _meta(
        {"users": ("uid", {"uid": {"sdtype": "id"}, "age": {"sdtype": "numerical"}}),
         "logins": ("lid", {"lid": {"sdtype": "id"}, "uid": {"sdtype": "id"}, "device": {"sdtype": "categorical"}})},
        [("users", "logins", "uid", "uid")])


def awkward_columns():
    """Unicode and spaces in names, a constant column, an all-missing column, a categorical
    with thousands of values, missing values everywhere, a key-only child table."""
    n = 3000
    people = pd.DataFrame({"person id": _ids(n), "städt name": [f"city {i}" for i in RNG.integers(0, 2500, n)],
                           "constant": "x", "nothing": np.nan, "höhe cm": RNG.normal(170, 10, n).round(1),
                           "joined": pd.date_range("2020-01-01", periods=n, freq="h").strftime("%Y-%m-%d %H:%M:%S")})
    for column in ("städt name", "höhe cm", "joined"):
        people.loc[RNG.random(n) < 0.1, column] = np.nan
    tags = pd.DataFrame({"person id": RNG.integers(0, n, 500)})
    return {"people ö": people, "tags": tags}, _meta(
        {"people ö": ("person id", {"person id": {"sdtype": "id"}, "städt name": {"sdtype": "categorical"},
                                    "constant": {"sdtype": "categorical"}, "nothing": {"sdtype": "numerical"},
                                    "höhe cm": {"sdtype": "numerical"},
                                    "joined": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S"}}),
         "tags": (None, {"person id": {"sdtype": "id"}})},
        [("people ö", "tags", "person id", "person id")])


def wide_table():
    """60+ columns of every sdtype, each with missing values."""
    n = 300
    frame = {"rid": _ids(n)}
    columns = {"rid": {"sdtype": "id"}}
    for k in range(16):
        frame[f"num{k}"] = RNG.normal(size=n)
        columns[f"num{k}"] = {"sdtype": "numerical"}
        frame[f"cat{k}"] = RNG.choice(list("abcde"), n)
        columns[f"cat{k}"] = {"sdtype": "categorical"}
        frame[f"flag{k}"] = np.where(RNG.random(n) < 0.5, "True", "False")
        columns[f"flag{k}"] = {"sdtype": "boolean"}
        frame[f"day{k}"] = (pd.Timestamp("2019-01-01") + pd.to_timedelta(RNG.integers(0, 900, n), unit="D")).strftime("%Y-%m-%d")
        columns[f"day{k}"] = {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"}
    wide = pd.DataFrame(frame)
    for column in wide.columns[1:]:
        wide[column] = wide[column].astype(object)
        wide.loc[RNG.random(n) < 0.05, column] = np.nan
    return {"wide": wide}, _meta({"wide": ("rid", columns)}, [])


def self_reference():
    """employees.manager -> employees, a tree inside one table (the CEO's key is empty)."""
    managers = np.concatenate([[-1], RNG.integers(0, np.arange(1, 40))])
    employees = pd.DataFrame({"eid": _ids(40), "manager": pd.array(np.where(managers < 0, None, managers), dtype="Int64"),
                              "salary": RNG.normal(50, 10, 40).round(1)})
    return {"employees": employees}, _meta(
        {"employees": ("eid", {"eid": {"sdtype": "id"}, "manager": {"sdtype": "id"}, "salary": {"sdtype": "numerical"}})},
        [("employees", "employees", "eid", "manager")])


def far_apart_and_zoned_datetimes():
    """Dates from year 44 to 9999 (outside pandas' nanoseconds), a column with one UTC offset,
    a zone across daylight saving time (two offsets), and a date-only child column."""
    n = 150
    years = RNG.integers(44, 9999, n)
    when = [f"{y:04d}-{RNG.integers(1, 13):02d}-{RNG.integers(1, 29):02d}" for y in years]
    base = pd.Timestamp("2021-01-01") + pd.to_timedelta(RNG.integers(0, 300 * 24 * 60, n), unit="min")
    sites = pd.DataFrame({"sid": _ids(n), "founded": when, "x": RNG.normal(size=n),
                          "opened": [t.strftime("%Y-%m-%d %H:%M:%S") + "+01:00" for t in base],
                          "local": [t.tz_localize("Europe/Ljubljana").strftime("%Y-%m-%d %H:%M:%S%z") for t in base]})
    sites.loc[RNG.random(n) < 0.1, "founded"] = None
    visits = pd.DataFrame({"vid": _ids(400), "sid": RNG.integers(0, n, 400),
                           "day": [f"{y:04d}-06-01" for y in RNG.integers(1, 9999, 400)]})
    stamp = {"sdtype": "datetime", "datetime_format": "%Y-%m-%d %H:%M:%S%z"}
    return {"sites": sites, "visits": visits}, _meta(
        {"sites": ("sid", {"sid": {"sdtype": "id"}, "founded": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"},
                           "x": {"sdtype": "numerical"}, "opened": stamp, "local": stamp}),
         "visits": ("vid", {"vid": {"sdtype": "id"}, "sid": {"sdtype": "id"},
                            "day": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"}})},
        [("sites", "visits", "sid", "sid")])


def reserved_and_odd_names():
    """Tables and columns named like attributes of torch's and PyG's containers (``items``,
    ``keys``, ``type``, ``to``, ``class``, ``self``, ``index``, ``values``) and with spaces,
    dots, quotes, ``#``, ``___`` and non-ASCII letters: all of them are keys of our own
    mappings, never attributes, and are written back unchanged."""
    n_groups, n_items, n_details = 8, 40, 200
    groups = pd.DataFrame({"id": _ids(n_groups), "class": RNG.choice(["a b", "c.d"], n_groups)})
    items = pd.DataFrame({"self": _ids(n_items), "to": RNG.integers(0, n_groups, n_items),
                          'say "hi"': RNG.normal(size=n_items).round(3), "keys": RNG.choice(["x", "y"], n_items)})
    details = pd.DataFrame({"index": _ids(n_details), "items": RNG.integers(0, n_items, n_details),
                            "values": RNG.gamma(2, size=n_details).round(3), "type": RNG.choice(["p", "q"], n_details),
                            "größe.€ #1": RNG.integers(0, 9, n_details)})
    group_table, detail_table = "ünïcode 'type'", "order details.v2___x"
    return {group_table: groups, "items": items, detail_table: details}, _meta(
        {group_table: ("id", {"id": {"sdtype": "id"}, "class": {"sdtype": "categorical"}}),
         "items": ("self", {"self": {"sdtype": "id"}, "to": {"sdtype": "id"}, 'say "hi"': {"sdtype": "numerical"},
                            "keys": {"sdtype": "categorical"}}),
         detail_table: ("index", {"index": {"sdtype": "id"}, "items": {"sdtype": "id"}, "values": {"sdtype": "numerical"},
                                  "type": {"sdtype": "categorical"}, "größe.€ #1": {"sdtype": "numerical"}})},
        [(group_table, "items", "id", "to"), ("items", detail_table, "self", "items")])


def cycle_between_tables():
    """a.b_id -> b and b.a_id -> a: no table can be generated first."""
    a = pd.DataFrame({"aid": _ids(5), "b_id": _ids(5), "x": RNG.normal(size=5)})
    b = pd.DataFrame({"bid": _ids(5), "a_id": _ids(5), "y": RNG.normal(size=5)})
    return {"a": a, "b": b}, _meta(
        {"a": ("aid", {"aid": {"sdtype": "id"}, "b_id": {"sdtype": "id"}, "x": {"sdtype": "numerical"}}),
         "b": ("bid", {"bid": {"sdtype": "id"}, "a_id": {"sdtype": "id"}, "y": {"sdtype": "numerical"}})},
        [("b", "a", "bid", "b_id"), ("a", "b", "aid", "a_id")])


RUNS = [two_keys_to_one_parent, three_parents_and_childless_parents, empty_child_table, awkward_columns, wide_table,
        self_reference, far_apart_and_zoned_datetimes, reserved_and_odd_names]
REFUSED = {cycle_between_tables: "circular dependency between tables ['a', 'b']. (fix: remove one relationship"}


@pytest.mark.parametrize("build", RUNS, ids=lambda f: f.__name__)
def test_smoke_run_fits_samples_and_scores(build, installed_plugins, cli_invoke, tmp_path):
    tables, metadata = build()
    write_dataset(tmp_path / "data" / "original" / "zoo", tables, metadata)
    result = cli_invoke(["run", "--method", "rgcd", "--dataset", "zoo", "--data-dir", tmp_path / "data", "--profile",
                         "smoke", "--output-dir", tmp_path / "out", "--metrics", "dda,cardinality", "--quiet"])
    assert result.exit_code == 0, result.output
    sample = tmp_path / "out" / "synthetic" / "zoo" / "rgcd" / "smoke-seed0" / "sample1"
    assert sorted(p.stem for p in sample.glob("*.csv")) == sorted(tables)
    for table, frame in tables.items():  # every name comes back as it went in
        assert list(pd.read_csv(sample / f"{table}.csv", nrows=0).columns) == list(frame.columns)
    from syntherela_rgcd.datasets import load_metadata
    from syntherela_rgcd.table_files import read_tables

    written = read_tables(sample, load_metadata(tmp_path / "data" / "original" / "zoo", "zoo"), "zoo")
    original = read_tables(tmp_path / "data" / "original" / "zoo",
                           load_metadata(tmp_path / "data" / "original" / "zoo", "zoo"), "zoo")
    for table, frame in written.items():  # datetimes read back as the input's: unit (years 1-9999) and zone
        stamps = [c for c in frame if pd.api.types.is_datetime64_any_dtype(original[table][c].dtype)]
        assert {c: str(frame[c].dtype) for c in stamps} == {c: str(original[table][c].dtype) for c in stamps}
    for rel in metadata["relationships"]:  # a self-reference is sampled as a tree: every key reaches a root
        if rel["parent_table_name"] == rel["child_table_name"]:
            frame = pd.read_csv(sample / f"{rel['child_table_name']}.csv")
            parents = self_parent_positions(frame[rel["parent_primary_key"]], frame[rel["child_foreign_key"]])
            assert (tree_depths(parents) >= 0).all() and (parents >= 0).sum() == tables[rel["child_table_name"]][
                rel["child_foreign_key"]].notna().sum()


@pytest.mark.parametrize("build", REFUSED, ids=lambda f: f.__name__)
def test_unsupported_schema_is_refused_in_one_line(build, installed_plugins, cli_invoke, tmp_path):
    tables, metadata = build()
    write_dataset(tmp_path / "data" / "original" / "zoo", tables, metadata)
    result = cli_invoke(["run", "--method", "rgcd", "--dataset", "zoo", "--data-dir", tmp_path / "data", "--profile",
                         "smoke", "--output-dir", tmp_path / "out", "--quiet"])
    assert result.exit_code != 0 and "Traceback" not in result.output, result.output
    assert REFUSED[build] in str(result.exception) and "\n" not in str(result.exception)
