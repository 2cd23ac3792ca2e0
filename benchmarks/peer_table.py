"""The measured peer table (issue 16): per dataset, method and budget, over seeds, the worst
table's DDA, DCR, cardinality, copy figures, time and memory, from a bench study's results.

    python benchmarks/peer_table.py runs/bench/peers_measured/results --output results/peers_measured

DDA protocol: each seed's worst table (the highest accuracy among tables with children, the
ones DDA scores), then mean ± standard error over seeds (one seed: the run's own SE). DCR:
each table's score, mean over seeds (0.5 or more = no sign of copying). "Rows equal to a real
row" is the share of the root table's synthetic rows equal to a real row on every column,
beside the same share between two halves of the real table (SyntheRela-independent, from
the ``privacy`` metric's copying figures).
"""

from __future__ import annotations

import argparse
import json
import statistics
from collections import defaultdict
from pathlib import Path

NAMES = {"rgcd": "RGCD", "sdv": "SDV (HMA)", "rctgan": "RCTGAN 1.1", "tabularargn": "TabularARGN (SDK 6.2)",
         "realtabformer": "REaLTabFormer 0.2.4"}


def budget(summary: dict) -> str:
    if summary["method"] == "rgcd":
        return f"`{summary.get('profile')}` profile"
    label = summary.get("profile") or ""  # what the run was given (its options merge the defaults)
    options = {k: v for k, v in (summary.get("config") or {}).get("options", {}).items() if f"{k}{v}" in label}
    return ", ".join(f"{k} {v}" for k, v in sorted(options.items())) or "defaults"


def mean_se(values: list[float], single_se: float | None = None) -> str:
    if not values:
        return ""
    if len(values) == 1:
        return f"{values[0]:.3f}" + (f" ± {single_se:.3f}" if single_se is not None else "")
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values) / len(values) ** 0.5:.3f}"


def rows(results: Path, datasets: set[str] | None = None) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for summary_file in sorted(results.glob("*/*/*/summary.json")):
        summary = json.loads(summary_file.read_text())
        if datasets and summary["dataset"] not in datasets:
            continue
        groups[(summary["dataset"], summary["method"], budget(summary))].append(summary)
    table = []
    for (dataset, method, given), runs in sorted(groups.items()):
        runs.sort(key=lambda s: s["seed"])
        worst, worst_se, worst_table, dcr, cardinality, copied = [], [], [], defaultdict(list), [], []
        for run in runs:
            scores = run["scores"]["sample1"]
            name, figures = max(scores.get("dda", {}).items(), key=lambda item: item[1]["accuracy"])
            worst.append(figures["accuracy"])
            worst_se.append(figures["se"])
            worst_table.append(name)
            for t, d in scores.get("dcr", {}).items():
                dcr[t].append(d["score"])
            if scores.get("cardinality"):
                cardinality.append(max(scores["cardinality"].values()))
            rows_equal = (scores.get("copying") or {}).get("rows", {})
            if name in rows_equal:
                copied.append((rows_equal[name]["synthetic"], rows_equal[name]["real_halves"]))
        table.append({
            "dataset": dataset, "method": method, "budget": given, "seeds": [r["seed"] for r in runs],
            "worst_table": sorted(set(worst_table)), "dda_worst": worst,
            "dda_worst_cell": mean_se(worst, worst_se[0] if len(worst) == 1 else None),
            "dcr": {t: statistics.mean(v) for t, v in sorted(dcr.items())},
            "cardinality_ks_max": statistics.mean(cardinality) if cardinality else None,
            "rows_equal_real": [c[0] for c in copied], "rows_equal_real_halves": [c[1] for c in copied],
            "fit_seconds": [r["fit_seconds"] for r in runs], "sample_seconds": [r["sample_seconds"][0] for r in runs],
            "peak_memory_mb": [r.get("peak_memory_mb") for r in runs],
        })
    return table


def markdown(table: list[dict], command: str) -> str:
    lines = [
        "# Peers measured on this machine (issue 16)", "",
        f"`{command}`: the runs of `syntherela bench benchmark_configs/peers_measured.yaml` and `peers_cora.yaml`",
        "(copied into `results/runs/`; 2 cores, no GPU, one run at a time) and the earlier single-seed budgets. DDA: each seed's worst table, mean ± SE over seeds. DCR: mean over seeds per table,",
        "0.5 or more = no sign of copying. Rows equal: share of the worst table's synthetic rows equal to a real",
        "row on every column (between two halves of the real table in brackets). Fit, sample: mean seconds;",
        "peak memory includes the peer's worker process.", "",
        "| dataset | method | budget | seeds | DDA (worst table) | DCR per table | max cardinality KS | rows equal | "
        "fit s | sample s | peak MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in table:
        dcr = ", ".join(f"{t} {v:.3f}" for t, v in r["dcr"].items())
        card = f"{r['cardinality_ks_max']:.3f}" if r["cardinality_ks_max"] is not None else ""
        equal = (f"{statistics.mean(r['rows_equal_real']):.0%} ({statistics.mean(r['rows_equal_real_halves']):.0%})"
                 if r["rows_equal_real"] else "")
        memory = [m for m in r["peak_memory_mb"] if m]
        peak = f"{max(memory):.0f}" if memory else ""
        lines.append(
            f"| {r['dataset']} | {NAMES.get(r['method'], r['method'])} | {r['budget']} | "
            f"{','.join(map(str, r['seeds']))} | {r['dda_worst_cell']} ({'/'.join(r['worst_table'])}) | {dcr} | {card} "
            f"| {equal} | {statistics.mean(r['fit_seconds']):.0f} | {statistics.mean(r['sample_seconds']):.0f} | "
            f"{peak} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("results", type=Path, help="a bench study's results folder")
    parser.add_argument("--output", type=Path, default=None, help="write OUTPUT.md and OUTPUT.json")
    parser.add_argument("--datasets", default=None, help="comma-separated dataset folder names (default: all)")
    args = parser.parse_args()
    table = rows(args.results, set(args.datasets.split(",")) if args.datasets else None)
    text = markdown(table, f"python benchmarks/peer_table.py {args.results}"
                    + (f" --datasets {args.datasets}" if args.datasets else "")
                    + (f" --output {args.output}" if args.output else ""))
    if args.output:
        args.output.with_suffix(".json").write_text(json.dumps(table, indent=1))
        args.output.with_suffix(".md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
