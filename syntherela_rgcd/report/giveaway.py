"""What gives a synthetic table away: the DDA classifier's most important features.

DDA says *that* an XGBoost classifier tells real parent rows (with their children's
aggregates) from synthetic ones; the features its folds lean on most say *what* to look at.
The metric is SyntheRela's AggregationDetection with our DDA settings (:func:`dda_metric`), so
the accuracy here is the run's own; learned from ``benchmarks/dda_features.py``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..evaluation.fidelity import dda_metric


@dataclass
class Giveaway:
    """One table's DDA accuracy and its top features with real vs synthetic values."""

    table: str
    accuracy: float
    se: float
    features: list[tuple[str, float]]  # (feature, mean importance over folds), most important first
    real: pd.DataFrame  # the classifier's inputs, real rows (columns: the top features)
    synthetic: pd.DataFrame


def giveaways(real: dict, synthetic: dict, metadata, tables: list[str], top: int = 4) -> list[Giveaway]:
    """Rerun DDA on each of ``tables`` (parents) and keep its ``top`` features."""
    found = []
    for table in tables:
        metric = dda_metric()
        result = metric.run(real, synthetic, metadata, target_table=table)
        importances = metric.feature_importance()
        ranked = sorted(((name, float(np.mean(values))) for name, values in importances.items()),
                        key=lambda item: -item[1])[:top]
        names = [name for name, _ in ranked]
        X, y = metric.X, np.asarray(metric.y)
        found.append(Giveaway(table, float(result["accuracy"]), float(result["SE"]), ranked,
                              X.loc[y == 1, names].reset_index(drop=True), X.loc[y == 0, names].reset_index(drop=True)))
    return found
