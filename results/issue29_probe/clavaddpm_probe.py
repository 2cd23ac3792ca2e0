"""ClavaDDPM probe driver (prototype of a worker), run by the clavaddpm env's python.

  python clavaddpm_probe.py fit    --src CLAVA_CHECKOUT --data SYNTHERELA_DIR --model DIR [--options JSON]
  python clavaddpm_probe.py sample --src CLAVA_CHECKOUT --model DIR --out DIR [--seed N] [--scale S]

fit: converts SyntheRela's layout (metadata.json + CSVs) to ClavaDDPM's (every key renamed
<table>_id, ids remapped to 0..n-1, categoricals label-encoded, datetimes as days since the
earliest, <table>_domain.json, dataset_meta.json with relation_order), writes config.json and
runs ClavaDDPM's clustering + training (complex_pipeline.clava_clustering / clava_training,
imported with stubs for sdv and gen_multi_report, whose only use is the evaluation step).
sample: reloads the checkpoints and runs clava_synthesizing into a fresh workspace, then
converts back (original key names, categories, dates) to <out>/<table>.csv.
ClavaDDPM hard-codes device='cuda' as default arguments: they are set to 'cpu' here.
"""
import argparse, json, os, pickle, random, shutil, sys, time, types
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULTS = {"num_clusters": 50, "parent_scale": 1.0, "clustering_method": "both",
            "d_layers": [512, 1024, 1024, 1024, 1024, 512], "num_timesteps": 2000, "iterations": 200000,
            "batch_size": 4096, "lr": 6e-4, "classifier_d_layers": [128, 256, 512, 1024, 512, 256, 128],
            "classifier_iterations": 20000, "classifier_batch_size": 4096, "sample_batch_size": 20000,
            "classifier_scale": 1.0}


def import_clava(src):
    sys.path.insert(0, str(src))
    for name in ("sdv", "sdv.metadata", "gen_multi_report"):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules["sdv.metadata"].MultiTableMetadata = object
    sys.modules["gen_multi_report"].gen_multi_report = None
    if os.environ.get("CLAVA_STUB_ZERO"):  # libzero 0.0.8 declares torch<2; lib/util.py needs only zero.Timer
        zero = types.ModuleType("zero"); zero.Timer = type("Timer", (), {})
        zero.hardware = types.SimpleNamespace(get_gpus_info=lambda: {})
        sys.modules["zero"] = zero
    os.environ.setdefault("OPENAI_LOGDIR", os.path.join(os.getcwd(), "classifier_log"))  # tab_ddpm's logger, else /tmp/openai-*
    import complex_pipeline, pipeline_utils
    for fn in vars(pipeline_utils).values():  # device='cuda' defaults -> cpu
        if isinstance(fn, types.FunctionType) and fn.__defaults__ and "cuda" in fn.__defaults__:
            fn.__defaults__ = tuple("cpu" if d == "cuda" else d for d in fn.__defaults__)
    return complex_pipeline


def topological_sort(graph):  # = ClavaDDPM's preprocess_utils.topological_sort
    indeg = {n: 0 for n in graph}
    for n in graph:
        for c in graph[n]["children"]:
            indeg[c] += 1
    roots = [n for n, d in indeg.items() if d == 0]
    order, queue = [[None, n] for n in roots], roots[:]
    while queue:
        cur = queue.pop(0)
        for c in graph[cur]["children"]:
            indeg[c] -= 1
            if indeg[c] == 0:
                queue.append(c)
            order.append([cur, c])
    return order


def refuses(meta):
    pairs = [(r["parent_table_name"], r["child_table_name"]) for r in meta["relationships"]]
    dup = {p for p in pairs if pairs.count(p) > 1}
    if dup:
        return "two foreign keys from one child to the same parent: " + ", ".join(f"{c}->{p}" for p, c in sorted(dup))
    if any(p == c for p, c in pairs):
        return "a self-referencing table"
    return None


