"""The ablation grid's bookkeeping: what ``--collect`` keeps when run folders are gone."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def ablation():
    spec = importlib.util.spec_from_file_location("ablation", REPO / "benchmarks" / "ablation.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STUDY = {"datasets": ["d"], "seeds": [0, 1], "reference": "final", "variants": {"final": {}, "other": {"x": 1}}}


def _summary(path: Path, accuracy: float) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"scores": {"sample1": {"dda": {"t": {"accuracy": accuracy}}, "dcr": {"t": {"score": 0.5}}}},
                                "fit_seconds": 10.0, "sample_seconds": [1.0]}))


def test_collect_prefers_disk_and_carries_records_whose_folder_is_gone(ablation, tmp_path):
    args = argparse.Namespace(output_dir=str(tmp_path), study_name="s", profile="cpu")
    _summary(ablation.summary_file(args, "final", "d", 0), 0.6)
    earlier = [
        {"variant": "final", "dataset": "d", "seed": 0, "dda": {"t": 0.9}, "worst": 0.9, "dcr": {}, "utility": None,
         "fit_seconds": 1.0, "sample_seconds": 1.0},
        {"variant": "final", "dataset": "d", "seed": 1, "dda": {"t": 0.7}, "worst": 0.7, "dcr": {}, "utility": None,
         "fit_seconds": 1.0, "sample_seconds": 1.0},
    ]
    records = ablation.collect(args, STUDY, earlier)
    by_seed = {r["seed"]: r for r in records}
    assert by_seed[0]["worst"] == 0.6 and not by_seed[0].get("carried")  # the run on disk wins
    assert by_seed[1]["worst"] == 0.7 and by_seed[1]["carried"]
    cells = ablation.aggregate(records)
    assert cells[("final", "d")]["worst"][0] == pytest.approx(0.65)
    assert ("other", "d") not in cells


@pytest.fixture(scope="module")
def scaling():
    spec = importlib.util.spec_from_file_location("scaling", REPO / "benchmarks" / "scaling.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_replicated_database_has_k_copies_with_fresh_keys_and_intact_references(scaling):
    from syntherela.metadata import Metadata

    from syntherela_rgcd.datasets import referential_problems
    from syntherela_rgcd.demo import METADATA, build_demo_tables

    tables, metadata = build_demo_tables(), Metadata.load_from_dict(METADATA)
    tripled = scaling.replicate(tables, metadata, 3)
    assert referential_problems(tripled, metadata) == []
    for name, table in tables.items():
        assert len(tripled[name]) == 3 * len(table)
        pk = metadata.get_primary_key(name)
        if pk:
            assert tripled[name][pk].is_unique, name
    # each copy keeps the real structure: the children per parent repeat three times
    real = tables["purchases"].groupby("customer_id").size().sort_values().to_numpy()
    copied = tripled["purchases"].groupby("customer_id").size().sort_values().to_numpy()
    assert list(copied) == sorted(list(real) * 3)


def test_scaling_overrides_nest(scaling):
    assert scaling.parse_set(["fit_steps=4000", "gnn.minibatch=true", "gnn.fanouts=[5, 5]"]) == {
        "fit_steps": 4000, "gnn": {"minibatch": True, "fanouts": [5, 5]}}


def test_thread_settings_parse_threads_and_openmp_variables():
    spec = importlib.util.spec_from_file_location("threads_under_load", REPO / "benchmarks" / "threads_under_load.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.parse_setting("2") == (2, {})
    assert module.parse_setting("2:OMP_WAIT_POLICY=PASSIVE,GOMP_SPINCOUNT=1000") == (
        2, {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": "1000"})
