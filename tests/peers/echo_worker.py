"""A tiny peer for the isolated-method tests: standard library only, so it runs in a bare
second environment. ``fit`` keeps the tables; ``sample`` writes every ``k``-th row of each
root table (k = 1 + seed % 2) with its children, so seeds differ and keys stay intact. With
the option ``fail`` it fails the way a peer should: a line in ``error.txt``, exit code 1; with
``kill`` it dies the way the out-of-memory killer ends a peer (SIGKILL, after a last line)."""

import argparse
import csv
import json
import os
import shutil
import signal
import sys
from pathlib import Path


def fit(args):
    options = json.loads(args.options)
    if options.get("fail"):
        Path(args.model, "error.txt").write_text(options["fail"] + "\n")
        sys.exit(1)
    if options.get("kill"):
        print("echo: allocating", file=sys.stderr, flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
    print(f"echo: fitting on {len(list(Path(args.data).glob('*.csv')))} tables", file=sys.stderr, flush=True)
    for f in Path(args.data).iterdir():
        shutil.copy(f, args.model)


def sample(args):
    metadata = json.loads(Path(args.model, "metadata.json").read_text())
    keep = {}
    step = 1 + int(args.seed) % 2
    children = {r["child_table_name"] for r in metadata["relationships"]}
    for table in metadata["tables"]:
        with open(Path(args.model, f"{table}.csv"), newline="") as handle:
            rows = list(csv.DictReader(handle))
        keep[table] = rows[::step] if table not in children else rows
    for rel in metadata["relationships"]:  # children of dropped parents go too
        kept = {row[rel["parent_primary_key"]] for row in keep[rel["parent_table_name"]]}
        keep[rel["child_table_name"]] = [r for r in keep[rel["child_table_name"]]
                                         if r[rel["child_foreign_key"]] in kept or r[rel["child_foreign_key"]] == ""]
    for table, rows in keep.items():
        with open(Path(args.model, f"{table}.csv"), newline="") as handle:
            header = next(csv.reader(handle))
        with open(Path(args.out, f"{table}.csv"), "w", newline="") as handle:
            writer = csv.DictWriter(handle, header)
            writer.writeheader()
            writer.writerows(rows)
    print(f"echo: sampled with seed {args.seed}", file=sys.stderr, flush=True)


parser = argparse.ArgumentParser()
commands = parser.add_subparsers(dest="command", required=True)
fit_parser = commands.add_parser("fit")
fit_parser.add_argument("--data")
fit_parser.add_argument("--model")
fit_parser.add_argument("--options")
sample_parser = commands.add_parser("sample")
sample_parser.add_argument("--model")
sample_parser.add_argument("--out")
sample_parser.add_argument("--seed")
sample_parser.add_argument("--scale")
arguments = parser.parse_args()
{"fit": fit, "sample": sample}[arguments.command](arguments)
