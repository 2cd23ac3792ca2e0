"""Sampler ablation without refitting: sample a saved RGCD model with other sampler settings and score it.

The sampler's settings (``s_churn``, ``num_steps``) and the sampling-time sibling patches
(``sibling_noise=0`` draws iid starting noise, ``sibling_values=0`` decodes without the
distinct-count rule) do not change the networks, so their effect is measured on models
already fitted by a run or an ablation grid: each model folder is
loaded, its diffusion models get the settings, ``--samples`` samples are drawn (seeds from the
run's own) and scored with our DDA (and any other ``--metrics``). One line per model and setting is printed
and, with ``--output``, all results are written as JSON.

    python benchmarks/resample.py runs/ablation/ablation_fidelity/final/models/*/rgcd/cpu-seed* \\
        --setting s_churn=0,num_steps=50 --setting s_churn=1,num_steps=100 --output results/x.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from syntherela_rgcd.datasets import prepare_dataset
from syntherela_rgcd.evaluation import evaluate_sample, parse_metrics
from syntherela_rgcd.plugins import build_registry
from syntherela_rgcd.rgcd.model import RGCD
from syntherela_rgcd.runner import check_generated, write_tables

REPO = Path(__file__).resolve().parents[1]


MODEL_SWITCHES = ("sibling_noise", "sibling_values")


def parse_setting(text: str) -> dict:
    """``s_churn=1,num_steps=100`` -> {"s_churn": 1.0, "num_steps": 100}."""
    setting = {}
    for part in text.split(","):
        key, value = part.split("=")
        setting[key.strip()] = int(value) if key.strip() == "num_steps" else float(value)
    return setting


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="+", type=Path, help="saved model folders (<out>/models/<dataset>/rgcd/<run_id>)")
    parser.add_argument("--setting", action="append", required=True, help="e.g. s_churn=1,num_steps=100 (repeatable)")
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--metrics", default="dda")
    parser.add_argument("--samples", type=int, default=1,
                        help="samples per model and setting (seeds: the run's seed, +1, ...); DDA on small "
                             "tables (Walmart's 45 stores) varies by several points between samples")
    parser.add_argument("--output", type=Path, default=None)
    args = parser.parse_args()

    registry = build_registry()
    metrics = parse_metrics(args.metrics)
    results = []
    for folder in args.models:
        model = RGCD.load(folder)
        data = prepare_dataset(folder.parents[1].name, args.data_dir, registry)
        seed = int(model.config["seed"])
        for text in args.setting:
            setting = parse_setting(text)
            model = RGCD.load(folder)  # afresh, so one setting's switches do not leak into the next
            for key, value in setting.items():
                if key == "sibling_noise" and not value:
                    model.sibling_noise = {}
                elif key == "sibling_values" and not value:
                    model.sibling_rules = {}
                elif key not in MODEL_SWITCHES:
                    for table_model in model.models.values():
                        setattr(table_model.diffusion.config, key, value)
            for sample_seed in range(seed, seed + args.samples):
                start = time.perf_counter()
                generated = check_generated(model.sample(seed=sample_seed), data.tables, data.metadata, "rgcd")
                seconds = time.perf_counter() - start
                with tempfile.TemporaryDirectory() as tmp:
                    sample_dir = Path(tmp) / "sample1"
                    write_tables(generated, sample_dir, data.metadata)
                    scores = evaluate_sample(data, sample_dir, metrics, "rgcd", folder.name, "sample1", Path(tmp) / "results")
                dda = {t: round(f["accuracy"], 4) for t, f in scores.get("dda", {}).items()}
                dcr = {t: round(f["score"], 4) for t, f in scores.get("dcr", {}).items()}
                utility = next(iter(scores.get("utility", {}).values()), None)
                results.append({"model": str(folder), "dataset": data.name, "seed": seed, "sample_seed": sample_seed,
                                "setting": setting, "dda": dda, "dcr": dcr, "utility": utility,
                                "sample_seconds": round(seconds, 1)})
                extra = f", DCR {dcr}" if dcr else ""
                if utility:
                    extra += f", {utility['metric']} {utility['synthetic']:.4g}"
                print(f"{data.name} model seed {seed} sample seed {sample_seed} {text}: DDA {dda} "
                      f"(worst {max(dda.values()):.3f}){extra}, sample {seconds:.1f} s", flush=True)
    if args.output:
        args.output.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
