"""RCTGAN worker: RCTGAN 1.1 (Python < 3.10, pandas < 2), run in the ``rctgan`` environment.

As SyntheRela's ``experiments/generation/rctgan/generate_rctgan.py`` runs it: the metadata in
SDV's v0 format (``metadata_v0.json``, written by the caller with SyntheRela's
``convert_metadata_to_v0``), categorical columns read as text, datetimes parsed, ids inferred,
``RCTGAN(metadata, hyperparam)`` fitted with the run's seed and pickled. Option ``epochs`` caps
every table's epochs (RCTGAN's default is 1,000, hours per table on a CPU). Sampling renumbers
every key 0..n-1 (foreign keys with it): RCTGAN writes ids such as ``NA``, which readers that
take ``NA`` for missing turn into dangling keys. A table with nothing but keys (CORA's
``cites``) gets a constant column for the fit (:func:`pad_key_only_tables`). Standard library,
pandas and rctgan only.
"""

import json
import pickle
import sys
from pathlib import Path

import pandas as pd
from worker_cli import run_worker
from worker_tables import write_table


def read(folder, metadata_v0):
    tables = {}
    for name, spec in metadata_v0["tables"].items():
        dtypes = {c: "object" for c, f in spec["fields"].items() if f["type"] == "categorical"}
        dates = [c for c, f in spec["fields"].items() if f["type"] == "datetime"]
        tables[name] = pd.read_csv(Path(folder, f"{name}.csv"), low_memory=False, dtype=dtypes, parse_dates=dates)
    return tables


PAD = "_rctgan_constant"


def pad_key_only_tables(tables, metadata_v0):
    """Give every table that has nothing but keys (CORA's ``cites``) one constant column.

    RCTGAN 1.1 fits a table's CTGAN only when the table has a column that is not an id
    (``PC_CTGANModel.fit`` in ``rctgan/tabular/ctganpc.py``), yet samples every child through
    it, so a key-only child fails in sampling with "'PC_CTGAN' object has no attribute
    '_model'" after the whole fit. The constant column carries no information and is not
    written out (``sample`` writes the metadata's columns only)."""
    padded = []
    for name, spec in metadata_v0["tables"].items():
        if all(field["type"] == "id" for field in spec["fields"].values()):
            spec["fields"][PAD] = {"type": "categorical"}
            tables[name][PAD] = "x"
            padded.append(name)
    return padded


def fit(args):
    from rctgan import Metadata
    from rctgan.relational import RCTGAN

    options = json.loads(args.options)
    metadata_v0 = json.loads(Path(args.data, "metadata_v0.json").read_text())
    tables = read(args.data, metadata_v0)
    padded = pad_key_only_tables(tables, metadata_v0)
    if padded:
        print(f"rctgan: key-only table(s) {', '.join(padded)} get a constant column for RCTGAN to fit",
              file=sys.stderr, flush=True)
    Path(args.model, "metadata_v0.json").write_text(json.dumps(metadata_v0, indent=1))
    hyperparam = {name: {"epochs": int(options["epochs"])} for name in tables} if "epochs" in options else None
    print(f"rctgan: fitting {len(tables)} tables"
          f"{', ' + str(options['epochs']) + ' epochs each' if 'epochs' in options else ''}", file=sys.stderr,
          flush=True)
    model = RCTGAN(metadata=Metadata(metadata=str(Path(args.model, "metadata_v0.json"))), hyperparam=hyperparam,
                   seed=options.get("seed"))
    model.fit(tables)
    with open(Path(args.model, "rctgan.pkl"), "wb") as handle:
        pickle.dump(model, handle)
    Path(args.model, "metadata.json").write_text(Path(args.data, "metadata.json").read_text())


def renumbered(tables, metadata):
    """Every primary key as 0..n-1, and every foreign key mapped the same way."""
    mapping = {}
    for name, spec in metadata["tables"].items():
        pk = spec.get("primary_key")
        if pk:
            mapping[name] = {value: i for i, value in enumerate(tables[name][pk].tolist())}
            tables[name][pk] = range(len(tables[name]))
    for rel in metadata["relationships"]:
        child, fk = rel["child_table_name"], rel["child_foreign_key"]
        codes = mapping[rel["parent_table_name"]]
        tables[child][fk] = tables[child][fk].map(lambda v: codes.get(v)).astype("Int64")
    return tables


def sample(args):
    if float(args.scale) != 1.0:
        raise ValueError("RCTGAN samples the real number of root rows only (scale 1)")
    metadata = json.loads(Path(args.model, "metadata.json").read_text())
    with open(Path(args.model, "rctgan.pkl"), "rb") as handle:
        model = pickle.load(handle)
    model.seed = int(args.seed)
    tables = renumbered(model.sample(), metadata)
    for name, spec in metadata["tables"].items():
        write_table(tables[name], spec, Path(args.out, f"{name}.csv"))
    print(f"rctgan: sampled {', '.join(f'{n} {len(t)}' for n, t in tables.items())} rows", file=sys.stderr, flush=True)


if __name__ == "__main__":
    run_worker(fit, sample)
