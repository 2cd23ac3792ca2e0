"""RGCD's fit as tasks: one VAE per table, then one GNN + diffusion model per table.

A task's input (a ``*Job``) carries everything it reads and its result everything the
model keeps, so an executor (:mod:`syntherela_rgcd.executors`) may run it in this process,
in a worker process or on a Ray cluster, and the same seed gives the same networks
wherever it ran. The task functions are module-level so that they pickle by reference.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd
import torch
from syntherela.metadata import Metadata
from torch_geometric.data import HeteroData

from ..executors import Executor
from .checkpoints import Checkpoints
from .diffusion import DiffusionConfig, LatentDiffusion
from .gnn import GNNConditioner, GNNConfig, graph_size, train_gnn
from .graph import build_graph
from .memory import release_free_memory
from .siblings import Siblings
from .siblings.noise import CALIBRATION_SAMPLER_STEPS
from .training import seed_everything
from .vae import VAE, VAEConfig, train_vae

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


#: A categorical column must come back from the VAE with at least this accuracy on the training
#: rows: a fit that loses one has failed, whatever its other columns do.
MIN_RECONSTRUCTION = 0.9
#: A fit whose columns come back this well (mean error, see reconstruction_check) is not retried.
NEAR_PERFECT = 0.001
#: A rate at or above this is "fast": its alternative is a tenth of it, not ten times.
FAST_LR = 0.01
#: Rows the reconstruction check decodes (evenly spaced; all of a smaller table).
CHECK_ROWS = 20_000
#: A VAE capped below this many steps (the smoke profile gives each a few hundred) is not
#: expected to reconstruct; training it again would only double a smoke run's VAE time.
RETRY_MIN_STEPS = 1000


@dataclass(frozen=True)
class ReconstructionCheck:
    """How well a VAE gives its training rows back: the weakest categorical column's accuracy
    and the mean error over all columns (1 - accuracy for a categorical one, the mean squared
    error in model space, at most 1, for a numerical one)."""

    weakest_accuracy: float
    mean_error: float

    def better_than(self, other: "ReconstructionCheck") -> bool:
        """Keeping every categorical column comes first, then the smaller mean error."""
        passes, other_passes = self.weakest_accuracy >= MIN_RECONSTRUCTION, other.weakest_accuracy >= MIN_RECONSTRUCTION
        return passes > other_passes or (passes == other_passes and self.mean_error < other.mean_error)


def train_table_vae(job: VAEJob) -> VAEResult:
    """Train one table's VAE from the seed and encode its rows.

    The learning rate is chosen by the data, not per dataset: unless the first fit gives its
    rows back almost exactly, the VAE is trained again at the other rate (ten times a rate below
    :data:`FAST_LR`, a tenth of one at or above it), from the same seed, and the fit that keeps
    every categorical column, then the one with the smaller reconstruction error, is kept
    (:class:`ReconstructionCheck`). Why: in the cpu budget the paper's 0.001 leaves Walmart's
    81-category ``Dept`` at 81.5 % (0.01: 99.8 %) and its stores' and features' losses ten times
    higher, while 0.01 stalls the demo's and Biodegradability's VAEs and collapses CORA's 7-class
    paper table for 2 of 5 seeds (accuracy 0.456; ``benchmarks/vae_learning_rate.py``,
    ``results/logs/demo_vae_lr_ablation.log``). Until issue 27 datasets set the rate in files.

    Only the kept fit's steps count against the fit's step budget (``history["steps"]``; the
    discarded fit's are in ``history["retried"]``): counting both once left Walmart's
    ``features`` VAE 20 steps after the ``depts`` VAE was retried (stores DDA 0.956 at seed 0).
    """
    vae, history = _fit_vae(job, job.config)
    check = reconstruction_check(vae, job.x_num, job.x_cat)
    if check.mean_error <= NEAR_PERFECT:
        pass
    elif job.config.max_steps is not None and job.config.max_steps < RETRY_MIN_STEPS:
        logger.info("%s: the VAE's reconstruction error is %.4f after %d steps; too few steps to expect more, so "
                    "no retry", job.table, check.mean_error, job.config.max_steps)
    else:
        other = replace(job.config, lr=job.config.lr * 10 if job.config.lr < FAST_LR else job.config.lr / 10)
        logger.info("%s: the VAE's reconstruction error is %.4f (weakest categorical column %.3f) at lr %g; "
                    "training it at lr %g too", job.table, check.mean_error, check.weakest_accuracy, job.config.lr,
                    other.lr)
        retry, retry_history = _fit_vae(job, other)
        retry_check = reconstruction_check(retry, job.x_num, job.x_cat)
        kept = retry_check.better_than(check)
        retried = {"lr": other.lr, "error_before": check.mean_error, "error_after": retry_check.mean_error,
                   "accuracy_before": check.weakest_accuracy, "accuracy_after": retry_check.weakest_accuracy,
                   "kept": kept, "steps_discarded": retry_history["steps"] if not kept else history["steps"]}
        if kept:
            vae, history = retry, retry_history
        history = {**history, "retried": retried}
    with torch.no_grad():
        latents = vae.cpu().encode(job.x_num, job.x_cat).float()
    return VAEResult(vae, history, latents)


def _fit_vae(job: VAEJob, config: VAEConfig) -> tuple[VAE, dict]:
    seed_everything(job.seed)  # initial weights are part of "same seed, same data"
    vae = config.build(job.n_num, job.cardinalities)
    logger.info("%s: training VAE on %d rows x %d model columns (budget %s, lr %g)", job.table, len(job.x_num),
                job.n_num + len(job.cardinalities), describe_budget(config), config.lr)
    history = train_vae(vae, job.x_num, job.x_cat, config, job.device, job.seed, job.progress)
    return vae, history


def reconstruction_check(vae: VAE, x_num: np.ndarray, x_cat: np.ndarray) -> ReconstructionCheck:
    """:class:`ReconstructionCheck` of ``vae`` on (at most :data:`CHECK_ROWS` of) its training rows."""
    n = max(len(x_num), len(x_cat))
    if n == 0:
        return ReconstructionCheck(1.0, 0.0)
    rows = np.unique(np.linspace(0, n - 1, min(n, CHECK_ROWS)).astype(np.int64))
    with torch.no_grad():
        vae = vae.cpu().eval()  # encode gives the mean in eval mode, a draw in training mode
        num, cat = vae.decode(vae.encode(x_num[rows], x_cat[rows]))
    accuracy = (np.asarray(cat) == x_cat[rows]).mean(axis=0) if x_cat.shape[1] else np.ones(0)
    squared = np.minimum(((np.asarray(num, dtype=np.float64) - x_num[rows]) ** 2).mean(axis=0), 1.0) \
        if x_num.shape[1] else np.zeros(0)
    errors = np.concatenate([1.0 - accuracy, squared])
    return ReconstructionCheck(float(accuracy.min()) if accuracy.size else 1.0,
                               float(errors.mean()) if errors.size else 0.0)


@dataclass
class ConditionalInputs:
    """What every table's GNN + diffusion task shares: the real keys, the real rows' node
    features and every table's VAE latents."""

    real_keys: dict[str, pd.DataFrame]
    node_features: dict[str, np.ndarray]
    latents: dict[str, torch.Tensor]


@dataclass
class ConditionalJob:
    """One table's GNN + diffusion model, with everything the task reads: the schema, the
    real rows' positions and the sibling component (settings, foreign keys, rank features),
    the budgeted configurations and ``tables_before``, the modelled tables whose attributes
    the table's GNN sees."""

    table: str
    tables_before: list[str]
    inputs: ConditionalInputs
    metadata: Metadata
    positions: dict[str, np.ndarray]
    siblings: Siblings
    gnn: GNNConfig
    gnn_steps: int  # this table's share of the fit's GNN steps (GNNConfig.steps_per_table)
    diffusion: DiffusionConfig
    seed: int
    device: Any
    progress: bool


@dataclass
class ConditionalResult:
    gnn: GNNConditioner
    diffusion: LatentDiffusion
    gnn_in_dims: dict[str, int]
    history: dict
    sibling_noise: dict | None  # the table's learnt (and calibrated) sibling-noise spec


def embed(gnn: GNNConditioner, graph: HeteroData, config: GNNConfig) -> dict[str, torch.Tensor]:
    """All nodes' h; big graphs (those the GNN trains on by sampled neighbourhoods) through
    sparse products, so memory stays at nodes x hidden."""
    return gnn.eval().embed(graph, sparse=config.uses_minibatch(graph))


def train_table_conditional(job: ConditionalJob) -> ConditionalResult:
    """One table's GNN (predicting every table's latents from the graph of the tables before
    it) and its diffusion model conditioned on the GNN's embedding h; with sibling noise on,
    the siblings' residual correlation is learnt between the two and calibrated after."""
    table, inputs, seed = job.table, job.inputs, job.seed
    graph = build_graph(inputs.real_keys, job.metadata, {t: inputs.node_features.get(t) if t in job.tables_before
                                                         else None for t in inputs.real_keys},
                        job.positions, job.siblings.structural_features())
    seed_everything(seed)
    latents = inputs.latents
    gnn = GNNConditioner.for_graph(graph, {t: latents[t].shape[1] for t in latents}, job.gnn,
                                   position_tables=list(job.positions))
    logger.info("%s: training GNN (%d layers, %d steps) on %d nodes and edges%s", table, gnn.num_layers, job.gnn_steps,
                graph_size(graph), f" on sampled neighbourhoods (fanouts {list(job.gnn.fanouts)})"
                if job.gnn.uses_minibatch(graph) else "")
    history = {"gnn": train_gnn(gnn, graph, latents, table, job.gnn, job.gnn_steps, job.device, seed, job.progress)}
    with torch.no_grad():
        h = embed(gnn.cpu(), graph, job.gnn)[table].float()
        residuals = (latents[table] - gnn.head(table)(h)).numpy() if job.siblings.settings.noise else None
    in_dims = {t: graph[t].x.shape[1] for t in graph.node_types}
    del graph
    release_free_memory()  # the graph and the GNN's activations: the diffusion model needs neither
    noise_spec = job.siblings.learn_noise(table, residuals, inputs.real_keys[table]) if residuals is not None else None
    if noise_spec is not None:
        logger.info("%s: sibling noise per %s, correlation mean %.2f, max %.2f", table, noise_spec["foreign_key"],
                    np.mean(noise_spec["rho"]), np.max(noise_spec["rho"]))
    seed_everything(seed)
    context = job.siblings.context(table, inputs.real_keys[table])
    diffusion = LatentDiffusion(latents[table].shape[1], h.shape[1], job.diffusion, context.n_keys if context else 0)
    logger.info("%s: training diffusion on %d latents of dim %d (budget %s%s)", table, len(h),
                latents[table].shape[1], describe_budget(job.diffusion),
                f"; joint over siblings per {', '.join(job.siblings.joint_keys(table))}" if context else "")
    history["diffusion"] = diffusion.fit(latents[table], h, siblings=context, device=job.device, seed=seed,
                                         progress=job.progress)
    diffusion.cpu()
    if noise_spec is not None:
        def sample(rows: np.ndarray, noise: torch.Tensor, rows_context) -> np.ndarray:
            with torch.no_grad():
                steps = min(CALIBRATION_SAMPLER_STEPS, job.diffusion.num_steps)
                return diffusion.sample(h[rows], seed=seed, num_steps=steps, noise=noise, siblings=rows_context)

        noise_spec, mismatch = job.siblings.calibrate_noise(table, noise_spec, sample, latents[table].numpy(),
                                                            inputs.real_keys[table], seed)
        if mismatch:
            logger.info("%s: sibling noise strength %.2f (|log| ratio of parents' share of the variance, generated "
                        "to real: %s)", table, noise_spec["strength"],
                        ", ".join(f"{s:g}: {m:.3f}" for s, m in mismatch.items()))
    return ConditionalResult(gnn, diffusion, in_dims, history, noise_spec)


def run_tasks(executor: Executor, tables: Sequence[str], make_job: Callable[[str], Any],
              task: Callable[[Any], Any], done: Callable[[str, Any], None], one_at_a_time: bool,
              phase: str, checkpoints: Checkpoints | None = None) -> None:
    """Run ``task`` for every table through ``executor`` and hand each result to ``done``
    in table order. ``one_at_a_time``: each job is made after the previous result is in
    (a budget that flows from table to table); otherwise all jobs go out together.
    With ``checkpoints``, a table whose ``phase`` result an earlier, interrupted fit saved
    takes that result: its job is still made, so budgets are handed out as before, but not
    run; every new result is saved the moment it is in."""
    def restore(table: str) -> Any | None:
        return checkpoints.load(phase, table) if checkpoints else None

    def finish(table: str, result: Any, new: bool) -> None:
        if checkpoints and new:
            checkpoints.save(phase, table, result)
        done(table, result)
        release_free_memory()  # the task's temporaries are gone; keep the heap from climbing

    if one_at_a_time:
        for table in tables:
            job = make_job(table)
            saved = restore(table)
            finish(table, saved if saved is not None else executor.map(task, [job])[0], saved is None)
        return
    jobs = [make_job(table) for table in tables]
    saved = {table: restore(table) for table in tables}
    todo = [(table, job) for table, job in zip(tables, jobs) if saved[table] is None]
    results = dict(zip([t for t, _ in todo], executor.map(task, [job for _, job in todo])))
    for table in tables:
        finish(table, saved[table] if saved[table] is not None else results[table], saved[table] is None)


def describe_budget(config) -> str:
    """A component's budget for the log: steps and/or seconds, or unlimited."""
    parts = []
    if config.max_steps is not None:
        parts.append(f"{config.max_steps} steps")
    if config.time_budget is not None:
        parts.append(f"{config.time_budget:.0f} s")
    return " / ".join(parts) or "unlimited"
