"""The contract between the benchmark and a generator.

A *method* is anything that can learn a relational database and sample a new one. The
runner only ever talks to this protocol, so RGCD, the SDV baseline and a third-party
generator installed from elsewhere are interchangeable. The shape follows scikit-learn
(``fit`` returns ``self``) and SDV (``sample`` returns a dict of DataFrames).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, runtime_checkable

import pandas as pd
from syntherela.metadata import Metadata

Tables = dict[str, pd.DataFrame]

#: Relational structures a method may support (DESIGN.md section 3).
STRUCTURES = ("linear", "multi-child", "multi-parent", "self-reference")


@runtime_checkable
class Method(Protocol):
    """What every generator implements."""

    def fit(self, tables: Tables, metadata: Metadata) -> "Method":
        """Learn from real tables described by SyntheRela metadata; returns ``self``."""

    def sample(self, seed: int | None = None, scale: float = 1.0) -> Tables:
        """Generate a database; ``scale`` multiplies the size, ``seed`` makes it repeatable.

        Optionally, a method that builds each synthetic row from a real one (RGCD's structure
        sampler does) sets ``last_source_rows``: per table, the real row position each row of
        the last sample stands for. The ``privacy`` metric then also measures copying through
        that correspondence (:mod:`syntherela_rgcd.evaluation.copying`)."""

    def save(self, path: str | Path) -> None:
        """Write everything needed to sample again into the folder ``path``."""

    @classmethod
    def load(cls, path: str | Path) -> "Method":
        """Restore a fitted method saved with :meth:`save`."""


@dataclass(frozen=True)
class MethodSpec:
    """How a plugin announces a method.

    ``factory`` receives the run configuration (a dict: profile settings, ``device``,
    ``time_budget`` ...) and returns an unfitted :class:`Method`.
    """

    name: str
    factory: Callable[[Mapping[str, Any]], Method]
    summary: str
    structures: tuple[str, ...] = STRUCTURES
    #: Name of the plugin (entry point) that registered it; filled in by the registry.
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.structures) - set(STRUCTURES)
        if unknown:
            raise ValueError(f"method {self.name!r}: unknown structures {sorted(unknown)}")
