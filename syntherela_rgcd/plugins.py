"""Plugin registry: methods, datasets and environments come from pluggy plugins found by
entry point (the contract they implement is :mod:`.contract`).

Every plugin, this package's own included, is a module registered under the entry-point
group ``syntherela`` that implements one or more of the contract's hooks. A plugin that
fails to import is reported (``Registry.failures``) but does not stop the others from
working, so one broken third-party install cannot take the whole command line down.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from importlib.metadata import entry_points
from types import ModuleType
from typing import Iterable

import pluggy

from .contract import PROJECT, DatasetSpec, EnvironmentSpec, MethodSpec, SyntheRelaHookSpecs
from .errors import UnknownNameError

logger = logging.getLogger(__name__)


@dataclass
class Registry:
    """Methods and datasets collected from all plugins."""

    methods: dict[str, MethodSpec] = field(default_factory=dict)
    datasets: dict[str, DatasetSpec] = field(default_factory=dict)
    environments: dict[str, EnvironmentSpec] = field(default_factory=dict)
    #: entry-point name -> one-line reason it could not be loaded
    failures: dict[str, str] = field(default_factory=dict)

    def method(self, name: str) -> MethodSpec:
        """Look a method up by name, or fail with the list of known names."""
        try:
            return self.methods[name]
        except KeyError:
            known = ", ".join(sorted(self.methods)) or "none"
            hint = self._failure_hint(name)
            raise UnknownNameError(f"unknown method {name!r} (known: {known}){hint}") from None

    def _failure_hint(self, name: str) -> str:
        if name in self.failures:
            return f"; plugin {name!r} failed to load: {self.failures[name]}"
        return ""


def _plugin_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(SyntheRelaHookSpecs)
    return manager


def _load_entry_point_plugins(manager: pluggy.PluginManager) -> dict[str, str]:
    """Register every entry point of the group, one at a time, collecting failures."""
    failures: dict[str, str] = {}
    for entry_point in sorted(entry_points(group=PROJECT), key=lambda ep: ep.name):
        if manager.has_plugin(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
            manager.register(plugin, name=entry_point.name)
        except Exception as exc:  # a third-party plugin may fail in any way
            reason = f"{type(exc).__name__}: {exc}".splitlines()[0]
            failures[entry_point.name] = reason
            logger.warning("plugin %r (%s) could not be loaded: %s", entry_point.name, entry_point.value, reason)
    return failures


def build_registry(extra_plugins: Iterable[ModuleType | object] = ()) -> Registry:
    """Collect methods and datasets from all installed plugins (plus ``extra_plugins``).

    ``extra_plugins`` lets tests and notebooks register a plugin object without installing it.
    """
    manager = _plugin_manager()
    failures = _load_entry_point_plugins(manager)
    for plugin in extra_plugins:
        manager.register(plugin)
    registry = Registry(failures=failures)
    for plugin_name, specs in _collect(manager, "syntherela_methods", registry.failures):
        for spec in specs:
            if not isinstance(spec, MethodSpec):
                registry.failures[plugin_name] = f"syntherela_methods returned {type(spec).__name__}, not MethodSpec"
                continue
            if spec.name in registry.methods:
                logger.warning("method %r from plugin %r shadows an earlier one", spec.name, plugin_name)
            registry.methods[spec.name] = replace(spec, plugin=plugin_name)
    for plugin_name, specs in _collect(manager, "syntherela_datasets", registry.failures):
        for spec in specs:
            registry.datasets[spec.name] = spec
    for plugin_name, specs in _collect(manager, "syntherela_environments", registry.failures):
        for spec in specs:
            registry.environments[spec.name] = spec
    return registry


def _collect(manager: pluggy.PluginManager, hook_name: str, failures: dict[str, str]) -> list[tuple[str, list]]:
    """Call one hook on each plugin separately, so a plugin that raises is isolated."""
    results = []
    for impl in getattr(manager.hook, hook_name).get_hookimpls():
        try:
            specs = list(impl.function() or [])
        except Exception as exc:
            failures[impl.plugin_name] = f"{hook_name} raised {type(exc).__name__}: {exc}".splitlines()[0]
            logger.warning("plugin %r: %s", impl.plugin_name, failures[impl.plugin_name])
            continue
        results.append((impl.plugin_name, specs))
    return results
