"""Questions about a relational schema that every RGCD stage asks: which columns are keys,
in which order tables are generated, and which tables need a model at all.

RGCD factorises a database as p(structure) · Π p(table | tables generated before it), so
the order must put every parent before its children. Tables made only of keys are fully
determined by the sampled structure and get no model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from syntherela.metadata import Metadata

from ..errors import DataError


def id_columns(metadata: Metadata, table: str) -> list[str]:
    """The table's id columns (primary key, foreign keys, other ids), in metadata order."""
    return [name for name, meta in metadata.tables[table].columns.items() if meta.get("sdtype") == "id"]


def foreign_keys(metadata: Metadata, table: str) -> list[str]:
    """The table's foreign-key columns, one per relationship in which it is the child."""
    return [rel["child_foreign_key"] for rel in metadata.relationships if rel["child_table_name"] == table]


def group_ids(foreign_key: pd.Series) -> np.ndarray:
    """An integer group per row: rows sharing a foreign-key value (siblings under one parent)
    share it; rows with a missing key get a group of their own."""
    frame = pd.DataFrame({"fk": foreign_key.reset_index(drop=True)})
    ids = frame.groupby("fk", sort=False, dropna=False).ngroup().to_numpy()
    missing = frame["fk"].isna().to_numpy()
    if missing.any():
        ids = ids.copy()
        ids[missing] = ids.max() + 1 + np.arange(missing.sum())
    return ids


def is_key_only(metadata: Metadata, table: str) -> bool:
    """True when the table has no attribute besides ids, so the structure alone gives it."""
    return len(id_columns(metadata, table)) == len(metadata.tables[table].columns)


def generation_order(metadata: Metadata) -> list[str]:
    """All tables, parents before children, in rounds sorted by name so the order is stable.

    A self-reference (``employees.manager_id -> employees``) does not order anything: it is
    a relation among the rows of one table, which the structure gives before any attribute
    is generated (:mod:`.structure_generation`). Raises :class:`DataError` for a cycle
    between tables: RGCD cannot generate a table that (indirectly) conditions on itself.
    """
    tables = sorted(metadata.tables)
    parents: dict[str, set[str]] = {table: set() for table in tables}
    for rel in metadata.relationships:
        parent, child = rel["parent_table_name"], rel["child_table_name"]
        if parent != child:
            parents[child].add(parent)

    order: list[str] = []
    done: set[str] = set()
    while len(order) < len(tables):
        ready = [t for t in tables if t not in done and parents[t] <= done]
        if not ready:
            raise DataError(f"foreign keys form a cycle among tables {', '.join(_cycle_tables(parents, done))}")
        order.extend(ready)
        done.update(ready)
    return order


def _cycle_tables(parents: dict[str, set[str]], done: set[str]) -> list[str]:
    """The unordered tables minus those merely downstream of a cycle, to name the culprits."""
    stuck = {t for t in parents if t not in done}
    while True:
        sinks = {t for t in stuck if not any(t in parents[other] for other in stuck)}
        if not sinks:
            return sorted(stuck)
        stuck -= sinks


def modelled_tables(metadata: Metadata) -> list[str]:
    """Tables that need a VAE, GNN and diffusion model, in generation order."""
    return [t for t in generation_order(metadata) if not is_key_only(metadata, t)]
