"""Configuration resolution: a dataset file may extend another (the IMDB stand-in shares IMDB's)."""

import pytest

from syntherela_rgcd.errors import DataError
from syntherela_rgcd.rgcd import config as config_module
from syntherela_rgcd.rgcd.config import resolve_config


def test_the_imdb_standin_gets_imdbs_tuning():
    standin, imdb = resolve_config("cpu", "imdb_MovieLens_v1_standin"), resolve_config("cpu", "imdb_MovieLens_v1")
    assert standin == imdb
    assert imdb["gnn"]["fanouts"] == [10, 5] and imdb["diffusion"]["num_steps"] == 25
    assert "extends" not in standin


def test_extends_chain_applies_the_most_general_first_and_a_cycle_is_named(tmp_path, monkeypatch):
    files = {
        "base": "profiles: {cpu: {fit_steps: 111, gnn: {steps: 7}}}\n",
        "child": "extends: base\nprofiles: {cpu: {fit_steps: 222}}\n",
        "loop_a": "extends: loop_b\n",
        "loop_b": "extends: loop_a\n",
    }
    for name, text in files.items():
        (tmp_path / f"{name}.yaml").write_text(text)
    real = config_module._config_file
    monkeypatch.setattr(config_module, "_config_file",
                        lambda name: tmp_path / f"{name}.yaml" if name in files else real(name))
    child = resolve_config("cpu", "child")
    assert child["fit_steps"] == 222 and child["gnn"]["steps"] == 7
    with pytest.raises(DataError, match="circle"):
        resolve_config("cpu", "loop_a")
