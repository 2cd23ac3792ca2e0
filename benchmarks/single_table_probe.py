"""Fast probe of RGCD's per-table generator: fit one table alone and score its own columns.

On AirBnB the DDA classifier leans on the ``users`` table's own columns far more than on its
sessions' aggregates (``dda_features.py``), so the per-table VAE + diffusion is what limits
the score there. Fitting the table alone (its relationships dropped, so the GNN sees a graph
without edges) and scoring its own columns with our DDA's classifier takes a third of a full
run, which makes a sweep over training and sampler settings affordable. Each ``--config``
(YAML overrides, as for ``syntherela run --config``; repeatable) is fitted with each seed.

    python benchmarks/single_table_probe.py --dataset airbnb-simplified_subsampled --table users \\
        --config a.yaml --config b.yaml --seeds 0,1
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import yaml
from syntherela.metadata import Metadata

from syntherela_rgcd.contract import RunContext
from syntherela_rgcd.datasets import load_dataset
from syntherela_rgcd.rgcd.model import RGCD

from dda_columns import detection_accuracy

REPO = Path(__file__).resolve().parents[1]


def one_table(metadata: Metadata, table: str) -> Metadata:
    spec = metadata.to_dict()
    spec["tables"] = {table: spec["tables"][table]}
    spec["relationships"] = []
    return Metadata.load_from_dict(spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--config", action="append", default=[], help="YAML overrides (repeatable; none = profile)")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seeds", default="0")
    parser.add_argument("--output", type=Path, default=None, help="append JSON lines here")
    args = parser.parse_args()

    path = Path(args.data_dir) / "original" / args.dataset
    tables, metadata = load_dataset(path, args.dataset)
    metadata = one_table(metadata, args.table)
    real = {args.table: tables[args.table]}
    keys = [c for c, m in metadata.tables[args.table].columns.items() if m["sdtype"] == "id"]
    columns = [c for c in real[args.table].columns if c not in keys]
    for config in args.config or [None]:
        overrides = yaml.safe_load(Path(config).read_text()) if config else {}
        for seed in [int(s) for s in args.seeds.split(",")]:
            model = RGCD(profile=args.profile, config=overrides, dataset=args.dataset, seed=seed)
            start = time.perf_counter()
            model.fit(real, metadata, RunContext(progress=False))
            fit = time.perf_counter() - start
            start = time.perf_counter()
            synthetic = model.sample(seed=seed)[args.table]
            sample = time.perf_counter() - start
            accuracy = detection_accuracy(real[args.table], synthetic, columns)
            history = model.history_[args.table]
            record = {"dataset": args.dataset, "table": args.table, "config": config, "overrides": overrides,
                      "seed": seed, "detection": round(accuracy, 4), "fit_seconds": round(fit, 1),
                      "sample_seconds": round(sample, 1),
                      "diffusion_steps": history["diffusion"]["steps"], "vae_steps": history["vae"]["steps"],
                      "best_held_out": history["diffusion"]["best_loss"]}
            print(json.dumps(record), flush=True)
            if args.output:
                with args.output.open("a") as handle:
                    handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
