"""Dataset catalogue, aliases, data-dir resolution, validated loading and the built-in demo."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from syntherela_rgcd.catalogue import CATALOGUE
from syntherela_rgcd.datasets import (
    DATA_DIR_ENV,
    canonical_name,
    dataset_stats,
    datasets_on_disk,
    load_dataset,
    prepare_dataset,
    resolve_data_dir,
    write_dataset,
)
from syntherela_rgcd.demo import METADATA, build_demo_tables
from syntherela_rgcd.errors import DataError, UnknownNameError
from syntherela_rgcd.plugins import build_registry

CATALOGUE_BY_NAME = {spec.name: spec for spec in CATALOGUE}


# --- the demo ------------------------------------------------------------------------


def test_demo_is_deterministic(tmp_path):
    first, second = build_demo_tables(), build_demo_tables()
    assert list(first) == ["stores", "customers", "purchases"]
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])
    write_dataset(tmp_path / "a", first, METADATA)
    write_dataset(tmp_path / "b", second, METADATA)
    for file in ("metadata.json", "stores.csv", "customers.csv", "purchases.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes()
    # a different seed gives a different database
    assert not build_demo_tables(seed=1)["purchases"].equals(first["purchases"])


def test_demo_has_the_relational_features_it_promises():
    tables = build_demo_tables()
    stores, customers, purchases = tables["stores"], tables["customers"], tables["purchases"]

    # a child with two parents
    parents = {(r["parent_table_name"], r["child_table_name"]) for r in METADATA["relationships"]}
    assert {("customers", "purchases"), ("stores", "purchases")} <= parents
    # a datetime, a boolean and a column with missing values
    assert pd.api.types.is_datetime64_any_dtype(purchases["timestamp"])
    assert pd.api.types.is_datetime64_any_dtype(stores["opened"])
    assert METADATA["tables"]["purchases"]["columns"]["timestamp"]["sdtype"] == "datetime"
    assert purchases["returned"].dtype == bool and customers["newsletter"].dtype == bool
    assert 0 < customers["age"].isna().mean() < 0.5
    # keys are intact
    assert purchases["store_id"].isin(stores["store_id"]).all()
    assert purchases["customer_id"].isin(customers["customer_id"]).all()
    assert stores["store_id"].is_unique and customers["customer_id"].is_unique

    # a parent attribute that changes how many children a row has ...
    per_store = purchases.groupby("store_id").size().reindex(stores["store_id"], fill_value=0)
    by_format = per_store.groupby(stores.set_index("store_id")["format"]).mean()
    assert set(by_format.index) == {"kiosk", "mall", "flagship"}
    assert by_format["kiosk"] < by_format["mall"] < by_format["flagship"]
    assert by_format["flagship"] > 3 * by_format["kiosk"]
    # ... and what the children look like
    amount_by_format = purchases.merge(stores, on="store_id").groupby("format")["amount"].mean()
    assert amount_by_format["flagship"] > 1.5 * amount_by_format["kiosk"]


def test_demo_round_trips_through_syntherela_layout(tmp_path, demo_copy):
    path = demo_copy(tmp_path)
    tables, metadata = load_dataset(path, "demo")
    assert sorted(metadata.get_tables()) == ["customers", "purchases", "stores"]
    original = build_demo_tables()
    for name, table in original.items():
        assert list(tables[name].columns) == list(table.columns)
        assert len(tables[name]) == len(table)
    assert pd.api.types.is_datetime64_any_dtype(tables["purchases"]["timestamp"])
    assert tables["customers"]["age"].isna().sum() == original["customers"]["age"].isna().sum()
    np.testing.assert_allclose(tables["purchases"]["amount"], original["purchases"]["amount"])
    assert dataset_stats(tables) == (3, sum(len(t) for t in original.values()))


def test_demo_is_built_on_first_use(tmp_path):
    registry = build_registry()
    data = prepare_dataset("demo", tmp_path / "data", registry)
    assert data.name == "demo"
    assert (tmp_path / "data" / "original" / "demo" / "metadata.json").is_file()
    assert datasets_on_disk(tmp_path / "data") == ["demo"]
    assert not [p for p in (tmp_path / "data" / "original").iterdir() if p.name.startswith(".")]


# --- names and the data dir -----------------------------------------------------------


def test_data_dir_resolution(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path / "from-env"))
    assert resolve_data_dir(tmp_path / "explicit") == tmp_path / "explicit"
    assert resolve_data_dir(None) == tmp_path / "from-env"
    monkeypatch.delenv(DATA_DIR_ENV)
    default = resolve_data_dir(None)
    assert default.name == "data" and "syntherela" in str(default)


@pytest.mark.parametrize(
    "alias, name",
    [
        ("walmart", "walmart_subsampled"),
        ("WALMART", "walmart_subsampled"),
        ("rossmann", "rossmann_subsampled"),
        ("airbnb", "airbnb-simplified_subsampled"),
        ("imdb", "imdb_MovieLens_v1"),
        ("cora", "CORA_v1"),
        ("biodegradability", "Biodegradability_v1"),
        ("biodeg", "Biodegradability_v1"),
        ("cora_v1", "CORA_v1"),
        ("demo", "demo"),
    ],
)
def test_aliases(alias, name, tmp_path):
    assert canonical_name(alias, CATALOGUE_BY_NAME, tmp_path) == name


def test_alias_resolves_to_folder_in_data_dir(tmp_path, demo_copy):
    demo_copy(tmp_path, "walmart_subsampled")
    demo_copy(tmp_path, "MyOwnDB")
    registry = build_registry()
    data = prepare_dataset("walmart", tmp_path, registry)
    assert data.name == "walmart_subsampled"
    assert data.path == tmp_path / "original" / "walmart_subsampled"
    assert set(data.tables) == {"stores", "customers", "purchases"}
    # any folder in SyntheRela's layout works, case-insensitively
    assert canonical_name("myowndb", registry.datasets, tmp_path) == "MyOwnDB"
    assert prepare_dataset("MyOwnDB", tmp_path, registry).name == "MyOwnDB"


def test_unfinished_writes_are_not_datasets(tmp_path, demo_copy):
    """A staging folder left by an interrupted write (it has a metadata.json) is not listed."""
    demo_copy(tmp_path, "demo")
    demo_copy(tmp_path, ".demo-k3j4h5")
    assert datasets_on_disk(tmp_path) == ["demo"]


def test_unknown_dataset_lists_known_ones(tmp_path, demo_copy):
    demo_copy(tmp_path, "MyOwnDB")
    with pytest.raises(UnknownNameError) as info:
        canonical_name("nosuchdb", CATALOGUE_BY_NAME, tmp_path)
    message = str(info.value)
    assert "'nosuchdb'" in message and "walmart_subsampled" in message and "MyOwnDB" in message


def test_missing_dataset_folder(tmp_path):
    with pytest.raises(DataError) as info:
        prepare_dataset("rossmann", tmp_path, build_registry())
    message = str(info.value)
    assert "rossmann_subsampled" in message and str(tmp_path) in message and "download" in message


# --- validated loading ----------------------------------------------------------------


def _orphan(tables):
    tables["purchases"].loc[5, "store_id"] = 9999


def _relationship_to_nowhere(metadata):
    metadata["relationships"].append({"parent_table_name": "warehouses", "parent_primary_key": "warehouse_id",
                                      "child_table_name": "purchases", "child_foreign_key": "store_id"})


@pytest.mark.parametrize(
    "mutate_tables, mutate_metadata, after, culprits",
    [
        (None, None, lambda p: (p / "metadata.json").write_text("{not json"), ["metadata.json", "not valid JSON"]),
        (None, None, lambda p: (p / "metadata.json").write_bytes(b'{"tables": "\xff\xfe"}'), ["metadata.json"]),
        (None, None, lambda p: (p / "metadata.json").write_text("{}"), ["metadata.json", "no tables"]),
        (None, _relationship_to_nowhere, None, ["invalid metadata.json", "warehouses"]),
        (None, lambda m: m["tables"]["stores"].update(primary_key="shop_id"), None, ["stores", "shop_id"]),
        (None, None, lambda p: (p / "customers.csv").unlink(), ["customers", "customers.csv"]),
        (lambda t: t.update(stores=t["stores"].drop(columns=["floor_area"])), None, None, ["stores.csv", "floor_area"]),
        (_orphan, None, None, ["purchases.store_id", "stores.store_id", "9999"]),
        (lambda t: t["stores"].insert(1, "unexpected", 1), None, None, ["stores", "unexpected"]),
        (lambda t: t.update(stores=pd.concat([t["stores"], t["stores"].iloc[[0]]])), None, None, ["stores", "store_id"]),
    ],
    ids=["invalid-json", "not-utf8", "no-tables", "relationship-to-missing-table", "unknown-primary-key",
         "csv-missing", "column-missing", "orphan-foreign-key", "extra-column", "duplicate-key"],
)
def test_broken_dataset_gives_one_line_error(tmp_path, demo_copy, mutate_tables, mutate_metadata, after, culprits):
    path = demo_copy(tmp_path, "broken", mutate_tables, mutate_metadata)
    if after:
        after(path)
    with pytest.raises(DataError) as info:
        load_dataset(path, "broken")
    message = str(info.value)
    assert "\n" not in message and message.startswith("dataset 'broken'")
    for culprit in culprits:
        assert culprit in message


def test_csv_with_byte_order_mark_is_accepted(tmp_path, demo_copy):
    """pandas (and so SyntheRela) reads a UTF-8 BOM transparently; the header check must too."""
    path = demo_copy(tmp_path, "bom")
    csv_file = path / "stores.csv"
    csv_file.write_bytes(b"\xef\xbb\xbf" + csv_file.read_bytes())
    tables, _ = load_dataset(path, "bom")
    assert "store_id" in tables["stores"].columns


def test_metadata_file_is_syntherelas(tmp_path, demo_copy):
    path = demo_copy(tmp_path)
    assert json.loads((path / "metadata.json").read_text()) == json.loads(json.dumps(METADATA))
    assert sorted(p.name for p in Path(path).iterdir()) == [
        "customers.csv", "metadata.json", "purchases.csv", "stores.csv"]
