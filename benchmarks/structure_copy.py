"""Structure copy figures per dataset, before (``structure: copy``) and after (``auto``), with no model.

The structure sampler alone decides the key columns; this draws them with each mode and
scores them with :func:`syntherela_rgcd.evaluation.copying.copy_figures`, attributes taken
from the real row each new row stands for (so only the structure figures mean something
here: real edges, degree and 2-hop KS, the degree-correlation gap, triangles and the WL
hash). It needs no fitted model, so it covers big datasets (the IMDB stand-in) in a minute;
``benchmarks/resample.py`` gives the same figures for a fitted model's samples, attributes
included.

    python benchmarks/structure_copy.py --datasets CORA_v1,imdb_MovieLens_v1_standin \\
        --output results/structure_copy.json
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd

from syntherela_rgcd.datasets import prepare_dataset
from syntherela_rgcd.evaluation.copying import copy_figures
from syntherela_rgcd.plugins import build_registry
from syntherela_rgcd.rgcd.config import resolve_config
from syntherela_rgcd.rgcd.structure import StructureSampler

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", required=True)
    parser.add_argument("--data-dir", default=str(REPO.parent / "shared" / "data"))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, required=True)
    args = parser.parse_args()

    correlation = resolve_config("cpu")["degree_twin_correlation"]
    rows = []
    for name in args.datasets.split(","):
        data = prepare_dataset(name, args.data_dir, build_registry())
        sampler = StructureSampler().fit(data.tables, data.metadata)
        for mode in ("copy", "auto"):
            started = time.perf_counter()
            sampled = sampler.sample(1.0, args.seed, mode, twin_correlation=correlation)
            seconds = time.perf_counter() - started
            synthetic = {}
            for table, keys in sampled.keys.items():
                real = data.tables[table]
                attributes = real.drop(columns=[c for c in keys.columns if c in real]).iloc[sampled.source_rows[table]]
                synthetic[table] = pd.concat([keys, attributes.reset_index(drop=True)], axis=1)[list(real.columns)]
            figures = copy_figures(data.tables, synthetic, data.metadata, sampled.source_rows, seed=0)
            figures.pop("rows"), figures.pop("twins", None)  # attributes are the real rows' here
            rows.append({"dataset": data.name, "mode": mode, "network": sampler.is_network,
                         "largest_component": round(sampler.largest_share, 4), "sample_seconds": round(seconds, 1),
                         "figures": figures})
            print(f"{data.name} {mode}: {_line(figures)} ({seconds:.1f} s)", flush=True)
    args.output.write_text(json.dumps(rows, indent=1))
    command = "python benchmarks/structure_copy.py " + " ".join(sys.argv[1:])
    lines = ["# Structure copy figures, before (copy) and after (auto)", "",
             f"Produced by `{command}` on {platform.machine()}, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC. "
             f"Keys drawn by the structure sampler alone (seed {args.seed}, scale 1; auto with "
             f"degree_twin_correlation {correlation}), scored by `evaluation/copying.py`. *real edges*: share of "
             "rows of a link table (two or more foreign keys) whose parents' counterparts are linked by a real row. "
             "*degree KS*: children per parent, largest over relationships. *2-hop KS*: co-parents per parent (link "
             "tables) and grandchildren per grandparent, largest. *degree corr. gap*: largest difference between real "
             "and synthetic rank correlations of a parent's degrees. Triangles and the WL hash: link tables into one "
             "table of at most 200,000 rows.", "",
             "| dataset | largest component | mode | real edges | degree KS | 2-hop KS | degree corr. gap | triangles (synthetic / real) | WL hash equal |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        f = r["figures"]
        lines.append(f"| {r['dataset']} | {r['largest_component']:.0%}{' (network)' if r['network'] else ''} | "
                     f"{r['mode']} | {_edges(f)} | {_max(f, 'degree_ks')} | {_two_hop(f)} | {_gap(f)} | "
                     f"{_links(f, 'triangles')} | {_links(f, 'wl')} |")
    args.output.with_suffix(".md").write_text("\n".join(lines) + "\n")


def _max(figures: dict, key: str) -> str:
    values = [e[key] for e in figures["relationships"].values() if e.get(key) is not None]
    return f"{max(values):.3f}" if values else ""


def _two_hop(figures: dict) -> str:
    values = [e[k] for e in figures["relationships"].values() for k in ("co_parents_ks", "grandchildren_ks")
              if e.get(k) is not None]
    return f"{max(values):.3f}" if values else ""


def _gap(figures: dict) -> str:
    values = [p["degree_correlation_gap"] for p in figures["parents"].values() if p["degree_correlation_gap"] is not None]
    return f"{max(values):.3f}" if values else ""


def _edges(figures: dict) -> str:
    return ", ".join(f"{t} {f['real_edges_share']:.1%}" for t, f in figures["links"].items() if "real_edges_share" in f)


def _links(figures: dict, what: str) -> str:
    if what == "triangles":
        return ", ".join(f"{t} {f['triangles_synthetic']:,} / {f['triangles_real']:,}"
                         for t, f in figures["links"].items() if "triangles_real" in f)
    return ", ".join(f"{t} {'yes' if f['wl_hash_equal'] else 'no'}" for t, f in figures["links"].items()
                     if "wl_hash_equal" in f)


def _line(figures: dict) -> str:
    return f"real edges {_edges(figures) or '-'}, degree KS {_max(figures, 'degree_ks')}, 2-hop KS {_two_hop(figures)}"


if __name__ == "__main__":
    main()
