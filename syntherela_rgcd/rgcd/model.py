"""RGCD: fit / sample / save / load over the tables of a database in foreign-key order.

The database is factorised as p(structure) * prod_t p(attributes of t | GNN(structure,
attributes of the tables generated before t)) (DESIGN.md section 5):

* the structure (key columns) comes from :class:`StructureSampler`, which copies whole
  connected components of the real FK graph;
* every modelled table has a VAE (row -> latent), a GNN trained to predict latents from the
  graph, and a latent diffusion model conditioned on the GNN's node embedding h;
* sampling walks the tables in order: embed the sampled graph, denoise latents, decode,
  and put the new attributes on the graph for the tables that follow.

The class takes DataFrames and metadata and returns DataFrames; it never touches files
except in :meth:`save` / :meth:`load`, which use JSON, ``.npz`` and ``weights_only``
tensors, never pickle.
"""

from __future__ import annotations

import copy
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from syntherela.metadata import Metadata

from ..errors import DataError, SyntheRelaError
from ..executors import make_executor
from ..metadata import RelationalMetadata
from .budget import VAE_SHARE, FitBudget, tighter
from .checkpoints import Checkpoints
from .config import resolve_config, with_time_budget
from .diffusion import DiffusionConfig, LatentDiffusion
from .encoding import TableEncoder
from .fit_tasks import (ConditionalInputs, ConditionalJob, ConditionalResult, VAEJob, VAEResult, describe_budget, run_tasks,
                        train_table_conditional, train_table_vae)
from .gnn import GNNConditioner, GNNConfig, train_gnn
from .graph import build_graph, day_offsets
from .schema import foreign_keys, generation_order, group_ids, id_columns
from .sibling_context import SiblingContext
from .sibling_noise import (CALIBRATION_ROWS, calibrate_strength, calibration_rows, correlated_noise,
                            intra_group_correlation)
from .sibling_order import sibling_order_features
from .sibling_values import SiblingRule, apply_rule, find_sibling_rules
from .structure import SampledStructure, StructureSampler
from .training import resolve_device, seed_everything
from .vae import VAE, VAEConfig, most_likely_codes

logger = logging.getLogger(__name__)
FORMAT_VERSION = 2  # 2: conditioning statistics and the joint-denoising input in the diffusion weights


@dataclass
class TableModel:
    """The three trained components of one modelled table, plus what is needed to rebuild them."""

    vae: VAE
    gnn: GNNConditioner
    diffusion: LatentDiffusion
    gnn_in_dims: dict[str, int]


