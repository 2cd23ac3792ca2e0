"""RGCD end to end on small slices of the real benchmark datasets (skipped when absent).

A slice keeps the first rows of each root table and, in generation order, the child rows
whose parents were all kept, so every slice is a valid database with the real schema:
linear (AirBnB), multi-child (Walmart), key-only multi-FK tables (CORA, Biodegradability),
depth 3 (Biodegradability) and an isolated table (IMDB without ratings).
"""

from __future__ import annotations

import pandas as pd
import pytest

from syntherela_rgcd.contract import RunContext
from syntherela_rgcd.datasets import referential_problems
from syntherela_rgcd.rgcd.encoding import FRESH_PREFIX
from syntherela_rgcd.rgcd.model import RGCD
from syntherela_rgcd.rgcd.schema import generation_order

from rgcd_helpers import load_shared, single_torch_thread  # noqa: F401 (autouse fixture)

TINY = {"vae": {"epochs": 2}, "gnn": {"steps": 2}, "diffusion": {"epochs": 2, "num_steps": 3}}
DATASETS = [
    "airbnb-simplified_subsampled",
    "walmart_subsampled",
    "CORA_v1",
    "Biodegradability_v1",
    "imdb_MovieLens_v1_noratings",
]


def slice_database(tables: dict, metadata, roots: int = 40, max_rows: int = 400) -> dict:
    kept: dict[str, pd.DataFrame] = {}
    for table in generation_order(metadata):
        frame = tables[table]
        mask = pd.Series(True, index=frame.index)
        for rel in metadata.relationships:
            if rel["child_table_name"] != table:
                continue
            fk = frame[rel["child_foreign_key"]]
            parent_keys = kept[rel["parent_table_name"]][rel["parent_primary_key"]]
            mask &= fk.isna() | fk.isin(parent_keys)
        limit = roots if not metadata.get_parents(table) else max_rows
        kept[table] = frame[mask].head(limit).reset_index(drop=True)
    return kept


@pytest.mark.parametrize("name", DATASETS)
def test_rgcd_on_a_slice_of_the_real_dataset(name):
    tables, metadata = load_shared(name)
    real = slice_database(tables, metadata)
    model = RGCD(profile="smoke", dataset=name, config=TINY).fit(real, metadata, RunContext(progress=False))
    sample = model.sample(seed=0)
    assert set(sample) == set(real)
    for table, frame in real.items():
        assert list(sample[table].columns) == list(frame.columns)
        for column in frame.columns:
            if metadata.tables[table].columns[column]["sdtype"] == "categorical":
                # real categories, or fresh values for the rare ones (encoding.RARE_BELOW)
                new = set(sample[table][column].dropna()) - set(frame[column].dropna())
                assert all(str(v).startswith(FRESH_PREFIX) or float(v) > pd.to_numeric(frame[column]).max()
                           for v in new), f"{table}.{column}: {sorted(map(str, new))[:5]}"
    assert referential_problems(sample, metadata) == []
    metadata.validate_data(sample)


@pytest.mark.slow
@pytest.mark.parametrize("name", DATASETS)
def test_cli_runs_rgcd_smoke_on_the_full_dataset(name, tmp_path):
    """The whole pipeline on the full data: fit, sample, write, reload and score with DDA."""
    import json

    from syntherela_rgcd.runner import RunOptions, run

    from rgcd_helpers import shared_original

    load_shared(name)  # skips when absent
    result = run(RunOptions(method="rgcd", dataset=name, data_dir=shared_original().parent, output_dir=tmp_path,
                            profile="smoke", metrics="dda,cardinality", quiet=True))
    summary = json.loads((result.results_dir / "summary.json").read_text())
    assert summary["scores"]["sample1"]["cardinality"]
    for figures in summary["scores"]["sample1"].get("dda", {}).values():
        assert 0.0 <= figures["accuracy"] <= 1.0
