"""End-to-end behaviour of the RGCD generator on small databases (tiny epochs: plumbing, not quality)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
import torch
from syntherela.metadata import Metadata

from syntherela_rgcd.datasets import referential_problems
from syntherela_rgcd.demo import METADATA, build_demo_tables
from syntherela_rgcd.errors import DataError, UnknownNameError
from syntherela_rgcd.contract import RunContext
from syntherela_rgcd.rgcd.model import RGCD
from syntherela_rgcd.rgcd.schema import group_ids
from syntherela_rgcd.rgcd.siblings import Siblings, SiblingSettings
from syntherela_rgcd.rgcd.siblings.noise import CALIBRATION_STRENGTHS, intra_group_correlation

from rgcd_helpers import single_torch_thread  # noqa: F401 (autouse fixture)

QUIET = RunContext(progress=False)
TINY = {"vae": {"epochs": 3}, "gnn": {"steps": 3}, "diffusion": {"epochs": 3, "num_steps": 4}}


@pytest.fixture(scope="module")
def demo():
    metadata = Metadata.load_from_dict(METADATA)
    return build_demo_tables(), metadata


@pytest.fixture(scope="module")
def fitted(demo):
    tables, metadata = demo
    return RGCD(profile="smoke", dataset="demo", config=TINY).fit(tables, metadata, QUIET)


def _assert_valid(sample: dict, real: dict, metadata: Metadata) -> None:
    assert set(sample) == set(real)
    for name, table in real.items():
        assert list(sample[name].columns) == list(table.columns), name
    assert referential_problems(sample, metadata) == []
    metadata.validate_data(sample)


def test_output_has_real_schema_dtypes_and_integrity(fitted, demo):
    tables, metadata = demo
    sample = fitted.sample(seed=1)
    _assert_valid(sample, tables, metadata)
    purchases = sample["purchases"]
    assert purchases["items"].dtype == np.int64
    assert purchases["returned"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(purchases["timestamp"])
    assert set(sample["customers"]["segment"].dropna()) <= set(tables["customers"]["segment"])
    for name, table in sample.items():
        pk = metadata.get_primary_key(name)
        assert table[pk].tolist() == list(range(len(table))), "fresh integer keys 0..n-1"


def test_same_seed_same_data_other_seed_other_data(fitted):
    a, b, c = fitted.sample(seed=5), fitted.sample(seed=5), fitted.sample(seed=6)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])
    assert not a["purchases"].equals(c["purchases"])


def test_scale_changes_the_number_of_sampled_components(fitted, demo):
    tables, _ = demo
    half, double = fitted.sample(seed=0, scale=0.5), fitted.sample(seed=0, scale=2.0)
    assert len(half["stores"]) < len(tables["stores"]) < len(double["stores"])


def test_saved_model_samples_identically_in_a_new_process(fitted, tmp_path):
    fitted.save(tmp_path / "model")
    assert not list((tmp_path / "model").glob("*.pkl")), "no pickle files"
    expected = fitted.sample(seed=11)
    script = textwrap.dedent(
        f"""
        from syntherela_rgcd import RGCD
        sample = RGCD.load({str(tmp_path / 'model')!r}).sample(seed=11)
        for name, table in sample.items():
            table.to_csv({str(tmp_path)!r} + f"/{{name}}.csv", index=False)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True)
    for name, table in expected.items():
        assert (tmp_path / f"{name}.csv").read_text() == table.to_csv(index=False), name


def test_load_of_a_folder_without_model_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="rgcd.json"):
        RGCD.load(tmp_path)


def test_unknown_profile_and_bad_config_keys_are_named():
    with pytest.raises(UnknownNameError, match="turbo"):
        RGCD(profile="turbo")
    with pytest.raises(DataError, match="epoch"):
        RGCD(profile="smoke", config={"vae": {"epoch": 3}})


