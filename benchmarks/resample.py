"""Sampler ablation without refitting: sample a saved RGCD model with other sampler settings and score it.

The sampler's settings (``s_churn``, ``num_steps``) and the sampling-time sibling settings
(``siblings.noise=0`` draws iid starting noise, ``siblings.noise=0.5`` half the learnt
correlation, ``siblings.values=0`` decodes without the distinct-count rule) do not change the
networks, so their effect is measured on models
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
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from syntherela_rgcd.datasets import prepare_dataset
from syntherela_rgcd.evaluation.scoring import evaluate_sample, parse_metrics
from syntherela_rgcd.evaluation.copying import copy_figures
from syntherela_rgcd.plugins import build_registry
from syntherela_rgcd.rgcd.model import RGCD
from syntherela_rgcd.runner import check_generated
from syntherela_rgcd.table_files import write_tables

REPO = Path(__file__).resolve().parents[1]


MODEL_SWITCHES = ("siblings.noise", "siblings.values", "structure", "degree_twin_correlation", "scale")


def parse_setting(text: str) -> dict:
    """``s_churn=1,num_steps=100`` -> {"s_churn": 1.0, "num_steps": 100}; ``structure`` keeps
    its text (copy, auto, generate)."""
    setting = {}
    for part in text.split(","):
        key, value = (item.strip() for item in part.split("="))
        setting[key] = value if key == "structure" else int(value) if key == "num_steps" else float(value)
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
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON of every sample; a Markdown summary (mean per dataset and setting) goes beside it")
    args = parser.parse_args()

    registry = build_registry()
    metrics = parse_metrics(args.metrics)
    results = []
    for folder in args.models:
        data = prepare_dataset(folder.parents[1].name, args.data_dir, registry)
        for text in args.setting:
            setting = parse_setting(text)
            model = RGCD.load(folder)  # afresh, so one setting's switches do not leak into the next
            seed = model.seed
            for key, value in setting.items():
                if key == "siblings.noise":  # a strength: 0 = iid noise, 1 = the learnt correlation
                    model.siblings_.settings = replace(model.siblings_.settings, noise=value)
                elif key == "siblings.values" and not value:
                    model.siblings_.rules_ = {}
                elif key in ("structure", "degree_twin_correlation"):  # rgcd/structure.py
                    model.settings[key] = value
                elif key not in MODEL_SWITCHES:
                    for table_model in model.models_.values():
                        setattr(table_model.diffusion.config, key, value)
            scale = float(setting.get("scale", 1.0))
            for sample_seed in range(seed, seed + args.samples):
                start = time.perf_counter()
                structure = model.sample_structure(sample_seed, scale)  # kept for the copy figures
                generated = check_generated(model.sample(seed=sample_seed, scale=scale, structure=structure),
                                            data.tables, data.metadata, "rgcd")
                seconds = time.perf_counter() - start
                copying = copy_figures(data.tables, generated, data.metadata, structure.source_rows)
                with tempfile.TemporaryDirectory() as tmp:
                    sample_dir = Path(tmp) / "sample1"
                    write_tables(generated, sample_dir, data.metadata)
                    scores = evaluate_sample(data, sample_dir, metrics, "rgcd", folder.name, "sample1", Path(tmp) / "results")
                dda = {t: round(f["accuracy"], 4) for t, f in scores.get("dda", {}).items()}
                dcr = {t: round(f["score"], 4) for t, f in scores.get("dcr", {}).items()}
                utility = next(iter(scores.get("utility", {}).values()), None)
                results.append({"model": str(folder), "dataset": data.name, "seed": seed, "sample_seed": sample_seed,
                                "setting": setting, "dda": dda, "dcr": dcr, "utility": utility,
                                "copying": copying, "sample_seconds": round(seconds, 1)})
                extra = f", DCR {dcr}" if dcr else ""
                if utility:
                    extra += f", {utility['metric']} {utility['synthetic']:.4g}"
                for table, link in copying["links"].items():
                    extra += f", {table} real edges {link.get('real_edges_share', float('nan')):.1%}"
                    if "triangles_real" in link:
                        extra += (f" (triangles {link['triangles_synthetic']} vs {link['triangles_real']}, "
                                  f"WL hash {'equal' if link['wl_hash_equal'] else 'differs'})")
                print(f"{data.name} model seed {seed} sample seed {sample_seed} {text}: DDA {dda} "
                      f"(worst {max(dda.values()):.3f}){extra}, sample {seconds:.1f} s", flush=True)
    if args.output:
        args.output.write_text(json.dumps(results, indent=1))
        args.output.with_suffix(".md").write_text(summary_markdown(results))


def _mean_max(copying: list[dict], values) -> str:
    """Mean over samples of the largest of ``values(sample)`` (None entries skipped)."""
    maxima = [max(v) for c in copying if (v := [x for x in values(c) if x is not None])]
    return f"{statistics.mean(maxima):.3f}" if maxima else ""


def _mean_se(values: list[float]) -> str:
    if len(values) < 2:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values) / len(values) ** 0.5:.3f}"


def summary_markdown(results: list[dict]) -> str:
    """Per dataset and setting, over every model x sample: the worst table's DDA, each
    table's DDA, the lowest DCR and the utility score (mean ± standard error over samples)."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in results:
        groups.setdefault((r["dataset"], json.dumps(r["setting"])), []).append(r)
    lines = [
        "# Resampled saved models",
        "",
        f"Produced by `python benchmarks/resample.py {' '.join(sys.argv[1:])}` on {platform.machine()}, "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. Each row: every model x sample with that "
        "setting (the networks are the same in every row of a dataset; only sampling changes). DDA: SyntheRela "
        "AggregationDetection (XGBoost accuracy, 0.5 = indistinguishable); worst = the worst table per sample, "
        "averaged; ± = standard error over samples. DCR: lowest table, averaged over samples (0.5 or more = no sign "
        "of copying).",
        "",
        "| dataset | setting | models | samples | worst DDA | per table DDA | min DCR | utility | real edges (link tables) | degree KS, max | co-parents / grandchildren KS, max | degree correlation gap, max | rows equal to a real row (synthetic / real halves) | rows equal to their twin (chance) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (dataset, setting), runs in groups.items():
        tables = sorted(runs[0]["dda"])
        per_table = ", ".join(f"{t} {_mean_se([r['dda'][t] for r in runs])}" for t in tables)
        dcr = [min(r["dcr"].values()) for r in runs if r.get("dcr")]
        utility = [r["utility"]["synthetic"] for r in runs if r.get("utility")]
        metric = next((r["utility"]["metric"] for r in runs if r.get("utility")), "")
        described = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in json.loads(setting).items())
        copying = [r["copying"] for r in runs if r.get("copying")]
        edges = ", ".join(f"{t} {statistics.mean(c['links'][t]['real_edges_share'] for c in copying):.1%}"
                          for t in (copying[0]["links"] if copying else {}) if "real_edges_share" in copying[0]["links"][t])
        ks = _mean_max(copying, lambda c: [e["degree_ks"] for e in c["relationships"].values()])
        two_hop = _mean_max(copying, lambda c: [e.get(k) for e in c["relationships"].values()
                                                for k in ("co_parents_ks", "grandchildren_ks")])
        gap = _mean_max(copying, lambda c: [e["degree_correlation_gap"] for e in c["parents"].values()])
        rows = ", ".join(f"{t} {statistics.mean(c['rows'][t]['synthetic'] for c in copying):.1%} / "
                         f"{copying[0]['rows'][t]['real_halves']:.1%}"
                         for t in (copying[0]["rows"] if copying else {}) if copying[0]["rows"][t]["synthetic"] is not None)
        twins = ", ".join(f"{t} {statistics.mean(c['twins'][t]['equal'] for c in copying):.1%} "
                          f"({statistics.mean(c['twins'][t]['chance'] for c in copying):.1%})"
                          for t in (copying[0].get("twins", {}) if copying else {})
                          if copying[0]["twins"][t]["equal"] is not None)
        lines.append(
            f"| {dataset} | {described} "
            f"| {len({r['model'] for r in runs})} | {len(runs)} | {_mean_se([max(r['dda'].values()) for r in runs])} "
            f"| {per_table} | {_mean_se(dcr) if dcr else ''} | {f'{metric} {statistics.mean(utility):.4g}' if utility else ''} "
            f"| {edges} | {ks} | {two_hop} | {gap} | {rows} | {twins} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
