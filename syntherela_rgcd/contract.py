"""The plugin contract, whole: the hooks a plugin implements and the types it returns.

A plugin is a module registered under the entry-point group ``syntherela`` (pluggy project
``syntherela``) that implements one or more of the hooks in :class:`SyntheRelaHookSpecs`,
decorated with :data:`hookimpl`, returning :class:`MethodSpec`, :class:`DatasetSpec` or
:class:`EnvironmentSpec` objects. This package registers its own methods and datasets that way
(``pyproject.toml``), so everything a third-party package needs is in this one module::

    from syntherela_rgcd.contract import MethodSpec, hookimpl

    @hookimpl
    def syntherela_methods():
        return [MethodSpec(name="mymethod", factory=MyMethod, summary="...", structures=("linear",))]

A *method* (:class:`Method`) is anything that can learn a relational database and sample a
new one; the runner only ever talks to this protocol, so RGCD, the SDV baseline, the peers in
their own environments and a method installed from elsewhere are interchangeable. Its shape
follows scikit-learn (hyperparameters in the factory's object, ``fit`` returns ``self``) and
SDV (``sample`` returns a dict of DataFrames); where and how it runs (device, executor,
checkpoints, progress) is a :class:`RunContext` handed to ``fit``, not part of the method.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Protocol, runtime_checkable

import numpy as np
import pandas as pd
import pluggy
from syntherela.metadata import Metadata

PROJECT = "syntherela"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Tables = dict[str, pd.DataFrame]

#: Relational structures a method may support (``syntherela list methods`` shows them).
STRUCTURES = ("linear", "multi-child", "multi-parent", "self-reference")

#: A method that declares it resumes an interrupted fit from ``RunContext.checkpoint_dir``.
CHECKPOINTS = "checkpoints"
#: A method that declares it can say which real row each synthetic row stands for: it has
#: ``sample_with_source_rows(seed, scale) -> (tables, {table: real row positions})``, and the
#: ``privacy`` metric then also measures copying through that correspondence.
SOURCE_ROWS = "source_rows"
CAPABILITIES = (CHECKPOINTS, SOURCE_ROWS)


@dataclass(frozen=True)
class RunContext:
    """Where and how a fit runs; none of it changes what the method learns.

    ``device`` is ``auto`` (CUDA when available), ``cpu`` or ``cuda``; ``executor`` (with
    ``workers`` / ``ray_address``) says where a method that splits its fit into tasks runs them;
    ``checkpoint_dir`` is set only for a method declaring :data:`CHECKPOINTS`.
    """

    device: str = "auto"
    progress: bool = True
    executor: str = "inprocess"
    workers: int | None = None
    ray_address: str | None = None
    checkpoint_dir: str | None = None


@runtime_checkable
class Method(Protocol):
    """What every generator implements.

    ``label`` names the settings a run is filed under (its run id is ``<label>-seed<N>``):
    RGCD's profile, a peer's budget (``epochs60``), or None for a method without presets;
    ``settings`` are recorded in each run's summary.
    """

    label: str | None
    settings: Mapping[str, Any]

    def fit(self, tables: Tables, metadata: Metadata, context: RunContext) -> "Method":
        """Learn from real tables described by SyntheRela metadata; returns ``self``."""

    def sample(self, seed: int | None = None, scale: float = 1.0) -> Tables:
        """Generate a database; ``scale`` multiplies the size, ``seed`` makes it repeatable."""

    def save(self, path: str | Path) -> None:
        """Write everything needed to sample again into the folder ``path``."""

    @classmethod
    def load(cls, path: str | Path) -> "Method":
        """Restore a fitted method saved with :meth:`save`."""


#: What ``sample_with_source_rows`` returns beside the tables (see :data:`SOURCE_ROWS`).
SourceRows = dict[str, np.ndarray]


@dataclass(frozen=True)
class MethodSpec:
    """How a plugin announces a method.

    ``factory`` receives the run's settings (a dict: ``profile``, ``config_file``,
    ``dataset``, ``seed``, ``time_budget``, ``quiet`` and the peer ``options``) and returns an
    unfitted :class:`Method`; ``capabilities`` lists the optional parts of the protocol it has
    (:data:`CAPABILITIES`).
    """

    name: str
    factory: Callable[[Mapping[str, Any]], Method]
    summary: str
    structures: tuple[str, ...] = STRUCTURES
    capabilities: tuple[str, ...] = ()
    #: Name of the plugin (entry point) that registered it; filled in by the registry.
    plugin: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        unknown = set(self.structures) - set(STRUCTURES)
        if unknown:
            raise ValueError(f"method {self.name!r}: unknown structures {sorted(unknown)}")
        unknown = set(self.capabilities) - set(CAPABILITIES)
        if unknown:
            raise ValueError(f"method {self.name!r}: unknown capabilities {sorted(unknown)} (known: {CAPABILITIES})")


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset the catalogue knows by name.

    ``builder`` makes the tables and metadata in code (the ``demo``); ``url`` is where
    ``syntherela download`` fetches a zip archive holding ``<name>/metadata.json`` and the
    CSVs; ``in_archive`` says that SyntheRela's own ``original.zip`` on Google Drive holds
    ``original/<name>/`` (the default source, so the data is the one the paper used);
    ``sdv_demo`` names the dataset in SDV's public demo bucket, a fallback used only when the
    archive turns out not to hold it.
    """

    name: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    url: str | None = None
    in_archive: bool = False
    sdv_demo: str | None = None
    builder: Callable[[], tuple[Tables, dict]] | None = field(default=None, compare=False)
    #: ``evaluation.utility_tasks.UtilityTask``s: the targets the utility metric trains on synthetic, tests on real
    utility_tasks: tuple = field(default=(), compare=False)


@dataclass(frozen=True)
class EnvironmentSpec:
    """An environment a method runs in (``syntherela env create NAME``): an interpreter (a
    command on PATH or a path) and pip requirements; ``pip_args`` go to every ``pip install``
    (an index, constraints)."""

    name: str
    python: str = sys.executable
    requirements: tuple[str, ...] = ()
    pip_args: tuple[str, ...] = field(default=(), compare=False)
    summary: str = ""
    #: Packages pip pulls in that break the peer and it does not need (uninstalled after the install).
    remove: tuple[str, ...] = ()


class SyntheRelaHookSpecs:
    """The hooks a plugin may implement (decorate implementations with :data:`hookimpl`)."""

    @hookspec
    def syntherela_methods(self) -> Iterable[MethodSpec]:
        """Return the generators this plugin provides."""

    @hookspec
    def syntherela_datasets(self) -> Iterable[DatasetSpec]:
        """Return the datasets this plugin knows (name, aliases, download URL, builder...)."""

    @hookspec
    def syntherela_environments(self) -> Iterable[EnvironmentSpec]:
        """Return the environments its isolated methods run in (``syntherela env create``)."""
