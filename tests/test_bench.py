"""``syntherela bench``: a study file runs its grid, skips what is finished, reports what
failed and renders the leaderboard (``bench.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

QUICK = Path(__file__).resolve().parents[1] / "benchmark_configs" / "quick.yaml"


def test_quick_study_runs_then_skips_what_is_finished(cli_invoke, tmp_path):
    first = cli_invoke(["bench", str(QUICK), "--output-dir", tmp_path / "bench", "--data-dir", tmp_path / "data",
                        "--quiet"])
    assert first.exit_code == 0, first.output
    assert "ran 2, skipped 0 finished, failed 0" in first.output
    board = (tmp_path / "bench" / "LEADERBOARD.md").read_text()
    assert "| demo | " in board and "RGCD, here" in board and "SDV (HMA), here" in board
    again = cli_invoke(["bench", str(QUICK), "--output-dir", tmp_path / "bench", "--data-dir", tmp_path / "data",
                        "--quiet"])
    assert again.exit_code == 0 and "ran 0, skipped 2 finished, failed 0" in again.output


def test_a_failed_run_is_reported_and_the_rest_go_on(run_main, tmp_path):
    study = tmp_path / "study.yaml"
    study.write_text("name: mixed\ndatasets: [org_chart]\nmethods:\n  sdv: {}\n  rgcd: {profile: smoke}\n"
                     "metrics: [cardinality]\n")
    result = run_main("bench", study, "--output-dir", tmp_path / "bench", "--data-dir", tmp_path / "data", "--quiet")
    assert result.code == 1
    assert "ran 2, skipped 0 finished, failed 1" in result.out
    assert ("failed: org_chart / sdv / seed 0: error: method 'sdv' cannot model the self-referencing foreign key "
            "employees.manager_id; use --method rgcd") in result.err
    assert (tmp_path / "bench" / "results" / "org_chart" / "rgcd" / "smoke-seed0" / "summary.json").is_file()


@pytest.mark.parametrize("text, message", [
    ("datasets: [demo]\nmethods: [rgcd]\nseed: [0]\n", "unknown key(s) seed"),
    ("datasets: [demo]\n", "'methods' is missing or empty"),
    ("datasets: [demo]\nmethods:\n  rgcd: {epochs: 3}\n", "method 'rgcd': unknown setting(s) epochs"),
])
def test_a_broken_study_is_named_in_one_line(tmp_path, text, message):
    from syntherela_rgcd.bench import load_study
    from syntherela_rgcd.errors import DataError

    study = tmp_path / "s.yaml"
    study.write_text(text)
    with pytest.raises(DataError, match=r"^study .*s\.yaml: " + message.replace("(", r"\(").replace(")", r"\)")):
        load_study(study)


def test_method_options_reach_a_method_and_rgcd_refuses_them(run_main):
    result = run_main("run", "--method", "rgcd", "--options", '{"epochs": 3}', "--metrics", "none")
    assert result.code == 2 and "method 'rgcd' takes its settings from a YAML file (--config), not --options" in result.err


@pytest.mark.parametrize("study", sorted((QUICK.parent).glob("*.yaml")), ids=lambda p: p.stem)
def test_every_study_in_the_repository_loads_and_names_known_methods(study):
    from syntherela_rgcd.bench import load_study
    from syntherela_rgcd.plugins import build_registry

    registry = build_registry()
    loaded = load_study(study)
    assert loaded.runs and all(registry.method(run.method) for run in loaded.runs)


def test_process_executor_runs_side_by_side_with_the_cores_shared(run_main, tmp_path, monkeypatch):
    """``--executor process --workers 2``: both runs go through bench's pool, each given
    cores / workers threads (recorded in its summary), and the leaderboard has both."""
    import json

    monkeypatch.setattr("syntherela_rgcd.threads.usable_cores", lambda: 2)
    study = tmp_path / "study.yaml"
    study.write_text("name: pair\ndatasets: [demo]\nmethods: [sdv]\nseeds: [0, 1]\nmetrics: [cardinality]\n")
    result = run_main("bench", study, "--output-dir", tmp_path / "bench", "--data-dir", tmp_path / "data",
                      "--executor", "process", "--workers", "2", "--quiet")
    assert result.code == 0, result.err
    assert "ran 2, skipped 0 finished, failed 0" in result.out
    summaries = [json.loads(p.read_text()) for p in sorted((tmp_path / "bench" / "results").glob("*/sdv/*/summary.json"))]
    assert [(s["seed"], s["threads"]) for s in summaries] == [(0, 1), (1, 1)]


def test_a_dataset_built_meanwhile_by_another_run_is_kept_not_replaced(tmp_path):
    """Two runs side by side may build the demo at once; the second must not pull the first
    one's folder away from a run reading it."""
    import pandas as pd

    from syntherela_rgcd.datasets import write_dataset

    target = tmp_path / "original" / "demo"
    assert write_dataset(target, {"t": pd.DataFrame({"a": [1]})}, {"tables": {}}, replace=False)
    first = (target / "t.csv").stat().st_ino
    assert not write_dataset(target, {"t": pd.DataFrame({"a": [2]})}, {"tables": {}}, replace=False)
    assert (target / "t.csv").stat().st_ino == first and (target / "t.csv").read_text() == "a\n1\n"
    assert not [p for p in target.parent.iterdir() if p.name.startswith(".")], "no staging folder left"
    assert write_dataset(target, {"t": pd.DataFrame({"a": [3]})}, {"tables": {}})  # a rebuild replaces
    assert (target / "t.csv").read_text() == "a\n3\n"


def test_every_study_in_benchmark_configs_loads():
    from syntherela_rgcd.bench import load_study

    for path in sorted(QUICK.parent.glob("*.yaml")):
        load_study(path)
