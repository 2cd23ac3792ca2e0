"""Registers RGCD as the ``rgcd`` method through the ``syntherela`` entry-point group."""

from __future__ import annotations

from typing import Any, Mapping

from ..contract import CHECKPOINTS, SOURCE_ROWS, MethodSpec, hookimpl
from ..errors import DataError


def make_rgcd(settings: Mapping[str, Any]):
    """Build an unfitted RGCD from the run's settings."""
    # imported here: the registry loads every plugin, and listing methods must not wait for torch
    from .model import RGCD

    if settings.get("options"):
        raise DataError("method 'rgcd' takes its settings from a YAML file (--config), not --options")
    return RGCD(profile=settings.get("profile"), config=settings.get("config_file"), dataset=settings.get("dataset"),
                time_budget=settings.get("time_budget"), seed=settings.get("seed", 0))


@hookimpl
def syntherela_methods() -> list[MethodSpec]:
    return [
        MethodSpec(
            name="rgcd",
            factory=make_rgcd,
            summary="graph-conditioned latent diffusion (GNN embeddings + per-table latent diffusion)",
            structures=("linear", "multi-child", "multi-parent", "self-reference"),
            capabilities=(CHECKPOINTS, SOURCE_ROWS),
        )
    ]