def convert(data, meta, clava_data):
    """SyntheRela layout -> ClavaDDPM layout; returns what convert_back needs."""
    clava_data.mkdir(parents=True, exist_ok=True)
    tables = {}
    for t, spec in meta["tables"].items():
        cols = spec["columns"]
        ids = [c for c, s in cols.items() if s["sdtype"] == "id"]
        tables[t] = pd.read_csv(Path(data, f"{t}.csv"), dtype={c: str for c in ids}, keep_default_na=False,
                                na_values={c: ([""] if c in ids else ["", "NA", "NaN", "nan"]) for c in cols})
    graph = {t: {"children": [], "parents": []} for t in meta["tables"]}
    for r in meta["relationships"]:
        graph[r["parent_table_name"]]["children"].append(r["child_table_name"])
        graph[r["child_table_name"]]["parents"].append(r["parent_table_name"])
    info = {"tables": {}, "first_dates": {}}
    pk_maps = {}
    for t, spec in meta["tables"].items():  # primary keys -> <t>_id, 0..n-1
        pk = spec.get("primary_key")
        df = tables[t]
        codes = {v: i for i, v in enumerate(df[pk])} if pk else None
        pk_maps[t] = codes
    for t, spec in meta["tables"].items():
        df, cols, out = tables[t], spec["columns"], pd.DataFrame(index=tables[t].index)
        pk = spec.get("primary_key")
        out[f"{t}_id"] = df[pk].map(pk_maps[t]) if pk else np.arange(len(df))
        fks = {}
        for r in meta["relationships"]:
            if r["child_table_name"] == t:
                p = r["parent_table_name"]
                mapped = df[r["child_foreign_key"]].map(pk_maps[p])
                keep = mapped.notna()  # missing or dangling references: ClavaDDPM has no null key
                if not keep.all():
                    print(f"clavaddpm: {t}: {int((~keep).sum())} rows without a parent in {p} dropped", file=sys.stderr)
                df, out, mapped = df[keep], out[keep], mapped[keep]
                out[f"{p}_id"] = mapped.astype(int)
                fks[f"{p}_id"] = r["child_foreign_key"]
        rename, domain, encoders = {}, {}, {}
        for i, (c, s) in enumerate(cols.items()):
            if s["sdtype"] == "id":
                continue
            new = f"c{i}"  # ClavaDDPM drops any column whose name contains '_id'
            rename[new] = c
            x = df[c]
            if s["sdtype"] in ("categorical", "boolean"):
                x = x.astype(str)  # NaN becomes its own category 'nan'
                classes = sorted(x.unique())
                encoders[new] = classes
                out[new] = x.map({v: k for k, v in enumerate(classes)})
                domain[new] = {"size": len(classes), "type": "discrete"}
            else:
                if s["sdtype"] == "datetime":
                    d = pd.to_datetime(x, format=s.get("datetime_format"), errors="coerce")
                    first = d.min()
                    info["first_dates"][f"{t}.{new}"] = str(first)
                    x = (d - first).dt.days.astype(float)
                x = pd.to_numeric(x, errors="coerce").astype(float)
                out[new] = x.fillna(x.mean() if x.notna().any() else 0.0)
                domain[new] = {"size": int(out[new].nunique()), "type": "continuous"}
        out.astype(str).to_csv(clava_data / f"{t}.csv", index=False)
        (clava_data / f"{t}_domain.json").write_text(json.dumps(domain))
        info["tables"][t] = {"rename": rename, "fks": fks, "encoders": encoders, "pk": pk}
    (clava_data / "dataset_meta.json").write_text(json.dumps({"relation_order": topological_sort(graph),
                                                              "tables": graph}))
    return info


