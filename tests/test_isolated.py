"""Methods in their own environment (``environments.py``, ``isolated.py``): a tiny peer,
installed as a plugin, runs in a real second virtual environment made by ``syntherela env
create``, exchanging tables through files."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from conftest import _install_fake_distribution

WORKER = Path(__file__).parent / "peers" / "echo_worker.py"
ECHO_MODULE = f'''
"""A third-party plugin whose method runs in its own environment."""

from syntherela_rgcd.isolated import IsolatedMethod, PeerSpec
from syntherela_rgcd.contract import EnvironmentSpec, MethodSpec, hookimpl

PEER = PeerSpec("echo", "echo-env", {str(WORKER)!r})


@hookimpl
def syntherela_environments():
    return [EnvironmentSpec("echo-env", python={sys.executable!r}, summary="standard library only")]


@hookimpl
def syntherela_methods():
    return [MethodSpec(name="echo", factory=lambda config: IsolatedMethod(PEER, config),
                       summary="keeps every k-th root row (test peer)")]
'''


@pytest.fixture
def echo_plugin(tmp_path_factory, monkeypatch):
    site = tmp_path_factory.mktemp("echo-site")
    _install_fake_distribution(site, "echo_peer_plugin", "echo-peer-plugin", "[syntherela]\necho = echo_peer_plugin\n",
                               ECHO_MODULE)
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("SYNTHERELA_ENV_DIR", str(tmp_path_factory.mktemp("envs")))
    yield
    sys.modules.pop("echo_peer_plugin", None)


def test_a_missing_environment_is_one_line_with_the_command_that_makes_it(echo_plugin, run_main):
    result = run_main("run", "--method", "echo", "--dataset", "demo", "--metrics", "none")
    assert result.code == 2 and "Traceback" not in result.err
    [line] = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert "environment 'echo-env' does not exist" in line and line.endswith("'syntherela env create echo-env'")


def test_env_create_then_run_in_it(echo_plugin, cli_invoke, tmp_path):
    listed = cli_invoke(["env", "list"])
    assert "echo-env       missing: syntherela env create echo-env" in listed.output
    created = cli_invoke(["env", "create", "echo-env", "--quiet"])
    assert created.exit_code == 0, created.output
    assert f"Python {sys.version.split()[0]}" in cli_invoke(["env", "list"]).output
    result = cli_invoke(["run", "--method", "echo", "--dataset", "demo", "--metrics", "cardinality",
                         "--output-dir", tmp_path / "out", "--quiet"])
    assert result.exit_code == 0, result.output
    sample = tmp_path / "out" / "synthetic" / "demo" / "echo" / "default-seed0" / "sample1"
    assert sorted(p.stem for p in sample.glob("*.csv")) == ["customers", "purchases", "stores"]
    assert (tmp_path / "out" / "models" / "demo" / "echo" / "default-seed0" / "peer.json").is_file()


def test_progress_and_failure_come_back_and_a_saved_peer_samples_again(echo_plugin, cli_invoke, tmp_path, caplog):
    assert cli_invoke(["env", "create", "echo-env", "--quiet"]).exit_code == 0
    from syntherela_rgcd.datasets import prepare_dataset
    from syntherela_rgcd.errors import SyntheRelaError
    from syntherela_rgcd.isolated import IsolatedMethod
    from syntherela_rgcd.plugins import build_registry

    registry = build_registry()
    data = prepare_dataset("demo", tmp_path / "data", registry)
    factory = registry.method("echo").factory
    with caplog.at_level(logging.INFO, logger="syntherela_rgcd.isolated"):
        method = factory({}).fit(data.tables, data.metadata)
    assert "echo: echo: fitting on 3 tables" in caplog.text, "the worker's stderr is our log"
    first, second = method.sample(seed=0), method.sample(seed=1)
    assert len(first["stores"]) == len(data.tables["stores"]) and len(second["stores"]) < len(first["stores"])
    assert first["purchases"]["customer_id"].isin(first["customers"]["customer_id"]).all()
    method.save(tmp_path / "model")
    again = IsolatedMethod.load(tmp_path / "model").sample(seed=0)
    assert again["stores"].equals(first["stores"])
    with pytest.raises(SyntheRelaError, match=r"^method 'echo' failed in environment 'echo-env' \(fit\): "
                                              r"out of memory$"):
        factory({"options": {"fail": "out of memory"}}).fit(data.tables, data.metadata)
    with pytest.raises(SyntheRelaError, match=r"\(fit\): the worker was killed by SIGKILL \(the system's "
                                              r"out-of-memory killer is the usual sender; see dmesg\)$"):
        factory({"options": {"kill": True}}).fit(data.tables, data.metadata)


def test_tabularargn_is_registered_with_its_environment(run_main, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHERELA_ENV_DIR", str(tmp_path / "no-envs"))
    listed = run_main("env", "list")
    assert "tabularargn    missing: syntherela env create tabularargn" in listed.out
    assert "mostlyai[local]==6.2.0" in listed.out
    assert "rctgan         missing: syntherela env create rctgan  [python3.9; rctgan==1.1, torch==1.12.1" in listed.out
    result = run_main("run", "--method", "tabularargn", "--dataset", "demo", "--metrics", "none")
    assert result.code == 2 and "create it with 'syntherela env create tabularargn'" in result.err


@pytest.mark.slow
def test_tabularargn_runs_in_its_environment(cli_invoke, tmp_path):
    """The real peer (MOSTLY AI SDK, local mode) on the demo, one minute per table; skipped
    where ``syntherela env create tabularargn`` has not been run (``$SYNTHERELA_ENV_DIR``)."""
    import os

    from syntherela_rgcd.environments import describe

    if describe("tabularargn", os.environ.get("SYNTHERELA_ENV_DIR")) is None:
        pytest.skip("no tabularargn environment: syntherela env create tabularargn")
    result = cli_invoke(["run", "--method", "tabularargn", "--dataset", "demo", "--options",
                         '{"max_training_time": 1}', "--metrics", "cardinality", "--output-dir", tmp_path / "out",
                         "--quiet"])
    assert result.exit_code == 0, result.output
    assert "customers_purchases" in result.output


@pytest.mark.slow
def test_rctgan_runs_in_its_python39_environment(cli_invoke, tmp_path):
    """The real RCTGAN 1.1 on the demo, 2 epochs per table; skipped without its environment."""
    import os

    from syntherela_rgcd.environments import describe

    if describe("rctgan", os.environ.get("SYNTHERELA_ENV_DIR")) is None:
        pytest.skip("no rctgan environment: syntherela env create rctgan (needs python3.9)")
    result = cli_invoke(["run", "--method", "rctgan", "--dataset", "demo", "--options", '{"epochs": 2}',
                         "--metrics", "cardinality", "--output-dir", tmp_path / "out", "--quiet"])
    assert result.exit_code == 0, result.output


def test_a_peer_row_in_the_leaderboard_says_its_budget():
    from syntherela_rgcd.leaderboard import build_leaderboard

    run = {"dataset": "demo", "method": "rctgan", "run_id": "default-seed0", "profile": None, "seed": 0,
           "created": "2026-12-04T03:00:00+00:00", "config": {"options": {"epochs": 60, "seed": 0}},
           "scores": {"sample1": {"dda": {"stores": {"accuracy": 0.9, "se": 0.02}}}}}
    [row] = [r for r in build_leaderboard([run], "dda", "demo") if r.source == "here"]
    assert row.profile == "epochs 60"


def _customers_and_purchases(tables: dict) -> None:
    """The demo's first 60 customers and their purchases: a root and one child."""
    tables.pop("stores")
    tables["customers"] = tables["customers"].head(60)
    purchases = tables["purchases"]
    tables["purchases"] = purchases[purchases["customer_id"].isin(tables["customers"]["customer_id"])].drop(
        columns="store_id")


