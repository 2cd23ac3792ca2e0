"""What every RGCD training loop shares: device choice, seeding, early stopping, time budgets
and progress reporting.

The VAE, the GNN and the diffusion model all train with the same loop shape
(epochs of mini-batches, a monitored loss, keep the best weights, stop on patience or
when the component's time budget is spent). Keeping those rules here means they behave
the same in all three and are tested once.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass, field, fields
from typing import Any, Iterator, Mapping

import numpy as np
import torch
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)


def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """Turn ``auto|cpu|cuda[:i]`` into a device; ``auto`` picks CUDA when it is available."""
    if isinstance(name, torch.device):
        return name
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(name).startswith("cuda") and not torch.cuda.is_available():
        from ..errors import SyntheRelaError

        raise SyntheRelaError(f"device {name!r} requested but CUDA is not available on this machine")
    return torch.device(name)


def make_generator(seed: int, device: torch.device | str = "cpu") -> torch.Generator:
    """A private random stream, so that one component's sampling does not shift another's."""
    generator = torch.Generator(device=device)
    generator.manual_seed(int(seed))
    return generator


def seed_everything(seed: int) -> None:
    """Seed the global torch and numpy generators (weight initialisation, dropout)."""
    torch.manual_seed(int(seed))
    np.random.seed(int(seed) % (2**32))


def minibatches(
    n: int, batch_size: int, generator: torch.Generator | None, min_batches: int = 1,
    max_batches: int | None = None,
) -> Iterator[torch.Tensor]:
    """Index batches over ``n`` rows, shuffled with ``generator`` (in order when it is None).

    One epoch is one pass over the rows, or more passes when that gives fewer than
    ``min_batches`` batches: a 45-row table would otherwise get one optimiser step per
    epoch, and epoch-based patience would stop it long before it has learnt anything. With
    ``max_batches`` an epoch ends after that many batches (a random part of a big table), so
    that a step budget, checked between epochs, bounds the work whatever the table's size.
    """
    produced = 0
    while True:
        order = torch.randperm(n, generator=generator) if generator is not None else torch.arange(n)
        for start in range(0, n, batch_size):
            if max_batches is not None and produced >= max_batches:
                return
            yield order[start : start + batch_size]
            produced += 1
        if produced >= min_batches or n == 0:
            return


@dataclass
class MinibatchTrainingConfig:
    """Settings every mini-batch-trained component (VAE, diffusion) shares.

    ``min_steps_per_epoch`` lets small tables pass over their rows several times per epoch
    (see :func:`minibatches`); ``early_stop_patience`` counts epochs without improvement;
    ``max_steps`` caps the optimiser steps (checked after each epoch, so a deterministic
    limit); ``max_steps_per_epoch`` ends an epoch early on a big table (the ``smoke`` profile:
    its cost must not grow with the data); ``time_budget`` is wall-clock seconds.
    """

    epochs: int = 4000
    batch_size: int = 4096
    lr: float = 1e-3
    early_stop_patience: int | None = None
    time_budget: float | None = None
    max_steps: int | None = None
    min_steps_per_epoch: int = 1
    max_steps_per_epoch: int | None = None

    def planned_epochs(self, n: int) -> int:
        """Epochs this component can run on ``n`` rows: ``epochs``, or fewer when the step
        budget ends it sooner (what the progress bar counts down, so its estimate is real)."""
        if self.max_steps is None or n == 0:
            return self.epochs
        per_pass = math.ceil(n / self.batch_size)
        per_epoch = per_pass * math.ceil(self.min_steps_per_epoch / per_pass)
        if self.max_steps_per_epoch is not None:
            per_epoch = min(per_epoch, self.max_steps_per_epoch)
        return max(1, min(self.epochs, math.ceil(self.max_steps / per_epoch)))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]):
        """Build from a profile section; keys meant for other components are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in values.items() if key in known})


@dataclass
class EarlyStopping:
    """Remember the best weights of ``module`` and say when to stop.

    ``patience`` counts epochs without an improvement of at least ``min_delta`` (relative);
    ``patience=None`` never stops early but still keeps the best weights.
    """

    patience: int | None = None
    min_delta: float = 1e-4
    best_loss: float = float("inf")
    best_epoch: int = -1
    bad_epochs: int = 0
    best_state: dict | None = field(default=None, repr=False)

    def step(self, loss: float, module: torch.nn.Module, epoch: int) -> bool:
        """Record ``loss`` for ``epoch``; returns True when training should stop."""
        if loss < self.best_loss - self.min_delta * abs(self.best_loss if np.isfinite(self.best_loss) else 0.0):
            self.best_loss = float(loss)
            self.best_epoch = epoch
            self.bad_epochs = 0
            self.best_state = copy.deepcopy(module.state_dict())
            return False
        self.bad_epochs += 1
        return self.patience is not None and self.bad_epochs >= self.patience

    def restore(self, module: torch.nn.Module) -> None:
        """Load the best weights seen (no-op if no epoch was recorded)."""
        if self.best_state is not None:
            module.load_state_dict(self.best_state)


class TimeBudget:
    """Wall-clock budget in seconds for one component; ``None`` means unlimited."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start

    def exhausted(self) -> bool:
        return self.seconds is not None and self.elapsed >= self.seconds


class EpochProgress:
    """A tqdm bar over epochs that shows the current loss; silent when ``disable``.

    Also logs one line at the end so that ``--quiet`` runs still leave a trace in the log.
    """

    def __init__(self, epochs: int, desc: str, disable: bool = False):
        self.desc = desc
        self.bar = tqdm(total=epochs, desc=desc, disable=disable, leave=False, dynamic_ncols=True)

    def update(self, **losses: float) -> None:
        self.bar.set_postfix({k: f"{v:.4g}" for k, v in losses.items()}, refresh=False)
        self.bar.update(1)

    def close(self, stopping: EarlyStopping, reason: str) -> None:
        self.bar.close()
        logger.info(
            "%s: %s after %d epochs (best loss %.4g at epoch %d)",
            self.desc,
            reason,
            self.bar.n,
            stopping.best_loss,
            stopping.best_epoch,
        )
