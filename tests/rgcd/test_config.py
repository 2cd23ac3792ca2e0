"""Configuration resolution: a dataset file may extend another (the IMDB stand-in shares IMDB's)."""

import pytest

from syntherela_rgcd.errors import DataError
from syntherela_rgcd.rgcd import config as config_module
from syntherela_rgcd.rgcd.config import resolve_config


def test_every_dataset_gets_the_same_settings_apart_from_its_facts():
    """One default (issue 27): no dataset file tunes; they only say which column orders rows."""
    default = resolve_config("cpu")
    for dataset in ("walmart_subsampled", "airbnb-simplified_subsampled", "CORA_v1", "Biodegradability_v1",
                    "rossmann_subsampled", "imdb_MovieLens_v1", "imdb_MovieLens_v1_standin", "demo"):
        settings = resolve_config("cpu", dataset)
        assert {k: v for k, v in settings.items() if k != "positions"} == \
            {k: v for k, v in default.items() if k != "positions"}, dataset


def test_extends_chain_applies_the_most_general_first_and_a_cycle_is_named(tmp_path, monkeypatch):
    files = {
        "base": "positions: {a: t, b: u}\n",
        "child": "extends: base\npositions: {b: v}\n",
        "tuned": "positions: {}\nprofiles: {cpu: {fit_steps: 222}}\n",
        "loop_a": "extends: loop_b\n",
        "loop_b": "extends: loop_a\n",
    }
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    real = config_module._config_file
    monkeypatch.setattr(config_module, "_config_file",
                        lambda name: tmp_path / f"{name}.yaml" if name in files else real(name))
    child = resolve_config("cpu", "child")
    assert child["positions"] == {"a": "t", "b": "v"}
    with pytest.raises(DataError, match="tuned.yaml sets profiles: a dataset file states facts"):
        resolve_config("cpu", "tuned")
    with pytest.raises(DataError, match="circle"):
        resolve_config("cpu", "loop_a")
