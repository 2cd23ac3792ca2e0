"""Fidelity metrics, computed by SyntheRela itself so that scores match the benchmark's.

Each metric name maps to the SyntheRela metric objects it runs and the level it runs at;
``run_report`` runs the selected ones through ``syntherela.report.Report`` (whose JSON is
what we save) and ``summarise`` pulls out the figures a reader wants first.
"""

from __future__ import annotations

import contextlib
import io
import logging
from dataclasses import dataclass
from typing import Callable

from syntherela.metadata import Metadata
from syntherela.metrics.multi_table.detection import (AggregationDetection, ParentChildAggregationDetection,
                                                      ParentChildDetection)
from syntherela.metrics.multi_table.detection.denormalized_detection import DenormalizedDetection
from syntherela.metrics.multi_table.statistical import CardinalityShapeSimilarity
from syntherela.metrics.single_column.distance import TotalVariationDistance, WassersteinDistance
from syntherela.metrics.single_column.statistical import ChiSquareTest, KolmogorovSmirnovTest
from syntherela.metrics.single_table.detection import SingleTableDetection
from syntherela.report import Report
from xgboost import XGBClassifier

from ..errors import UnknownNameError
from ..metadata import is_self_reference, self_references_as_copies

logger = logging.getLogger(__name__)

#: The classifier SyntheRela and the RGCD paper use for DDA.
DDA_NAME = "AggregationDetection-XGBClassifier"
#: The other detection metrics SyntheRela 0.0.4 ships (``detection``), by summary key: a gain
#: on DDA shows here whether it carries over or only fools the one classifier it was tuned on.
#: DDA scores parent tables only; single-table detection scores every table, children too.
DETECTION_NAMES = {
    "single_table": "SingleTableDetection-XGBClassifier",
    "parent_child": "ParentChildDetection-XGBClassifier",
    "parent_child_aggregation": "ParentChildAggregationDetection-XGBClassifier",
    "denormalized": "DenormalizedDetection-XGBClassifier",
}
# n_jobs=1: the folds fit many small boosters, and XGBoost's OpenMP threads next to the other
# OpenMP runtimes loaded in this process (torch, scikit-learn) make a fit 40-200x slower on a
# 2-core machine; the model (and so the score) does not depend on the number of threads.
XGB = {"classifier_cls": XGBClassifier, "classifier_args": {"seed": 0, "n_jobs": 1}, "random_state": 42}


class SelfReferenceAggregationDetection(AggregationDetection):
    """SyntheRela's DDA, which appends to each row aggregates of the rows that point at it
    (count, means, distinct values), extended to self-references. SyntheRela 0.0.4 fails
    on a table that is its own parent (it asks the table for the aggregate columns it is
    adding to it), so each self-relationship is scored as a relationship to a copy of the
    table (:func:`syntherela_rgcd.metadata.self_references_as_copies`): the table's rows then get the
    aggregates of the rows that name them, as any parent does. The copies' own scores,
    which repeat single-table detection, are left out."""

    def run(self, real_data, synthetic_data, metadata, **kwargs):
        copies: list[str] = []
        if any(is_self_reference(rel) for rel in metadata.relationships):
            synthetic_data, _, _ = self_references_as_copies(synthetic_data, metadata)
            real_data, metadata, copies = self_references_as_copies(real_data, metadata)
        results = super().run(real_data, synthetic_data, metadata, **kwargs)
        return {t: r for t, r in results.items() if t not in copies} if isinstance(results, dict) else results


def dda_metric() -> SelfReferenceAggregationDetection:
    """SyntheRela's AggregationDetection with the classifier settings of our DDA scores (also
    what the diagnostic scripts in ``benchmarks/`` rerun, so their accuracies match)."""
    metric = SelfReferenceAggregationDetection(**XGB)
    metric.name = DDA_NAME  # SyntheRela's own name, which its reports and ours key the scores by
    return metric


def _dda():
    return [dda_metric()]


def _cardinality():
    return [CardinalityShapeSimilarity()]


def _detection():
    return [SingleTableDetection(**XGB), ParentChildDetection(**XGB), ParentChildAggregationDetection(**XGB),
            DenormalizedDetection(**XGB)]


def _columns():
    return [ChiSquareTest(), KolmogorovSmirnovTest(), TotalVariationDistance(), WassersteinDistance()]


