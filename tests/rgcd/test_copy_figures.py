"""Copy figures: a kept network is a copy by every measure; a generated one is not."""

import numpy as np
import pandas as pd

from syntherela_rgcd.evaluation.copying import copy_figures, headline, row_copy_share
from syntherela_rgcd.rgcd.structure import StructureSampler

from test_structure import bank, citation_network


def _synthetic(tables: dict, out) -> dict:
    """The sampled keys with each row's attributes taken from the real row it stands for."""
    frames = {}
    for table, keys in out.keys.items():
        attributes = tables[table].drop(columns=[c for c in keys.columns if c in tables[table]])
        frames[table] = pd.concat([keys, attributes.iloc[out.source_rows[table]].reset_index(drop=True)], axis=1)
    return frames


def test_kept_network_is_a_copy_and_generated_one_is_not():
    tables, metadata = citation_network(n_papers=300)
    sampler = StructureSampler().fit(tables, metadata)
    kept_sample = sampler.sample(1.0, seed=0, mode="copy")
    kept = copy_figures(tables, _synthetic(tables, kept_sample), metadata, kept_sample.source_rows)
    assert kept["links"]["cites"]["real_edges_share"] == 1.0 and kept["links"]["cites"]["wl_hash_equal"]
    assert kept["links"]["cites"]["triangles_synthetic"] == kept["links"]["cites"]["triangles_real"]
    assert kept["twins"]["paper"]["equal"] == 1.0 > kept["twins"]["paper"]["chance"]
    generated_sample = sampler.sample(1.0, seed=0, mode="auto")
    figures = copy_figures(tables, _synthetic(tables, generated_sample), metadata, generated_sample.source_rows)
    assert figures["links"]["cites"]["real_edges_share"] < 0.05 and not figures["links"]["cites"]["wl_hash_equal"]
    assert max(e["degree_ks"] for e in figures["relationships"].values()) == 0.0, "degrees are exact at scale 1"
    assert headline(figures)["real_edges"] == {"cites": figures["links"]["cites"]["real_edges_share"]}
    without = copy_figures(tables, _synthetic(tables, generated_sample), metadata)
    assert "real_edges_share" not in without["links"]["cites"] and "twins" not in without, \
        "no correspondence, no figure that needs one"


def test_structure_statistics_see_a_wrong_degree_shape_and_two_hops():
    tables, metadata = bank()
    sampler = StructureSampler().fit(tables, metadata)
    sample = sampler.sample(1.0, seed=0, mode="copy")
    same = copy_figures(tables, _synthetic(tables, sample), metadata)
    assert all(e["degree_ks"] < 0.1 for e in same["relationships"].values()), "components drawn with replacement"
    assert any("grandchildren_ks" in e for e in same["relationships"].values()), "bank has a three-level chain"
    flattened = _synthetic(tables, sample)
    for rel in metadata.relationships:  # every child under the first parent: a different shape
        child, fk = rel["child_table_name"], rel["child_foreign_key"]
        first = flattened[rel["parent_table_name"]][rel["parent_primary_key"]].iloc[0]
        flattened[child][fk] = first
    moved = copy_figures(tables, flattened, metadata)
    assert all(e["degree_ks"] > 0.2 for e in moved["relationships"].values())


def test_row_copy_share_against_the_real_halves_baseline():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"a": rng.integers(0, 1000, 400), "b": rng.normal(size=400)})
    copy = row_copy_share(real, real.sample(100, random_state=0), ["a", "b"])
    assert copy == {"synthetic": 1.0, "real_halves": 0.0}
    fresh = row_copy_share(real, pd.DataFrame({"a": rng.integers(0, 1000, 100), "b": rng.normal(size=100)}), ["a", "b"])
    assert fresh["synthetic"] == 0.0
    coarse = row_copy_share(real, real.head(10), ["a"])
    assert coarse["real_halves"] > 0.0, "one column of 1,000 values repeats between halves"


def test_the_real_halves_baseline_is_a_mean_over_many_splits():
    # two pairs of equal rows: a row of the second half finds its twin in the first half
    # with probability 2/3; one split says 0, 0.5 or 1.
    real = pd.DataFrame({"a": [1, 1, 2, 2]})
    assert abs(row_copy_share(real, real, ["a"])["real_halves"] - 2 / 3) < 0.07
    assert row_copy_share(real, real, ["a"], splits=1)["real_halves"] in (0.0, 0.5, 1.0)
