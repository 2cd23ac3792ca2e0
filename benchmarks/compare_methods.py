"""Fit + sample + score several methods on several datasets and seeds, and tabulate the results.

The grid runs through ``syntherela bench`` (:func:`syntherela_rgcd.bench.run_study`): each
(dataset, method, seed) is its own ``syntherela run`` process so that the peak memory reported
is that run's alone, and a run already finished in ``--output-dir`` is skipped. ``--jobs N``
runs N of them at a time in bench's process executor, each with ``cores / N`` torch/OpenMP
threads (small models gain little from a second thread, so two single-threaded runs side by
side finish sooner on a 2-core machine than one after the other; their fit seconds then
include the neighbour's load). ``--collect`` runs nothing and tabulates the runs already in
``--output-dir`` (those that exist).

The table (DDA per table with standard error, utility and DCR when scored, fit and sample
seconds, peak memory, and the paper's RGCD figure), one row per run plus the mean over seeds,
is written to ``results/<name>.md`` and ``.json``; each run's results folder (summary, Report
JSON, utility/privacy details) is copied to ``results/runs/``.

    python benchmarks/compare_methods.py --data-dir ../shared/data --profile cpu \\
        --datasets walmart_subsampled,CORA_v1 --methods rgcd,sdv --seeds 0,1,2 --jobs 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

import yaml

from syntherela_rgcd.published import paper_rgcd_dda

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATASETS = "airbnb-simplified_subsampled,walmart_subsampled,CORA_v1,Biodegradability_v1,imdb_MovieLens_v1_noratings"


def run_id_of(method: str, args: argparse.Namespace, seed: int) -> str:
    return f"{(args.profile if method == 'rgcd' else None) or 'default'}-seed{seed}"


def run_all(work: list[tuple[str, str, int]], args: argparse.Namespace) -> list[dict]:
    """The grid as a ``syntherela bench`` study (one ``syntherela run`` process per run, a
    process pool of ``--jobs`` with cores / jobs threads each, finished runs skipped); returns
    each run's summary (or its failure)."""
    from syntherela_rgcd.bench import run_study

    study = {"name": args.name or f"benchmark_{args.profile}", "datasets": args.datasets.split(","),
             "methods": {m: ({"profile": args.profile} if m == "rgcd" and args.profile else {})
                         for m in args.methods.split(",")},
             "seeds": [int(s) for s in args.seeds.split(",")], "metrics": args.metrics.split(",")}
    with tempfile.TemporaryDirectory() as folder:
        study_file = Path(folder, "study.yaml")
        study_file.write_text(yaml.safe_dump(study))
        outcome = run_study(study_file, args.output_dir, args.data_dir,
                            "process" if args.jobs > 1 else "inprocess", args.jobs)
    seconds = {(r.dataset, r.method, r.seed): o["seconds"] for r, o in outcome["outcomes"].items()}
    failed = {(r.dataset, r.method, r.seed): error for r, error in outcome["failed"]}
    summaries = []
    for method, dataset, seed in work:
        if (dataset, method, seed) in failed:
            summaries.append({"dataset": dataset, "method": method, "seed": seed,
                              "error": failed[(dataset, method, seed)]})
        else:
            summaries.append(collect_one(method, dataset, seed, args, seconds.get((dataset, method, seed))))
    return summaries


def collect_one(method: str, dataset: str, seed: int, args: argparse.Namespace, wall: float | None = None) -> dict:
    """A finished run's summary; its results folder is copied to ``results/runs/``."""
    run_id = run_id_of(method, args, seed)
    results_dir = Path(args.output_dir) / "results" / dataset / method / run_id
    if not (results_dir / "summary.json").is_file():
        return {"dataset": dataset, "method": method, "seed": seed, "error": f"no run in {results_dir}"}
    summary = json.loads((results_dir / "summary.json").read_text())
    if wall is not None:
        summary["wall_seconds"] = round(wall, 1)
    keep = REPO / "results" / "runs" / dataset / method / run_id
    if keep.exists():
        shutil.rmtree(keep)
    shutil.copytree(results_dir, keep)
    return summary


def rows_of(summary: dict) -> list[dict]:
    """One row per scored table of a run (its utility and DCR figures ride along)."""
    if "error" in summary:
        return [{"dataset": summary["dataset"], "method": summary["method"], "seed": summary.get("seed"),
                 "table": "-", "error": summary["error"]}]
    scores = summary["scores"]["sample1"]
    utility = next(iter(scores.get("utility", {}).values()), None)
    return [
        {
            "dataset": summary["dataset"], "method": summary["method"], "profile": summary.get("profile"),
            "seed": summary.get("seed"), "table": table, "dda": figures["accuracy"], "se": figures["se"],
            "dcr": scores.get("dcr", {}).get(table, {}).get("score"),
            "utility": None if utility is None else {k: utility[k] for k in ("metric", "real", "synthetic", "naive",
                                                                              "model_selection", "feature_selection")},
            "fit_seconds": summary["fit_seconds"], "sample_seconds": summary["sample_seconds"][0],
            "peak_memory_mb": summary["peak_memory_mb"], "paper_rgcd": paper_rgcd_dda(summary["dataset"]),
        }
        for table, figures in sorted(scores.get("dda", {}).items())
    ]


