"""RGCD: fit / sample / save / load over the tables of a database in foreign-key order.

The database is factorised as p(structure) * prod_t p(attributes of t | GNN(structure,
attributes of the tables generated before t)), as in the RGCD paper (Hudovernik 2024):

* the structure (key columns) comes from :class:`StructureSampler`;
* every modelled table has a VAE (row -> latent), a GNN trained to predict latents from the
  graph, and a latent diffusion model conditioned on the GNN's node embedding h; the fit is
  a set of tasks (:mod:`.fit_tasks`) an executor runs;
* rows that share a parent are the sibling component's business (:mod:`.siblings`);
* sampling walks the tables in order: embed the sampled graph, denoise latents, decode,
  and put the new attributes on the graph for the tables that follow.

The estimator follows scikit-learn: hyperparameters are the constructor's arguments (resolved
into :attr:`RGCD.settings` at once, so a typo fails before any data is read), what ``fit``
learns lives in attributes ending in ``_``, and where the fit runs (device, executor,
checkpoints, progress) is a :class:`~syntherela_rgcd.contract.RunContext` given to ``fit``. It
takes DataFrames and metadata and returns DataFrames; files are touched only by
:meth:`~RGCD.save` / :meth:`~RGCD.load` (:mod:`.saved_model`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd
import torch
from syntherela.metadata import Metadata

from ..contract import RunContext, SourceRows, Tables
from ..errors import DataError, SyntheRelaError
from ..executors import make_executor
from .budget import VAE_SHARE, FitBudget, steps_for_rows, tighter
from .checkpoints import Checkpoints
from .config import resolve_config, with_time_budget
from .copy_guard import ROUNDS as COPY_ROUNDS
from .copy_guard import CopyGuard
from .near_copy_guard import MAX_ROWS as NEAR_COPY_MAX_ROWS
from .near_copy_guard import NearCopyGuard
from .diffusion import DiffusionConfig, LatentDiffusion
from .encoding import TableEncoder
from .fit_tasks import (ConditionalInputs, ConditionalJob, ConditionalResult, VAEJob, VAEResult, embed, run_tasks,
                        train_table_conditional, train_table_vae)
from .gnn import GNNConditioner, GNNConfig
from .graph import build_graph
from .positions import PositionModel
from .memory import release_free_memory
from .row_order import random_order, real_order
from .schema import foreign_keys, generation_order, id_columns
from .siblings import Siblings, SiblingSettings
from .structure import SampledStructure, StructureSampler
from .training import resolve_device
from .vae import VAE, VAEConfig

logger = logging.getLogger(__name__)


@dataclass
class TableModel:
    """The three trained components of one modelled table, plus what is needed to rebuild them."""

    vae: VAE
    gnn: GNNConditioner | None = None
    diffusion: LatentDiffusion | None = None
    gnn_in_dims: dict[str, int] | None = None


class RGCD:
    """Relational data synthesis with graph-conditioned latent diffusion.

    Parameters
    ----------
    profile:
        ``smoke``, ``cpu`` or ``paper`` (see ``profiles/default.yaml``); None: the default.
    config:
        Overrides: a dict or a YAML file with the sections ``vae``, ``gnn``, ``diffusion``,
        ``siblings`` and top-level settings such as ``positions`` (table -> datetime column).
    dataset:
        Dataset name whose ``profiles/<dataset>.yaml`` applies (positions, tuning).
    time_budget:
        Seconds per trained component, on top of the settings' step budget.
    seed:
        Seed for all training; ``sample(seed=...)`` has its own.
    """

    def __init__(
        self,
        profile: str | None = None,
        config: Mapping | str | Path | None = None,
        dataset: str | None = None,
        time_budget: float | None = None,
        seed: int = 0,
    ):
        self.profile = profile
        self.config = config
        self.dataset = dataset
        self.time_budget = time_budget
        self.seed = int(seed)
        #: The resolved settings (profile, dataset file and overrides merged): derived from the
        #: hyperparameters above, not learnt.
        self.settings: dict[str, Any] = with_time_budget(resolve_config(profile, dataset, config), time_budget)
        SiblingSettings.from_dict(self.settings.get("siblings"))  # checked now, not after the data is read

    @property
    def label(self) -> str:
        """The profile: what a run with these settings is filed under."""
        return self.settings["profile"]

    @property
    def modelled_(self) -> list[str]:
        """Tables with a generative model, in generation order."""
        return [t for t in self.order_ if t in self.encoders_]

    # ------------------------------------------------------------------ fitting

    def fit(self, tables: Tables, metadata: Metadata, context: RunContext | None = None) -> "RGCD":
        """Learn the structure, then every table's VAE, then every table's GNN and diffusion
        model. Each table's component is a task for ``context.executor``: the VAEs depend only
        on their own table, a GNN + diffusion model only on the real data and the VAE latents.
        With ``budget_flow`` (the default) a table's step budget depends on what the tables
        before it used, so tasks go to the executor one at a time."""
        context = context or RunContext()
        self._check_input(tables, metadata)
        device = resolve_device(context.device)
        self.metadata_ = metadata
        self.order_ = generation_order(metadata)
        self.columns_ = {t: list(tables[t].columns) for t in self.order_}
        self.structure_ = StructureSampler().fit(tables, metadata)
        rng = np.random.default_rng(self.seed)
        position_columns = dict(self.settings.get("positions", {}))
        orders = {t: real_order(tables[t], position_columns.get(t), rng) for t in self.order_}
        self.positions_ = self._fit_positions(tables, position_columns)
        real_positions = {t: m.positions(tables[t], orders[t], rng) for t, m in self.positions_.items()}
        self.siblings_ = Siblings(SiblingSettings.from_dict(self.settings.get("siblings")),
                                  {t: foreign_keys(metadata, t) for t in self.order_}).fit_structure(tables, orders)
        self.encoders_: dict[str, TableEncoder] = {}
        self.models_: dict[str, TableModel] = {}
        self.history_: dict[str, Any] = {}
        start = time.perf_counter()

        for table in self.order_:
            encoder = TableEncoder(datetime_offsets=bool(self.settings.get("datetime_offsets"))).fit(
                tables[table], metadata.tables[table].columns)
            if encoder.n_num + len(encoder.cardinalities) > 0:  # else key-only: given by the structure
                self.encoders_[table] = encoder
        modelled = self.modelled_
        self.copy_guards_ = ({t: CopyGuard.fit(tables[t][self.encoders_[t].columns], self.seed) for t in modelled}
                             if self.settings.get("copy_guard") else {})
        self.near_copy_guards_: dict[str, NearCopyGuard] = {}
        if self.settings.get("near_copy_guard"):
            self.fit_near_copy_guards(tables)
        flow = bool(self.settings.get("budget_flow", True))
        steps = FitBudget(steps_for_rows(self.settings.get("fit_steps"), sum(len(tables[t]) for t in modelled)),
                          {t: len(tables[t]) for t in modelled},
                          vae_share=self.settings.get("fit_vae_share", VAE_SHARE),
                          parents=[t for t in modelled if metadata.get_children(t)],
                          parent_weight=self.settings.get("fit_parent_weight", 1.0), flow=flow)
        executor = make_executor(context.executor, context.workers, context.ray_address)
        if flow and executor.name != "inprocess":
            logger.info("budget_flow is on: tables train one at a time on executor %r (each table's steps depend "
                        "on what the tables before it used); budget_flow: false trains them together", executor.name)
        checkpoints = Checkpoints(context.checkpoint_dir) if context.checkpoint_dir else None
        try:
            encoded, latents = {}, {}
            for table in modelled:
                encoded[table] = self.encoders_[table].transform(tables[table])
                rules = self.siblings_.fit_values(table, tables[table], encoded[table][1],
                                                  self.encoders_[table].categorical_names)
                if rules:
                    logger.info("%s: sibling rules: %s", table, "; ".join(rules))

            def vae_job(table: str) -> VAEJob:
                config = VAEConfig.from_dict(self.settings["vae"])
                config.max_steps = _whole(tighter(config.max_steps, steps.vae(table)))
                encoder = self.encoders_[table]
                return VAEJob(table, *encoded[table], encoder.n_num, list(encoder.cardinalities), config,
                              self.seed, device, context.progress)

            def vae_done(table: str, result: VAEResult) -> None:
                self.history_.setdefault(table, {})["vae"] = result.history
                steps.spend(result.history["steps"])
                latents[table] = result.latents
                self.models_[table] = TableModel(vae=result.vae)

            run_tasks(executor, modelled, vae_job, train_table_vae, vae_done, flow, "vae", checkpoints)

            inputs = ConditionalInputs(
                real_keys={t: tables[t][id_columns(metadata, t)] for t in self.order_},
                node_features={t: self.encoders_[t].node_features(*encoded[t]) for t in encoded},
                latents=latents)
            steps.start_conditional_phase()

            def conditional_job(table: str) -> ConditionalJob:
                diffusion = DiffusionConfig.from_dict(self.settings["diffusion"])
                diffusion.max_steps = _whole(tighter(diffusion.max_steps, steps.diffusion(table)))
                gnn = GNNConfig.from_dict(self.settings["gnn"])
                return ConditionalJob(table, modelled[:modelled.index(table)], inputs, metadata, real_positions,
                                      self.siblings_, gnn, gnn.steps_per_table(len(modelled)), diffusion,
                                      self.seed, device, context.progress)

            def conditional_done(table: str, result: ConditionalResult) -> None:
                self.history_[table].update(result.history)
                steps.spend(result.history["diffusion"]["steps"])
                if result.sibling_noise is not None:
                    self.siblings_.noise_[table] = result.sibling_noise
                model = self.models_[table]
                model.gnn, model.diffusion, model.gnn_in_dims = result.gnn, result.diffusion, result.gnn_in_dims

            run_tasks(executor, modelled, conditional_job, train_table_conditional, conditional_done, flow,
                      "conditional", checkpoints)
        finally:
            executor.close()
        self.history_["fit_seconds"] = time.perf_counter() - start
        return self

    def _check_input(self, tables: Tables, metadata: Metadata) -> None:
        for table in metadata.get_tables():
            if table not in tables:
                raise DataError(f"rgcd: table {table!r} is in the metadata but not in the data")
            missing = [c for c in metadata.tables[table].columns if c not in tables[table].columns]
            if missing:
                raise DataError(f"rgcd: table {table!r} lacks column(s) {', '.join(missing)}")
        for table, column in self.settings.get("positions", {}).items():
            if table not in tables or column not in tables[table].columns:
                raise DataError(f"rgcd config: position column {table}.{column} does not exist")
            if metadata.tables[table].columns[column]["sdtype"] != "datetime":
                raise DataError(f"rgcd config: position column {table}.{column} is not a datetime")

    def _fit_positions(self, tables: Tables, columns: Mapping[str, str]) -> dict[str, PositionModel]:
        """A position model per table with a position column and a parent (the first foreign
        key's siblings are ordered); a table without a parent has no siblings to order."""
        models = {}
        for table, column in columns.items():
            keys = foreign_keys(self.metadata_, table)
            if not keys:
                logger.info("%s: position column %s not used: the table has no parent, so its rows have no "
                            "siblings to order (the column is modelled like any other)", table, column)
                continue
            models[table] = PositionModel.fit(tables[table][column], keys[0])
        return models

    def _graph(self, keys: Mapping[str, pd.DataFrame], features: Mapping[str, np.ndarray],
               positions: Mapping[str, np.ndarray], structural: Mapping[str, np.ndarray]):
        return build_graph(keys, self.metadata_, {t: features.get(t) for t in self.order_}, positions, structural)

    def _require_fit(self, what: str) -> None:
        if not hasattr(self, "structure_"):
            raise SyntheRelaError(f"rgcd: {what} called before fit()")

    # ------------------------------------------------------------------ sampling

    def sample_structure(self, seed: int | None = None, scale: float = 1.0) -> SampledStructure:
        """The key columns :meth:`sample` draws for ``seed`` and ``scale`` (with the
        configured ``structure`` mode), and the real row each new row stands for."""
        self._require_fit("sample()")
        seed = self.seed if seed is None else int(seed)
        return self.structure_.sample(scale=scale, seed=seed, mode=self.settings.get("structure", "copy"),
                                      twin_correlation=float(self.settings.get("degree_twin_correlation", 1.0)))

    def sample(self, seed: int | None = None, scale: float = 1.0,
               structure: SampledStructure | None = None) -> Tables:
        """A new database: sampled structure (or the given one, from :meth:`sample_structure`
        with the same seed and scale), then attributes table by table in FK order."""
        return self.sample_with_source_rows(seed, scale, structure)[0]

    def sample_with_source_rows(self, seed: int | None = None, scale: float = 1.0,
                                structure: SampledStructure | None = None) -> tuple[Tables, SourceRows]:
        """:meth:`sample`, and per table the real row each synthetic row stands for (the
        ``source_rows`` capability: the copy figures of ``evaluation/copying.py`` use it)."""
        if structure is None:
            structure = self.sample_structure(seed, scale)
        seed = self.seed if seed is None else int(seed)
        rng = np.random.default_rng([seed, 1])  # ranks and positions: drawn, never the source rows'
        orders = {t: random_order(len(structure.keys[t]), rng) for t in self.order_}
        positions = {t: m.positions(structure.keys[t], orders[t], rng) for t, m in self.positions_.items()}
        structural = self.siblings_.structural_features(structure.keys, orders)
        gnn_config = GNNConfig.from_dict(self.settings["gnn"])
        features: dict[str, np.ndarray] = {}
        attributes: dict[str, pd.DataFrame] = {}
        for index, table in enumerate(self.modelled_):
            model, keys, table_seed = self.models_[table], structure.keys[table], seed * 1009 + index
            logger.info("%s: sampling %d rows (table %d of %d)", table, len(keys), index + 1, len(self.modelled_))
            graph = self._graph(structure.keys, features, positions, structural)
            with torch.no_grad():
                h = embed(model.gnn, graph, gnn_config)[table]
            x_num, x_cat = self._draw(table, h, keys, table_seed, self.siblings_.starting_noise(table, keys, table_seed))
            encoder = self.encoders_[table]
            frame = encoder.inverse_transform(x_num, x_cat)
            if table in self.copy_guards_ or table in self.near_copy_guards_:
                x_num, x_cat, frame = self._redraw_copies(table, h, keys, table_seed, x_num, x_cat, frame)
            attributes[table] = frame
            features[table] = encoder.node_features(x_num, x_cat)
            release_free_memory()
        return {table: self._assemble(table, structure, attributes) for table in self.order_}, structure.source_rows

    def _draw(self, table: str, h: torch.Tensor, keys: pd.DataFrame, seed: int,
              noise: torch.Tensor | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Model-space attributes of rows with embeddings ``h`` and foreign keys ``keys``."""
        model = self.models_[table]
        z = model.diffusion.sample(h, seed=seed, noise=noise, siblings=self.siblings_.context(table, keys))
        with torch.no_grad():
            x_num, codes, logits = model.vae.eval().decode_codes(torch.as_tensor(z, dtype=torch.float32),
                                                                 self.siblings_.rule_columns(table))
        return x_num.numpy(), self.siblings_.decode_categories(table, logits, codes.numpy(), keys, seed)

    def _redraw_copies(self, table: str, h: torch.Tensor, keys: pd.DataFrame, seed: int, x_num: np.ndarray,
                       x_cat: np.ndarray, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """Rows equal to a training row beyond the real halves' share (:mod:`.copy_guard`), and
        rows closer to one than real rows are to each other (:mod:`.near_copy_guard`), drawn
        again with fresh noise."""
        exact, near = self.copy_guards_.get(table), self.near_copy_guards_.get(table)
        rng, redrawn = np.random.default_rng([seed, 2]), 0
        for attempt in range(1, COPY_ROUNDS + 1):
            # the near guard compares the decoded rows encoded again, as the training rows were: a drawn
            # value behind a missing flag, or digits decoding rounds away, are not part of the row
            rows = np.union1d(exact.excess(frame, rng) if exact else np.zeros(0, dtype=np.int64),
                              near.excess(*self.encoders_[table].transform(frame)) if near
                              else np.zeros(0, dtype=np.int64)).astype(np.int64)
            if not len(rows):
                break
            redrawn += len(rows)
            x_num[rows], x_cat[rows] = self._draw(table, h[torch.as_tensor(rows)], keys.iloc[rows].reset_index(drop=True),
                                                  seed + 104_729 * attempt)
            frame = self.encoders_[table].inverse_transform(x_num, x_cat)
        if redrawn:
            logger.info("%s: %d rows drawn again%s%s", table, redrawn,
                        f"; {100 * exact.copies(frame).mean():.1f}% equal a training row now "
                        f"({100 * exact.allowed_share:.1f}% between real halves)" if exact else "",
                        f"; share closer than the real rows' closest quarter {100 * near.below_shares(*self.encoders_[table].transform(frame))[-1]:.0f}% "
                        f"(real {100 * near.shares[-1]:.0f}%)" if near else "")
        return x_num, x_cat, frame

    def fit_near_copy_guards(self, tables: Tables) -> None:
        """Fit the near-copy guard (:mod:`.near_copy_guard`) of every modelled table it covers.

        Public so that a model fitted without it can be given one for a paired ablation: the
        same networks sampled with and without the guard."""
        self.near_copy_guards_ = {}
        for table, encoder in self.encoders_.items():
            if len(tables[table]) <= NEAR_COPY_MAX_ROWS:
                guard = NearCopyGuard.fit(*encoder.transform(tables[table]), list(encoder.cardinalities))
                if guard is not None:
                    self.near_copy_guards_[table] = guard

    def _assemble(self, table: str, structure: SampledStructure, attributes: dict[str, pd.DataFrame]) -> pd.DataFrame:
        keys = structure.keys[table].reset_index(drop=True)
        if table in attributes:
            frame = pd.concat([keys, attributes[table].reset_index(drop=True)], axis=1)
        else:  # nothing observed beyond the keys: the other columns are missing
            ids = set(id_columns(self.metadata_, table))
            empty = pd.DataFrame({c: pd.Series([np.nan] * len(keys)) for c in self.columns_[table] if c not in ids})
            frame = pd.concat([keys, empty], axis=1)
        return frame[self.columns_[table]]

    # ------------------------------------------------------------------ persistence

    def save(self, path: str | Path) -> None:
        """See :func:`.saved_model.save`."""
        self._require_fit("save()")
        from .saved_model import save  # the saved-model module builds RGCDs: it imports this one

        save(self, Path(path))

    @classmethod
    def load(cls, path: str | Path) -> "RGCD":
        """See :func:`.saved_model.load`."""
        from .saved_model import load

        return load(Path(path))


def _whole(steps: float | None) -> int | None:
    """A step allotment as a whole number of steps (at least one)."""
    return None if steps is None else max(int(steps), 1)
