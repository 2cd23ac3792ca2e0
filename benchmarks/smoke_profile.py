"""What ``--profile smoke`` costs per dataset: fit + sample seconds and peak memory.

A smoke run answers "does the pipeline work on my schema?", so its cost must not grow with
the data (issue 15: at most 60 s fit + sample and 2 GiB on 2 cores for databases of up to 9
tables and 100k rows). Each dataset runs in its own ``syntherela run`` process (so the peak
RSS is that run's alone), with no metrics; the figures are the run summary's.

    python benchmarks/smoke_profile.py --datasets walmart,airbnb,cora,biodegradability \\
        --zoo --output results/smoke_profile.json

``--zoo`` adds the built-in ``demo`` and ``org_chart`` and the schema zoo of
``tests/test_schema_zoo.py`` (small databases around the traps of real schemas), written into
a temporary data dir.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", default="walmart,airbnb,cora,biodegradability")
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--zoo", action="store_true", help="also demo, org_chart and the tests' schema zoo")
    args = parser.parse_args()

    runs = [(dataset, args.data_dir) for dataset in args.datasets.split(",") if dataset]
    zoo_dir = tempfile.TemporaryDirectory()
    if args.zoo:
        sys.path.insert(0, str(REPO / "tests"))
        from test_schema_zoo import RUNS

        from syntherela_rgcd.datasets import write_dataset

        runs += [("demo", zoo_dir.name), ("org_chart", zoo_dir.name)]
        for build in RUNS:
            tables, metadata = build()
            write_dataset(Path(zoo_dir.name) / "original" / f"zoo_{build.__name__}", tables, metadata)
            runs.append((f"zoo_{build.__name__}", zoo_dir.name))
    rows = []
    for dataset, data_dir in runs:
        with tempfile.TemporaryDirectory() as out:
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-m", "syntherela_rgcd.cli", "run", "--method", "rgcd",
                                   "--dataset", dataset, "--data-dir", data_dir, "--profile", "smoke",
                                   "--seed", str(args.seed), "--metrics", "none", "--output-dir", out, "--quiet"],
                                  capture_output=True, text=True)
            wall = time.perf_counter() - started
            if done.returncode != 0:
                rows.append({"dataset": dataset, "error": done.stderr.strip().splitlines()[-1:]})
                print(f"{dataset}: failed: {rows[-1]['error']}", flush=True)
                continue
            [summary_file] = Path(out, "results").glob("*/rgcd/*/summary.json")
            summary = json.loads(summary_file.read_text())
        folder = Path(data_dir) / "original" / summary["dataset"]
        sizes = [len(pd.read_csv(f, low_memory=False)) for f in sorted(folder.glob("*.csv"))]
        row = {"dataset": summary["dataset"], "tables": len(sizes), "rows": sum(sizes),
               "fit_seconds": summary["fit_seconds"],
               "sample_seconds": summary["sample_seconds"][0], "peak_memory_mb": summary["peak_memory_mb"],
               "process_seconds": round(wall, 1), "load": os.getloadavg()[0]}
        rows.append(row)
        print(f"{row['dataset']}: fit {row['fit_seconds']:.1f} s + sample {row['sample_seconds']:.1f} s, "
              f"peak {row['peak_memory_mb']:.0f} MiB (whole process {wall:.1f} s, load {row['load']:.2f})", flush=True)
    zoo_dir.cleanup()
    args.output.write_text(json.dumps(rows, indent=1))
    command = "python benchmarks/smoke_profile.py " + " ".join(sys.argv[1:])
    lines = ["# `--profile smoke`: cost per dataset", "",
             f"Produced by `{command}` on {platform.machine()} with {os.cpu_count()} cores, "
             f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. Target (issue 15): fit + sample <= 60 s and "
             "<= 2 GiB peak RSS for up to 9 tables and 100k rows. *whole process*: the run command from start "
             "to exit (loading, writing, imports included); *load*: 1-minute load average after the run.", "",
             "| dataset | tables | rows | fit s | sample s | fit + sample s | peak MiB | whole process s | load |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['dataset']} | | | failed: {' '.join(r['error'])} | | | | | |")
        else:
            lines.append(f"| {r['dataset']} | {r['tables']} | {r['rows']:,} | {r['fit_seconds']:.1f} | "
                         f"{r['sample_seconds']:.1f} | "
                         f"{r['fit_seconds'] + r['sample_seconds']:.1f} | {r['peak_memory_mb']:.0f} | "
                         f"{r['process_seconds']:.1f} | {r['load']:.2f} |")
    args.output.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
