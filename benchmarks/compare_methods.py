"""Fit + sample + score several methods on several datasets and tabulate the results.

Each (dataset, method) runs as its own ``syntherela run`` process so that the peak memory
reported is that run's alone. The table (DDA per table with standard error, fit and sample
seconds, peak memory, and the paper's RGCD figure) is written to ``results/`` as Markdown
and JSON; the per-run summary and SyntheRela report JSON are copied beside it.

    python benchmarks/compare_methods.py --data-dir ../shared/data --profile cpu \
        --datasets walmart_subsampled,CORA_v1 --methods rgcd,sdv --seed 0
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from syntherela_rgcd.published import paper_rgcd_dda

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = "airbnb-simplified_subsampled,walmart_subsampled,CORA_v1,Biodegradability_v1,imdb_MovieLens_v1_noratings"


def run_one(method: str, dataset: str, args: argparse.Namespace) -> dict:
    """One ``syntherela run`` in a child process; returns its summary (or the failure)."""
    profile = args.profile if method == "rgcd" else None
    command = [
        sys.executable, "-m", "syntherela_rgcd.cli", "run", "--method", method, "--dataset", dataset,
        "--data-dir", args.data_dir, "--output-dir", args.output_dir, "--seed", str(args.seed),
        "--metrics", args.metrics, "--quiet",
    ]
    if profile:
        command += ["--profile", profile]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - started
    run_id = f"{profile or 'default'}-seed{args.seed}"
    results_dir = Path(args.output_dir) / "results" / dataset / method / run_id
    if completed.returncode != 0:
        error = (completed.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"  {dataset} / {method}: FAILED ({error})", flush=True)
        return {"dataset": dataset, "method": method, "error": error, "wall_seconds": round(wall, 1)}
    summary = json.loads((results_dir / "summary.json").read_text())
    summary["wall_seconds"] = round(wall, 1)
    keep = REPO / "results" / "runs" / dataset / method / run_id
    if keep.exists():
        shutil.rmtree(keep)
    shutil.copytree(results_dir, keep)
    print(f"  {dataset} / {method}: done in {wall:.0f} s", flush=True)
    return summary


def rows_of(summary: dict) -> list[dict]:
    """One row per scored table of a run."""
    if "error" in summary:
        return [{"dataset": summary["dataset"], "method": summary["method"], "table": "-", "error": summary["error"]}]
    dda = summary["scores"]["sample1"].get("dda", {})
    return [
        {
            "dataset": summary["dataset"], "method": summary["method"], "profile": summary.get("profile"),
            "table": table, "dda": figures["accuracy"], "se": figures["se"],
            "fit_seconds": summary["fit_seconds"], "sample_seconds": summary["sample_seconds"][0],
            "peak_memory_mb": summary["peak_memory_mb"], "paper_rgcd": paper_rgcd_dda(summary["dataset"]),
        }
        for table, figures in sorted(dda.items())
    ]


def markdown(rows: list[dict], args: argparse.Namespace) -> str:
    lines = [
        f"# RGCD (`{args.profile}` profile) vs SDV, seed {args.seed}",
        "",
        f"Produced by `python benchmarks/compare_methods.py {' '.join(sys.argv[1:])}` on "
        f"{platform.machine()} with {__import__('os').cpu_count()} cores, "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. DDA: SyntheRela AggregationDetection "
        "with XGBoost (accuracy, 0.5 = indistinguishable, lower is better). Peak memory is the run's process peak RSS.",
        "",
        "| dataset | method | table | DDA ± SE | paper RGCD | fit s | sample s | peak MiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['dataset']} | {r['method']} | - | failed: {r['error']} | | | | |")
            continue
        paper = f"{r['paper_rgcd']:.2f}" if r["paper_rgcd"] is not None else "-"
        lines.append(
            f"| {r['dataset']} | {r['method']} | {r['table']} | {r['dda']:.3f} ± {r['se']:.3f} | {paper} "
            f"| {r['fit_seconds']:.0f} | {r['sample_seconds']:.1f} | {r['peak_memory_mb']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--output-dir", default=str(REPO / "runs"))
    parser.add_argument("--datasets", default=DEFAULT_DATASETS)
    parser.add_argument("--methods", default="rgcd,sdv")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--metrics", default="dda,cardinality")
    parser.add_argument("--name", default=None, help="results file stem (default: benchmark_<profile>_seed<seed>)")
    args = parser.parse_args()

    summaries = []
    for dataset in args.datasets.split(","):
        for method in args.methods.split(","):
            summaries.append(run_one(method, dataset, args))
    rows = [row for summary in summaries for row in rows_of(summary)]
    stem = args.name or f"benchmark_{args.profile}_seed{args.seed}"
    (REPO / "results").mkdir(exist_ok=True)
    (REPO / "results" / f"{stem}.json").write_text(json.dumps({"rows": rows, "runs": summaries}, indent=2))
    table = markdown(rows, args)
    (REPO / "results" / f"{stem}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
