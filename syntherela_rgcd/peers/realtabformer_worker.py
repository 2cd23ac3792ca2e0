"""REaLTabFormer worker: REaLTabFormer 0.2.4, run in the ``realtabformer`` environment.

REaLTabFormer models one parent table with a GPT-2 (``model_type="tabular"``) and each child
table with a sequence-to-sequence model whose encoder is that parent model
(``model_type="relational"``): given a parent row, it writes the whole list of its child
rows. So it covers a root table and its direct children, one foreign key each (the caller
refuses other structures before this runs). It is run as SyntheRela's
``experiments/generation/realtabformer/generate_realtabformer.py`` runs it: parent batch 1,024
with REaLTabFormer's sensitivity-based early stopping (``full_sensitivity``), child batch 1,
95 % of the parents for training and the rest for early stopping, no output length cap, sampling
the real number of parents and ``gen_batch`` 64 for the children. One change: key columns are
not fed to the models (SyntheRela's script keeps the child's primary key as a data column);
keys are written afterwards, parents 0..n-1 and children 0..m-1.

Options (for CPU budgets): ``epochs`` (parent model, default REaLTabFormer's 1,000 with early
stopping), ``child_epochs`` (default ``epochs``), ``child_batch_size`` (default 1),
``n_critic`` (epochs between sensitivity checks of the parent model, default 5; 0 trains
``epochs`` epochs without them), ``max_training_time`` (minutes of training per child table,
after which its best checkpoint so far is kept; default none). Standard library, pandas, torch and realtabformer only.
"""

import json
import random
import shutil
import sys
from pathlib import Path

import pandas as pd
from worker_cli import run_worker
from worker_tables import read_tables, write_table

JOIN = "join_on_RTF"  # the name SyntheRela's script gives the parent key and the child's foreign key


def layout(metadata):
    """The root table, its primary key, and {child: foreign key}."""
    relationships = metadata["relationships"]
    children = {r["child_table_name"] for r in relationships}
    root = next(name for name in metadata["tables"] if name not in children)
    return root, metadata["tables"][root]["primary_key"], {r["child_table_name"]: r["child_foreign_key"]
                                                           for r in relationships}


def seed_everything(seed):
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def data_columns(spec, keep=()):
    return [c for c, s in spec["columns"].items() if s["sdtype"] != "id" or c in keep]


def newest(folder):
    """The experiment folder ``save`` wrote (``id...``)."""
    return sorted(p for p in Path(folder).iterdir() if p.is_dir() and p.name.startswith("id"))[-1]


def save(model, folder):
    """``model.save(folder)``, with its ``Path`` attributes as text while it writes them: 0.2.4's
    ``save`` writes its attributes as JSON and converts two of its folders (checkpoints,
    samples) itself but not ``full_save_dir``, which fails it ("Object of type PosixPath is not JSON serializable")."""
    paths = {name: value for name, value in vars(model).items()
             if isinstance(value, Path) and name not in ("checkpoints_dir", "samples_save_dir")}
    for name, value in paths.items():
        setattr(model, name, value.as_posix())
    try:
        model.save(str(folder))
    finally:
        for name, value in paths.items():
            setattr(model, name, value)
    return newest(folder)


def cap_child_training(minutes):
    """Stop each child model's training after ``minutes`` of wall time (then, as after early
    stopping, its best checkpoint so far is loaded). REaLTabFormer builds the child's trainer
    inside ``fit``, so the trainer class it uses gets the callback."""
    import time

    from realtabformer import realtabformer as module
    from transformers import Seq2SeqTrainer, TrainerCallback

    class TimeLimit(TrainerCallback):
        def on_train_begin(self, args, state, control, **kwargs):
            self.deadline = time.monotonic() + 60 * float(minutes)

        def on_step_end(self, args, state, control, **kwargs):
            if time.monotonic() > self.deadline:
                print(f"realtabformer: {minutes} min of training reached at step {state.global_step} "
                      f"(epoch {state.epoch:.2f})", file=sys.stderr, flush=True)
                control.should_training_stop = True
                control.should_evaluate = control.should_save = True

    class TimeCappedSeq2SeqTrainer(Seq2SeqTrainer):
        def __init__(self, *args, callbacks=None, **kwargs):
            super().__init__(*args, callbacks=[*(callbacks or []), TimeLimit()], **kwargs)

    module.Seq2SeqTrainer = TimeCappedSeq2SeqTrainer