@dataclass(frozen=True)
class FidelityMetric:
    name: str
    build: Callable[[], list]  # SyntheRela metric objects; each runs at its own level
    summary: str


FIDELITY_METRICS: dict[str, FidelityMetric] = {
    "dda": FidelityMetric("dda", _dda, "discriminative detection with aggregation (accuracy, 0.5 = ideal)"),
    "detection": FidelityMetric("detection", _detection, "SyntheRela's other detection metrics: every table alone, "
                                "each parent-child pair (plain and with aggregates), the denormalised join"),
    "cardinality": FidelityMetric("cardinality", _cardinality, "KS statistic of children-per-parent (0 = ideal)"),
    "columns": FidelityMetric("columns", _columns, "per-column chi-square/KS tests, TV and Wasserstein distances"),
}


def _level(metric) -> str:
    """The Report level a metric runs at: the SyntheRela package it comes from (DDA is a
    single-table metric by class, but scores tables with their children's aggregates)."""
    for level in ("single_column", "single_table", "multi_table"):
        if type(metric).__module__.startswith(f"syntherela.metrics.{level}"):
            return level
    return "multi_table"  # our own extensions of SyntheRela's multi-table metrics


def run_report(
    real: dict,
    synthetic: dict,
    metadata: Metadata,
    names: list[str],
    dataset: str,
    method: str,
    run_id: str,
    sample_id: str,
) -> Report:
    """Run the named fidelity metrics through SyntheRela's Report.

    SyntheRela prints progress and swallows metric errors with ``print``; that output is
    captured and sent to the log so ``--quiet`` stays quiet and nothing is lost.
    """
    levels: dict[str, list] = {"single_column": [], "single_table": [], "multi_table": []}
    for name in names:
        if name not in FIDELITY_METRICS:
            raise UnknownNameError(f"unknown fidelity metric {name!r} (known: {', '.join(FIDELITY_METRICS)})")
        for metric in FIDELITY_METRICS[name].build():
            levels[_level(metric)].append(metric)
    report = Report(
        real_data={k: v.copy() for k, v in real.items()},
        synthetic_data={k: v.copy() for k, v in synthetic.items()},
        metadata=metadata,
        report_name=f"{dataset}_{method}_{run_id}_{sample_id}",
        method_name=method,
        dataset_name=dataset,
        run_id=run_id,
        sample_id=sample_id,
        single_column_metrics=levels["single_column"],
        single_table_metrics=levels["single_table"],
        multi_table_metrics=levels["multi_table"],
        compute_trends=False,
    )
    captured = io.StringIO()
    with contextlib.redirect_stdout(captured):
        report.generate()
    for line in captured.getvalue().splitlines():
        if line.strip() and not line.startswith("No "):
            logger.warning("syntherela: %s", line.strip())
    return report


def summarise(results: dict) -> dict:
    """The headline figures of a Report's results: DDA per table, cardinality per relationship,
    and the share of columns whose marginal test does not reject (p > 0.05)."""
    multi = results.get("multi_table_metrics", {})
    summary: dict = {}
    if DDA_NAME in multi:
        summary["dda"] = {
            table: {"accuracy": float(r["accuracy"]), "se": float(r["SE"])} for table, r in multi[DDA_NAME].items()
        }
    single_table = results.get("single_table_metrics", {})
    detection = {}
    for key, name in DETECTION_NAMES.items():
        scores = (single_table if key == "single_table" else multi).get(name)
        if isinstance(scores, dict) and "accuracy" in scores:  # one score for the whole database
            detection[key] = {"accuracy": float(scores["accuracy"]), "se": float(scores["SE"])}
        elif isinstance(scores, dict):
            detection[key] = {part: {"accuracy": float(r["accuracy"]), "se": float(r["SE"])}
                              for part, r in scores.items() if isinstance(r, dict) and "accuracy" in r}
    if detection:
        summary["detection"] = detection
    if "CardinalityShapeSimilarity" in multi:
        summary["cardinality"] = {rel: float(r["statistic"]) for rel, r in multi["CardinalityShapeSimilarity"].items()}
    single = results.get("single_column_metrics", {})
    tests = [single[n] for n in ("ChiSquareTest", "KolmogorovSmirnovTest") if n in single]
    if tests:
        pvals = [col["p_value"] for test in tests for table in test.values() for col in table.values() if "p_value" in col]
        summary["columns_passing"] = float(sum(p > 0.05 for p in pvals) / len(pvals)) if pvals else None
    return summary
