"""Tables -> heterogeneous graph that the GNN conditions on.

One node type per table and one node per row; every foreign key becomes an edge type
parent -> child plus its reverse, so messages flow both up and down the schema. The edge
type is named after the foreign key column, which keeps two foreign keys of one child into
the same parent (CORA's ``cites.cited_paper_id`` / ``cites.citing_paper_id``) apart.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from syntherela.metadata import Metadata
from torch_geometric.data import HeteroData


def build_graph(
    keys: dict[str, pd.DataFrame],
    metadata: Metadata,
    features: dict[str, np.ndarray | None],
    positions: dict[str, np.ndarray] | None = None,
    structural: dict[str, np.ndarray] | None = None,
) -> HeteroData:
    """Graph over the rows of ``keys`` (only their key columns are read).

    ``features[t]`` is an (n, d) array of the table's encoded attributes, or None for a
    table not generated yet, which then gets a constant 1-dim feature (structure only).
    ``positions[t]`` (days from the column minimum, see :func:`day_offsets`) is stored as
    ``data[t].pos_days`` for the GNN's positional encoding. ``structural[t]`` (n, k) holds
    features the structure alone determines (sibling order, see :mod:`.sibling_order`); they
    are appended to the table's node features whether it is generated yet or not.
    """
    data = HeteroData()
    for table, frame in keys.items():
        feats = features.get(table)
        x = np.ones((len(frame), 1)) if feats is None else np.asarray(feats, dtype=np.float32).reshape(len(frame), -1)
        if structural is not None and table in structural:
            x = np.concatenate([x, np.asarray(structural[table], dtype=np.float32)], axis=1)
        data[table].x = torch.as_tensor(x, dtype=torch.float32)
        data[table].num_nodes = len(frame)
    for table, pos in (positions or {}).items():
        data[table].pos_days = torch.as_tensor(np.asarray(pos, dtype=np.float32))

    for rel in metadata.relationships:
        parent, child, fk = rel["parent_table_name"], rel["child_table_name"], rel["child_foreign_key"]
        parent_pos = pd.Index(keys[parent][rel["parent_primary_key"]]).get_indexer(keys[child][fk])
        child_pos = np.flatnonzero(parent_pos >= 0)  # null foreign keys have no edge
        edges = torch.as_tensor(np.stack([parent_pos[child_pos], child_pos]), dtype=torch.long)
        data[parent, fk, child].edge_index = edges
        data[child, f"rev_{fk}", parent].edge_index = edges.flip(0)
    return data


def day_offsets(series: pd.Series) -> np.ndarray:
    """Days from the column's minimum as floats (missing -> 0), the GNN's position signal."""
    dates = pd.to_datetime(series)
    return ((dates - dates.min()) / pd.Timedelta(days=1)).fillna(0.0).to_numpy(dtype=np.float64)