def fit(args):
    from realtabformer import REaLTabFormer

    options = json.loads(args.options)
    metadata = json.loads(Path(args.data, "metadata.json").read_text())
    tables = read_tables(args.data, metadata, categoricals_as_text=True)
    root, key, children = layout(metadata)
    seed = int(options.get("seed", 0))
    epochs = int(options.get("epochs", 1000))
    model_dir, scratch = Path(args.model), Path(args.model, "checkpoints")
    if options.get("max_training_time"):
        cap_child_training(options["max_training_time"])
    seed_everything(seed)
    parent_df = tables[root][data_columns(metadata["tables"][root], keep=(key,))].rename(columns={key: JOIN})
    print(f"realtabformer: fitting the parent model on {root} ({len(parent_df)} rows, {epochs} epochs at most)",
          file=sys.stderr, flush=True)
    parent = REaLTabFormer(model_type="tabular", batch_size=1024, epochs=epochs, random_state=seed,
                           checkpoints_dir=str(scratch / root), report_to="none")
    # save_full_every_epoch=0: its periodic full saves go through the same broken save (below);
    # gen_kwargs={}: 0.2.4's sensitivity rounds call sample(**gen_kwargs) on its default None
    parent.fit(parent_df.drop(columns=JOIN), full_sensitivity=True, n_critic=int(options.get("n_critic", 5)),
               save_full_every_epoch=0, gen_kwargs={}, device="cpu")
    parent_path = save(parent, model_dir / "parent")
    for child, foreign_key in children.items():
        spec = metadata["tables"][child]
        child_df = tables[child][data_columns(spec, keep=(foreign_key,))].rename(columns={foreign_key: JOIN})
        child_epochs = int(options.get("child_epochs", epochs))
        print(f"realtabformer: fitting the model of {child} ({len(child_df)} rows under {len(parent_df)} "
              f"parents, {child_epochs} epochs at most)", file=sys.stderr, flush=True)
        model = REaLTabFormer(model_type="relational", parent_realtabformer_path=str(parent_path),
                              output_max_length=None, train_size=0.95, epochs=child_epochs,
                              batch_size=int(options.get("child_batch_size", 1)), random_state=seed,
                              checkpoints_dir=str(scratch / child), report_to="none")
        model.fit(df=child_df, in_df=parent_df, join_on=JOIN, device="cpu")
        save(model, model_dir / "children" / child)
    shutil.rmtree(scratch, ignore_errors=True)
    Path(args.model, "metadata.json").write_text(json.dumps(metadata))
    Path(args.model, "sizes.json").write_text(json.dumps({root: len(parent_df)}))


def sample(args):
    from realtabformer import REaLTabFormer

    metadata = json.loads(Path(args.model, "metadata.json").read_text())
    root, key, children = layout(metadata)
    size = max(1, round(float(args.scale) * json.loads(Path(args.model, "sizes.json").read_text())[root]))
    seed_everything(int(args.seed))
    parent = REaLTabFormer.load_from_dir(str(newest(Path(args.model, "parent"))))
    parents = parent.sample(n_samples=size, device="cpu").reset_index(drop=True)
    parents.insert(0, key, range(len(parents)))
    write_table(parents, metadata["tables"][root], Path(args.out, f"{root}.csv"))
    counts = [f"{root} {len(parents)}"]
    for child, foreign_key in children.items():
        spec = metadata["tables"][child]
        model = REaLTabFormer.load_from_dir(str(newest(Path(args.model, "children", child))))
        rows = model.sample(input_unique_ids=parents[key], input_df=parents.drop(columns=key), gen_batch=64,
                            device="cpu")
        rows.index.name = foreign_key
        rows = rows.reset_index()
        if spec.get("primary_key"):
            rows[spec["primary_key"]] = range(len(rows))
        for column, s in spec["columns"].items():  # ids the model did not see (none in a linear schema)
            if column not in rows:
                rows[column] = pd.NA
        write_table(rows, spec, Path(args.out, f"{child}.csv"))
        counts.append(f"{child} {len(rows)}")
    print(f"realtabformer: sampled {', '.join(counts)} rows", file=sys.stderr, flush=True)


if __name__ == "__main__":
    run_worker(fit, sample)
