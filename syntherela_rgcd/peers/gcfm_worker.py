"""GCFM worker: graph-conditional flow matching (DavideScassola/graph-conditional-flow-matching
@ 999a5a7, MIT), run by the ``gcfm`` environment's interpreter on a checkout the user supplies
(``options["source"]``; the repository is not a package and is not on PyPI).

``fit`` builds the model as the authors' SyntheRela configs do (``test/configs/sb_*.py``: a GAT
node embedder inside a node-conditional MLP denoiser, flow matching with ``x1`` prediction,
missing-value handling, one-hot and quantile preprocessing, an exponentially decaying RAdam
learning rate) with the budget from the options, trains it on the CPU and pickles the whole
``GraphFlowMatching`` object (the authors' ``store()`` keeps only the network; storing the
graph model is a TODO there). ``sample`` unpickles it and integrates the ODE.

The structure is not generated: GCFM's ``ResampleConnectedComponents`` draws the training
graph's connected components with replacement, and returns the training graph itself when one
component holds more than half the rows (its ``MAX_COMPONENT_SIZE_THRESHOLD``); a scale other
than 1 is therefore refused. A share of the rows is held out of the loss (``TRAIN_PROPORTION``:
0.9, Walmart 0.96) but kept in the graph, as in the authors' runs.

Tables are read here, not by GCFM's loader (it needs syntherela 0.0.3 and SDV, and types a
datetime only when its column name contains 'date'): datetimes become fractional days since
1970 (the time of day kept) and come back as datetimes to the second. Patched, and why: ``torchvision`` is imported only by the MNIST helper
of ``src/data.py`` (a stub module; PyPI's build does not match the CPU torch) and
``syntherela.metadata`` only for an ``isinstance`` check (a stub class).
Standard library, numpy, pandas and the checkout only: this file does not import syntherela_rgcd.
"""

import json
import os
import pickle
import random
import re
import sys
import time
import types
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from worker_cli import run_worker
from worker_tables import read_tables, write_table

#: The generic model, for a database the authors did not configure: their Rossmann config
#: (sb_rossmann_subsampled.py) with one network size for every table; the method's options
#: override the budget (epochs x losses_per_epoch full-graph steps, ODE steps at sampling).
AUTHORS = {"epochs": 30, "losses_per_epoch": 100, "generation_steps": 100, "lr": 4e-3, "patience": 5,
           "graph_embedding_dim": 3, "gat_hidden": 100, "hidden": [200, 200], "train_proportion": 0.9,
           "sigma_min": 1e-3, "category_cardinality_threshold": 40}
EPOCH = pd.Timestamp("1970-01-01")
#: SyntheRela's dataset names -> the authors' configuration files for them
AUTHORS_CONFIGS = {"walmart_subsampled": "sb_walmart_subsampled.py", "rossmann_subsampled": "sb_rossmann_subsampled.py",
                   "airbnb-simplified_subsampled": "sb_airbnb.py", "Biodegradability_v1": "sb_biodegradability.py",
                   "CORA_v1": "sb_CORA_v1.py", "imdb_MovieLens_v1": "sb_imdb_MovieLens_v1.py"}
#: what a run may set over the authors' configuration (the rest of AUTHORS only shapes the generic model)
BUDGET = ("epochs", "losses_per_epoch", "generation_steps")


def say(message):
    print(f"gcfm: {message}", file=sys.stderr, flush=True)


def import_source(source):
    source = Path(source)
    if not (source / "src" / "models" / "diffusion" / "graph_flow_matching.py").is_file():
        raise FileNotFoundError(f"{source} is not a GCFM checkout (no src/models/diffusion/graph_flow_matching.py)")
    vision = types.ModuleType("torchvision")
    vision.datasets = vision.transforms = None
    sys.modules.setdefault("torchvision", vision)
    syntherela, syntherela_metadata = types.ModuleType("syntherela"), types.ModuleType("syntherela.metadata")
    syntherela_metadata.Metadata = type("Metadata", (), {})
    syntherela.metadata = syntherela_metadata
    sys.modules.setdefault("syntherela", syntherela)
    sys.modules.setdefault("syntherela.metadata", syntherela_metadata)
    sys.path.insert(0, str(source.absolute()))


