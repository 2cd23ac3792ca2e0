"""Sibling order: where a row stands among the rows that share its parent.

Why: before a child table is generated its nodes carry no attributes, so siblings (rows with
the same parent, and the same date when a position column is set) get identical GNN
embeddings and the diffusion draws them independently. Real siblings are not independent:
a Walmart store lists each department once per week, a CORA paper cites each word once. Drawn
independently, departments repeat inside a store and too few distinct ones appear, which the
DDA classifier spots at once through the parent's n-unique aggregate.

Each row gets its relative rank among its siblings (per foreign key), in the order of
:mod:`..row_order`: by the table's position column in the real data (at random without one),
at random in a sample, so the rank breaks the symmetry without carrying any column's values.
(Measured on Walmart with file-order ranks, the trained model did not pick them up: the
rank-department correlation of the output was 0.009, results/logs/walmart_sibling_order_rank_check.log;
the sibling rules and noise of :mod:`.values` and :mod:`.noise` did the work there.) This goes
beyond the paper (whose not-yet-generated nodes carry a constant), so ``siblings.order: false``
switches it off; the ``paper`` profile does.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from ..row_order import group_ranks

FREQUENCIES = (1, 2, 4, 8, 16, 32)
FEATURES_PER_KEY = 1 + 2 * len(FREQUENCIES)


def rank_encoding(ranks: np.ndarray) -> np.ndarray:
    """A rank in (0, 1) as itself plus sin/cos at several frequencies, so that an MLP can tell
    neighbouring ranks apart in a parent with many children; rank 0 (no parent) maps to 0."""
    angles = np.pi * ranks[:, None] * np.asarray(FREQUENCIES, dtype=np.float64)
    encoded = np.concatenate([ranks[:, None], np.sin(angles), np.cos(angles)], axis=1)
    encoded[ranks == 0] = 0.0
    return encoded.astype(np.float32)


def sibling_order_features(keys: Mapping[str, pd.DataFrame], foreign_keys: Mapping[str, list[str]],
                           orders: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per child table, an (n, FEATURES_PER_KEY · #foreign keys) array of encoded sibling
    ranks (rows ranked by ``orders[table]``), one block per foreign key. Tables without
    foreign keys are absent."""
    return {table: np.concatenate([rank_encoding(group_ranks(keys[table][fk], orders[table])) for fk in fks], axis=1)
            for table, fks in foreign_keys.items() if fks}
