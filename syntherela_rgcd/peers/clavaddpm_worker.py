"""ClavaDDPM worker: the authors' pipeline (weipang142857/ClavaDDPM @ fa6ef4d), run by the
``clavaddpm`` environment's interpreter on a checkout the user supplies (the repository has no
licence, so nothing of it ships here; ``options["source"]`` is its folder).

``fit`` converts SyntheRela's layout to ClavaDDPM's (every key renamed ``<table>_id`` with
values 0..n-1, because ClavaDDPM finds keys by that name and drops any other column whose name
contains ``_id``; value columns renamed ``c<i>``; categories label-encoded; datetimes as days
since the column's first date), writes ``dataset_meta.json`` with the parent-child order and a
config from the budget options, and runs the authors' clustering and training stages
(``complex_pipeline.clava_clustering`` / ``clava_training``). ``sample`` reloads their
checkpoints in a fresh workspace (their stages cache outputs by path) and runs
``clava_synthesizing``, then converts back (key names, categories, dates).

What is patched, and why: ``pipeline_utils`` has ``device='cuda'`` as default arguments (set
to ``'cpu'``); ``complex_pipeline`` imports SDV and its report module only for its evaluation
step (stubbed); ``lib/util.py`` subclasses ``zero.Timer`` from libzero, whose only release
declares ``torch<2`` (a stub class); its classifier logger writes to ``/tmp/openai-*`` unless
``OPENAI_LOGDIR`` is set (set to the model folder). Learned from the authors' README and
SyntheRela's ``experiments/generation/clavaddpm`` (its ``prepare_dataset.py`` defaults).
Standard library, numpy, pandas and the checkout only: this file does not import syntherela_rgcd.
"""

import json
import os
import random
import shutil
import sys
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd

from worker_cli import run_worker
from worker_tables import read_tables, write_table

#: The authors' network and SyntheRela's iteration counts; the method's registered options
#: override them with a CPU budget (a default-size model costs about 2 s a step on one core).
AUTHORS = {"num_clusters": 50, "parent_scale": 1.0, "clustering_method": "both",
           "d_layers": [512, 1024, 1024, 1024, 1024, 512], "num_timesteps": 2000, "iterations": 200000,
           "batch_size": 4096, "lr": 6e-4, "classifier_d_layers": [128, 256, 512, 1024, 512, 256, 128],
           "classifier_iterations": 20000, "classifier_batch_size": 4096, "sample_batch_size": 20000,
           "classifier_scale": 1.0}


def say(message):
    print(f"clavaddpm: {message}", file=sys.stderr, flush=True)


