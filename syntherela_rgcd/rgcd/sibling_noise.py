"""Sibling-correlated starting noise for the diffusion sampler.

Why: given its GNN embedding, each row's latent is drawn from its own independent noise, so
rows sharing a parent are independent given what the GNN knows about that parent. Much of
what siblings share is not in the graph: the five weekly rows of a Walmart store have nearly
the same CPI, temperature and unemployment, values that depend on where the store is, which
no parent column says. Drawn independently, their store-level means shrink towards the
global mean (five independent draws average out), and the DDA classifier sees the parent's
mean aggregates too narrow.

EDM's Heun sampler is deterministic, a smooth map from starting noise to latent, so siblings
whose noise is correlated come out correlated. The correlation is learnt per latent dimension
at fit time: the intra-group correlation of the real latents' residuals after the GNN's own
prediction (what the conditioning already explains is not counted twice). At sampling each
row's noise is ``sqrt(rho) * group noise + sqrt(1 - rho) * own noise``: still standard
normal per row, so one row's distribution is unchanged, only siblings move together.
``sibling_noise: false`` turns it off (the ``paper`` profile does: it is our addition).
"""

from __future__ import annotations

import numpy as np
import torch

MAX_CORRELATION = 0.95  # keep some independent noise: siblings are never exact copies


def intra_group_correlation(residuals: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per column, the correlation between two different rows of one group (pairwise
    estimator over all ordered pairs inside multi-row groups), clipped to [0, MAX_CORRELATION].
    Residuals are centred first; without multi-row groups the result is all zeros."""
    r = np.asarray(residuals, dtype=np.float64)
    r = r - r.mean(axis=0, keepdims=True)
    sizes = np.bincount(groups)
    n_groups = len(sizes)
    sums = np.stack([np.bincount(groups, weights=r[:, j], minlength=n_groups) for j in range(r.shape[1])], axis=1)
    squares = np.stack([np.bincount(groups, weights=r[:, j] ** 2, minlength=n_groups) for j in range(r.shape[1])], axis=1)
    cross = (sums**2 - squares).sum(axis=0)  # sum over pairs i != j of r_i r_j
    scale = ((sizes - 1)[:, None] * squares).sum(axis=0)  # same pairs' (r_i^2 + r_j^2) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.where(scale > 0, cross / scale, 0.0)
    return np.clip(rho, 0.0, MAX_CORRELATION)


def correlated_noise(groups: np.ndarray, rho: np.ndarray, seed: int) -> torch.Tensor:
    """Standard-normal noise (n, d) whose entries in column j correlate by ``rho[j]`` between
    rows of the same group; deterministic per seed."""
    generator = torch.Generator().manual_seed(int(seed))
    n, d = len(groups), len(rho)
    own = torch.randn((n, d), generator=generator, dtype=torch.float64)
    shared = torch.randn((int(groups.max()) + 1 if n else 0, d), generator=generator, dtype=torch.float64)
    rho_t = torch.as_tensor(rho, dtype=torch.float64)
    noise = torch.sqrt(rho_t) * shared[torch.as_tensor(groups, dtype=torch.long)] + torch.sqrt(1 - rho_t) * own
    return noise.float()
