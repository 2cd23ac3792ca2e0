"""Membership inference on the default RGCD (issue 27): does a sample give its training rows away?

For each dataset the rows of its root tables are split at random into members and
non-members (each table's rows follow their parents: a row is a member when every parent it
names is one), RGCD is fitted on the members' database only and sampled once, and the attack
of :mod:`syntherela_rgcd.evaluation.membership` runs on every table with modelled columns
(at most ``--max-rows`` rows per side). Accuracy and AUC near 0.5: nothing leaks.

    python benchmarks/membership_inference.py --data-dir ../shared/data \\
        --datasets walmart_subsampled,Biodegradability_v1 --seed 0 --output results/membership_inference
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from syntherela_rgcd.contract import RunContext  # noqa: E402
from syntherela_rgcd.datasets import prepare_dataset  # noqa: E402
from syntherela_rgcd.evaluation.membership import membership_attack  # noqa: E402
from syntherela_rgcd.evaluation.privacy import modelled_columns  # noqa: E402
from syntherela_rgcd.plugins import build_registry  # noqa: E402
from syntherela_rgcd.rgcd.model import RGCD  # noqa: E402
from syntherela_rgcd.rgcd.schema import generation_order  # noqa: E402
from syntherela_rgcd.threads import set_threads  # noqa: E402


def member_masks(tables: dict[str, pd.DataFrame], metadata, seed: int) -> dict[str, np.ndarray]:
    """Per table, which rows are members: half of each root table's rows at random, and the
    rows of other tables whose every named parent is a member."""
    rng = np.random.default_rng(seed)
    masks: dict[str, np.ndarray] = {}
    for table in generation_order(metadata):
        n = len(tables[table])
        parents = [rel for rel in metadata.relationships if rel["child_table_name"] == table]
        if any(rel["parent_table_name"] == table for rel in parents):
            raise SystemExit(f"{table}: self-referencing tables are not supported by this benchmark")
        if not parents:
            mask = np.zeros(n, dtype=bool)
            mask[rng.permutation(n)[: n // 2]] = True
        else:
            mask = np.ones(n, dtype=bool)
            for rel in parents:
                parent = tables[rel["parent_table_name"]]
                members = set(parent[rel["parent_primary_key"]][masks[rel["parent_table_name"]]])
                fk = tables[table][rel["child_foreign_key"]]
                mask &= (fk.isna() | fk.isin(members)).to_numpy()
        masks[table] = mask
    return masks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--datasets", required=True)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--config", default=None, help="settings overrides (YAML), e.g. copy_guard: false")
    parser.add_argument("--label", default="default", help="the row's label in the output")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max-rows", type=int, default=5000)
    parser.add_argument("--output", default=str(REPO / "results" / "membership_inference"))
    args = parser.parse_args()
    set_threads(1)
    out_json = Path(f"{args.output}.json")
    record = json.loads(out_json.read_text()) if out_json.is_file() else {"rows": []}
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    for name in args.datasets.split(","):
        data = prepare_dataset(name, args.data_dir, build_registry())
        masks = member_masks(data.tables, data.metadata, args.seed)
        members = {t: frame[masks[t]].reset_index(drop=True) for t, frame in data.tables.items()}
        start = time.perf_counter()
        model = RGCD(profile=args.profile, dataset=data.name, config=args.config, seed=args.seed)
        model.fit(members, data.metadata, RunContext(progress=False))
        fit_seconds = time.perf_counter() - start
        sample = model.sample(seed=args.seed)
        for table, frame in data.tables.items():
            columns = modelled_columns(data.metadata, table)
            if not columns:
                continue
            cap = lambda rows: rows.iloc[:args.max_rows] if len(rows) <= args.max_rows else rows.sample(  # noqa: E731
                args.max_rows, random_state=args.seed)
            attack = membership_attack(cap(frame[masks[table]]), cap(frame[~masks[table]]), sample[table], columns,
                                       seed=args.seed)
            row = {"dataset": data.name, "table": table, "label": args.label, "seed": args.seed, "commit": commit,
                   "members": int(masks[table].sum()), "non_members": int((~masks[table]).sum()),
                   "fit_seconds": round(fit_seconds, 1), **attack,
                   "command": " ".join(["python", "benchmarks/membership_inference.py", *sys.argv[1:]])}
            print(json.dumps(row), flush=True)
            record["rows"] = [r for r in record["rows"] if (r["dataset"], r["table"], r["label"], r["seed"])
                              != (row["dataset"], row["table"], row["label"], row["seed"])] + [row]
    record["machine"] = f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores"
    record["written"] = datetime.now(timezone.utc).isoformat(timespec="minutes")
    out_json.write_text(json.dumps(record, indent=1))
    lines = ["# Membership inference (issue 27)", "",
             f"Produced by `benchmarks/membership_inference.py` ({record['machine']}, {record['written']} UTC): RGCD "
             "fitted on a random half of each root table's rows and their descendants, sampled once; the attacker "
             "holds members and non-members and calls rows nearer than the median to their closest synthetic row "
             "members. 0.5 = nothing leaks; at most 5,000 rows per side.", "",
             "| dataset | table | settings | seed | rows per side | accuracy | AUC |", "|---|---|---|---|---|---|---|"]
    for r in sorted(record["rows"], key=lambda r: (r["dataset"], r["table"], r["label"], r["seed"])):
        lines.append(f"| {r['dataset']} | {r['table']} | {r['label']} | {r['seed']} | {r['rows_per_side']} | "
                     f"{r['accuracy']:.3f} | {r['auc']:.3f} |" if r["accuracy"] is not None else
                     f"| {r['dataset']} | {r['table']} | {r['label']} | {r['seed']} | {r['rows_per_side']} | - | - |")
    lines += ["", "Commands: " + "; ".join(sorted({f"`{r['command']}`" for r in record["rows"]}))]
    Path(f"{args.output}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
