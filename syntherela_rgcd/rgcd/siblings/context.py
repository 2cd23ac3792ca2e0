"""Joint denoising over the graph: what a row's denoiser sees of the rows that share its parent.

Why: in the paper every row of a table is denoised on its own, given its GNN embedding h of
the graph. Rows that share a parent are then independent given what the GNN knows of that
parent, so whatever siblings have in common beyond it (the five weekly rows of a Walmart
store share its CPI, temperature and unemployment; an AirBnB user's sessions share a device
and a handful of actions) averages out, and the parent's aggregates, which SyntheRela's DDA
scores, come out too narrow. The ``sibling_*`` patches worked around this one rule at a time.

Here the denoiser of a row also sees, at every denoising step, the *current noisy latents* of
its siblings: per foreign key, the mean of the other rows under the same parent, and how many
they are. Message passing over the sampled graph then lets related rows be denoised together
and agree on what they share, as GCFM (Scassola et al., AAAI-26) does with a GNN inside its
flow network; its ablation without that GNN loses most of its gain. The parent's own row is
already generated (RGCD's tables come in foreign-key order) and reaches the row through h.

The mean is the one message that can be trained exactly and cheaply with mini-batches: at
noise level sigma the forward process gives every row independent noise, so the mean of a
row's k other siblings is ``mean of their clean latents + sigma * N(0, 1/k)``. Training
therefore needs only the per-parent sums of the clean latents (computed once) and one
Gaussian draw per row and key, whatever the size of the sibling groups, and each row may have
its own sigma. Sampling computes the same mean from the whole table's current state at each
step of the sampler, so related rows move together from the first step to the last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from ..schema import group_ids


class SiblingContext:
    """Sibling groups of one table's rows, one grouping per foreign key.

    ``groups`` holds one integer array per foreign key (rows sharing a parent share a value;
    rows with a missing key are alone). The context of a row is, per key, the mean of the
    other siblings' latents (zero when it has none) and ``log(1 + number of others)``.
    """

    def __init__(self, groups: list[np.ndarray]):
        self.groups = [torch.as_tensor(np.asarray(g), dtype=torch.long) for g in groups]
        self.sizes = [torch.bincount(g).to(torch.float32) if len(g) else torch.zeros(0) for g in self.groups]
        self._sums: list[Tensor] | None = None

    @classmethod
    def from_keys(cls, keys: pd.DataFrame, foreign_keys: list[str]) -> "SiblingContext":
        """Groups from a table's foreign-key columns (real or sampled)."""
        return cls([group_ids(keys[fk]) for fk in foreign_keys])

    @property
    def n_keys(self) -> int:
        return len(self.groups)

    def __len__(self) -> int:
        return len(self.groups[0]) if self.groups else 0

    def _others(self, key: int, rows: Tensor) -> Tensor:
        return self.sizes[key][self.groups[key][rows]] - 1.0

    def fit(self, z: Tensor) -> "SiblingContext":
        """Remember the per-parent sums of the clean (standardised) latents ``z`` (n, d) of
        every row: the training context draws from them."""
        if len(z) != len(self):
            raise ValueError(f"latents have {len(z)} rows, the sibling groups {len(self)}")
        self._sums = [_group_sums(z, g, len(s)) for g, s in zip(self.groups, self.sizes)]
        return self

    def noisy(self, rows: Tensor, z_rows: Tensor, sigma: Tensor, generator: torch.Generator | None) -> tuple[Tensor, Tensor]:
        """The context of ``rows`` (clean latents ``z_rows``) when every row of the table is noised
        at the rows' levels ``sigma`` (b, 1): an exact draw of the forward process (see the
        module docstring). Returns (means (b, n_keys, d), others (b, n_keys))."""
        if self._sums is None:
            raise RuntimeError("SiblingContext.fit(z) must come before noisy()")
        rows = rows.cpu()
        device = z_rows.device
        means, others = [], []
        for key, sums in enumerate(self._sums):
            k = self._others(key, rows).to(device)
            safe = k.clamp(min=1.0).unsqueeze(1)
            clean = (sums[self.groups[key][rows]].to(device) - z_rows) / safe
            noise = torch.randn(z_rows.shape, generator=generator, device=generator.device if generator else "cpu")
            mean = clean + sigma * noise.to(device) / safe.sqrt()
            means.append(torch.where(k.unsqueeze(1) > 0, mean, torch.zeros_like(mean)))
            others.append(k)
        return torch.stack(means, dim=1), torch.stack(others, dim=1)

    def current(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """The context of every row given the whole table's current state ``x`` (n, d)."""
        rows = torch.arange(len(x))
        means, others = [], []
        for key, (groups, sizes) in enumerate(zip(self.groups, self.sizes)):
            g = groups.to(x.device)
            k = self._others(key, rows).to(x.device)
            sums = _group_sums(x, g, len(sizes))
            mean = (sums[g] - x) / k.clamp(min=1.0).unsqueeze(1)
            means.append(torch.where(k.unsqueeze(1) > 0, mean, torch.zeros_like(mean)))
            others.append(k)
        return torch.stack(means, dim=1), torch.stack(others, dim=1)


def _group_sums(x: Tensor, groups: Tensor, n_groups: int) -> Tensor:
    return torch.zeros((n_groups, x.shape[1]), dtype=x.dtype, device=x.device).index_add_(0, groups.to(x.device), x)
