"""Sibling order: ranks among siblings, their encoding, and that they let the GNN tell
siblings apart (which a constant node feature cannot)."""

import numpy as np
import pandas as pd
import torch

from syntherela_rgcd.rgcd.config import resolve_config
from syntherela_rgcd.rgcd.gnn import GNNConditioner, GNNConfig, train_gnn
from syntherela_rgcd.rgcd.graph import build_graph
from syntherela_rgcd.rgcd.row_order import group_ranks
from syntherela_rgcd.rgcd.schema import foreign_keys
from syntherela_rgcd.rgcd.siblings.order import FEATURES_PER_KEY, rank_encoding, sibling_order_features
from syntherela_rgcd.rgcd.training import seed_everything

from rgcd_helpers import make_metadata, single_torch_thread  # noqa: F401


def table_order(keys):
    return {t: np.arange(len(frame)) for t, frame in keys.items()}


def features_of(keys, metadata):
    return sibling_order_features(keys, {t: foreign_keys(metadata, t) for t in keys}, table_order(keys))


def test_rank_encoding_is_zero_without_a_parent_and_distinct_otherwise():
    encoded = rank_encoding(np.array([0.0, 0.1, 0.2, 0.9]))
    assert encoded.shape == (4, FEATURES_PER_KEY)
    assert not encoded[0].any()
    assert len({tuple(np.round(row, 6)) for row in encoded[1:]}) == 3


def test_one_block_per_foreign_key_and_none_for_root_tables():
    metadata = make_metadata(
        {"paper": ("id", {"id": "id"}), "cites": (None, {"src": "id", "dst": "id"})},
        [("paper", "cites", "src"), ("paper", "cites", "dst")],
    )
    tables = {"paper": pd.DataFrame({"id": [1, 2, 3]}), "cites": pd.DataFrame({"src": [1, 1, 2], "dst": [2, 3, 3]})}
    features = features_of(tables, metadata)
    assert set(features) == {"cites"}
    assert features["cites"].shape == (3, 2 * FEATURES_PER_KEY)
    np.testing.assert_allclose(features["cites"][:, 0], [0.25, 0.75, 0.5])  # ranks under src
    np.testing.assert_allclose(features["cites"][:, FEATURES_PER_KEY], [0.5, 0.25, 0.75])  # under dst


def test_build_graph_appends_structural_features():
    metadata = make_metadata({"p": ("id", {"id": "id"}), "c": ("id", {"id": "id", "pid": "id"})}, [("p", "c", "pid")])
    keys = {"p": pd.DataFrame({"id": [0, 1]}), "c": pd.DataFrame({"id": [0, 1, 2], "pid": [0, 0, 1]})}
    structural = features_of(keys, metadata)
    data = build_graph(keys, metadata, {"p": None, "c": None}, structural=structural)
    assert data["c"].x.shape == (3, 1 + FEATURES_PER_KEY)
    assert data["p"].x.shape == (2, 1)


def fit_sibling_targets(with_order: bool) -> float:
    """Every parent has 6 children whose targets are 0..5 in table order (like a store's
    departments); returns the GNN's final training loss on the children."""
    n, k = 60, 6
    metadata = make_metadata({"p": ("id", {"id": "id"}), "c": ("id", {"id": "id", "pid": "id"})}, [("p", "c", "pid")])
    keys = {"p": pd.DataFrame({"id": np.arange(n)}), "c": pd.DataFrame({"id": np.arange(n * k), "pid": np.repeat(np.arange(n), k)})}
    structural = features_of(keys, metadata) if with_order else None
    data = build_graph(keys, metadata, {"p": None, "c": None}, structural=structural)
    target = torch.tensor(np.tile(np.arange(k), n) - 2.5, dtype=torch.float32)[:, None] / 1.7
    config = GNNConfig(hidden=32, out_dim=16, steps=120, val_fraction=0.0)
    seed_everything(0)
    model = GNNConditioner.for_graph(data, {"c": 1}, config)
    result = train_gnn(model, data, {"c": target}, "c", config, config.steps, "cpu", 0, progress=False)
    return result["train_loss"][-1]


def test_sibling_order_lets_the_gnn_tell_siblings_apart():
    # Without it the children of a parent are indistinguishable: the best constant predicts
    # the mean and leaves the whole variance (1.0 after scaling) as loss.
    assert fit_sibling_targets(with_order=False) > 0.8
    assert fit_sibling_targets(with_order=True) < 0.1


def test_paper_profile_keeps_the_papers_constant_node_features():
    assert resolve_config("paper")["siblings"]["order"] is False
    assert resolve_config("cpu")["siblings"]["order"] is True
