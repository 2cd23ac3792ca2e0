"""One ``syntherela run`` timed the way a user meets it: wall clock from the command to its
last line, the peak resident memory of the process, the machine's load, and the phases
(fit, sample, scoring) from the run's own summary.

Peak memory is polled every half second over the run's process tree (psutil) and checked
against the process's own ``ru_maxrss`` from the summary; the load average is read before
and after, and ``--max-load`` refuses to start on a busy machine (a timing of record needs
one). Everything after ``--`` is passed to ``syntherela run``.

    python benchmarks/timed_run.py --name imdb_timed_run --threads 2 -- \\
        --method rgcd --dataset imdb_MovieLens_v1_standin --data-dir ../shared/data --output-dir runs/imdb

Writes ``results/<name>.md`` and ``.json`` (with the command, the summary and the run's console log
tail), and copies the run's results folder to ``results/runs/``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parents[1]


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and its children."""
    total = 0
    for p in [process, *process.children(recursive=True)]:
        try:
            total += p.memory_info().rss
        except psutil.Error:
            pass
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--name", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--max-load", type=float, default=0.5, help="refuse to start above this 1-minute load")
    parser.add_argument("run_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    run_args = [a for a in args.run_args if a != "--"]
    load_before = os.getloadavg()
    if load_before[0] > args.max_load:
        raise SystemExit(f"timed_run: the machine is busy (1-minute load {load_before[0]:.2f} > {args.max_load}); "
                         "a timing of record needs an idle machine (or raise --max-load)")
    command = [sys.executable, "-m", "syntherela_rgcd.cli", "run", *run_args]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    log_file = REPO / "results" / "logs" / f"{args.name}.log"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    peak = 0
    start = time.perf_counter()
    with open(log_file, "w") as log:
        child = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        watched = psutil.Process(child.pid)
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, tree_rss(watched))
                done.wait(0.5)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        code = child.wait()
        done.set()
        poller.join()
    wall = time.perf_counter() - start
    load_after = os.getloadavg()
    tail = log_file.read_text().splitlines()[-15:]
    if code != 0:
        raise SystemExit(f"timed_run: the run failed (exit {code}); see {log_file}")
    results_line = next(line for line in reversed(tail) if line.startswith("results: "))
    results_dir = Path(results_line.split("results: ", 1)[1].strip())
    summary = json.loads((results_dir / "summary.json").read_text())
    fit, sample = summary["fit_seconds"], sum(summary["sample_seconds"])
    record = {
        "command": "python benchmarks/timed_run.py " + " ".join(sys.argv[1:]),
        "run_command": "syntherela run " + " ".join(run_args),
        "threads": args.threads, "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "load_before": load_before, "load_after": load_after,
        "wall_seconds": round(wall, 1), "fit_seconds": fit, "sample_seconds": sample,
        "rest_seconds": round(wall - fit - sample, 1),
        "peak_rss_mib_polled": round(peak / 2**20, 1), "peak_rss_mib_process": summary.get("peak_memory_mb"),
        "summary": summary,
    }
    keep = REPO / "results" / "runs" / summary["dataset"] / summary["method"] / summary["run_id"]
    if keep.exists():
        shutil.rmtree(keep)
    shutil.copytree(results_dir, keep)
    scores = summary.get("scores", {}).get("sample1", {})
    dda = scores.get("dda", {})
    lines = [
        f"# Timed run: {summary['method']} on {summary['dataset']}", "",
        f"Produced by `{record['command']}` on {record['machine']}, {record['date']}, {args.threads} torch thread(s); "
        f"1/5/15-minute load before {', '.join(f'{x:.2f}' for x in load_before)}, after "
        f"{', '.join(f'{x:.2f}' for x in load_after)}. Console log: `results/logs/{args.name}.log`.", "",
        "| phase | seconds |", "|---|---|",
        f"| fit | {fit:.0f} |", f"| sample | {sample:.0f} |",
        f"| load data, check, write, score ({', '.join(summary.get('metrics', []))}) | {wall - fit - sample:.0f} |",
        f"| **wall, the whole command** | **{wall:.0f}** ({wall / 60:.1f} min) |", "",
        f"Peak resident memory: {record['peak_rss_mib_polled'] / 1024:.2f} GiB (process tree, polled every 0.5 s); "
        f"the process's own peak {summary.get('peak_memory_mb', 0) / 1024:.2f} GiB "
        f"(fit: {summary.get('peak_memory_mb_fit', 0) / 1024:.2f} GiB).",
    ]
    if dda:
        lines += ["", "DDA per table (SyntheRela AggregationDetection, XGBoost): "
                  + ", ".join(f"{t} {v['accuracy']:.3f}" for t, v in dda.items())]
    if "cardinality" in scores:
        lines += ["", "Cardinality (per relationship): "
                  + ", ".join(f"{k} {v:.3f}" for k, v in scores["cardinality"].items())]
    (REPO / "results" / f"{args.name}.md").write_text("\n".join(lines) + "\n")
    (REPO / "results" / f"{args.name}.json").write_text(json.dumps(record, indent=1))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