def dataset_config(data, options):
    """GCFM's dataset config over tables read here (see the module docstring)."""
    from src.graph_data import MultiTableDataset, MultiTableDatasetConfig, make_fake_numerical_categorical

    metadata = json.loads(Path(data, "metadata.json").read_text())
    tables, info = {}, {}
    for name, frame in read_tables(data, metadata, categoricals_as_text=True).items():
        for column, s in metadata["tables"][name]["columns"].items():
            if s["sdtype"] == "datetime":  # fractional days: the time of day is kept, as GCFM's own loader does
                frame[column] = (frame[column] - EPOCH) / pd.Timedelta(days=1)
            elif s["sdtype"] in ("categorical", "boolean"):
                frame[column] = frame[column].astype(str).where(frame[column].notna(), np.nan).astype("category")
        make_fake_numerical_categorical(frame, max_number_of_unique_values=options["category_cardinality_threshold"])
        tables[name] = frame
        info[name] = {"primary_key": metadata["tables"][name].get("primary_key"), "foreign_keys": {}}
    for rel in metadata["relationships"]:
        info[rel["child_table_name"]]["foreign_keys"][rel["child_foreign_key"]] = {
            "table": rel["parent_table_name"], "key_column": rel["parent_primary_key"]}

    class TablesReadHere(MultiTableDatasetConfig):
        def get(self):
            dataset = MultiTableDataset({t: f.copy() for t, f in tables.items()}, metadata=info)
            self.split_strategy(dataset, train_proportion=self.train_proportion, seed=self.split_seed)
            return dataset

    return TablesReadHere(path=str(data), train_proportion=options["train_proportion"], split_seed=None), metadata


def build_model(options):
    import torch
    from src.models.diffusion.diffusion_process import GraphFlow
    from src.models.diffusion.graph_flow_matching import GraphFlowMatching
    from src.models.graph.resample_connected_components import ResampleConnectedComponents
    from src.nn.graph_denoising_net import GraphDenoisingNetConfig
    from src.nn.node_conditional_denoiser import NodeConditionalMLP_DenoiserConfig
    from src.nn.node_embedder import GATConfig
    from src.nn.optimization import Optimization
    from src.nn.time_embedding import classic_embedding
    from src.preprocessors.graph_quantile_normalization import GraphQuantilesNormalizer
    from src.preprocessors.graph_to_one_hot import GraphToOneHot
    from src.preprocessors.multi_table_missing_values_handler import MultiTableMissingValuesHandler
    from src.preprocessors.simplifier import Simplifier
    from src.util import exponential_decaying_lr

    o = options
    optimization = Optimization(
        epochs=o["epochs"], batch_size=1, optimizer_class=torch.optim.RAdam, optimizer_hyperparameters={"lr": o["lr"]},
        lr_scheduler_class=torch.optim.lr_scheduler.LambdaLR,
        lr_scheduler_params={"lr_lambda": partial(exponential_decaying_lr, start_lr=o["lr"], final_lr=1e-5,
                                                  n_epochs=o["epochs"])},
        patience=o["patience"])
    denoiser = NodeConditionalMLP_DenoiserConfig(hidden_channels=tuple(o["hidden"]), activation_layer=torch.nn.SiLU(),
                                                 layer_norm=True, time_embedding=classic_embedding)
    embedder = GATConfig(hidden_channels=o["gat_hidden"], embedding_dim=o["graph_embedding_dim"], add_node_degrees=True)
    return GraphFlowMatching(
        graph_model=ResampleConnectedComponents(),
        graph_denoising_net_config=GraphDenoisingNetConfig(node_embedder_config=embedder,
                                                           node_conditional_denoiser_config=denoiser),
        graph_preprocessor=[MultiTableMissingValuesHandler(), Simplifier(), GraphToOneHot(), GraphQuantilesNormalizer()],
        optimization=optimization, losses_per_epoch=o["losses_per_epoch"],
        graph_flow=GraphFlow(sigma_min=o["sigma_min"], objective="x1_prediction"))


