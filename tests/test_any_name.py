"""Any table or column name works: generated names, fitted, sampled, written and read back.

A database's names are keys of our own mappings, never attributes: a table called ``items``
once crashed the fit (torch's ``ModuleDict`` refuses its own attribute names). Names here are
drawn by hypothesis from everyday words that are attributes somewhere (``items``, ``keys``,
``type``, ``to``, ``class``, ``self``) and from arbitrary text with spaces, dots, quotes and
non-ASCII letters. Only what a file system refuses in a file name is left out of table names:
``/`` and the NUL character (a table is written as ``<name>.csv``); control characters are left
out of both. The schema zoo (``test_schema_zoo.py``) scores such a schema end to end.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from syntherela.metadata import Metadata

from syntherela_rgcd.contract import RunContext
from syntherela_rgcd.metadata import RelationalMetadata
from syntherela_rgcd.rgcd.model import RGCD
from syntherela_rgcd.table_files import read_tables, write_tables

RESERVED = ["items", "keys", "values", "type", "to", "class", "self", "index", "order", "x", "edge_index",
            "num_nodes", "node_types", "a.b", "a___b", "<a>", "a#b", "__init__"]
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="/\x00"), min_size=1, max_size=10)
NAME = st.one_of(st.sampled_from(RESERVED), TEXT)
TINY = {"vae": {"epochs": 2}, "gnn": {"steps": 2}, "diffusion": {"epochs": 2, "num_steps": 3}}


def _database(parent: str, child: str, columns: list[str]) -> tuple[dict, Metadata]:
    """A parent with a key, a number and a category; a child with a key, a foreign key and a number."""
    pk, value, kind, ck, fk, amount = columns
    rng = np.random.default_rng(0)
    tables = {parent: pd.DataFrame({pk: range(20), value: rng.normal(size=20), kind: rng.choice(["u", "v"], 20)}),
              child: pd.DataFrame({ck: range(60), fk: rng.integers(0, 20, 60), amount: rng.gamma(2, size=60)})}
    metadata = RelationalMetadata.load_from_dict({
        "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
        "tables": {parent: {"primary_key": pk, "columns": {pk: {"sdtype": "id"}, value: {"sdtype": "numerical"},
                                                           kind: {"sdtype": "categorical"}}},
                   child: {"primary_key": ck, "columns": {ck: {"sdtype": "id"}, fk: {"sdtype": "id"},
                                                          amount: {"sdtype": "numerical"}}}},
        "relationships": [{"parent_table_name": parent, "parent_primary_key": pk, "child_table_name": child,
                           "child_foreign_key": fk}]})
    return tables, metadata


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tables=st.lists(NAME, min_size=2, max_size=2, unique=True),
       columns=st.lists(NAME, min_size=6, max_size=6, unique=True))
def test_generated_names_fit_sample_and_come_back_unchanged(tables, columns, tmp_path_factory):
    parent, child = tables
    real, metadata = _database(parent, child, columns)
    model = RGCD(profile="smoke", config=TINY).fit(real, metadata, RunContext(progress=False))
    sample = model.sample(seed=1)
    folder = tmp_path_factory.mktemp("sample")
    write_tables(sample, folder, metadata)
    back = read_tables(folder, metadata, "names")
    for table, frame in real.items():
        assert list(back[table].columns) == list(frame.columns)
    assert len(back[parent]) == len(real[parent]), "one parent per sampled component"
    assert back[child][columns[4]].isin(back[parent][columns[0]]).all(), "foreign keys point at parents"
    assert set(back[parent][columns[2]].astype(str)) <= {"u", "v"}
