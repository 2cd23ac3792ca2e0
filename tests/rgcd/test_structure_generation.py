"""Generated structure for networks: new edges with the real degrees, integrity, scale."""

import numpy as np
import pandas as pd
import pytest
from scipy.stats import spearmanr

from syntherela_rgcd.errors import DataError
from syntherela_rgcd.rgcd.structure import StructureSampler

from rgcd_helpers import make_metadata
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


def test_twin_correlation_keeps_degree_distributions_but_not_the_twins_degree_tuples():
    tables, metadata = citation_network(n_papers=400)
    sampler = StructureSampler().fit(tables, metadata)
    real = {"paper": pd.DataFrame({"paper_id": np.arange(400)}),
            "cites": pd.DataFrame({"cited": tables["cites"]["cited"] // 3, "citing": tables["cites"]["citing"] // 3})}
    twins_kept = {}
    for correlation in (1.0, 0.5):
        out = sampler.sample(1.0, seed=0, mode="auto", twin_correlation=correlation)
        assert_integrity(out.keys, metadata)
        tuples_new, tuples_real = [], []
        for fk in ("cited", "citing"):
            new = degrees(out.keys, "paper", "cites", fk)
            np.testing.assert_array_equal(np.sort(new), np.sort(degrees(real, "paper", "cites", fk)))
            tuples_new.append(new)
            tuples_real.append(degrees(real, "paper", "cites", fk)[out.source_rows["paper"]])
        twins_kept[correlation] = np.mean((tuples_new[0] == tuples_real[0]) & (tuples_new[1] == tuples_real[1]))
    assert twins_kept[1.0] == 1.0, "correlation 1: every new paper has its source paper's degrees"
    assert twins_kept[0.5] < 0.8, f"{twins_kept[0.5]:.0%} of new papers still carry their twin's degrees"
    with pytest.raises(DataError, match="degree_twin_correlation must lie in"):
        sampler.sample(1.0, seed=0, mode="auto", twin_correlation=1.5)


def _papers_with_words_and_notes(n: int = 600) -> tuple[dict, object]:
    """A parent with two child tables whose counts go together (a paper's words and notes)."""
    rng = np.random.default_rng(0)
    activity = rng.lognormal(1.5, 0.8, n)
    words, notes = rng.poisson(activity), rng.poisson(activity)
    papers = pd.DataFrame({"pid": np.arange(n), "topic": rng.integers(0, 3, n)})
    tables = {"paper": papers,
              "word": pd.DataFrame({"wid": np.arange(words.sum()), "pid": np.repeat(np.arange(n), words)}),
              "note": pd.DataFrame({"nid": np.arange(notes.sum()), "pid": np.repeat(np.arange(n), notes)})}
    metadata = make_metadata({"paper": ("pid", {"pid": "id", "topic": "categorical"}),
                              "word": ("wid", {"wid": "id", "pid": "id"}),
                              "note": ("nid", {"nid": "id", "pid": "id"})},
                             [("paper", "word", "pid"), ("paper", "note", "pid")])
    return tables, metadata


def test_donors_keep_the_joint_shape_of_a_parents_degrees_without_its_twins():
    """Words and notes per paper correlate (Spearman about 0.7); with a lower twin correlation a
    new paper no longer has its source paper's pair of counts, yet the pairs correlate as much."""
    tables, metadata = _papers_with_words_and_notes()
    sampler = StructureSampler().fit(tables, metadata)
    real_words, real_notes = (np.bincount(tables[t]["pid"], minlength=600) for t in ("word", "note"))
    real_rho = spearmanr(real_words, real_notes).statistic
    assert real_rho > 0.5
    for correlation in (0.8, 0.0):
        out = sampler.sample(1.0, seed=0, mode="generate", twin_correlation=correlation)
        assert_integrity(out.keys, metadata)
        words, notes = (degrees(out.keys, "paper", t, "pid") for t in ("word", "note"))
        np.testing.assert_array_equal(np.sort(words), np.sort(real_words))
        np.testing.assert_array_equal(np.sort(notes), np.sort(real_notes))
        assert abs(spearmanr(words, notes).statistic - real_rho) < 0.1, correlation
        source = out.source_rows["paper"]
        twins = np.mean((words == real_words[source]) & (notes == real_notes[source]))
        assert twins < 0.5, f"twin correlation {correlation}: {twins:.0%} of papers keep their source's counts"


def org_chart():
    from syntherela_rgcd.metadata import RelationalMetadata
    from syntherela_rgcd.org_chart import METADATA, build_org_chart_tables

    tables = build_org_chart_tables()
    tables["employees"]["manager_id"] = tables["employees"]["manager_id"].astype(float)  # as the loader reads it
    return tables, RelationalMetadata.load_from_dict(METADATA)


def _tree(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Depth and direct reports of every employee."""
    from syntherela_rgcd.metadata import self_parent_positions, tree_depths

    parents = self_parent_positions(frame["employee_id"], frame["manager_id"])
    return tree_depths(parents), np.bincount(parents[parents >= 0], minlength=len(frame))


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_generated_self_reference_is_a_new_tree_with_the_real_levels_and_reports(scale):
    tables, metadata = org_chart()
    sampler = StructureSampler().fit(tables, metadata)
    out = sampler.sample(scale=scale, seed=3, mode="generate", twin_correlation=0.8)
    assert_integrity(out.keys, metadata)
    real_depth, real_reports = _tree(tables["employees"])
    depth, reports = _tree(out.keys["employees"])
    assert (depth >= 0).all(), "every employee reaches the CEO: no cycle"
    if scale == 1.0:
        assert np.bincount(depth).tolist() == np.bincount(real_depth).tolist()
        assert sorted(reports) == sorted(real_reports)
    else:
        assert depth.max() == real_depth.max() and (depth == 0).sum() == 1
    # who manages whom is new, but managers stay in their report's department
    new = out.keys["employees"]
    has_boss = new["manager_id"].notna().to_numpy()
    boss = new["manager_id"].to_numpy()[has_boss].astype(int)
    same_department = (new["department_id"].to_numpy()[boss] == new["department_id"].to_numpy()[has_boss]).mean()
    assert same_department > 0.95
    source = out.source_rows["employees"]
    real_boss = tables["employees"]["manager_id"].to_numpy()[source][has_boss]
    assert (source[boss] == real_boss).mean() < 0.4, "most reporting lines are new"


def test_copied_self_reference_is_the_real_tree_with_fresh_keys():
    tables, metadata = org_chart()
    out = StructureSampler().fit(tables, metadata).sample(seed=0, mode="copy")
    assert_integrity(out.keys, metadata)
    assert np.array_equal(_tree(out.keys["employees"])[1], _tree(tables["employees"])[1])


def test_rows_on_a_real_cycle_link_only_among_themselves():
    """A tree of 0..5 and a cycle 6 -> 7 -> 8 -> 6 with 9 under it: generated, the tree stays a
    tree and the cycle's rows point only at one another."""
    nodes = pd.DataFrame({"nid": np.arange(10), "up": [np.nan, 0, 0, 1, 1, 2, 8, 6, 7, 8]})
    metadata = make_metadata({"nodes": ("nid", {"nid": "id", "up": "id"})}, [("nodes", "nodes", "up")])
    out = StructureSampler().fit({"nodes": nodes}, metadata).sample(seed=1, mode="generate")
    assert_integrity(out.keys, metadata)
    from syntherela_rgcd.metadata import tree_depths

    up = out.keys["nodes"]["up"].fillna(-1).to_numpy(dtype=np.int64)
    depth = tree_depths(up)
    source = out.source_rows["nodes"]
    assert ((depth >= 0) == (source < 6)).all(), "tree rows stay in a tree; the cycle's rows stay on or below one"
    assert (source[up[source >= 6]] >= 6).all()
