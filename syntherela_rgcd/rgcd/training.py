"""What every RGCD component's training shares: one epoch loop with its stop rules
(:class:`TrainingLoop`), device choice, seeding, mini-batches and time budgets.

The VAE, the GNN (full-graph and on sampled neighbourhoods) and the diffusion model each
say what one epoch does; when to stop (patience, divergence, step and time budgets), which
weights to keep and what the history holds is decided here, once, so the four loops cannot
drift apart and the rules are tested in one place.
"""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass, field, fields
from enum import Enum
from typing import Any, Iterator, Mapping

import numpy as np
import torch
from tqdm.auto import tqdm

from ..errors import SyntheRelaError

logger = logging.getLogger(__name__)


def resolve_device(name: str | torch.device | None = "auto") -> torch.device:
    """Turn ``auto|cpu|cuda[:i]`` into a device; ``auto`` picks CUDA when it is available."""
    if isinstance(name, torch.device):
        return name
    if name in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(name).startswith("cuda") and not torch.cuda.is_available():
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


class StopReason(str, Enum):
    """Why a component's training ended (kept in its history and logged)."""

    FINISHED = "finished"
    EARLY_STOPPING = "early stopping"
    DIVERGED = "diverged"
    STEP_BUDGET = "step budget spent"
    TIME_BUDGET = "time budget spent"


class TrainingLoop:
    """The epoch loop every RGCD component trains with: the VAE, the GNN (full-graph or on
    sampled neighbourhoods) and the diffusion model.

    The component owns what an epoch does (its batches, losses and optimiser); the loop owns
    when to stop and what to keep, so those rules are the same everywhere and tested once::

        loop = TrainingLoop(module, epochs, "VAE", patience=..., max_steps=..., time_budget=...)
        for epoch in loop:
            ...  # one epoch of training
            loop.record(monitored_loss, steps=steps_this_epoch, recon=...)
        history = loop.finish()

    :meth:`record` keeps the weights of the best monitored loss (of ``scored``, the module that
    produced it: an EMA copy for the diffusion model) and decides whether to go on: patience
    (``EARLY_STOPPING``), a loss that jumped (``DIVERGED``, when ``stop_on_divergence``), the
    step budget, then the time budget, in that order. Work that must not happen after the last
    epoch (the GNN's optimiser step, which follows the scoring of its pre-step weights) checks
    :attr:`stopped` first. :meth:`finish` restores the best weights into ``module`` and returns
    the history: each logged value per epoch, ``epochs``, ``steps``, ``best_epoch``,
    ``best_loss``, ``stopped`` and ``seconds``.
    """

    def __init__(self, module: torch.nn.Module, epochs: int, desc: str, *, progress: bool = True,
                 patience: int | None = None, max_steps: int | None = None, time_budget: float | None = None,
                 stop_on_divergence: bool = False, planned_epochs: int | None = None):
        self.module = module
        self.epochs = epochs
        self.desc = desc
        self.max_steps = max_steps
        self.stop_on_divergence = stop_on_divergence
        self.stopping = EarlyStopping(patience=patience)
        self.budget = TimeBudget(time_budget)
        self.steps = 0
        self.epochs_run = 0
        self.stopped: StopReason | None = None
        self.logged: dict[str, list[float]] = {}
        self._bar = tqdm(total=planned_epochs or epochs, desc=desc, disable=not progress, leave=False,
                         dynamic_ncols=True)

    def __iter__(self) -> Iterator[int]:
        for epoch in range(self.epochs):
            self._epoch = epoch
            yield epoch
            if self.stopped is not None:
                return

    def record(self, monitored: float, steps: int = 0, scored: torch.nn.Module | None = None,
               shown: Mapping[str, float] | None = None, **logged: float) -> None:
        """End the current epoch: ``monitored`` is the loss early stopping watches (of
        ``scored``'s weights, the trained module by default), ``logged`` values go into the
        history, ``shown`` ones only onto the progress bar."""
        self.steps += steps
        self.epochs_run += 1
        for name, value in logged.items():
            self.logged.setdefault(name, []).append(value)
        self._bar.set_postfix({k: f"{v:.4g}" for k, v in {**logged, **(shown or {})}.items()}, refresh=False)
        self._bar.update(1)
        if self.stopping.step(monitored, scored if scored is not None else self.module, self._epoch):
            self.stopped = StopReason.EARLY_STOPPING
        elif self.stop_on_divergence and diverged(monitored, self.stopping.best_loss):
            self.stopped = StopReason.DIVERGED
        elif self.max_steps is not None and self.steps >= self.max_steps:
            self.stopped = StopReason.STEP_BUDGET
        elif self.budget.exhausted():
            self.stopped = StopReason.TIME_BUDGET

    def finish(self) -> dict[str, Any]:
        """Close the bar, restore the best weights, and return the history."""
        reason = self.stopped or StopReason.FINISHED
        self._bar.close()
        epochs = self.epochs_run
        logger.info("%s: %s after %d epochs (best loss %.4g at epoch %d)", self.desc, reason.value, epochs,
                    self.stopping.best_loss, self.stopping.best_epoch)
        self.stopping.restore(self.module)
        self.module.eval()
        return {**self.logged, "epochs": epochs, "steps": self.steps, "best_epoch": self.stopping.best_epoch,
                "best_loss": self.stopping.best_loss, "stopped": reason.value, "seconds": self.budget.elapsed}


#: An epoch loss this many times the best one ends training as diverged (see :func:`diverged`).
DIVERGENCE_FACTOR = 2.0


def diverged(loss: float, best_loss: float) -> bool:
    """True when an epoch's loss is not finite or more than ``DIVERGENCE_FACTOR`` times the best
    so far: EDM's weighted loss does not recover from such a jump in practice, and continuing
    only burns the budget (the best weights are restored either way)."""
    return not np.isfinite(loss) or (np.isfinite(best_loss) and loss > DIVERGENCE_FACTOR * best_loss)
