"""Ablation grid: RGCD variants (config overrides) x datasets x seeds, one ``syntherela run`` each.

A study file (YAML) names the datasets, seeds, metrics and variants; a variant is a set of
config overrides merged over the profile, exactly as ``syntherela run --config FILE`` merges
them. Every run goes to ``<output-dir>/<study>/<variant>/`` (a normal syntherela output
folder), a run already there is not run again, and ``--collect`` only tabulates. A variant's
``code: <revision>`` (or the study's) runs that commit's package from a git worktree, so a
grid that takes hours is not changed by edits made while it runs. The table
gives per variant and dataset every scored table's DDA (mean ± standard error over seeds),
the worst table's DDA per seed averaged over seeds (the RGCD and GCFM papers' figure), the
lowest DCR, fit and sample seconds, and the variant's difference from the study's reference
variant; it is written to ``results/<study>.md`` and ``.json``.

    python benchmarks/ablation.py benchmarks/studies/ablation_fidelity.yaml --jobs 2
    python benchmarks/ablation.py benchmarks/studies/ablation_fidelity.yaml --variants final,no_joint --seeds 0

``--jobs N`` runs N at a time with ``cores / N`` threads each (``--threads`` overrides it; two
grids side by side on 2 cores need ``--threads 1`` each, or four busy OpenMP threads fight over
two cores and every run slows down several times). The fit seconds of a grid run with
``--jobs 2`` include a neighbour's load: time the headline configuration alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def load_study(path: Path) -> dict:
    study = yaml.safe_load(path.read_text())
    for key in ("datasets", "seeds", "variants", "reference"):
        if key not in study:
            raise SystemExit(f"error: {path} lacks {key!r}")
    if study["reference"] not in study["variants"]:
        raise SystemExit(f"error: {path}: reference variant {study['reference']!r} is not among the variants")
    return study


def run_dir(args: argparse.Namespace, variant: str) -> Path:
    return Path(args.output_dir) / args.study_name / variant


def summary_file(args: argparse.Namespace, variant: str, dataset: str, seed: int) -> Path:
    return run_dir(args, variant) / "results" / dataset / "rgcd" / f"{args.profile}-seed{seed}" / "summary.json"


def run_one(variant: str, dataset: str, seed: int, args: argparse.Namespace, study: dict) -> None:
    """One fit + sample + score in a child process (skipped when its summary exists)."""
    if summary_file(args, variant, dataset, seed).is_file():
        print(f"  {variant} / {dataset} / seed {seed}: already there", flush=True)
        return
    overrides = dict(study["variants"][variant] or {})
    # A variant's own ``code`` revision, else the study's, else this checkout as it is now.
    revision = overrides.pop("code", None) or study.get("code")
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as handle:
        yaml.safe_dump(overrides, handle)
        config = handle.name
    command = [
        sys.executable, "-m", "syntherela_rgcd.cli", "run", "--method", "rgcd", "--dataset", dataset,
        "--data-dir", args.data_dir, "--output-dir", str(run_dir(args, variant)), "--seed", str(seed),
        "--profile", args.profile, "--config", config, "--metrics", study.get("metrics", "dda"),
        "--samples", str(study.get("samples", 1)), "--quiet",
    ]
    threads = str(args.threads)
    env = {**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads}
    cwd = None
    if revision:  # run that revision's package (a git worktree) instead of this checkout's
        # ``python -m`` puts the working directory first on sys.path, ahead of PYTHONPATH:
        # run from the worktree, or this checkout's package is imported whatever PYTHONPATH says.
        cwd = checkout(revision, args)
        env["PYTHONPATH"] = str(cwd)
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    os.unlink(config)
    outcome = "done" if completed.returncode == 0 else "FAILED: " + (completed.stderr.strip().splitlines() or ["?"])[-1]
    print(f"  {variant} / {dataset} / seed {seed}: {outcome} ({time.perf_counter() - started:.0f} s)", flush=True)


_CHECKOUT_LOCK = threading.Lock()


def checkout(revision: str, args: argparse.Namespace) -> Path:
    """A git worktree of ``revision`` under the study's output folder (made once; the lock
    keeps two runs starting together from both calling ``git worktree add``, which fails
    for the second)."""
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", revision], capture_output=True,
                            text=True, check=True).stdout.strip()
    folder = (Path(args.output_dir) / args.study_name / f".code-{commit}").resolve()
    with _CHECKOUT_LOCK:
        if not folder.is_dir():
            subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(folder), commit],
                           capture_output=True, check=True)
    return folder


def collect(args: argparse.Namespace, study: dict, earlier: list[dict]) -> list[dict]:
    """One record per finished run of the whole study: DDA and DCR per table, seconds.

    A run folder on disk wins; a run whose folder is gone (``runs/`` is not kept when the
    work moves to another machine) keeps the record an earlier collect wrote to
    ``results/<study>.json``, marked ``carried``, so a grid resumed elsewhere or run in
    parts never loses the seeds it already paid for."""
    kept = {(r["variant"], r["dataset"], r["seed"]): r for r in earlier}
    records = []
    for variant in study["variants"]:
        for dataset in study["datasets"]:
            for seed in (int(s) for s in study["seeds"]):
                path = summary_file(args, variant, dataset, seed)
                if not path.is_file():
                    if (variant, dataset, seed) in kept:
                        records.append({**kept[(variant, dataset, seed)], "carried": True})
                    continue
                summary = json.loads(path.read_text())
                samples = list(summary["scores"].values())
                dda = [{t: f["accuracy"] for t, f in scores.get("dda", {}).items()} for scores in samples]
                scores = samples[0]
                records.append({
                    "variant": variant, "dataset": dataset, "seed": seed, "samples": len(samples),
                    # per table: the mean over the run's samples; worst: the mean of each sample's worst
                    "dda": {t: statistics.mean(d[t] for d in dda) for t in dda[0]},
                    "worst": statistics.mean(max(d.values()) for d in dda) if dda[0] else None,
                    "dcr": {t: f["score"] for t, f in scores.get("dcr", {}).items()},
                    "utility": next(iter(scores.get("utility", {}).values()), None),
                    "fit_seconds": summary["fit_seconds"], "sample_seconds": statistics.mean(summary["sample_seconds"]),
                    "peak_memory_mb": summary.get("peak_memory_mb"),
                })
    return records


def _mean_se(values: list[float]) -> tuple[float, float]:
    mean = statistics.mean(values)
    return mean, (statistics.stdev(values) / len(values) ** 0.5 if len(values) > 1 else 0.0)


def aggregate(records: list[dict]) -> dict:
    """(variant, dataset) -> per-table DDA mean/SE, worst-table mean/SE, min DCR, seconds."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        groups.setdefault((r["variant"], r["dataset"]), []).append(r)
    out = {}
    for key, runs in groups.items():
        tables = sorted(runs[0]["dda"])
        cell = {
            "seeds": sorted(r["seed"] for r in runs),
            "tables": {t: _mean_se([r["dda"][t] for r in runs if t in r["dda"]]) for t in tables},
            "worst": _mean_se([r["worst"] for r in runs if r["worst"] is not None]),
            "worst_by_seed": {r["seed"]: r["worst"] for r in runs if r["worst"] is not None},
            "min_dcr": min((v for r in runs for v in r["dcr"].values()), default=None),
            "fit_seconds": statistics.mean(r["fit_seconds"] for r in runs),
            "sample_seconds": statistics.mean(r["sample_seconds"] for r in runs),
        }
        utilities = [r["utility"] for r in runs if r["utility"]]
        if utilities:
            cell["utility"] = {"metric": utilities[0]["metric"],
                               "synthetic": _mean_se([u["synthetic"] for u in utilities])}
        out[key] = cell
    return out


