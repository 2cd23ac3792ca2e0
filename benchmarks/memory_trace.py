"""Resident memory of one ``syntherela run`` over time, beside its log (issue 26's smoke memory).

Prints a ``[mem]`` line each time the process's RSS grows by 50 MiB, between the run's INFO log
lines, so the step that raises the peak is visible (a table's VAE, GNN, calibration or
sampling). Used for results/smoke_memory.md:

    python benchmarks/memory_trace.py zoo_clinical --data-dir ../zoo_data --profile smoke \\
        2>&1 | grep -v Warning
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time

import psutil

STEP_MIB = 50


def watch(process: psutil.Process) -> None:
    peak = 0.0
    while True:
        rss = process.memory_info().rss / 2**20
        if rss > peak + STEP_MIB:
            peak = rss
            print(f"[mem] {time.strftime('%H:%M:%S')} rss {rss:.0f} MiB", file=sys.stderr, flush=True)
        time.sleep(0.05)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--profile", default="smoke")
    args = parser.parse_args()
    threading.Thread(target=watch, args=(psutil.Process(),), daemon=True).start()
    from syntherela_rgcd.cli import main as cli

    with tempfile.TemporaryDirectory() as out:
        sys.argv = ["syntherela", "run", "--method", "rgcd", "--dataset", args.dataset, "--data-dir", args.data_dir,
                    "--output-dir", out, "--profile", args.profile, "--metrics", "none"]
        cli()


if __name__ == "__main__":
    main()
