"""Splitting one wall-clock budget for a whole fit between tables and components.

Per-component budgets alone make the fit time grow with the number of tables, and a small
table that converges early leaves its time unused. Instead, the profile's ``fit_budget``
is shared out just before each table trains: the time still left in a phase is divided
among the tables still to train in proportion to the square root of their row counts
(bigger tables need more steps, but not proportionally more), so time a fast table did not
use flows to the tables after it. The VAEs (all trained first) get ``VAE_SHARE`` of the
budget; of each table's remaining allotment the GNN gets ``GNN_SHARE`` and the diffusion
model the rest. A component's own ``time_budget`` still applies when it is smaller.
"""

from __future__ import annotations

import math
import time

VAE_SHARE = 0.3
GNN_SHARE = 0.2


class FitBudget:
    """Hands out time budgets (seconds, or None when the fit is unbounded)."""

    def __init__(self, total_seconds: float | None, rows: dict[str, int]):
        self.total = total_seconds
        self.weights = {table: math.sqrt(max(n, 1)) for table, n in rows.items()}
        self.start = time.monotonic()
        self._phase_start = self.start
        self._phase_total = None if total_seconds is None else VAE_SHARE * total_seconds
        self._waiting = list(rows)

    def _share(self, table: str) -> float | None:
        if self._phase_total is None:
            return None
        left = self._phase_total - (time.monotonic() - self._phase_start)
        weight = sum(self.weights[t] for t in self._waiting)
        self._waiting.remove(table)
        return max(left, 0.0) * self.weights[table] / weight

    def vae(self, table: str) -> float | None:
        """Budget for ``table``'s VAE (call in training order)."""
        return self._share(table)

    def start_conditional_phase(self) -> None:
        """After the VAEs: everything left of the total goes to the GNNs and diffusion models."""
        self._phase_start = time.monotonic()
        if self.total is not None:
            self._phase_total = self.total - (self._phase_start - self.start)
        self._waiting = list(self.weights)

    def gnn_and_diffusion(self, table: str) -> tuple[float | None, float | None]:
        """Budgets for ``table``'s GNN and diffusion model; the diffusion model's is a
        ceiling measured from the start of the GNN, so time the GNN leaves is not lost."""
        share = self._share(table)
        if share is None:
            return None, None
        return GNN_SHARE * share, share


def tighter(configured: float | None, planned: float | None) -> float | None:
    """The smaller of a component's own budget and the planned one (None = unbounded)."""
    if configured is None:
        return planned
    if planned is None:
        return configured
    return min(configured, planned)
