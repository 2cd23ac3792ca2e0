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
