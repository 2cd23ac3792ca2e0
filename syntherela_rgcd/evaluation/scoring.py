"""Scoring a synthetic sample against the real data.

``evaluate_sample`` reads the sample back from disk exactly as SyntheRela's ``Benchmark``
would (so what is scored is what was written) and runs the selected metrics:

* fidelity (``dda``, ``cardinality``, ``columns``) through SyntheRela's ``Report``, whose JSON
  is saved as ``<sample>.json``;
* ``utility``: train on synthetic, test on real, for the tasks the dataset registers
  (``DatasetSpec.utility_tasks``), saved as ``<sample>.utility.json``;
* ``privacy``: the DCR score per modelled table, saved as ``<sample>.privacy.json`` with one
  histogram per table in ``<sample>.dcr/``; and the copy figures (copied rows, real edges,
  graph invariants, degree and 2-hop statistics: :mod:`.copying`) in ``<sample>.copying.json``,
  through the generator's row correspondence (``<sample>.source_rows.npz``) where it left one.

The headline figures of all of them go into the compact summary the runner keeps.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

from ..datasets import load_synthetic
from ..errors import UnknownNameError
from .copying import copy_figures, headline
from .fidelity import FIDELITY_METRICS, run_report, summarise
from .privacy import evaluate_privacy
from .utility import evaluate_utility, tasks_for

logger = logging.getLogger(__name__)

DEFAULT_METRICS = ("dda", "cardinality")
KNOWN_METRICS: dict[str, str] = {
    **{name: metric.summary for name, metric in FIDELITY_METRICS.items()},
    "utility": "train on synthetic, test on real: score, model and feature selection (per dataset task)",
    "privacy": "distance to closest record (0.5 or more is good) and copy figures: rows equal to real rows, "
               "real edges, graph invariants",
}

#: Evaluation randomness (DDA folds, bootstrap, DCR splits) is fixed, independent of the
#: generator's seed, so that two runs are compared on the same footing.
EVALUATION_SEED = 0


def parse_metrics(metrics: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"dda,cardinality"`` or a list -> validated list of names (``""`` / ``none`` -> no metrics)."""
    names = [m.strip() for m in metrics.split(",")] if isinstance(metrics, str) else list(metrics)
    names = [n for n in names if n and n != "none"]
    unknown = [n for n in names if n not in KNOWN_METRICS]
    if unknown:
        raise UnknownNameError(f"unknown metric(s) {', '.join(unknown)} (known: {', '.join(KNOWN_METRICS)})")
    return names


def evaluate_sample(data, sample_dir: Path, metrics: list[str], method: str, run_id: str, sample_id: str,
                    results_dir: Path, source_rows: dict | None = None) -> dict:
    """Score one sample folder; writes the detail files into ``results_dir`` and returns the
    summary. ``source_rows``: the generator's row correspondence, if it has one."""
    synthetic = load_synthetic(Path(sample_dir), data)
    results_dir = Path(results_dir)
    results_dir.mkdir(parents=True, exist_ok=True)
    logger.info("scoring %s/%s with %s", run_id, sample_id, ", ".join(metrics))
    summary: dict = {}
    fidelity = [name for name in metrics if name in FIDELITY_METRICS]
    if fidelity:
        report = run_report(data.tables, synthetic, data.metadata, fidelity, data.name, method, run_id, sample_id)
        report.save_results(results_dir, f"{sample_id}.json")
        summary.update(summarise(report.results))
    if "utility" in metrics:
        utility = _utility(data, synthetic)
        if utility is not None:
            _write_json(results_dir / f"{sample_id}.utility.json", utility)
            summary["utility"] = {task: _headline(figures) for task, figures in utility.items()}
    if "privacy" in metrics:
        logger.info("privacy: DCR per modelled table")
        dcr = evaluate_privacy(data.tables, synthetic, data.metadata, seed=EVALUATION_SEED,
                               plot_dir=results_dir / f"{sample_id}.dcr")
        _write_json(results_dir / f"{sample_id}.privacy.json", dcr)
        summary["dcr"] = {table: {"score": f["score"], "se": f["se"]} for table, f in dcr.items()}
        logger.info("privacy: copied rows and edges, structure statistics")
        copying = copy_figures(data.tables, synthetic, data.metadata, source_rows, seed=EVALUATION_SEED)
        _write_json(results_dir / f"{sample_id}.copying.json", copying)
        summary["copying"] = headline(copying)
    return summary


def save_source_rows(source_rows: dict | None, results_dir: Path, sample_id: str) -> None:
    """Keep a generator's row correspondence beside the sample's scores, so that ``evaluate``
    measures copying through it later as ``run`` does now."""
    if source_rows is None:
        return
    results_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(results_dir / f"{sample_id}.source_rows.npz", **{t: np.asarray(v) for t, v in source_rows.items()})


def load_source_rows(results_dir: Path, sample_id: str) -> dict | None:
    path = Path(results_dir) / f"{sample_id}.source_rows.npz"
    if not path.is_file():
        return None
    with np.load(path) as arrays:
        return {t: arrays[t] for t in arrays.files}


def _utility(data, synthetic: dict) -> dict | None:
    tasks = tasks_for(data.name)
    if not tasks:
        logger.warning("utility: dataset %r registers no utility task; skipped", data.name)
        return None
    logger.info("utility: %s", ", ".join(f"{t.table}.{t.target} ({t.metric})" for t in tasks))
    return evaluate_utility(data, synthetic, tasks, seed=EVALUATION_SEED)


def _headline(figures: dict) -> dict:
    """The utility figures the summary keeps (the per-model detail stays in the JSON file)."""
    return {key: value for key, value in figures.items() if key != "models"}


def _write_json(path: Path, payload: dict) -> None:
    path.write_text(json.dumps(payload, indent=2, sort_keys=True))