def _awkward_database() -> tuple[dict, Metadata]:
    """Key-only table with two FKs to one parent, constant and all-missing columns, a
    single-row parent, a nullable FK; the single parent makes the FK graph a network."""
    rng = np.random.default_rng(0)
    n_parent, n_child = 40, 120
    parent = pd.DataFrame(
        {
            "pid": np.arange(n_parent),
            "const": pd.Series(["same"] * n_parent, dtype="category"),
            "empty": np.full(n_parent, np.nan),
            "value": rng.normal(size=n_parent),
        }
    )
    solo = pd.DataFrame({"sid": [0], "label": pd.Series(["only"], dtype="category")})
    fk = rng.integers(0, n_parent, n_child).astype(float)
    fk[:10] = np.nan
    child = pd.DataFrame(
        {"cid": np.arange(n_child), "pid": fk, "sid": np.zeros(n_child, dtype=int), "amount": rng.gamma(2, size=n_child)}
    )
    link = pd.DataFrame({"a": rng.integers(0, n_parent, 60), "b": rng.integers(0, n_parent, 60)})
    metadata = Metadata.load_from_dict(
        {
            "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
            "tables": {
                "parent": {"primary_key": "pid", "columns": {
                    "pid": {"sdtype": "id"}, "const": {"sdtype": "categorical"},
                    "empty": {"sdtype": "numerical"}, "value": {"sdtype": "numerical"}}},
                "solo": {"primary_key": "sid", "columns": {"sid": {"sdtype": "id"}, "label": {"sdtype": "categorical"}}},
                "child": {"primary_key": "cid", "columns": {
                    "cid": {"sdtype": "id"}, "pid": {"sdtype": "id"}, "sid": {"sdtype": "id"},
                    "amount": {"sdtype": "numerical"}}},
                "link": {"columns": {"a": {"sdtype": "id"}, "b": {"sdtype": "id"}}},
            },
            "relationships": [
                {"parent_table_name": "parent", "parent_primary_key": "pid", "child_table_name": "child", "child_foreign_key": "pid"},
                {"parent_table_name": "solo", "parent_primary_key": "sid", "child_table_name": "child", "child_foreign_key": "sid"},
                {"parent_table_name": "parent", "parent_primary_key": "pid", "child_table_name": "link", "child_foreign_key": "a"},
                {"parent_table_name": "parent", "parent_primary_key": "pid", "child_table_name": "link", "child_foreign_key": "b"},
            ],
        }
    )
    return {"parent": parent, "solo": solo, "child": child, "link": link}, metadata


def test_awkward_schema_key_only_constant_all_missing_single_row_nullable_fk(caplog):
    tables, metadata = _awkward_database()
    model = RGCD(profile="smoke", config=TINY).fit(tables, metadata, QUIET)
    assert "link" not in model.modelled_, "key-only tables are given by the structure"
    with caplog.at_level("INFO"):
        sample = model.sample(seed=0, scale=2.0)
    assert any("keeping the original structure" in r.message for r in caplog.records), "network mode is logged"
    _assert_valid(sample, tables, metadata)
    assert len(sample["child"]) == len(tables["child"]), "network: original structure kept"
    assert sample["parent"]["const"].eq("same").all()
    assert sample["parent"]["empty"].isna().all()
    assert sample["child"]["pid"].isna().sum() == 10, "null foreign keys stay null"
    assert len(sample["solo"]) == 1
    assert sample["solo"]["label"].iloc[0] != "only", "a value seen once is never given back (encoding.RARE_BELOW)"


