"""The plugin registry: entry points in group 'syntherela', pluggy hooks, failure isolation."""

from __future__ import annotations

import pytest

from syntherela_rgcd.baselines.sdv_hma import SDVHMA
from syntherela_rgcd.errors import UnknownNameError
from syntherela_rgcd.contract import STRUCTURES, Method, MethodSpec, hookimpl
from syntherela_rgcd.plugins import build_registry


class _MethodsPlugin:
    def __init__(self, *specs):
        self.specs = specs

    @hookimpl
    def syntherela_methods(self):
        return list(self.specs)


class _RaisingPlugin:
    @hookimpl
    def syntherela_methods(self):
        raise ValueError("hook blew up")


class _WrongTypePlugin:
    @hookimpl
    def syntherela_methods(self):
        return [{"name": "not-a-spec"}]


class _Nothing:
    def __init__(self, config=None):
        self.config = config


def test_own_methods_and_datasets_come_from_entry_points():
    registry = build_registry()
    assert "sdv" in registry.methods
    assert registry.methods["sdv"].plugin == "sdv"
    assert registry.methods["sdv"].factory is SDVHMA
    assert {"demo", "walmart_subsampled", "rossmann_subsampled", "airbnb-simplified_subsampled",
            "imdb_MovieLens_v1", "CORA_v1", "Biodegradability_v1"} <= set(registry.datasets)
    assert registry.datasets["walmart_subsampled"].aliases == ("walmart",)
    # The rgcd entry point may or may not load while it is being developed; if it does not,
    # the reason is recorded instead of breaking the registry.
    assert "rgcd" in registry.methods or "rgcd" in registry.failures


def test_extra_plugin_object_adds_a_method():
    spec = MethodSpec("nothing", _Nothing, "does nothing")
    registry = build_registry(extra_plugins=[_MethodsPlugin(spec)])
    assert registry.method("nothing").factory is _Nothing
    assert registry.method("nothing").plugin  # filled in by the registry
    assert "sdv" in registry.methods


def test_hook_that_raises_is_isolated():
    registry = build_registry(extra_plugins=[_RaisingPlugin()])
    assert "sdv" in registry.methods
    reasons = [r for r in registry.failures.values() if "hook blew up" in r]
    assert reasons and "syntherela_methods raised ValueError" in reasons[0]


def test_hook_returning_wrong_type_is_reported():
    registry = build_registry(extra_plugins=[_WrongTypePlugin()])
    assert "sdv" in registry.methods
    assert any("not MethodSpec" in r for r in registry.failures.values())


def test_unknown_method_lists_known_ones():
    registry = build_registry()
    with pytest.raises(UnknownNameError) as info:
        registry.method("nope")
    message = str(info.value)
    assert "'nope'" in message and "sdv" in message and "\n" not in message


def test_method_spec_rejects_unknown_structures():
    assert STRUCTURES == ("linear", "multi-child", "multi-parent", "self-reference")
    with pytest.raises(ValueError, match="unknown structures"):
        MethodSpec("x", _Nothing, "x", structures=("linear", "cyclic"))


def test_sdv_baseline_follows_the_method_protocol():
    assert isinstance(SDVHMA({}), Method)


def test_third_party_distribution_is_discovered(installed_plugins):
    registry = build_registry()
    spec = registry.method("copycat")
    assert spec.plugin == "copycat"
    assert spec.structures == ("linear",)
    assert isinstance(spec.factory({}), Method)
    # its dataset hook is used too
    assert registry.datasets["tiny_plugin_db"].aliases == ("tinyalias",)
    # the broken one is reported, by entry-point name, with its reason; the rest still works
    assert "broken" not in registry.methods
    assert "RuntimeError: fake plugin exploded on import" in registry.failures["broken"]
    assert "sdv" in registry.methods
    with pytest.raises(UnknownNameError, match="plugin 'broken' failed to load: RuntimeError"):
        registry.method("broken")


def test_third_party_plugin_not_seen_when_not_installed():
    registry = build_registry()
    assert "copycat" not in registry.methods and "broken" not in registry.failures


def test_sdv_baseline_refuses_a_self_reference_in_one_line():
    from syntherela_rgcd.errors import SyntheRelaError
    from syntherela_rgcd.metadata import RelationalMetadata
    from syntherela_rgcd.org_chart import METADATA, build_org_chart_tables

    with pytest.raises(SyntheRelaError, match="^method 'sdv' cannot model the self-referencing foreign key "
                                              "employees.manager_id; use --method rgcd$"):
        SDVHMA({"quiet": True}).fit(build_org_chart_tables(), RelationalMetadata.load_from_dict(METADATA))
