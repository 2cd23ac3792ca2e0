"""TabularARGN worker: MOSTLY AI's SDK in local mode, run in the ``tabularargn`` environment.

One generator per database, configured as SyntheRela's ``experiments/generation/mostlyai/
generate_mostlyai.py`` does: per table its primary key and encodings by sdtype, and each
child's first foreign key of its first parent as the context (the others plain references).
``fit --data DIR --model DIR --options JSON`` trains and keeps the SDK's local home under the
model folder; ``sample --model DIR --out DIR --seed N --scale S`` generates. Standard library,
pandas and mostlyai only: this file does not import syntherela_rgcd.
"""

import json
import sys
from pathlib import Path

from worker_cli import run_worker
from worker_tables import read_tables, write_table

ENCODINGS = {"categorical": "TABULAR_CATEGORICAL", "boolean": "TABULAR_CATEGORICAL",
             "numerical": "TABULAR_NUMERIC_AUTO", "datetime": "TABULAR_DATETIME", "id": "AUTO"}


def config_for(metadata, tables, options):
    config = {"name": "syntherela", "tables": []}
    for name, spec in metadata["tables"].items():
        table = {"name": name, "data": tables[name],
                 "columns": [{"name": c, "model_encoding_type": ENCODINGS[s["sdtype"]]}
                             for c, s in spec["columns"].items()],
                 "tabular_model_configuration": {"model": options.get("model", "MOSTLY_AI/Medium"),
                                                 "max_training_time": options.get("max_training_time", 10.0),
                                                 "max_epochs": options.get("max_epochs", 100),
                                                 "enable_flexible_generation": False, "value_protection": False}}
        if spec.get("primary_key"):
            table["primary_key"] = spec["primary_key"]
        is_context = True
        for rel in metadata["relationships"]:
            if rel["child_table_name"] == name:
                table.setdefault("foreign_keys", []).append(
                    {"column": rel["child_foreign_key"], "referenced_table": rel["parent_table_name"],
                     "is_context": is_context})
                is_context = False
        config["tables"].append(table)
    return config


def client(model):
    from mostlyai.sdk import MostlyAI

    return MostlyAI(local=True, local_dir=str(Path(model, "mostlyai")), quiet=True)


def fit(args):
    options = json.loads(args.options)
    metadata = json.loads(Path(args.data, "metadata.json").read_text())
    tables = read_tables(args.data, metadata)
    print(f"tabularargn: training one generator on {len(tables)} tables "
          f"({options.get('max_training_time', 10.0)} min per table at most)", file=sys.stderr, flush=True)
    config = config_for(metadata, tables, options)
    if "seed" in options:
        config["random_state"] = int(options["seed"])
    generator = client(args.model).train(config=config, start=True, wait=True, progress_bar=False)
    Path(args.model, "metadata.json").write_text(json.dumps(metadata))
    Path(args.model, "generator.json").write_text(json.dumps({"id": str(generator.id),
                                                              "sizes": {n: len(t) for n, t in tables.items()}}))


def sample(args):
    metadata = json.loads(Path(args.model, "metadata.json").read_text())
    saved = json.loads(Path(args.model, "generator.json").read_text())
    mostly = client(args.model)
    generator = mostly.generators.get(saved["id"])
    subjects = [n for n in metadata["tables"]
                if not any(r["child_table_name"] == n for r in metadata["relationships"])]
    size = {n: max(1, round(float(args.scale) * saved["sizes"][n])) for n in subjects}
    dataset = mostly.generate(generator, config={"tables": [{"name": n, "configuration": {"sample_size": size[n]}}
                                                            for n in subjects], "random_state": int(args.seed)},
                              start=True, wait=True, progress_bar=False)
    for name, frame in dataset.data().items():
        write_table(frame, metadata["tables"][name], Path(args.out, f"{name}.csv"))
    print(f"tabularargn: sampled {', '.join(f'{n} {size[n]}' for n in subjects)} subject rows", file=sys.stderr,
          flush=True)


if __name__ == "__main__":
    run_worker(fit, sample)
