"""The near-copy guard: sampled rows lie no closer to training rows than real rows lie to each other."""

import numpy as np
import pytest
from syntherela.metadata import Metadata

from syntherela_rgcd.contract import RunContext
from syntherela_rgcd.demo import METADATA, build_demo_tables
from syntherela_rgcd.rgcd import near_copy_guard
from syntherela_rgcd.rgcd.model import RGCD
from syntherela_rgcd.rgcd.near_copy_guard import NearCopyGuard, encode_rows

from rgcd_helpers import single_torch_thread  # noqa: F401 (autouse fixture)

TINY = {"vae": {"epochs": 3}, "gnn": {"steps": 3}, "diffusion": {"epochs": 3, "num_steps": 4}}


def _table(rng, n):
    return rng.normal(size=(n, 3)).astype(np.float32), rng.integers(0, 4, size=(n, 1))


def test_a_differing_category_adds_one_to_the_squared_distance():
    rows = encode_rows(np.zeros((2, 1)), np.array([[0], [2]]), [3])
    assert np.sum((rows[0] - rows[1]) ** 2) == pytest.approx(1.0)
    assert rows[:, 0].tolist() == [0.5, 0.5]  # a numerical column through the normal CDF


def test_near_copies_are_drawn_again_fresh_draws_are_not():
    rng = np.random.default_rng(0)
    guard = NearCopyGuard.fit(*_table(rng, 400), [4])
    assert guard.shares[-1] <= 0.5 and guard.edges[0] <= guard.edges[-1]
    x_num, x_cat = _table(rng, 400)  # fresh draws of the same distribution
    assert len(guard.excess(x_num, x_cat)) < 0.1 * 400
    copies_num = guard.training[:, :3].copy()  # the training rows themselves, back in model space
    near_num = np.asarray(np.clip(copies_num, 1e-6, 1 - 1e-6), dtype=np.float64)
    from scipy.special import ndtri

    near_num = ndtri(near_num) + 1e-4
    near_cat = guard.training[:, 3:].argmax(axis=1)[:, None]
    picked = guard.excess(near_num, near_cat)
    assert len(picked) >= 0.4 * 400, "near copies beyond the real share are picked"
    left = np.setdiff1d(np.arange(400), picked)
    assert (guard.distances(near_num[left], near_cat[left]) <= guard.edges[-1]).all()


def test_tables_outside_the_bounds_get_no_guard(monkeypatch):
    rng = np.random.default_rng(1)
    assert NearCopyGuard.fit(*_table(rng, 3), [4]) is None
    monkeypatch.setattr(near_copy_guard, "MAX_ROWS", 50)
    assert NearCopyGuard.fit(*_table(rng, 51), [4]) is None


@pytest.fixture(scope="module")
def fitted():
    metadata = Metadata.load_from_dict(METADATA)
    return RGCD(profile="smoke", dataset="demo", config=TINY).fit(build_demo_tables(), metadata,
                                                                  RunContext(progress=False))


def test_the_fitted_model_guards_its_tables_and_keeps_them_when_saved(fitted, tmp_path):
    assert set(fitted.near_copy_guards_) == set(fitted.modelled_)
    fitted.save(tmp_path / "model")
    loaded = RGCD.load(tmp_path / "model")
    for table, guard in fitted.near_copy_guards_.items():
        assert np.array_equal(loaded.near_copy_guards_[table].training, guard.training)
        assert np.allclose(loaded.near_copy_guards_[table].edges, guard.edges)
    assert loaded.sample(seed=4)["stores"].equals(fitted.sample(seed=4)["stores"])


def test_sampling_keeps_rows_away_from_guarded_rows(fitted):
    first = fitted.sample(seed=3)["stores"]
    encoder = fitted.encoders_["stores"]
    strict = NearCopyGuard.fit(*encoder.transform(first), list(encoder.cardinalities))
    strict.shares = np.zeros_like(strict.shares)  # no row may lie below the edges
    saved = dict(fitted.near_copy_guards_)
    try:  # pretend the first sample's stores were the training rows
        fitted.near_copy_guards_ = {**saved, "stores": strict}
        again = fitted.sample(seed=3)["stores"]
    finally:
        fitted.near_copy_guards_ = saved
    before = strict.below_shares(*encoder.transform(first))[-1]
    after = strict.below_shares(*encoder.transform(again))[-1]
    assert before > 0.5 and after < before, "each of the first rows lies at 0 from itself; the redrawn ones do not"


def test_the_paper_profile_has_no_near_copy_guard():
    from syntherela_rgcd.rgcd.config import resolve_config

    assert resolve_config("paper")["near_copy_guard"] is False and resolve_config("cpu")["near_copy_guard"] is True
