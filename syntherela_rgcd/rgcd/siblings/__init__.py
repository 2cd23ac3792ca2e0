"""Rows that share a parent are not independent: everything RGCD does about it, in one place.

In the paper every row of a table is generated on its own, given its GNN embedding. Real
siblings agree on things no parent column says (a Walmart store's weekly rows share its CPI;
an AirBnB user's sessions share a device) and differ in ways no single row shows (a CORA
paper never cites a word twice). Four mechanisms serve that one idea, each switched in the
``siblings`` section of the settings:

* ``order`` (:mod:`.order`): each row's rank among its siblings as a structural node feature,
  so siblings do not get identical GNN embeddings (ranks that carry no column's values);
* ``values`` (:mod:`.values`): a parent's rows hold as many distinct values of a categorical
  column as real parents' rows do, enforced when the VAE's codes are decoded;
* ``noise`` (:mod:`.noise`): siblings' starting noise for the sampler correlates as much as the
  real latents' residuals do (``true``: the share calibrated per table; a number: that share);
* ``joint`` (:mod:`.context`): the denoiser of a row sees its siblings' current noisy latents
  (joint denoising, GCFM's idea).

:class:`Siblings` holds the settings, the schema's foreign keys and what was learnt per table,
with one hook per stage of a fit and of a sample; the estimator calls the hooks and never
looks inside. All four are ours, so the ``paper`` profile switches them off.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import torch

from ...errors import DataError
from ..schema import group_ids
from .context import SiblingContext
from .noise import CALIBRATION_ROWS, calibrate_strength, calibration_rows, correlated_noise, intra_group_correlation
from .order import sibling_order_features
from .values import SiblingRule, apply_rule, find_sibling_rules


@dataclass(frozen=True)
class SiblingSettings:
    """The ``siblings`` section of the settings (see the module docstring)."""

    order: bool = False
    values: bool = False
    noise: bool | float = False
    joint: bool = False

    def __post_init__(self) -> None:
        noise = self.noise
        if not isinstance(noise, bool) and not (isinstance(noise, (int, float)) and 0 <= noise <= 1):
            raise DataError(f"setting siblings.noise is {noise!r}: use true, false or a strength between 0 and 1 "
                            "(the share of the learnt sibling correlation the sampler's starting noise gets)")

    @classmethod
    def from_dict(cls, values: Mapping[str, Any] | None) -> "SiblingSettings":
        return cls(**dict(values or {}))

    @classmethod
    def keys(cls) -> set[str]:
        return {f.name for f in fields(cls)}


class Siblings:
    """The sibling component of one fitted model: settings, each table's foreign keys, and
    what was learnt (``order_``: real rows' rank features, for training; ``rules_``: distinct-value rules;
    ``noise_``: per table, the foreign key, per-dimension correlation and calibrated strength).

    The learning hooks used inside a table's training task (:meth:`learn_noise`,
    :meth:`calibrate_noise`) return what they learnt instead of keeping it, so a task that
    ran in another process hands it back through its result.
    """

    def __init__(self, settings: SiblingSettings, foreign_keys: Mapping[str, list[str]]):
        self.settings = settings
        self.foreign_keys = {table: list(keys) for table, keys in foreign_keys.items()}
        self.order_: dict[str, np.ndarray] = {}
        self.rules_: dict[str, list[SiblingRule]] = {}
        self.noise_: dict[str, dict] = {}

    # ------------------------------------------------------------------ fit hooks

    def fit_structure(self, tables: Mapping[str, pd.DataFrame], orders: Mapping[str, np.ndarray]) -> "Siblings":
        """Before anything is trained: the real rows' sibling-rank features (``order``), rows
        ranked by ``orders`` (:func:`..row_order.real_order`)."""
        self.order_ = sibling_order_features(tables, self.foreign_keys, orders) if self.settings.order else {}
        return self

    def fit_values(self, table: str, frame: pd.DataFrame, x_cat: np.ndarray, categorical_names: list) -> list[str]:
        """After a table is encoded: its distinct-value rules (``values``); their descriptions."""
        if not self.settings.values:
            return []
        fks = {fk: frame[fk] for fk in self.foreign_keys.get(table, [])}
        found = find_sibling_rules(x_cat, categorical_names, fks)
        if found:
            self.rules_[table] = found
        return [rule.describe() for rule in found]

    def context(self, table: str, keys: pd.DataFrame) -> SiblingContext | None:
        """The sibling groups of ``table``'s rows (real or sampled) for joint denoising (``joint``)."""
        fks = self.joint_keys(table)
        return SiblingContext.from_keys(keys, fks) if fks else None

    def joint_keys(self, table: str) -> list[str]:
        """The foreign keys whose siblings a row's denoiser sees (all of them with ``joint``)."""
        return list(self.foreign_keys.get(table, [])) if self.settings.joint else []

    def learn_noise(self, table: str, residuals: np.ndarray, keys: pd.DataFrame) -> dict | None:
        """Per latent dimension, how strongly siblings' residuals (latent minus the GNN's
        prediction) correlate, for the foreign key whose siblings correlate most; None when
        ``noise`` is off or no siblings correlate."""
        if not self.settings.noise:
            return None
        best = None
        for fk in self.foreign_keys.get(table, []):
            rho = intra_group_correlation(residuals, group_ids(keys[fk]))
            if rho.any() and (best is None or rho.mean() > np.mean(best["rho"])):
                best = {"foreign_key": fk, "rho": rho.round(4).tolist()}
        return best

    def calibrate_noise(self, table: str, spec: dict, sample: Callable[..., np.ndarray], real: np.ndarray,
                        keys: pd.DataFrame, seed: int) -> tuple[dict, dict[float, float]]:
        """The share of the learnt correlation the sampler uses (``noise: true``): whole sibling
        groups of the real graph are sampled at each strength (``sample(rows, noise, context)``
        -> latents of those rows) and the one whose parents' latent means spread as the real
        ones do is kept (:func:`.noise.calibrate_strength`). Returns the spec with its
        ``strength`` and every strength's mismatch; a fixed strength is not calibrated."""
        if self.settings.noise is not True:
            return spec, {}
        groups = group_ids(keys[spec["foreign_key"]])
        rows = calibration_rows(groups, CALIBRATION_ROWS, seed)
        sub_keys = keys.iloc[rows].reset_index(drop=True)
        sub_groups = group_ids(sub_keys[spec["foreign_key"]])
        rho = np.asarray(spec["rho"])
        context = self.context(table, sub_keys)

        def at(strength: float) -> np.ndarray:
            noise = correlated_noise(sub_groups, strength * rho, seed)  # the same draws for every strength
            return sample(rows, noise, context)

        strength, mismatch = calibrate_strength(at, real[rows], sub_groups)
        return {**spec, "strength": strength}, mismatch

    # ------------------------------------------------------------------ sample hooks

    def structural_features(self, keys: Mapping[str, pd.DataFrame] | None = None,
                            orders: Mapping[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Node features the structure alone gives: the real rows' ranks, or with ``keys``
        those of sampled rows ranked by ``orders`` (:func:`..row_order.random_order`)."""
        if keys is None or not self.settings.order:
            return self.order_
        return sibling_order_features(keys, self.foreign_keys, orders)

    def starting_noise(self, table: str, keys: pd.DataFrame, seed: int) -> torch.Tensor | None:
        """Sibling-correlated starting noise for ``table``'s sampled rows, or None for the
        sampler's own (``noise`` off, nothing learnt, or a strength of 0)."""
        spec, setting = self.noise_.get(table), self.settings.noise
        if isinstance(setting, bool):  # true: the calibrated share (all of it before calibration)
            strength = float(spec.get("strength", 1.0)) if setting and spec else 0.0
        else:
            strength = float(setting)
        if spec is None or strength == 0.0:
            return None
        return correlated_noise(group_ids(keys[spec["foreign_key"]]), strength * np.asarray(spec["rho"]), seed)

    def rule_columns(self, table: str) -> list[int]:
        """The categorical columns (indices) whose codes a rule decodes: their logits are needed."""
        return sorted({rule.cat_index for rule in self.rules_.get(table, [])})

    def decode_categories(self, table: str, logits: Mapping[int, torch.Tensor], codes: np.ndarray,
                          keys: pd.DataFrame, seed: int) -> np.ndarray:
        """The categorical codes of sampled rows, with the columns that have a rule decoded
        parent by parent (``values``); ``codes`` are the plain argmax codes, ``logits`` those
        of the :meth:`rule_columns`."""
        rng = np.random.default_rng(seed)
        for rule in self.rules_.get(table, []):
            groups = group_ids(keys[rule.foreign_key])
            codes[:, rule.cat_index] = apply_rule(rule, logits[rule.cat_index].numpy(), groups, rng)
        return codes

    # ------------------------------------------------------------------ state

    def get_state(self) -> dict:
        """JSON-able state for saving (the real rows' rank features are for training only)."""
        return {"settings": asdict(self.settings), "foreign_keys": self.foreign_keys,
                "rules": {t: [rule.to_dict() for rule in rules] for t, rules in self.rules_.items()},
                "noise": self.noise_}

    @classmethod
    def from_state(cls, state: dict) -> "Siblings":
        siblings = cls(SiblingSettings.from_dict(state["settings"]), state["foreign_keys"])
        siblings.rules_ = {t: [SiblingRule(**r) for r in rules] for t, rules in state["rules"].items()}
        siblings.noise_ = state["noise"]
        return siblings
