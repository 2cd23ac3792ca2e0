"""Graph construction and the GNN conditioner: edge types, fitting, determinism."""

import numpy as np
import pandas as pd
import pytest
import torch

from syntherela_rgcd.errors import SyntheRelaError
from syntherela_rgcd.rgcd.gnn import GNNConditioner, GNNConfig, HeteroGIN, SinusoidalPositionEncoding, train_gnn
from syntherela_rgcd.rgcd.graph import build_graph, day_offsets
from syntherela_rgcd.rgcd.training import seed_everything

from rgcd_helpers import make_metadata, single_torch_thread  # noqa: F401 (autouse fixture)






CORA_LIKE = make_metadata(
    {
        "paper": ("paper_id", {"paper_id": "id", "label": "categorical"}),
        "cites": (None, {"cited": "id", "citing": "id"}),
        "content": (None, {"paper_id": "id", "word": "categorical"}),
        "log": ("id", {"id": "id", "when": "datetime"}),
    },
    [("paper", "cites", "cited"), ("paper", "cites", "citing"), ("paper", "content", "paper_id")],
)


def cora_keys() -> dict:
    return {
        "paper": pd.DataFrame({"paper_id": [10, 20, 30, 40]}),
        "cites": pd.DataFrame({"cited": [10, 10, 30], "citing": [20, 30, 40]}),
        "content": pd.DataFrame({"paper_id": pd.array([10, None, 40, 40, 40], dtype="Int64")}),
        "log": pd.DataFrame({"id": [0, 1]}),
    }


def test_build_graph_edge_types_and_counts():
    features = {"paper": np.eye(4)[:, :3], "cites": None, "content": None, "log": None}
    data = build_graph(cora_keys(), CORA_LIKE, features, positions={"log": np.array([0.0, 3.5])})
    assert set(data.edge_types) == {
        ("paper", "cited", "cites"),
        ("cites", "rev_cited", "paper"),
        ("paper", "citing", "cites"),
        ("cites", "rev_citing", "paper"),
        ("paper", "paper_id", "content"),
        ("content", "rev_paper_id", "paper"),
    }
    assert data["paper", "cited", "cites"].edge_index.tolist() == [[0, 0, 2], [0, 1, 2]]
    assert data["cites", "rev_citing", "paper"].edge_index.tolist() == [[0, 1, 2], [1, 2, 3]]
    assert data["paper", "paper_id", "content"].edge_index.shape[1] == 4  # the null FK has no edge
    assert data["paper"].x.shape == (4, 3)
    assert data["cites"].x.tolist() == [[1.0]] * 3  # structure only
    assert data["log"].num_nodes == 2 and data["log"].pos_days.tolist() == [0.0, 3.5]


def test_day_offsets_counts_days_from_the_minimum():
    dates = pd.Series([pd.Timestamp("2020-01-03"), pd.NaT, pd.Timestamp("2020-01-01 12:00")])
    np.testing.assert_allclose(day_offsets(dates), [1.5, 0.0, 0.0])


def test_hetero_gin_keeps_node_types_without_incoming_edges():
    model = HeteroGIN({"a": 2, "b": 3}, [("a", "to", "b")], hidden=8, out_dim=5, num_layers=3)
    x = {"a": torch.randn(4, 2), "b": torch.randn(2, 3)}
    out = model(x, {("a", "to", "b"): torch.tensor([[0, 1, 2, 3], [0, 0, 1, 1]])})
    assert out["a"].shape == (4, 5) and out["b"].shape == (2, 5)


def test_position_encoding_changes_the_embedding():
    enc = SinusoidalPositionEncoding(7)
    assert enc(torch.tensor([0.0, 100.0])).shape == (2, 7)
    model = HeteroGIN({"a": 1}, [], hidden=8, out_dim=4, num_layers=1, position_tables=["a"])
    x = {"a": torch.ones(2, 1)}
    same = model(x, {}, None)["a"]
    assert torch.allclose(same[0], same[1])
    moved = model(x, {}, {"a": torch.tensor([0.0, 365.0])})["a"]
    assert not torch.allclose(moved[0], moved[1])

    keys = cora_keys()
    data = build_graph(keys, CORA_LIKE, {t: None for t in keys}, positions={"log": np.array([0.0, 365.0])})
    conditioner = GNNConditioner.for_graph(data, {"paper": 2}, GNNConfig(hidden=8, out_dim=4), position_tables=["log"])
    h = conditioner.embed(data)["log"]
    assert not torch.allclose(h[0], h[1])


