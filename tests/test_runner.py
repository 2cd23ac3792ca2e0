"""The runner: fit -> sample -> check -> write -> score, and that a run which does not finish
leaves nothing that looks finished (no run folder, no staging folder)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from syntherela_rgcd import runner
from syntherela_rgcd.errors import DataError, SyntheRelaError
from syntherela_rgcd.contract import SOURCE_ROWS, MethodSpec, hookimpl
from syntherela_rgcd.plugins import build_registry
from syntherela_rgcd.runner import RunOptions, evaluate, run, run_id_for


class Scripted:
    """A generator whose behaviour is set by the test: copy the tables back, or fail at a step."""

    fail_at: str | None = None  # "fit" | "sample" | "sample2" | "save"
    failure: BaseException = RuntimeError("generator failed")
    corrupt = None  # callable(tables) applied to the sample

    label = None

    def __init__(self, settings=None):
        self.settings = dict(settings or {})
        self.tables = None
        self.samples = 0

    def _maybe_fail(self, step):
        if self.fail_at == step:
            raise self.failure

    def fit(self, tables, metadata, context=None):
        self._maybe_fail("fit")
        self.tables = tables
        return self

    def sample(self, seed=None, scale=1.0):
        self.samples += 1
        self._maybe_fail("sample")
        if self.samples == 2:
            self._maybe_fail("sample2")
        tables = {name: table.copy() for name, table in self.tables.items()}
        if self.corrupt:
            type(self).corrupt(tables)
        return tables

    def save(self, path):
        self._maybe_fail("save")
        path.mkdir(parents=True, exist_ok=True)
        (path / "model.txt").write_text("fitted")


class _Plugin:
    def __init__(self, cls, capabilities=()):
        self.cls, self.capabilities = cls, capabilities

    @hookimpl
    def syntherela_methods(self):
        return [MethodSpec("scripted", self.cls, "test generator", capabilities=self.capabilities)]


@pytest.fixture
def scripted():
    """A fresh Scripted subclass per test (class attributes set the behaviour) and its registry."""

    class Method(Scripted):
        pass

    return Method, build_registry(extra_plugins=[_Plugin(Method)])


def _options(data_dir, out, **kw):
    return RunOptions(method="scripted", dataset="demo", data_dir=data_dir, output_dir=out,
                      metrics=kw.pop("metrics", "none"), **kw)


def _run_folders(out):
    return {
        part: (out / part / "demo" / "scripted" / "default-seed0")
        for part in ("synthetic", "results", "models")
    }


def test_successful_run(scripted, demo_data_dir, tmp_path):
    method, registry = scripted
    out = tmp_path / "out"
    result = run(_options(demo_data_dir, out, metrics="cardinality"), registry=registry)
    assert result.run_id == "default-seed0" and result.dataset == "demo" and result.method == "scripted"
    folders = _run_folders(out)
    assert result.synthetic_dir == folders["synthetic"] and result.results_dir == folders["results"]
    assert (folders["models"] / "model.txt").read_text() == "fitted"
    assert sorted(p.name for p in folders["results"].iterdir()) == ["sample1.json", "summary.json"]
    assert result.summary["scores"]["sample1"]["cardinality"] == {"customers_purchases": 0.0, "stores_purchases": 0.0}
    assert result.summary["config"]["dataset"] == "demo" and result.summary["config"]["seed"] == 0
    assert sorted(p.name for p in out.iterdir()) == ["models", "results", "synthetic"]


def test_a_generators_row_correspondence_is_kept_and_measured(scripted, demo_data_dir, tmp_path):
    """A method that declares it says which real row each row stands for (``source_rows``) gets
    that saved beside its scores and the twin figures computed through it."""
    method, _ = scripted

    def sample_with_source_rows(self, seed=None, scale=1.0):
        tables = Scripted.sample(self, seed, scale)
        return tables, {name: np.arange(len(table)) for name, table in tables.items()}

    method.sample_with_source_rows = sample_with_source_rows
    registry = build_registry(extra_plugins=[_Plugin(method, capabilities=(SOURCE_ROWS,))])
    out = tmp_path / "out"
    result = run(_options(demo_data_dir, out, metrics="privacy"), registry=registry)
    assert (result.results_dir / "sample1.source_rows.npz").is_file()
    twins = result.summary["scores"]["sample1"]["copying"]["twins"]
    assert twins and all(share == 1.0 for share in twins.values()), twins
    [again] = evaluate("scripted", "demo", data_dir=demo_data_dir, output_dir=out, metrics="privacy")
    assert again.summary["scores"]["sample1"]["copying"]["twins"] == twins, "evaluate reads the saved correspondence"


def test_run_id_names_profile_and_seed():
    assert run_id_for(None, 0) == "default-seed0"
    assert run_id_for("smoke", 3) == "smoke-seed3"


@pytest.mark.parametrize(
    "fail_at, failure",
    [
        ("fit", RuntimeError("boom in fit")),
        ("sample", KeyboardInterrupt()),
        ("sample", RuntimeError("boom in sample")),
        ("sample2", KeyboardInterrupt()),
        ("save", OSError("disk full")),
    ],
    ids=["fit-raises", "sample-interrupted", "sample-raises", "second-sample-interrupted", "save-raises"],
)
def test_unfinished_run_leaves_nothing(fail_at, failure, scripted, demo_data_dir, tmp_path, nothing_published):
    method, registry = scripted
    method.fail_at, method.failure = fail_at, failure
    out = tmp_path / "out"
    with pytest.raises(type(failure)):
        run(_options(demo_data_dir, out, samples=2), registry=registry)
    nothing_published(out)
    for folder in _run_folders(out).values():
        assert not folder.exists()


def test_interrupted_while_scoring_leaves_nothing(scripted, demo_data_dir, tmp_path, monkeypatch, nothing_published):
    method, registry = scripted

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "evaluate_sample", interrupted)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run(_options(demo_data_dir, out, metrics="cardinality"), registry=registry)
    nothing_published(out)


def test_failed_rerun_keeps_the_previous_run(scripted, demo_data_dir, tmp_path):
    method, registry = scripted
    out = tmp_path / "out"
    run(_options(demo_data_dir, out), registry=registry)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    method.fail_at, method.failure = "sample", KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        run(_options(demo_data_dir, out), registry=registry)
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]


def test_rerun_replaces_the_previous_run(scripted, demo_data_dir, tmp_path):
    method, registry = scripted
    out = tmp_path / "out"
    run(_options(demo_data_dir, out, samples=2), registry=registry)
    run(_options(demo_data_dir, out, samples=1), registry=registry)
    assert sorted(p.name for p in _run_folders(out)["synthetic"].iterdir()) == ["sample1"]


@pytest.mark.parametrize(
    "corrupt, message",
    [
        (lambda t: t.pop("customers"), "produced no table(s) customers"),
        (lambda t: t.update(stores=t["stores"].drop(columns=["floor_area"])), "lacks column(s) floor_area"),
        (lambda t: t["purchases"].__setitem__("store_id", t["purchases"]["store_id"] + 1000),
         "broke referential integrity: foreign key purchases.store_id"),
    ],
    ids=["missing-table", "missing-column", "orphan-foreign-key"],
)
def test_generated_data_is_checked(corrupt, message, scripted, demo_data_dir, tmp_path, nothing_published):
    method, registry = scripted
    method.corrupt = staticmethod(corrupt)
    out = tmp_path / "out"
    with pytest.raises(SyntheRelaError) as info:
        run(_options(demo_data_dir, out), registry=registry)
    assert message in str(info.value) and "'scripted'" in str(info.value)
    nothing_published(out)


def test_errors_before_fitting_create_no_output_dir(scripted, demo_data_dir, tmp_path):
    method, registry = scripted
    out = tmp_path / "out"
    with pytest.raises(SyntheRelaError, match="unknown metric"):
        run(_options(demo_data_dir, out, metrics="dda,nope"), registry=registry)
    with pytest.raises(SyntheRelaError, match="unknown dataset"):
        run(RunOptions(method="scripted", dataset="nope", data_dir=demo_data_dir, output_dir=out), registry=registry)
    assert not out.exists()


# --- evaluate: any generator's output already on disk -----------------------------------


def _write_external_sample(out, run_id="external-run", sample="sample1", alter=None):
    folder = out / "synthetic" / "demo" / "external" / run_id / sample
    folder.mkdir(parents=True)
    from syntherela_rgcd.demo import build_demo_tables

    tables = build_demo_tables(seed=7)
    if alter:
        alter(tables)
    for name, table in tables.items():
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder


def test_evaluate_other_generators_output(demo_data_dir, tmp_path):
    out = tmp_path / "out"
    _write_external_sample(out)
    _write_external_sample(out, sample="sample2")
    [result] = evaluate("external", "demo", data_dir=demo_data_dir, output_dir=out, metrics="cardinality")
    assert result.run_id == "external-run"
    summary = json.loads((out / "results" / "demo" / "external" / "external-run" / "summary.json").read_text())
    assert summary["samples"] == 2 and set(summary["scores"]) == {"sample1", "sample2"}
    for scores in summary["scores"].values():
        assert set(scores["cardinality"]) == {"customers_purchases", "stores_purchases"}
    assert (out / "results" / "demo" / "external" / "external-run" / "sample2.json").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]


def test_evaluate_rejects_broken_samples(demo_data_dir, tmp_path):
    out = tmp_path / "out"
    folder = _write_external_sample(
        out, alter=lambda t: t["purchases"].__setitem__("customer_id", t["purchases"]["customer_id"] + 10**6))
    with pytest.raises(DataError, match="purchases.customer_id"):
        evaluate("external", "demo", data_dir=demo_data_dir, output_dir=out, metrics="cardinality")
    (folder / "stores.csv").unlink()
    with pytest.raises(DataError, match="no CSV for table"):
        evaluate("external", "demo", data_dir=demo_data_dir, output_dir=out, metrics="cardinality")
    with pytest.raises(DataError, match="no sample folders"):
        evaluate("external", "demo", data_dir=demo_data_dir, output_dir=out, run_id="nope", metrics="cardinality")
    assert not (out / "results").exists()
    assert not [p for p in out.iterdir() if p.name.startswith(".staging-")]


def test_written_tables_use_metadata_datetime_format(scripted, demo_data_dir, tmp_path):
    method, registry = scripted
    out = tmp_path / "out"
    result = run(_options(demo_data_dir, out), registry=registry)
    stores = pd.read_csv(result.synthetic_dir / "sample1" / "stores.csv", dtype=str)
    assert stores["opened"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()


def test_run_is_named_after_the_profile_the_method_resolved(scripted, tmp_path):
    """Without --profile, a method that picks a default profile (RGCD: cpu) names the run after
    it: its label."""
    Method, registry = scripted

    class Profiled(Method):
        label = "cpu"

    registry = build_registry(extra_plugins=[_Plugin(Profiled)])
    result = run(_options(tmp_path / "data", tmp_path / "out"), registry=registry)
    assert result.run_id == "cpu-seed0" and result.summary["profile"] == "cpu"


# --- the whole scoring chain through the command line -------------------------------------


def test_run_scores_dda_utility_and_privacy_end_to_end(installed_plugins, cli_invoke, tmp_path):
    """A Rossmann stand-in written as ``rossmann_subsampled``; the copycat plugin gives the real
    tables back as its sample; ``syntherela run`` scores DDA, utility (the catalogue's
    Customers task, found through the alias) and DCR, prints them and writes their files."""
    from test_utility import ROSSMANN_METADATA, rossmann_standin

    from syntherela_rgcd.datasets import write_dataset

    data_dir, out = tmp_path / "data", tmp_path / "out"
    write_dataset(data_dir / "original" / "rossmann_subsampled", rossmann_standin(), ROSSMANN_METADATA)
    result = cli_invoke(["run", "--method", "copycat", "--dataset", "rossmann", "--data-dir", data_dir,
                         "--output-dir", out, "--metrics", "dda,utility,privacy", "--quiet"])
    assert result.exit_code == 0, result.output

    assert "rossmann_subsampled / copycat / default-seed0" in result.output
    assert "utility historical.Customers (RMSE, lower is better; real test rows: last 20% of Date)" in result.output
    assert "model selection" in result.output and "feature selection" in result.output
    lines = result.output.splitlines()
    dcr = next(i for i, line in enumerate(lines) if "DCR score (0.5 or more" in line)
    assert [line.split()[0] for line in lines[dcr + 1:dcr + 3]] == ["historical", "store"]

    results = out / "results" / "rossmann_subsampled" / "copycat" / "default-seed0"
    summary = json.loads((results / "summary.json").read_text())
    scores = summary["scores"]["sample1"]
    customers = scores["utility"]["Customers"]
    assert (customers["table"], customers["target"], customers["metric"]) == ("historical", "Customers", "RMSE")
    assert customers["synthetic"] == pytest.approx(customers["real"]) and customers["real"] < customers["naive"]
    assert "models" not in customers  # the per-model detail stays in the utility file
    assert set(scores["dcr"]) == {"store", "historical"}
    assert "store" in scores["dda"]
    detail = json.loads((results / "sample1.utility.json").read_text())
    assert set(detail["Customers"]["models"]) == {"xgboost", "linear", "random_forest", "decision_tree", "knn",
                                                   "svr", "mlp"}
    assert set(json.loads((results / "sample1.privacy.json").read_text())) == {"store", "historical"}
    assert sorted(p.suffix for p in (results / "sample1.dcr").iterdir()) == [".png", ".png"]
    copy_line = next(i for i, line in enumerate(lines) if "rows equal to a real row" in line)
    assert lines[copy_line + 1].split()[:2] == ["historical", "100.0%"], "the copycat's rows are the real ones"
    assert scores["copying"]["rows"]["store"]["synthetic"] == 1.0
    copying = json.loads((results / "sample1.copying.json").read_text())
    assert copying["relationships"]["store_historical_Store"]["degree_ks"] == 0.0 and "twins" not in copying
