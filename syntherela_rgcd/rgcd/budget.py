"""Sharing one budget of optimiser steps for a whole fit between tables and components.

Per-component budgets alone make the fit cost grow with the number of tables, and a small
table that converges early leaves its allotment unused. Instead, the settings' ``fit_steps``
are shared out just before each table trains: what is still left in a phase is divided
among the tables still to train in proportion to the square root of their row counts
(bigger tables need more steps, but not proportionally more), so what a fast table did not
use flows to the tables after it. Tables under ``FLOOR_ROWS`` rows are weighted as if they
had that many: a 45-row parent is cheap to train, yet its rows are what DDA scores (its
children's aggregates are appended to it), so it must not be starved. Tables over
``CEILING_ROWS`` rows are weighted as if they had that many: IMDB's 996,159 ratings would
otherwise take two thirds of the budget and leave its 3,832 movies 989 diffusion steps. The
VAEs (all trained first) get ``vae_share`` of the budget (``VAE_SHARE`` by default), the
diffusion models the rest, where a table with children may count ``parent_weight`` times its
rows' weight: every table after it is conditioned on its rows, so its errors travel down the
schema.

Steps, not seconds: how far each component trains then depends only on the data and the
seed, never on the machine's speed or load, so the same seed gives the same model. The GNNs
train for their configured epochs and are not counted.

``flow`` (the default) is what makes a table's budget depend on what the tables before it
used, so the tables must train one after another. With ``flow=False`` every table's budget
is fixed up front (its weight's share of the phase), nothing a table leaves unused goes to
another, and the tables can train at the same time (``--executor process|ray``).
"""

from __future__ import annotations

import math

VAE_SHARE = 0.3
FLOOR_ROWS = 2500
CEILING_ROWS = 100_000
#: A fit takes at most this many optimiser steps per row of its modelled tables (and at least
#: MIN_FIT_STEPS): cost follows rows, so the 2,972-row demo does not spend the 20,000 steps a
#: 15,000-row Walmart gets (8.6 minutes for its quick start instead of about 2.5).
STEPS_PER_ROW = 2
MIN_FIT_STEPS = 5000


def steps_for_rows(configured: float | None, rows: int) -> float | None:
    """The fit's step budget for a database of ``rows`` modelled rows (None: unbounded)."""
    if configured is None:
        return None
    return min(configured, max(MIN_FIT_STEPS, STEPS_PER_ROW * rows))


class FitBudget:
    """Hands out steps (None when the fit is unbounded); the caller reports the steps each
    component took through :meth:`spend`."""

    def __init__(
        self,
        total: float | None,
        rows: dict[str, int],
        vae_share: float = VAE_SHARE,
        parents: tuple[str, ...] | list[str] = (),
        parent_weight: float = 1.0,
        flow: bool = True,
    ):
        if not 0 < vae_share < 1:
            raise ValueError(f"vae_share must be between 0 and 1, not {vae_share}")
        self.total = total
        self.flow = flow
        self.vae_share = vae_share
        self.weights = {table: math.sqrt(min(max(n, FLOOR_ROWS), CEILING_ROWS)) for table, n in rows.items()}
        # diffusion phase: tables with children (``parents``) count ``parent_weight`` times.
        self.conditional_weights = {t: w * (parent_weight if t in parents else 1.0) for t, w in self.weights.items()}
        self._phase_weights = self.weights
        self._used = 0.0
        self._phase_start = 0.0
        self._phase_total = None if total is None else vae_share * total
        self._waiting = list(rows)

    def spend(self, steps: int) -> None:
        """Record optimiser steps a component took."""
        self._used += steps

    def _share(self, table: str) -> float | None:
        if self._phase_total is None:
            return None
        if not self.flow:  # a fixed share of the phase, whatever the others use
            return self._phase_total * self._phase_weights[table] / sum(self._phase_weights.values())
        left = self._phase_total - (self._used - self._phase_start)
        weight = sum(self._phase_weights[t] for t in self._waiting)
        self._waiting.remove(table)
        return max(left, 0.0) * self._phase_weights[table] / weight

    def vae(self, table: str) -> float | None:
        """Steps for ``table``'s VAE (call in training order)."""
        return self._share(table)

    def start_conditional_phase(self) -> None:
        """After the VAEs: everything left of the total goes to the diffusion models."""
        self._phase_start = self._used
        if self.total is not None:
            used = self._phase_start if self.flow else self.vae_share * self.total
            self._phase_total = self.total - used
        self._waiting = list(self.weights)
        self._phase_weights = self.conditional_weights

    def diffusion(self, table: str) -> float | None:
        """Steps for ``table``'s diffusion model (call in training order)."""
        return self._share(table)


def tighter(configured: float | None, planned: float | None) -> float | None:
    """The smaller of a component's own budget and the planned one (None = unbounded)."""
    if configured is None:
        return planned
    if planned is None:
        return configured
    return min(configured, planned)
