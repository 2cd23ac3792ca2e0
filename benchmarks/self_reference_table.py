"""Self-reference figures of finished runs on a dataset with a tree inside one table.

For each run folder (``<out>/synthetic/<dataset>/<method>/<run_id>/sample1`` beside its
``results/.../summary.json``): the DDA of every table (from the run's summary), and of the
self-referencing key's tree: rows per depth against the real ones, the KS statistic of rows
headed per row, rows on a cycle, the share of reporting lines that are real ones (through the
run's source rows) and the share of rows whose parent shares their group in the table's
other foreign key, real and synthetic. ``--resample FILE`` adds the structure=copy rows of a
``benchmarks/resample.py --output`` JSON for comparison.

    python benchmarks/self_reference_table.py runs/org org_chart --data-dir DIR \\
        --resample results/self_reference_org_chart.json --output results/self_reference_org_chart.md
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from scipy.stats import ks_2samp

from syntherela_rgcd.datasets import load_synthetic, prepare_dataset
from syntherela_rgcd.metadata import is_self_reference, self_parent_positions, tree_depths
from syntherela_rgcd.plugins import build_registry


def tree_figures(frame, rel, group_key, source=None, real=None) -> dict:
    pk, fk = rel["parent_primary_key"], rel["child_foreign_key"]
    parents = self_parent_positions(frame[pk], frame[fk])
    depth = tree_depths(parents)
    linked = parents >= 0
    figures = {"depth": np.bincount(depth[depth >= 0]).tolist(), "on_cycle": int((depth < 0).sum()),
               "heads": np.bincount(parents[linked], minlength=len(frame))}
    if group_key:
        groups = frame[group_key].to_numpy()
        figures["same_group"] = float(np.mean(groups[parents[linked]] == groups[linked]))
    if source is not None and real is not None:
        real_parents = self_parent_positions(real[pk], real[fk])
        figures["real_lines"] = float(np.mean(real_parents[source[linked]] == source[parents[linked]]))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("output_dir")
    parser.add_argument("dataset")
    parser.add_argument("--method", default="rgcd")
    parser.add_argument("--data-dir")
    parser.add_argument("--resample")
    parser.add_argument("--output")
    args = parser.parse_args()
    data = prepare_dataset(args.dataset, args.data_dir, build_registry())
    [rel] = [r for r in data.metadata.relationships if is_self_reference(r)]
    table = rel["child_table_name"]
    others = [r["child_foreign_key"] for r in data.metadata.relationships
              if r["child_table_name"] == table and not is_self_reference(r)]
    real = tree_figures(data.tables[table], rel, others[0] if others else None)
    lines = [f"# Self-reference `{table}.{rel['child_foreign_key']}` on {data.name}", "",
             f"Command: `python benchmarks/self_reference_table.py {args.output_dir} {args.dataset}"
             f"{' --resample ' + args.resample if args.resample else ''}`", "",
             f"Real: rows per depth {real['depth']}, rows on a cycle {real['on_cycle']}"
             + (f", parent in the row's own {others[0]} {real['same_group']:.1%}" if others else "") + ".", "",
             "| run | structure | DDA per table | rows per depth equal | rows headed KS | on a cycle | "
             "real lines | same group |", "|---|---|---|---|---|---|---|---|"]
    root = Path(args.output_dir)
    for run in sorted((root / "synthetic" / data.name / args.method).iterdir()):
        summary = json.loads((root / "results" / data.name / args.method / run.name / "summary.json").read_text())
        tables = load_synthetic(run / "sample1", data)
        npz = root / "results" / data.name / args.method / run.name / "sample1.source_rows.npz"
        source = np.load(npz)[table] if npz.is_file() else None
        new = tree_figures(tables[table], rel, others[0] if others else None, source, data.tables[table])
        dda = summary["scores"]["sample1"].get("dda", {})
        ks = ks_2samp(real["heads"], new["heads"]).statistic
        lines.append(f"| {run.name} | {summary['config'].get('structure', 'copy')} | "
                     + ", ".join(f"{t} {v['accuracy']:.3f} ± {v['se']:.3f}" for t, v in dda.items())
                     + f" | {new['depth'] == real['depth']} | {ks:.3f} | {new['on_cycle']} | "
                     f"{new.get('real_lines', float('nan')):.1%} | {new.get('same_group', float('nan')):.1%} |")
    if args.resample:
        lines += ["", f"Resampled from the same models (`{args.resample}`, `benchmarks/resample.py`):", "",
                  "| model | setting | DDA per table |", "|---|---|---|"]
        for entry in json.loads(Path(args.resample).read_text()):
            setting = ",".join(f"{k}={v}" for k, v in entry["setting"].items())
            lines.append(f"| {Path(entry['model']).name} | {setting} | "
                         + ", ".join(f"{t} {v:.3f}" for t, v in entry["dda"].items()) + " |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        Path(args.output).write_text(text)


if __name__ == "__main__":
    main()
