"""Positions: where a row stands in time among its siblings, as the GNN's time signal.

Why: siblings (a store's weekly rows) get the same GNN embedding until something tells them
apart; a position in days lets the model spread them over time the way real ones are spread.
Taking a sampled row's position from the real row it was copied from passed that row's date into
the sample (Walmart seed 0: ``depts.Date`` equal to the source row's date in 100 % of rows).
So a position is generated from structure: the row's rank among its parent's rows (by the
position column in the real data, at random in a sample; :mod:`.row_order`), jittered inside
its rank, through the column's fitted quantile function (1,001 quantiles, not the rows). A
table without a parent has no siblings to order: its date is modelled like any other column.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .graph import day_offsets
from .row_order import group_ranks

QUANTILE_GRID = np.linspace(0.0, 1.0, 1001)
MISSING_PARENT = "__no parent__"  # rows with a null foreign key are ranked among themselves


@dataclass
class PositionModel:
    """One table's positions: the foreign key whose siblings are ranked, and the position
    column's quantiles in days from its minimum."""

    foreign_key: str
    quantiles: np.ndarray

    @classmethod
    def fit(cls, dates: pd.Series, foreign_key: str) -> "PositionModel":
        return cls(foreign_key, np.quantile(day_offsets(dates), QUANTILE_GRID).astype(np.float64))

    def positions(self, keys: pd.DataFrame, order: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Days for rows with foreign keys ``keys`` ranked by ``order`` (real or sampled)."""
        groups = keys[self.foreign_key].astype(object).where(keys[self.foreign_key].notna(), MISSING_PARENT)
        ranks = group_ranks(groups, order, offsets=rng.random(len(keys)))
        return np.interp(ranks, QUANTILE_GRID, self.quantiles).astype(np.float32)
