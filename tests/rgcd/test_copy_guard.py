"""The copy guard: rows equal to a training row beyond the real halves' share are drawn again."""

import numpy as np
import pandas as pd
import pytest
from syntherela.metadata import Metadata

from syntherela_rgcd.contract import RunContext
from syntherela_rgcd.demo import METADATA, build_demo_tables
from syntherela_rgcd.rgcd.copy_guard import CopyGuard
from syntherela_rgcd.rgcd.model import RGCD

from rgcd_helpers import single_torch_thread  # noqa: F401 (autouse fixture)

TINY = {"vae": {"epochs": 3}, "gnn": {"steps": 3}, "diffusion": {"epochs": 3, "num_steps": 4}}


def test_the_guard_allows_the_real_halves_share_and_picks_the_rest_at_random():
    real = pd.DataFrame({"type": list("AABBCCDDEE") * 2, "size": [1, 1, 2, 2, 3, 3, 4, 4, 5, 6] * 2})
    guard = CopyGuard.fit(real, seed=0)
    assert 0.5 < guard.allowed_share <= 1.0  # most rows have an equal twin in the other half
    synthetic = pd.DataFrame({"type": ["A", "Z", "B", "A"], "size": [1, 1, 2, 9]})
    assert guard.copies(synthetic).tolist() == [True, False, True, False]
    strict = CopyGuard(guard.hashes, 0.0)
    assert strict.excess(synthetic, np.random.default_rng(0)).tolist() == [0, 2]
    assert CopyGuard(guard.hashes, 0.25).excess(synthetic, np.random.default_rng(0)).size == 1
    assert guard.excess(synthetic, np.random.default_rng(0)).size == 0


def test_a_dtype_read_back_still_matches():
    real = pd.DataFrame({"when": pd.to_datetime(["2020-01-01", "2020-02-01"]), "n": [3, 4], "flag": [True, False]})
    guard = CopyGuard(CopyGuard.fit(real, seed=0).hashes, 0.0)
    assert guard.copies(real.copy()).all()


@pytest.fixture(scope="module")
def fitted():
    metadata = Metadata.load_from_dict(METADATA)
    return RGCD(profile="smoke", dataset="demo", config=TINY).fit(build_demo_tables(), metadata,
                                                                  RunContext(progress=False))


def test_sampling_draws_guarded_rows_again(fitted):
    first = fitted.sample(seed=3)["stores"]
    columns = fitted.encoders_["stores"].columns
    guarded = CopyGuard(CopyGuard.fit(first[columns], 0).hashes, 0.0)
    saved = dict(fitted.copy_guards_)
    try:  # pretend the first sample's stores were the training rows: none may come back
        fitted.copy_guards_ = {**saved, "stores": guarded}
        again = fitted.sample(seed=3)["stores"]
    finally:
        fitted.copy_guards_ = saved
    assert guarded.copies(first[columns]).all()
    assert guarded.copies(again[columns]).mean() < 0.1, "rows equal to the guarded ones were drawn again"
    assert fitted.sample(seed=3)["stores"].equals(first), "the same seed still gives the same sample"


def test_the_paper_profile_has_no_guard():
    from syntherela_rgcd.rgcd.config import resolve_config

    assert resolve_config("paper")["copy_guard"] is False and resolve_config("cpu")["copy_guard"] is True
