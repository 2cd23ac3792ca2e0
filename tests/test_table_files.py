"""Reading CSVs without SyntheRela 0.0.4's traps: keys that look missing, booleans with
missing values, datetimes that do not parse (``syntherela_rgcd/table_files.py``)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from syntherela.metadata import Metadata

from syntherela_rgcd.datasets import load_dataset
from syntherela_rgcd.errors import DataError

METADATA = {
    "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
    "tables": {
        "shop": {"primary_key": "code", "columns": {
            "code": {"sdtype": "id"}, "open": {"sdtype": "boolean"}, "size": {"sdtype": "numerical"},
            "since": {"sdtype": "datetime", "datetime_format": "%Y-%m-%d"}}},
        "sale": {"primary_key": "sid", "columns": {
            "sid": {"sdtype": "id"}, "code": {"sdtype": "id"}, "amount": {"sdtype": "numerical"}}},
    },
    "relationships": [{"parent_table_name": "shop", "child_table_name": "sale",
                       "parent_primary_key": "code", "child_foreign_key": "code"}],
}
CODES = ["NA", "null", "None", "nan", "A1", "B2"]


def write_shop(folder, open_values=None, since=None) -> None:
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metadata.json").write_text(json.dumps(METADATA))
    n = 60
    codes = [CODES[i % 6] + ("" if i < 6 else str(i)) for i in range(n)]
    shop = pd.DataFrame({"code": codes,
                         "open": open_values if open_values is not None else ["True", "", "False"] * (n // 3),
                         "size": rng.normal(size=n).round(3),
                         "since": since if since is not None else
                         [f"20{10 + i % 10}-0{1 + i % 9}-1{i % 9}" for i in range(n)]})
    shop.to_csv(folder / "shop.csv", index=False)
    sale = pd.DataFrame({"sid": np.arange(200), "code": [codes[i % n] for i in rng.integers(0, n, 200)],
                         "amount": rng.exponential(size=200).round(2)})
    sale.to_csv(folder / "sale.csv", index=False)


def test_keys_that_look_missing_and_nullable_booleans_load(tmp_path):
    write_shop(tmp_path / "shop")
    tables, _ = load_dataset(tmp_path / "shop", "shop")
    assert tables["shop"]["code"].head(4).tolist() == ["NA", "null", "None", "nan"]
    assert tables["sale"]["code"].notna().all() and tables["sale"]["code"].isin(tables["shop"]["code"]).all()
    assert str(tables["shop"]["open"].dtype) == "boolean" and tables["shop"]["open"].isna().sum() == 20
    assert tables["sale"]["sid"].dtype == np.int64, "numeric keys keep pandas' own dtype"


def test_the_same_frames_as_syntherela_on_a_clean_dataset(tmp_path):
    from syntherela.data import load_tables

    write_shop(tmp_path / "clean", open_values=["True", "False", "True"] * 20)
    shop = pd.read_csv(tmp_path / "clean" / "shop.csv", keep_default_na=False)
    shop["code"] = [f"C{i}" for i in range(60)]
    shop.to_csv(tmp_path / "clean" / "shop.csv", index=False)
    sale = pd.read_csv(tmp_path / "clean" / "sale.csv", keep_default_na=False)
    sale["code"] = [f"C{i % 60}" for i in range(200)]
    sale.to_csv(tmp_path / "clean" / "sale.csv", index=False)
    ours, _ = load_dataset(tmp_path / "clean", "clean")
    theirs = load_tables(tmp_path / "clean", Metadata.load_from_json(tmp_path / "clean" / "metadata.json"))
    for table in theirs:
        pd.testing.assert_frame_equal(ours[table], theirs[table][list(ours[table].columns)])


@pytest.mark.parametrize("column, values, message", [
    ("since", ["2015-02-30"] + ["2015-01-01"] * 59,
     "table 'shop', datetime column 'since': value '2015-02-30' in row 1 does not match datetime_format '%Y-%m-%d'"),
    ("since", ["2015-01-01"] * 3 + ["1500-13-01"] + ["2015-01-01"] * 56,
     "table 'shop', datetime column 'since': value '1500-13-01' in row 4 does not match"),
    ("open", ["maybe"] + ["True"] * 59,
     "table 'shop', boolean column 'open': value 'maybe' in row 1 is not true or false"),
])
def test_unreadable_values_are_named_with_table_column_and_row(tmp_path, column, values, message):
    write_shop(tmp_path / "bad", **({"since": values} if column == "since" else {"open_values": values}))
    with pytest.raises(DataError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_dataset(tmp_path / "bad", "bad")


def test_smoke_run_on_na_keys_and_nullable_booleans(installed_plugins, cli_invoke, tmp_path):
    write_shop(tmp_path / "data" / "original" / "shop")
    result = cli_invoke(["run", "--method", "rgcd", "--dataset", "shop", "--data-dir", tmp_path / "data",
                         "--profile", "smoke", "--output-dir", tmp_path / "out", "--metrics", "dda", "--quiet"])
    assert result.exit_code == 0, result.output
    sample = tmp_path / "out" / "synthetic" / "shop" / "rgcd" / "smoke-seed0" / "sample1"
    written = pd.read_csv(sample / "shop.csv", keep_default_na=False)
    assert set(written["open"]) <= {"True", "False", ""}


def test_a_foreign_key_with_no_value_is_typed_like_its_parents_key(tmp_path):
    # a generator that links no sale to a shop writes an empty column: it must still load
    write_shop(tmp_path / "shop")
    sale = pd.read_csv(tmp_path / "shop" / "sale.csv")
    sale["code"] = ""
    sale.to_csv(tmp_path / "shop" / "sale.csv", index=False)
    tables, _ = load_dataset(tmp_path / "shop", "shop")
    assert tables["sale"]["code"].isna().all() and tables["sale"]["code"].dtype == object
