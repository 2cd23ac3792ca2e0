"""One benchmark run: fit -> sample -> check -> write (SyntheRela layout) -> evaluate.

Output folders (``<out>`` is ``--output-dir``):

    <out>/synthetic/<dataset>/<method>/<run_id>/<sample_id>/<table>.csv   read by syntherela.benchmark.Benchmark
    <out>/results/<dataset>/<method>/<run_id>/<sample_id>.json            SyntheRela Report JSON
    <out>/results/<dataset>/<method>/<run_id>/summary.json                headline figures, timings, config
    <out>/models/<dataset>/<method>/<run_id>/                             the fitted method (Method.save)

Everything of a run is first written under ``<out>/.staging-*`` and only moved into place
when complete, so an interrupted run never leaves a folder that looks finished.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import resource
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from syntherela.metadata import Metadata
from syntherela.utils import NpEncoder

from . import __version__
from .datasets import prepare_dataset, referential_problems
from .errors import DataError, SyntheRelaError
from .contract import CHECKPOINTS, SOURCE_ROWS, RunContext, Tables
from .evaluation.scoring import (DEFAULT_METRICS, evaluate_sample, load_source_rows, parse_metrics,
                                 save_source_rows)
from .plugins import Registry, build_registry
from .table_files import write_tables
from .threads import torch_threads

logger = logging.getLogger(__name__)


@dataclass
class RunOptions:
    """Everything ``syntherela run`` takes; the CLI fills it, notebooks may too."""

    method: str
    dataset: str = "demo"
    data_dir: str | os.PathLike | None = None
    output_dir: str | os.PathLike = "runs"
    seed: int = 0
    profile: str | None = None
    config_file: str | os.PathLike | None = None
    samples: int = 1
    scale: float = 1.0
    metrics: str | list[str] = field(default_factory=lambda: list(DEFAULT_METRICS))
    device: str = "auto"
    time_budget: float | None = None
    executor: str = "inprocess"
    workers: int | None = None
    ray_address: str | None = None
    quiet: bool = False
    #: Continue a fit that was interrupted: reuse the tables' models it saved (a method that
    #: declares the ``checkpoints`` capability; RGCD does).
    resume: bool = False
    #: Settings for a method that takes them (a peer's epochs); passed as ``config["options"]``.
    method_options: dict | None = None
    #: Write an HTML report next to each sample (``syntherela run`` does unless --no-report;
    #: studies do not: a grid of runs is read as a table).
    report: bool = False


@dataclass
class RunResult:
    dataset: str
    method: str
    run_id: str
    summary: dict[str, Any]
    synthetic_dir: Path
    results_dir: Path


def peak_memory_mb() -> float:
    """Peak resident memory so far, in MiB (Linux reports KiB): of this process, or of the
    largest worker process it waited for where that is larger (a peer in its own environment,
    a process-pool worker), so a method's memory is counted wherever it ran."""
    return max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
               resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024.0


def run_id_for(label: str | None, seed: int) -> str:
    """``<label>-seed<N>``: the method's settings label (RGCD's profile, a peer's budget)."""
    return f"{label or 'default'}-seed{seed}"


def check_generated(tables: Tables, real: Tables, metadata: Metadata, method: str) -> Tables:
    """A generator's output must have the real tables and columns and intact foreign keys."""
    missing = sorted(set(real) - set(tables))
    if missing:
        raise SyntheRelaError(f"method {method!r} produced no table(s) {', '.join(missing)}")
    for name, table in real.items():
        absent = [c for c in table.columns if c not in tables[name].columns]
        if absent:
            raise SyntheRelaError(f"method {method!r}: table {name!r} lacks column(s) {', '.join(absent)}")
    problems = referential_problems(tables, metadata)
    if problems:
        raise SyntheRelaError(f"method {method!r} broke referential integrity: {problems[0]}")
    return {name: tables[name][list(real[name].columns)] for name in real}


