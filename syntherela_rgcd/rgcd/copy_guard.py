"""Copy guard: a sample holds no more rows equal to a training row than real rows equal each other.

Why: a diffusion model of a small table reproduces its training rows (Walmart seed 0: 22 % of
synthetic stores equal a real store on every column, 6 % between two random halves of the real
stores on average over 200 splits; a bank database's cards 11.5 % against 3.5 %). The real
halves' share is what fresh draws from the real distribution give, so rows beyond it are
memorised, and a user who shares them shares real rows. When a table is sampled, the rows equal
to a training row on every modelled column beyond that share (chosen at random) are drawn again
with fresh noise, up to :data:`ROUNDS` times. The fitted model keeps 64-bit hashes of the
training rows' modelled columns for this, not the rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..evaluation.copying import row_copy_share, row_keys

#: Redraws of a table's excess copies before the rest are kept (each round draws only them).
ROUNDS = 5


@dataclass
class CopyGuard:
    """One table's training-row hashes and the share of rows that may equal one."""

    hashes: np.ndarray  # sorted, unique
    allowed_share: float

    @classmethod
    def fit(cls, frame: pd.DataFrame, seed: int) -> "CopyGuard":
        baseline = row_copy_share(frame, frame.iloc[:0], list(frame.columns), seed)["real_halves"]
        return cls(np.unique(row_keys(frame).to_numpy()), float(baseline or 0.0))

    def copies(self, frame: pd.DataFrame) -> np.ndarray:
        """Whether each row equals a training row on every column."""
        hashes = row_keys(frame).to_numpy()
        at = np.clip(np.searchsorted(self.hashes, hashes), 0, max(len(self.hashes) - 1, 0))
        return (self.hashes[at] == hashes) if len(self.hashes) else np.zeros(len(frame), dtype=bool)

    def excess(self, frame: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
        """Positions of the rows to draw again: copies beyond ``allowed_share`` of the rows,
        chosen at random among the copies."""
        copies = np.flatnonzero(self.copies(frame))
        allowed = int(self.allowed_share * len(frame))
        if len(copies) <= allowed:
            return np.zeros(0, dtype=np.int64)
        return np.sort(rng.choice(copies, len(copies) - allowed, replace=False))
