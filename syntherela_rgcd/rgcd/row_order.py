"""Row order: how a table's rows are ranked among their siblings (rows of one parent).

Why: a row's rank among its parent's rows is a structural feature (sibling order) and the basis
of its position (the GNN's time signal, :mod:`.positions`). Ranked in the real file's order it
carries whatever the file happens to be sorted by (Walmart's ``depts`` are sorted by ``Dept``
inside a store: rank and Dept correlate at 0.9999), and a sampled row that took its real source
row's rank took that value with it. So real rows are ranked by the table's position column, a
fact about the data that settings state, with ties broken at random, or at random where there is
none; sampled rows are ranked at random. No column's values reach a sampled row through a rank.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def real_order(frame: pd.DataFrame, column: str | None, rng: np.random.Generator) -> np.ndarray:
    """A distinct integer per real row, ascending in ``column`` (missing values first) with ties
    in random order; a random permutation when ``column`` is None."""
    tiebreak = rng.permutation(len(frame))
    if column is None:
        return tiebreak
    days = pd.to_datetime(frame[column]).to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
    days[pd.isna(frame[column]).to_numpy()] = -np.inf
    return np.argsort(np.lexsort((tiebreak, days)), kind="stable")


def random_order(n: int, rng: np.random.Generator) -> np.ndarray:
    """A distinct integer per sampled row, in random order: ranks that carry no column."""
    return rng.permutation(n)


def group_ranks(groups: pd.Series, order: np.ndarray, offsets: np.ndarray | float = 0.5) -> np.ndarray:
    """(rank + offset) / count of each row among the rows with the same ``groups`` value,
    ranked by ``order``; rows whose group is missing get 0 (they have no siblings)."""
    values = groups.reset_index(drop=True)
    known = values.notna().to_numpy()
    ranks = np.zeros(len(values), dtype=np.float64)
    if known.any():
        frame = pd.DataFrame({"group": values[known].to_numpy(), "order": np.asarray(order)[known]})
        rank = frame.groupby("group", sort=False)["order"].rank(method="first").to_numpy() - 1.0
        count = frame.groupby("group", sort=False)["order"].transform("size").to_numpy()
        offset = offsets[known] if isinstance(offsets, np.ndarray) else offsets
        ranks[known] = (rank + offset) / count
    return ranks