def run(options: RunOptions, registry: Registry | None = None) -> RunResult:
    """Fit, sample, write and score one method on one dataset."""
    registry = registry or build_registry()
    spec = registry.method(options.method)
    metrics = parse_metrics(options.metrics)
    data = prepare_dataset(options.dataset, options.data_dir, registry)
    out = Path(options.output_dir)
    settings = {
        "dataset": data.name,
        "profile": options.profile,
        "config_file": str(options.config_file) if options.config_file else None,
        "seed": options.seed,
        "time_budget": options.time_budget,
        "quiet": options.quiet,
        "options": dict(options.method_options or {}),
    }
    method = spec.factory(settings)
    run_id = run_id_for(method.label, options.seed)
    logger.info("run %s on %s (%s): %d tables, %d rows", spec.name, data.name, run_id,
                len(data.tables), sum(len(t) for t in data.tables.values()))

    out.mkdir(parents=True, exist_ok=True)
    checkpoints = out / ".checkpoints" / data.name / spec.name / run_id
    if CHECKPOINTS in spec.capabilities:
        if not options.resume:
            shutil.rmtree(checkpoints, ignore_errors=True)  # a fresh run starts from nothing
        elif checkpoints.is_dir():
            logger.info("resuming: models of tables already fitted are taken from %s", checkpoints)
    elif options.resume:
        logger.warning("method %r cannot resume an interrupted fit; fitting from the start", spec.name)
    context = RunContext(device=options.device, progress=not options.quiet, executor=options.executor,
                         workers=options.workers, ray_address=options.ray_address,
                         checkpoint_dir=str(checkpoints) if CHECKPOINTS in spec.capabilities else None)
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
    try:
        start = time.perf_counter()
        method.fit({k: v.copy() for k, v in data.tables.items()}, data.metadata, context)
        fit_seconds = time.perf_counter() - start
        fit_peak = peak_memory_mb()
        logger.info("fitted %s in %.1f s", spec.name, fit_seconds)
        method.save(staging / "model")

        sample_seconds, sample_summaries = [], {}
        for index in range(options.samples):
            sample_id = f"sample{index + 1}"
            start = time.perf_counter()
            if SOURCE_ROWS in spec.capabilities:
                generated, source_rows = method.sample_with_source_rows(seed=options.seed + index, scale=options.scale)
            else:
                generated, source_rows = method.sample(seed=options.seed + index, scale=options.scale), None
            sample_seconds.append(time.perf_counter() - start)
            if index == 0:
                generate_peak = peak_memory_mb()  # fit and one sample, before any scoring
            generated = check_generated(generated, data.tables, data.metadata, spec.name)
            sample_dir = staging / "synthetic" / sample_id
            write_tables(generated, sample_dir, data.metadata)
            save_source_rows(source_rows, staging / "results", sample_id)
            if metrics:
                sample_summaries[sample_id] = evaluate_sample(
                    data, sample_dir, metrics, spec.name, run_id, sample_id, staging / "results", source_rows
                )
        summary = {
            "dataset": data.name,
            "method": spec.name,
            "run_id": run_id,
            "profile": method.label,
            "seed": options.seed,
            "samples": options.samples,
            "scale": options.scale,
            "metrics": metrics,
            "fit_seconds": round(fit_seconds, 2),
            "sample_seconds": [round(s, 2) for s in sample_seconds],
            "peak_memory_mb_fit": round(fit_peak, 1),
            "peak_memory_mb_generate": round(generate_peak, 1),
            "peak_memory_mb": round(peak_memory_mb(), 1),
            "scores": sample_summaries,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores",
            "threads": torch_threads(),
            "package_version": __version__,
            "config": method.settings,
        }
        (staging / "results").mkdir(exist_ok=True)
        (staging / "results" / "summary.json").write_text(json.dumps(summary, indent=2, cls=NpEncoder))
        destinations = {
            "synthetic": out / "synthetic" / data.name / spec.name / run_id,
            "results": out / "results" / data.name / spec.name / run_id,
            "model": out / "models" / data.name / spec.name / run_id,
        }
        for part, destination in destinations.items():
            publish(staging / part, destination)
        shutil.rmtree(checkpoints, ignore_errors=True)  # the run is complete: nothing left to resume
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    result = RunResult(data.name, spec.name, run_id, summary, destinations["synthetic"], destinations["results"])
    if options.report:
        write_run_reports(data, result.synthetic_dir, result.results_dir, spec.name, run_id, giveaway="dda" in metrics)
    return result


def write_run_reports(data, synthetic_dir: Path, results_dir: Path, method: str, run_id: str,
                      giveaway: bool = True) -> list[Path]:
    """``<sample>.report.html`` beside each sample folder of a run (see :mod:`.report`)."""
    from .report import write_report

    written = []
    for sample in sorted(p for p in Path(synthetic_dir).iterdir() if p.is_dir()):
        logger.info("report: %s", sample.with_name(f"{sample.name}.report.html"))
        written.append(write_report(data, sample, results_dir, sample.with_name(f"{sample.name}.report.html"),
                                    sample_id=sample.name, method=method, run_id=run_id, giveaway=giveaway))
    return written


