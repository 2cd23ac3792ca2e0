"""Self-referencing foreign keys in metadata (``metadata.py``): accepted, checked by us rather
than by SDV's "circular" rule, and shaped for SyntheRela's metrics."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from syntherela_rgcd.datasets import load_metadata
from syntherela_rgcd.errors import DataError
from syntherela_rgcd.metadata import (RelationalMetadata, rows_parents_first, self_parent_positions,
                                      self_references_as_copies, tree_depths)


def staff_metadata(**relationship) -> dict:
    rel = {"parent_table_name": "staff", "parent_primary_key": "sid", "child_table_name": "staff",
           "child_foreign_key": "boss"}
    rel.update(relationship)
    return {"METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
            "tables": {"staff": {"primary_key": "sid", "columns": {"sid": {"sdtype": "id"}, "boss": {"sdtype": "id"},
                                                                    "pay": {"sdtype": "numerical"}}}},
            "relationships": [rel]}


def staff() -> pd.DataFrame:
    return pd.DataFrame({"sid": [0, 1, 2, 3, 4], "boss": [np.nan, 0, 0, 1, 1], "pay": [9.0, 5, 5, 2, 2]})


def write(tmp_path, spec: dict):
    (tmp_path / "metadata.json").write_text(json.dumps(spec))
    return load_metadata(tmp_path, "org")


def test_self_reference_is_accepted_where_sdv_refuses_it(tmp_path):
    from syntherela.metadata import Metadata

    with pytest.raises(Exception, match="circular"):
        Metadata.load_from_dict(staff_metadata()).validate()
    metadata = write(tmp_path, staff_metadata())
    assert isinstance(metadata, RelationalMetadata)
    assert metadata.self_references() == metadata.relationships
    metadata.validate_data({"staff": staff()})
    assert metadata.get_root_tables() == ["staff"]
    assert metadata.get_table_levels() == {"staff": 0}  # SyntheRela's own loop never ends here


@pytest.mark.parametrize("change, message", [
    ({"parent_primary_key": "pay"}, "table 'staff': self-reference 'boss' -> 'pay' must point at the table's primary key"),
    ({"child_foreign_key": "pay"}, "table 'staff': self-referencing foreign key 'pay' must have sdtype 'id'"),
    ({"child_foreign_key": "chief"}, "table 'staff': self-referencing foreign key 'chief' is not a column"),
])
def test_a_broken_self_reference_is_named_in_one_line(tmp_path, change, message):
    with pytest.raises(DataError, match="^dataset 'org': invalid metadata.json: " + message.replace("(", r"\(")):
        write(tmp_path, staff_metadata(**change))


def test_a_self_key_naming_no_row_is_refused_with_the_table():
    metadata = RelationalMetadata.load_from_dict(staff_metadata())
    broken = staff().assign(boss=[np.nan, 0, 0, 1, 7])
    with pytest.raises(ValueError, match="table 'staff': self-referencing foreign key 'boss' has 1 value"):
        metadata.validate_data({"staff": broken})


def test_cycles_between_tables_are_still_refused(tmp_path):
    spec = {"METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
            "tables": {t: {"primary_key": "id", "columns": {"id": {"sdtype": "id"}, "other": {"sdtype": "id"}}}
                       for t in ("a", "b")},
            "relationships": [{"parent_table_name": "a", "parent_primary_key": "id", "child_table_name": "b",
                               "child_foreign_key": "other"},
                              {"parent_table_name": "b", "parent_primary_key": "id", "child_table_name": "a",
                               "child_foreign_key": "other"}]}
    with pytest.raises(DataError, match="circular"):
        write(tmp_path, spec)


def test_depths_of_a_tree_and_of_rows_on_or_below_a_cycle():
    #          0 root, 1 and 2 under 0, 3 under 2; 4 <-> 5 a cycle, 6 under 5; 7 its own parent
    parents = np.array([-1, 0, 0, 2, 5, 4, 5, 7])
    assert tree_depths(parents).tolist() == [0, 1, 1, 2, -1, -1, -1, -1]
    order = rows_parents_first(pd.Series(list("abcdefgh")), pd.Series([None, "a", "a", "c", "f", "e", "f", "h"]))
    assert order.tolist() == [0, 1, 2, 3, 4, 5, 6, 7]
    shuffled = rows_parents_first(pd.Series([3, 2, 1, 0]), pd.Series([2, 1, 0, None]))  # a chain, leaf first
    assert shuffled.tolist() == [3, 2, 1, 0]
    assert self_parent_positions(pd.Series([3, 2, 1, 0]), pd.Series([2, 1, 0, None])).tolist() == [1, 2, 3, -1]


def test_self_relationship_becomes_a_copy_for_parent_child_metrics():
    metadata = RelationalMetadata.load_from_dict(staff_metadata())
    tables, copied, copies = self_references_as_copies({"staff": staff()}, metadata)
    assert copies == ["staff[boss]"] and set(tables) == {"staff", "staff[boss]"}
    assert copied.relationships == [{"parent_table_name": "staff", "parent_primary_key": "sid",
                                     "child_table_name": "staff[boss]", "child_foreign_key": "boss"}]
    assert metadata.relationships[0]["child_table_name"] == "staff", "the original metadata is left alone"


def test_dda_scores_a_self_referencing_table_with_its_reports_aggregated():
    from syntherela_rgcd.evaluation.fidelity import DDA_NAME, dda_metric

    rng = np.random.default_rng(0)
    n = 200
    boss = np.concatenate([[np.nan], rng.integers(0, np.arange(1, n))]).astype(float)
    reports = np.bincount(boss[1:].astype(int), minlength=n)
    real = pd.DataFrame({"sid": np.arange(n), "boss": boss, "pay": 10.0 + 3 * reports + rng.normal(0, 0.5, n)})
    shuffled = real.assign(pay=rng.permutation(real["pay"].to_numpy()))  # the same pay, not by reports
    metric = dda_metric()
    assert metric.name == DDA_NAME
    result = metric.run({"staff": real}, {"staff": shuffled}, RelationalMetadata.load_from_dict(staff_metadata()))
    assert list(result) == ["staff"]
    faithful = real.assign(pay=10.0 + 3 * reports + rng.normal(0, 0.5, n))  # new noise, the same rule
    control = metric.run({"staff": real}, {"staff": faithful}, RelationalMetadata.load_from_dict(staff_metadata()))
    assert result["staff"]["accuracy"] > 0.62 > control["staff"]["accuracy"], (result, control)
