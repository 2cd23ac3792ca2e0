"""``syntherela leaderboard``: published rows beside local runs, aggregation, dedupe, best marked,
the three output formats, the dataset filter and the plot. Hand-written summary.json files only."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from syntherela_rgcd.errors import UnknownNameError
from syntherela_rgcd.leaderboard import aggregate, build_leaderboard, collect_runs, plot, render

WALMART = "walmart_subsampled"
AIRBNB = "airbnb-simplified_subsampled"


def utility_entry(synthetic: float, real: float = 6100.0, naive: float = 7700.0, metric: str = "RMSE",
                  table: str = "depts", target: str = "Weekly_Sales", higher: bool = False, se: float = 80.0) -> dict:
    return {"table": table, "target": target, "metric": metric, "higher_is_better": higher,
            "holdout": "last 20% of Date", "real": real, "real_se": 50.0, "synthetic": synthetic,
            "synthetic_se": se, "naive": naive, "model_selection": 0.7, "model_selection_se": 0.1,
            "feature_selection": 0.5, "feature_selection_se": 0.1}


def write_summary(root: Path, dataset: str = WALMART, method: str = "rgcd", run_id: str = "cpu-seed0",
                  created: str = "2026-11-22T10:11:12", profile: str | None = "cpu", samples: list[dict] | None = None,
                  **extra) -> Path:
    """``<root>/<dataset>/<method>/<run_id>/summary.json`` in the runner's format."""
    samples = samples if samples is not None else [{"dda": {"stores": {"accuracy": 0.978, "se": 0.016}}}]
    summary = {"dataset": dataset, "method": method, "run_id": run_id, "seed": 0, "samples": len(samples),
               "created": created, "fit_seconds": 480.1, "sample_seconds": [15.0], "peak_memory_mb": 891,
               "scores": {f"sample{i + 1}": s for i, s in enumerate(samples)}, **extra}
    if profile is not None:
        summary["profile"] = profile
    path = root / dataset / method / run_id / "summary.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(summary))
    return path


def dda(**tables: float) -> dict:
    return {"dda": {table: {"accuracy": value, "se": 0.01} for table, value in tables.items()}}


def local(rows, method="rgcd", profile=None):
    return [r for r in rows if r.source == "here" and r.method == method and (profile is None or r.profile == profile)]


# --- aggregation ------------------------------------------------------------------------


def test_aggregate_rules():
    assert aggregate([]) is None
    single = aggregate([(0.8, 0.02)])
    assert (single.value, single.se, single.n) == (0.8, 0.02, 1)  # one value keeps its own SE
    two = aggregate([(0.7, 0.5), (0.9, 0.5), (None, 0.1), (float("nan"), 0.1)])
    assert two.n == 2 and two.value == pytest.approx(0.8)
    assert two.se == pytest.approx(math.sqrt(0.02) / math.sqrt(2))  # std (ddof=1) / sqrt(n), reported SEs ignored


def test_mean_and_se_over_two_seeds(tmp_path):
    write_summary(tmp_path, run_id="cpu-seed0", samples=[dda(stores=0.90, depts=0.60)])
    write_summary(tmp_path, run_id="cpu-seed1", created="2026-11-23T09:00:00+00:00",
                  samples=[dda(stores=0.80, depts=0.70)])
    write_summary(tmp_path, run_id="paper-seed0", profile="paper", samples=[dda(stores=0.55, depts=0.52)])
    rows = build_leaderboard(collect_runs([tmp_path]), "dda", WALMART)
    (cpu,) = local(rows, profile="cpu")
    assert cpu.seeds == 2 and cpu.n == 2 and cpu.run_ids == ["cpu-seed0", "cpu-seed1"]
    assert cpu.headline_table == "stores"  # the worst table is the headline
    assert cpu.value == pytest.approx(0.85)
    assert cpu.se == pytest.approx(0.05)  # std([0.9, 0.8]) / sqrt(2)
    assert cpu.tables["depts"]["value"] == pytest.approx(0.65) and cpu.tables["depts"]["n"] == 2
    assert cpu.created.startswith("2026-11-23")  # the newest run
    (paper,) = local(rows, profile="paper")
    assert (paper.value, paper.se, paper.seeds) == (0.55, 0.01, 1)  # one value: its own SE
    # the other aggregation (SyntheRela's C2ST-Agg): each sample's mean over tables, then over samples
    assert cpu.extra["mean_of_tables"] == pytest.approx((0.75 + 0.75) / 2)
    assert cpu.extra["mean_of_tables_se"] == pytest.approx(0.0)
    assert "DDA mean of tables ³" in render(rows, "md") and "| 0.750 ± 0.000 |" in render(rows, "md")
    # samples count as values too: one run, two samples
    write_summary(tmp_path / "b", samples=[dda(stores=0.6), dda(stores=0.8)])
    (two_samples,) = local(build_leaderboard(collect_runs([tmp_path / "b"]), "dda", WALMART))
    assert (two_samples.seeds, two_samples.n) == (1, 2) and two_samples.value == pytest.approx(0.7)