def _runs_on_disk(out: Path, dataset: str, method: str, run_id: str | None, fix: str = "") -> tuple[Path, list[str]]:
    """The method's synthetic folder and the run ids to use (``run_id``, else every run there)."""
    method_dir = out / "synthetic" / dataset / method
    if not method_dir.is_dir():
        raise DataError(f"no synthetic data for method {method!r} on {dataset!r}: {method_dir} does not exist{fix}")
    return method_dir, [run_id] if run_id else sorted(p.name for p in method_dir.iterdir() if p.is_dir())


def report(method: str, dataset: str, data_dir: str | os.PathLike | None = None, output_dir: str | os.PathLike = "runs",
           run_id: str | None = None, giveaway: bool = True, registry: Registry | None = None) -> list[Path]:
    """Reports of runs already on disk (every run of the method on the dataset unless ``run_id``)."""
    registry = registry or build_registry()
    data = prepare_dataset(dataset, data_dir, registry)
    out = Path(output_dir)
    method_dir, run_ids = _runs_on_disk(out, data.name, method, run_id,
                                        f"; run 'syntherela run --method {method} --dataset {data.name}' first")
    written = []
    for rid in run_ids:
        if not (method_dir / rid).is_dir():
            raise DataError(f"no run {rid!r} of method {method!r} on {data.name!r} in {method_dir}")
        written += write_run_reports(data, method_dir / rid, out / "results" / data.name / method / rid, method, rid,
                                     giveaway)
    return written


def publish(source: Path, destination: Path) -> None:
    """Move a finished folder into place, replacing an older run with the same id."""
    if not source.exists():
        return
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        shutil.rmtree(destination)
    os.replace(source, destination)


def evaluate(
    method: str,
    dataset: str,
    data_dir: str | os.PathLike | None = None,
    output_dir: str | os.PathLike = "runs",
    run_id: str | None = None,
    metrics: str | list[str] = DEFAULT_METRICS,
    registry: Registry | None = None,
) -> list[RunResult]:
    """Score synthetic data already on disk in SyntheRela's layout (any generator's)."""
    registry = registry or build_registry()
    names = parse_metrics(metrics)
    data = prepare_dataset(dataset, data_dir, registry)
    out = Path(output_dir)
    method_dir, run_ids = _runs_on_disk(out, data.name, method, run_id)
    results = []
    for rid in run_ids:
        run_dir = method_dir / rid
        samples = sorted(p for p in run_dir.iterdir() if p.is_dir()) if run_dir.is_dir() else []
        if not samples:
            raise DataError(f"no sample folders in {run_dir}")
        destination = out / "results" / data.name / method / rid
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=out))
        try:
            scores = {s.name: evaluate_sample(data, s, names, method, rid, s.name, staging,
                                              load_source_rows(destination, s.name)) for s in samples}
            summary_file = destination / "summary.json"
            summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {
                "dataset": data.name, "method": method, "run_id": rid, "samples": len(samples),
            }
            summary["scores"] = {**summary.get("scores", {}), **_merge_scores(summary.get("scores", {}), scores)}
            summary["metrics"] = sorted(set(summary.get("metrics", [])) | set(names))
            (staging / "summary.json").write_text(json.dumps(summary, indent=2, cls=NpEncoder))
            destination.mkdir(parents=True, exist_ok=True)
            for file in staging.iterdir():
                target = destination / file.name
                if file.is_dir():  # e.g. the DCR histograms: the new ones replace the old
                    shutil.rmtree(target, ignore_errors=True)
                elif file.name in {f"{s.name}.json" for s in samples}:
                    _keep_earlier_metrics(file, target)
                os.replace(file, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        results.append(RunResult(data.name, method, rid, summary, run_dir, destination))
    return results


def _keep_earlier_metrics(new_file: Path, old_file: Path) -> None:
    """Merge into a sample's new Report JSON the metrics of the one it replaces that were not
    recomputed (``evaluate --metrics cardinality`` must not drop the DDA of the run)."""
    if not old_file.is_file():
        return
    try:
        old = json.loads(old_file.read_text())
    except (OSError, ValueError):
        return
    new = json.loads(new_file.read_text())
    for level in ("single_column_metrics", "single_table_metrics", "multi_table_metrics"):
        if isinstance(old.get(level), dict):
            new[level] = {**old[level], **(new.get(level) or {})}
    new_file.write_text(json.dumps(new, sort_keys=True, indent=4, cls=NpEncoder))


def _merge_scores(old: dict, new: dict) -> dict:
    merged = {}
    for sample, figures in new.items():
        merged[sample] = {**old.get(sample, {}), **figures}
    return merged
