"""The ``syntherela`` command line: help, listing, run/evaluate end to end, third-party plugins,
and one-line errors for everything a user can get wrong."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from syntherela_rgcd import __version__
from syntherela_rgcd.datasets import load_dataset

DEMO_TABLES = ("stores", "customers", "purchases")


# --- help, version, list --------------------------------------------------------------


def test_help(cli_invoke):
    result = cli_invoke(["--help"])
    assert result.exit_code == 0
    for command in ("run", "evaluate", "list", "download"):
        assert command in result.output
    run_help = cli_invoke(["run", "--help"])
    assert run_help.exit_code == 0
    for option in ("--method", "--dataset", "--data-dir", "--output-dir", "--samples", "--metrics", "--seed"):
        assert option in run_help.output


def test_version(cli_invoke, run_subprocess):
    assert cli_invoke(["--version"]).output.strip() == f"syntherela, version {__version__}"
    # the console script's entry point (fresh interpreter; --version imports nothing heavy)
    process = run_subprocess("--version")
    assert process.returncode == 0
    assert process.stdout.strip() == f"syntherela, version {__version__}"


def test_list_methods(cli_invoke):
    result = cli_invoke(["list", "methods"])
    assert result.exit_code == 0
    sdv_line = next(line for line in result.output.splitlines() if line.startswith("sdv "))
    assert "HMA" in sdv_line and "(plugin: sdv)" in sdv_line


def test_list_methods_shows_third_party_plugins(plugin_site, run_subprocess):
    """A separately installed distribution with a 'syntherela' entry point shows up, and one
    that fails to import is reported as NOT LOADED (fresh interpreter, PYTHONPATH only)."""
    process = run_subprocess("list", "methods", pythonpath=plugin_site)
    assert process.returncode == 0, process.stderr
    lines = process.stdout.splitlines()
    copycat = [line for line in lines if line.startswith("copycat ")]
    assert copycat and "(plugin: copycat)" in copycat[0] and "[linear]" in copycat[0]
    assert any(line.startswith("sdv ") for line in lines)
    broken = [line for line in lines if line.startswith("broken ")]
    assert broken and "NOT LOADED" in broken[0] and "fake plugin exploded on import" in broken[0]
    assert "Traceback" not in process.stderr


def test_list_datasets(cli_invoke, demo_copy, tmp_path):
    data_dir = tmp_path / "data"
    result = cli_invoke(["list", "datasets", "--data-dir", data_dir])
    assert result.exit_code == 0
    assert f"data dir: {data_dir}" in result.output
    assert "demo: built-in" in result.output
    assert "walmart_subsampled (walmart): not downloaded" in result.output

    demo_copy(data_dir, "demo")
    demo_copy(data_dir, "walmart_subsampled")
    broken = demo_copy(data_dir, "brokendb")
    (broken / "metadata.json").write_text("{oops")
    rows = sum(len(pd.read_csv(data_dir / "original" / "demo" / f"{t}.csv")) for t in DEMO_TABLES)
    result = cli_invoke(["list", "datasets", "--data-dir", data_dir])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert next(line for line in lines if line.startswith("demo:")).startswith(f"demo: on disk: 3 tables, {rows:,} rows")
    walmart = next(line for line in lines if line.startswith("walmart_subsampled"))
    assert walmart.startswith(f"walmart_subsampled (walmart): on disk: 3 tables, {rows:,} rows")
    brokendb = next(line for line in lines if line.startswith("brokendb"))
    assert "unreadable" in brokendb and "not valid JSON" in brokendb


def test_list_datasets_uses_env_data_dir(cli_invoke, demo_copy, tmp_path, monkeypatch):
    monkeypatch.setenv("SYNTHERELA_DATA_DIR", str(tmp_path / "envdir"))
    demo_copy(tmp_path / "envdir", "walmart_subsampled")
    result = cli_invoke(["list", "datasets"])
    assert f"data dir: {tmp_path / 'envdir'}" in result.output
    assert "walmart_subsampled (walmart): on disk: 3 tables" in result.output


# --- the SDV run on the demo (session fixture, run once) -------------------------------


def test_sdv_run_writes_syntherela_layout(sdv_run):
    assert sdv_run.exit_code == 0, sdv_run.output
    sample = sdv_run.synthetic_dir / "sample1"
    assert sorted(p.name for p in sample.iterdir()) == sorted(f"{t}.csv" for t in DEMO_TABLES)
    assert sorted(p.name for p in sdv_run.synthetic_dir.iterdir()) == ["sample1", "sample1.report.html"]
    models = sdv_run.out_dir / "models" / "demo" / "sdv" / sdv_run.run_id
    assert (models / "hma.pkl").is_file()
    # nothing else is left in the output dir (no staging folders)
    assert sorted(p.name for p in sdv_run.out_dir.iterdir()) == ["models", "results", "synthetic"]
    # the demo was built into the data dir on first use
    assert (sdv_run.data_dir / "original" / "demo" / "metadata.json").is_file()


def test_sdv_run_writes_report_and_summary(sdv_run):
    report = json.loads((sdv_run.results_dir / "sample1.json").read_text())
    assert report["dataset_name"] == "demo" and report["method_name"] == "sdv"
    assert report["run_id"] == sdv_run.run_id and report["sample_id"] == "sample1"
    multi = report["multi_table_metrics"]
    assert {"AggregationDetection-XGBClassifier", "CardinalityShapeSimilarity"} <= set(multi)
    summary = json.loads((sdv_run.results_dir / "summary.json").read_text())
    assert summary["dataset"] == "demo" and summary["method"] == "sdv" and summary["run_id"] == "default-seed0"
    assert summary["metrics"] == ["dda", "cardinality"] and summary["samples"] == 1
    assert summary["fit_seconds"] > 0 and len(summary["sample_seconds"]) == 1 and summary["peak_memory_mb"] > 0
    dda = summary["scores"]["sample1"]["dda"]
    assert {"stores", "customers"} <= set(dda)
    for figures in dda.values():
        assert 0.0 <= figures["accuracy"] <= 1.0 and figures["se"] >= 0
    assert set(summary["scores"]["sample1"]["cardinality"]) == {"customers_purchases", "stores_purchases"}


def test_sdv_run_prints_dda_per_table(sdv_run):
    output = sdv_run.output
    assert "demo / sdv / default-seed0" in output
    assert "DDA accuracy" in output
    for table in ("stores", "customers"):
        line = next(line for line in output.splitlines() if line.strip().startswith(table + " "))
        assert "±" in line
    assert "cardinality KS" in output
    assert f"synthetic data: {sdv_run.synthetic_dir}" in output


def test_sdv_output_keeps_foreign_keys(sdv_run):
    sample = sdv_run.synthetic_dir / "sample1"
    tables = {t: pd.read_csv(sample / f"{t}.csv") for t in DEMO_TABLES}
    assert list(tables["purchases"].columns) == ["purchase_id", "customer_id", "store_id", "amount", "items",
                                                 "timestamp", "returned"]
    assert tables["purchases"]["store_id"].isin(tables["stores"]["store_id"]).all()
    assert tables["purchases"]["customer_id"].isin(tables["customers"]["customer_id"]).all()


@pytest.mark.filterwarnings("ignore:No existing results found")
def test_sdv_output_is_readable_by_syntherela_benchmark(sdv_run, tmp_path):
    from syntherela.benchmark import Benchmark

    benchmark = Benchmark(
        real_data_dir=sdv_run.data_dir / "original",
        synthetic_data_dir=sdv_run.out_dir / "synthetic",
        results_dir=tmp_path / "benchmark-results",
        benchmark_name="t",
        run_id=sdv_run.run_id,
        sample_id="sample1",
        datasets=["demo"],
        methods=["sdv"],
        single_column_metrics=[],
        single_table_metrics=[],
        multi_table_metrics=[],
    )
    real, synthetic, metadata = benchmark.load_data("demo", "sdv")
    assert set(synthetic) == set(real) == set(DEMO_TABLES)
    for name in DEMO_TABLES:
        assert list(synthetic[name].columns) == list(real[name].columns)
        assert len(synthetic[name]) > 0
    assert pd.api.types.is_datetime64_any_dtype(synthetic["purchases"]["timestamp"])
    assert sorted(metadata.get_tables()) == sorted(DEMO_TABLES)


def test_sdv_run_survives_a_broken_plugin(sdv_run):
    """The session run happened with the broken third-party plugin installed."""
    assert "broken" in sdv_run.plugin_failures
    assert sdv_run.exit_code == 0


def test_evaluate_existing_output(sdv_run, sdv_output_copy, cli_invoke):
    result = cli_invoke(["evaluate", "--method", "sdv", "--dataset", "demo", "--metrics", "cardinality",
                         "--data-dir", sdv_run.data_dir, "--output-dir", sdv_output_copy])
    assert result.exit_code == 0, result.output
    assert "demo / sdv / default-seed0" in result.output and "cardinality KS" in result.output
    results_dir = sdv_output_copy / "results" / "demo" / "sdv" / "default-seed0"
    summary = json.loads((results_dir / "summary.json").read_text())
    assert summary["metrics"] == ["cardinality", "dda"]
    scores = summary["scores"]["sample1"]
    assert "dda" in scores  # kept from the run
    original = json.loads((sdv_run.results_dir / "summary.json").read_text())["scores"]["sample1"]
    assert scores["cardinality"] == pytest.approx(original["cardinality"])
    # the Report JSON keeps the run's DDA next to the recomputed cardinality
    report = json.loads((results_dir / "sample1.json").read_text())
    assert {"AggregationDetection-XGBClassifier", "CardinalityShapeSimilarity"} <= set(report["multi_table_metrics"])
    assert not [p for p in sdv_output_copy.iterdir() if p.name.startswith(".staging-")]


def test_evaluate_without_output_is_an_error(run_main, user_error, demo_data_dir, tmp_path):
    result = run_main("evaluate", "--method", "sdv", "--dataset", "demo", "--metrics", "cardinality",
                      "--data-dir", demo_data_dir, "--output-dir", tmp_path / "empty")
    user_error(result.code, result.err, "'sdv'", "no synthetic data")


# --- a third-party method, run with no change to this package --------------------------


def test_run_third_party_method(installed_plugins, cli_invoke, demo_data_dir, tmp_path):
    out = tmp_path / "out"
    result = cli_invoke(["run", "--method", "copycat", "--dataset", "demo", "--data-dir", demo_data_dir,
                         "--output-dir", out, "--metrics", "cardinality", "--quiet"])
    assert result.exit_code == 0, result.output
    assert "demo / copycat / default-seed0" in result.output and "cardinality KS" in result.output
    sample = out / "synthetic" / "demo" / "copycat" / "default-seed0" / "sample1"
    real, _ = load_dataset(demo_data_dir / "original" / "demo", "demo")
    for name in DEMO_TABLES:
        pd.testing.assert_frame_equal(pd.read_csv(sample / f"{name}.csv"),
                                      pd.read_csv(demo_data_dir / "original" / "demo" / f"{name}.csv"))
    summary = json.loads((out / "results" / "demo" / "copycat" / "default-seed0" / "summary.json").read_text())
    assert all(v == 0 for v in summary["scores"]["sample1"]["cardinality"].values())
    # the model was saved with Method.save and loads back with Method.load
    from fake_syntherela_plugin import CopyCat

    restored = CopyCat.load(out / "models" / "demo" / "copycat" / "default-seed0")
    pd.testing.assert_frame_equal(restored.sample()["stores"], real["stores"])


def test_run_several_samples(installed_plugins, cli_invoke, demo_data_dir, tmp_path):
    out = tmp_path / "out"
    result = cli_invoke(["run", "--method", "copycat", "--data-dir", demo_data_dir, "--output-dir", out,
                         "--metrics", "cardinality", "--samples", "2", "--seed", "7", "-q"])
    assert result.exit_code == 0, result.output
    run_dir = out / "synthetic" / "demo" / "copycat" / "default-seed7"
    assert sorted(p.name for p in run_dir.iterdir()) == ["sample1", "sample1.report.html", "sample2", "sample2.report.html"]
    for sample in ("sample1", "sample2"):
        assert sorted(p.name for p in (run_dir / sample).iterdir()) == sorted(f"{t}.csv" for t in DEMO_TABLES)
    results = out / "results" / "demo" / "copycat" / "default-seed7"
    assert sorted(p.name for p in results.iterdir()) == ["sample1.json", "sample2.json", "summary.json"]
    summary = json.loads((results / "summary.json").read_text())
    assert summary["samples"] == 2 and len(summary["sample_seconds"]) == 2
    assert set(summary["scores"]) == {"sample1", "sample2"}


def test_run_dataset_from_a_plugin(installed_plugins, cli_invoke, tmp_path):
    out = tmp_path / "out"
    result = cli_invoke(["run", "--method", "copycat", "--dataset", "tinyalias", "--data-dir", tmp_path / "d",
                         "--output-dir", out, "--metrics", "none", "-q"])
    assert result.exit_code == 0, result.output
    sample = out / "synthetic" / "tiny_plugin_db" / "copycat" / "default-seed0" / "sample1"
    assert sorted(p.name for p in sample.iterdir()) == ["children.csv", "parents.csv"]


@pytest.mark.parametrize("how", ["--data-dir", "env"])
def test_alias_resolves_in_data_dir(how, installed_plugins, cli_invoke, demo_copy, tmp_path, monkeypatch):
    data_dir, out = tmp_path / "walmart-data", tmp_path / "out"
    demo_copy(data_dir, "walmart_subsampled")
    args = ["run", "--method", "copycat", "--dataset", "walmart", "--output-dir", out, "--metrics", "none", "-q"]
    if how == "env":
        monkeypatch.setenv("SYNTHERELA_DATA_DIR", str(data_dir))
    else:
        args += ["--data-dir", data_dir]
    result = cli_invoke(args)
    assert result.exit_code == 0, result.output
    assert (out / "synthetic" / "walmart_subsampled" / "copycat" / "default-seed0" / "sample1" / "stores.csv").is_file()


# --- user errors: one line, non-zero exit, no traceback, nothing published --------------


def _invalid_json(path):
    (path / "metadata.json").write_text('{"tables": {')


def _relationship_to_nowhere(metadata):
    metadata["relationships"].append({"parent_table_name": "warehouses", "parent_primary_key": "warehouse_id",
                                      "child_table_name": "purchases", "child_foreign_key": "store_id"})


def _orphan(tables):
    tables["purchases"].loc[0, "customer_id"] = 123456


@pytest.mark.parametrize(
    "args, mutate_tables, mutate_metadata, after, culprits",
    [
        (["--method", "nope"], None, None, None, ["unknown method 'nope'", "sdv"]),
        (["--method", "sdv", "--dataset", "nosuchdb"], None, None, None, ["unknown dataset 'nosuchdb'", "walmart_subsampled", "demo"]),
        (["--method", "sdv", "--dataset", "walmart"], None, None, None, ["'walmart_subsampled'", "not in the data dir", "download"]),
        (["--method", "sdv", "--metrics", "dda,bogus"], None, None, None, ["unknown metric", "bogus"]),
        (["--method", "sdv", "--dataset", "mydb"], None, None, _invalid_json, ["'mydb'", "metadata.json", "not valid JSON"]),
        (["--method", "sdv", "--dataset", "mydb"], None, _relationship_to_nowhere, None, ["'mydb'", "metadata.json", "warehouses"]),
        (["--method", "sdv", "--dataset", "mydb"], None, None, lambda p: (p / "purchases.csv").unlink(), ["'mydb'", "purchases.csv"]),
        (["--method", "sdv", "--dataset", "mydb"], lambda t: t.update(customers=t["customers"].drop(columns=["age"])), None, None, ["'mydb'", "customers.csv", "age"]),
        (["--method", "sdv", "--dataset", "mydb"], _orphan, None, None, ["'mydb'", "purchases.customer_id", "123456"]),
    ],
    ids=["unknown-method", "unknown-dataset", "dataset-not-downloaded", "unknown-metric", "invalid-json",
         "inconsistent-metadata", "csv-missing", "column-missing", "orphan-foreign-key"],
)
def test_bad_input(args, mutate_tables, mutate_metadata, after, culprits, run_main, user_error, nothing_published,
                   demo_copy, tmp_path):
    data_dir, out = tmp_path / "data", tmp_path / "out"
    if any(a == "mydb" for a in args):
        path = demo_copy(data_dir, "mydb", mutate_tables, mutate_metadata)
        if after:
            after(path)
    metrics = [] if "--metrics" in args else ["--metrics", "none"]
    result = run_main("run", *args, "--data-dir", data_dir, "--output-dir", out, *metrics)
    user_error(result.code, result.err, *culprits)
    nothing_published(out)
    assert not (out / "synthetic").exists()


def test_plugin_that_fails_to_import(installed_plugins, run_main, user_error, nothing_published, tmp_path):
    out = tmp_path / "out"
    result = run_main("run", "--method", "broken", "--output-dir", out, "--metrics", "none")
    line = user_error(result.code, result.err, "'broken'", "failed to load", "RuntimeError: fake plugin exploded on import")
    assert "copycat" in line and "sdv" in line  # the known methods
    nothing_published(out)


def test_missing_required_option(run_main):
    result = run_main("run")
    assert result.code == 2
    assert "--method" in result.err and "Traceback" not in result.err


def test_interrupted_run_from_the_command_line(run_main, nothing_published, demo_data_dir, tmp_path, monkeypatch):
    """Ctrl-C while sampling: 'interrupted', exit 130, no run folder and no staging folder."""
    from syntherela_rgcd import runner
    from syntherela_rgcd.contract import MethodSpec, hookimpl
    from syntherela_rgcd.plugins import build_registry

    class Interrupted:
        label, settings = None, {}

        def __init__(self, settings=None):
            pass

        def fit(self, tables, metadata, context=None):
            return self

        def sample(self, seed=None, scale=1.0):
            raise KeyboardInterrupt

        def save(self, path):
            pass

    class Plugin:
        @hookimpl
        def syntherela_methods(self):
            return [MethodSpec("interrupted", Interrupted, "raises KeyboardInterrupt in sample")]

    monkeypatch.setattr(runner, "build_registry", lambda: build_registry(extra_plugins=[Plugin()]))
    out = tmp_path / "out"
    result = run_main("run", "--method", "interrupted", "--data-dir", demo_data_dir, "--output-dir", out,
                      "--metrics", "none")
    assert result.code == 130
    assert result.err.strip().splitlines()[-1] == "interrupted"
    assert "Traceback" not in result.err
    nothing_published(out)


# --- the console script in a fresh interpreter ---------------------------------------


def test_main_unknown_method_subprocess(run_subprocess, user_error, tmp_path):
    process = run_subprocess("run", "--method", "nope", "--output-dir", tmp_path / "out")
    user_error(process.returncode, process.stderr, "unknown method 'nope'", "sdv")
    assert process.stdout == ""
    assert not (tmp_path / "out").exists()


def test_main_broken_plugin_subprocess(run_subprocess, user_error, plugin_site, tmp_path, nothing_published):
    process = run_subprocess("run", "--method", "broken", "--output-dir", tmp_path / "out", pythonpath=plugin_site)
    user_error(process.returncode, process.stderr, "'broken'", "fake plugin exploded on import")
    nothing_published(tmp_path / "out")


def test_console_runs_third_party_method_quietly(run_subprocess, plugin_site, tmp_path):
    """Fresh interpreter, plugin only on PYTHONPATH: the third-party method runs end to end, and
    --quiet leaves stdout to the final table and stderr to warnings (no progress bars)."""
    out = tmp_path / "out"
    process = run_subprocess("run", "--method", "copycat", "--dataset", "demo", "--metrics", "cardinality", "-q",
                             "--data-dir", tmp_path / "data", "--output-dir", out, pythonpath=plugin_site)
    assert process.returncode == 0, process.stderr
    assert process.stdout.startswith("demo / copycat / default-seed0\n")
    assert "customers_purchases      0.000" in process.stdout
    assert "Running" not in process.stderr and "it/s" not in process.stderr and "INFO" not in process.stderr
    assert "Traceback" not in process.stderr
    assert (out / "synthetic" / "demo" / "copycat" / "default-seed0" / "sample1" / "purchases.csv").is_file()
    assert (out / "results" / "demo" / "copycat" / "default-seed0" / "sample1.json").is_file()


def test_a_smoke_run_says_its_scores_mean_nothing():
    from syntherela_rgcd.cli import format_summary

    summary = {"dataset": "demo", "method": "rgcd", "run_id": "smoke-seed0", "profile": "smoke",
               "scores": {"sample1": {"dda": {"customers": {"accuracy": 0.9, "se": 0.01}}}}}
    assert "its scores say nothing about the method" in format_summary(summary)
    assert "say nothing" not in format_summary({**summary, "profile": "cpu", "run_id": "cpu-seed0"})


def test_a_summary_without_sample_seconds_still_prints():
    from syntherela_rgcd.cli import format_summary

    summary = {"dataset": "CORA_v1", "method": "rgcd", "run_id": "cpu-seed0", "profile": "cpu", "fit_seconds": 878.0,
               "sample_seconds": [None], "scores": {"sample1": {"dda": {"paper": {"accuracy": 0.525, "se": 0.007}}}}}
    text = format_summary(summary)
    assert "fit 878.0 s" in text and "sample" not in text.split("\n")[1] and "0.525" in text
