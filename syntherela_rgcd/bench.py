"""``syntherela bench STUDY.yaml``: a grid of runs from one file, then the leaderboard.

A study (``benchmark_configs/*.yaml`` at the top of the repository) names datasets, methods
with their options, seeds, metrics and samples::

    name: quick
    datasets: [demo]
    methods:
      rgcd: {profile: smoke}
      sdv: {}
      rctgan: {options: {epochs: 20}}   # options go to the method (peers: their worker)
    seeds: [0]
    metrics: [dda, cardinality]
    samples: 1

Each (dataset, method, seed) is one ``syntherela run`` process, so each run's peak memory is
its own and a crash stays in it; a run already finished in the output folder is skipped, a
failed one is reported and the rest go on. The runs go to an executor of
:mod:`.executors` (``inprocess``: one after another; ``process``: a local pool; ``ray``: Ray
tasks, on a cluster with ``--ray-address``). Then the leaderboard of the study's results,
published rows beside the measured ones, is written next to them.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .datasets import canonical_name, ensure_built, resolve_data_dir
from .errors import DataError
from .executors import make_executor
from .isolated import budget_label
from .leaderboard import build_leaderboard, collect_runs, render
from .plugins import build_registry
from .threads import usable_cores

logger = logging.getLogger(__name__)
KEYS = {"name", "datasets", "methods", "seeds", "metrics", "samples", "scale", "description"}
METHOD_KEYS = {"profile", "config", "options", "time_budget"}


@dataclass(frozen=True)
class BenchRun:
    dataset: str
    method: str
    seed: int
    settings: dict = field(default_factory=dict, compare=False)


@dataclass
class Study:
    name: str
    runs: list[BenchRun]
    metrics: list[str]
    samples: int = 1
    scale: float = 1.0


def load_study(path: str | os.PathLike) -> Study:
    """Read and check a study file; every problem is one line naming the file and the key."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise DataError(f"study {path}: cannot read it ({str(exc).splitlines()[0]})") from None
    if not isinstance(spec, dict):
        raise DataError(f"study {path}: expected a mapping of name, datasets, methods, seeds, metrics")
    unknown = sorted(set(spec) - KEYS)
    if unknown:
        raise DataError(f"study {path}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})")
    for key in ("datasets", "methods"):
        if not spec.get(key):
            raise DataError(f"study {path}: '{key}' is missing or empty")
    methods = spec["methods"]
    if isinstance(methods, list):
        methods = {name: {} for name in methods}
    for name, settings in methods.items():
        settings = settings or {}
        bad = sorted(set(settings) - METHOD_KEYS)
        if bad:
            raise DataError(f"study {path}: method {name!r}: unknown setting(s) {', '.join(bad)} "
                            f"(known: {', '.join(sorted(METHOD_KEYS))})")
        methods[name] = settings
    seeds = spec.get("seeds", [0])
    runs = [BenchRun(str(d), str(m), int(s), methods[m]) for d in spec["datasets"] for m in methods for s in seeds]
    metrics = spec.get("metrics", ["dda", "cardinality"])
    return Study(str(spec.get("name") or path.stem), runs, [metrics] if isinstance(metrics, str) else list(metrics),
                 int(spec.get("samples", 1)), float(spec.get("scale", 1.0)))


def finished(output_dir: Path, run: BenchRun, dataset: str) -> bool:
    """A summary for this dataset, method, seed and budget exists: the profile where the study
    names one, else a peer's options as its run is named (``epochs60``), so that a run at another
    budget does not count as this one."""
    folder = output_dir / "results" / dataset / run.method
    options = run.settings.get("options")
    wanted = run.settings.get("profile") or (budget_label(options) if options else None)
    for summary_file in folder.glob("*/summary.json"):
        summary = json.loads(summary_file.read_text())
        if summary.get("seed") == run.seed and wanted in (None, summary.get("profile")):
            return True
    return False


