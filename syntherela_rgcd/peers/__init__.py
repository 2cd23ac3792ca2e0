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
    ]
