"""Generated structure for networks: new edges with the real degrees, integrity, scale."""

import numpy as np
import pandas as pd
import pytest

from syntherela_rgcd.errors import DataError
from syntherela_rgcd.rgcd.structure import StructureSampler

from test_structure import assert_integrity, bank, citation_network, degrees


def _real_pairs(sampler: StructureSampler, table: str) -> set:
    rels = [j for j, r in enumerate(sampler.relationships) if r["child"] == table]
    return set(zip(*(sampler.parent_rows[j].tolist() for j in rels)))


def _generated_pairs(sampler: StructureSampler, out, table: str) -> list:
    """Each generated row's parents, named by the real rows they stand for."""
    cols = []
    for rel in [r for r in sampler.relationships if r["child"] == table]:
        new = out.keys[table][rel["fk"]].to_numpy(dtype=np.int64)
        cols.append(out.source_rows[rel["parent"]][new].tolist())
    return list(zip(*cols))


def test_generated_network_keeps_both_degree_sequences_but_not_the_edges():
    tables, metadata = citation_network(n_papers=300)
    sampler = StructureSampler().fit(tables, metadata)
    out = sampler.sample(1.0, seed=0, mode="auto")
    assert_integrity(out.keys, metadata)
    assert len(out.keys["cites"]) == len(tables["cites"])
    real = {"paper": pd.DataFrame({"paper_id": np.arange(300)}),
            "cites": pd.DataFrame({"cited": tables["cites"]["cited"] // 3, "citing": tables["cites"]["citing"] // 3})}
    for fk in ("cited", "citing"):
        np.testing.assert_array_equal(np.sort(degrees(out.keys, "paper", "cites", fk)),
                                      np.sort(degrees(real, "paper", "cites", fk)))
    pairs = _generated_pairs(sampler, out, "cites")
    shared = np.mean([p in _real_pairs(sampler, "cites") for p in pairs])
    assert shared < 0.05, f"{shared:.1%} of generated citations are real ones"
    assert len(set(pairs)) == len(pairs), "no repeated citation (the real table has none)"
    assert all(a != b for a, b in pairs), "no self-citation (the real table has none)"


def test_generated_network_scales_and_is_deterministic_per_seed():
    tables, metadata = citation_network(n_papers=300)
    sampler = StructureSampler().fit(tables, metadata)
    twice = sampler.sample(2.0, seed=1, mode="auto")
    assert len(twice.keys["paper"]) == 600 and len(twice.keys["cites"]) == 2 * len(tables["cites"])
    assert_integrity(twice.keys, metadata)
    half = sampler.sample(0.5, seed=1, mode="auto")
    assert len(half.keys["paper"]) == 150
    assert_integrity(half.keys, metadata)
    again = sampler.sample(2.0, seed=1, mode="auto")
    for table in twice.keys:
        pd.testing.assert_frame_equal(twice.keys[table], again.keys[table])
    other = sampler.sample(2.0, seed=2, mode="auto")
    assert not twice.keys["cites"].equals(other.keys["cites"])


def test_auto_keeps_copying_forests_and_generate_also_works_on_them():
    tables, metadata = bank()
    sampler = StructureSampler().fit(tables, metadata)
    assert not sampler.is_network
    for table, frame in sampler.sample(1.0, seed=0, mode="copy").keys.items():
        pd.testing.assert_frame_equal(frame, sampler.sample(1.0, seed=0, mode="auto").keys[table])
    generated = sampler.sample(1.0, seed=0, mode="generate")
    assert_integrity(generated.keys, metadata)
    for table in tables:
        assert len(generated.keys[table]) > 0


def test_unknown_structure_mode_is_named():
    tables, metadata = citation_network(n_papers=50)
    with pytest.raises(DataError, match="structure must be one of copy, auto, generate"):
        StructureSampler().fit(tables, metadata).sample(mode="rewire")