def _utility_cell(u: dict | None) -> str:
    if not u:
        return ""
    return f"{u['metric']} {u['synthetic']:.4g} (real {u['real']:.4g}, naive {u['naive']:.4g}); MS {u['model_selection']:.2f}, FS {u['feature_selection']:.2f}"


def markdown(rows: list[dict], args: argparse.Namespace) -> str:
    lines = [
        f"# RGCD (`{args.profile}` profile) vs SDV, seeds {args.seeds}",
        "",
        f"Produced by `python benchmarks/compare_methods.py {' '.join(sys.argv[1:])}` on "
        f"{platform.machine()} with {os.cpu_count()} cores, "
        f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}. DDA: SyntheRela AggregationDetection "
        "with XGBoost (accuracy, 0.5 = indistinguishable, lower is better). DCR: 0.5 or more = no sign of copying. "
        "Utility: the task's score trained on synthetic data (trained on real, naive), model / feature selection "
        "rank agreement. Peak memory is the run's process peak RSS.",
        "",
        "## Mean over seeds (± standard error over seeds; one seed: the run's own DDA standard error)",
        "",
        "| dataset | method | table | seeds | DDA | paper RGCD | DCR | fit s | sample s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if "error" not in r:
            groups.setdefault((r["dataset"], r["method"], r["table"]), []).append(r)
    for (dataset, method, table), group in groups.items():
        dda = [r["dda"] for r in group]
        se = statistics.stdev(dda) / len(dda) ** 0.5 if len(dda) > 1 else group[0]["se"]
        dcr = [r["dcr"] for r in group if r["dcr"] is not None]
        paper = f"{group[0]['paper_rgcd']:.2f}" if group[0]["paper_rgcd"] is not None else "-"
        lines.append(
            f"| {dataset} | {method} | {table} | {len(group)} | {statistics.mean(dda):.3f} ± {se:.3f} | {paper} "
            f"| {f'{statistics.mean(dcr):.3f}' if dcr else ''} | {statistics.mean(r['fit_seconds'] for r in group):.0f} "
            f"| {statistics.mean(r['sample_seconds'] for r in group):.1f} |"
        )
    lines += [
        "",
        "## Every run",
        "",
        "| dataset | method | seed | table | DDA ± SE | DCR | utility | fit s | sample s | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['dataset']} | {r['method']} | {r['seed']} | - | failed: {r['error']} | | | | | |")
            continue
        dcr = f"{r['dcr']:.3f}" if r["dcr"] is not None else ""
        lines.append(
            f"| {r['dataset']} | {r['method']} | {r['seed']} | {r['table']} | {r['dda']:.3f} ± {r['se']:.3f} | {dcr} "
            f"| {_utility_cell(r['utility'])} | {r['fit_seconds']:.0f} | {r['sample_seconds']:.1f} | {r['peak_memory_mb']:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--output-dir", default=str(REPO / "runs"))
    parser.add_argument("--datasets", default=DEFAULT_DATASETS)
    parser.add_argument("--methods", default="rgcd,sdv")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--seeds", default="0", help="comma-separated seeds (each a separate fit)")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time, each with cores/jobs threads")
    parser.add_argument("--metrics", default="dda,cardinality")
    parser.add_argument("--collect", action="store_true", help="run nothing; tabulate the runs in --output-dir")
    parser.add_argument("--name", default=None, help="results file stem (default: benchmark_<profile>)")
    args = parser.parse_args()

    work = [(method, dataset, int(seed)) for dataset in args.datasets.split(",")
            for method in args.methods.split(",") for seed in args.seeds.split(",")]
    if args.collect:  # runs that are not there (e.g. SDV with one seed only) are left out
        summaries = [collect_one(method, dataset, seed, args) for method, dataset, seed in work]
        for missing in [s for s in summaries if "error" in s]:
            print(f"  not found: {missing['dataset']} / {missing['method']} / seed {missing['seed']}", file=sys.stderr)
        summaries = [s for s in summaries if "error" not in s]
    else:
        summaries = run_all(work, args)
    rows = [row for summary in summaries for row in rows_of(summary)]
    stem = args.name or f"benchmark_{args.profile}"
    (REPO / "results").mkdir(exist_ok=True)
    (REPO / "results" / f"{stem}.json").write_text(json.dumps({"rows": rows, "runs": summaries}, indent=2))
    table = markdown(rows, args)
    (REPO / "results" / f"{stem}.md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