def import_pipeline(source, logdir):
    """The checkout's ``complex_pipeline``, with the patches the module docstring names."""
    source = Path(source)
    if not (source / "complex_pipeline.py").is_file():
        raise FileNotFoundError(f"{source} is not a ClavaDDPM checkout (no complex_pipeline.py)")
    sys.path.insert(0, str(source))
    for name in ("sdv", "sdv.metadata", "gen_multi_report", "zero"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["sdv.metadata"].MultiTableMetadata = object
    sys.modules["gen_multi_report"].gen_multi_report = None
    sys.modules["zero"].Timer = type("Timer", (), {})
    sys.modules["zero"].hardware = types.SimpleNamespace(get_gpus_info=lambda: {})
    os.environ["OPENAI_LOGDIR"] = str(logdir)
    import complex_pipeline
    import pipeline_utils

    for function in vars(pipeline_utils).values():
        if isinstance(function, types.FunctionType) and function.__defaults__ and "cuda" in function.__defaults__:
            function.__defaults__ = tuple("cpu" if d == "cuda" else d for d in function.__defaults__)
    return complex_pipeline


def relation_order(metadata):
    """``[[None, root], ..., [parent, child], ...]`` in topological order, as ClavaDDPM's
    ``preprocess_utils.topological_sort`` writes it; the parent/child graph; and the tables
    each after all its parents."""
    graph = {t: {"children": [], "parents": []} for t in metadata["tables"]}
    for rel in metadata["relationships"]:
        graph[rel["parent_table_name"]]["children"].append(rel["child_table_name"])
        graph[rel["child_table_name"]]["parents"].append(rel["parent_table_name"])
    waiting = {t: len(g["parents"]) for t, g in graph.items()}
    queue = [t for t, n in waiting.items() if n == 0]
    order, parents_first = [[None, t] for t in queue], []
    while queue:
        parent = queue.pop(0)
        parents_first.append(parent)
        for child in graph[parent]["children"]:
            waiting[child] -= 1
            if waiting[child] == 0:
                queue.append(child)
            order.append([parent, child])
    return order, graph, parents_first


def to_clava(tables, metadata, folder):
    """SyntheRela tables -> ClavaDDPM's files; returns what ``from_clava`` needs."""
    folder.mkdir(parents=True, exist_ok=True)
    order, graph, parents_first = relation_order(metadata)
    positions, info = {}, {}
    for name in parents_first:  # a row dropped for want of a parent takes its own children with it
        spec = metadata["tables"][name]
        frame = tables[name]
        out = pd.DataFrame(index=frame.index)
        out[f"{name}_id"] = np.arange(len(frame))
        foreign = {}
        for rel in metadata["relationships"]:
            if rel["child_table_name"] != name:
                continue
            parent = rel["parent_table_name"]
            mapped = frame[rel["child_foreign_key"]].map(positions[parent])
            keep = mapped.notna()  # ClavaDDPM has no missing key: such rows cannot be modelled
            if not keep.all():
                say(f"{name}: {int((~keep).sum())} rows without a parent in {parent} left out")
                frame, out, mapped = frame[keep], out[keep], mapped[keep]
            out[f"{parent}_id"] = mapped.astype(int)
            foreign[f"{parent}_id"] = rel["child_foreign_key"]
        out[f"{name}_id"] = np.arange(len(out))  # 0..n-1 over the rows kept
        if spec.get("primary_key"):
            positions[name] = {v: i for i, v in enumerate(frame[spec["primary_key"]])}
        renamed, domain, classes, first_dates = {}, {}, {}, {}
        for i, (column, s) in enumerate(spec["columns"].items()):
            if s["sdtype"] == "id":
                continue
            new = f"c{i}"
            renamed[new] = column
            values = frame[column]
            if s["sdtype"] in ("categorical", "boolean"):
                values = values.astype(str)  # a missing value becomes the category 'nan'
                classes[new] = sorted(values.unique())
                out[new] = values.map({v: k for k, v in enumerate(classes[new])})
                domain[new] = {"size": len(classes[new]), "type": "discrete"}
                continue
            if s["sdtype"] == "datetime":  # fractional days: the time of day is kept
                first = values.min()
                first_dates[new] = None if pd.isna(first) else str(first)
                values = (values - first) / pd.Timedelta(days=1)
            values = pd.to_numeric(values, errors="coerce").astype(float)
            # ClavaDDPM has no missing value: the mean stands in (SyntheRela's preparation does so for
            # numbers; for dates it takes the mode), so its samples have none
            out[new] = values.fillna(values.mean() if values.notna().any() else 0.0)
            domain[new] = {"size": int(out[new].nunique()), "type": "continuous"}
        out.to_csv(folder / f"{name}.csv", index=False)
        (folder / f"{name}_domain.json").write_text(json.dumps(domain))
        info[name] = {"renamed": renamed, "foreign": foreign, "classes": classes, "first_dates": first_dates,
                      "primary_key": spec.get("primary_key")}
    (folder / "dataset_meta.json").write_text(json.dumps({"relation_order": order, "tables": graph}))
    return info


def from_clava(frame, name, spec, info):
    """One ClavaDDPM output table -> the metadata's columns (keys keep ClavaDDPM's 0..n-1)."""
    table = info[name]
    out = pd.DataFrame(index=frame.index)
    for new, column in table["renamed"].items():
        s, values = spec["columns"][column], frame[new].astype(float)
        if new in table["classes"]:
            classes = np.array(table["classes"][new], dtype=object)
            decoded = pd.Series(classes[np.clip(values.round().astype(int), 0, len(classes) - 1)], index=frame.index)
            out[column] = decoded.replace("nan", np.nan)
        elif s["sdtype"] == "datetime":
            first = table["first_dates"][new]
            out[column] = pd.NaT if first is None else (
                pd.Timestamp(first) + pd.to_timedelta(values, unit="D")).dt.round("s")
        elif s.get("computer_representation") == "Int64":
            out[column] = values.round().astype("Int64")
        else:
            out[column] = values
    if table["primary_key"]:
        out[table["primary_key"]] = frame[f"{name}_id"].astype(int)
    for key, column in table["foreign"].items():
        out[column] = frame[key].astype(int)
    return out


def config_for(options, data, workspace):
    o = {**AUTHORS, **{k: v for k, v in options.items() if k in AUTHORS}}
    return {"general": {"data_dir": str(data), "exp_name": "fit", "workspace_dir": str(workspace),
                        "sample_prefix": "", "test_data_dir": None},
            "clustering": {"parent_scale": o["parent_scale"], "num_clusters": o["num_clusters"],
                           "clustering_method": o["clustering_method"]},
            "diffusion": {"d_layers": o["d_layers"], "dropout": 0.0, "num_timesteps": o["num_timesteps"],
                          "model_type": "mlp", "iterations": o["iterations"], "batch_size": o["batch_size"],
                          "lr": o["lr"], "gaussian_loss_type": "mse", "weight_decay": 1e-5, "scheduler": "cosine"},
            "classifier": {"d_layers": o["classifier_d_layers"], "lr": 1e-4, "dim_t": 128,
                           "batch_size": o["classifier_batch_size"], "iterations": o["classifier_iterations"]},
            "sampling": {"batch_size": o["sample_batch_size"], "classifier_scale": o["classifier_scale"]},
            "matching": {"num_matching_clusters": 1, "matching_batch_size": 1000, "unique_matching": True,
                         "no_matching": False}}


def seed_everything(seed):
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def fit(args):
    options = json.loads(args.options)
    model = Path(args.model).absolute()
    metadata = json.loads(Path(args.data, "metadata.json").read_text())
    info = to_clava(read_tables(args.data, metadata, categoricals_as_text=True), metadata, model / "clava_data")
    config = config_for(options, model / "clava_data", model / "workspace")
    (model / "config.json").write_text(json.dumps(config, indent=1))
    (model / "info.json").write_text(json.dumps({"metadata": metadata, "tables": info,
                                                 "source": options["source"]}))
    pipeline = import_pipeline(options["source"], model / "logs")
    seed_everything(int(options.get("seed", 0)))
    configs, save_dir = pipeline.load_configs(str(model / "config.json"))
    started = time.monotonic()
    tables, order, _ = pipeline.load_multi_table(configs["general"]["data_dir"])
    say(f"clustering {len(order) - sum(p is None for p, _ in order)} parent-child pairs "
        f"({config['clustering']['num_clusters']} clusters)")
    tables, _ = pipeline.clava_clustering(tables, order, save_dir, configs)
    say(f"training {len(order)} diffusion models, {config['diffusion']['iterations']} steps each")
    pipeline.clava_training(tables, order, save_dir, configs)
    say(f"fitted in {time.monotonic() - started:.0f} s")


def sample(args):
    model = Path(args.model).absolute()
    saved = json.loads((model / "info.json").read_text())
    config = json.loads((model / "config.json").read_text())
    work = Path(args.out).absolute() / "workspace"
    # a fresh workspace with the fitted checkpoints: ClavaDDPM reuses any synthetic output it finds
    shutil.copytree(model / "workspace" / "fit", work / "fit", ignore=shutil.ignore_patterns("before_matching"))
    (work / "fit" / "before_matching").mkdir()
    config["general"]["workspace_dir"] = str(work)
    config["general"]["data_dir"] = str(model / "clava_data")  # a saved model moves with its folder
    (work / "config.json").write_text(json.dumps(config))
    pipeline = import_pipeline(saved["source"], work / "logs")
    seed_everything(int(args.seed))
    configs, save_dir = pipeline.load_configs(str(work / "config.json"))
    tables, order, _ = pipeline.load_multi_table(configs["general"]["data_dir"])
    tables, groups = pipeline.clava_clustering(tables, order, save_dir, configs)
    tables, models = pipeline.clava_training(tables, order, save_dir, configs)
    started = time.monotonic()
    synthetic, _, _ = pipeline.clava_synthesizing(tables, order, save_dir, groups, models, configs,
                                                  sample_scale=float(args.scale))
    metadata = saved["metadata"]
    for name, frame in synthetic.items():
        spec = metadata["tables"][name]
        write_table(from_clava(frame, name, spec, saved["tables"]), spec, Path(args.out, f"{name}.csv"))
    shutil.rmtree(work, ignore_errors=True)
    say(f"sampled {', '.join(f'{n} {len(f)}' for n, f in synthetic.items())} rows in "
        f"{time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    run_worker(fit, sample)
