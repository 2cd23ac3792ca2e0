"""RGCD configuration: profiles from ``profiles/``, dataset facts, user overrides.

Resolution order (later wins): ``default.yaml`` profile -> ``<dataset>.yaml`` (facts about the
data: ``positions``, ``extends``; no tuning, so every database gets the same default) -> a user
file or dict. Unknown sections or keys are errors,
so a typo in a config file never silently falls back to a default.
"""

from __future__ import annotations

import copy
from dataclasses import fields
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import yaml

from ..errors import DataError, UnknownNameError
from .diffusion import DiffusionConfig
from .gnn import GNNConfig
from .siblings import SiblingSettings
from .vae import VAEConfig

SECTIONS = {"vae": VAEConfig, "gnn": GNNConfig, "diffusion": DiffusionConfig, "siblings": SiblingSettings}
TOP_LEVEL = {"profile", "positions", "copy_guard", "near_copy_guard", "datetime_offsets", "fit_steps", "fit_vae_share", "fit_parent_weight", "budget_flow",
             "structure", "degree_twin_correlation"}
#: Keys of earlier versions and where they went, so an old config file fails with the fix.
DATASET_FACTS = {"positions", "extends"}
MOVED = {"sibling_order": "siblings.order", "sibling_values": "siblings.values", "sibling_noise": "siblings.noise",
         "joint_denoising": "siblings.joint"}


def _config_file(name: str):
    return resources.files("syntherela_rgcd").joinpath("profiles", f"{name}.yaml")


def _read_yaml(source: Any, what: str) -> dict:
    try:
        text = source.read_text() if hasattr(source, "read_text") else Path(source).read_text()
        data = yaml.safe_load(text) or {}
    except FileNotFoundError:
        raise DataError(f"config file {source} does not exist") from None
    except yaml.YAMLError as exc:
        raise DataError(f"{what} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise DataError(f"{what} must hold a mapping at the top level")
    return data


def deep_merge(base: dict, override: Mapping) -> dict:
    """Recursive dict merge; ``override`` wins, lists are replaced whole."""
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def resolve_config(
    profile: str | None = None,
    dataset: str | None = None,
    overrides: Mapping | str | Path | None = None,
) -> dict:
    """The full settings dict for one fit: ``profile``, the top-level settings and the sections
    ``vae``, ``gnn``, ``diffusion`` and ``siblings``."""
    default = _read_yaml(_config_file("default"), "default.yaml")
    user = _read_yaml(overrides, f"config file {overrides}") if isinstance(overrides, (str, Path)) else dict(overrides or {})
    profile = profile or user.get("profile") or default["default_profile"]
    if profile not in default["profiles"]:
        raise UnknownNameError(f"unknown profile {profile!r} (known: {', '.join(sorted(default['profiles']))})")
    config: dict = {"profile": profile, "positions": dict(default.get("positions", {})),
                    "copy_guard": default["copy_guard"],
                    "near_copy_guard": default["near_copy_guard"], "degree_twin_correlation": default["degree_twin_correlation"]}
    config = deep_merge(config, default["profiles"][profile])
    for dataset_config in _dataset_configs(dataset):
        config = deep_merge(config, dataset_config)
    user.pop("profile", None)
    config = deep_merge(config, user)
    validate(config)
    return config


def _dataset_configs(dataset: str | None) -> list[dict]:
    """``<dataset>.yaml`` and the files it ``extends`` (a stand-in or a copy of a dataset shares its
    original's facts), the most general first. A dataset file states facts about the data only
    (:data:`DATASET_FACTS`): what a user's database gets, the benchmark datasets get too."""
    chain: list[dict] = []
    seen = set()
    while dataset and _config_file(dataset).is_file():
        if dataset in seen:
            raise DataError(f"{dataset}.yaml: 'extends' goes round in a circle")
        seen.add(dataset)
        chain.insert(0, _read_yaml(_config_file(dataset), f"{dataset}.yaml"))
        tuning = sorted(set(chain[0]) - DATASET_FACTS)
        if tuning:
            raise DataError(f"{dataset}.yaml sets {', '.join(tuning)}: a dataset file states facts about the data "
                            f"only ({', '.join(sorted(DATASET_FACTS))}); put settings in a --config file")
        dataset = chain[0].pop("extends", None)
    return chain


def validate(config: Mapping) -> None:
    """Reject unknown sections and keys with a message naming them."""
    for key, value in config.items():
        if key in SECTIONS:
            known = {f.name for f in fields(SECTIONS[key])}
            unknown = sorted(set(value or {}) - known)
            if unknown:
                raise DataError(f"config section {key!r}: unknown key(s) {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        elif key in MOVED:
            raise DataError(f"config key {key!r} is now {MOVED[key]!r} (the 'siblings' section)")
        elif key not in TOP_LEVEL:
            raise DataError(f"unknown config key {key!r} (known: {', '.join(sorted(TOP_LEVEL | set(SECTIONS)))})")
    SiblingSettings.from_dict(config.get("siblings"))  # a siblings.noise outside [0, 1] is named here


def with_time_budget(config: dict, seconds: float | None) -> dict:
    """Apply ``--time-budget`` to every trained component (the CLI's per-component budget)."""
    if seconds is None:
        return config
    config = copy.deepcopy(config)
    for section in ("vae", "gnn", "diffusion"):
        config.setdefault(section, {})["time_budget"] = float(seconds)
    return config