def command_for(run: BenchRun, study: Study, output_dir: Path, data_dir: str | None, resume: bool,
                study_dir: Path) -> list[str]:
    command = [sys.executable, "-m", "syntherela_rgcd.cli", "run", "--method", run.method, "--dataset", run.dataset,
               "--seed", str(run.seed), "--samples", str(study.samples), "--scale", str(study.scale),
               "--metrics", ",".join(study.metrics) or "none", "--output-dir", str(output_dir), "--quiet"]
    if data_dir:
        command += ["--data-dir", str(data_dir)]
    if run.settings.get("profile"):
        command += ["--profile", str(run.settings["profile"])]
    if run.settings.get("config"):
        command += ["--config", str((study_dir / run.settings["config"]).resolve())]
    if run.settings.get("time_budget"):
        command += ["--time-budget", str(run.settings["time_budget"])]
    if run.settings.get("options"):
        command += ["--options", json.dumps(run.settings["options"])]
    if resume:
        command.append("--resume")
    return command


def execute(task: tuple[str, list[str], int | None]) -> dict[str, Any]:
    """One run in its own process: its exit code, last error line (what the CLI printed) and
    wall seconds. Its start and end are logged (where the executor runs it), so a long study
    shows progress. ``threads`` also goes to the environment, where a peer's worker reads it."""
    label, command, threads = task
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)} if threads else {})}
    started = time.monotonic()
    logging.getLogger(__name__).info("%s: started", label)
    done = subprocess.run(command + (["--threads", str(threads)] if threads else []), capture_output=True,
                          text=True, env=env)
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    tail = errors[-1] if errors else (done.stderr.strip().splitlines() or [""])[-1]
    seconds = round(time.monotonic() - started, 1)
    logging.getLogger(__name__).info("%s: %s after %.0f s", label, "done" if done.returncode == 0 else "failed",
                                     seconds)
    return {"returncode": done.returncode, "error": tail if done.returncode else "", "seconds": seconds}


def run_study(study_file: str | os.PathLike, output_dir: str | os.PathLike | None = None,
              data_dir: str | os.PathLike | None = None, executor: str = "inprocess", workers: int | None = None,
              ray_address: str | None = None, resume: bool = False, threads: int | None = None) -> dict:
    """Run every unfinished run of the study, then write its leaderboard; returns what ran
    (``outcomes``: per run, its exit code, error line and wall seconds)."""
    study = load_study(study_file)
    out = Path(output_dir or Path("runs") / "bench" / study.name)
    registry = build_registry()
    for run in study.runs:
        registry.method(run.method)  # an unknown method fails before anything runs
    root = resolve_data_dir(data_dir)
    todo, skipped = [], []
    for run in study.runs:
        dataset = canonical_name(run.dataset, registry.datasets, root)
        ensure_built(registry.datasets.get(dataset), root)  # once here, not by runs side by side
        (skipped if finished(out, run, dataset) else todo).append(run)
    logger.info("study %s: %d runs, %d already finished, %d to run", study.name, len(study.runs), len(skipped),
                len(todo))
    pool = make_executor(executor, workers, ray_address)
    if threads is None and executor == "process":  # runs side by side share the cores
        threads = max(usable_cores() // pool.workers, 1)
    commands = [(f"run {i}/{len(todo)} ({r.dataset} / {r.method} / seed {r.seed})",
                 command_for(r, study, out, str(data_dir) if data_dir else None, resume, Path(study_file).parent),
                 threads)
                for i, r in enumerate(todo, 1)]
    try:
        outcomes = pool.map(execute, commands) if commands else []
    finally:
        pool.close()
    failed = [(run, outcome["error"]) for run, outcome in zip(todo, outcomes) if outcome["returncode"] != 0]
    for run, error in failed:
        logger.error("%s / %s / seed %d failed: %s", run.dataset, run.method, run.seed, error)
    rows = build_leaderboard(collect_runs([out / "results"], missing_ok=True), "dda", None)
    board = out / "LEADERBOARD.md"
    board.parent.mkdir(parents=True, exist_ok=True)
    fd, staging = tempfile.mkstemp(dir=board.parent, suffix=".md")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(render(rows, "md", metric="dda", results_dirs=[str(out / "results")]))
    os.replace(staging, board)
    return {"ran": todo, "skipped": skipped, "failed": failed, "leaderboard": board,
            "outcomes": dict(zip(todo, outcomes))}