def _linear_metadata(metadata: dict) -> None:
    metadata["tables"].pop("stores")
    metadata["tables"]["purchases"]["columns"].pop("store_id")
    metadata["relationships"] = [r for r in metadata["relationships"] if r["parent_table_name"] == "customers"]


@pytest.mark.parametrize("dataset, problem", [
    ("demo", "2 root tables (stores, customers)"),
    ("org_chart", "table 'employees' references itself (manager_id)"),
])
def test_realtabformer_refuses_other_structures_before_it_needs_its_environment(run_main, tmp_path, monkeypatch,
                                                                                 dataset, problem):
    monkeypatch.setenv("SYNTHERELA_ENV_DIR", str(tmp_path / "no-envs"))
    result = run_main("run", "--method", "realtabformer", "--dataset", dataset, "--metrics", "none",
                      "--output-dir", str(tmp_path / "out"))
    assert result.code == 2
    [line] = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert line == (f"error: method 'realtabformer' cannot model this database: {problem}; it models one root "
                    "table with a primary key and its direct children, one foreign key each; choose another "
                    "method (rgcd models any structure)")


def test_realtabformer_structure_rules():
    from syntherela_rgcd.metadata import RelationalMetadata
    from syntherela_rgcd.peers import realtabformer_refuses

    def schema(relationships, primary_key="id"):
        tables = {t: {"columns": {"id": {"sdtype": "id"}, "ref": {"sdtype": "id"}, "x": {"sdtype": "numerical"}},
                      **({"primary_key": "id"} if primary_key or t != "a" else {})} for t in "abcd"}
        tables["a"]["columns"].pop("ref")
        if not primary_key:
            tables["a"]["columns"].pop("id")
        for child in ("b", "c", "d"):
            tables[child]["columns"]["ref2"] = {"sdtype": "id"}
        return RelationalMetadata.load_from_dict({
            "METADATA_SPEC_VERSION": "MULTI_TABLE_V1", "tables": tables,
            "relationships": [{"parent_table_name": p, "child_table_name": c, "parent_primary_key": "id",
                               "child_foreign_key": fk} for p, c, fk in relationships]})

    star = [("a", "b", "ref"), ("a", "c", "ref"), ("a", "d", "ref")]
    assert realtabformer_refuses(schema(star)) is None
    assert realtabformer_refuses(schema([("a", "b", "ref"), ("a", "c", "ref"), ("c", "d", "ref")])).startswith(
        "table 'd' is a child of 'c', not of the root 'a'")
    assert realtabformer_refuses(schema(star + [("a", "d", "ref2")])).startswith(
        "table 'd' has 2 foreign keys (ref -> a, ref2 -> a)")


