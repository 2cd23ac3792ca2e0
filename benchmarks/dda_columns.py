"""Which columns give a synthetic table away: DDA on one column alone and with one column left out.

``dda_features.py`` ranks the discriminator's features by importance, but importance splits
between correlated features and says nothing about relations between columns. This script
reruns SyntheRela's detection (the same XGBoost and folds as our DDA metric) on the target
table with its children's aggregates, (a) on each column alone, which measures how wrong
the column's own distribution is, and (b) on all columns but one, which measures how much
the classifier loses without it; a large drop for a column whose single-column score is
near 0.5 means it is the column's relation to others that is wrong (AirBnB's
``timestamp_first_active`` and ``date_account_created`` before ``datetime_offsets``).
It also prints the score on the table's own columns and on the aggregates only.

    python benchmarks/dda_columns.py --dataset airbnb-simplified_subsampled --table users \\
        --synthetic runs/synthetic/airbnb-simplified_subsampled/rgcd/cpu-seed0/sample1
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd
from syntherela.metadata import Metadata
from syntherela.metrics.base import DetectionBaseMetric
from syntherela.metrics.single_table.detection import SingleTableDetection

from syntherela_rgcd.datasets import PreparedDataset, load_dataset, load_synthetic
from syntherela_rgcd.evaluation.fidelity import dda_metric

REPO = Path(__file__).resolve().parents[1]
DDA = dda_metric()


def detection_accuracy(real: pd.DataFrame, synthetic: pd.DataFrame, columns: list[str]) -> float:
    """Pooled 5-fold accuracy of our DDA's classifier on ``columns`` (ids already dropped)."""
    metric = SingleTableDetection(classifier_cls=DDA.classifier_cls, classifier_args=DDA.classifier_args,
                                  random_state=DDA.random_state)
    X, y = DetectionBaseMetric.prepare_data(metric, real[columns].copy(), synthetic[columns].copy())
    return float(np.mean(metric.stratified_kfold(X, y)))


def with_aggregates(tables: dict, metadata: Metadata, table: str) -> pd.DataFrame:
    """``table`` with its children's aggregates added as DDA adds them, key columns dropped."""
    aggregated, _ = DDA.add_aggregations(tables, Metadata.load_from_dict(metadata.to_dict()), update_metadata=False)
    keys = [c for c, meta in metadata.tables[table].columns.items() if meta["sdtype"] == "id"]
    return aggregated[table].drop(columns=[c for c in keys if c in aggregated[table].columns])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--synthetic", required=True, help="folder with the synthetic CSVs")
    args = parser.parse_args()

    path = Path(args.data_dir) / "original" / args.dataset
    real = PreparedDataset(args.dataset, path, *load_dataset(path, args.dataset))
    synthetic = load_synthetic(Path(args.synthetic), real)
    r = with_aggregates(real.tables, real.metadata, args.table)
    s = with_aggregates(synthetic, real.metadata, args.table)
    columns = list(r.columns)
    own = [c for c in real.tables[args.table].columns if c in columns]
    aggregates = [c for c in columns if c not in own]
    print(f"{args.dataset}.{args.table}: all columns {detection_accuracy(r, s, columns):.3f}, "
          f"own columns {detection_accuracy(r, s, own):.3f}"
          + (f", aggregates only {detection_accuracy(r, s, aggregates):.3f}" if aggregates else ""))
    print(f"{'column':<48} {'alone':>6} {'without':>8}")
    for column in columns:
        rest = [c for c in columns if c != column]
        print(f"{column:<48} {detection_accuracy(r, s, [column]):>6.3f} {detection_accuracy(r, s, rest):>8.3f}")


if __name__ == "__main__":
    main()