def config_for(options, clava_data, workspace):
    o = {**DEFAULTS, **options}
    return {"general": {"data_dir": str(clava_data), "exp_name": "fit", "workspace_dir": str(workspace),
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


def seed_all(seed):
    import torch
    random.seed(seed); np.random.seed(seed); torch.manual_seed(seed)


def fit(a):
    options = json.loads(a.options)
    model = Path(a.model).absolute()
    meta = json.loads(Path(a.data, "metadata.json").read_text())
    problem = refuses(meta)
    if problem:
        raise SystemExit(f"clavaddpm cannot model this database: {problem}")
    info = convert(a.data, meta, model / "clava_data")
    config = config_for(options, model / "clava_data", model / "workspace")
    (model / "config.json").write_text(json.dumps(config, indent=1))
    (model / "info.json").write_text(json.dumps({"meta": meta, **info}))
    cp = import_clava(a.src)
    seed_all(int(options.get("seed", 0)))
    configs, save_dir = cp.load_configs(str(model / "config.json"))
    t0 = time.time()
    tables, order, _ = cp.load_multi_table(configs["general"]["data_dir"])
    tables, _ = cp.clava_clustering(tables, order, save_dir, configs)
    t1 = time.time()
    cp.clava_training(tables, order, save_dir, configs)
    print(f"clavaddpm: clustering {t1 - t0:.1f}s, training {time.time() - t1:.1f}s", file=sys.stderr)


def sample(a):
    model = Path(a.model).absolute()
    info = json.loads((model / "info.json").read_text())
    config = json.loads((model / "config.json").read_text())
    work = model / f"sample-{a.seed}-{a.scale}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    # clava_synthesizing caches its output: a fresh workspace per call, with the fitted checkpoints
    shutil.copytree(model / "workspace" / "fit", work / "fit", ignore=shutil.ignore_patterns("before_matching"))
    (work / "fit" / "before_matching").mkdir()
    config["general"]["workspace_dir"] = str(work)
    cfg_path = work / "config.json"
    cfg_path.write_text(json.dumps(config))
    cp = import_clava(a.src)
    seed_all(int(a.seed))
    configs, save_dir = cp.load_configs(str(cfg_path))
    tables, order, _ = cp.load_multi_table(configs["general"]["data_dir"])
    tables, groups = cp.clava_clustering(tables, order, save_dir, configs)
    tables, models = cp.clava_training(tables, order, save_dir, configs)
    t0 = time.time()
    synthetic, _, _ = cp.clava_synthesizing(tables, order, save_dir, groups, models, configs,
                                            sample_scale=float(a.scale))
    print(f"clavaddpm: synthesizing {time.time() - t0:.1f}s", file=sys.stderr)
    out = Path(a.out); out.mkdir(parents=True, exist_ok=True)
    meta = info["meta"]
    for t, df in synthetic.items():
        ti, spec = info["tables"][t], meta["tables"][t]
        res = pd.DataFrame(index=df.index)
        for new, c in ti["rename"].items():
            s = spec["columns"][c]
            x = df[new]
            if new in ti["encoders"]:
                classes = np.array(ti["encoders"][new], dtype=object)
                x = classes[np.clip(x.astype(float).round().astype(int), 0, len(classes) - 1)]
                x = pd.Series(x, index=df.index).replace("nan", np.nan)
            elif s["sdtype"] == "datetime":
                first = pd.Timestamp(info["first_dates"][f"{t}.{new}"])
                x = (first + pd.to_timedelta(x.astype(float).round(), unit="D")).dt.strftime(s.get("datetime_format", "%Y-%m-%d"))
            elif s.get("computer_representation") == "Int64":
                x = x.astype(float).round().astype("Int64")
            res[c] = x
        if ti["pk"]:
            res[ti["pk"]] = df[f"{t}_id"].astype(int)
        for col, fk in ti["fks"].items():
            res[fk] = df[col].astype(int)
        res[list(spec["columns"])].to_csv(out / f"{t}.csv", index=False)
        print(f"clavaddpm: {t}: {len(res)} rows", file=sys.stderr)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["fit", "sample"])
    p.add_argument("--src", required=True)
    p.add_argument("--data"); p.add_argument("--model"); p.add_argument("--out")
    p.add_argument("--options", default="{}"); p.add_argument("--seed", default="0"); p.add_argument("--scale", default="1.0")
    a = p.parse_args()
    {"fit": fit, "sample": sample}[a.command](a)