def _delta(cell: dict, reference: dict) -> str:
    """Mean worst-table difference on the seeds both variants ran (a one-seed variant is compared
    with the reference's same seed, not with its three-seed mean)."""
    common = sorted(set(cell.get("worst_by_seed", {})) & set(reference.get("worst_by_seed", {})))
    if not common:
        return ""
    diff = statistics.mean(cell["worst_by_seed"][s] - reference["worst_by_seed"][s] for s in common)
    return f"{diff:+.3f}" + ("" if len(common) == len(reference["worst_by_seed"]) else f" (seed {', '.join(map(str, common))})")


def markdown(study: dict, cells: dict, args: argparse.Namespace, carried: int = 0) -> str:
    lines = [
        f"# {study.get('title', args.study_name)}",
        "",
        study.get("description", "").strip(),
        "",
        (f"Tabulated by `python benchmarks/ablation.py {' '.join(sys.argv[1:])}` from the runs on disk on "
         f"{platform.machine()} with {os.cpu_count()} cores, " if args.collect else
         f"Produced by `python benchmarks/ablation.py {' '.join(sys.argv[1:])}` on {platform.machine()} with "
         f"{os.cpu_count()} cores ({args.jobs} run(s) at a time, {args.threads} thread(s) each), ")
        + f"{datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}; profile `{args.profile}` "
        "with each variant's overrides. DDA: SyntheRela AggregationDetection with XGBoost, accuracy (0.5 = "
        "indistinguishable). *Worst* is the worst table's DDA per seed, averaged over seeds (the RGCD and GCFM "
        "papers' figure; with several samples per run, each sample's worst table is averaged over the samples, "
        "then over seeds); ± is the standard error over seeds; per seed lists each seed's worst table. Δ is the "
        f"worst-table difference from the reference variant `{study['reference']}` on the seeds both ran, averaged "
        "(negative = better)."
        + (f" {carried} record(s) were carried over from an earlier collect of this study (their run folders, "
           "with their console output, stayed on another machine)." if carried else ""),
        "",
        "## Variants",
        "",
    ]
    for name, overrides in study["variants"].items():
        lines.append(f"- `{name}`: {json.dumps(overrides or {})}" + (f" — {study.get('notes', {}).get(name)}"
                                                                      if study.get("notes", {}).get(name) else ""))
    lines += ["", "## Results", "",
              "| dataset | variant | seeds | worst DDA | per seed | Δ | per table DDA | min DCR | utility | fit s | sample s |",
              "|---|---|---|---|---|---|---|---|---|---|---|"]
    for dataset in study["datasets"]:
        reference = cells.get((study["reference"], dataset))
        for variant in study["variants"]:
            cell = cells.get((variant, dataset))
            if cell is None:
                continue
            delta = _delta(cell, reference) if reference and variant != study["reference"] else ""
            tables = ", ".join(f"{t} {m:.3f}±{s:.3f}" for t, (m, s) in cell["tables"].items())
            dcr = f"{cell['min_dcr']:.3f}" if cell["min_dcr"] is not None else ""
            utility = ""
            if "utility" in cell:
                m, s = cell["utility"]["synthetic"]
                utility = f"{cell['utility']['metric']} {m:.4g}±{s:.2g}"
            per_seed = " / ".join(f"{w:.3f}" for _, w in sorted(cell.get("worst_by_seed", {}).items()))
            lines.append(f"| {dataset} | {variant} | {len(cell['seeds'])} | {cell['worst'][0]:.3f} ± {cell['worst'][1]:.3f} "
                         f"| {per_seed} | {delta} | {tables} | {dcr} | {utility} | {cell['fit_seconds']:.0f} | {cell['sample_seconds']:.1f} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("study", type=Path, help="study YAML (datasets, seeds, metrics, reference, variants)")
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--output-dir", default=str(REPO / "runs" / "ablation"))
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--variants", default=None, help="comma-separated subset of the study's variants")
    parser.add_argument("--datasets", default=None, help="comma-separated subset of the study's datasets")
    parser.add_argument("--seeds", default=None, help="comma-separated subset of the study's seeds")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch/OpenMP threads per run (default: cores / jobs; set it when several grids share the machine)")
    parser.add_argument("--collect", action="store_true", help="run nothing; tabulate what is on disk")
    args = parser.parse_args()
    study = load_study(args.study)
    args.threads = args.threads or max((os.cpu_count() or 1) // args.jobs, 1)
    # absolute, since a run of another revision works in that revision's worktree
    args.data_dir, args.output_dir = str(Path(args.data_dir).resolve()), str(Path(args.output_dir).resolve())
    args.study_name = args.study.stem
    args.variants = args.variants.split(",") if args.variants else list(study["variants"])
    args.datasets = args.datasets.split(",") if args.datasets else list(study["datasets"])
    args.seeds = [int(s) for s in args.seeds.split(",")] if args.seeds else [int(s) for s in study["seeds"]]
    unknown = sorted(set(args.variants) - set(study["variants"]))
    if unknown:
        raise SystemExit(f"error: unknown variant(s) {', '.join(unknown)} (study has {', '.join(study['variants'])})")

    if not args.collect:
        # Seeds outermost, so that a grid cut short still has every variant on the first seeds.
        work = [(v, d, s) for s in args.seeds for d in args.datasets for v in args.variants]
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            list(pool.map(lambda job: run_one(*job, args, study), work))
    (REPO / "results").mkdir(exist_ok=True)
    stem = REPO / "results" / args.study_name
    earlier = json.loads(stem.with_suffix(".json").read_text())["records"] if stem.with_suffix(".json").is_file() else []
    records = collect(args, study, earlier)
    cells = aggregate(records)
    stem.with_suffix(".json").write_text(json.dumps({
        "study": study, "records": records,
        "cells": [{"variant": v, "dataset": d, **c} for (v, d), c in cells.items()],
    }, indent=1))
    table = markdown(study, cells, args, carried=sum(bool(r.get("carried")) for r in records))
    stem.with_suffix(".md").write_text(table)
    print(table)


if __name__ == "__main__":
    main()