def test_same_run_in_two_folders_counts_once(tmp_path):
    write_summary(tmp_path / "runs", created="2026-11-22T10:00:00", samples=[dda(stores=0.9)])
    write_summary(tmp_path / "kept", created="2026-11-24T10:00:00+00:00", samples=[dda(stores=0.7)])
    write_summary(tmp_path / "kept", method="sdv", run_id="default-seed0", profile=None, samples=[dda(stores=0.95)])
    runs = collect_runs([tmp_path / "runs", tmp_path / "kept", tmp_path / "missing"])
    assert sorted((r["method"], r["run_id"]) for r in runs) == [("rgcd", "cpu-seed0"), ("sdv", "default-seed0")]
    (rgcd,) = local(build_leaderboard(runs, "dda"))
    assert rgcd.value == 0.7 and rgcd.seeds == 1  # the newer copy wins
    (sdv,) = local(build_leaderboard(runs, "dda"), "sdv")
    assert sdv.profile == "default" and sdv.label == "SDV (HMA), here"


# --- best per dataset, published rows -------------------------------------------------


def test_published_rows_and_best_dda(tmp_path):
    write_summary(tmp_path, samples=[dda(stores=0.70)])  # beats the best published on Walmart (GCFM 0.73)
    rows = build_leaderboard(collect_runs([tmp_path]), "dda")
    walmart = [r for r in rows if r.dataset == WALMART]
    published = {r.label: r for r in walmart if r.source == "published"}
    assert set(published) == {"RGCD (paper)", "ClavaDDPM", "RCTGAN", "REaLTabFormer", "SDV (HMA)", "GCFM (AAAI-26)"}
    assert (published["RGCD (paper)"].value, published["RGCD (paper)"].se) == (0.79, 0.04)
    assert (published["GCFM (AAAI-26)"].value, published["GCFM (AAAI-26)"].se) == (0.73, 0.01)
    assert [r.label for r in walmart if r.best] == ["RGCD, here"]
    assert walmart[0].best  # best first
    cora = {r.label: r for r in rows if r.dataset == "CORA_v1"}
    assert cora["ClavaDDPM"].value is None and not cora["ClavaDDPM"].best  # not reported in the paper
    assert cora["RGCD (paper)"].best  # 0.60 beats GCFM's 0.63
    assert {r.dataset for r in rows} >= {AIRBNB, "rossmann_subsampled", "imdb_MovieLens_v1", "Biodegradability_v1"}