@pytest.mark.slow
def test_realtabformer_runs_in_its_environment(cli_invoke, demo_copy, tmp_path):
    """The real REaLTabFormer 0.2.4 on 60 of the demo's customers and their purchases (a root
    and one child), a few epochs; skipped without its environment."""
    import os

    from syntherela_rgcd.environments import describe

    if describe("realtabformer", os.environ.get("SYNTHERELA_ENV_DIR")) is None:
        pytest.skip("no realtabformer environment: syntherela env create realtabformer")
    demo_copy(tmp_path / "data", "linear", _customers_and_purchases, _linear_metadata)
    result = cli_invoke(["run", "--method", "realtabformer", "--dataset", "linear", "--data-dir", tmp_path / "data",
                         "--options", '{"epochs": 3, "n_critic": 0, "max_training_time": 0.5}',
                         "--metrics", "cardinality", "--output-dir", tmp_path / "out", "--quiet"])
    assert result.exit_code == 0, result.output


@pytest.mark.slow
def test_rctgan_samples_a_key_only_child_table(cli_invoke, tmp_path):
    """A citation table with nothing but two keys into its parent (CORA's ``cites``): RCTGAN
    1.1 alone fails in sampling ("'PC_CTGAN' object has no attribute '_model'"); with the
    worker's constant column it is fitted and sampled, and the column is not written."""
    import os

    import numpy as np
    import pandas as pd

    from syntherela_rgcd.datasets import write_dataset
    from syntherela_rgcd.environments import describe

    if describe("rctgan", os.environ.get("SYNTHERELA_ENV_DIR")) is None:
        pytest.skip("no rctgan environment: syntherela env create rctgan (needs python3.9)")
    rng = np.random.default_rng(0)
    papers = pd.DataFrame({"paper_id": np.arange(80), "label": rng.choice(["a", "b", "c"], 80)})
    cites = pd.DataFrame({"cited": rng.integers(0, 80, 200), "citing": rng.integers(0, 80, 200)})
    metadata = {"METADATA_SPEC_VERSION": "MULTI_TABLE_V1", "tables": {
        "paper": {"primary_key": "paper_id", "columns": {"paper_id": {"sdtype": "id"},
                                                         "label": {"sdtype": "categorical"}}},
        "cites": {"columns": {"cited": {"sdtype": "id"}, "citing": {"sdtype": "id"}}}},
        "relationships": [{"parent_table_name": "paper", "child_table_name": "cites", "parent_primary_key": "paper_id",
                           "child_foreign_key": key} for key in ("cited", "citing")]}
    write_dataset(tmp_path / "data" / "original" / "citations", {"paper": papers, "cites": cites}, metadata)
    result = cli_invoke(["run", "--method", "rctgan", "--dataset", "citations", "--data-dir", tmp_path / "data",
                         "--options", '{"epochs": 2}', "--metrics", "cardinality", "--output-dir", tmp_path / "out",
                         "--quiet"])
    assert result.exit_code == 0, result.output
    [folder] = (tmp_path / "out" / "synthetic" / "citations" / "rctgan").iterdir()
    written = pd.read_csv(next(folder.rglob("cites.csv")))
    assert list(written.columns) == ["cited", "citing"] and len(written) > 0


