"""Helpers shared by the tests: hand-made schemas, the shared benchmark data, and a
single-threaded torch (small models run faster, and steadier on a busy 2-core box).

Torch is imported only by the fixture, so tests of torch-free modules can use the rest."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from syntherela_rgcd.metadata import RelationalMetadata as Metadata


def make_metadata(tables: dict, relationships: list | tuple = ()) -> Metadata:
    """``tables``: name -> (primary key or None, {column: sdtype}); ``relationships``:
    (parent, child, foreign key) with the parent's primary key looked up."""
    spec = {"METADATA_SPEC_VERSION": "MULTI_TABLE_V1", "tables": {}, "relationships": []}
    for name, (pk, columns) in tables.items():
        spec["tables"][name] = {"columns": {c: {"sdtype": s} for c, s in columns.items()}}
        if pk:
            spec["tables"][name]["primary_key"] = pk
    for parent, child, fk in relationships:
        spec["relationships"].append(
            {
                "parent_table_name": parent,
                "child_table_name": child,
                "parent_primary_key": tables[parent][0],
                "child_foreign_key": fk,
            }
        )
    return Metadata.load_from_dict(spec)


def shared_original() -> Path:
    """``../shared/data/original`` beside the repository, or ``$SYNTHERELA_SHARED_DATA``
    (pointing at ``shared/data`` or at its ``original/``)."""
    env = os.environ.get("SYNTHERELA_SHARED_DATA")
    if env:
        root = Path(env)
        return root / "original" if (root / "original").is_dir() else root
    return Path(__file__).resolve().parents[2].parent / "shared" / "data" / "original"


def load_shared(name: str) -> tuple[dict, Metadata]:
    """Load a shared dataset the way SyntheRela does; skip the test when it is absent."""
    from syntherela.data import load_tables, remove_sdv_columns

    path = shared_original() / name
    if not (path / "metadata.json").exists():
        pytest.skip(f"shared dataset {name} not available at {path}")
    metadata = Metadata.load_from_json(path / "metadata.json")
    return remove_sdv_columns(load_tables(path, metadata), metadata)


@pytest.fixture(autouse=True, scope="module")
def single_torch_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
