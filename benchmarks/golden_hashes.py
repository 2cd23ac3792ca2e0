"""Hashes of the synthetic CSVs a fixed set of RGCD runs writes, to show a refactoring changed
nothing the user gets.

Each run is ``syntherela run --method rgcd --metrics none`` in its own process (fresh torch
state) with a fixed thread count (a reduction split over two threads sums in another order
than over one, so hashes are only comparable at the same count). The file written maps
``dataset/profile/seed`` to ``{table: sha256 of the CSV}``; ``--compare`` checks a new set
against an earlier file and exits 1 on any difference.

    python benchmarks/golden_hashes.py --output results/architecture_hashes_before.json
    python benchmarks/golden_hashes.py --output results/architecture_hashes_after.json \\
        --compare results/architecture_hashes_before.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

#: (dataset, profile, seed): the runs issue 28 fixes (demo with the default profile).
RUNS = [
    ("demo", "cpu", 0),
    ("walmart", "smoke", 0),
    ("cora", "smoke", 0),
    ("org_chart", "smoke", 0),
    ("walmart", "cpu", 0),
]


def csv_hashes(folder: Path) -> dict[str, str]:
    return {f.stem: hashlib.sha256(f.read_bytes()).hexdigest() for f in sorted(folder.glob("*.csv"))}


def run_one(dataset: str, profile: str, seed: int, data_dir: str, threads: int) -> tuple[dict[str, str], float]:
    with tempfile.TemporaryDirectory() as out:
        started = time.perf_counter()
        command = [sys.executable, "-m", "syntherela_rgcd.cli", "run", "--method", "rgcd", "--dataset", dataset,
                   "--profile", profile, "--seed", str(seed), "--threads", str(threads), "--metrics", "none",
                   "--data-dir", data_dir, "--output-dir", out, "--quiet"]
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"{dataset}/{profile}/{seed} failed:\n{done.stderr[-3000:]}")
        samples = sorted((Path(out) / "synthetic").glob("*/rgcd/*/sample1"))
        return csv_hashes(samples[0]), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default=None, help="comma-separated dataset/profile/seed keys to run")
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--compare", type=Path, default=None, help="an earlier output to compare with")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    # the built-in datasets are built into a data dir of our own, beside links to the shared ones
    scratch = tempfile.TemporaryDirectory()
    data_dir = Path(scratch.name)
    (data_dir / "original").mkdir()
    for dataset in (Path(args.data_dir) / "original").iterdir():
        (data_dir / "original" / dataset.name).symlink_to(dataset.resolve())
    runs = {}
    for dataset, profile, seed in RUNS:
        key = f"{dataset}/{profile}/{seed}"
        if only and key not in only:
            continue
        hashes, seconds = run_one(dataset, profile, seed, str(data_dir), args.threads)
        runs[key] = {"tables": hashes, "seconds": round(seconds, 1)}
        print(f"{key}: {seconds:.0f} s, " + ", ".join(f"{t} {h[:12]}" for t, h in hashes.items()), flush=True)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO).stdout.strip()
    dirty = bool(subprocess.run(["git", "status", "--porcelain", "syntherela_rgcd"], capture_output=True, text=True,
                                cwd=REPO).stdout.strip())
    record = {"created": datetime.now(timezone.utc).isoformat(timespec="seconds"), "commit": commit,
              "uncommitted_changes": dirty, "threads": args.threads,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores", "command": " ".join(sys.argv), "runs": runs}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(record, indent=1) + "\n")
    if args.compare:
        before = json.loads(args.compare.read_text())["runs"]
        differ = [f"{key} {table}" for key, run in runs.items() for table, digest in run["tables"].items()
                  if before.get(key, {}).get("tables", {}).get(table) != digest]
        print("identical to " + str(args.compare) if not differ else "DIFFERENT: " + "; ".join(differ))
        sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