def test_clavaddpm_structure_rules():
    from syntherela_rgcd.metadata import RelationalMetadata
    from syntherela_rgcd.peers import clavaddpm_refuses, gcfm_refuses

    def schema(relationships):
        tables = {t: {"primary_key": "id", "columns": {"id": {"sdtype": "id"}, "ref": {"sdtype": "id"},
                                                       "ref2": {"sdtype": "id"}, "x": {"sdtype": "numerical"}}}
                  for t in "abc"}
        return RelationalMetadata.load_from_dict({
            "METADATA_SPEC_VERSION": "MULTI_TABLE_V1", "tables": tables,
            "relationships": [{"parent_table_name": p, "child_table_name": c, "parent_primary_key": "id",
                               "child_foreign_key": fk} for p, c, fk in relationships]})

    multi_parent = [("a", "c", "ref"), ("b", "c", "ref2"), ("a", "b", "ref")]
    assert clavaddpm_refuses(schema(multi_parent)) is None
    assert gcfm_refuses(schema(multi_parent)) is None
    assert clavaddpm_refuses(schema([("a", "b", "ref"), ("a", "b", "ref2")])) == (
        "table 'b' has two foreign keys into 'a' (ref, ref2); ClavaDDPM models one foreign key per parent-child pair")
    assert gcfm_refuses(schema([("a", "b", "ref"), ("a", "b", "ref2")])) is None  # an edge type per key
    assert clavaddpm_refuses(schema([("a", "a", "ref")])).startswith("table 'a' references itself (ref)")
    assert gcfm_refuses(schema([("a", "a", "ref")])).startswith("table 'a' references itself (ref)")


@pytest.mark.parametrize("method, dataset, problem", [
    ("clavaddpm", "org_chart", "table 'employees' references itself (manager_id)"),
    ("gcfm", "org_chart", "table 'employees' references itself (manager_id)"),
])
def test_clavaddpm_and_gcfm_refuse_before_they_need_a_checkout_or_environment(run_main, tmp_path, monkeypatch,
                                                                               method, dataset, problem):
    monkeypatch.setenv("SYNTHERELA_ENV_DIR", str(tmp_path / "no-envs"))
    monkeypatch.delenv("CLAVADDPM_SOURCE", raising=False)
    monkeypatch.delenv("GCFM_SOURCE", raising=False)
    result = run_main("run", "--method", method, "--dataset", dataset, "--metrics", "none",
                      "--output-dir", str(tmp_path / "out"))
    assert result.code == 2 and "Traceback" not in result.err
    [line] = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert line.startswith(f"error: method '{method}' cannot model this database: {problem}")
    assert not (tmp_path / "out" / "synthetic").exists()


