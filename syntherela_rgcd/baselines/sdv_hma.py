"""SDV's HMA synthesizer behind the Method protocol: the reference baseline of the benchmark.

Registered through this package's entry points exactly like a third-party plugin. SDV
stores fitted synthesizers with cloudpickle (its own format); only load folders you
wrote yourself.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any, Mapping

import numpy as np
from sdv.errors import SynthesizerInputError
from sdv.multi_table import HMASynthesizer
from syntherela.metadata import Metadata

from ..contract import MethodSpec, RunContext, Tables, hookimpl
from ..errors import SyntheRelaError

MODEL_FILE = "hma.pkl"


class SDVHMA:
    """Hierarchical Modeling Algorithm (Gaussian copulas per table, parameters of children
    folded into parents), as used by SyntheRela's ``SDV`` baseline."""

    label = None  # no presets

    def __init__(self, settings: Mapping[str, Any] | None = None):
        self.settings = dict(settings or {})
        self._synthesizer = None

    def fit(self, tables: Tables, metadata: Metadata, context: RunContext | None = None) -> "SDVHMA":
        for rel in metadata.relationships:
            if rel["parent_table_name"] == rel["child_table_name"]:  # SDV's own check calls it circular
                raise SyntheRelaError(f"method 'sdv' cannot model the self-referencing foreign key "
                                      f"{rel['child_table_name']}.{rel['child_foreign_key']}; use --method rgcd")
        try:
            synthesizer = HMASynthesizer(metadata, verbose=not self.settings.get("quiet", False))
            synthesizer.fit({name: table.copy() for name, table in tables.items()})
        except SynthesizerInputError as exc:
            first = str(exc).strip().splitlines()[0]
            raise SyntheRelaError(f"method 'sdv' cannot model this dataset: {first}") from None
        self._synthesizer = synthesizer
        return self

    def sample(self, seed: int | None = None, scale: float = 1.0) -> Tables:
        if self._synthesizer is None:
            raise SyntheRelaError("method 'sdv': sample() called before fit()")
        if seed is not None:
            # HMA draws from numpy's and Python's global generators.
            np.random.seed(seed)
            random.seed(seed)
        return self._synthesizer.sample(scale=scale)

    def save(self, path: str | Path) -> None:
        Path(path).mkdir(parents=True, exist_ok=True)
        self._synthesizer.save(str(Path(path) / MODEL_FILE))

    @classmethod
    def load(cls, path: str | Path) -> "SDVHMA":
        method = cls()
        method._synthesizer = HMASynthesizer.load(str(Path(path) / MODEL_FILE))
        return method


@hookimpl
def syntherela_methods() -> list[MethodSpec]:
    return [
        MethodSpec(
            name="sdv",
            factory=SDVHMA,
            summary="SDV HMASynthesizer (Gaussian copulas, hierarchical); at most 5 tables, depth 2",
            structures=("linear", "multi-child", "multi-parent"),
        )
    ]
