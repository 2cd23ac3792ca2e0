"""Which features give a synthetic table away: the DDA discriminator's feature importances.

SyntheRela's DDA (AggregationDetection with XGBoost) adds each parent's children aggregates
(row count, means, n-unique...) to the parent table and trains a real-vs-synthetic
classifier. Its accuracy alone does not say what to fix; this script runs the same metric
on one table of a saved synthetic sample and prints the features the folds' classifiers
lean on most, with the real and synthetic means of each, so a generator change can target
the feature that separates them.

    python benchmarks/dda_features.py --dataset airbnb-simplified_subsampled --table users \\
        --synthetic runs/synthetic/airbnb-simplified_subsampled/rgcd/cpu-seed0/sample1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from syntherela.data import load_tables, remove_sdv_columns
from syntherela.metadata import Metadata
from syntherela.metrics.multi_table.detection import AggregationDetection
from xgboost import XGBClassifier

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--table", required=True, help="a table with children (DDA's target)")
    parser.add_argument("--synthetic", required=True, help="folder with the synthetic CSVs")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()

    path = Path(args.data_dir) / "original" / args.dataset
    metadata = Metadata.load_from_json(path / "metadata.json")
    real, metadata = remove_sdv_columns(load_tables(path, metadata), metadata)
    synthetic, _ = remove_sdv_columns(load_tables(Path(args.synthetic), metadata), metadata)
    # The settings of our DDA metric (syntherela_rgcd/evaluation/fidelity.py), so the accuracy matches.
    metric = AggregationDetection(classifier_cls=XGBClassifier, classifier_args={"seed": 0, "n_jobs": 1},
                                  random_state=42)
    result = metric.run(real, synthetic, metadata, target_table=args.table)
    print(f"{args.dataset}.{args.table}: DDA accuracy {result['accuracy']:.3f} +- {result['SE']:.3f}")
    importances = metric.feature_importance()
    X, y = metric.X, metric.y
    print(f"{'feature':<60} {'importance':>10} {'real mean':>12} {'synth mean':>12}")
    for name, values in list(importances.items())[: args.top]:
        column = X[name].astype(float)
        print(f"{name:<60} {np.mean(values):>10.3f} {column[y == 1].mean():>12.4g} {column[y == 0].mean():>12.4g}")


if __name__ == "__main__":
    main()