def test_utility_view_best_and_references(tmp_path):
    write_summary(tmp_path, samples=[{"utility": {"Weekly_Sales": utility_entry(4000.0, real=6000.0)}},
                                     {"utility": {"Weekly_Sales": utility_entry(5000.0, real=6000.0)}}])
    write_summary(tmp_path, dataset=AIRBNB, samples=[{"utility": {"country_destination": utility_entry(
        0.9, real=0.75, naive=0.5, metric="AUC", table="users", target="country_destination", higher=True, se=0.01)}}])
    rows = build_leaderboard(collect_runs([tmp_path]), "utility")
    walmart = [r for r in rows if r.dataset == WALMART]
    assert {r.task for r in walmart} == {"depts.Weekly_Sales"}
    assert [r.label for r in walmart[:2]] == ["real data", "naive"] and all(r.reference for r in walmart[:2])
    assert (walmart[0].value, walmart[1].value) == (6117, 7697)
    (mine,) = local(walmart)
    assert mine.value == pytest.approx(4500.0) and mine.se == pytest.approx(500.0) and mine.n == 2
    assert mine.extra["real"] == 6000.0 and mine.extra["naive"] == 7700.0  # once per run, not per sample
    assert mine.best and [r.label for r in walmart if r.best] == ["RGCD, here"]  # lowest RMSE (beats SDV's 4954)
    assert mine.best_extra["model_selection"] is False  # SDV's published 0.93 is higher
    airbnb = [r for r in rows if r.dataset == AIRBNB]
    assert [r.label for r in airbnb if r.best] == ["RGCD, here"]  # highest AUC
    rctgan = next(r for r in airbnb if r.label == "RCTGAN")
    assert (rctgan.value, rctgan.extra["model_selection"], rctgan.extra["feature_selection"]) == (0.70, 0.80, 0.62)
    # without the local run, the published best stands: lowest RMSE on Walmart is SDV's 4954
    published_only = build_leaderboard([], "utility", WALMART)
    assert [r.label for r in published_only if r.best] == ["SDV (HMA)"]
    assert [r.label for r in build_leaderboard([], "utility", AIRBNB) if r.best] == ["RCTGAN"]


def test_privacy_view_best_is_highest_dcr(tmp_path):
    write_summary(tmp_path, dataset=AIRBNB, samples=[{"dcr": {"users": {"score": 0.58, "se": 0.002},
                                                              "sessions": {"score": 0.57, "se": 0.001,
                                                                           "median_distance": {"train": 0.1}}}}])
    write_summary(tmp_path, dataset=AIRBNB, method="sdv", run_id="default-seed0", profile=None,
                  samples=[{"dcr": {"users": {"score": 0.45, "se": 0.002}}}])
    rows = build_leaderboard(collect_runs([tmp_path]), "privacy", "airbnb")
    labels = {r.label: r for r in rows}
    assert labels["RGCD (paper)"].value == 0.56 and labels["RGCD (paper)"].source == "published"
    assert labels["RGCD, here"].value == 0.57 and labels["RGCD, here"].headline_table == "sessions"  # worst = lowest
    assert [r.label for r in rows] == ["RGCD, here", "RGCD (paper)", "SDV (HMA), here"]
    assert [r.label for r in rows if r.best] == ["RGCD, here"]  # 0.57 > 0.56 > 0.45
    assert [r.label for r in build_leaderboard([], "privacy") if r.best] == ["RGCD (paper)", "RGCD (paper)"]
    assert "DCR ↑" in render(rows, "md")


def test_runs_lacking_a_metric_do_not_break_the_other_views(tmp_path):
    write_summary(tmp_path, samples=[{"cardinality": {"stores_depts": 0.1}}])  # no DDA at all
    write_summary(tmp_path, run_id="cpu-seed1", samples=[{"dda": {"stores": {"accuracy": "oops"}}, "utility": None}])
    write_summary(tmp_path, method="sdv", run_id="default-seed0", profile=None, samples=[dda(stores=0.9)])
    (tmp_path / WALMART / "rgcd" / "broken").mkdir()
    (tmp_path / WALMART / "rgcd" / "broken" / "summary.json").write_text("{not json")
    bare = tmp_path / "bare" / "demo" / "x" / "r1" / "summary.json"  # no keys at all but from the path
    bare.parent.mkdir(parents=True)
    bare.write_text("{}")
    runs = collect_runs([tmp_path, tmp_path / "bare"])
    for metric in ("dda", "utility", "privacy"):
        rows = build_leaderboard(runs, metric)
        for fmt in ("md", "csv", "json"):
            assert render(rows, fmt, metric=metric)
    dda_rows = build_leaderboard(runs, "dda")
    assert [r.label for r in dda_rows if r.source == "here"] == ["SDV (HMA), here"]
    assert not [r for r in build_leaderboard(runs, "utility") if r.source == "here"]


# --- the command -------------------------------------------------------------------------


