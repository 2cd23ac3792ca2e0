"""The cost-quality table (issue 29): for every method and budget measured here, what it cost
(seconds of fit + sample on one core, peak memory) beside what it bought (DDA in both
aggregations, the lowest DCR, copies), from the runs' ``summary.json`` files.

    python benchmarks/cost_quality.py results/runs --datasets walmart_subsampled,rossmann_subsampled,\
airbnb-simplified_subsampled --output results/cost_quality

Seconds are wall seconds of runs given one thread (``--threads 1``; RGCD's ``cpu`` profile's
default) with at most two runs side by side on the 2-core machine, so they are about one core's
CPU seconds; scoring is not included. Peak memory: of fit and one sample where the run recorded
it apart (``peak_memory_mb_generate``), else the run's peak including scoring (older runs;
marked *). DDA worst table: each seed's highest table DDA, mean ± SE over seeds (the RGCD paper's
and GCFM's aggregation); mean of tables: each seed's mean over its scored tables, mean ± SE
(SyntheRela's TMLR paper, C2ST-Agg). The ratio lines compare RGCD with each peer at the
budgets measured, as measured here.
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

NAMES = {"rgcd": "RGCD", "sdv": "SDV (HMA)", "rctgan": "RCTGAN 1.1", "tabularargn": "TabularARGN (SDK 6.2)",
         "realtabformer": "REaLTabFormer 0.2.4", "clavaddpm": "ClavaDDPM", "gcfm": "GCFM"}


def budget(summary: dict) -> str:
    if summary["method"] == "rgcd":
        return f"`{summary.get('profile')}` profile"
    label = summary.get("profile") or ""  # the options the run was given (its config merges the defaults)
    options = (summary.get("config") or {}).get("options", {})
    given = {k: v for k, v in options.items() if k not in ("seed", "source", "dataset")
             and f"{k}{v}".replace(" ", "").replace("[", "").replace("]", "").replace(",", "-") in label}
    defaults = {k: v for k, v in options.items() if k not in ("seed", "source", "dataset") and k not in given}
    text = ", ".join(f"{k} {v}" for k, v in sorted(given.items()))
    if summary["method"] in ("clavaddpm", "gcfm") and not text:
        text = "registered CPU budget"
    return text or "defaults"


def mean_se(values: list[float]) -> tuple[float, float | None]:
    if len(values) == 1:
        return values[0], None
    return statistics.mean(values), statistics.stdev(values) / len(values) ** 0.5


def cell(values: list[float]) -> str:
    if not values:
        return ""
    mean, se = mean_se(values)
    return f"{mean:.3f}" + (f" ± {se:.3f}" if se is not None else "")


def rows(results: Path, datasets: set[str] | None) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for summary_file in sorted(results.glob("*/*/*/summary.json")):
        summary = json.loads(summary_file.read_text())
        if (datasets and summary["dataset"] not in datasets) or not summary.get("scores"):
            continue
        groups[(summary["dataset"], summary["method"], budget(summary))].append(summary)
    table = []
    for (dataset, method, given), runs in sorted(groups.items()):
        runs.sort(key=lambda s: s["seed"])
        worst, mean_tables, worst_names, lowest_dcr, copies, seconds, memory, scored_alone = \
            [], [], set(), [], [], [], [], True
        for run in runs:
            scores = run["scores"]["sample1"]
            dda = {t: f["accuracy"] for t, f in scores.get("dda", {}).items()}
            if dda:
                name = max(dda, key=dda.get)
                worst.append(dda[name])
                worst_names.add(name)
                mean_tables.append(statistics.mean(dda.values()))
            dcr = {t: d["score"] for t, d in scores.get("dcr", {}).items()}
            if dcr:
                lowest_dcr.append(min(dcr.values()))
            equal = (scores.get("copying") or {}).get("rows", {})
            excess = [v["synthetic"] - v["real_halves"] for v in equal.values()
                      if v.get("synthetic") is not None and v.get("real_halves") is not None]
            if excess:
                copies.append(max(excess))
            seconds.append(run["fit_seconds"] + sum(run["sample_seconds"]))
            if run.get("peak_memory_mb_generate"):
                memory.append(run["peak_memory_mb_generate"])
            else:
                memory.append(run.get("peak_memory_mb") or 0)
                scored_alone = False
        table.append({"dataset": dataset, "method": method, "budget": given, "seeds": [r["seed"] for r in runs],
                      "seconds": seconds, "peak_memory_mb": max(memory), "memory_includes_scoring": not scored_alone,
                      "dda_worst": worst, "worst_tables": sorted(worst_names), "dda_mean_of_tables": mean_tables,
                      "lowest_dcr": lowest_dcr, "copies_beyond_real_halves": copies})
    return table


def ratio_lines(table: list[dict]) -> list[str]:
    """Per dataset: RGCD against each other method's best-DDA budget, as measured here."""
    lines = []
    for dataset in sorted({r["dataset"] for r in table}):
        here = [r for r in table if r["dataset"] == dataset and r["dda_worst"]]
        ours = [r for r in here if r["method"] == "rgcd"]
        if not ours:
            continue
        rgcd = ours[0]
        for r in here:
            if r["method"] == "rgcd":
                continue
            lines.append(
                f"- {dataset}: RGCD reaches DDA {statistics.mean(rgcd['dda_worst']):.3f} in "
                f"{statistics.mean(rgcd['seconds']):,.0f} s where {NAMES.get(r['method'], r['method'])} "
                f"({r['budget']}) needs {statistics.mean(r['seconds']):,.0f} s for "
                f"{statistics.mean(r['dda_worst']):.3f} (its time / RGCD's "
                f"{statistics.mean(r['seconds']) / statistics.mean(rgcd['seconds']):.2f}; seeds "
                f"{len(rgcd['seeds'])} vs {len(r['seeds'])})")
    return lines


