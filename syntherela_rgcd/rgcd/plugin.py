"""Registers RGCD as the ``rgcd`` method through the ``syntherela`` entry-point group."""

from __future__ import annotations

from typing import Any, Mapping

from ..methods import MethodSpec
from ..plugins import hookimpl


def make_rgcd(config: Mapping[str, Any]):
    """Build an unfitted RGCD from the runner's configuration."""
    from ..errors import DataError
    from .model import RGCD

    if config.get("options"):
        raise DataError("method 'rgcd' takes its settings from a YAML file (--config), not --options")
    return RGCD(
        profile=config.get("profile"),
        config=config.get("config_file"),
        dataset=config.get("dataset"),
        device=config.get("device", "auto"),
        time_budget=config.get("time_budget"),
        seed=config.get("seed", 0),
        progress=not config.get("quiet", False),
        executor=config.get("executor") or "inprocess",
        workers=config.get("workers"),
        ray_address=config.get("ray_address"),
    )


@hookimpl
def syntherela_methods() -> list[MethodSpec]:
    return [
        MethodSpec(
            name="rgcd",
            factory=make_rgcd,
            summary="graph-conditioned latent diffusion (GNN embeddings + per-table latent diffusion)",
            structures=("linear", "multi-child", "multi-parent", "self-reference"),
        )
    ]
