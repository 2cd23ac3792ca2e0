"""RGCD's fit as tasks: one VAE per table, then one GNN + diffusion model per table.

A task's input (a ``*Job``) carries everything it reads and its result everything the
model keeps, so an executor (:mod:`syntherela_rgcd.executors`) may run it in this process,
in a worker process or on a Ray cluster, and the same seed gives the same networks
wherever it ran. The task functions are module-level so that they pickle by reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Sequence

import numpy as np
import pandas as pd
import torch

from ..executors import Executor
from .training import seed_everything
from .vae import VAE, VAEConfig, train_vae

if TYPE_CHECKING:  # the model imports this module
    from .diffusion import LatentDiffusion
    from .gnn import GNNConditioner
    from .model import RGCD

logger = logging.getLogger(__name__)


@dataclass
class VAEJob:
    """One table's VAE: its encoded rows and the budgeted configuration."""

    table: str
    x_num: np.ndarray
    x_cat: np.ndarray
    n_num: int
    cardinalities: list[int]
    config: VAEConfig
    seed: int
    device: Any
    progress: bool


@dataclass
class VAEResult:
    vae: VAE
    history: dict
    latents: torch.Tensor  # the table's rows encoded by the trained VAE (the diffusion model's data)


def train_table_vae(job: VAEJob) -> VAEResult:
    """Train one table's VAE from the seed and encode its rows."""
    seed_everything(job.seed)  # initial weights are part of "same seed, same data"
    vae = job.config.build(job.n_num, job.cardinalities)
    logger.info("%s: training VAE on %d rows x %d model columns (budget %s)", job.table, len(job.x_num),
                job.n_num + len(job.cardinalities), describe_budget(job.config))
    history = train_vae(vae, job.x_num, job.x_cat, job.config, job.device, job.seed, job.progress)
    with torch.no_grad():
        latents = vae.cpu().encode(job.x_num, job.x_cat).float()
    return VAEResult(vae, history, latents)


@dataclass
class ConditionalInputs:
    """What every table's GNN + diffusion task shares: the real keys, the real rows' node
    features and every table's VAE latents."""

    real_keys: dict[str, pd.DataFrame]
    node_features: dict[str, np.ndarray]
    latents: dict[str, torch.Tensor]


@dataclass
class ConditionalJob:
    """One table's GNN + diffusion model. ``model`` is a view of the RGCD being fitted
    (schema, configuration, positions); ``tables_before`` are the modelled tables whose
    attributes the table's GNN sees."""

    model: "RGCD"
    table: str
    tables_before: list[str]
    inputs: ConditionalInputs
    gnn_seconds: float | None
    table_seconds: float | None
    diffusion_steps: int | None


@dataclass
class ConditionalResult:
    gnn: "GNNConditioner"
    diffusion: "LatentDiffusion"
    gnn_in_dims: dict[str, int]
    history: dict
    sibling_noise: dict | None  # the table's learnt (and calibrated) sibling-noise spec


def train_table_conditional(job: ConditionalJob) -> ConditionalResult:
    """Train one table's GNN and diffusion model (see ``RGCD._fit_conditional``)."""
    return job.model._fit_conditional(job)


def run_tasks(executor: Executor, tables: Sequence[str], make_job: Callable[[str], Any],
              task: Callable[[Any], Any], done: Callable[[str, Any], None], one_at_a_time: bool) -> None:
    """Run ``task`` for every table through ``executor`` and hand each result to ``done``
    in table order. ``one_at_a_time``: each job is made after the previous result is in
    (a budget that flows from table to table); otherwise all jobs go out together."""
    if one_at_a_time:
        for table in tables:
            done(table, executor.map(task, [make_job(table)])[0])
        return
    jobs = [make_job(table) for table in tables]
    for table, result in zip(tables, executor.map(task, jobs)):
        done(table, result)


def describe_budget(config) -> str:
    """A component's budget for the log: steps and/or seconds, or unlimited."""
    parts = []
    if config.max_steps is not None:
        parts.append(f"{config.max_steps} steps")
    if config.time_budget is not None:
        parts.append(f"{config.time_budget:.0f} s")
    return " / ".join(parts) or "unlimited"