@pytest.fixture
def results(tmp_path) -> Path:
    root = tmp_path / "res"
    write_summary(root, run_id="cpu-seed0", samples=[dda(stores=0.90, depts=0.6)])
    write_summary(root, run_id="cpu-seed1", samples=[dda(stores=0.80, depts=0.6)])
    write_summary(root, method="sdv", run_id="default-seed0", profile=None, samples=[dda(stores=0.95)])
    write_summary(root, dataset="CORA_v1", samples=[dda(paper=0.7)])
    return root


def test_md_output(cli_invoke, results):
    result = cli_invoke(["leaderboard", "--results-dir", results])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    table = [line for line in lines if line.startswith("|")]
    header = table[0]
    assert "DDA ↓" in header and "per table" in header and "seeds" in header
    assert set(table[1].replace("|", "")) == {"-"}
    assert len({line.count("|") for line in table}) == 1  # a well-formed GitHub table
    rgcd_here = next(line for line in table if "RGCD, here" in line and "cpu" in line and "0.850" in line)
    assert "0.850 ± 0.050" in rgcd_here and "| 2 |" in rgcd_here and "stores 0.850 ± 0.050" in rgcd_here
    assert "depts 0.600" in rgcd_here
    assert "| SDV (HMA), here | here | default |" in result.output
    assert "| SDV (HMA) | published |" in result.output
    assert "**0.73 ± 0.01**" in result.output  # GCFM stays best on Walmart
    legend = "\n".join(line for line in lines if line.startswith("- "))
    for words in ("lower is better", "published", "here", "worst table", "seeds"):
        assert words in legend