def parents_and_children(n: int = 300, seed: int = 0):
    """Targets that need message passing: a parent's latent is its child count and the sum
    of its children's feature; a child's is its parent's (so it must look two hops away)."""
    rng = np.random.default_rng(seed)
    degree = rng.integers(0, 6, n)
    owner = np.repeat(np.arange(n), degree)
    g = rng.normal(size=len(owner))
    metadata = make_metadata(
        {"p": ("id", {"id": "id", "f": "numerical"}), "c": ("id", {"id": "id", "pid": "id", "g": "numerical"})},
        [("p", "c", "pid")],
    )
    keys = {"p": pd.DataFrame({"id": np.arange(n)}), "c": pd.DataFrame({"id": np.arange(len(owner)), "pid": owner})}
    data = build_graph(keys, metadata, {"p": None, "c": g[:, None]})
    child_sum = np.bincount(owner, weights=g, minlength=n) / 2
    parent_latent = np.stack([(degree - 2.5) / 1.7, child_sum], axis=1)
    targets = {
        "p": torch.tensor(parent_latent, dtype=torch.float32),
        "c": torch.tensor(parent_latent[owner], dtype=torch.float32),
    }
    return data, targets


def fit(data, targets, config, seed=0):
    seed_everything(seed)
    model = GNNConditioner.for_graph(data, {t: y.shape[1] for t, y in targets.items()}, config)
    return model, train_gnn(model, data, targets, "p", config, config.steps, "cpu", seed, progress=False)


def test_gnn_fits_targets_that_depend_on_the_neighbourhood():
    data, targets = parents_and_children()
    model, result = fit(data, targets, GNNConfig(hidden=32, out_dim=16, steps=150))
    assert result["epochs"] == 150
    assert result["best_loss"] < 0.02 * result["val_loss"][0]
    with torch.no_grad():
        h = model.embed(data)
        assert h["p"].shape == (300, 16)
        restored_loss = torch.nn.functional.mse_loss(model(data)["p"], targets["p"])
    assert restored_loss < 0.05 * result["train_loss"][0]


def test_training_is_deterministic_per_seed():
    data, targets = parents_and_children(100)
    config = GNNConfig(hidden=16, out_dim=8, steps=15)
    (m1, r1), (m2, r2), (_, r3) = (fit(data, targets, config, seed) for seed in (0, 0, 1))
    assert r1["train_loss"] == r2["train_loss"]
    assert all(torch.equal(a, b) for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    assert r1["train_loss"] != r3["train_loss"]


def test_early_stopping_and_time_budget_end_training():
    data, targets = parents_and_children(50)
    _, result = fit(data, targets, GNNConfig(hidden=8, out_dim=4, steps=50, time_budget=0.0))
    assert result["epochs"] == 1 and result["stopped"] == "time budget spent"
    _, result = fit(data, targets, GNNConfig(hidden=8, out_dim=4, steps=50, lr=1e-9, early_stop_patience=2))
    assert result["stopped"] == "early stopping" and result["epochs"] < 50


def test_config_from_dict_and_default_layers():
    assert GNNConfig.from_dict({"steps": 5}).steps == 5
    with pytest.raises(SyntheRelaError, match="epoch"):
        GNNConfig.from_dict({"epoch": 5})
    with pytest.raises(SyntheRelaError, match="gnn.steps"):
        GNNConfig.from_dict({"epochs": 5})
    data = build_graph(cora_keys(), CORA_LIKE, {t: None for t in cora_keys()})
    model = GNNConditioner.for_graph(data, {"paper": 3}, GNNConfig(hidden=8, out_dim=4))
    assert len(model.gnn.convs) == 4  # one layer per table
    capped = GNNConditioner.for_graph(data, {"paper": 3}, GNNConfig(hidden=8, out_dim=4, max_layers=2))
    assert len(capped.gnn.convs) == 2, "however many tables, the layers (and so the work) are bounded"


def test_the_tables_share_the_gnn_steps():
    """The GNNs' work is the fit's budget, not a number per table times the tables."""
    config = GNNConfig(steps=300, max_steps_per_table=100)
    assert [config.steps_per_table(n) for n in (1, 2, 3, 6, 10)] == [100, 100, 100, 50, 30]
    assert GNNConfig(steps=300).steps_per_table(2) == 150
