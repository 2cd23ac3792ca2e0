"""Peer generators that run in their own environment (:mod:`syntherela_rgcd.isolated`).

Each peer is a worker script here, run by the interpreter of its environment, which has
neither this package nor its pins: the workers use only the standard library, pandas and the
peer's own package. This module registers the environments and methods through the
``syntherela`` entry-point group like any plugin.
"""

from __future__ import annotations

from pathlib import Path

from ..contract import EnvironmentSpec, MethodSpec, hookimpl
from ..isolated import IsolatedMethod, PeerSpec

HERE = Path(__file__).parent

RCTGAN = PeerSpec("rctgan", "rctgan", str(HERE / "rctgan_worker.py"))
TABULARARGN = PeerSpec("tabularargn", "tabularargn", str(HERE / "tabularargn_worker.py"),
                       {"max_training_time": 10.0, "max_epochs": 100, "model": "MOSTLY_AI/Medium"})


REALTABFORMER_STRUCTURE = "one root table with a primary key and its direct children, one foreign key each"


def realtabformer_refuses(metadata) -> str | None:
    """Why REaLTabFormer cannot model this schema (a sentence naming the tables), or None.

    Its relational model writes a child table's rows given one parent row, so the schema must
    be a root table and children of it, each child with its one foreign key into the root
    (AirBnB, Walmart, Rossmann); SyntheRela runs it on exactly these.
    """
    relationships = metadata.relationships
    for rel in relationships:
        if rel["parent_table_name"] == rel["child_table_name"]:
            return (f"table '{rel['child_table_name']}' references itself ({rel['child_foreign_key']}); "
                    f"it models {REALTABFORMER_STRUCTURE}")
    children = {rel["child_table_name"] for rel in relationships}
    roots = [t for t in metadata.get_tables() if t not in children]
    if len(roots) != 1:
        return f"{len(roots)} root tables ({', '.join(roots)}); it models {REALTABFORMER_STRUCTURE}"
    root = roots[0]
    if not metadata.get_primary_key(root):
        return f"root table '{root}' has no primary key; it models {REALTABFORMER_STRUCTURE}"
    for child in sorted(children):
        keys = [rel for rel in relationships if rel["child_table_name"] == child]
        if len(keys) > 1:
            named = ", ".join(f"{r['child_foreign_key']} -> {r['parent_table_name']}" for r in keys)
            return f"table '{child}' has {len(keys)} foreign keys ({named}); it models {REALTABFORMER_STRUCTURE}"
        if keys[0]["parent_table_name"] != root:
            return (f"table '{child}' is a child of '{keys[0]['parent_table_name']}', not of the root '{root}'; "
                    f"it models {REALTABFORMER_STRUCTURE}")
    return None


REALTABFORMER = PeerSpec("realtabformer", "realtabformer", str(HERE / "realtabformer_worker.py"),
                         refuses=realtabformer_refuses)


def clavaddpm_refuses(metadata) -> str | None:
    """Why ClavaDDPM cannot model this schema, or None.

    It names every key ``<table>_id`` (a child's foreign key is its parent's name), so a child
    has at most one foreign key into a given parent (SyntheRela asserts the same before running
    it: Biodegradability's bond -> atom and CORA's cites -> paper are out), and a table cannot
    be its own parent.
    """
    seen: dict[tuple[str, str], str] = {}
    for rel in metadata.relationships:
        parent, child, key = rel["parent_table_name"], rel["child_table_name"], rel["child_foreign_key"]
        if parent == child:
            return f"table '{child}' references itself ({key}); ClavaDDPM models parent-child pairs of distinct tables"
        if (parent, child) in seen:
            return (f"table '{child}' has two foreign keys into '{parent}' ({seen[parent, child]}, {key}); "
                    "ClavaDDPM models one foreign key per parent-child pair")
        seen[parent, child] = key
    return None


def gcfm_refuses(metadata) -> str | None:
    """Why GCFM is not run on this schema, or None: a self-reference is outside what its
    authors ran (SyntheRela's datasets have none) and its component resampling is untried on it."""
    for rel in metadata.relationships:
        if rel["parent_table_name"] == rel["child_table_name"]:
            return (f"table '{rel['child_table_name']}' references itself ({rel['child_foreign_key']}); "
                    "GCFM is run here on schemas without self-references")
    return None


#: CPU budgets (the authors' sizes are for a GPU: ClavaDDPM's default network costs about 2 s a
#: step on one core, 200,000 steps a model; GCFM's Rossmann run 30 epochs of 100 full-graph
#: steps, about 90 minutes here): option values override these. ClavaDDPM's sampling computes
#: its classifier's gradient over every child row at every diffusion step: with its 7-layer
#: classifier and 1,000 steps, Walmart's 15,700 department rows alone ran over 10 minutes
#: without finishing (2026-12-06), hence 200 steps and a 2-layer classifier.
CLAVADDPM = PeerSpec("clavaddpm", "clavaddpm", str(HERE / "clavaddpm_worker.py"),
                     {"iterations": 5000, "batch_size": 1024, "d_layers": [512, 512], "num_timesteps": 200,
                      "classifier_d_layers": [256, 256], "classifier_iterations": 1000,
                      "classifier_batch_size": 1024, "num_clusters": 50},
                     refuses=clavaddpm_refuses,
                     allowed=("num_clusters", "parent_scale", "clustering_method", "d_layers", "num_timesteps",
                              "iterations", "batch_size", "lr", "classifier_d_layers", "classifier_iterations",
                              "classifier_batch_size", "sample_batch_size", "classifier_scale"),
                     source=("CLAVADDPM_SOURCE", "github.com/weipang142857/ClavaDDPM (commit fa6ef4d; it has no licence)"))
