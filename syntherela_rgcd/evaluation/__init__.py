"""Scoring a synthetic sample against the real data.

``evaluate_sample`` reads the sample back from disk exactly as SyntheRela's ``Benchmark``
would (so what is scored is what was written), runs the selected metrics and saves the
SyntheRela Report JSON next to a compact summary.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ..errors import UnknownNameError
from .fidelity import FIDELITY_METRICS, run_report, summarise

logger = logging.getLogger(__name__)

DEFAULT_METRICS = ("dda", "cardinality")
KNOWN_METRICS = dict(FIDELITY_METRICS)


def parse_metrics(metrics: str | list[str] | tuple[str, ...]) -> list[str]:
    """``"dda,cardinality"`` or a list -> validated list of names (``""`` / ``none`` -> no metrics)."""
    names = [m.strip() for m in metrics.split(",")] if isinstance(metrics, str) else list(metrics)
    names = [n for n in names if n and n != "none"]
    unknown = [n for n in names if n not in KNOWN_METRICS]
    if unknown:
        raise UnknownNameError(f"unknown metric(s) {', '.join(unknown)} (known: {', '.join(KNOWN_METRICS)})")
    return names


def evaluate_sample(data, sample_dir: Path, metrics: list[str], method: str, run_id: str, sample_id: str,
                    results_dir: Path) -> dict:
    """Score one sample folder; writes ``<results_dir>/<sample_id>.json`` and returns the summary."""
    from ..datasets import load_synthetic

    synthetic = load_synthetic(Path(sample_dir), data)
    logger.info("scoring %s/%s with %s", run_id, sample_id, ", ".join(metrics))
    report = run_report(data.tables, synthetic, data.metadata, metrics, data.name, method, run_id, sample_id)
    report.save_results(results_dir, f"{sample_id}.json")
    return summarise(report.results)