@pytest.mark.parametrize("method, variable", [("clavaddpm", "CLAVADDPM_SOURCE"), ("gcfm", "GCFM_SOURCE")])
def test_a_peer_without_its_checkout_says_how_to_give_it(run_main, tmp_path, monkeypatch, method, variable):
    monkeypatch.setenv("SYNTHERELA_ENV_DIR", str(tmp_path / "no-envs"))
    monkeypatch.delenv(variable, raising=False)
    result = run_main("run", "--method", method, "--dataset", "demo", "--metrics", "none",
                      "--output-dir", str(tmp_path / "out"))
    assert result.code != 0 and "Traceback" not in result.err
    [line] = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert f"runs from a checkout of" in line and f"set {variable}=PATH" in line
    monkeypatch.setenv(variable, str(tmp_path / "nowhere"))
    result = run_main("run", "--method", method, "--dataset", "demo", "--metrics", "none",
                      "--output-dir", str(tmp_path / "out"))
    [line] = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert f"the checkout {tmp_path / 'nowhere'} (from {variable}) is not a folder" in line
    monkeypatch.setenv(variable, str(tmp_path))
    result = run_main("run", "--method", method, "--dataset", "demo", "--metrics", "none",
                      "--output-dir", str(tmp_path / "out"))
    [line] = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert f"create it with 'syntherela env create {method}'" in line


def test_a_budget_label_leaves_the_checkout_out():
    from syntherela_rgcd.isolated import budget_label

    assert budget_label({"epochs": 2, "source": "/x/y", "dataset": "d", "d_layers": [64, 64]}) == "d_layers64-64_epochs2"


def _peer_ready(method: str, variable: str) -> None:
    import os

    from syntherela_rgcd.environments import describe

    if describe(method, os.environ.get("SYNTHERELA_ENV_DIR")) is None:
        pytest.skip(f"no {method} environment: syntherela env create {method}")
    if not os.environ.get(variable):
        pytest.skip(f"no {method} checkout: set {variable}")


@pytest.mark.slow
def test_clavaddpm_runs_from_its_checkout(cli_invoke, tmp_path):
    """The real ClavaDDPM on the demo (two parents of one child), a toy budget; skipped without
    its environment or CLAVADDPM_SOURCE."""
    _peer_ready("clavaddpm", "CLAVADDPM_SOURCE")
    result = cli_invoke(["run", "--method", "clavaddpm", "--dataset", "demo", "--options",
                         '{"iterations": 100, "d_layers": [64, 64], "num_timesteps": 50, "classifier_iterations": 20, '
                         '"num_clusters": 5}', "--metrics", "cardinality", "--output-dir", tmp_path / "out", "--quiet",
                         "--no-report"])
    assert result.exit_code == 0, result.output
    assert "customers_purchases" in result.output


@pytest.mark.slow
def test_gcfm_runs_from_its_checkout(cli_invoke, tmp_path):
    """The real GCFM on the demo, a toy budget; skipped without its environment or GCFM_SOURCE."""
    _peer_ready("gcfm", "GCFM_SOURCE")
    result = cli_invoke(["run", "--method", "gcfm", "--dataset", "demo", "--options",
                         '{"epochs": 1, "losses_per_epoch": 5, "generation_steps": 5}', "--metrics", "cardinality",
                         "--output-dir", tmp_path / "out", "--quiet", "--no-report"])
    assert result.exit_code == 0, result.output
    assert "customers_purchases" in result.output


def test_a_peer_refuses_an_option_it_does_not_read(run_main, tmp_path):
    result = run_main("run", "--method", "clavaddpm", "--dataset", "demo", "--options", '{"epochs": 10}',
                      "--metrics", "none", "--output-dir", str(tmp_path / "out"))
    assert result.code != 0 and "Traceback" not in result.err
    [line] = [line for line in result.err.splitlines() if line.startswith("error:")]
    assert line.startswith("error: method 'clavaddpm' has no option 'epochs'; its options: batch_size, ")