def test_step_budget_bounds_training_and_two_fits_with_one_seed_are_identical(demo):
    """``fit_steps`` (the cpu profile's budget) stops training at a step count, not a time,
    so two fits with the same seed give the same model and the same data."""
    tables, metadata = demo
    config = {**TINY, "vae": {"epochs": 50}, "diffusion": {"epochs": 50, "num_steps": 4}, "fit_steps": 60}
    fits = [RGCD(profile="smoke", dataset="demo", config=config).fit(tables, metadata, QUIET) for _ in range(2)]
    for table in fits[0].modelled_:
        history = fits[0].history_[table]
        assert history["vae"]["stopped"] == "step budget spent" or history["vae"]["epochs"] == 50
    total = sum(fits[0].history_[t][part]["steps"] for t in fits[0].modelled_ for part in ("vae", "diffusion"))
    assert total <= 60 + 3 * 2, "at most one epoch (one step here: 4096-row batches) over per component"
    a, b = (fit.sample(seed=3) for fit in fits)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def _papers_and_words(n_papers: int = 60, seed: int = 0) -> tuple[dict, Metadata]:
    """CORA in miniature: every paper lists 3-8 distinct words out of 12."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(3, 9, n_papers)
    words = np.concatenate([rng.choice(12, size, replace=False) for size in sizes])
    tables = {
        "paper": pd.DataFrame({"pid": np.arange(n_papers), "topic": rng.choice(["a", "b"], n_papers)}),
        "content": pd.DataFrame({"pid": np.repeat(np.arange(n_papers), sizes), "word": [f"w{w}" for w in words]}),
    }
    metadata = Metadata.load_from_dict({
        "METADATA_SPEC_VERSION": "MULTI_TABLE_V1",
        "tables": {
            "paper": {"primary_key": "pid", "columns": {"pid": {"sdtype": "id"}, "topic": {"sdtype": "categorical"}}},
            "content": {"columns": {"pid": {"sdtype": "id"}, "word": {"sdtype": "categorical"}}},
        },
        "relationships": [{"parent_table_name": "paper", "child_table_name": "content",
                           "parent_primary_key": "pid", "child_foreign_key": "pid"}],
    })
    return tables, metadata


def test_values_unique_among_real_siblings_stay_unique_after_save_and_load(tmp_path):
    tables, metadata = _papers_and_words()
    model = RGCD(profile="smoke", config=TINY).fit(tables, metadata, QUIET)
    (rule,) = model.siblings_.rules_["content"]
    assert rule.column == "word" and rule.sizes == rule.distinct  # never a repeat in the real data
    model.save(tmp_path / "m")
    for fitted_model in (model, RGCD.load(tmp_path / "m")):
        content = fitted_model.sample(seed=1)["content"]
        assert not content.duplicated(["pid", "word"]).any()
    off = RGCD(profile="smoke", config={**TINY, "siblings": {"values": False}}).fit(tables, metadata, QUIET)
    assert off.siblings_.rules_ == {}


def test_a_database_of_one_table_fits_and_samples():
    """No relationship at all: the GNN sees a graph without edges (PyG cannot collect edges
    from such a graph, so the conditioner must not ask it to)."""
    rng = np.random.default_rng(0)
    tables = {"u": pd.DataFrame({"id": range(60), "a": rng.normal(size=60), "c": rng.choice(["x", "y"], 60)})}
    metadata = Metadata.load_from_dict({
        "METADATA_SPEC_VERSION": "MULTI_TABLE_V1", "relationships": [],
        "tables": {"u": {"primary_key": "id", "columns": {"id": {"sdtype": "id"}, "a": {"sdtype": "numerical"},
                                                          "c": {"sdtype": "categorical"}}}},
    })
    sample = RGCD(profile="smoke", config=TINY).fit(tables, metadata, QUIET).sample(seed=0)["u"]
    assert len(sample) == 60 and set(sample["c"]) <= {"x", "y"} and sample["id"].is_unique


def test_sibling_noise_strength_scales_the_learnt_correlation(fitted):
    """``siblings.noise`` may be a strength: the sampler's noise gets that share of the
    correlation learnt at fit time (0 = independent noise, the sampler's own)."""
    table, spec = next(iter(fitted.siblings_.noise_.items()))
    keys = fitted.structure_.sample(seed=0).keys[table]
    groups = group_ids(keys[spec["foreign_key"]])

    def noise(strength: float):
        siblings = Siblings(SiblingSettings(noise=strength), fitted.siblings_.foreign_keys)
        siblings.noise_ = fitted.siblings_.noise_
        return siblings.starting_noise(table, keys, seed=1)

    assert noise(0.0) is None
    half, full = noise(0.5).numpy(), noise(1.0).numpy()
    strongest = int(np.argmax(spec["rho"]))
    assert intra_group_correlation(full, groups)[strongest] > intra_group_correlation(half, groups)[strongest]


@pytest.mark.parametrize("strength", [1.5, -0.1, "yes"])
def test_sibling_noise_strength_outside_zero_one_is_named(strength):
    with pytest.raises(DataError, match="siblings.noise"):
        RGCD(profile="smoke", config={"siblings": {"noise": strength}})


def test_sibling_noise_true_uses_the_strength_calibrated_at_fit_and_kept_on_save(fitted, tmp_path):
    assert fitted.siblings_.noise_, "the demo's orders correlate within customers"
    for spec in fitted.siblings_.noise_.values():
        assert spec["strength"] in CALIBRATION_STRENGTHS
    fitted.save(tmp_path / "m")
    loaded = RGCD.load(tmp_path / "m")
    assert {t: s["strength"] for t, s in loaded.siblings_.noise_.items()} == \
        {t: s["strength"] for t, s in fitted.siblings_.noise_.items()}


def test_sampled_neighbourhood_gnn_fits_saves_and_samples_identically(demo, tmp_path):
    """The big-graph path (forced here on the demo): mini-batch GNNs with two layers, sparse
    embedding; two fits with one seed agree, and a saved model samples the same data."""
    tables, metadata = demo
    config = {**TINY, "gnn": {"minibatch": True, "fanouts": [5, 5], "steps": 6, "eval_every": 3,
                              "batch_size": 64}}
    first = RGCD(profile="smoke", dataset="demo", config=config).fit(tables, metadata, QUIET)
    second = RGCD(profile="smoke", dataset="demo", config=config).fit(tables, metadata, QUIET)
    assert all(m.gnn.num_layers == 2 for m in first.models_.values())
    assert all(first.history_[t]["gnn"]["minibatch"] for t in first.models_)
    a = first.sample(seed=3)
    _assert_valid(a, tables, metadata)
    for name, table in second.sample(seed=3).items():
        pd.testing.assert_frame_equal(a[name], table)
    first.save(tmp_path / "model")
    for name, table in RGCD.load(tmp_path / "model").sample(seed=3).items():
        pd.testing.assert_frame_equal(a[name], table)


@pytest.mark.parametrize("executor", ["process", "ray"])
def test_same_seed_same_model_whichever_executor_trains_it(demo, executor):
    """Per-table tasks in worker processes (or Ray) give exactly the model of the in-process
    fit: same weights, same histories, same synthetic data. budget_flow false: the tables'
    tasks go out together."""
    if executor == "ray":
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'syntherela-rgcd[ray]')")
    tables, metadata = demo
    config = {**TINY, "vae": {"epochs": 40}, "diffusion": {"epochs": 40, "num_steps": 4}, "fit_steps": 60,
              "budget_flow": False}
    fits = [RGCD(profile="smoke", dataset="demo", config=config)
            .fit(tables, metadata, RunContext(progress=False, executor=name, workers=2)) for name in ("inprocess", executor)]
    local, remote = fits
    assert local.modelled_ == remote.modelled_ and local.siblings_.noise_ == remote.siblings_.noise_
    for table in local.modelled_:
        for part in ("vae", "gnn", "diffusion"):
            ours, theirs = getattr(local.models_[table], part), getattr(remote.models_[table], part)
            for (name, a), (_, b) in zip(ours.state_dict().items(), theirs.state_dict().items()):
                assert torch.equal(a, b), f"{table}.{part}.{name} differs on executor {executor}"
        assert local.history_[table]["vae"]["steps"] == remote.history_[table]["vae"]["steps"]
    a, b = (fit.sample(seed=5) for fit in fits)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_sample_with_the_structure_it_would_draw_is_the_same_sample(fitted):
    structure = fitted.sample_structure(seed=4)
    a, b = fitted.sample(seed=4), fitted.sample(seed=4, structure=structure)
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name])


def test_unique_random_tokens_never_reappear_in_a_sample(demo):
    """No real value passes into a synthetic row (issue 27): a column of unique random tokens,
    like an account number, must not come back in any table, whatever the structure copies."""
    import copy

    tables, _ = demo
    rng = np.random.default_rng(0)
    spec = copy.deepcopy(METADATA)
    tables = {t: frame.copy() for t, frame in tables.items()}
    for table in ("customers", "purchases"):
        tables[table]["secret"] = [f"tok{v:012d}" for v in rng.choice(10**12, len(tables[table]), replace=False)]
        spec["tables"][table]["columns"]["secret"] = {"sdtype": "categorical"}
    metadata = Metadata.load_from_dict(spec)
    sample = RGCD(profile="smoke", dataset="demo", config=TINY).fit(tables, metadata, QUIET).sample(seed=1)
    for table in ("customers", "purchases"):
        assert sample[table]["secret"].notna().all(), table
        assert not sample[table]["secret"].isin(set(tables[table]["secret"])).any(), table
