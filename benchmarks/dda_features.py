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
import sys
from pathlib import Path

from syntherela.data import load_tables, remove_sdv_columns
from syntherela.metadata import Metadata

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syntherela_rgcd.report.giveaway import giveaways  # noqa: E402


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
    # the report's giveaway: SyntheRela's DDA with our settings, so the accuracy matches the run's
    found = giveaways(real, synthetic, metadata, [args.table], top=args.top)[0]
    print(f"{args.dataset}.{args.table}: DDA accuracy {found.accuracy:.3f} +- {found.se:.3f}")
    print(f"{'feature':<60} {'importance':>10} {'real mean':>12} {'synth mean':>12}")
    for name, importance in found.features:
        print(f"{name:<60} {importance:>10.3f} {found.real[name].astype(float).mean():>12.4g} "
              f"{found.synthetic[name].astype(float).mean():>12.4g}")

if __name__ == "__main__":
    main()