def authors_config(source, dataset, options):
    """The authors' configuration for this dataset (``test/configs/sb_<name>.py``: per-table
    network sizes, category threshold, learning rate, preprocessing), run with this run's budget
    written over its ``EPOCHS``, ``LOSSES_PER_EPOCH`` and ``GENERATION_STEPS``; None for a
    database they did not configure (then the generic model of :func:`build_model`)."""
    if dataset not in AUTHORS_CONFIGS:
        return None
    path = Path(source, "test", "configs", AUTHORS_CONFIGS[dataset])
    if not path.is_file():
        return None
    text = path.read_text()
    for variable, key in (("EPOCHS", "epochs"), ("LOSSES_PER_EPOCH", "losses_per_epoch"),
                          ("GENERATION_STEPS", "generation_steps")):
        if key in options:
            text, count = re.subn(rf"^{variable} = .*$", f"{variable} = {int(options[key])}", text, flags=re.M)
            if count != 1:
                raise ValueError(f"{path.name}: cannot set {variable} (found {count} assignments)")
    namespace = {"__name__": f"gcfm_config_{path.stem}", "__file__": str(path)}
    exec(compile(text, str(path), "exec"), namespace)  # noqa: S102 (the user's own checkout)
    return {"file": path.name, "model": namespace["model"], "epochs": namespace["EPOCHS"],
            "losses_per_epoch": namespace["LOSSES_PER_EPOCH"], "generation_steps": namespace["GENERATION_STEPS"],
            "train_proportion": namespace["TRAIN_PROPORTION"],
            "category_cardinality_threshold": namespace.get("CATEGORY_CARDINALITY_THRESHOLD", 40)}


def seed_everything(seed):
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit(args):
    given = json.loads(args.options)
    options = {**AUTHORS, **{k: v for k, v in given.items() if k in AUTHORS}}
    import_source(given["source"])
    seed_everything(int(given.get("seed", 0)))
    data = Path(args.data).absolute()
    model_dir = Path(args.model).absolute()
    authors = authors_config(given["source"], given.get("dataset"), given)
    if authors:
        options.update({k: authors[k] for k in ("epochs", "losses_per_epoch", "generation_steps", "train_proportion",
                                                "category_cardinality_threshold")})
        model = authors["model"]
        ignored = sorted(k for k in given if k in AUTHORS and k not in BUDGET)
        say(f"the authors' configuration {authors['file']} with this budget"
            + (f"; their values stand for {', '.join(ignored)}" if ignored else ""))
    else:
        model = build_model(options)
        say("no configuration of the authors for this database: the generic model (their Rossmann sizes)")
    dataset, metadata = dataset_config(data, options)
    os.chdir(model_dir)  # its training loop saves losses.png into the working directory
    say(f"training {options['epochs']} epochs x {options['losses_per_epoch']} full-graph steps")
    started = time.monotonic()
    model.train(dataset, device="cpu")
    say(f"fitted in {time.monotonic() - started:.0f} s")
    with open(model_dir / "model.pkl", "wb") as handle:
        pickle.dump({"model": model, "options": options, "metadata": metadata}, handle)
    (model_dir / "source.json").write_text(json.dumps({"source": given["source"]}))


def from_gcfm(frame, spec):
    """A generated table -> the metadata's columns and types."""
    out = pd.DataFrame(index=frame.index)
    for column, s in spec["columns"].items():
        values = frame[column]
        if s["sdtype"] == "datetime":
            days = pd.to_numeric(values.astype(object), errors="coerce")
            out[column] = (EPOCH + pd.to_timedelta(days, unit="D")).dt.round("s")
        elif s["sdtype"] == "numerical":
            numbers = pd.to_numeric(values.astype(object), errors="coerce")
            out[column] = numbers.round().astype("Int64") if s.get("computer_representation") == "Int64" else numbers
        elif s["sdtype"] in ("categorical", "boolean"):
            out[column] = values.astype(object).replace("nan", np.nan)
        else:
            out[column] = values
    return out


def sample(args):
    if float(args.scale) != 1.0:
        raise ValueError(f"GCFM resamples the training graph's structure and has no scale; got --scale {args.scale}, "
                         "use 1")
    # the pickle holds GCFM's classes: the checkout must be importable before it is read
    import_source(json.loads(Path(args.model, "source.json").read_text())["source"])
    with open(Path(args.model, "model.pkl"), "rb") as handle:
        saved = pickle.load(handle)
    seed_everything(int(args.seed))
    started = time.monotonic()
    generated = saved["model"].generate(device="cpu", steps=saved["options"]["generation_steps"],
                                        x0_seed=int(args.seed))
    sizes = []
    for name, frame in generated.get_dfs().items():
        spec = saved["metadata"]["tables"][name]
        write_table(from_gcfm(frame, spec), spec, Path(args.out, f"{name}.csv"))
        sizes.append(f"{name} {len(frame)}")
    say(f"sampled {', '.join(sizes)} rows in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    run_worker(fit, sample)