# only epochs by default: on a dataset its authors configured, their steps per epoch stand
GCFM = PeerSpec("gcfm", "gcfm", str(HERE / "gcfm_worker.py"), {"epochs": 5},
                refuses=gcfm_refuses,
                allowed=("epochs", "losses_per_epoch", "generation_steps", "lr", "patience", "graph_embedding_dim",
                         "gat_hidden", "hidden", "train_proportion", "sigma_min", "category_cardinality_threshold"),
                source=("GCFM_SOURCE", "github.com/DavideScassola/graph-conditional-flow-matching (commit 999a5a7)"))


@hookimpl
def syntherela_environments() -> list[EnvironmentSpec]:
    return [
        EnvironmentSpec("rctgan", python="python3.9",
                        requirements=("rctgan==1.1", "torch==1.12.1", "pandas<2"),
                        summary="RCTGAN 1.1 (Python < 3.10, pandas < 2; it declares no torch, 1.12.1 is the "
                                "last with a self-contained build for 3.9)"),
        EnvironmentSpec("tabularargn", python="python3.11",
                        requirements=("torch==2.13.0", "mostlyai[local]==6.2.0"),
                        # PyPI's torchvision / torchaudio (CUDA builds, pulled in by the SDK's
                        # dependencies) break transformers' import beside the CPU torch, and so
                        # the SDK's local mode ("LOCAL mode requires additional packages")
                        remove=("torchvision", "torchaudio"),
                        summary="MOSTLY AI SDK in local mode (TabularARGN); numpy >= 2, so not beside RGCD"),
        EnvironmentSpec("realtabformer", python="python3.11",
                        # 0.2.4 declares transformers >= 4.46 only; transformers 5 dropped the
                        # TrainingArguments it passes (overwrite_output_dir), and datasets 4 and
                        # pandas 3 are newer than it too
                        requirements=("torch==2.13.0", "realtabformer==0.2.4", "transformers>=4.46,<5",
                                      "datasets<4", "pandas<3"),
                        remove=("torchvision", "torchaudio"),
                        summary="REaLTabFormer 0.2.4 (GPT-2 models of a parent table and each of its child "
                                "tables) with the CPU torch"),
        # the checkout's own pins are torch 1.13.1 (CUDA), numpy 1.23.5, pandas 1.5.3 and 250 more
        # for its evaluation; these are what its fit and sample import, with the CPU torch
        EnvironmentSpec("clavaddpm", python="python3.11",
                        requirements=("torch==2.13.0", "numpy==1.23.5", "pandas==1.5.3", "scikit-learn==1.4.1.post1",
                                      "scipy==1.12.0", "faiss-cpu==1.8.0", "category-encoders==2.6.3",
                                      "icecream==2.1.3", "tomli==2.0.1", "tomli-w==1.0.0", "tqdm==4.66.2"),
                        summary="ClavaDDPM's runtime (the code itself is the user's checkout, CLAVADDPM_SOURCE)"),
        # its torch-geometric 2.6.1 fails to import on torch 2.13 (2.7.0 works); xgboost-cpu is
        # xgboost without the CUDA NCCL wheel; torchvision and syntherela 0.0.3 are stubbed by the worker
        EnvironmentSpec("gcfm", python="python3.11",
                        requirements=("torch==2.13.0", "torch-geometric==2.7.0", "pymetis==2025.2.2",
                                      "xgboost-cpu==3.0.0", "pandas<3", "numpy", "scikit-learn", "scipy",
                                      "matplotlib", "seaborn", "networkx", "tqdm", "gputil", "natsort"),
                        summary="GCFM's runtime (the code itself is the user's checkout, GCFM_SOURCE)"),
    ]


@hookimpl
def syntherela_methods() -> list[MethodSpec]:
    return [
        MethodSpec("rctgan", lambda config: IsolatedMethod(RCTGAN, config),
                   "RCTGAN 1.1 (CTGAN per table conditioned on parent rows) in its own Python 3.9 environment; "
                   "option epochs (default 1,000 per table)", structures=("linear", "multi-child", "multi-parent")),
        MethodSpec("tabularargn", lambda config: IsolatedMethod(TABULARARGN, config),
                   "MOSTLY AI's TabularARGN (SDK 6.2, local mode) in its own environment; "
                   "options: max_training_time (minutes per table), max_epochs, model",
                   structures=("linear", "multi-child", "multi-parent")),
        MethodSpec("realtabformer", lambda config: IsolatedMethod(REALTABFORMER, config),
                   "REaLTabFormer 0.2.4 (GPT-2 per parent table, sequence-to-sequence per child table) in its own "
                   "environment; a root table and its direct children only; options: epochs, child_epochs, "
                   "child_batch_size, n_critic, max_training_time (minutes per child table)",
                   structures=("linear", "multi-child")),
        MethodSpec("clavaddpm", lambda config: IsolatedMethod(CLAVADDPM, config),
                   "ClavaDDPM (clustering of child rows, one diffusion model per relation) from the user's checkout "
                   "(CLAVADDPM_SOURCE) in its own environment; one foreign key per parent-child pair; CPU budget "
                   "options: iterations (5,000 per model), d_layers, batch_size, num_timesteps (200), "
                   "classifier_d_layers, classifier_iterations, num_clusters",
                   structures=("linear", "multi-child", "multi-parent")),
        MethodSpec("gcfm", lambda config: IsolatedMethod(GCFM, config),
                   "GCFM (flow matching with a GNN in the denoiser over the whole database; the structure is the "
                   "real graph's components resampled) from the user's checkout (GCFM_SOURCE) in its own "
                   "environment; its authors' configuration for the shared datasets, a generic one otherwise; CPU budget "
                   "options: epochs (5), losses_per_epoch, generation_steps",
                   structures=("linear", "multi-child", "multi-parent")),
    ]
