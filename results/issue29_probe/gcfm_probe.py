"""GCFM probe driver (prototype of a worker), run by the gcfm env's python.

  python gcfm_probe.py fit    --src GCFM_CHECKOUT --data SYNTHERELA_DIR --model DIR [--options JSON]
  python gcfm_probe.py sample --src GCFM_CHECKOUT --model DIR --out DIR [--seed N]
  python gcfm_probe.py e2e    --src GCFM_CHECKOUT --config CONFIG.py --work DIR   (authors' run_experiment)

fit builds the model as the authors' test/configs/sb_rossmann_subsampled.py does (GAT node
embedder, node-conditional MLP denoiser, ResampleConnectedComponents graph model), with the
budget from --options, trains it on CPU and pickles the whole GraphFlowMatching object (the
authors' own store() keeps only the net: the graph model's store is a TODO). The data folder's
path must contain 'syntherela' (GCFM then reads it with syntherela 0.0.3's loader).
sample unpickles it and runs the ODE sampler: the structure is the training graph's connected
components resampled with replacement (the original graph itself when its largest component
holds > 50 % of the nodes); features are generated.
"""
import argparse, json, os, pickle, random, sys, time, types
from functools import partial
from pathlib import Path

DEFAULTS = {"epochs": 30, "losses_per_epoch": 100, "generation_steps": 100, "lr": 4e-3, "patience": 5,
            "graph_embedding_dim": 3, "gat_hidden": 100, "hidden": [200, 200], "train_proportion": 0.9,
            "sigma_min": 1e-3}


def import_gcfm(src, stub_syntherela=False):
    # torchvision: only src/data.py's MNIST helper uses it; PyPI's build does not match the CPU torch
    tv = types.ModuleType("torchvision"); tv.datasets = tv.transforms = None
    sys.modules.setdefault("torchvision", tv)
    if stub_syntherela:  # graph_data.py imports syntherela.metadata only for an isinstance check
        st = types.ModuleType("syntherela"); sm = types.ModuleType("syntherela.metadata")
        sm.Metadata = type("Metadata", (), {}); st.metadata = sm
        sys.modules.setdefault("syntherela", st); sys.modules.setdefault("syntherela.metadata", sm)
    sys.path.insert(0, str(Path(src).absolute()))


def own_dataset(data, o):
    """The tables read here (no syntherela/sdv): keys as text, datetimes as float days since
    1970 under neutral names (GCFM's handle_dates keys on 'date' in a column name and cannot
    type a datetime column named otherwise), then GCFM's own fake-numerical categorisation."""
    import numpy as np, pandas as pd
    from src.graph_data import MultiTableDataset, MultiTableDatasetConfig, make_fake_numerical_categorical
    meta = json.loads(Path(data, "metadata.json").read_text())
    tables, info = {}, {}
    for t, spec in meta["tables"].items():
        cols = spec["columns"]
        ids = [c for c, s in cols.items() if s["sdtype"] == "id"]
        df = pd.read_csv(Path(data, f"{t}.csv"), dtype={c: str for c in ids})
        for c, s in cols.items():
            if s["sdtype"] == "datetime":
                d = pd.to_datetime(df[c], format=s.get("datetime_format"), errors="coerce")
                df[c] = (d - pd.Timestamp("1970-01-01")).dt.days.astype(float)
            elif s["sdtype"] in ("categorical", "boolean"):
                df[c] = df[c].astype(str).where(df[c].notna(), np.nan).astype("category")
        make_fake_numerical_categorical(df, max_number_of_unique_values=o.get("category_cardinality_threshold", 40))
        tables[t] = df
        info[t] = {"primary_key": spec.get("primary_key"), "foreign_keys": {}}
    for r in meta["relationships"]:
        info[r["child_table_name"]]["foreign_keys"][r["child_foreign_key"]] = {
            "table": r["parent_table_name"], "key_column": r["parent_primary_key"]}

    class OwnDatasetConfig(MultiTableDatasetConfig):
        def get(self):
            mtd = MultiTableDataset({t: df.copy() for t, df in tables.items()}, metadata=info)
            self.split_strategy(mtd, train_proportion=self.train_proportion, seed=self.split_seed)
            return mtd
    return OwnDatasetConfig(path=str(data), train_proportion=o["train_proportion"], split_seed=None)