def test_csv_and_json_outputs(cli_invoke, results, tmp_path):
    result = cli_invoke(["leaderboard", "--results-dir", results, "--format", "csv", "-d", "walmart"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["dataset"] for r in rows} == {WALMART}
    assert [r["label"] for r in rows if r["best"] == "true"] == ["GCFM (AAAI-26)"]
    mine = next(r for r in rows if r["label"] == "RGCD, here")
    assert float(mine["value"]) == pytest.approx(0.85) and mine["seeds"] == "2" and mine["direction"] == "lower"
    assert {r["source"] for r in rows} == {"published", "here"}

    out = tmp_path / "board" / "lb.json"
    result = cli_invoke(["leaderboard", "--results-dir", results, "--format", "json", "--output", out])
    assert result.exit_code == 0, result.output
    document = json.loads(out.read_text())
    assert document["metric"] == "dda"
    mine = next(r for r in document["rows"] if r["label"] == "RGCD, here" and r["dataset"] == WALMART)
    assert mine["tables"]["stores"]["value"] == pytest.approx(0.85) and mine["tables"]["depts"]["n"] == 2
    assert isinstance(mine["best"], bool) and mine["run_ids"] == ["cpu-seed0", "cpu-seed1"]
    best = [(r["dataset"], r["label"]) for r in document["rows"] if r["best"]]
    assert (WALMART, "GCFM (AAAI-26)") in best and ("CORA_v1", "RGCD (paper)") in best

    result = cli_invoke(["leaderboard", "--results-dir", results, "--metric", "utility", "--format", "json"])
    assert result.exit_code == 0, result.output
    labels = {r["label"] for r in json.loads(result.output)["rows"]}
    assert {"real data", "naive", "RGCD (paper)", "SDV (HMA)"} <= labels


def test_default_results_dirs_and_dedupe(cli_invoke, tmp_path):
    """Run from a folder holding runs/results (the runner's) and results/runs (kept copies)."""
    write_summary(tmp_path / "runs" / "results", created="2026-11-25T00:00:00+00:00", samples=[dda(stores=0.6)])
    write_summary(tmp_path / "results" / "runs", created="2026-11-20T00:00:00+00:00", samples=[dda(stores=0.9)])
    write_summary(tmp_path / "results" / "runs", run_id="cpu-seed1", samples=[dda(stores=0.8)])
    result = cli_invoke(["leaderboard", "--format", "json", "--dataset", "WALMART_subsampled"])
    assert result.exit_code == 0, result.output
    (mine,) = [r for r in json.loads(result.output)["rows"] if r["source"] == "here"]
    assert mine["seeds"] == 2 and mine["value"] == pytest.approx(0.7)  # 0.6 (newest copy) and 0.8


def test_dataset_filter_and_alias(cli_invoke, results):
    result = cli_invoke(["leaderboard", "--results-dir", results, "--dataset", "cora", "--format", "csv"])
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert {r["dataset"] for r in rows} == {"CORA_v1"} and any(r["source"] == "here" for r in rows)
    # published numbers only, no local run
    result = cli_invoke(["leaderboard", "--results-dir", results, "-d", "imdb", "--format", "csv"])
    assert {r["dataset"] for r in csv.DictReader(io.StringIO(result.output))} == {"imdb_MovieLens_v1"}
    with pytest.raises(UnknownNameError):
        build_leaderboard([], "dda", "imdb-noratings")  # in the catalogue, but no results: not the paper's IMDB


def test_unknown_dataset_is_one_line_error(run_main, user_error, results):
    outcome = run_main("leaderboard", "--results-dir", results, "--dataset", "nosuchdb")
    assert outcome.code == 2
    user_error(outcome.code, outcome.err, "nosuchdb", WALMART)
    outcome = run_main("leaderboard", "--results-dir", results / "nowhere")
    assert outcome.code == 2
    user_error(outcome.code, outcome.err, "nowhere")


@pytest.mark.parametrize("args", [["--metric", "fidelity"], ["--format", "xlsx"]])
def test_unknown_choice_is_a_usage_error(cli_invoke, args):
    result = cli_invoke(["leaderboard", *args])
    assert result.exit_code == 2
    assert "Invalid value" in result.output


def test_plot(cli_invoke, results, tmp_path):
    png = tmp_path / "fig" / "dda.png"
    result = cli_invoke(["leaderboard", "--results-dir", results, "--plot", png, "--output", tmp_path / "lb.md"])
    assert result.exit_code == 0, result.output
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    # the other views draw too, even with no local figures for them
    for metric in ("utility", "privacy"):
        path = plot(build_leaderboard(collect_runs([results]), metric), tmp_path / f"{metric}.png", metric=metric)
        assert path.stat().st_size > 10_000


def test_a_table_below_045_is_flagged_as_a_copy_and_not_ranked(tmp_path):
    """CORA with its real citation graph kept scores paper 0.43: near-copies, not a win."""
    copying = {"rows": {"paper": {"synthetic": 1.0, "real_halves": 1.0},
                        "content": {"synthetic": 1.0, "real_halves": 0.6}},
               "real_edges": {"cites": 1.0}, "wl_hash_equal": {"cites": True}, "twins": {"paper": 0.9},
               "max_degree_ks": 0.0}
    write_summary(tmp_path, dataset="CORA_v1", samples=[{**dda(paper=0.43), "copying": copying}])
    rows = build_leaderboard(collect_runs([tmp_path]), "dda")
    cora = {r.label: r for r in rows if r.dataset == "CORA_v1"}
    assert not cora["RGCD, here"].best and cora["RGCD (paper)"].best
    text = render(rows, "md", "dda", [str(tmp_path)])
    assert "⚠ suspect: paper below 0.45" in text
    line = next(line for line in text.splitlines() if "RGCD, here" in line)
    assert "cites 100.0% real edges; content 100% rows equal a real row (real halves 60%); paper 90% rows equal " \
           "their twin" in line, "the copy figures stand beside the flag; paper's 100% is the real halves' too"
    assert "copy_figures" in render(rows, "csv", "dda").splitlines()[0]


def test_copy_figures_say_when_there_is_no_sign_of_copying(tmp_path):
    copying = {"rows": {"stores": {"synthetic": 0.0, "real_halves": 0.0}}, "real_edges": {}, "wl_hash_equal": {},
               "twins": {}, "max_degree_ks": 0.02}
    write_summary(tmp_path, samples=[{**dda(stores=0.6), "copying": copying}])
    [row] = [r for r in build_leaderboard(collect_runs([tmp_path]), "dda") if r.source == "here"]
    assert row.copying["rows"]["stores"]["synthetic"] == 0.0
    assert "no sign of copying" in render([row], "md", "dda")
