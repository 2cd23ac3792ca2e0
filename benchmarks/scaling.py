"""How RGCD's cost grows with the database: fit seconds, sample seconds and peak memory at
x1, x2, x4, x8 copies of a shared dataset, idle and beside a competing process.

A copy is the real database with fresh keys (every primary and foreign key shifted into its
own range; string keys get a ``~c<k>`` suffix), so the structure of each copy is the real
one and the replicated database has k times the rows, components and edges. Each size runs
as its own ``syntherela run`` process (peak RSS is that process's ``ru_maxrss``), one at a
time, with the dataset's own tuning (``resolve_config(profile, dataset)`` written to a
config file, since the copies have other names) plus ``--set`` overrides. ``--busy`` adds a
run at each listed size beside a competing process (one thread spinning on matrix products
for the whole run), the laptop that is rarely idle.

    python benchmarks/scaling.py --data-dir ../shared/data --dataset walmart_subsampled \\
        --factors 1,2,4,8 --busy 1 --threads 2 --name scaling_walmart

Writes ``results/<name>.md``, ``.json`` and ``.png``: per size the rows, fit and sample
seconds, peak MiB, the same per 1,000 rows, and the ratio of each per-row figure to x1's.
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

import numpy as np
import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[1]


def replicate(tables: dict[str, pd.DataFrame], metadata, copies: int) -> dict[str, pd.DataFrame]:
    """``copies`` disjoint copies of the database with fresh keys in each."""
    key_columns = {t: [c for c, spec in metadata.tables[t].columns.items() if spec["sdtype"] == "id"]
                   for t in tables}
    # one offset per key domain: a foreign key shifts exactly as the primary key it points to
    domain = {}
    for rel in metadata.relationships:
        domain[(rel["child_table_name"], rel["child_foreign_key"])] = (rel["parent_table_name"], rel["parent_primary_key"])
    span = {}
    for table, columns in key_columns.items():
        for column in columns:
            values = tables[table][column]
            if pd.api.types.is_numeric_dtype(values):
                span[(table, column)] = int(np.nanmax(values.to_numpy(dtype=float))) + 1 if len(values) else 1
    out = {}
    for table, frame in tables.items():
        parts = []
        for k in range(copies):
            part = frame.copy()
            for column in key_columns[table]:
                owner = domain.get((table, column), (table, column))
                if pd.api.types.is_numeric_dtype(part[column]):
                    width = max(span.get(owner, 1), span.get((table, column), 1))
                    part[column] = part[column] + k * width
                else:
                    part[column] = part[column].map(lambda v, k=k: v if pd.isna(v) else f"{v}~c{k}")
            parts.append(part)
        out[table] = pd.concat(parts, ignore_index=True)
    return out


def write_dataset(tables, metadata, folder: Path) -> None:
    from syntherela_rgcd.table_files import write_tables

    folder.mkdir(parents=True, exist_ok=True)
    metadata.save_to_json(str(folder / "metadata.json"))
    write_tables(tables, folder, metadata)


class Competitor:
    """A process that keeps one core busy with matrix products while a run is measured."""

    CODE = "import numpy as np\na = np.random.rand(400, 400)\nwhile True:\n    a = (a @ a) / 400.0\n"

    def __enter__(self):
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        self.process = subprocess.Popen([sys.executable, "-c", self.CODE], env=env)
        return self

    def __exit__(self, *exc):
        self.process.kill()
        self.process.wait()


def run_size(name: str, work: Path, config_file: Path, args, busy: bool) -> dict:
    command = [sys.executable, "-m", "syntherela_rgcd.cli", "run", "--method", "rgcd", "--dataset", name,
               "--data-dir", str(work), "--output-dir", str(work / "runs" / ("busy" if busy else "idle")),
               "--profile", args.profile, "--config", str(config_file), "--seed", str(args.seed),
               "--metrics", "none", "--quiet"]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    start = time.perf_counter()
    if busy:
        with Competitor():
            completed = subprocess.run(command, capture_output=True, text=True, env=env)
    else:
        completed = subprocess.run(command, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    if completed.returncode != 0:
        raise SystemExit(f"scaling: {name} failed: {(completed.stderr.strip().splitlines() or ['?'])[-1]}")
    summary_file = next((work / "runs" / ("busy" if busy else "idle") / "results" / name).rglob("summary.json"))
    return {**json.loads(summary_file.read_text()), "wall_seconds": round(wall, 1)}


def record(summary: dict, factor: int, rows: int, busy: bool) -> dict:
    fit, sample, peak = summary["fit_seconds"], summary["sample_seconds"][0], summary["peak_memory_mb"]
    return {"factor": factor, "rows": rows, "load": "busy" if busy else "idle", "fit_seconds": fit,
            "sample_seconds": sample, "peak_mib": peak, "peak_mib_fit": summary.get("peak_memory_mb_fit"),
            "wall_seconds": summary["wall_seconds"], "fit_s_per_1k_rows": fit / rows * 1000,
            "sample_s_per_1k_rows": sample / rows * 1000, "peak_mib_per_1k_rows": peak / rows * 1000}


def markdown(records: list[dict], args, command: str) -> str:
    idle = {r["factor"]: r for r in records if r["load"] == "idle"}
    base = idle.get(min(idle)) if idle else None
    lines = [
        f"# Scaling: RGCD on {args.dataset} x{', x'.join(str(f) for f in sorted(idle))}", "",
        f"Produced by `{command}` on {platform.machine()} with {os.cpu_count()} cores, "
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC; profile `{args.profile}` with the dataset's tuning"
        f"{' and ' + json.dumps(args.set_values) if args.set_values else ''}; {args.threads} torch thread(s); one run at "
        "a time; `busy` runs share the machine with a process spinning one core on matrix products. Peak MiB is the "
        "run process's peak RSS (fit, then sampling). Ratios are per-row figures over the x1 idle run's.", "",
        "| copies | rows | load | fit s | sample s | peak MiB | fit s / 1k rows | sample s / 1k rows | MiB / 1k rows "
        "| fit ratio | sample ratio | memory ratio |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sorted(records, key=lambda r: (r["factor"], r["load"])):
        ratios = ["", "", ""]
        if base:
            ratios = [f"{r[k] / base[k]:.2f}" for k in ("fit_s_per_1k_rows", "sample_s_per_1k_rows", "peak_mib_per_1k_rows")]
        lines.append(f"| x{r['factor']} | {r['rows']:,} | {r['load']} | {r['fit_seconds']:.0f} | {r['sample_seconds']:.1f} "
                     f"| {r['peak_mib']:.0f} | {r['fit_s_per_1k_rows']:.2f} | {r['sample_s_per_1k_rows']:.3f} "
                     f"| {r['peak_mib_per_1k_rows']:.1f} | {' | '.join(ratios)} |")
    for r in records:
        if r["load"] == "busy" and r["factor"] in idle:
            same = idle[r["factor"]]
            lines.append("")
            lines.append(f"Beside a competing process, x{r['factor']} took {r['wall_seconds'] / same['wall_seconds']:.2f}x "
                         f"its idle wall time ({r['wall_seconds']:.0f} s against {same['wall_seconds']:.0f} s; fit "
                         f"{r['fit_seconds'] / same['fit_seconds']:.2f}x, sample {r['sample_seconds'] / same['sample_seconds']:.2f}x).")
    return "\n".join(lines) + "\n"


def plot(records: list[dict], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    idle = sorted((r for r in records if r["load"] == "idle"), key=lambda r: r["rows"])
    rows = [r["rows"] for r in idle]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    for ax, key, label in zip(axes, ("fit_seconds", "sample_seconds", "peak_mib"), ("fit s", "sample s", "peak MiB")):
        values = [r[key] for r in idle]
        ax.plot(rows, values, "o-", label="measured (idle)")
        ax.plot(rows, [values[0] * n / rows[0] for n in rows], "--", color="grey", label="linear from x1")
        ax.set_xlabel("rows")
        ax.set_ylabel(label)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
    axes[0].legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def parse_set(values: list[str]) -> dict:
    """``--set fit_steps=4000 --set gnn.epochs=20`` -> nested overrides (values read as YAML)."""
    out: dict = {}
    for item in values:
        key, _, value = item.partition("=")
        node = out
        *parents, leaf = key.strip().split(".")
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = yaml.safe_load(value)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--dataset", default="walmart_subsampled")
    parser.add_argument("--factors", default="1,2,4,8")
    parser.add_argument("--busy", default="1", help="factors also measured beside a competing process ('' for none)")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--set", dest="set_values", action="append", default=[], help="config override key=value")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name", default=None)
    parser.add_argument("--work-dir", default=None, help="where the replicated datasets and runs go (default: a temp dir)")
    args = parser.parse_args()
    args.set_values = parse_set(args.set_values)

    from syntherela_rgcd.datasets import prepare_dataset
    from syntherela_rgcd.plugins import build_registry
    from syntherela_rgcd.rgcd.config import deep_merge, resolve_config

    data = prepare_dataset(args.dataset, args.data_dir, build_registry())
    config = deep_merge(resolve_config(args.profile, data.name), args.set_values)
    for key in ("profile", "seed", "device"):
        config.pop(key, None)
    name = args.name or f"scaling_{data.name}"
    command = "python benchmarks/scaling.py " + " ".join(sys.argv[1:])
    factors = [int(f) for f in args.factors.split(",")]
    busy = {int(f) for f in args.busy.split(",") if f.strip()}
    work = Path(args.work_dir or tempfile.mkdtemp(prefix="rgcd-scaling-"))
    config_file = work / "config.yaml"
    work.mkdir(parents=True, exist_ok=True)
    config_file.write_text(yaml.safe_dump(config))
    records = []
    for factor in factors:
        tables = replicate(data.tables, data.metadata, factor)
        rows = sum(len(t) for t in tables.values())
        copy_name = f"{data.name}_x{factor}"
        write_dataset(tables, data.metadata, work / "original" / copy_name)
        del tables
        for is_busy in ([False, True] if factor in busy else [False]):
            print(f"x{factor} ({rows:,} rows, {'busy' if is_busy else 'idle'}) ...", flush=True)
            summary = run_size(copy_name, work, config_file, args, is_busy)
            records.append(record(summary, factor, rows, is_busy))
            print(f"  fit {summary['fit_seconds']:.0f} s, sample {summary['sample_seconds'][0]:.1f} s, "
                  f"peak {summary['peak_memory_mb']:.0f} MiB", flush=True)
    results = REPO / "results"
    (results / f"{name}.json").write_text(json.dumps({"command": command, "records": records, "config": config}, indent=1))
    (results / f"{name}.md").write_text(markdown(records, args, command))
    plot(records, results / f"{name}.png", f"RGCD on {data.name}: cost against size ({args.threads} threads)")
    print((results / f"{name}.md").read_text())


if __name__ == "__main__":
    main()