def build(data, o):
    import torch
    from src.graph_data import MultiTableDatasetConfig
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
    if o.get("loader") == "own":
        dataset = own_dataset(data, o)
    else:
        dataset = MultiTableDatasetConfig(path=str(data), train_proportion=o["train_proportion"], split_seed=None)
    opt = Optimization(epochs=o["epochs"], batch_size=1, optimizer_class=torch.optim.RAdam,
                       optimizer_hyperparameters={"lr": o["lr"]},
                       lr_scheduler_class=torch.optim.lr_scheduler.LambdaLR,
                       lr_scheduler_params={"lr_lambda": partial(exponential_decaying_lr, start_lr=o["lr"],
                                                                 final_lr=1e-5, n_epochs=o["epochs"])},
                       patience=o["patience"])
    mlp = NodeConditionalMLP_DenoiserConfig(hidden_channels=tuple(o["hidden"]), activation_layer=torch.nn.SiLU(),
                                            layer_norm=True, time_embedding=classic_embedding)
    embedder = GATConfig(hidden_channels=o["gat_hidden"], embedding_dim=o["graph_embedding_dim"],
                         add_node_degrees=True)
    model = GraphFlowMatching(
        graph_model=ResampleConnectedComponents(),
        graph_denoising_net_config=GraphDenoisingNetConfig(node_embedder_config=embedder,
                                                           node_conditional_denoiser_config=mlp),
        graph_preprocessor=[MultiTableMissingValuesHandler(), Simplifier(), GraphToOneHot(), GraphQuantilesNormalizer()],
        optimization=opt, losses_per_epoch=o["losses_per_epoch"],
        graph_flow=GraphFlow(sigma_min=o["sigma_min"], objective="x1_prediction"))
    return dataset, model


def seed_all(seed):
    import numpy as np, torch
    random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)


def fit(a):
    o = {**DEFAULTS, **json.loads(a.options)}
    import_gcfm(a.src, stub_syntherela=o.get("loader") == "own")
    seed_all(int(o.get("seed", 0)))
    data = Path(a.data).absolute()
    model_dir = Path(a.model); model_dir.mkdir(parents=True, exist_ok=True)
    os.chdir(model_dir)  # nn_training saves losses.png into the working directory
    dataset, model = build(data, o)
    t0 = time.time()
    model.train(dataset, device="cpu")
    print(f"gcfm: training {time.time() - t0:.1f}s, {len(model.losses[0])} epochs", file=sys.stderr)
    with open("model.pkl", "wb") as f:
        pickle.dump({"model": model, "options": o,
                     "metadata": json.loads((data / "metadata.json").read_text())}, f)


def sample(a):
    import_gcfm(a.src, stub_syntherela=True)
    with open(Path(a.model, "model.pkl"), "rb") as f:
        saved = pickle.load(f)
    model, o, meta = saved["model"], saved["options"], saved["metadata"]
    seed_all(int(a.seed))
    t0 = time.time()
    mtd = model.generate(device="cpu", steps=o["generation_steps"], x0_seed=int(a.seed))
    print(f"gcfm: sampling {time.time() - t0:.1f}s", file=sys.stderr)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    for name, df in mtd.get_dfs().items():
        df.to_csv(out / f"{name}.csv", index=False)
        print(f"gcfm: {name}: {len(df)} rows, columns {list(df.columns)}", file=sys.stderr)


def e2e(a):
    import_gcfm(a.src)
    config = Path(a.config).absolute()
    os.makedirs(a.work, exist_ok=True); os.chdir(a.work)
    from src.experiment_controller import run_experiment
    print(run_experiment(str(config)))


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["fit", "sample", "e2e"])
    p.add_argument("--src", required=True)
    p.add_argument("--data"); p.add_argument("--model"); p.add_argument("--out"); p.add_argument("--config")
    p.add_argument("--work"); p.add_argument("--options", default="{}"); p.add_argument("--seed", default="0")
    a = p.parse_args()
    {"fit": fit, "sample": sample, "e2e": e2e}[a.command](a)