class RGCD:
    """Relational data synthesis with graph-conditioned latent diffusion.

    Parameters
    ----------
    profile:
        ``smoke``, ``cpu`` or ``paper`` (see ``profiles/default.yaml``).
    config:
        Overrides: a dict or a YAML file with sections ``vae``, ``gnn``, ``diffusion`` and
        ``positions`` (table -> datetime column used as positional encoding).
    dataset:
        Dataset name whose ``profiles/<dataset>.yaml`` applies (positions, tuning).
    device:
        ``auto`` (CUDA when available), ``cpu`` or ``cuda``.
    time_budget:
        Seconds per trained component, overriding the profile's budgets.
    seed:
        Seed for all training; ``sample(seed=...)`` has its own.
    progress:
        Show tqdm bars for epochs.
    executor:
        Where the tables' training tasks run: ``inprocess`` (default), ``process`` (a local
        pool of ``workers`` processes) or ``ray`` (local Ray, or the cluster at
        ``ray_address``). It does not change the fitted model; see
        :mod:`syntherela_rgcd.executors` and the ``budget_flow`` setting.
    """

    def __init__(
        self,
        profile: str | None = None,
        config: Mapping | str | Path | None = None,
        dataset: str | None = None,
        device: str = "auto",
        time_budget: float | None = None,
        seed: int = 0,
        progress: bool = True,
        executor: str = "inprocess",
        workers: int | None = None,
        ray_address: str | None = None,
        checkpoint_dir: str | None = None,
    ):
        self.config = with_time_budget(resolve_config(profile, dataset, config), time_budget)
        self.config["seed"] = int(seed)
        self.config["device"] = device
        self.progress = progress
        self.executor, self.workers, self.ray_address = executor, workers, ray_address
        self.checkpoint_dir = checkpoint_dir
        self.device = resolve_device(device)
        self.metadata: Metadata | None = None
        self.order: list[str] = []
        self.columns: dict[str, list[str]] = {}
        self.encoders: dict[str, TableEncoder] = {}
        self.models: dict[str, TableModel] = {}
        self.structure: StructureSampler | None = None
        self.positions: dict[str, np.ndarray] = {}
        self.sibling_order: dict[str, np.ndarray] = {}
        self.sibling_rules: dict[str, list[SiblingRule]] = {}
        self.sibling_noise: dict[str, dict] = {}
        self.history: dict[str, Any] = {}

    # ------------------------------------------------------------------ fitting

    def fit(self, tables: dict[str, pd.DataFrame], metadata: Metadata) -> "RGCD":
        """Learn the structure, then every table's VAE, then every table's GNN and diffusion
        model. Each table's component is a task for the executor (``executor``): the VAEs
        depend only on their own table, a GNN + diffusion model only on the real data and
        the VAE latents. With ``budget_flow`` (the default) a table's step budget depends on
        what the tables before it used, so tasks go to the executor one at a time."""
        self._check_input(tables, metadata)
        seed = self.config["seed"]
        self.metadata = metadata
        self.order = generation_order(metadata)
        self.columns = {t: list(tables[t].columns) for t in self.order}
        self.structure = StructureSampler().fit(tables, metadata)
        self.positions = self._real_positions(tables)
        self.sibling_order = sibling_order_features(tables, metadata) if self.config.get("sibling_order") else {}
        start = time.perf_counter()

        for table in self.order:
            encoder = TableEncoder(datetime_offsets=bool(self.config.get("datetime_offsets"))).fit(
                tables[table], metadata.tables[table].columns)
            if encoder.n_num + len(encoder.cardinalities) > 0:  # else key-only: given by the structure
                self.encoders[table] = encoder
        rows = {t: len(tables[t]) for t in self.modelled}
        flow = bool(self.config.get("budget_flow", True))
        shares = {"vae_share": self.config.get("fit_vae_share", VAE_SHARE),
                  "parents": [t for t in self.modelled if metadata.get_children(t)],
                  "parent_weight": self.config.get("fit_parent_weight", 1.0), "flow": flow}
        budget = FitBudget(self.config.get("fit_budget"), rows, unit="seconds", **shares)
        steps = FitBudget(self.config.get("fit_steps"), rows, unit="steps", **shares)

        executor = make_executor(self.executor, self.workers, self.ray_address)
        if flow and executor.name != "inprocess":
            logger.info("budget_flow is on: tables train one at a time on executor %r (each table's steps depend "
                        "on what the tables before it used); budget_flow: false trains them together", executor.name)
        try:
            encoded, latents = {}, {}
            for table in self.modelled:
                encoded[table] = self.encoders[table].transform(tables[table])
                if self.config.get("sibling_values"):
                    self._find_sibling_rules(table, tables[table], encoded[table][1])

            def vae_job(table: str) -> VAEJob:
                config = VAEConfig.from_dict(self.config["vae"])
                config.time_budget = tighter(config.time_budget, budget.vae(table))
                config.max_steps = _whole(tighter(config.max_steps, steps.vae(table)))
                encoder = self.encoders[table]
                return VAEJob(table, *encoded[table], encoder.n_num, list(encoder.cardinalities), config,
                              seed, self.device, self.progress)

            def vae_done(table: str, result: VAEResult) -> None:
                self.history.setdefault(table, {})["vae"] = result.history
                steps.spend(result.history["steps"])
                latents[table] = result.latents
                self.models[table] = TableModel(vae=result.vae, gnn=None, diffusion=None, gnn_in_dims={})  # type: ignore[arg-type]

            checkpoints = Checkpoints(self.checkpoint_dir) if self.checkpoint_dir else None

            def saved(phase: str):
                return (lambda table: checkpoints.load(phase, table)) if checkpoints else (lambda table: None)

            def keep(phase: str, done):
                def done_and_saved(table, result):
                    if checkpoints:
                        checkpoints.save(phase, table, result)
                    done(table, result)
                return done_and_saved

            run_tasks(executor, self.modelled, vae_job, train_table_vae, keep("vae", vae_done), flow, saved("vae"))

            inputs = ConditionalInputs(
                real_keys={t: tables[t][id_columns(metadata, t)] for t in self.order},
                node_features={t: self.encoders[t].node_features(*encoded[t]) for t in encoded},
                latents=latents)
            view = self._task_view()
            budget.start_conditional_phase()
            steps.start_conditional_phase()

            def conditional_job(table: str) -> ConditionalJob:
                gnn_seconds, table_seconds = budget.gnn_and_diffusion(table)
                return ConditionalJob(view, table, self.modelled[:self.modelled.index(table)], inputs, gnn_seconds, table_seconds,
                                      _whole(steps.gnn_and_diffusion(table)[1]))

            def conditional_done(table: str, result: ConditionalResult) -> None:
                self.history[table].update(result.history)
                steps.spend(result.history["diffusion"]["steps"])
                if result.sibling_noise is not None:
                    self.sibling_noise[table] = result.sibling_noise
                model = self.models[table]
                model.gnn, model.diffusion, model.gnn_in_dims = result.gnn, result.diffusion, result.gnn_in_dims

            run_tasks(executor, self.modelled, conditional_job, train_table_conditional,
                      keep("conditional", conditional_done), flow, saved("conditional"))
        finally:
            executor.close()
        self.history["fit_seconds"] = time.perf_counter() - start
        return self

    def _task_view(self) -> "RGCD":
        """A copy of this model holding only what a table's GNN + diffusion task reads (the
        schema, the configuration, positions and sibling features), small enough to send to
        another process or machine."""
        view = copy.copy(self)
        view.models, view.encoders, view.structure, view.history = {}, {}, None, {}
        view.sibling_noise, view.sibling_rules = {}, {}
        return view

    def _fit_conditional(self, job: "ConditionalJob") -> "ConditionalResult":
        """One table's GNN (predicting every table's latents from the graph of the tables
        before it) and its diffusion model conditioned on the GNN's embedding h."""
        table, inputs, seed = job.table, job.inputs, self.config["seed"]
        graph = self._graph(inputs.real_keys, {t: inputs.node_features[t] for t in job.tables_before}, self.positions,
                            self.sibling_order)
        gnn_config = GNNConfig.from_dict(self.config["gnn"])
        gnn_config.time_budget = tighter(gnn_config.time_budget, job.gnn_seconds)
        table_start = time.perf_counter()
        seed_everything(seed)
        latents = inputs.latents
        gnn = GNNConditioner.for_graph(graph, {t: latents[t].shape[1] for t in latents}, gnn_config,
                                       position_tables=list(self.positions))
        logger.info("%s: training GNN (%d layers) on %d nodes%s", table, gnn.num_layers,
                    sum(graph[t].num_nodes for t in graph.node_types),
                    f", {gnn_config.minibatch_steps} steps on sampled neighbourhoods (fanouts {list(gnn_config.fanouts)})"
                    if gnn_config.uses_minibatch(graph) else "")
        history = {"gnn": train_gnn(gnn, graph, latents, table, gnn_config, self.device, seed, self.progress)}
        with torch.no_grad():
            h = self._embed(gnn.cpu(), graph)[table].float()
            if self.config.get("sibling_noise"):
                self._learn_sibling_noise(table, latents[table] - gnn.heads[table](h), inputs.real_keys[table])
        diffusion_config = DiffusionConfig.from_dict(self.config["diffusion"])
        if job.table_seconds is not None:  # what the GNN left of this table's share
            left = max(job.table_seconds - (time.perf_counter() - table_start), 1.0)
            diffusion_config.time_budget = tighter(diffusion_config.time_budget, left)
        diffusion_config.max_steps = _whole(tighter(diffusion_config.max_steps, job.diffusion_steps))
        seed_everything(seed)
        siblings = self._siblings(table, inputs.real_keys[table])
        diffusion = LatentDiffusion(latents[table].shape[1], h.shape[1], diffusion_config,
                                    siblings.n_keys if siblings else 0)
        logger.info("%s: training diffusion on %d latents of dim %d (budget %s%s)", table, len(h),
                    latents[table].shape[1], describe_budget(diffusion_config),
                    f"; joint over siblings per {', '.join(self._sibling_keys(table))}" if siblings else "")
        history["diffusion"] = diffusion.fit(latents[table], h, siblings=siblings, device=self.device,
                                             seed=seed, progress=self.progress)
        diffusion.cpu()
        if self.config.get("sibling_noise") is True and table in self.sibling_noise:
            self._calibrate_sibling_noise(table, diffusion, h, latents[table], inputs.real_keys[table], seed)
        return ConditionalResult(gnn, diffusion, {t: graph[t].x.shape[1] for t in graph.node_types}, history,
                                 self.sibling_noise.get(table))

    @property
    def modelled(self) -> list[str]:
        """Tables with a generative model, in generation order."""
        return [t for t in self.order if t in self.encoders]

    def _check_input(self, tables: dict[str, pd.DataFrame], metadata: Metadata) -> None:
        for table in metadata.get_tables():
            if table not in tables:
                raise DataError(f"rgcd: table {table!r} is in the metadata but not in the data")
            missing = [c for c in metadata.tables[table].columns if c not in tables[table].columns]
            if missing:
                raise DataError(f"rgcd: table {table!r} lacks column(s) {', '.join(missing)}")
        for table, column in self.config.get("positions", {}).items():
            if table not in tables or column not in tables[table].columns:
                raise DataError(f"rgcd config: position column {table}.{column} does not exist")
            if metadata.tables[table].columns[column]["sdtype"] != "datetime":
                raise DataError(f"rgcd config: position column {table}.{column} is not a datetime")

    def _find_sibling_rules(self, table: str, frame: pd.DataFrame, x_cat: np.ndarray) -> None:
        fks = {fk: frame[fk] for fk in foreign_keys(self.metadata, table)}
        found = find_sibling_rules(x_cat, self.encoders[table].categorical_names, fks)
        if found:
            self.sibling_rules[table] = found
            logger.info("%s: sibling rules: %s", table, "; ".join(rule.describe() for rule in found))

    def _learn_sibling_noise(self, table: str, residuals: torch.Tensor, keys: pd.DataFrame) -> None:
        """Per latent dimension, how strongly siblings' residuals correlate (see
        :mod:`.sibling_noise`); the foreign key whose siblings correlate most is kept."""
        best = None
        for fk in foreign_keys(self.metadata, table):
            rho = intra_group_correlation(residuals.numpy(), group_ids(keys[fk]))
            if rho.any() and (best is None or rho.mean() > np.mean(best["rho"])):
                best = {"foreign_key": fk, "rho": rho.round(4).tolist()}
        if best is not None:
            self.sibling_noise[table] = best
            logger.info("%s: sibling noise per %s, correlation mean %.2f, max %.2f", table, best["foreign_key"],
                        np.mean(best["rho"]), np.max(best["rho"]))

    def _calibrate_sibling_noise(self, table: str, diffusion: LatentDiffusion, h: torch.Tensor, real: torch.Tensor,
                                 keys: pd.DataFrame, seed: int) -> None:
        """Choose the share of the learnt sibling correlation the sampler uses for ``table``
        (:func:`.sibling_noise.calibrate_strength`): whole sibling groups of the real graph are
        sampled at each strength and the one whose parents' latent means spread as the real
        ones do is kept in the model."""
        spec = self.sibling_noise[table]
        groups = group_ids(keys[spec["foreign_key"]])
        rows = calibration_rows(groups, CALIBRATION_ROWS, seed)
        sub_keys = keys.iloc[rows].reset_index(drop=True)
        sub_groups = group_ids(sub_keys[spec["foreign_key"]])
        rho = np.asarray(spec["rho"])
        sub_h, siblings = h[rows], self._siblings(table, sub_keys)

        def sample(strength: float) -> np.ndarray:
            noise = correlated_noise(sub_groups, strength * rho, seed)  # the same draws for every strength
            with torch.no_grad():
                return diffusion.sample(sub_h, seed=seed, noise=noise, siblings=siblings)

        strength, mismatch = calibrate_strength(sample, real[rows].numpy(), sub_groups)
        spec["strength"] = strength
        logger.info("%s: sibling noise strength %.2f (|log| ratio of parents' share of the variance, generated to real: %s)", table, strength,
                    ", ".join(f"{s:g}: {m:.3f}" for s, m in mismatch.items()))

    def calibrate_sibling_noise(self, tables: dict[str, pd.DataFrame]) -> dict[str, float]:
        """Calibrate a fitted (or loaded) model's sibling-noise strengths on the real ``tables``
        it was fitted on, as ``fit`` does when ``sibling_noise`` is ``true``; for models saved
        before the calibration existed. Returns the strength per table."""
        if self.structure is None:
            raise SyntheRelaError("rgcd: calibrate_sibling_noise() called before fit()")
        real_keys = {t: tables[t][id_columns(self.metadata, t)] for t in self.order}
        node_features: dict[str, np.ndarray] = {}
        seed = int(self.config["seed"])
        for table in self.modelled:
            model = self.models[table]
            x_num, x_cat = self.encoders[table].transform(tables[table])
            if table in self.sibling_noise:
                graph = self._graph(real_keys, node_features, self.positions, self.sibling_order)
                with torch.no_grad():
                    h = self._embed(model.gnn, graph)[table].float()
                    real = model.vae.eval().encode(x_num, x_cat).float()
                self._calibrate_sibling_noise(table, model.diffusion, h, real, real_keys[table], seed)
            node_features[table] = self.encoders[table].node_features(x_num, x_cat)
        return {t: spec["strength"] for t, spec in self.sibling_noise.items()}

    def _sibling_keys(self, table: str) -> list[str]:
        """The foreign keys whose siblings are denoised jointly (all of them, with
        ``joint_denoising``; none without)."""
        return foreign_keys(self.metadata, table) if self.config.get("joint_denoising") else []

    def _siblings(self, table: str, keys: pd.DataFrame) -> SiblingContext | None:
        """The sibling groups of ``table``'s rows (real or sampled) for joint denoising."""
        fks = self._sibling_keys(table)
        return SiblingContext.from_keys(keys, fks) if fks else None

    def _noise(self, table: str, keys: pd.DataFrame, seed: int) -> torch.Tensor | None:
        """Sibling-correlated starting noise for ``table``, or None for the sampler's own."""
        spec = self.sibling_noise.get(table)
        setting = self.config.get("sibling_noise")
        if isinstance(setting, bool) or setting is None:  # true: the calibrated share (all of it before calibration)
            strength = float(spec.get("strength", 1.0)) if setting and spec else 0.0
        else:
            strength = float(setting)
        if spec is None or strength == 0.0:
            return None
        return correlated_noise(group_ids(keys[spec["foreign_key"]]), strength * np.asarray(spec["rho"]), seed)

    def _decode(self, table: str, model: TableModel, z: np.ndarray, keys: pd.DataFrame,
                seed: int) -> tuple[np.ndarray, np.ndarray]:
        """Latents -> model space; columns with sibling rules are decoded group by group."""
        with torch.no_grad():
            x_num, logits = model.vae.eval().decode_logits(torch.as_tensor(z, dtype=torch.float32))
        x_cat = most_likely_codes(logits, len(z)).numpy()
        rng = np.random.default_rng(seed)
        for rule in self.sibling_rules.get(table, []):
            groups = group_ids(keys[rule.foreign_key])
            x_cat[:, rule.cat_index] = apply_rule(rule, logits[rule.cat_index].numpy(), groups, rng)
        return x_num.numpy(), x_cat

    def _real_positions(self, tables: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
        return {t: day_offsets(tables[t][c]).astype(np.float32) for t, c in self.config.get("positions", {}).items()}

    def _embed(self, gnn: GNNConditioner, graph) -> dict[str, torch.Tensor]:
        """All nodes' h; big graphs (those the GNN trains on by sampled neighbourhoods) through
        sparse products, so memory stays at nodes x hidden."""
        sparse = GNNConfig.from_dict(self.config["gnn"]).uses_minibatch(graph)
        return gnn.eval().embed(graph, sparse=sparse)

    def _graph(self, keys, features, positions, sibling_order):
        return build_graph(keys, self.metadata, {t: features.get(t) for t in self.order}, positions, sibling_order)

    # ------------------------------------------------------------------ sampling

    def sample_structure(self, seed: int | None = None, scale: float = 1.0) -> SampledStructure:
        """The key columns :meth:`sample` draws for ``seed`` and ``scale`` (with the
        configured ``structure`` mode), and the real row each new row stands for."""
        if self.structure is None:
            raise SyntheRelaError("rgcd: sample() called before fit()")
        seed = self.config["seed"] if seed is None else int(seed)
        return self.structure.sample(scale=scale, seed=seed, mode=self.config.get("structure", "copy"),
                                     twin_correlation=float(self.config.get("degree_twin_correlation", 1.0)))

    def sample(self, seed: int | None = None, scale: float = 1.0,
               structure: SampledStructure | None = None) -> dict[str, pd.DataFrame]:
        """A new database: sampled structure (or the given one, from :meth:`sample_structure`
        with the same seed and scale), then attributes table by table in FK order."""
        if structure is None:
            structure = self.sample_structure(seed, scale)
        self.last_source_rows = structure.source_rows  # for the copy figures (evaluation/copying.py)
        seed = self.config["seed"] if seed is None else int(seed)
        positions = {t: self.positions[t][structure.source_rows[t]] for t in self.positions}
        sibling_order = {t: self.sibling_order[t][structure.source_rows[t]] for t in self.sibling_order}
        features: dict[str, np.ndarray] = {}
        attributes: dict[str, pd.DataFrame] = {}
        for index, table in enumerate(self.modelled):
            model = self.models[table]
            logger.info("%s: sampling %d rows (table %d of %d)", table, len(structure.keys[table]), index + 1,
                        len(self.modelled))
            graph = self._graph(structure.keys, features, positions, sibling_order)
            with torch.no_grad():
                h = self._embed(model.gnn, graph)[table]
            z = model.diffusion.sample(h, seed=seed * 1009 + index,
                                       noise=self._noise(table, structure.keys[table], seed * 1009 + index),
                                       siblings=self._siblings(table, structure.keys[table]))
            x_num, x_cat = self._decode(table, model, z, structure.keys[table], seed * 1009 + index)
            encoder = self.encoders[table]
            attributes[table] = encoder.inverse_transform(x_num, x_cat)
            features[table] = encoder.node_features(x_num, x_cat)
        return {table: self._assemble(table, structure, attributes) for table in self.order}

    def _assemble(self, table: str, structure: SampledStructure, attributes: dict[str, pd.DataFrame]) -> pd.DataFrame:
        keys = structure.keys[table].reset_index(drop=True)
        n = len(keys)
        if table in attributes:
            frame = pd.concat([keys, attributes[table].reset_index(drop=True)], axis=1)
        else:
            empty = self._unmodelled_columns(table, n)
            frame = pd.concat([keys, empty], axis=1)
        return frame[self.columns[table]]

    def _unmodelled_columns(self, table: str, n: int) -> pd.DataFrame:
        """Non-key columns of a table without a model (nothing observed): all missing."""
        keys = set(id_columns(self.metadata, table))
        return pd.DataFrame({c: pd.Series([np.nan] * n) for c in self.columns[table] if c not in keys})

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | Path) -> None:
        """JSON for configuration, schema and encoders; ``.npz`` for the structure; ``.pt``
        state dicts for the networks (loaded with ``weights_only=True``)."""
        if self.structure is None:
            raise SyntheRelaError("rgcd: save() called before fit()")
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        structure_state = self.structure.get_state()
        arrays = dict(structure_state["arrays"])
        arrays.update({f"position::{t}": v for t, v in self.positions.items()})
        arrays.update({f"sibling_order::{t}": v for t, v in self.sibling_order.items()})
        np.savez_compressed(path / "structure.npz", **arrays)
        manifest = {
            "format_version": FORMAT_VERSION,
            "config": self.config,
            "metadata": self.metadata.to_dict(),
            "order": self.order,
            "columns": self.columns,
            "structure": structure_state["meta"],
            "encoders": {t: e.get_state() for t, e in self.encoders.items()},
            "sibling_rules": {t: [rule.to_dict() for rule in rules] for t, rules in self.sibling_rules.items()},
            "sibling_noise": self.sibling_noise,
            "gnn_in_dims": {t: m.gnn_in_dims for t, m in self.models.items()},
            "gnn_layers": {t: m.gnn.num_layers for t, m in self.models.items()},
            "latent_dims": {t: m.vae.latent_dim for t, m in self.models.items()},
            "history": self.history,
        }
        (path / "rgcd.json").write_text(json.dumps(manifest, indent=1, default=_json_default))
        for table, model in self.models.items():
            for part in ("vae", "gnn", "diffusion"):
                torch.save(getattr(model, part).state_dict(), path / f"{table}.{part}.pt")

    @classmethod
    def load(cls, path: str | Path) -> "RGCD":
        path = Path(path)
        manifest_file = path / "rgcd.json"
        if not manifest_file.is_file():
            raise DataError(f"rgcd: no saved model in {path} (rgcd.json missing)")
        manifest = json.loads(manifest_file.read_text())
        if manifest.get("format_version") != FORMAT_VERSION:
            raise DataError(f"rgcd: {path} was saved in format {manifest.get('format_version')}, expected {FORMAT_VERSION}")
        config = manifest["config"]
        model = cls.__new__(cls)
        model.config = config
        model.progress = False
        model.device = resolve_device("cpu")
        model.metadata = RelationalMetadata.load_from_dict(manifest["metadata"])
        model.order = manifest["order"]
        model.columns = manifest["columns"]
        model.history = manifest["history"]
        model.encoders = {t: TableEncoder.from_state(s) for t, s in manifest["encoders"].items()}
        model.sibling_rules = {t: [SiblingRule(**r) for r in rules] for t, rules in manifest.get("sibling_rules", {}).items()}
        model.sibling_noise = manifest.get("sibling_noise", {})
        with np.load(path / "structure.npz") as arrays:
            loaded = {k: arrays[k] for k in arrays.files}
        model.positions = {k.split("::", 1)[1]: v for k, v in loaded.items() if k.startswith("position::")}
        model.sibling_order = {k.split("::", 1)[1]: v for k, v in loaded.items() if k.startswith("sibling_order::")}
        arrays = {k: v for k, v in loaded.items() if "::" not in k}
        model.structure = StructureSampler.from_state({"meta": manifest["structure"], "arrays": arrays})
        model.models = {}
        gnn_config = GNNConfig.from_dict(config["gnn"])
        edge_types = _edge_types(model.metadata)
        latent_dims = manifest["latent_dims"]
        for table in [t for t in model.order if t in model.encoders]:
            encoder = model.encoders[table]
            vae = VAEConfig.from_dict(config["vae"]).build(encoder.n_num, encoder.cardinalities)
            in_dims = manifest["gnn_in_dims"][table]
            layers = manifest.get("gnn_layers", {}).get(table) or gnn_config.num_layers or len(model.order)
            gnn = GNNConditioner(in_dims, edge_types, latent_dims, gnn_config.hidden, gnn_config.out_dim,
                                 layers, list(model.positions))
            diffusion = LatentDiffusion(latent_dims[table], gnn_config.out_dim, DiffusionConfig.from_dict(config["diffusion"]),
                                        len(model._sibling_keys(table)))
            for part, module in (("vae", vae), ("gnn", gnn), ("diffusion", diffusion)):
                module.load_state_dict(torch.load(path / f"{table}.{part}.pt", map_location="cpu", weights_only=True))
                module.eval()
            model.models[table] = TableModel(vae, gnn, diffusion, in_dims)
        return model


def _whole(steps: float | None) -> int | None:
    """A step allotment as a whole number of steps (at least one)."""
    return None if steps is None else max(int(steps), 1)


def _edge_types(metadata: Metadata) -> list[tuple[str, str, str]]:
    """Edge types exactly as :func:`build_graph` names them."""
    types = []
    for rel in metadata.relationships:
        parent, child, fk = rel["parent_table_name"], rel["child_table_name"], rel["child_foreign_key"]
        types += [(parent, fk, child), (child, f"rev_{fk}", parent)]
    return types


def _json_default(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    return str(value)
