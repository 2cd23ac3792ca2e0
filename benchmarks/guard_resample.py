"""Paired ablation of the sample-time privacy guards: one fitted model, sampled with and without.

The copy guards act when a table is sampled, so their cost in fidelity can be measured without
refitting: a saved model from a run (``<output-dir>/models/<dataset>/rgcd/<run-id>``) is
loaded, given the guards this variant names, sampled with the run's seed (the same draws as the
run's ``sample1`` except the rows a guard draws again), and scored with the same metrics. Run
the same variants over a study's saved models and the differences are the guards' alone.

    python benchmarks/guard_resample.py --runs-dir /work/wt27/runs --dataset walmart_subsampled \\
        --run-id cpu-seed0 --variant near --metrics dda,detection,privacy --output-dir runs/guards

Variants: ``none`` (no guard), ``exact`` (the copy guard saved in the model), ``near`` (the
exact guard plus the near-copy guard fitted on the real tables now).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syntherela_rgcd.datasets import prepare_dataset  # noqa: E402
from syntherela_rgcd.evaluation.scoring import evaluate_sample, parse_metrics, save_source_rows  # noqa: E402
from syntherela_rgcd.plugins import build_registry  # noqa: E402
from syntherela_rgcd.rgcd.model import RGCD  # noqa: E402
from syntherela_rgcd.table_files import write_tables  # noqa: E402
from syntherela_rgcd.threads import set_threads  # noqa: E402

VARIANTS = ("none", "exact", "near")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-dir", required=True, help="a syntherela output folder holding models/")
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--run-id", required=True, help="e.g. cpu-seed0; its seed is the sample's")
    parser.add_argument("--variant", choices=VARIANTS, required=True)
    parser.add_argument("--metrics", default="dda,privacy")
    parser.add_argument("--output-dir", default=str(REPO / "runs" / "guards"))
    args = parser.parse_args(argv)
    set_threads(1)

    data = prepare_dataset(args.dataset, args.data_dir, build_registry())
    model = RGCD.load(Path(args.runs_dir) / "models" / data.name / "rgcd" / args.run_id)
    if args.variant == "none":
        model.copy_guards_ = {}
    model.near_copy_guards_ = {}
    if args.variant == "near":
        model.fit_near_copy_guards(data.tables)
    seed = int(args.run_id.rsplit("seed", 1)[1])
    out = Path(args.output_dir) / data.name / args.variant / args.run_id
    start = time.perf_counter()
    generated, source_rows = model.sample_with_source_rows(seed=seed)
    seconds = time.perf_counter() - start
    write_tables(generated, out / "synthetic", data.metadata)
    save_source_rows(source_rows, out / "results", "sample1")
    scores = evaluate_sample(data, out / "synthetic", parse_metrics(args.metrics), "rgcd", f"{args.variant}-{args.run_id}",
                             "sample1", out / "results", source_rows)
    summary = {"dataset": data.name, "run_id": args.run_id, "variant": args.variant, "sample_seconds": round(seconds, 2),
               "guarded": {"exact": sorted(model.copy_guards_), "near": sorted(model.near_copy_guards_)},
               "command": " ".join(sys.argv), "scores": scores}
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=float))
    print(json.dumps({k: summary[k] for k in ("dataset", "run_id", "variant", "sample_seconds", "guarded")}))
    for metric, tables in scores.items():
        if metric in ("dda", "dcr"):
            print(metric, {t: round(v.get("accuracy", v.get("score")), 3) for t, v in tables.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
