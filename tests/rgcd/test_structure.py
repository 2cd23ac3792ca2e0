"""Structure sampling: integrity, degree distributions, scale, network mode, state."""

import json
import logging

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp
from syntherela.metadata import Metadata

from syntherela_rgcd.errors import DataError
from syntherela_rgcd.rgcd.structure import StructureSampler

from rgcd_helpers import load_shared, make_metadata




def bank(n_customers: int = 400, seed: int = 0) -> tuple[dict, Metadata]:
    """A forest: customer -> account -> transfer (two FKs into account, one nullable, no pk);
    customer + agent -> referral (multi-parent, agents unique per customer, some unreferenced);
    an isolated ``log`` table. String keys on purpose: output keys must be fresh integers."""
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({"cid": [f"c{i}" for i in range(n_customers)], "age": rng.integers(18, 90, n_customers)})
    n_acc = rng.poisson(2, n_customers) + 1
    acc_owner = np.repeat(np.arange(n_customers), n_acc)
    accounts = pd.DataFrame({"balance": rng.normal(size=len(acc_owner)), "aid": np.arange(len(acc_owner)) + 1000})
    accounts["owner"] = customers["cid"].to_numpy()[acc_owner]
    n_tr = rng.poisson(3, len(accounts))
    src = np.repeat(np.arange(len(accounts)), n_tr)
    # the counterparty is another account of the same customer, or missing
    first = np.concatenate([[0], np.cumsum(n_acc)])[acc_owner[src]]
    dst = first + rng.integers(0, n_acc[acc_owner[src]])
    dst_ids = pd.array(accounts["aid"].to_numpy()[dst], dtype="Int64")
    dst_ids[rng.random(len(src)) < 0.3] = pd.NA
    transfers = pd.DataFrame(
        {"amount": rng.exponential(size=len(src)), "from_acc": accounts["aid"].to_numpy()[src], "to_acc": dst_ids}
    )
    agents = pd.DataFrame({"agent": np.arange(n_customers // 2) * 7})
    referred = rng.choice(n_customers, size=n_customers // 4, replace=False)
    referrals = pd.DataFrame(
        {"customer": customers["cid"].to_numpy()[referred], "agent": agents["agent"].to_numpy()[: len(referred)]}
    )
    log = pd.DataFrame({"lid": np.arange(50), "event": ["x"] * 50})
    tables = {
        "customer": customers,
        "account": accounts,
        "transfer": transfers,
        "agent": agents,
        "referral": referrals,
        "log": log,
    }
    metadata = make_metadata(
        {
            "customer": ("cid", {"cid": "id", "age": "numerical"}),
            "account": ("aid", {"aid": "id", "owner": "id", "balance": "numerical"}),
            "transfer": (None, {"from_acc": "id", "to_acc": "id", "amount": "numerical"}),
            "agent": ("agent", {"agent": "id"}),
            "referral": (None, {"customer": "id", "agent": "id"}),
            "log": ("lid", {"lid": "id", "event": "categorical"}),
        },
        [
            ("customer", "account", "owner"),
            ("account", "transfer", "from_acc"),
            ("account", "transfer", "to_acc"),
            ("customer", "referral", "customer"),
            ("agent", "referral", "agent"),
        ],
    )
    return tables, metadata


RELATIONS = [("customer", "account", "owner"), ("account", "transfer", "from_acc"), ("account", "transfer", "to_acc"),
             ("customer", "referral", "customer"), ("agent", "referral", "agent")]  # fmt: skip


def degrees(keys: dict, parent: str, child: str, fk: str) -> np.ndarray:
    """Children per parent row (parents are rows 0..n-1 by construction of the keys)."""
    values = keys[child][fk].dropna().to_numpy(dtype=np.int64)
    return np.bincount(values, minlength=len(keys[parent]))


def assert_integrity(keys: dict, metadata: Metadata) -> None:
    for table, frame in keys.items():
        pk = metadata.get_primary_key(table)
        if pk:
            assert frame[pk].tolist() == list(range(len(frame)))
    for rel in metadata.relationships:
        values = keys[rel["child_table_name"]][rel["child_foreign_key"]].dropna()
        assert values.isin(keys[rel["parent_table_name"]][rel["parent_primary_key"]]).all()


def test_forest_components_and_fresh_integer_keys():
    tables, metadata = bank()
    sampler = StructureSampler().fit(tables, metadata)
    # every customer is one component, plus unreferenced agents and log rows as singletons
    assert sampler.n_components == 400 + (200 - 100) + 50
    assert not sampler.is_network
    out = sampler.sample(1.0, seed=0)
    assert_integrity(out.keys, metadata)
    assert list(out.keys["account"].columns) == ["aid", "owner"]  # the real table's order
    assert list(out.keys["transfer"].columns) == ["from_acc", "to_acc"]
    assert out.keys["transfer"]["to_acc"].dtype == "Int64" and out.keys["transfer"]["to_acc"].isna().any()
    assert out.keys["transfer"]["from_acc"].dtype == "int64"
    assert out.keys["customer"]["cid"].dtype == "int64"


def test_components_are_copied_whole_so_degrees_match_their_source():
    tables, metadata = bank()
    sampler = StructureSampler().fit(tables, metadata)
    real_keys = {t: tables[t] for t in tables}
    out = sampler.sample(1.0, seed=3)
    for parent, child, fk in RELATIONS:
        pk = metadata.get_primary_key(parent)
        real_deg = tables[child][fk].dropna().value_counts().reindex(real_keys[parent][pk], fill_value=0).to_numpy()
        new_deg = degrees(out.keys, parent, child, fk)
        np.testing.assert_array_equal(new_deg, real_deg[out.source_rows[parent]])
        assert ks_2samp(real_deg, new_deg).pvalue > 0.01


def test_copied_rows_keep_their_parent_relation():
    tables, metadata = bank()
    out = StructureSampler().fit(tables, metadata).sample(1.0, seed=1)
    # the account a sampled account copies belongs to the customer its sampled owner copies
    owner_row = out.source_rows["customer"][out.keys["account"]["owner"].to_numpy()]
    real_owner = tables["account"]["owner"].to_numpy()[out.source_rows["account"]]
    assert (tables["customer"]["cid"].to_numpy()[owner_row] == real_owner).all()


@pytest.mark.parametrize("scale", [0.5, 2.0])
def test_scale_sets_the_number_of_components(scale):
    tables, metadata = bank()
    sampler = StructureSampler().fit(tables, metadata)
    out = sampler.sample(scale, seed=0)
    assert_integrity(out.keys, metadata)
    refit = StructureSampler().fit(out.keys, metadata)
    assert refit.n_components == round(scale * sampler.n_components)
    n_rows = sum(len(f) for f in out.keys.values())
    assert n_rows == pytest.approx(scale * sum(len(f) for f in tables.values()), rel=0.2)


def test_sampling_is_deterministic_per_seed():
    tables, metadata = bank()
    sampler = StructureSampler().fit(tables, metadata)
    a, b, c = sampler.sample(1.0, seed=7), sampler.sample(1.0, seed=7), sampler.sample(1.0, seed=8)
    for table in tables:
        pd.testing.assert_frame_equal(a.keys[table], b.keys[table])
    assert not all(np.array_equal(a.source_rows[t], c.source_rows[t]) for t in tables)


def test_state_round_trip_without_the_data(tmp_path):
    tables, metadata = bank()
    sampler = StructureSampler().fit(tables, metadata)
    state = sampler.get_state()
    (tmp_path / "structure.json").write_text(json.dumps(state["meta"]))
    np.savez(tmp_path / "structure.npz", **state["arrays"])
    with np.load(tmp_path / "structure.npz") as arrays:
        meta = json.loads((tmp_path / "structure.json").read_text())
        restored = StructureSampler.from_state({"meta": meta, "arrays": arrays})
    assert all(a.dtype.kind == "i" for a in state["arrays"].values())
    a, b = sampler.sample(1.5, seed=2), restored.sample(1.5, seed=2)
    for table in tables:
        pd.testing.assert_frame_equal(a.keys[table], b.keys[table])


def citation_network(n_papers: int = 300, seed: int = 0) -> tuple[dict, Metadata]:
    """CORA-like: ``cites`` has no pk and two FKs into ``paper``; most papers form one component."""
    rng = np.random.default_rng(seed)
    papers = pd.DataFrame({"paper_id": np.arange(n_papers) * 3, "topic": rng.integers(0, 5, n_papers)})
    citing = np.arange(1, n_papers)
    cited = rng.integers(0, citing)  # each paper cites an earlier one: a connected tree
    cites = pd.DataFrame({"cited": cited * 3, "citing": citing * 3})
    cites = cites[citing < n_papers - 20]  # the last 20 papers stay isolated
    metadata = make_metadata(
        {
            "paper": ("paper_id", {"paper_id": "id", "topic": "categorical"}),
            "cites": (None, {"cited": "id", "citing": "id"}),
        },
        [("paper", "cites", "cited"), ("paper", "cites", "citing")],
    )
    return {"paper": papers, "cites": cites}, metadata


def test_network_keeps_the_original_structure(caplog):
    tables, metadata = citation_network()
    sampler = StructureSampler().fit(tables, metadata)
    assert sampler.is_network and sampler.n_components > 1
    with caplog.at_level(logging.INFO, logger="syntherela_rgcd.rgcd.structure"):
        out = sampler.sample(2.0, seed=0)
    assert "keeping the original structure" in caplog.text
    assert any(r.levelno == logging.WARNING and "scale" in r.message for r in caplog.records)
    assert len(out.keys["paper"]) == len(tables["paper"]) and len(out.keys["cites"]) == len(tables["cites"])
    np.testing.assert_array_equal(out.source_rows["paper"], np.arange(len(tables["paper"])))
    np.testing.assert_array_equal(out.keys["cites"]["cited"].to_numpy() * 3, tables["cites"]["cited"].to_numpy())
    assert_integrity(out.keys, metadata)


def test_dangling_foreign_key_is_a_data_error():
    tables, metadata = citation_network()
    tables["cites"].iloc[0, 0] = 10_000
    with pytest.raises(DataError, match="cites.cited"):
        StructureSampler().fit(tables, metadata)


def test_real_data_cora_is_a_network_and_biodegradability_a_forest():
    tables, metadata = load_shared("CORA_v1")
    sampler = StructureSampler().fit(tables, metadata)
    assert sampler.is_network  # one citation component holds ~93% of all rows
    out = sampler.sample(1.0, seed=0)
    assert {t: len(f) for t, f in out.keys.items()} == {t: len(f) for t, f in tables.items()}
    assert_integrity(out.keys, metadata)

    tables, metadata = load_shared("Biodegradability_v1")
    sampler = StructureSampler().fit(tables, metadata)
    assert not sampler.is_network
    assert sampler.n_components == len(tables["molecule"])  # one component per molecule
    out = sampler.sample(1.0, seed=0)
    assert_integrity(out.keys, metadata)
    for rel in metadata.relationships:
        parent, child, fk = rel["parent_table_name"], rel["child_table_name"], rel["child_foreign_key"]
        real = tables[child][fk].value_counts().reindex(tables[parent][rel["parent_primary_key"]], fill_value=0)
        np.testing.assert_array_equal(degrees(out.keys, parent, child, fk), real.to_numpy()[out.source_rows[parent]])
