"""How well one table's VAE reconstructs its columns after a fixed number of steps, per
learning rate: the evidence behind the VAE lr 0.01 in the Walmart, CORA and AirBnB ``cpu``
configs (the default stays the paper's 0.001, which assumes 4,000 epochs).

For each learning rate the VAE is trained from the same seed for ``--steps`` optimiser
steps (the cpu profile's other VAE settings), then every real row is encoded and decoded.
Printed per run: categorical accuracy per column, numerical RMSE in model space, distinct
values of ``--column`` after decoding, and (with ``--group``) its mean distinct count per group.

    python benchmarks/vae_learning_rate.py --dataset walmart_subsampled --table depts \\
        --column Dept --group Store --steps 3300 --lrs 0.001,0.01
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from syntherela.data import load_tables, remove_sdv_columns
from syntherela.metadata import Metadata

from syntherela_rgcd.rgcd.config import resolve_config
from syntherela_rgcd.rgcd.encoding import TableEncoder
from syntherela_rgcd.rgcd.training import seed_everything
from syntherela_rgcd.rgcd.vae import VAEConfig, train_vae

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--table", required=True)
    parser.add_argument("--column", required=True, help="categorical column whose distinct values are counted")
    parser.add_argument("--group", default=None, help="column to count distinct values within (e.g. the foreign key)")
    parser.add_argument("--steps", type=int, default=3300)
    parser.add_argument("--lrs", default="0.001,0.01")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    path = Path(args.data_dir) / "original" / args.dataset
    metadata = Metadata.load_from_json(path / "metadata.json")
    tables, metadata = remove_sdv_columns(load_tables(path, metadata), metadata)
    real = tables[args.table]
    encoder = TableEncoder().fit(real, metadata.tables[args.table].columns)
    x_num, x_cat = encoder.transform(real)
    names = encoder.categorical_names
    base = resolve_config("cpu", args.dataset)["vae"]
    print(f"{args.dataset}.{args.table}: {len(real)} rows, real distinct {args.column}: {real[args.column].nunique()}"
          + (f", per {args.group}: {real.groupby(args.group)[args.column].nunique().mean():.1f}" if args.group else ""))
    for lr in (float(v) for v in args.lrs.split(",")):
        config = VAEConfig.from_dict({**base, "lr": lr, "max_steps": args.steps})
        seed_everything(args.seed)
        vae = config.build(encoder.n_num, encoder.cardinalities)
        started = time.perf_counter()
        history = train_vae(vae, x_num, x_cat, config, torch.device("cpu"), args.seed, progress=False)
        with torch.no_grad():
            d_num, d_cat = vae.decode(vae.encode(x_num, x_cat))
        decoded = encoder.inverse_transform(d_num.numpy(), d_cat.numpy())
        accuracy = {n or f"missing#{j}": round(float((d_cat[:, j].numpy() == x_cat[:, j]).mean()), 3) for j, n in enumerate(names)}
        rmse = np.sqrt(((d_num.numpy() - x_num) ** 2).mean(axis=0)).round(3).tolist()
        line = (f"lr {lr:g}: {history['steps']} steps, {time.perf_counter() - started:.0f} s; accuracy {accuracy}; "
                f"numerical RMSE {rmse}; decoded distinct {args.column}: {decoded[args.column].nunique()}")
        if args.group:
            per_group = decoded.assign(_g=real[args.group].to_numpy()).groupby("_g")[args.column].nunique().mean()
            line += f", per {args.group}: {per_group:.1f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