def markdown(table: list[dict], command: str) -> str:
    out = ["# Cost and quality of every method measured here (issue 29)", "", f"`{command}`", "",
           __doc__.split("\n\n", 2)[2].strip(), "",
           "| dataset | method | budget | seeds | fit + sample s | peak MiB | DDA worst table | DDA mean of tables "
           "| lowest DCR | copies beyond real halves |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for r in table:
        copies = f"{max(r['copies_beyond_real_halves']):+.1%}" if r["copies_beyond_real_halves"] else ""
        out.append(
            f"| {r['dataset']} | {NAMES.get(r['method'], r['method'])} | {r['budget']} | "
            f"{','.join(map(str, r['seeds']))} | {statistics.mean(r['seconds']):,.0f} | "
            f"{r['peak_memory_mb']:,.0f}{'*' if r['memory_includes_scoring'] else ''} | "
            f"{cell(r['dda_worst'])} ({'/'.join(r['worst_tables'])}) | {cell(r['dda_mean_of_tables'])} | "
            f"{cell(r['lowest_dcr'])} | {copies} |")
    out += ["", "Copies beyond real halves: the largest, over tables, of the share of synthetic rows equal to a "
                "real row on every column minus that share between two halves of the real table (worst seed).",
            "", "## RGCD against each method, as measured here", ""] + ratio_lines(table)
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, nargs="+", help="results folders (<dataset>/<method>/<run>/summary.json)")
    parser.add_argument("--datasets", default=None, help="comma-separated dataset folder names (default: all)")
    parser.add_argument("--output", type=Path, default=None, help="write OUTPUT.md and OUTPUT.json")
    args = parser.parse_args()
    wanted = set(args.datasets.split(",")) if args.datasets else None
    table = [row for folder in args.results for row in rows(folder, wanted)]
    command = "python benchmarks/cost_quality.py " + " ".join(map(str, args.results)) + (
        f" --datasets {args.datasets}" if args.datasets else "") + (f" --output {args.output}" if args.output else "")
    text = markdown(table, command)
    if args.output:
        args.output.with_suffix(".json").write_text(json.dumps(table, indent=1))
        args.output.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
