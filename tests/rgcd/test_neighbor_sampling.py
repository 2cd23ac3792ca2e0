"""Sampled neighbourhoods and sparse aggregation: exact where nothing is dropped, unbiased
where something is, deterministic per seed, and a GNN trained on them fits and embeds."""

import numpy as np
import pandas as pd
import pytest
import torch

from syntherela_rgcd.errors import SyntheRelaError
from syntherela_rgcd.rgcd.gnn import GNNConditioner, GNNConfig, train_gnn
from syntherela_rgcd.rgcd.graph import build_graph
from syntherela_rgcd.rgcd.neighbor_sampling import HeteroNeighborSampler
from syntherela_rgcd.rgcd.training import make_generator, seed_everything

from rgcd_helpers import make_metadata, single_torch_thread  # noqa: F401 (autouse fixture)

SHOP = make_metadata(
    {
        "customer": ("id", {"id": "id", "age": "numerical"}),
        "order": ("oid", {"oid": "id", "customer_id": "id", "amount": "numerical"}),
    },
    [("customer", "order", "customer_id")],
)


def shop_graph(n_customers: int = 30, seed: int = 0):
    rng = np.random.default_rng(seed)
    children = rng.integers(0, 12, size=n_customers)  # 0 to 11 orders each
    owner = np.repeat(np.arange(n_customers), children)
    keys = {"customer": pd.DataFrame({"id": np.arange(n_customers)}),
            "order": pd.DataFrame({"oid": np.arange(len(owner)), "customer_id": owner})}
    features = {"customer": rng.normal(size=(n_customers, 3)), "order": rng.normal(size=(len(owner), 2))}
    return build_graph(keys, SHOP, features), children


def test_subgraph_embeds_seeds_exactly_when_no_neighbour_is_dropped():
    graph, _ = shop_graph()
    seed_everything(0)
    gnn = GNNConditioner.for_graph(graph, {"customer": 4, "order": 4}, GNNConfig(hidden=16, out_dim=8, num_layers=2))
    full = gnn.eval().embed(graph)
    seeds = torch.tensor([5, 0, 17])
    sub = HeteroNeighborSampler(graph, [100, 100]).sample({"customer": seeds}, make_generator(0))
    assert sub["customer"].global_id[:3].tolist() == [5, 0, 17]  # seeds first, in order
    local = gnn.embed(sub)
    torch.testing.assert_close(local["customer"][:3], full["customer"][seeds], atol=1e-5, rtol=1e-5)


def test_sparse_embedding_equals_message_passing():
    graph, _ = shop_graph()
    seed_everything(1)
    gnn = GNNConditioner.for_graph(graph, {"order": 4}, GNNConfig(hidden=16, out_dim=8, num_layers=2)).eval()
    dense, sparse = gnn.embed(graph), gnn.embed(graph, sparse=True)
    for table in dense:
        torch.testing.assert_close(dense[table], sparse[table], atol=1e-5, rtol=1e-5)


def test_capped_neighbourhoods_keep_the_sum_unbiased():
    graph, children = shop_graph(n_customers=40, seed=3)
    sampler = HeteroNeighborSampler(graph, [3])
    generator = make_generator(0)
    seeds = torch.arange(40)
    totals = np.zeros(40)
    draws = 400
    for _ in range(draws):
        adjacency = sampler.sample({"customer": seeds}, generator)["order", "rev_customer_id", "customer"].edge_index
        totals += adjacency.to_dense().sum(dim=1).numpy()[:40]  # weight mass per customer
    np.testing.assert_allclose(totals / draws, children, rtol=0.1, atol=0.05)
    small = children <= 3
    np.testing.assert_array_equal(totals[small] / draws, children[small])  # kept whole: exact


def test_the_same_generator_seed_gives_the_same_subgraph():
    graph, _ = shop_graph()
    sampler = HeteroNeighborSampler(graph, [2, 2])
    a = sampler.sample({"order": torch.tensor([1, 2, 3])}, make_generator(7))
    b = sampler.sample({"order": torch.tensor([1, 2, 3])}, make_generator(7))
    for t in graph.node_types:
        assert torch.equal(a[t].global_id, b[t].global_id)
    for et in graph.edge_types:
        assert torch.equal(a[et].edge_index.to_dense(), b[et].edge_index.to_dense())


def test_minibatch_training_learns_and_is_deterministic():
    graph, children = shop_graph(n_customers=200, seed=1)
    targets = {"customer": torch.as_tensor(children, dtype=torch.float32)[:, None].repeat(1, 2) / 10,
               "order": torch.as_tensor(graph["order"].x[:, :2])}
    config = GNNConfig(hidden=16, out_dim=8, minibatch=True, fanouts=[4, 4], batch_size=64, steps=120,
                       eval_every=20, lr=0.01)
    runs = []
    for _ in range(2):
        seed_everything(0)
        gnn = GNNConditioner.for_graph(graph, {t: 2 for t in targets}, config)
        history = train_gnn(gnn, graph, targets, "customer", config, config.steps, "cpu", seed=0, progress=False)
        runs.append((history, gnn.embed(graph, sparse=True)["customer"]))
    assert gnn.num_layers == 2  # one per fanout
    assert runs[0][0]["minibatch"] and runs[0][0]["steps"] == 120
    assert runs[0][0]["val_loss"][-1] < runs[0][0]["val_loss"][0]
    assert runs[0][0]["val_loss"] == runs[1][0]["val_loss"]
    assert torch.equal(runs[0][1], runs[1][1])


def test_minibatch_switch_follows_graph_size_and_config():
    graph, _ = shop_graph()
    assert not GNNConfig().uses_minibatch(graph)  # auto: small graph, full batch
    assert GNNConfig(minibatch=True).uses_minibatch(graph)
    assert GNNConfig(minibatch=True).layers_for(graph) == 2 and GNNConfig().layers_for(graph) == 2
    assert GNNConfig(minibatch=True, fanouts=[5, 5, 5]).layers_for(graph) == 3
    with pytest.raises(SyntheRelaError, match="gnn.minibatch"):
        GNNConfig(minibatch="sometimes")
    with pytest.raises(SyntheRelaError, match="gnn.fanouts"):
        GNNConfig(fanouts=[10, 0])
