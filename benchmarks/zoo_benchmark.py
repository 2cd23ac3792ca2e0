"""Issue 26's targets measured on real databases: time, memory and fidelity of the defaults.

Each (database, method, settings) is one ``syntherela run`` in its own process (its peak RSS
is the run's alone), with the package's defaults unless the row says otherwise, one run at a
time; the machine's load average is recorded before each run. ``--busy`` runs each RGCD row a
second time beside one process spinning a core on matrix products (the competing process of
issue 26) and reports the ratio of wall times and whether the synthetic CSVs are identical.

    python benchmarks/zoo_benchmark.py --data-dir ../zoo_data --datasets zoo_bank,zoo_f1 \\
        --run rgcd:cpu --run rgcd:smoke --run tabularargn:max_training_time=1 --run sdv \\
        --metrics dda,privacy --output results/zoo_benchmark

A run is ``METHOD[:PROFILE][:KEY=VALUE,...]``. Rows already in the output JSON are kept (each
with its command), so the grid can be run in parts. The table gives, per database, each method's fit and sample seconds,
peak memory, the worst table's DDA with its table and standard error (the GCFM / RGCD papers'
aggregation), the mean over DDA-scored tables (SyntheRela's TMLR paper), and the lowest DCR.
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
sys.path.insert(0, str(REPO / "benchmarks"))

from scaling import Competitor  # noqa: E402


def parse_run(text: str) -> tuple[str, str | None, dict]:
    parts = text.split(":")
    method, profile, options = parts[0], None, {}
    for part in parts[1:]:
        if "=" in part:
            for item in part.split(","):
                key, value = item.split("=")
                options[key] = float(value) if value.replace(".", "", 1).isdigit() else value
        else:
            profile = part
    return method, profile, options


def label(method: str, profile: str | None, options: dict) -> str:
    return ":".join([method] + ([profile] if profile else []) + ([",".join(f"{k}={v}" for k, v in options.items())]
                                                                 if options else []))


def one_run(dataset: str, method: str, profile: str | None, options: dict, args, out: Path, busy: bool) -> dict:
    command = [sys.executable, "-m", "syntherela_rgcd.cli", "run", "--method", method, "--dataset", dataset,
               "--data-dir", args.data_dir, "--output-dir", str(out), "--seed", str(args.seed),
               "--metrics", args.metrics if not busy else "none", "--quiet"]
    if profile:
        command += ["--profile", profile]
    if options:
        command += ["--options", json.dumps(options)]
    load = os.getloadavg()[0]
    start = time.perf_counter()
    try:
        if busy:
            with Competitor():
                done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
        else:
            done = subprocess.run(command, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {args.timeout:.0f} s (stopped)", "wall_seconds": args.timeout}
    wall = time.perf_counter() - start
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["?"])[-1], "wall_seconds": round(wall, 1)}
    summary = json.loads(next(out.rglob("summary.json")).read_text())
    sample = next(out.glob("synthetic/*/*/*/sample1"))
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in sorted(sample.glob("*.csv")))).hexdigest()
    scores = summary["scores"].get("sample1", {})
    dda = {t: f for t, f in scores.get("dda", {}).items()}
    worst = max(dda, key=lambda t: dda[t]["accuracy"]) if dda else None
    return {
        "wall_seconds": round(wall, 1), "fit_seconds": summary["fit_seconds"],
        "sample_seconds": sum(summary["sample_seconds"]), "peak_mib": summary["peak_memory_mb_generate"],
        "peak_mib_with_scoring": summary["peak_memory_mb"],
        "threads": summary.get("threads"), "load_before": round(load, 2), "csv_sha256": digest,
        "dda": {t: round(f["accuracy"], 4) for t, f in dda.items()},
        "worst_table": worst, "worst_dda": round(dda[worst]["accuracy"], 4) if worst else None,
        "worst_se": round(dda[worst]["se"], 4) if worst else None,
        "mean_dda": round(sum(f["accuracy"] for f in dda.values()) / len(dda), 4) if dda else None,
        "dcr": {t: round(f["score"], 3) for t, f in scores.get("dcr", {}).items()},
    }


def markdown(records: list[dict]) -> str:
    commands = "\n".join(f"    {c}" for c in dict.fromkeys(r.get("command", "") for r in records))
    lines = [
        "# The zoo of real databases: time, memory and fidelity of the defaults (issue 26)",
        "",
        f"Produced on {platform.machine()} with {os.cpu_count()} cores by\n\n{commands}\n\n"
        "(load average before each run in the JSON). Seconds are wall-clock; peak memory is the run's "
        "process (and its peer worker) over fitting and one sample, before scoring. DDA: SyntheRela's AggregationDetection, worst table (the GCFM and "
        "RGCD papers' aggregation) ± its standard error, and the mean over scored tables (SyntheRela's "
        "TMLR paper). Busy: the same run beside one process spinning a core; ratio of fit + sample "
        "seconds, and "
        "whether the synthetic data is byte-identical.",
        "",
        "| database | rows / tables | method | fit s | sample s | peak MiB | worst DDA (table) | mean DDA | lowest DCR | busy / idle |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(records, key=lambda r: (r["dataset"], r["run"])):
        if "error" in r:
            lines.append(f"| {r['dataset']} | {r.get('shape', '')} | {r['run']} | failed: {r['error']} | | | | | | |")
            continue
        busy = r.get("busy")
        busy_text = (f"{busy['ratio']:.2f} ({'same data' if busy['same_data'] else 'other data'})"
                     if busy and "ratio" in busy else (busy or {}).get("error", ""))
        worst = f"{r['worst_dda']:.3f} ± {r['worst_se']:.3f} ({r['worst_table']})" if r.get("worst_dda") is not None else ""
        dcr = f"{min(r['dcr'].values()):.3f}" if r.get("dcr") else ""
        mean = f"{r['mean_dda']:.3f}" if r.get("mean_dda") is not None else ""
        lines.append(f"| {r['dataset']} | {r.get('shape', '')} | {r['run']} | {r['fit_seconds']:.0f} | "
                     f"{r['sample_seconds']:.0f} | {r['peak_mib']:.0f} | {worst} | {mean} | {dcr} | {busy_text} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--datasets", required=True)
    parser.add_argument("--run", action="append", required=True, help="METHOD[:PROFILE][:KEY=VALUE,...]")
    parser.add_argument("--metrics", default="dda,privacy")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=None,
                        help="seconds a run may take before it is stopped and recorded as failed")
    parser.add_argument("--busy", action="store_true", help="also time every RGCD run beside a competing process")
    parser.add_argument("--output", type=Path, required=True, help="path without suffix: .json and .md are written")
    args = parser.parse_args()
    args.data_dir = str(Path(args.data_dir).resolve())
    json_file = args.output.with_suffix(".json")
    command = "python benchmarks/zoo_benchmark.py " + " ".join(sys.argv[1:])
    for dataset in args.datasets.split(","):
        metadata = json.loads((Path(args.data_dir) / "original" / dataset / "metadata.json").read_text())
        rows = sum(sum(1 for _ in open(Path(args.data_dir) / "original" / dataset / f"{t}.csv", encoding="utf-8")) - 1
                   for t in metadata["tables"])
        for text in args.run:
            method, profile, options = parse_run(text)
            name = label(method, profile, options)
            with tempfile.TemporaryDirectory() as out:
                record = one_run(dataset, method, profile, options, args, Path(out) / "idle", busy=False)
                busy = None
                if args.busy and method == "rgcd" and "error" not in record:
                    busy = one_run(dataset, method, profile, options, args, Path(out) / "busy", busy=True)
                if busy is not None and "error" in busy:
                    record["busy"] = {"error": busy["error"]}
                elif busy is not None:
                    idle_seconds = record["fit_seconds"] + record["sample_seconds"]
                    busy_seconds = busy["fit_seconds"] + busy["sample_seconds"]
                    record["busy"] = {"fit_sample_seconds": round(busy_seconds, 1),
                                      "ratio": round(busy_seconds / idle_seconds, 2),
                                      "same_data": busy.get("csv_sha256") == record["csv_sha256"]}
            record.update(dataset=dataset, run=name, command=command, shape=f"{rows:,} / {len(metadata['tables'])}",
                          created=datetime.now(timezone.utc).isoformat(timespec="seconds"))
            print(json.dumps({k: record.get(k) for k in ("dataset", "run", "fit_seconds", "sample_seconds", "peak_mib",
                                                         "worst_dda", "worst_table", "mean_dda", "error", "busy")}),
                  flush=True)
            args.output.parent.mkdir(parents=True, exist_ok=True)
            # read again just before writing, so two grids run side by side keep each other's rows
            records = json.loads(json_file.read_text())["records"] if json_file.is_file() else []
            records = [r for r in records if not (r["dataset"] == dataset and r["run"] == name)] + [record]
            json_file.write_text(json.dumps({"records": records}, indent=1))
            args.output.with_suffix(".md").write_text(markdown(records))


if __name__ == "__main__":
    main()
