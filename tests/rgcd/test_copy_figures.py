"""Copy figures: a kept network is a copy by every measure; a generated one is not."""

import numpy as np
import pandas as pd

from syntherela_rgcd.evaluation.copying import row_copy_share, structure_copy_figures
from syntherela_rgcd.rgcd.structure import StructureSampler

from test_structure import citation_network


def test_kept_network_is_a_copy_and_generated_one_is_not():
    tables, metadata = citation_network(n_papers=300)
    sampler = StructureSampler().fit(tables, metadata)
    kept = structure_copy_figures(sampler, sampler.sample(1.0, seed=0, mode="copy"))["links"]["cites"]
    assert kept["real_edges_share"] == 1.0 and kept["wl_hash_equal"]
    assert kept["triangles_synthetic"] == kept["triangles_real"]
    figures = structure_copy_figures(sampler, sampler.sample(1.0, seed=0, mode="auto"))
    assert figures["links"]["cites"]["real_edges_share"] < 0.05 and not figures["links"]["cites"]["wl_hash_equal"]
    assert max(figures["children_per_parent_ks"].values()) == 0.0, "degrees are kept exactly at scale 1"


def test_row_copy_share_against_the_real_halves_baseline():
    rng = np.random.default_rng(0)
    real = pd.DataFrame({"a": rng.integers(0, 1000, 400), "b": rng.normal(size=400)})
    copy = row_copy_share(real, real.sample(100, random_state=0), ["a", "b"])
    assert copy == {"synthetic": 1.0, "real_halves": 0.0}
    fresh = row_copy_share(real, pd.DataFrame({"a": rng.integers(0, 1000, 100), "b": rng.normal(size=100)}), ["a", "b"])
    assert fresh["synthetic"] == 0.0
    coarse = row_copy_share(real, real.head(10), ["a"])
    assert coarse["real_halves"] > 0.0, "one column of 1,000 values repeats between halves"
