"""How well one table's diffusion model reproduces the categorical marginals, per learning
rate and number of optimiser steps: the evidence behind the ``cpu`` profile's diffusion lr.

A fitted model (``syntherela run`` saves one under ``<output-dir>/models/...``) gives the
table's VAE and GNN; for each (lr, steps) a fresh diffusion model is trained on the real
rows' latents, conditioned on the GNN's embedding of the real graph, then one latent per
real row is sampled and decoded. Printed: the total variation distance between the real and
synthetic distribution of every categorical column, and their mean, beside the VAE's own
(decoding the real latents), which bounds what the diffusion model can reach.

    python benchmarks/diffusion_marginals.py --dataset airbnb-simplified_subsampled --table users \\
        --model runs/models/airbnb-simplified_subsampled/rgcd/cpu-seed0 --lrs 0.001,0.003 --steps 4400
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from syntherela.data import load_tables, remove_sdv_columns
from syntherela.metadata import Metadata

from syntherela_rgcd.rgcd.diffusion import DiffusionConfig, LatentDiffusion
from syntherela_rgcd.rgcd.model import RGCD
from syntherela_rgcd.rgcd.row_order import real_order
from syntherela_rgcd.rgcd.schema import id_columns

REPO = Path(__file__).resolve().parents[1]


def total_variation(real: pd.Series, synthetic: pd.Series) -> float:
    a = real.astype(str).value_counts(normalize=True)
    b = synthetic.astype(str).value_counts(normalize=True)
    return float(0.5 * a.sub(b, fill_value=0).abs().sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--table", required=True, help="a table generated before any other (no parent features)")
    parser.add_argument("--model", required=True, help="folder of a fitted RGCD model of the dataset")
    parser.add_argument("--lrs", default="0.001,0.003")
    parser.add_argument("--steps", default="4400", help="comma-separated step counts")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    path = Path(args.data_dir) / "original" / args.dataset
    metadata = Metadata.load_from_json(path / "metadata.json")
    real, metadata = remove_sdv_columns(load_tables(path, metadata), metadata)
    model = RGCD.load(args.model)
    if model.modelled_.index(args.table) != 0:
        raise SystemExit(f"{args.table}: only the first generated table ({model.modelled_[0]}) is supported")
    keys = {t: real[t][id_columns(metadata, t)] for t in model.order_}
    rng = np.random.default_rng(model.seed)  # the real rows ranked as the fit ranks them
    columns = model.settings.get("positions", {})
    orders = {t: real_order(real[t], columns.get(t), rng) for t in model.order_}
    positions = {t: m.positions(real[t], orders[t], rng) for t, m in model.positions_.items()}
    graph = model._graph(keys, {}, positions, model.siblings_.structural_features(keys, orders))
    table_model, encoder = model.models_[args.table], model.encoders_[args.table]
    with torch.no_grad():
        h = table_model.gnn.eval().embed(graph)[args.table].float()
    z = table_model.vae.encode(*encoder.transform(real[args.table])).float()
    columns = [c for c in encoder.categorical_names if c is not None]
    columns = list(dict.fromkeys(columns))

    def report(label: str, latents) -> None:
        x_num, x_cat = table_model.vae.decode(latents)
        synthetic = encoder.inverse_transform(x_num.numpy(), x_cat.numpy())
        tv = {c: round(total_variation(real[args.table][c], synthetic[c]), 3) for c in columns}
        print(f"{label}: mean TV {np.mean(list(tv.values())):.3f} {tv}", flush=True)

    report("VAE alone (real latents decoded)", z)
    for lr in (float(v) for v in args.lrs.split(",")):
        for steps in (int(v) for v in args.steps.split(",")):
            config = DiffusionConfig.from_dict({**model.settings["diffusion"], "lr": lr, "max_steps": steps,
                                                "held_out_fraction": 0.0})
            diffusion = LatentDiffusion(z.shape[1], h.shape[1], config)
            started = time.perf_counter()
            history = diffusion.fit(z, h, device="cpu", seed=args.seed, progress=False)
            report(f"lr {lr:g}, {steps} steps ({time.perf_counter() - started:.0f} s, best loss "
                   f"{history['best_loss']:.4f})", diffusion.sample(h, seed=args.seed + 1))


if __name__ == "__main__":
    main()
