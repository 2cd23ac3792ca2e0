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

With joint denoising (:mod:`.sibling_context`) the denoiser also pulls siblings together, so
the whole learnt correlation over-does it. After each table's diffusion model is trained, the
share of the correlation the sampler uses (its *strength*) is calibrated: whole sibling
groups of the real graph are sampled at a few strengths and the one whose parents' latent
means spread as much as the real parents' do is kept (:func:`calibrate_strength`).
``sibling_noise: true`` uses the calibrated strength, a number in [0, 1] a fixed one, and
``false`` turns it off (the ``paper`` profile does: it is our addition).
"""

from __future__ import annotations

from typing import Callable

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
    sums = _group_sums(r, groups, len(sizes))
    squares = _group_sums(r**2, groups, len(sizes))
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


# --------------------------------------------------------------------------- calibration

#: strengths tried when calibrating (share of the learnt correlation; 0 = independent noise)
CALIBRATION_STRENGTHS = (0.0, 0.25, 0.5, 0.75, 1.0)
#: rows (whole sibling groups) sampled per strength when calibrating
CALIBRATION_ROWS = 2000
#: sampler steps per calibration sample: the statistic (how far parents' means spread) is coarse,
#: and the deterministic sampler maps the same noise smoothly; with 7 strengths, 4,000 rows and the
#: cpu profile's 50 steps the calibration took 77 of a 10-table fit's 544 s (results/zoo_benchmark.md)
CALIBRATION_SAMPLER_STEPS = 10


def between_group_variance(z: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Per column, the variance over groups of their means (groups of one row left out):
    how far parents' aggregates spread, which DDA's aggregate features see."""
    z = np.asarray(z, dtype=np.float64)
    sizes = np.bincount(groups)
    multi = sizes > 1
    if not multi.any():
        return np.zeros(z.shape[1])
    means = _group_sums(z, groups, len(sizes))[multi] / sizes[multi, None]
    return means.var(axis=0)


def _group_sums(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """(n_groups, d): per group, the column sums of ``values`` (n, d)."""
    sums = np.zeros((n_groups, values.shape[1]))
    np.add.at(sums, groups, values)
    return sums


def calibration_rows(groups: np.ndarray, max_rows: int, seed: int) -> np.ndarray:
    """Row indices of whole sibling groups drawn at random until ``max_rows`` rows are
    reached (all rows when the table is smaller), in table order."""
    rng = np.random.default_rng(seed)
    sizes = np.bincount(groups)
    order = rng.permutation(len(sizes))
    chosen = order[: int(np.searchsorted(np.cumsum(sizes[order]), max_rows)) + 1]
    return np.flatnonzero(np.isin(groups, chosen))


def calibrate_strength(sample: Callable[[float], np.ndarray], real: np.ndarray, groups: np.ndarray,
                       strengths: tuple[float, ...] = CALIBRATION_STRENGTHS) -> tuple[float, dict[float, float]]:
    """The strength whose samples' parents spread as much as the real parents do.

    Why: the correlation is learnt from the real residuals as if nothing else made siblings
    agree, but a denoiser that sees its siblings (joint denoising) also pulls them together, and
    the two add up: on Walmart the full correlation spread the stores' mean weekly sales to
    95,000 (real: at most 36,000) and the utility model's RMSE tripled. So the share is chosen
    by sampling the real structure at each strength (``sample(s)`` -> latents of the same rows
    as ``real``) and comparing the share of each latent dimension's real variance that lies
    between parents, averaged over dimensions (one number: a per-dimension log ratio let the
    dimensions in which parents hardly differ decide). The mismatch is the absolute log ratio
    of generated to real share. Returns the strength and every strength's mismatch."""
    real = np.asarray(real, dtype=np.float64)
    scale = real.var(axis=0)
    used = scale > 0
    target = float(np.mean(between_group_variance(real, groups)[used] / scale[used])) if used.any() else 0.0
    if target <= 0:
        return 0.0, {}
    mismatch = {}
    for strength in strengths:
        generated = float(np.mean(between_group_variance(sample(strength), groups)[used] / scale[used]))
        mismatch[float(strength)] = abs(float(np.log(max(generated, 1e-12) / target)))
    return min(mismatch, key=mismatch.get), mismatch
