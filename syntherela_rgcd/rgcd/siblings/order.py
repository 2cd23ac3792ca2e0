"""Sibling order: where a row stands among the rows that share its parent.

Why: before a child table is generated its nodes carry no attributes, so siblings (rows with
the same parent, and the same date when a position column is set) get identical GNN
embeddings and the diffusion draws them independently. Real siblings are not independent:
a Walmart store lists each department once per week, a CORA paper cites each word once. Drawn
independently, departments repeat inside a store and too few distinct ones appear, which the
DDA classifier spots at once through the parent's n-unique aggregate.

The order of a parent's children in the real table is part of the structure, like the
foreign keys themselves: the structure sampler copies whole components, so every sampled
row inherits the rank of the real row it was copied from. Giving each row its relative rank
among its siblings (per foreign key) breaks the symmetry, and lets the model spread siblings
over the categories the way real ones are spread. (Measured on Walmart, the trained model did
not pick it up: the rank-department correlation of the output was 0.009,
results/logs/walmart_sibling_order_rank_check.log; the sibling rules
and noise of :mod:`.sibling_values` and :mod:`.sibling_noise` did the work there.) This goes beyond the paper (whose
not-yet-generated nodes carry a constant), so ``sibling_order: false`` in the configuration
switches it off; the ``paper`` profile does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from syntherela.metadata import Metadata

FREQUENCIES = (1, 2, 4, 8, 16, 32)
FEATURES_PER_KEY = 1 + 2 * len(FREQUENCIES)


def relative_ranks(foreign_key: pd.Series) -> np.ndarray:
    """(rank + 0.5) / count of each row among the rows with the same key value, in table
    order; rows whose key is missing get 0 (they have no siblings)."""
    values = foreign_key.reset_index(drop=True)
    known = values.notna().to_numpy()
    ranks = np.zeros(len(values), dtype=np.float64)
    if known.any():
        groups = values[known]
        position = groups.groupby(groups, sort=False).cumcount().to_numpy()
        count = groups.groupby(groups, sort=False).transform("size").to_numpy()
        ranks[known] = (position + 0.5) / count
    return ranks


def rank_encoding(ranks: np.ndarray) -> np.ndarray:
    """A rank in (0, 1) as itself plus sin/cos at several frequencies, so that an MLP can tell
    neighbouring ranks apart in a parent with many children; rank 0 (no parent) maps to 0."""
    angles = np.pi * ranks[:, None] * np.asarray(FREQUENCIES, dtype=np.float64)
    encoded = np.concatenate([ranks[:, None], np.sin(angles), np.cos(angles)], axis=1)
    encoded[ranks == 0] = 0.0
    return encoded.astype(np.float32)


def sibling_order_features(tables: dict[str, pd.DataFrame], metadata: Metadata) -> dict[str, np.ndarray]:
    """Per child table, an (n, FEATURES_PER_KEY · #foreign keys) array of encoded sibling
    ranks, one block per foreign key in metadata order. Tables without foreign keys are absent."""
    blocks: dict[str, list[np.ndarray]] = {}
    for rel in metadata.relationships:
        child, fk = rel["child_table_name"], rel["child_foreign_key"]
        blocks.setdefault(child, []).append(rank_encoding(relative_ranks(tables[child][fk])))
    return {table: np.concatenate(parts, axis=1) for table, parts in blocks.items()}
