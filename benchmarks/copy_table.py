"""The copy table: per run, how much of the real database its synthetic sample copies.

Reads the folders ``syntherela run ... --metrics dda,cardinality,privacy`` wrote
(``<out>/results/<dataset>/<method>/<run_id>/``: ``summary.json`` and
``sample1.copying.json``) and tabulates, per run, the worst table's DDA and lowest DCR beside
the copy figures of ``evaluation/copying.py``: rows equal to a real row against the share
between two real halves, rows equal to the real row they stand for against chance, real edges
of link tables, the largest degree and 2-hop KS.

    python benchmarks/copy_table.py runs/copy_table/results runs/cora_cpu/results --output results/copy_table.md
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="+", type=Path, help="<out>/results folders")
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    lines = ["# Copy table: what each run's sample copies", "",
             f"Produced by `python benchmarks/copy_table.py {' '.join(sys.argv[1:])}`, "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, from `syntherela run --method rgcd --profile cpu "
             "--metrics dda,cardinality,privacy` runs (sample 1 of each; structure: the cpu default, `auto`: "
             "whole components for forests, a generated graph for networks). *rows = real*: synthetic rows equal to a "
             "real row on every non-key column / the same share between two real halves (a generator should not "
             "exceed it). *twins*: rows equal to the real row they stand for / chance (the correspondence shuffled). "
             "*real edges*: link-table rows whose parents' counterparts are linked by a real row. Before/after for the "
             "structure alone: `results/structure_copy.md`; CORA's copy-vs-generated comparison on the same models: "
             "`results/structure_twin_correlation.md`.", "",
             "| dataset | run | worst DDA | lowest DCR | rows = real (synthetic / halves) | twins (equal / chance) | "
             "real edges | degree KS, max | 2-hop KS, max |",
             "|---|---|---|---|---|---|---|---|---|"]
    for root in args.results:
        for summary_file in sorted(root.glob("*/*/*/summary.json")):
            folder = summary_file.parent
            copying_file = folder / "sample1.copying.json"
            if not copying_file.is_file():
                continue
            summary = json.loads(summary_file.read_text())
            scores = summary["scores"]["sample1"]
            figures = json.loads(copying_file.read_text())
            dda = scores.get("dda", {})
            worst = max(dda, key=lambda t: dda[t]["accuracy"]) if dda else None
            dcr = scores.get("dcr", {})
            lowest = min(dcr, key=lambda t: dcr[t]["score"]) if dcr else None
            rows = ", ".join(f"{t} {f['synthetic']:.1%} / {f['real_halves']:.1%}" for t, f in figures["rows"].items())
            twins = ", ".join(f"{t} {f['equal']:.1%} / {f['chance']:.1%}" for t, f in figures.get("twins", {}).items()
                              if f["equal"] is not None)
            edges = ", ".join(f"{t} {f['real_edges_share']:.1%}" for t, f in figures["links"].items()
                              if "real_edges_share" in f)
            degree = [e["degree_ks"] for e in figures["relationships"].values() if e.get("degree_ks") is not None]
            two_hop = [e[k] for e in figures["relationships"].values() for k in ("co_parents_ks", "grandchildren_ks")
                       if e.get(k) is not None]
            worst_text = f"{worst} {dda[worst]['accuracy']:.3f}" if worst else ""
            lowest_text = f"{lowest} {dcr[lowest]['score']:.3f}" if lowest else ""
            two_hop_text = f"{max(two_hop):.3f}" if two_hop else ""
            lines.append(f"| {summary['dataset']} | {summary['run_id']} | {worst_text} | {lowest_text} | {rows} | "
                         f"{twins} | {edges} | {max(degree):.3f} | {two_hop_text} |")
    args.output.write_text("\n".join(lines) + "\n")
    print(args.output.read_text())


if __name__ == "__main__":
    main()
